"""Small-data defaults (#14): row subsamples, in-fold calibration, the constant floor, inner-fold early stopping,
and the bench's rows table."""

import shutil

import numpy as np
import pandas as pd
import pytest
import yaml

from kagglekit.core.errors import UserError
from kagglekit.core.files import sample_dir
from kagglekit.core.metrics import get_metric
from kagglekit.core.runs import RunDir
from kagglekit.models.calibration import ProbabilityCalibrator, place_classes
from kagglekit.pipeline import train

QUIET = dict(progress=False, log=lambda *a: None)
LOGLOSS, AUC = get_metric("logloss"), get_metric("roc_auc")


def _overconfident(n: int, seed: int):
    """Labels of a 3-class problem and probabilities that know the signal but are far too sure of it."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(n, 3)) * 1.5
    y = np.array([rng.choice(3, p=np.exp(z) / np.exp(z).sum()) for z in logits])
    sharp = np.exp(4 * logits)
    return y, sharp / sharp.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("method", ["temperature", "platt", "isotonic"])
def test_calibration_fitted_on_other_rows_lowers_the_log_loss_of_an_overconfident_model(method):
    y, proba = _overconfident(3000, 0)
    cal = ProbabilityCalibrator(method).fit(proba[:1500], y[:1500])
    after = cal.transform(proba[1500:])
    assert np.allclose(after.sum(axis=1), 1) and after.min() > 0
    assert LOGLOSS.fn(y[1500:], after) < 0.8 * LOGLOSS.fn(y[1500:], proba[1500:])
    if method == "temperature":  # one scale of the log-probabilities: the ranking of classes is kept
        assert (after.argmax(axis=1) == proba[1500:].argmax(axis=1)).all() and cal.temperature_ > 2


def test_a_row_subsample_is_seeded_stratified_and_a_run_of_its_own(workdir):
    full = train("credit", "constant", ["data=sample"], **QUIET)
    a = train("credit", "constant", ["data=sample", "data.rows=120"], **QUIET)
    b = train("credit", "constant", ["data=sample", "rows=120"], **QUIET)
    c = train("credit", "constant", ["data=sample", "rows=120", "seed=7"], **QUIET)
    y_full, y_a, y_c = (RunDir.at(r.run_dir).load_targets() for r in (full, a, c))
    assert len(y_a) == pytest.approx(120, abs=2) and len(y_full) > 2 * len(y_a)
    assert abs(y_a.mean() - y_full.mean()) < 0.03  # stratified: the class shares are kept
    assert a.run_dir == b.run_dir and a.run_dir != full.run_dir and c.run_dir != a.run_dir
    oof_a = pd.read_csv(a.run_dir / "oof.csv")
    oof_c = pd.read_csv(c.run_dir / "oof.csv")
    assert set(oof_a.iloc[:, 0]) != set(oof_c.iloc[:, 0])  # another seed draws other rows
    with pytest.raises(UserError, match="data.rows"):
        train("credit", "constant", ["data=sample", "rows=3"], **QUIET)


def test_the_constant_model_scores_the_class_prior(workdir):
    res = train("credit", "constant", ["data=sample"], **QUIET)
    y = RunDir.at(res.run_dir).load_targets()
    assert res.record["cv_mean"] == pytest.approx(0.5)  # ROC AUC of a constant
    prior = y.mean()
    entropy = -(prior * np.log(prior) + (1 - prior) * np.log(1 - prior))
    oof = np.load(res.run_dir / "oof.npy")
    assert LOGLOSS.fn(y, oof) == pytest.approx(entropy, rel=0.02)


def test_calibration_option_is_fitted_in_fold_and_recorded(workdir):
    # One forest a fold (no candidate leaf sizes, feature shares or linear mixes to choose among): the option is the point.
    forest = ["data=sample", "folds=3", "model.params.n_estimators=60", "model.params.calibrate=false",
              "model.params.min_samples_leaf=3", "model.params.max_features=0.5", "model.params.linear_weight=0"]
    plain = train("credit", "random_forest", forest, **QUIET)
    cal = train("credit", "random_forest", forest + ["calibration=isotonic"], **QUIET)
    assert cal.run_dir != plain.run_dir
    info = RunDir.at(cal.run_dir).load_fold(0)["info"]
    assert info["calibration"] == "isotonic"
    oof = np.load(cal.run_dir / "oof.npy")
    assert oof.min() > 0 and oof.max() < 1 and np.allclose(oof.sum(axis=1), 1)
    assert cal.record["cv_mean"] > 0.6
    with pytest.raises(UserError, match="regression"):
        train("house-prices", "lasso", ["data=sample", "calibration=platt"], **QUIET)
    with pytest.raises(UserError, match="calibration"):
        train("credit", "ridge", ["data=sample", "calibration=sigmoid"], **QUIET)


@pytest.mark.parametrize("model", ["xgboost", "lightgbm", "catboost", "gbrt"])
def test_a_booster_fits_rows_that_lack_a_class_and_its_probes_split_off_a_class_of_one_row(workdir, model):
    """A fold's rows may lack a class of the target (class 2 here) and an inner split may put a class of one row
    (class 1) on its held side only: XGBoost refused such labels; every booster fits, keeps a column per class, gives
    the absent class next to nothing and learns the rest."""
    from kagglekit.core.config import SpeedConfig
    from kagglekit.models import build_model

    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 4))
    y = np.where(X[:, 0] > 0, 3, 0)
    y[0] = 1  # one row of class 1; none of class 2
    if model == "catboost":  # it eats a frame (its own categories)
        X = pd.DataFrame(X, columns=list("abcd"))
    booster = build_model(model, {"n_estimators": 200}, "multiclass", 0, SpeedConfig(threads=1)).fit(X[:300], y[:300])
    proba = place_classes(booster.predict_proba(X[300:]), booster.classes_, 4)  # as the fold's fitter places them
    assert np.allclose(proba.sum(axis=1), 1) and proba[:, 2].max() < 0.05
    assert np.mean(np.argmax(proba, axis=1) == y[300:]) > 0.85  # chance: about 0.5


@pytest.mark.parametrize("model", ["lightgbm", "gbrt", "xgboost"])
def test_boosters_choose_their_tree_count_on_inner_folds_and_scale_their_probabilities(workdir, model):
    from kagglekit.core.config import SpeedConfig
    from kagglekit.models import build_model

    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 6))
    y = (X[:, 0] + 0.5 * X[:, 1] + rng.normal(scale=1.0, size=400) > 0).astype(int)
    booster = build_model(model, {"n_estimators": 800}, "binary", 0, SpeedConfig(threads=1)).fit(X[:300], y[:300])
    assert 1 <= booster.best_iteration_ < 800  # noisy labels: stopped long before the cap
    assert booster.calibrator_ is not None and booster.calibrator_.temperature_ > 0
    proba = booster.predict_proba(X[300:])
    assert np.allclose(proba.sum(axis=1), 1) and AUC.fn(y[300:], proba) > 0.7  # chance: 0.5; the Bayes rule: about 0.8
    assert LOGLOSS.fn(y[300:], proba) < 0.9 * LOGLOSS.fn(y[300:], np.full_like(proba, 0.5))


def test_forest_probabilities_are_smoothed_and_calibrated_out_of_bag(workdir):
    from kagglekit.core.config import SpeedConfig
    from kagglekit.models import build_model

    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 4))
    y = (X[:, 0] > 0).astype(int)
    forest = build_model("extra_trees", {"n_estimators": 50}, "binary", 0, SpeedConfig(threads=1)).fit(X[:200], y[:200])
    proba = forest.predict_proba(X[200:])
    assert 0 < proba.min() and proba.max() < 1 and forest.calibrator_ is not None and forest.chosen_params_ is not None
    assert AUC.fn(y[200:], proba) > 0.9


def test_a_forest_chooses_leaf_size_and_features_on_out_of_bag_loss_and_the_record_shows_it(workdir):
    from kagglekit.core.config import SpeedConfig
    from kagglekit.models import build_model

    rng = np.random.default_rng(3)
    X = rng.normal(size=(400, 6))
    y = (X[:, 0] + rng.normal(scale=1.5, size=400) > 0).astype(int)  # noisy labels: the leaf size matters
    speed = SpeedConfig(threads=1)
    chosen = build_model("random_forest", {"n_estimators": 60, "linear_weight": 0}, "binary", 0, speed).fit(X[:300], y[:300])
    settings = [{"min_samples_leaf": m, "max_features": f} for m in (1, 3) for f in (0.5, "sqrt")]
    assert {k: v for k, v in chosen.chosen_params_.items() if k != "linear_weight"} in settings
    singles = [build_model("random_forest", {"n_estimators": 60, "linear_weight": 0, **s}, "binary", 0, speed).fit(X[:300], y[:300])
               for s in settings]
    losses = [single.finish_.score(single.forest_.oob_decision_function_, y[:300], None, 0.0)[0] for single in singles]
    best = singles[int(np.argmin(losses))]
    assert not hasattr(best, "chosen_params_")  # one candidate: nothing chosen
    assert np.array_equal(chosen.predict_proba(X[300:]), best.predict_proba(X[300:]))  # the lowest out-of-bag loss wins
    res = train("credit", "extra_trees", ["data=sample", "model.params.n_estimators=40", "model.params.max_features=sqrt"], **QUIET)
    assert [c["max_features"] for c in res.record["chosen_params"]] == ["sqrt"] * len(res.record["fold_scores"])
    assert {c["min_samples_leaf"] for c in res.record["chosen_params"]} <= {1, 3}
    with pytest.raises(UserError, match="min_samples_leaf"):
        train("credit", "random_forest", ["data=sample", "model.params.min_samples_leaf=[0, 2]"], **QUIET)


def test_forest_candidates_are_compared_small_and_only_the_winner_is_grown_to_the_forest_a_full_fit_grows(workdir):
    from kagglekit.core.config import SpeedConfig
    from kagglekit.models import build_model

    rng = np.random.default_rng(5)
    X = rng.normal(size=(400, 6))
    y = (X[:, 0] + rng.normal(scale=1.5, size=400) > 0).astype(int)
    speed, base = SpeedConfig(threads=1), {"n_estimators": 60, "linear_weight": 0}
    chosen = build_model("extra_trees", {**base, "choose_trees": 15}, "binary", 0, speed).fit(X[:300], y[:300])
    assert len(chosen.forest_.estimators_) == 60 and not chosen.forest_.warm_start
    settings = [{"min_samples_leaf": m, "max_features": f} for m in (1, 3) for f in (0.5, "sqrt")]
    small = [build_model("extra_trees", {**base, "n_estimators": 15, **s}, "binary", 0, speed).fit(X[:300], y[:300])
             for s in settings]
    winner = settings[int(np.argmin([f.finish_.score(f.forest_.oob_decision_function_, y[:300], None, 0.0)[0] for f in small]))]
    assert {k: v for k, v in chosen.chosen_params_.items() if k != "linear_weight"} == winner  # chosen at 15 trees
    full = build_model("extra_trees", {**base, **winner}, "binary", 0, speed).fit(X[:300], y[:300])
    assert np.array_equal(chosen.predict_proba(X[300:]), full.predict_proba(X[300:]))  # grown: the full fit's trees

    target = X[:, 0] * 2 + rng.normal(scale=0.5, size=400)
    grid = {"min_samples_leaf": [1, 8], "choose_trees": 10, "n_estimators": 40}
    regressor = build_model("random_forest", grid, "regression", 0, speed).fit(X[:300], target[:300])
    alone = build_model("random_forest", {"n_estimators": 40, **regressor.chosen_params_}, "regression", 0, speed)
    assert np.array_equal(regressor.predict(X[300:]), alone.fit(X[:300], target[:300]).predict(X[300:]))


def test_a_regression_forest_chooses_larger_leaves_on_held_rows_for_a_noisy_target_and_one_row_for_an_exact_one():
    """Regression forests compare leaf sizes 5, 3 and 1 on a held share of the fold's training rows (no bootstrap,
    which would cost extremely randomised trees accuracy where one row a leaf is right): leaves of one row chase the
    noise of a noisy target, and average away the detail of an exact one."""
    from kagglekit.core.config import SpeedConfig
    from kagglekit.models import build_model

    rng = np.random.default_rng(7)
    X = rng.normal(size=(900, 5))
    noisy, exact = X[:, 0] + rng.normal(scale=2.0, size=900), X[:, 0] + X[:, 1] ** 2
    speed = SpeedConfig(threads=1)
    errors = {}
    for name, target in (("noisy", noisy), ("exact", exact)):
        chosen = build_model("extra_trees", {"n_estimators": 100}, "regression", 0, speed).fit(X[:600], target[:600])
        one_row = build_model("extra_trees", {"n_estimators": 100, "min_samples_leaf": 1}, "regression", 0, speed)
        errors[name] = [float(np.mean((m.predict(X[600:]) - target[600:]) ** 2))
                        for m in (chosen, one_row.fit(X[:600], target[:600]))]
        assert not getattr(chosen.forest_, "bootstrap", False)
        leaf = chosen.chosen_params_["min_samples_leaf"]
        assert (leaf > 1) if name == "noisy" else (leaf == 1)
    assert errors["noisy"][0] < errors["noisy"][1]  # the larger leaves predict the noisy target's unseen rows better


def _dense_linear(n: int, seed: int, regression: bool = False):
    """Rows whose target is a sum of ten small slopes: what a linear model finds at once and trees must piece together."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 10))
    signal = X @ np.linspace(0.3, 0.6, 10)
    if regression:
        return X, signal + rng.normal(scale=0.5, size=n)
    return X, (signal + rng.logistic(size=n) > 0).astype(int)


