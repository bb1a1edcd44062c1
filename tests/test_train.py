import json

import numpy as np
import pandas as pd
import pytest

from conftest import FAST
from kagglekit.pipeline import train


def _baseline_rmse_log(train_csv):
    y = np.log(pd.read_csv(train_csv)["SalePrice"])
    return float(np.sqrt(np.mean((y - y.mean()) ** 2)))


@pytest.mark.parametrize("model", ["lightgbm", "lasso", "ridge", "gbrt", "random_forest", "mlp", "svr", "kernel_ridge", "tabm"])
def test_every_model_learns_and_writes_a_valid_submission(model, workdir):
    result = train("house-prices", model, ["data=sample"] + FAST.get(model, []), progress=False, log=lambda *a: None)
    rec = result.record
    baseline = _baseline_rmse_log(workdir / "data/samples/house-prices/train.csv")
    # Far better than predicting the mean log price on every fold: the model learned the signal.
    assert rec["cv_mean"] < 0.6 * baseline, (rec["cv_mean"], baseline)
    assert len(rec["fold_scores"]) == (2 if model == "tabm" else 5) and rec["cv_std"] >= 0
    sub = pd.read_csv(result.submission)
    sample = pd.read_csv(workdir / "data/samples/house-prices/sample_submission.csv")
    assert list(sub.columns) == ["Id", "SalePrice"]
    assert sub["Id"].tolist() == sample["Id"].tolist()
    assert np.isfinite(sub["SalePrice"]).all() and (sub["SalePrice"] > 0).all()
    assert f"cv{rec['cv_mean']:.5f}" in result.submission.name and model in result.submission.name
    oof = pd.read_csv(result.run_dir / "oof.csv")
    assert len(oof) == 600 and oof["oof"].notna().all()
    for name in ("config.yaml", "folds.csv", "scores.json", "record.json", "test_pred.csv", "train.log", "oof.npy", "test.npy"):
        assert (result.run_dir / name).exists(), name
    if model == "mlp":  # a torch model's fold says where it trained (here, without a GPU, the CPU)
        assert json.loads((result.run_dir / "fold_0.json").read_text())["device"] == "cpu"


def test_all_models_share_one_fold_file(workdir):
    a = train("house-prices", "lasso", ["data.sample=true"], progress=False, log=lambda *a: None)
    b = train("house-prices", "ridge", ["data.sample=true"], progress=False, log=lambda *a: None)
    assert a.record["folds_file"] == b.record["folds_file"]
    assert (a.run_dir / "folds.csv").read_text() == (b.run_dir / "folds.csv").read_text()
    folds = pd.read_csv(a.run_dir / "folds.csv")
    assert sorted(folds["fold"].unique()) == [0, 1, 2, 3, 4]


def test_fit_filter_rows_are_scored_but_not_fitted(workdir):
    res = train("house-prices", "lasso", ["data.sample=true", "fit_filter='GrLivArea > 2000'", "drop_residual_sd=null"], progress=False, log=lambda *a: None)
    infos = [json.loads((res.run_dir / f"fold_{k}.json").read_text()) for k in range(5)]
    tr = pd.read_csv(workdir / "data/samples/house-prices/train.csv")
    n_big = int((tr["GrLivArea"] > 2000).sum())
    assert n_big > 0
    assert sum(i["n_train"] - i["n_fit"] for i in infos) == 4 * n_big  # each such row sits in 4 training parts
    assert sum(i["n_valid"] for i in infos) == len(tr)  # ...and every row is still validated once


def test_resume_after_crash_gives_the_same_result(workdir, monkeypatch):
    import kagglekit.tasks.tabular as train_mod

    args = ["data.sample=true"]
    real = train_mod.TableFoldFitter
    calls, crash = [], [True]

    def crashing(*a, **kw):
        fit = real(*a, **kw)

        def fit_fold(k, tr, va):
            calls.append(k)
            if k == 3 and crash[0]:
                crash[0] = False
                raise RuntimeError("simulated crash")
            return fit(k, tr, va)

        return fit_fold

    monkeypatch.setattr(train_mod, "TableFoldFitter", crashing)
    with pytest.raises(RuntimeError):
        train("house-prices", "lasso", args, progress=False, log=lambda *a: None)
    assert calls == [0, 1, 2, 3]
    calls.clear()
    resumed = train("house-prices", "lasso", args, progress=False, log=lambda *a: None)
    assert calls == [3, 4]  # finished folds were not recomputed
    monkeypatch.setattr(train_mod, "TableFoldFitter", real)
    fresh_dir = workdir / "fresh"
    monkeypatch.setenv("KAGGLEKIT_WORKDIR", str(fresh_dir))
    fresh = train("house-prices", "lasso", [f"data_dir={workdir / 'data/samples/house-prices'}"], progress=False, log=lambda *a: None)
    assert fresh.record["run_id"] == resumed.record["run_id"]
    np.testing.assert_allclose(np.load(fresh.run_dir / "oof.npy"), np.load(resumed.run_dir / "oof.npy"))
    np.testing.assert_allclose(np.load(fresh.run_dir / "test.npy"), np.load(resumed.run_dir / "test.npy"))


def test_only_folds_runs_a_subset_without_submission(workdir):
    res = train("house-prices", "lasso", ["data.sample=true", "cv.only_folds=[0]"], progress=False, log=lambda *a: None)
    assert res.submission is None and res.record["n_folds"] == 1
    assert not (res.run_dir / "record.json").exists()
    full = train("house-prices", "lasso", ["data.sample=true"], progress=False, log=lambda *a: None)
    assert full.run_dir == res.run_dir and full.record["fold_scores"][0] == res.record["fold_scores"][0]


def test_kernel_ridge_is_refused_for_classes_with_one_line(workdir):
    from kagglekit.core.errors import UserError

    with pytest.raises(UserError, match="kernel_ridge is a regression model"):
        train("credit", "kernel_ridge", ["data=sample"], progress=False, log=lambda *a: None)


@pytest.mark.parametrize("hidden", [False, True])
def test_progress_bars_show_unless_tqdm_disable_is_set(hidden, workdir, monkeypatch, capsys):
    """Our bars pass tqdm an explicit disable=, which beats its TQDM_DISABLE variable: we honour it ourselves."""
    monkeypatch.setenv("TQDM_DISABLE", "1" if hidden else "")
    train("house-prices", "mlp", ["data.sample=true", "model.params.max_epochs=3", "cv.only_folds=[0]"],
          progress=True, log=lambda *a: None)
    err = capsys.readouterr().err
    assert ("folds" in err and "epochs" in err) != hidden, err[-500:]


def test_a_support_vector_classifier_gives_probabilities_without_a_warning_every_fit():
    """scikit-learn 1.9 deprecates SVC(probability=True) with a FutureWarning at every fit (five a run); its suggested
    replacement scored far worse on several classes, so the warning is silenced where the model is built."""
    import warnings

    from sklearn.datasets import make_classification

    from kagglekit.core.config import SpeedConfig
    from kagglekit.models import build_model

    X, y = make_classification(300, 6, n_informative=4, n_classes=3, n_clusters_per_class=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = build_model("svr", {}, "multiclass", 0, SpeedConfig(threads=1)).fit(X[:200], y[:200])
    proba = model.predict_proba(X[200:])
    assert proba.shape == (100, 3) and np.allclose(proba.sum(1), 1)
    assert (proba.argmax(1) == y[200:]).mean() > 0.6  # chance is 1/3
