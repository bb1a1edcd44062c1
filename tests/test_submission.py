import numpy as np
import pandas as pd
import pytest

from kagglekit.core.errors import UserError
from kagglekit.core.submission import regression_range, validate_submission, write_submission

SAMPLE = pd.DataFrame({"Id": [1461, 1462, 1463], "SalePrice": [0.0, 0.0, 0.0]})
GOOD = pd.DataFrame({"Id": [1461, 1462, 1463], "SalePrice": [120000.0, 150000.5, 99000.0]})
RANGE = regression_range(np.array([34900.0, 755000.0]), positive=True)


def test_good_submission_passes_and_is_written(workdir):
    path = write_submission(GOOD, "house-prices", "x", sample=SAMPLE, id_col="Id", value_range=RANGE)
    pd.testing.assert_frame_equal(pd.read_csv(path), GOOD)
    assert not list(path.parent.glob(".*tmp*"))  # atomic write leaves no temporary file


@pytest.mark.parametrize(
    "bad, message",
    [
        (GOOD.rename(columns={"SalePrice": "price"}), "header"),
        (GOOD.iloc[[1, 0, 2]], "same order|sample's order"),
        (GOOD.head(2), "2 rows, the sample has 3"),
        (GOOD.assign(SalePrice=[1.0, np.nan, 3e5]), "missing value"),
        (GOOD.assign(SalePrice=[np.inf, 1e5, 1e5]), "infinite"),
        (GOOD.assign(SalePrice=[-5.0, 1e5, 1e5]), "outside the sane range"),
        (GOOD.assign(SalePrice=[1e12, 1e5, 1e5]), "outside the sane range"),
    ],
)
def test_bad_submissions_are_refused_before_writing(workdir, bad, message):
    with pytest.raises(UserError, match=message):
        write_submission(bad.reset_index(drop=True), "house-prices", "bad", sample=SAMPLE, id_col="Id", value_range=RANGE)
    assert not (workdir / "submissions/house-prices/bad.csv").exists()


def test_labels_must_be_known_classes():
    sample = pd.DataFrame({"id": [1, 2], "label": ["cat", "cat"]})
    with pytest.raises(UserError, match="not among the classes"):
        validate_submission(pd.DataFrame({"id": [1, 2], "label": ["cat", "zebra"]}), sample, "id", "label", classes=["cat", "dog"])


@pytest.mark.parametrize("cells, message", [(["cat dog", "dog zebra"], "not among the classes"),
                                            (["cat dog", "dog dog"], "one label twice")])
def test_ranked_labels_must_be_known_distinct_classes(cells, message):
    """A MAP@K cell ("cat dog") is refused when a label is unknown or named twice; a good one passes."""
    sample = pd.DataFrame({"id": [1, 2], "label": ["cat dog", "cat dog"]})
    validate_submission(pd.DataFrame({"id": [1, 2], "label": ["cat dog", "dog cat"]}), sample, "id", "top_labels",
                        classes=["cat", "dog"])
    with pytest.raises(UserError, match=message):
        validate_submission(pd.DataFrame({"id": [1, 2], "label": cells}), sample, "id", "top_labels", classes=["cat", "dog"])