@pytest.mark.parametrize("model", ["lightgbm", "xgboost", "gbrt", "catboost"])
def test_a_booster_started_linear_adds_its_trees_to_the_linear_margin(workdir, model):
    from kagglekit.core.config import SpeedConfig
    from kagglekit.models import build_model
    from kagglekit.models.linear_start import LinearStart

    X, y = _dense_linear(300, 5)
    y3 = np.digitize(X[:, 0] + X[:, 1], [-0.7, 0.7])  # three classes
    X = pd.DataFrame(X, columns=[f"x{j}" for j in range(10)])
    # Almost no boosting (one tree at a tiny rate): the prediction is the linear start's own.
    for labels, task in ((y, "binary"), (y3, "multiclass")):
        params = {"start": "linear", "early_stopping": False, "n_estimators": 1, "learning_rate": 1e-6, "calibrate": False}
        booster = build_model(model, params, task, 0, SpeedConfig(threads=1)).fit(X, labels)
        linear = LinearStart(task, 1.0, labels.max() + 1).fit(X, labels)
        assert booster.start_ == "linear"
        assert np.allclose(booster.predict_proba(X), linear.class_proba(X), atol=1e-4)
    reg = build_model(model, {"start": "linear", "early_stopping": False, "n_estimators": 1, "learning_rate": 1e-6},
                      "regression", 0, SpeedConfig(threads=1)).fit(X, X["x0"].to_numpy() * 3 + 1)
    assert np.allclose(reg.predict(X), LinearStart("regression").fit(X, X["x0"].to_numpy() * 3 + 1).predict(X), atol=1e-3)


