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


def test_autogluon_fits_again_without_its_stacking_check_when_the_check_fits_nothing(tmp_path, monkeypatch):
    """AutoGluon's dynamic-stacking sub-fit can fit nothing and leave its predictor unusable ("Learner is already
    fit"): the model then fits once more without the check, in a clean folder, and predicts."""
    from types import SimpleNamespace

    from autogluon.tabular import TabularPredictor

    from kagglekit.models.autogluon import AutoGluonModel, AutoGluonParams

    real_fit, calls = TabularPredictor.fit, []

    def fit(self, *args, **kwargs):
        calls.append(kwargs.get("dynamic_stacking"))
        if kwargs.get("dynamic_stacking") is not False:
            (tmp_path / "ag" / "half-written").write_text("x")
            raise RuntimeError("Learner is already fit.")
        return real_fit(self, *args, **kwargs)

    monkeypatch.setattr(TabularPredictor, "fit", fit)
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200)})
    y = (X["a"] > 0).astype(int).to_numpy()
    params = AutoGluonParams(time_limit=30, presets="medium_quality", hyperparameters={"GBM": {"num_boost_round": 50}})
    model = AutoGluonModel(params, "binary", 0, SimpleNamespace(threads=1), path=tmp_path / "ag").fit(X, y)
    assert calls == [None, False] and not (tmp_path / "ag" / "half-written").exists()
    assert ((model.predict_proba(X)[:, 1] > 0.5) == y).mean() > 0.9
