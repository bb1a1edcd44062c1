import numpy as np
import pytest

from kagglekit.ensembles import ensemble, get_combiner, honest_cv, method_names
from kagglekit.core.errors import UserError
from kagglekit.core.metrics import get_metric
from kagglekit.pipeline import train

QUIET = dict(progress=False, log=lambda *a: None)


@pytest.fixture(scope="module")
def _trained(tmp_path_factory):
    """Three runs on the generated sample, trained once for the module in a workdir of their own."""
    folder = tmp_path_factory.mktemp("three_runs")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KAGGLEKIT_WORKDIR", str(folder))
        runs = [train("house-prices", m, ["data=sample"] + x, **QUIET)
                for m, x in [("lasso", []), ("lightgbm", ["model.params.n_estimators=150"]), ("svr", [])]]
    return folder, runs


@pytest.fixture
def three_runs(_trained, workdir):
    """The module's three runs, copied into this test's workdir (each test may add runs and ensembles of its own)."""
    import shutil

    folder, runs = _trained
    shutil.copytree(folder, workdir, dirs_exist_ok=True)
    return runs


def test_blend_weights_are_valid_and_favour_the_better_member():
    rng = np.random.default_rng(0)
    y = rng.normal(size=400)
    P = np.stack([y + rng.normal(0, 0.2, 400), y + rng.normal(0, 0.6, 400), rng.normal(size=400)])
    rmse = get_metric("rmse")
    for w in (get_combiner(m, "regression").fit(P, y, rmse).weights_ for m in ("blend", "hill")):
        assert (w >= 0).all() and abs(w.sum() - 1) < 1e-9
        assert w[0] > w[1] and w[2] < 0.05


def test_stacking_on_noise_members_is_no_better_than_chance():
    """Members whose OOF predictions are pure noise must not give a stacked CV better than the mean."""
    rng = np.random.default_rng(1)
    y = rng.normal(12, 0.4, 600)
    folds = np.arange(600) % 5
    P = rng.normal(12, 0.4, (4, 600))
    rmse = get_metric("rmse")
    chance = np.mean([np.sqrt(np.mean((y[folds == k] - y[folds != k].mean()) ** 2)) for k in range(5)])
    for meta in ("ridge", "lightgbm"):
        _, scores = honest_cv(P, y, folds, rmse, lambda: get_combiner("stack", "regression", 0, meta))
        assert np.mean(scores) >= chance * 0.99, (meta, np.mean(scores), chance)
    # A leaky stack (meta fitted on all rows, scored on the same rows) would look better than chance:
    leaky = rmse.fn(y, get_combiner("stack", "regression", 0, "lightgbm").fit(P, y, rmse).apply(P))
    assert leaky < chance * 0.95


def test_a_stack_scored_by_absolute_errors_fits_the_median():
    """Under MAE the meta model fits absolute errors: on a skewed target a member that predicts the median is kept as
    it is, where a squared-error meta model scales it up towards the mean (worse MAE)."""
    rng = np.random.default_rng(3)
    signal = rng.normal(0, 0.5, 1500)
    y = np.exp(signal + rng.normal(0, 1.0, 1500))
    P = np.stack([np.exp(signal), np.exp(signal) * rng.lognormal(0, 0.3, 1500)])
    folds = np.arange(1500) % 5
    mae, rmse = get_metric("mae"), get_metric("rmse")
    for meta in ("ridge", "lightgbm"):
        _, median_fit = honest_cv(P, y, folds, mae, lambda: get_combiner("stack", "regression", 0, meta))
        squared, _ = honest_cv(P, y, folds, rmse, lambda: get_combiner("stack", "regression", 0, meta))
        squared_fit = np.mean([mae.fn(y[folds == k], squared[folds == k]) for k in range(5)])
        assert np.mean(median_fit) < 0.95 * squared_fit, (meta, np.mean(median_fit), squared_fit)


def test_stacking_many_classes_keeps_every_class_column_when_a_fold_lacks_one():
    """A class whose few rows all sit in one fold is missing from the rows the meta model is fitted on for that fold:
    its column must still be there (probability 0), not the whole stack fail on a shape."""
    rng = np.random.default_rng(2)
    y = np.r_[np.arange(6).repeat(40), 6]  # class 6 has a single row: every fold but its own lacks it
    folds = np.arange(len(y)) % 5
    truth = np.eye(7)[y]
    P = np.stack([0.6 * truth + 0.4 * rng.dirichlet(np.ones(7), len(y)), rng.dirichlet(np.ones(7), len(y))])
    accuracy = get_metric("accuracy")
    for meta in ("ridge", "lightgbm"):
        out, scores = honest_cv(P, y, folds, accuracy, lambda: get_combiner("stack", "multiclass", 0, meta))
        assert out.shape == (len(y), 7) and np.mean(scores) > 0.5, (meta, scores)


def test_ensemble_is_saved_as_a_run_and_beats_or_matches_members(three_runs, workdir):
    for method in method_names():  # every registered method, median included
        if method == "rank":
            continue
        out = ensemble("house-prices", top=3, method=method, log=lambda *a: None)
        rec = out.record
        assert rec["model"] == f"ensemble:{method}" and len(rec["members"]) == 3
        assert (out.run_dir / "oof.npy").exists() and out.submission.exists()
        if rec["weights"]:
            assert abs(sum(rec["weights"]) - 1) < 1e-6 and min(rec["weights"]) >= 0
    best = min(r.record["cv_mean"] for r in three_runs)
    assert rec["cv_mean"] < best * 1.05
    from kagglekit.comparison import compare_table

    assert "ensemble:stack" in set(compare_table("house-prices")["model"])


def test_refuses_runs_on_different_folds(three_runs, workdir):
    other = train("house-prices", "ridge", ["data=sample", "seed=3"], **QUIET)
    with pytest.raises(UserError, match="different folds or different data"):
        ensemble("house-prices", run_ids=[three_runs[0].record["run_id"], other.record["run_id"]], log=lambda *a: None)


def test_rank_is_for_classification_only(three_runs):
    with pytest.raises(UserError, match="does not combine regression targets; use blend, hill, mean, median, stack"):
        ensemble("house-prices", top=2, method="rank", log=lambda *a: None)


def test_one_data_folder_spelled_two_ways_is_one_data_set(workdir, monkeypatch):
    """`make bench` records its data folder as an absolute path, `make train data_dir=../x` as typed: `top=N` and
    `compare` must still see both runs as runs on the same data."""
    from helpers import sample_copy

    from kagglekit.comparison import compare_table

    folder = sample_copy("house-prices", workdir / "hp")
    monkeypatch.chdir(workdir)
    a = train("house-prices", "lasso", ["data_dir=hp"], **QUIET)
    b = train("house-prices", "svr", [f"data_dir={folder.resolve()}"], **QUIET)
    assert a.record["data"] != b.record["data"]
    made = ensemble("house-prices", top=2, method="blend", data_label=str(folder))
    assert sorted(made.record["members"]) == sorted([a.record["run_id"], b.record["run_id"]])
    assert len(compare_table("house-prices", data_label="hp")) == 3  # both runs and the ensemble
