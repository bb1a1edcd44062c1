import json

import numpy as np
import pandas as pd

from kagglekit.comparison import compare_table
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


def test_bench_ends_with_our_best_and_ensemble_against_autogluon_given_the_same_time(workdir, tmp_path, monkeypatch, capsys):
    import shutil

    import yaml

    from kagglekit.commands import main
    from kagglekit.core.files import sample_dir
    from kagglekit.core.paths import ROOT

    train("house-prices", "lasso", ["data=sample", "folds=3"], progress=False, log=lambda *a: None)  # writes the sample
    shutil.copytree(ROOT / "configs", tmp_path / "configs")
    monkeypatch.setenv("KAGGLEKIT_CONFIGS", str(tmp_path / "configs"))
    (tmp_path / "configs/house-prices/bench.yaml").write_text(yaml.safe_dump({
        "data_dir": str(sample_dir("house-prices")), "configs": ["lasso", "ridge"],
        "side_by_side": {"ensemble": {"top": 2, "method": "blend"},
                         "autogluon": {"presets": "medium_quality", "overrides": {"model.params.hyperparameters": "{GBM: {}}"}}}}))
    assert main(["bench", "comp=house-prices", "folds=3"]) == 0
    table = (workdir / "runs/house-prices/bench-side-by-side.md").read_text()
    lines = [line for line in table.splitlines() if line.startswith("| our") or line.startswith("| AutoGluon")]
    assert [line.split("|")[1].strip().split(":")[0].split(" (")[0] for line in lines] == [
        "our best single", "our ensemble", "AutoGluon medium_quality"]
    scores = [float(line.split("|")[2].split("±")[0]) for line in lines]
    assert scores[1] <= 1.02 * scores[0] and all(0 < s < 0.3 for s in scores)  # the blend is about as good as its best member or better
    assert "same wall time" in capsys.readouterr().out
    autogluon = [r for r in compare_table("house-prices").itertuples() if r.model == "autogluon"]
    assert len(autogluon) == 1 and "time_limit=" in autogluon[0].overrides
