"""group_range: regression predictions clipped to their group's target range on the fold's fitting rows."""

import numpy as np
import pandas as pd
import pytest

from kagglekit.core.errors import UserError
from kagglekit.core.runs import RunDir
from kagglekit.pipeline import train
from kagglekit.tabular.ranges import GroupRange, group_keys

QUIET = dict(progress=False, log=lambda *a: None)


def test_group_range_clips_known_groups_with_enough_rows_and_leaves_the_rest():
    groups = np.array(["a"] * 40 + ["b"] * 5)
    y = np.r_[np.linspace(10, 11, 40), np.linspace(12, 13, 5)]
    ranges = GroupRange(margin=0.1, min_rows=30).fit(groups, y)
    assert set(ranges.bounds_) == {"a"}  # b has 5 rows: too few to trust its range
    pred = np.array([12.5, 9.0, 10.5, 20.0, 20.0])
    out = ranges.clip(np.array(["a", "a", "a", "b", "never seen"]), pred)
    np.testing.assert_allclose(out, [11.1, 9.9, 10.5, 20.0, 20.0])
    missing = group_keys(pd.Series(["x", None, np.nan]))
    assert missing[1] == missing[2] != "x"  # every missing value is one group, in train and test alike


def test_oof_predictions_stay_within_their_neighbourhoods_fitting_range(workdir):
    words = ["data=sample", "group_range.column=Neighborhood", "group_range.min_rows=15", "group_range.margin=0.05"]
    on = train("house-prices", "lasso", words, **QUIET)
    off = train("house-prices", "lasso", ["data=sample", "group_range.column=null"], **QUIET)
    rd = RunDir.at(on.run_dir)
    folds = pd.read_csv(rd.path / "folds.csv")["fold"].to_numpy()
    sample = pd.read_csv(workdir / "data" / "samples" / "house-prices" / "train.csv")
    y, hood = np.log1p(sample["SalePrice"].to_numpy()), sample["Neighborhood"].astype(str).to_numpy()
    assert (on.oof["Id"].to_numpy() == sample["Id"].to_numpy()).all()
    pred = np.log1p(on.oof["oof"].to_numpy())
    clipped = 0
    for k in range(5):
        info = rd.load_fold(k)["info"]
        clipped += info["group_clipped"][0]
        fit = folds != k  # the sample has no fit_filter matches, so every training row is a candidate
        for g in np.unique(hood[fit]):
            rows = fit & (hood == g)
            if rows.sum() < 20:  # drop_residual_sd may leave a group just under min_rows
                continue
            valid = (folds == k) & (hood == g)
            assert (pred[valid] <= y[rows].max() + 0.05 + 1e-9).all() and (pred[valid] >= y[rows].min() - 0.05 - 1e-9).all()
    assert clipped > 0  # the check above bit on some rows: without it, those predictions were outside
    assert not np.allclose(on.oof["oof"], off.oof["oof"]) and on.record["cv_mean"] < 0.2


def test_group_range_errors_name_the_column_and_the_fix(workdir):
    with pytest.raises(UserError, match=r"group_range.column=NoSuchColumn: no such column in train.csv .*group_range.column=null"):
        train("house-prices", "lasso", ["data=sample", "group_range.column=NoSuchColumn"], **QUIET)
    with pytest.raises(UserError, match="margin"):
        train("house-prices", "lasso", ["data=sample", "group_range.margin=-1"], **QUIET)
    with pytest.raises(UserError, match="clips regression predictions"):
        train("credit", "lightgbm", ["data=sample", "group_range.column=Home"], **QUIET)