def test_a_logistic_start_on_mostly_one_hot_columns_is_fitted_sparse_to_the_dense_fits_probabilities(monkeypatch):
    """A linear start whose design is mostly one-hot columns (few-valued number columns, 1 cell in 12 nonzero) fits its
    logistic model on a sparse matrix (``_thin``: lbfgs's products then skip the zeros) to the dense fit's
    probabilities, and learns."""
    from scipy import sparse
    from sklearn.linear_model import LogisticRegression

    from kagglekit.models import linear_start
    from kagglekit.models.linear_start import LinearStart

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.integers(0, 12, size=(400, 20)), columns=[f"x{j}" for j in range(20)])
    y = np.where(rng.random(400) < 0.2, rng.integers(0, 4, 400), X["x0"] // 3)  # x0's levels, a fifth relabelled
    seen, fit = [], LogisticRegression.fit
    monkeypatch.setattr(LogisticRegression, "fit", lambda self, Z, *a, **k: seen.append(sparse.issparse(Z)) or fit(self, Z, *a, **k))
    thin = LinearStart("multiclass", 1.0, 4).fit(X[:300], y[:300])
    monkeypatch.setattr(linear_start, "SPARSE_SHARE", 0.0)
    dense = LinearStart("multiclass", 1.0, 4).fit(X[:300], y[:300])
    assert seen == [True, False]
    np.testing.assert_allclose(thin.class_proba(X[300:]), dense.class_proba(X[300:]), atol=1e-8)
    assert (np.argmax(thin.class_proba(X[300:]), axis=1) == y[300:]).mean() > 0.5  # chance about 1/4


def test_few_levels_encode_as_scikit_learns_imputer_and_one_hot_encoder():
    """The linear start's one-hot columns of few-valued number columns (``FewLevels``, in NumPy) are scikit-learn's
    imputer-with-flags then one-hot encoder with infrequent values grouped, cell for cell: missing cells, ties for the
    most frequent value, values seen once or twice, unseen values and missing cells where the fitted rows had none."""
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    from kagglekit.models.linear_start import FewLevels

    rng = np.random.default_rng(0)
    fit = pd.DataFrame({"binary": rng.integers(0, 2, 200).astype(float), "levels": rng.integers(0, 6, 200).astype(float),
                        "rare": np.r_[np.zeros(197), 5.0, 7.0, 7.0], "holes": rng.choice([1.0, 2.0, np.nan], 200),
                        "tie": np.r_[np.full(100, 3.0), np.full(100, 1.0)], "few_holes": np.r_[np.ones(198), np.nan, 2.0]})
    fit["levels"] = fit["levels"].astype("Int64")  # a nullable integer column, as pandas reads one with gaps
    fit.loc[5, "levels"] = pd.NA
    test = fit.sample(60, random_state=1).reset_index(drop=True)
    test.loc[0, :] = [9.0, 9, 9.0, 9.0, 9.0, 9.0]  # values never seen
    test.loc[1, ["binary", "tie"]] = np.nan  # missing where the fitted rows had none
    reference = make_pipeline(SimpleImputer(strategy="most_frequent", add_indicator=True),
                              OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=3, sparse_output=False))
    ours = FewLevels().fit(fit)
    reference.fit(fit.astype(float))
    for rows in (fit, test):
        expected = reference.transform(rows.astype(float))
        assert ours.transform(rows).shape == expected.shape
        np.testing.assert_array_equal(ours.transform(rows), expected)


