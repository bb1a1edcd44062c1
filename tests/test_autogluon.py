import json

import numpy as np
import pandas as pd

from kagglekit.commands.compare import compare_table
from kagglekit.pipeline import train


def test_autogluon_on_our_folds_is_a_run_like_any_other(workdir):
    args = ["data=sample", "folds=3", "model.params.time_limit=20", "model.params.hyperparameters={GBM: {}}"]
    res = train("house-prices", "autogluon", args, progress=False, log=lambda *a: None)
    rec = res.record
    y = np.log(pd.read_csv(workdir / "data/samples/house-prices/train.csv")["SalePrice"])
    assert rec["cv_mean"] < 0.6 * y.std() and rec["n_folds"] == 3
    assert (res.run_dir / "models/fold_0").is_dir() and rec["disk_mb"] > 0  # AutoGluon's folders live in the run
    for k in range(3):  # its own leaderboard of each fold, saved whole and in the fold's info
        board = pd.read_csv(res.run_dir / f"models/fold_{k}/leaderboard.csv")
        info = json.loads((res.run_dir / f"fold_{k}.json").read_text())
        assert [r["model"] for r in info["leaderboard"]] == list(board["model"].head(15)) and info["best_model"] in set(board["model"])
        assert board["score_val"].is_monotonic_decreasing
    lasso = train("house-prices", "lasso", ["data=sample", "folds=3"], progress=False, log=lambda *a: None)
    assert lasso.record["folds_file"] == rec["folds_file"]  # same folds: comparable and ensemble-able
    assert "autogluon" in set(compare_table("house-prices")["model"])
    assert pd.read_csv(res.submission).shape == (300, 2)