def test_normal_scores_are_scikit_learns_quantile_transformer_to_the_bit():
    """The linear start's normal scores (``NormalScores``: one sort, one normal quantile function) are scikit-learn's
    ``QuantileTransformer(output_distribution="normal")``, bit for bit: ties, a constant column, values past the fitted
    range, missing cells, fewer rows than quantiles, and rows past ``subsample`` (scikit-learn's own fit)."""
    import warnings

    from sklearn.preprocessing import QuantileTransformer

    from kagglekit.models.linear_start import NormalScores

    rng = np.random.default_rng(0)
    for rows, quantiles, subsample in ((600, 300, 10_000), (40, 100, 10_000), (600, 100, 200)):
        X = rng.normal(size=(rows, 30))
        X[:, :10] = np.round(X[:, :10] * 2)  # ties
        X[:, 10] = 3.0
        X[:, 11] *= 1e5
        new = rng.normal(size=(50, 30)) * 3  # past the fitted range
        new[0, 0] = np.nan
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # more quantiles than rows
            theirs = QuantileTransformer(n_quantiles=quantiles, output_distribution="normal", subsample=subsample,
                                         random_state=0).fit(X)
            ours = NormalScores(n_quantiles=quantiles, subsample=subsample, random_state=0).fit(X)
        np.testing.assert_array_equal(ours.quantiles_, theirs.quantiles_)
        for rows_in in (X, new):
            np.testing.assert_array_equal(ours.transform(rows_in), theirs.transform(rows_in))


def test_few_valued_columns_whose_one_hot_outnumbers_the_rows_take_normal_scores_and_still_learn():
    """A target encoding of many classes makes hundreds of number columns with a few dozen values each: one-hot, they
    would outnumber the rows many times over and the logistic fit would cost most of a booster's fold, so they take
    normal scores. Under the rows, few-valued columns stay one-hot. Fitting and encoding the fitted rows is one pass
    (``fit_transform``)."""
    from sklearn.metrics import log_loss

    from kagglekit.models.linear_start import LinearEncoding, LinearStart

    rng = np.random.default_rng(0)
    n, classes, columns = 600, 12, 40
    y = rng.integers(0, classes, n)
    levels = np.where(rng.random((n, columns)) < 0.4, (y[:, None] * 3 + np.arange(columns)) % 25,
                      rng.integers(0, 25, (n, columns)))
    # each column's share of class (column mod classes) among its level's rows: 25 values a column, as an encoding
    share = np.stack([[np.mean(y[levels[:, j] == v] == j % classes) for v in range(25)] for j in range(columns)])
    X = share[np.arange(columns), levels] + 0.3 * (np.arange(columns) % 3)
    wide = LinearEncoding()
    design = wide.fit_transform(X[:400])
    assert design.shape[1] == columns  # 40 x 25 one-hot columns would outnumber the 400 rows
    np.testing.assert_array_equal(design, wide.transform(X[:400]))
    assert LinearEncoding().fit_transform(X[:400, :10]).shape[1] > 100  # 10 columns of up to 25 values: one-hot, as before
    scores = LinearStart("multiclass", 1.0, classes, wide).fit_design(design, y[:400]).class_proba(X[400:])
    assert log_loss(y[400:], scores, labels=range(classes)) < 0.8 * np.log(classes)


def test_a_linear_started_catboost_reads_a_text_column_as_text_when_pandas_read_the_test_rows_as_numbers(workdir):
    from kagglekit.core.config import SpeedConfig
    from kagglekit.models import build_model
    from kagglekit.models.linear_start import LinearStart

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"x": rng.normal(size=300), "kind": rng.choice(["a", "b", "c"], 300)})
    y = X["x"].to_numpy() * 2 + (X["kind"] == "a").to_numpy() + rng.normal(scale=0.1, size=300)
    as_text = pd.DataFrame({"x": rng.normal(size=8), "kind": pd.Series([None] * 8, dtype=object)})
    as_numbers = as_text.assign(kind=np.nan)  # how pandas reads a test.csv whose column is empty
    assert as_numbers["kind"].dtype == float
    linear = LinearStart("regression").fit(X, y)
    assert np.allclose(linear.predict(as_numbers), linear.predict(as_text))
    booster = build_model("catboost", {"start": "linear", "n_estimators": 50}, "regression", 0,
                          SpeedConfig(threads=1)).fit(X, y)
    assert booster.start_ == "linear"
    assert np.allclose(booster.predict(as_numbers), booster.predict(as_text))


@pytest.mark.parametrize("model", ["lightgbm", "xgboost"])
def test_on_a_small_linear_problem_boosters_choose_the_linear_start_and_gain_from_it(workdir, model):
    from kagglekit.core.config import SpeedConfig
    from kagglekit.models import build_model

    X, y = _dense_linear(1400, 6)
    speed = SpeedConfig(threads=1)
    auto = build_model(model, {}, "binary", 0, speed).fit(X[:400], y[:400])
    prior = build_model(model, {"start": "prior"}, "binary", 0, speed).fit(X[:400], y[:400])
    assert auto.start_ == "linear" and auto.start_losses_["linear"] < auto.start_losses_["prior"]
    assert prior.start_ == "prior" and prior.start_losses_ is None
    held = (y[400:], auto.predict_proba(X[400:]), prior.predict_proba(X[400:]))
    assert AUC.fn(held[0], held[1]) > AUC.fn(held[0], held[2]) + 0.01
    assert LOGLOSS.fn(held[0], held[1]) < LOGLOSS.fn(held[0], held[2])
    # Regression too: the inner folds compare squared errors.
    Xr, yr = _dense_linear(1400, 7, regression=True)
    reg = build_model(model, {}, "regression", 0, speed).fit(Xr[:400], yr[:400])
    flat = build_model(model, {"start": "prior"}, "regression", 0, speed).fit(Xr[:400], yr[:400])
    assert reg.start_ == "linear"
    assert np.mean((reg.predict(Xr[400:]) - yr[400:]) ** 2) < 0.8 * np.mean((flat.predict(Xr[400:]) - yr[400:]) ** 2)
    with pytest.raises(UserError, match="start"):
        train("credit", model, ["data=sample", "model.params.start=zero"], **QUIET)


def test_a_forest_mixes_in_a_linear_model_when_its_out_of_bag_rows_say_so(workdir):
    from kagglekit.core.config import SpeedConfig
    from kagglekit.models import build_model

    X, y = _dense_linear(1400, 8)
    speed = SpeedConfig(threads=1)
    mixed = build_model("random_forest", {"n_estimators": 100}, "binary", 0, speed).fit(X[:400], y[:400])
    alone = build_model("random_forest", {"n_estimators": 100, "linear_weight": 0}, "binary", 0, speed).fit(X[:400], y[:400])
    assert mixed.chosen_params_["linear_weight"] > 0 and alone.chosen_params_["linear_weight"] == 0
    assert AUC.fn(y[400:], mixed.predict_proba(X[400:])) > AUC.fn(y[400:], alone.predict_proba(X[400:])) + 0.01
    large = build_model("random_forest", {"n_estimators": 20, "linear_rows": 300}, "binary", 0, speed).fit(X[:400], y[:400])
    assert large.chosen_params_["linear_weight"] == 0  # above linear_rows: the forest alone
    res = train("credit", "extra_trees", ["data=sample", "model.params.n_estimators=40"], **QUIET)
    assert all("linear_weight" in c for c in res.record["chosen_params"])
    with pytest.raises(UserError, match="linear_weight"):
        train("credit", "random_forest", ["data=sample", "model.params.linear_weight=1.5"], **QUIET)


def test_a_multilabel_forest_is_one_forest_for_every_label_each_label_finished_on_its_own(workdir):
    """One forest for all the labels; each varied label its own out-of-bag linear share and temperature (a label that
    follows a slope takes the linear model's share, one that follows a step does not); a constant label is predicted
    as its constant, and a single varied label works as well."""
    from sklearn.metrics import roc_auc_score

    from kagglekit.core.config import SpeedConfig
    from kagglekit.models import build_model

    X, slope = _dense_linear(1000, 8)
    step = (np.abs(X[:, 0]) > 1).astype(int)  # a forest's split, no slope
    Y = np.column_stack([slope, step, np.zeros(len(X), dtype=int)])
    speed = SpeedConfig(threads=1)
    forest = build_model("extra_trees", {"n_estimators": 60}, "multilabel", 0, speed).fit(X[:400], Y[:400])
    assert forest.forest_.n_outputs_ == 2 and len(forest.forest_.estimators_) == 60
    weights = forest.chosen_params_["linear_weight"]
    assert len(weights) == 2 and weights[0] > weights[1]
    proba = forest.predict_proba(X[400:])
    assert proba.shape == (600, 3) and np.all(proba[:, 2] == 0) and 0 < proba[:, :2].min() and proba[:, :2].max() < 1
    assert min(roc_auc_score(Y[400:, j], proba[:, j]) for j in range(2)) > 0.8
    one = build_model("random_forest", {"n_estimators": 30}, "multilabel", 0, speed).fit(X[:400], Y[:400, [1, 2]])
    assert one.predict_proba(X[400:]).shape == (600, 2) and roc_auc_score(Y[400:, 1], one.predict_proba(X[400:])[:, 0]) > 0.8


def test_bench_runs_every_config_at_each_row_count_and_writes_the_table(workdir, tmp_path, monkeypatch, capsys):
    from kagglekit.commands import main
    from kagglekit.core.paths import ROOT

    train("credit", "constant", ["data=sample"], **QUIET)  # writes the sample
    shutil.copytree(ROOT / "configs", tmp_path / "configs")
    monkeypatch.setenv("KAGGLEKIT_CONFIGS", str(tmp_path / "configs"))
    (tmp_path / "configs/credit/bench.yaml").write_text(yaml.safe_dump({
        "data_dir": str(sample_dir("credit")), "configs": ["constant", "logistic"], "rows": [150, None],
        "metrics": ["logloss", "roc_auc"], "baseline": "constant", "reference": "logistic"}))
    assert main(["bench", "comp=credit", "folds=3"]) == 0
    table = (workdir / "runs/credit/bench-rows.md").read_text()
    assert "credit, 150 rows" in table and "credit, all" in table
    rows = [line for line in table.splitlines() if line.startswith("| logistic")]
    assert len(rows) == 2
    ratio_to_prior = float(rows[0].split("|")[4])
    assert ratio_to_prior < 0.95  # logistic regression learns something a constant cannot


def test_catboost_reads_the_raw_frame_with_its_categories_and_early_stops(workdir):
    quick = ["data=sample", "folds=2", "model.params.early_stopping_rounds=40"]  # stopping is checked, not its patience
    res = train("credit", "catboost", quick + ["model.params.n_estimators=400"], **QUIET)
    assert res.record["cv_mean"] > 0.6 and all(1 <= c <= 400 for c in res.record["best_iterations"])
    sub = pd.read_csv(res.submission)
    assert sub["Status"].between(0, 1).all()
    reg = train("house-prices", "catboost", quick + ["model.params.n_estimators=300"], **QUIET)
    assert reg.record["cv_mean"] < 0.3  # RMSE of log prices; predicting the mean scores about 0.4 on the sample
