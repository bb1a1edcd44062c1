"""Boosters at a bounded cost (#27): a tree budget for many classes, a minimum improvement that ends a probe at a
plateau, a start race that stops once decided, the probes' seconds in the record, and the plain library fit that
`make bench` prices every booster against."""

import pickle
import shutil

import numpy as np
import pytest
import yaml

from kagglekit.core.config import SpeedConfig
from kagglekit.core.files import sample_dir
from kagglekit.core.runs import RunDir
from kagglekit.models import build_model
from kagglekit.pipeline import train

QUIET = dict(progress=False, log=lambda *a: None)
SPEED = SpeedConfig(threads=1)
FAST_GBRT = ["model.params.n_estimators=100", "model.params.learning_rate=0.1"]


def _classes(n: int, k: int, seed: int = 0):
    from sklearn.datasets import make_classification

    return make_classification(n, 12, n_informative=8, n_classes=k, n_clusters_per_class=1, class_sep=2.0,
                               random_state=seed)


def _frame(X):
    """X as a frame of columns x0, x1, ... (CatBoost reads a frame)."""
    import pandas as pd

    return pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])


@pytest.mark.parametrize("model", ["lightgbm", "xgboost"])
def test_a_tree_budget_bounds_a_many_class_booster_which_still_learns(model):
    X, y = _classes(700, 14)
    booster = build_model(model, {"max_trees": 700, "start": "prior"}, "multiclass", 0, SPEED).fit(X[:500], y[:500])
    assert booster.cap_ == 50 and booster.best_iteration_ <= 50  # 700 trees / 14 per iteration
    # the budget cut 2,000 to 50: the rate doubles (at most; XGBoost on a small set: triples)
    assert booster.rate_scale_ == pytest.approx(3.0 if model == "xgboost" else 2.0)
    accuracy = (np.argmax(booster.predict_proba(X[500:]), axis=1) == y[500:]).mean()
    assert accuracy > 0.5  # chance is 1/14
    assert booster.probe_seconds_ > 0 and booster.final_seconds_ > 0


def test_a_wide_many_class_table_prices_a_tree_by_its_columns_and_still_learns():
    """A tree costs XGBoost's CPU histograms every column and LightGBM's column sampling a little per column, so past
    FREE_COLUMNS the tree budget divides by a tree's price (``_width_price``): 50 classes of a 1,510-column target
    encoding take XGBoost to the 50-iteration floor and LightGBM to 102; up to 100 columns, and GBRT (which samples
    its columns at each node), nothing changes."""
    from kagglekit.models.boosting import FREE_COLUMNS

    def cap(model, columns, classes=50, rows=1280):
        booster = build_model(model, {}, "multiclass", 0, SPEED)
        booster._shape(rows, columns, classes)
        return booster.cap_

    assert cap("xgboost", 60) == cap("xgboost", FREE_COLUMNS) == cap("lightgbm", FREE_COLUMNS) == 160  # 8,000 / 50
    assert cap("xgboost", 1510) == 50 and cap("lightgbm", 1510) == 102
    assert cap("gbrt", 1510) == cap("gbrt", 60)
    X, y = _classes(700, 14)
    wide = np.hstack([X, np.random.default_rng(0).normal(size=(700, 500))])  # 512 columns
    booster = build_model("xgboost", {"start": "prior"}, "multiclass", 0, SPEED).fit(wide[:500], y[:500])
    assert booster.cap_ == int(8000 / (1 + 0.004 * (512 - FREE_COLUMNS))) // 14 < cap("xgboost", 12, 14, 500)
    assert (np.argmax(booster.predict_proba(wide[500:]), axis=1) == y[500:]).mean() > 0.5  # chance is 1/14


def test_xgboost_on_a_small_many_class_set_raises_its_rate_by_the_whole_budget_cut():
    """Where the tree budget cuts the iterations (many classes), the other boosters' rate rises by the square root of the
    cut; XGBoost's, on up to small_rate_rows rows, by the whole cut (at most 3x): 10 classes 0.125, not 0.079."""
    from kagglekit.models.boosting import EarlyStoppedXGBoost

    def shaped(model, rows, classes):
        booster = build_model(model, {}, "multiclass", 0, SPEED)
        booster._shape(rows, 64, classes)
        return booster

    ten, six = shaped("xgboost", 1500, 10), shaped("xgboost", 800, 6)
    assert ten.cap_ == 800 and ten._rate() == pytest.approx(0.125)  # 8,000 trees / 10 classes cut 2,000 by 2.5
    assert shaped("xgboost", 1500, 32)._rate() == pytest.approx(0.15)  # cut by 8: the rise stops at 3x
    assert six._rate() == pytest.approx(0.075, rel=1e-3)  # cut by 2,000 / 1,333
    assert shaped("lightgbm", 1500, 10)._rate() == pytest.approx(0.05 * np.sqrt(2.5))
    larger = shaped("xgboost", 3000, 10)  # XGBoost's class_rate band: the square root, as before
    assert larger._rate() == pytest.approx(EarlyStoppedXGBoost.class_rate * np.sqrt(2.5))


@pytest.mark.parametrize("model", ["lightgbm", "xgboost", "catboost"])
def test_a_booster_past_its_deadline_stops_after_its_probes_without_the_final_fit(model, monkeypatch):
    """Inside a portfolio member's deadline (core/deadline.py) a booster that has used it up on its probes stops
    before the final fit; with the deadline ahead, or none, it fits as always."""
    import time

    import kagglekit.models.boosting as boosting
    from kagglekit.core.deadline import PastDeadline, stop_at

    X, y = _classes(300, 2)
    X = _frame(X)
    probed = []
    race = boosting.EarlyStopped._race

    def timed_race(self, *args):
        probed.append(model)
        return race(self, *args)

    monkeypatch.setattr(boosting.EarlyStopped, "_race", timed_race)
    with stop_at(time.perf_counter() - 1), pytest.raises(PastDeadline, match="still fitting when the budget ran out"):
        build_model(model, {}, "binary", 0, SPEED).fit(X, y)
    assert probed == [model]  # it probed, then stopped
    with stop_at(time.perf_counter() + 600):
        fitted = build_model(model, {}, "binary", 0, SPEED).fit(X, y)
    assert fitted.final_seconds_ > 0
    pickle.loads(pickle.dumps(fitted))  # the deadline's callbacks are not kept in the model


@pytest.mark.parametrize("model,params", [
    ("lightgbm", {"early_stopping": False, "n_estimators": 300_000}),
    ("xgboost", {"early_stopping": False, "n_estimators": 300_000}),
    ("catboost", {"early_stopping": False, "n_estimators": 300_000}),
    ("gbrt", {"early_stopping": False, "n_estimators": 300_000}),
    ("lightgbm", {"n_estimators": 300_000, "max_trees": 0, "min_improvement": 0.0, "early_stopping_rounds": 300_000,
                  "inner_cv_rounds": 300_000}),  # probes that would never stop
    ("extra_trees", {"n_estimators": 100_000}),
    ("random_forest", {"n_estimators": 100_000, "min_samples_leaf": 1, "max_features": 0.5}),
])
@pytest.mark.parametrize("task", ["binary", "regression"])
def test_a_fit_that_would_run_for_minutes_stops_inside_the_library_once_the_deadline_passes(model, params, task):
    """A portfolio member's deadline reaches inside the libraries' own fits (a callback each iteration; a forest grows
    by steps of trees): a fit of minutes stops with PastDeadline about when the deadline passes, not at its end."""
    import time

    from kagglekit.core.deadline import PastDeadline, stop_at

    X, y = _classes(300, 2)
    if task == "regression":
        y = X[:, 0] * 2 + X[:, 1] + np.random.default_rng(0).normal(size=len(y))
    X = _frame(X)
    if model in ("extra_trees", "random_forest"):
        X = X.to_numpy()
    began = time.perf_counter()
    with stop_at(began + 1.0), pytest.raises(PastDeadline, match="still fitting when the budget ran out"):
        build_model(model, params, task, 0, SPEED).fit(X, y)
    assert time.perf_counter() - began < 10  # the whole fit would take minutes


def test_a_forest_grown_by_steps_under_a_deadline_is_the_forest_one_fit_grows():
    """Growing by warm-started steps (where a deadline is set) draws the random states one fit draws: the same trees,
    the same out-of-bag scores, the same predictions."""
    import time

    from kagglekit.core.deadline import stop_at

    X, y = _classes(300, 3)
    params = {"n_estimators": 130, "choose_trees": 60}
    plain = build_model("random_forest", params, "multiclass", 0, SPEED).fit(X[:200], y[:200])
    with stop_at(time.perf_counter() + 600):
        stepped = build_model("random_forest", params, "multiclass", 0, SPEED).fit(X[:200], y[:200])
    assert len(stepped.forest_.estimators_) == 130
    np.testing.assert_array_equal(stepped.forest_.oob_decision_function_, plain.forest_.oob_decision_function_)
    np.testing.assert_array_equal(stepped.predict_proba(X[200:]), plain.predict_proba(X[200:]))
    reg = X[:, 0] * 3 + X[:, 1]
    plain = build_model("extra_trees", {"n_estimators": 130}, "regression", 0, SPEED).fit(X[:200], reg[:200])
    with stop_at(time.perf_counter() + 600):
        stepped = build_model("extra_trees", {"n_estimators": 130}, "regression", 0, SPEED).fit(X[:200], reg[:200])
    np.testing.assert_array_equal(stepped.predict(X[200:]), plain.predict(X[200:]))


def test_gbrt_bounds_many_classes_and_boosts_from_the_linear_start_it_fitted():
    """scikit-learn GBRT above 4 classes grows at most max_class_trees trees a fit, and is handed its fitted linear
    start (never fitting it again on the same rows), yet learns."""
    X, y = _classes(400, 8)
    booster = build_model("gbrt", {"max_class_trees": 400, "start": "linear", "n_estimators": 200}, "multiclass", 0,
                          SPEED).fit(X[:300], y[:300])
    assert booster.cap_ == 50 and booster.best_iteration_ <= 50  # 400 trees / 8 per iteration
    assert booster.model_.init_.start is booster.linear_
    accuracy = (np.argmax(booster.predict_proba(X[300:]), axis=1) == y[300:]).mean()
    assert accuracy > 0.5  # chance is 1/8


def test_catboost_regularises_many_small_classes_as_a_balanced_binary_target():
    """CatBoost's leaf L2 is scaled by a class row's hessian at the prior, 4(K-1)/K^2 (as LightGBM's and XGBoost's):
    16 classes of about 40 rows learn more in the same trees than at the unscaled value, which shrinks every leaf
    as if each class row weighed as much as a balanced binary one."""
    from sklearn.datasets import make_classification
    from sklearn.metrics import log_loss

    X, y = make_classification(900, 12, n_informative=8, n_classes=16, n_clusters_per_class=1, class_sep=2.0,
                               random_state=0)
    X = _frame(X)
    scale = 4 * 15 / 16**2

    def fitted(l2):
        params = {"early_stopping": False, "n_estimators": 100, "learning_rate": 0.1, "l2_leaf_reg": l2}
        return build_model("catboost", params, "multiclass", 0, SPEED).fit(X[:600], y[:600])

    scaled, unscaled = fitted(3.0), fitted(3.0 / scale)  # the second's leaves see 3.0, as they did before the scale
    assert scaled.model_.get_params()["l2_leaf_reg"] == pytest.approx(3.0 * scale)
    assert unscaled.model_.get_params()["l2_leaf_reg"] == pytest.approx(3.0)

    def loss(booster):
        return log_loss(y[600:], booster.predict_proba(X[600:]), labels=range(16))

    assert loss(scaled) < 0.92 * loss(unscaled)


# (model, a class-tree budget of 50 iterations at 10 classes and the final rate it gives, a budget the held rows of a
# noisy target stop well short of and its rate): GBRT's own rate 0.03; CatBoost's 0.05 on 600 rows, 2x for a cut budget
CAPPED_RATES = [("gbrt", {"max_class_trees": 400}, 0.03, {"max_class_trees": 4000}, 0.03),
                ("catboost", {"max_trees": 500}, 0.1, {"max_trees": 40000}, 0.05)]


@pytest.mark.parametrize("model, budget, rate, free_budget, free_rate", CAPPED_RATES, ids=[c[0] for c in CAPPED_RATES])
def test_a_capped_many_class_fit_ends_at_its_probes_rate_and_predicts_better(model, budget, rate, free_budget, free_rate):
    """Above 4 classes a GBRT or CatBoost fit whose probes (at twice the final rate) use every iteration the class-tree
    budget allows ends at the probes' rate: its cap then reaches as far as the probes found the held loss still
    falling, not half as far. The held rows' log loss is better than at the final rate; a count the held rows stop
    well short of the cap keeps the final rate, and so does a config that switches the rule off."""
    from sklearn.metrics import log_loss

    X, y = _classes(900, 10)
    if model == "catboost":
        X = _frame(X)
    fit, held = slice(0, 600), slice(600, None)
    params = {**budget, "start": "prior"}  # 50 iterations a fit (at least 50), 25 a probe

    def fitted(**extra):
        return build_model(model, {**params, **extra}, "multiclass", 0, SPEED).fit(X[fit], y[fit])

    reached, kept = fitted(), fitted(capped_at_probe_rate=False)
    assert reached.best_iteration_ == kept.best_iteration_ == reached.cap_ == 50
    assert reached.final_rate_ == pytest.approx(2 * rate) and kept.final_rate_ == pytest.approx(rate)

    def loss(booster):
        return log_loss(y[held], booster.predict_proba(X[held]), labels=range(10))

    assert loss(reached) < 0.8 * loss(kept)
    noisy = np.where(np.random.default_rng(0).random(len(y)) < 0.5, np.random.default_rng(1).integers(0, 10, len(y)), y)
    free = build_model(model, {**free_budget, "start": "prior"}, "multiclass", 0, SPEED).fit(X[fit], noisy[fit])
    assert free.best_iteration_ < 0.5 * free.cap_ and free.final_rate_ == pytest.approx(free_rate)


def test_a_lightgbm_fit_keeps_its_rate_where_capped():
    """LightGBM keeps its final rate where its many-class probes reach their cap (``capped_at_probe_rate`` off: the
    probes' rate scored worse on 32 classes of 1,220 rows), unless a config switches the rule on."""
    X, y = _classes(900, 10)
    params = {"max_trees": 500, "start": "prior"}
    kept = build_model("lightgbm", params, "multiclass", 0, SPEED).fit(X[:600], y[:600])
    reached = build_model("lightgbm", {**params, "capped_at_probe_rate": True}, "multiclass", 0, SPEED).fit(X[:600], y[:600])
    assert kept.best_iteration_ == reached.best_iteration_ == kept.cap_ == 50
    assert reached.final_rate_ == pytest.approx(2 * kept.final_rate_)


def test_a_linear_started_gbrt_encodes_the_rows_it_predicts_once(monkeypatch):
    """scikit-learn adds the linear start's margin itself (the fit's init), so a GBRT prediction encodes its rows once
    and equals what the shared path gives, which encoded them a second time for a margin it then ignored."""
    from kagglekit.models import linear_start
    from kagglekit.models.boosting import EarlyStopped

    X, y = _classes(400, 6)
    booster = build_model("gbrt", {"start": "linear", "n_estimators": 60}, "multiclass", 0, SPEED).fit(X[:300], y[:300])
    assert booster.linear_ is not None
    shared = booster._calibrated(EarlyStopped._linear_output(booster, X[300:]))
    encoded = []
    real = linear_start.LinearEncoding.transform
    monkeypatch.setattr(linear_start.LinearEncoding, "transform", lambda self, rows: encoded.append(len(rows)) or real(self, rows))
    np.testing.assert_array_equal(booster.predict_proba(X[300:]), shared)
    assert encoded == [100]


def test_gbrt_probes_more_classes_than_its_own_stopping_split_can_hold():
    """30 classes of 8 rows: a probe's 204 fit rows would give scikit-learn's stratified stopping split 21 rows for 30
    classes ("test_size should be greater or equal to the number of classes"). The probe stops on its own held rows
    instead (``_HeldRowsStop``), and the model learns."""
    X, y = _classes(300, 30)
    booster = build_model("gbrt", {"n_estimators": 200}, "multiclass", 0, SPEED).fit(X[:240], y[:240])
    assert 1 <= booster.best_iteration_ <= booster.cap_
    accuracy = (np.argmax(booster.predict_proba(X[240:]), axis=1) == y[240:]).mean()
    assert accuracy > 0.3  # chance is 1/30


@pytest.mark.parametrize("task,k", [("regression", 0), ("binary", 2), ("multiclass", 5)])
def test_gbrt_probes_follow_their_held_rows_tree_by_tree_as_scikit_learn_predicts_them(task, k):
    """The monitor that stops GBRT's probes keeps the held rows' raw scores itself, tree by tree: at the iteration it
    names best, its predictions are scikit-learn's own staged predictions, and it stops its patience after it."""
    from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor

    from kagglekit.models.boosting import _HeldRowsStop

    X, y = _classes(300, max(k, 2), seed=1)
    if task == "regression":
        y = X[:, 0] * 2 + np.sin(X[:, 1]) + np.random.default_rng(0).normal(0, 0.5, len(y))
    cls = GradientBoostingRegressor if task == "regression" else GradientBoostingClassifier
    stop = _HeldRowsStop(X[200:], y[200:], task, k, rounds=15, min_delta=0.0)
    model = cls(n_estimators=400, learning_rate=0.3, max_depth=3, random_state=0).fit(X[:200], y[:200], monitor=stop)
    staged = list(model.staged_predict(X[200:]) if task == "regression" else model.staged_predict_proba(X[200:]))
    np.testing.assert_allclose(stop.held, staged[stop.best - 1], rtol=1e-6, atol=1e-9)
    assert len(staged) == stop.best + 15 < 400  # stopped its patience after the best


def test_a_gbrt_start_far_behind_stops_once_its_pace_cannot_reach_the_other_and_the_race_chooses_the_same(monkeypatch):
    """GBRT probes its starts one after the other, the linear start first; the prior's probe then stops as soon as its
    pace of the last iterations, kept up to its cap, would not reach the linear start's held loss. On 20 classes that
    a linear model separates well that cut is taken early, and the race picks the same start, iteration count and
    predictions as it does with the cut switched off."""
    from kagglekit.models import boosting

    X, y = _classes(800, 20, seed=2)
    lengths = []
    real = boosting._HeldRowsStop.__call__
    monkeypatch.setattr(boosting._HeldRowsStop, "__call__",
                        lambda self, i, m, loc: lengths.append((self.watch.rival, i + 1)) or real(self, i, m, loc))
    params = {"max_class_trees": 1000}  # 50 iterations of 20 trees a fit, 25 a probe
    cut = build_model("gbrt", params, "multiclass", 0, SPEED).fit(X[:600], y[:600])
    assert cut.start_ == "linear" and cut.start_losses_["linear"] < cut.start_losses_["prior"]
    first, second = ([n for r, n in lengths if (r == np.inf) == linear] for linear in (True, False))
    assert max(first) == 25 > max(second)  # a probe's cap (50 at twice the rate): the prior's probe is cut short
    lengths.clear()
    monkeypatch.setattr(boosting._RivalWatch, "behind", lambda self, loss: False)
    whole = build_model("gbrt", params, "multiclass", 0, SPEED).fit(X[:600], y[:600])
    assert max(n for r, n in lengths if r != np.inf) > max(second)
    assert (whole.start_, whole.best_iteration_) == (cut.start_, cut.best_iteration_)
    np.testing.assert_array_equal(whole.predict_proba(X[600:]), cut.predict_proba(X[600:]))
    assert whole.start_losses_["prior"] < cut.start_losses_["prior"]  # the cut probe is scored where it stopped


def test_a_start_behind_is_judged_on_its_later_pace_not_on_its_steep_first_trees_nor_a_short_stall():
    """The rival watch extrapolates the mean pace of the later half of a probe's iterations: a loss that fell steeply
    at first and now creeps (0.124, 0.054 above the rival, with 1,000 iterations left) is cut near 500 of 1,500, where
    the pace since the first iteration never cut it; a loss that stalls for fewer iterations than the patience and
    then falls past the rival is never cut."""
    from kagglekit.models.boosting import _RivalWatch

    def cut_at(losses, rival=0.07, cap=1500, rounds=50):
        watch = _RivalWatch(rival, cap, rounds)
        return next((i + 1 for i, loss in enumerate(losses) if watch.behind(loss)), None)

    creeping = 0.11 + 0.7 / (1 + np.arange(1500) / 10)  # never below 0.11
    assert 300 < cut_at(creeping) < 700
    steps = np.arange(1500)
    stalled = 0.05 + 0.5 * np.exp(-np.where(steps < 100, steps, np.maximum(100, steps - 40)) / 200)  # flat 100-140
    assert stalled[-1] < 0.07 and cut_at(stalled) is None


@pytest.mark.parametrize("model,threads", [("xgboost", 1), ("xgboost", 2), ("lightgbm", 1), ("catboost", 1)])
def test_a_one_split_start_race_probes_both_starts_at_once_and_stops_the_loser(model, threads, monkeypatch):
    """Above inner_cv_classes classes the start race has one split, and its two probes run at once, a thread each,
    meeting every few iterations (``_Lockstep``): the prior's probe, far behind the linear start on 20 separable
    classes, stops there. The same choice, count and predictions as with the cuts switched off, the cut probe scored
    where it stopped; with one thread for the fit as with two. A race of two splits (few classes) has no lockstep: a
    loser cut short would move the paired test that decides whether the second split is probed."""
    from kagglekit.models import boosting

    X, y = _classes(800, 20, seed=2)
    if model == "catboost":
        X = _frame(X)
    params = {"max_trees": 1000, **({"small_iterations": 50} if model == "catboost" else {})}  # 25 iterations a probe
    ran = {}
    end = boosting._Lockstep.end
    monkeypatch.setattr(boosting._Lockstep, "end", lambda self, start: ran.update({start: len(self.lows(start))}) or end(self, start))
    cut = build_model(model, params, "multiclass", 0, SpeedConfig(threads=threads)).fit(X[:600], y[:600])
    assert cut._in_lockstep(1) and not cut._in_lockstep(2) and cut.start_ == "linear"
    assert ran["prior"] < ran["linear"]  # the prior's probe cut short
    monkeypatch.setattr(boosting._RivalWatch, "behind", lambda self, loss: False)
    monkeypatch.setattr(boosting.EarlyStopped, "_in_lockstep", lambda self, n_splits: False)
    whole = build_model(model, params, "multiclass", 0, SpeedConfig(threads=threads)).fit(X[:600], y[:600])
    assert (whole.start_, whole.best_iteration_) == (cut.start_, cut.best_iteration_)
    np.testing.assert_allclose(whole.predict_proba(X[600:]), cut.predict_proba(X[600:]), rtol=1e-6)
    assert whole.start_losses_["prior"] < cut.start_losses_["prior"]  # cut short: scored where it stopped


def test_lightgbms_lockstep_judges_no_metric_that_rises_as_it_improves(monkeypatch):
    """A metric of the user's that rises as it improves (``model.params.extra``) is no loss the lockstep can judge: the
    probes then run to their own stops, as XGBoost's do on a metric of other units."""
    from kagglekit.models import boosting

    judged = []
    monkeypatch.setattr(boosting._Lockstep, "step", lambda self, start, loss: judged.append(start) or False)
    X, y = _classes(500, 6, seed=2)
    params = {"max_trees": 600, "extra": {"metric": "auc_mu"}}
    booster = build_model("lightgbm", params, "multiclass", 0, SpeedConfig(threads=1)).fit(X[:400], y[:400])
    assert booster.start_losses_ is not None and judged == []  # raced, never judged
    build_model("lightgbm", {"max_trees": 600}, "multiclass", 0, SpeedConfig(threads=1)).fit(X[:400], y[:400])
    assert judged  # its own log loss is judged


def test_the_lockstep_stops_the_same_probes_at_the_same_iterations_whichever_thread_runs_ahead():
    """``_Lockstep`` judges a probe at an iteration on the other's losses up to that iteration only: scripted held-loss
    curves stepped on two threads, each slowed at random, stop at the same iterations every time. The linear start,
    ahead at first, overtaken and levelling off above the prior, stops once its pace cannot reach the prior's lowest
    loss so far; the prior, whose rival was cut, runs to its own end."""
    import threading
    import time

    from kagglekit.models.boosting import _Lockstep

    steps = np.arange(300)
    curves = {"prior": 1.0 / (1 + steps / 5), "linear": 0.2 + 0.3 / (1 + steps / 10)}
    overtaken = int(np.argmax(curves["linear"] > curves["prior"]))  # both curves fall: their lows are the curves

    def race(seed):
        lock, stopped = _Lockstep(rounds=20, cap=300), {}

        def run(start, rng):
            try:
                for i, loss in enumerate(curves[start]):
                    if rng.random() < 0.2:
                        time.sleep(0.0005)
                    if lock.step(start, loss):
                        stopped[start] = i + 1
                        return
                stopped[start] = None
            finally:
                lock.end(start)

        threads = [threading.Thread(target=run, args=(s, np.random.default_rng([seed, i]))) for i, s in enumerate(curves)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        return stopped

    first = race(0)
    assert first["prior"] is None and overtaken < first["linear"] < 150
    assert all(race(seed) == first for seed in range(1, 6))


@pytest.mark.parametrize("model", ["lightgbm", "xgboost", "catboost"])
def test_a_probe_stops_when_no_round_improves_by_the_minimum(model):
    X, y = _classes(400, 2, seed=1)
    if model == "catboost":
        X = _frame(X)
    params = {"start": "prior", "calibrate": False, "n_estimators": 300, "early_stopping_rounds": 20, "inner_cv_rounds": 20}
    eager = build_model(model, {**params, "min_improvement": 0.0}, "binary", 0, SPEED).fit(X, y)
    strict = build_model(model, {**params, "min_improvement": 0.9}, "binary", 0, SPEED).fit(X, y)
    # No round lowers the held log loss by 90% of the prior's: every probe stops after its first rounds.
    assert strict.best_iteration_ <= 3 < eager.best_iteration_


def test_one_split_probes_wait_longer_than_the_raced_inner_folds(monkeypatch):
    """Patience per probing path: a probe on the one 15% split (large sets, many classes) waits early_stopping_rounds
    (at its doubled rate, half as many of its rounds); the up to four raced probes of a small set's inner 2-fold wait
    inner_cv_rounds. Halving the one-split patience cost CV (a date-ordered series: 1.7422 -> 1.7915 held-back RMSE)."""
    import lightgbm as lgb

    waited = []
    real = lgb.early_stopping
    monkeypatch.setattr(lgb, "early_stopping", lambda rounds, **kw: waited.append(rounds) or real(rounds, **kw))
    X, y = _classes(400, 2, seed=4)
    params = {"early_stopping_rounds": 120, "inner_cv_rounds": 30, "start": "prior"}
    build_model("lightgbm", params, "binary", 0, SPEED).fit(X, y)
    assert waited and set(waited) == {30}  # the inner 2-fold, at the final rate
    waited.clear()
    build_model("lightgbm", {**params, "inner_folds": 0}, "binary", 0, SPEED).fit(X, y)
    assert waited == [60]  # one split at twice the rate: 120 final-rate rounds


def test_the_start_race_ends_once_one_start_is_clearly_ahead():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(600, 6))
    y = (X @ np.array([1.5, -1.0, 0.8, 0.5, 0.0, 0.0]) + rng.logistic(size=600) * 0.5 > 0).astype(int)
    booster = build_model("lightgbm", {}, "binary", 0, SPEED).fit(X[:400], y[:400])
    race = booster.start_losses_
    assert booster.start_ == "linear" and race["linear"] < race["prior"]
    assert race["splits"] == 1  # decided on the first split: the loser was not probed again


@pytest.mark.parametrize("model", ["lightgbm", "xgboost", "catboost"])
def test_the_two_starts_probed_side_by_side_choose_and_predict_as_probed_one_after_the_other(model, monkeypatch):
    """With two threads the race's two probes of a split run at once, one thread each: the same choices (start, held
    losses, tree count) and the same predictions as probing them in turn, and each probe fitted on one thread. In turn,
    XGBoost would cut a start that cannot catch the other (``_RivalWatch``), and CatBoost's one-split race runs its probes
    in lockstep (``_Lockstep``), each tested on its own: both off here, so that the held losses compare."""
    from kagglekit.models import boosting
    from kagglekit.models.boosting import EarlyStopped

    monkeypatch.setattr(boosting._RivalWatch, "behind", lambda self, loss: False)
    monkeypatch.setattr(EarlyStopped, "_in_lockstep", lambda self, n_splits: False)

    X, y = _classes(500, 3, seed=2)
    X = _frame(X)
    fits = []

    def booster(concurrent: bool):
        monkeypatch.setattr(EarlyStopped, "concurrent_probes", concurrent)
        made = build_model(model, {"n_estimators": 300}, "multiclass", 0, SpeedConfig(threads=2))
        probe = made._probe
        monkeypatch.setattr(made, "_probe", lambda *a: fits.append((concurrent, made.threads)) or probe(*a))
        return made.fit(X[:400], y[:400])

    alone, together = booster(False), booster(True)
    assert together.start_losses_ == alone.start_losses_ and alone.start_losses_ is not None  # both starts raced
    assert (together.start_, together.best_iteration_) == (alone.start_, alone.best_iteration_)
    np.testing.assert_allclose(together.predict_proba(X[400:]), alone.predict_proba(X[400:]), atol=1e-6)
    raced = alone.start_losses_["splits"]  # the splits both starts were probed on
    assert [t for c, t in fits if c].count(1) == 2 * raced and {t for c, t in fits if not c} == {2}
    assert together.threads == 2  # the final fit has every thread again


def test_the_record_says_what_the_probes_cost(workdir):
    res = train("hpc", "lightgbm", ["data=sample", "folds=3"], **QUIET)
    probes, finals = res.record["probe_seconds"], res.record["final_seconds"]
    assert len(probes) == 3 and all(p > 0 for p in probes) and all(f > 0 for f in finals)
    assert len(res.record["final_rates"]) == 3 and all(0 < r <= 0.1 for r in res.record["final_rates"])


def test_a_plain_library_fit_learns_and_a_config_can_swap_its_model_for_it(workdir):
    plain = train("credit", "lightgbm_plain", ["data=sample", "folds=3"], **QUIET)
    assert plain.record["cv_mean"] > 0.6  # ROC AUC on the sample; chance is 0.5
    swapped = train("house-prices", "lightgbm", ["data=sample", "folds=3", "model.name=xgboost_plain"], **QUIET)
    config = RunDir.at(swapped.run_dir).load_config()
    assert config["model"] == {"name": "xgboost_plain", "params": {"n_estimators": 1000, "early_stopping_rounds": 50,
                                                                   "valid_fraction": 0.15}, "seeds": 1}
    assert config["preprocess"]["scale"] is False  # the lightgbm config's own preprocessing is kept (the default scales)
    assert swapped.record["cv_mean"] < 0.3  # RMSE of log prices; the mean scores about 0.4 on the sample


def test_bench_prices_each_booster_against_its_plain_fit(workdir, tmp_path, monkeypatch):
    from kagglekit.commands import main
    from kagglekit.core.paths import ROOT

    train("credit", "constant", ["data=sample"], **QUIET)  # writes the sample
    shutil.copytree(ROOT / "configs", tmp_path / "configs")
    monkeypatch.setenv("KAGGLEKIT_CONFIGS", str(tmp_path / "configs"))
    (tmp_path / "configs/credit/bench.yaml").write_text(yaml.safe_dump({
        "data_dir": str(sample_dir("credit")), "configs": ["logistic", "lightgbm"]}))
    assert main(["bench", "comp=credit", "folds=3"]) == 0
    table = (workdir / "runs/credit/bench-plain.md").read_text()
    (row,) = [line for line in table.splitlines() if line.startswith("| all | lightgbm")]
    cells = [c.strip() for c in row.split("|")]
    ours, plain, ratio = float(cells[6]), float(cells[7]), float(cells[8])
    assert ours > 0 and plain > 0  # both walls (rounded to 0.1 s), and their ratio (from the unrounded walls)
    assert (ours - 0.05) / (plain + 0.05) <= ratio <= (ours + 0.05) / max(plain - 0.05, 1e-3)
    assert not [line for line in table.splitlines() if "logistic" in line]  # only boosters have a plain fit


def test_a_booster_on_a_machine_without_an_nvidia_driver_does_not_import_torch_to_learn_it():
    """XGBoost and CatBoost ask whether there is a GPU; on a Linux machine without NVIDIA's device files the answer
    must not cost importing torch (1.5-2 s a run)."""
    import subprocess
    import sys

    from kagglekit.core.speed import cuda_possible

    if cuda_possible():
        pytest.skip("this machine could have a GPU: torch must be asked")
    code = ("import sys\nfrom kagglekit.core.config import SpeedConfig\nfrom kagglekit.models import build_model\n"
            "for m in ('xgboost', 'catboost', 'xgboost_plain'):\n"
            "    build_model(m, {}, 'binary', 0, SpeedConfig(threads=1))\n"
            "print('torch' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False", done.stderr[-2000:]


def test_a_boosters_temperature_only_softens():
    from kagglekit.models.calibration import ProbabilityCalibrator

    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, 400)
    timid = np.full((400, 4), 0.1)
    timid[np.arange(400), y] = 0.7  # always right, never sure: the best temperature would sharpen
    assert ProbabilityCalibrator("temperature").fit(timid, y).temperature_ < 0.5
    assert ProbabilityCalibrator("temperature", min_temperature=1.0).fit(timid, y).temperature_ == pytest.approx(1.0, abs=1e-3)


def test_xgboost_vector_grows_one_tree_a_round_for_every_class_and_learns():
    """``xgboost_vector`` (vector leaves) grows one tree a round where ``xgboost`` grows one per class, and learns."""
    import json

    X, y = _classes(600, 6)
    for name, per_round in (("xgboost", 6), ("xgboost_vector", 1)):
        booster = build_model(name, {"start": "prior", "n_estimators": 300}, "multiclass", 0, SPEED).fit(X[:450], y[:450])
        fitted = booster.model_.get_booster()
        model = json.loads(bytes(fitted.save_raw("json")))["learner"]["gradient_booster"]["model"]
        assert int(model["gbtree_model_param"]["num_trees"]) == fitted.num_boosted_rounds() * per_round, name
        accuracy = (np.argmax(booster.predict_proba(X[450:]), axis=1) == y[450:]).mean()
        assert accuracy > 0.6, (name, accuracy)  # chance is 1/6


def test_many_classes_race_the_two_starts_above_the_small_set_size_and_few_classes_do_not():
    """Above inner_cv_rows a booster of few classes starts from the prior unraced; one of many classes (more trees a
    round than inner_cv_classes) still races the prior against the linear start on its one split."""
    params = {"n_estimators": 100, "inner_cv_rows": 100}
    X, y = _classes(400, 6, seed=3)
    many = build_model("lightgbm", params, "multiclass", 0, SPEED).fit(X, y)
    assert many.start_losses_ is not None and set(many.start_losses_) >= {"prior", "linear"}
    X, y = _classes(400, 3, seed=3)
    few = build_model("lightgbm", params, "multiclass", 0, SPEED).fit(X, y)
    assert few.start_losses_ is None and few.start_ == "prior"


@pytest.mark.parametrize("model,share,bins,own", [("lightgbm", "colsample_bytree", "max_bin", 255),
                                                   ("xgboost", "colsample_bytree", "max_bin", 256),
                                                   ("catboost", "rsm", "border_count", None)])
def test_many_classes_score_fewer_columns_and_bins_and_few_classes_keep_their_own(model, share, bins, own):
    """Every column and bin a tree scores is paid once per class: above inner_cv_classes classes a tree (CatBoost: a
    level) sees at most class_columns of a wide table's columns, and a column at most one bin per 32 rows (at least
    32); a binary target keeps the configured share (CatBoost: of at most level_columns columns) and the library's
    own bins."""
    from sklearn.datasets import make_classification

    X, y = make_classification(360, 96, n_informative=12, n_classes=6, n_clusters_per_class=1, class_sep=2.0,
                               random_state=0)
    if model == "catboost":  # it is fitted on the feature frame
        import pandas as pd

        X = pd.DataFrame(X, columns=[f"c{i}" for i in range(X.shape[1])])
    params = {"n_estimators": 60, "class_columns": 24}
    many = build_model(model, params, "multiclass", 0, SPEED).fit(X[:300], y[:300])
    assert many.model_.get_params()[share] == pytest.approx(24 / 96)
    assert many.model_.get_params()[bins] == 32  # 300 rows: 9 by the rule, raised to its floor
    assert (np.argmax(many.predict_proba(X[300:]), axis=1) == y[300:]).mean() > 0.5  # chance is 1/6
    two = build_model(model, params, "binary", 0, SPEED).fit(X[:300], (y[:300] > 2).astype(int))
    configured = build_model(model, {}, "binary", 0, SPEED).p
    # CatBoost's level scores at most level_columns (64) columns whatever the classes: its cost is the columns scored
    assert two.model_.get_params()[share] == (64 / 96 if model == "catboost" else getattr(configured, share))
    assert two.model_.get_params().get(bins) == own
    if model == "catboost":  # symmetric trees: 2^depth leaves with a value per class, at most log2(half of 50 rows a class)
        assert (many.model_.get_params()["depth"], two.model_.get_params()["depth"]) == (4, 6)
        # and at most twice the rows a class (at least 32): above 64 classes fewer borders than one per 32 rows
        shaped = build_model(model, {}, "multiclass", 0, SPEED)
        shaped._shape(1600, 192, 99)
        assert shaped._class_bins(254) == 32  # 50 by one per 32 rows
        shaped._shape(1600, 58, 32)
        assert shaped._class_bins(254) == 50
        # target statistics are computed once per class: more than two classes one-hot encode more levels, and from
        # CLASS_ONE_HOT_ROWS rows up to CLASS_ONE_HOT of them
        from kagglekit.models.boosting import CLASS_ONE_HOT, CLASS_ONE_HOT_ROWS

        assert (many.model_.get_params()["one_hot_max_size"], two.model_.get_params()["one_hot_max_size"]) == (10, 4)
        X, y = _classes(CLASS_ONE_HOT_ROWS + 100, 3)
        larger = build_model(model, params, "multiclass", 0, SPEED).fit(pd.DataFrame(X, columns=[f"c{i}" for i in range(12)]), y)
        assert larger.model_.get_params()["one_hot_max_size"] == CLASS_ONE_HOT


def test_catboost_on_more_than_two_classes_makes_one_prior_statistic_a_class_and_counts_combinations():
    """CatBoost scores every target statistic once per class, and makes 3 x (classes - 1) of each category column and
    combination: above two classes one prior each, combinations counted only (the statistics a fold pays for);
    a binary target, ``lean_class_statistics: false`` and a config's own ``simple_ctr`` keep theirs."""
    import pandas as pd

    rng = np.random.default_rng(0)
    level = rng.integers(0, 40, 400)  # 40 levels: target statistics, not one-hot
    y = (level % 5 + (rng.random(400) < 0.1)) % 5
    X = pd.DataFrame({"level": [f"L{v}" for v in level], "other": [f"O{v}" for v in rng.integers(0, 30, 400)],
                      "noise": rng.normal(size=400)})

    def statistics(task, target, **params):
        fitted = build_model("catboost", {"n_estimators": 40, "start": "prior", **params}, task, 0, SPEED).fit(X[:300], target[:300])
        kept = fitted.model_.get_all_params()
        priors = [c.count("Prior=") for c in kept["simple_ctr"] if c.startswith("Borders")]
        return fitted, priors, [c.split(":")[0] for c in kept["combinations_ctr"]]

    lean, priors, combinations = statistics("multiclass", y)
    assert priors == [1] and combinations == ["Counter"]
    assert (np.argmax(lean.predict_proba(X[300:]), axis=1) == y[300:]).mean() > 0.5  # chance is 1/5
    assert statistics("multiclass", y, lean_class_statistics=False)[1:] == ([3], ["Borders", "Counter"])
    assert statistics("binary", (y > 1).astype(int))[1:] == ([3], ["Borders", "Counter"])
    own = statistics("multiclass", y, extra={"simple_ctr": ["Borders:Prior=0/1:Prior=1/1", "Counter"]})
    assert own[1:] == ([2], ["Counter"])


def test_catboost_scores_fewer_columns_where_per_class_target_statistics_would_pass_its_work_bound():
    """On more than two classes a category column CatBoost does not one-hot encode makes a statistic a class, and a
    level scores each once per class: where a fit's work at its iteration cap would pass ``max_statistics_work``, a
    level scores the share of columns that keeps it within, a smaller one for a smaller bound. Numbers only, two
    classes, or ``max_statistics_work: 0`` keep every column."""
    import pandas as pd

    rng = np.random.default_rng(1)
    n, k = 400, 6
    y = rng.integers(0, k, n)
    codes = {f"c{j}": np.where(rng.random(n) < 0.5, rng.integers(0, 20, k)[y], rng.integers(0, 20, n)) for j in range(10)}
    numbers = pd.DataFrame({**codes, "x0": rng.normal(size=n), "x1": y + rng.normal(size=n)})
    X = numbers.assign(**{c: [f"L{v}" for v in v] for c, v in codes.items()})  # 20 levels: statistics, not one-hot
    bound = 3e7

    def fitted(task, target, frame=X, **params):
        model = build_model("catboost", {"n_estimators": 40, "start": "prior", "max_statistics_work": bound, **params},
                            task, 0, SPEED).fit(frame[:300], target[:300])
        return model, model.model_.get_all_params()["rsm"]

    model, share = fitted("multiclass", y)
    assert model.statistic_columns_ == 10 and 0 < share < 1 and model.column_share_ == pytest.approx(share, abs=1e-4)
    assert model._statistics_work(share) <= bound * 1.0001 < model._statistics_work(1.0)
    assert fitted("multiclass", y, max_statistics_work=bound / 2)[1] < share
    assert (np.argmax(model.predict_proba(X[300:]), axis=1) == y[300:]).mean() > 2 / k  # chance is 1/6
    assert fitted("multiclass", y, frame=numbers)[1] == 1.0
    assert fitted("binary", (y > 2).astype(int))[1] == 1.0
    assert fitted("multiclass", y, max_statistics_work=0)[1] == 1.0


def test_a_one_thread_model_fits_its_later_folds_side_by_side_into_the_same_files(workdir, tmp_path, monkeypatch):
    """scikit-learn's GBRT fits on one thread: by default (speed.parallel 0) its folds start here, and once the fold here
    has run longer than the workers take to pay their start (here: at once), a worker on the other core joins in and
    each fold left goes to whichever is free. Every fold file is what one process writes. A fitter that does not say
    its model fits on one thread stays in one process."""
    from kagglekit.core import executors

    pools = []
    real = executors._worker_pool
    monkeypatch.setattr(executors, "WORKER_START_SECONDS", 0.0)
    monkeypatch.setattr(executors, "physical_cores", lambda: 2)
    monkeypatch.setattr(executors, "_worker_pool", lambda n, share, speed: pools.append((n, share)) or real(n, share, speed))
    args = ["data=sample", "folds=3"] + FAST_GBRT
    serial = train("credit", "gbrt", args + ["speed.parallel=1"], runs_base=tmp_path / "serial", **QUIET)
    assert pools == []
    auto = train("credit", "gbrt", args, runs_base=tmp_path / "auto", **QUIET)
    assert pools == [(1, 2)]  # one worker beside the fold here, each with one of the two cores
    for k in range(3):
        one, other = RunDir.at(serial.run_dir).load_fold(k), RunDir.at(auto.run_dir).load_fold(k)
        for name in ("valid_idx", "valid_pred", "test_pred"):
            np.testing.assert_array_equal(one[name], other[name])
    assert auto.record["cv_mean"] == serial.record["cv_mean"] > 0.6  # ROC AUC; chance is 0.5

    pools.clear()
    ridge = train("credit", "ridge", args[:2], runs_base=tmp_path / "ridge", **QUIET)  # not one_thread: no worker
    assert pools == [] and ridge.record["cv_mean"] > 0.6


def test_a_boosters_folds_on_a_small_table_run_side_by_side_on_a_core_each_into_the_same_files(workdir, tmp_path,
                                                                                               monkeypatch):
    """LightGBM fits without Python's GIL and gains little from a second thread on a few thousand rows: with two cores
    free its folds run two at once on threads here, each model built with one thread (a last fold alone gets both, as
    does the first under a deadline),
    and every fold file is what one fold at a time on both threads writes (the libraries' fits do not depend on their
    thread count). A budget prices them as they run. A user's own thread count, or a table over the bound, keeps one
    fold at a time."""
    import threading
    import time

    import kagglekit.tasks.tabular as tabular
    from kagglekit.core import executors, speed
    from kagglekit.pipeline import price
    from kagglekit.tasks import get_task

    free = lambda n: n if n > 0 else 2  # noqa: E731 - two cores free, whatever else runs on this machine
    monkeypatch.setattr(executors, "thread_count", free)
    both, seen, real = threading.Barrier(2, timeout=60), [], executors._timed_fold

    def timed(fit_fold, k, folds, threads, deadline=None):
        seen.append((k, fit_fold.beside, getattr(speed._here, "threads", 0)))  # the threads granted to this fold
        if threading.current_thread() is not threading.main_thread():
            both.wait()  # two folds are running at once on threads, or this times out
        return real(fit_fold, k, folds, threads, deadline)

    monkeypatch.setattr(executors, "_timed_fold", timed)
    args = ["data=sample", "folds=3"]
    serial = train("credit", "lightgbm", args + ["speed.parallel=1"], runs_base=tmp_path / "serial", **QUIET)
    assert sorted(seen) == [(k, 1, 0) for k in range(3)]
    seen.clear()
    beside = train("credit", "lightgbm", args, runs_base=tmp_path / "beside", **QUIET)
    assert sorted(seen) == [(0, 2, 1), (1, 2, 1), (2, 2, 2)]  # two at once, a thread each; the last one on both
    for k in range(3):
        one, other = RunDir.at(serial.run_dir).load_fold(k), RunDir.at(beside.run_dir).load_fold(k)
        for name in ("valid_idx", "valid_pred", "test_pred"):
            np.testing.assert_array_equal(one[name], other[name])
    assert beside.record["cv_mean"] == serial.record["cv_mean"] > 0.6  # ROC AUC; chance is 0.5
    assert beside.record["folds_wall_seconds"] < beside.record["fit_seconds"]  # they overlapped (the sum of their seconds)

    # under a deadline (a portfolio member's budget) the first fold runs alone on both cores, then the rest beside
    from kagglekit.core.deadline import stop_at

    seen.clear()
    with stop_at(time.perf_counter() + 600):
        timed_run = train("credit", "lightgbm", args, runs_base=tmp_path / "deadline", **QUIET)
    assert seen[0] == (0, 2, 2) and sorted(seen[1:]) == [(1, 2, 1), (2, 2, 1)]
    assert timed_run.record["cv_mean"] == serial.record["cv_mean"]

    # a budget prices them as they run: 3 folds two at a time take two folds' seconds, one at a time three
    monkeypatch.setattr(tabular, "TIMED_ROWS", 100)
    monkeypatch.setattr(get_task("tabular"), "fold_seconds", lambda *a: 10.0)
    fresh = args + ["seed=7"]  # no finished fold
    assert price("credit", "lightgbm", fresh, log=lambda *a: None).seconds == 20.0
    assert price("credit", "lightgbm", fresh + ["speed.parallel=1"], log=lambda *a: None).seconds == 30.0
    assert executors.folds_beside(SpeedConfig(threads=2), 1000, 10, 5) == 1
    assert executors.folds_beside(SpeedConfig(), executors.BESIDE_CELLS, 2, 5) == 1
    assert executors.folds_beside(SpeedConfig(), 1000, 10, 5) == 2


def test_workers_join_a_one_thread_models_folds_only_where_they_save_more_than_their_start():
    from kagglekit.core.executors import folds_saved

    assert folds_saved(4, 1) == 2  # 5 folds: 3 rounds on two cores instead of 5
    assert folds_saved(1, 1) == 1  # 2 folds: the second beside the first
    assert folds_saved(0, 1) == 0 and folds_saved(3, 3) == 3


def test_a_core_another_process_keeps_busy_is_left_to_it():
    """With a busy process beside the run, the default thread count leaves its core to it (OpenMP threads that share a
    core with another process spin through its time slices: 190 s against 2.9 s for one LightGBM fit, README); the
    answer is read over a window, so two calls in a row agree."""
    import subprocess
    import sys
    import time

    from kagglekit.core import speed

    cores = speed.physical_cores()
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        speed.thread_count(0)  # a reading now: the next one spans the busy second below
        time.sleep(speed.WINDOW_SECONDS + 1.0)
        during = speed.thread_count(0)
        assert speed.thread_count(0) == during
    finally:
        busy.kill()
        busy.wait()
    assert during <= max(1, cores - 1), (during, cores)
    assert speed.thread_count(1) == 1 and speed.thread_count(cores) == cores  # a user's own count stands


@pytest.mark.parametrize("model", ["lightgbm", "xgboost", "catboost"])
def test_a_sped_up_booster_grows_its_cap_over_the_speedup_at_that_multiple_of_its_rate_and_still_learns(model):
    """A budget's rung (``speedup``): the learning rate times it, the iteration cap divided by it."""
    from kagglekit.models.boosting import _size_aware_rate

    X, y = _classes(600, 2)
    X = _frame(X)
    own = build_model(model, {"start": "prior"}, "binary", 0, SPEED).fit(X[:450], y[:450])
    fast = build_model(model, {"start": "prior", "speedup": 4.0}, "binary", 0, SPEED).fit(X[:450], y[:450])
    assert fast.cap_ == int(np.ceil(own.cap_ / 4)) and fast.best_iteration_ <= fast.cap_
    assert fast._rate() == pytest.approx(4 * _size_aware_rate(450))
    from sklearn.metrics import roc_auc_score

    assert roc_auc_score(y[450:], fast.predict_proba(X[450:])[:, 1]) > 0.8  # learnable: two separated classes


def test_a_boosters_price_grows_with_its_cap_and_a_budget_takes_the_dearest_rung_that_fits(workdir, monkeypatch):
    """From ``TIMED_ROWS`` rows up a booster is timed before it runs (two short fits); each rung's price is the same
    pace at a quarter, an eighth... of the iterations, and ``price`` takes the first rung that fits ``within``."""
    import kagglekit.tasks.tabular as tabular
    from kagglekit.pipeline import price

    monkeypatch.setattr(tabular, "TIMED_ROWS", 100)  # the generated sample stands for a large table
    from kagglekit.tasks import get_task

    monkeypatch.setattr(get_task("tabular"), "_timings", {})  # measured here, not by another test of this process
    asked = {"data": "sample", "speed.threads": 1}  # folds one at a time whatever else runs on this machine
    full = price("credit", "lightgbm", asked, log=lambda *a: None)
    assert full.settings == {} and full.seconds > 0
    rungs = [price("credit", "lightgbm", {**asked, "model.params.speedup": s}, log=lambda *a: None).seconds for s in (2, 4, 8)]
    assert full.seconds > rungs[0] > rungs[1] > rungs[2] > 0
    # a budget between two rungs' prices takes the dearer of the two that fits
    middle = price("credit", "lightgbm", asked, within=(rungs[0] + rungs[1]) / 2, log=lambda *a: None)
    assert middle.settings == {"model.params.speedup": 4.0} and middle.seconds == pytest.approx(rungs[1])
    assert price("credit", "lightgbm", asked, within=0.0, log=lambda *a: None).settings == {"model.params.speedup": 8.0}
    assert price("credit", "ridge", asked, log=lambda *a: None) is None  # not a booster: priced by the members run
    monkeypatch.setattr(tabular, "TIMED_ROWS", 10**9)
    assert price("credit", "lightgbm", asked, log=lambda *a: None) is None  # a small table: the members run price it


def test_probes_take_their_folds_rate_and_xgboost_a_faster_one_for_several_classes_from_2000_rows(monkeypatch):
    """The size-aware rate is the fold's: a probe on 85% of a 2,200-row fold (1,870 rows) probes at twice the fold's
    0.03, not at twice its own rows' 0.05, since its count is scaled for a final fit at 0.03. XGBoost on more than two
    classes from 2,000 rows takes ``class_rate`` (an iteration grows a tree a class); a binary target keeps 0.03."""
    from kagglekit.models.boosting import EarlyStoppedXGBoost

    rates, real = [], EarlyStoppedXGBoost._model
    monkeypatch.setattr(EarlyStoppedXGBoost, "_model", lambda self, *a, **k: rates.append(self._rate()) or real(self, *a, **k))
    X, y = _classes(2200, 3, seed=1)
    params = {"n_estimators": 4000, "max_trees": 0}  # no cap reached: no raise of the rate
    two = build_model("xgboost", params, "binary", 0, SPEED).fit(X, (y > 0).astype(int))
    assert two.rate_scale_ == 1.0 and rates == pytest.approx([0.06, 0.03])
    rates.clear()
    three = build_model("xgboost", params, "multiclass", 0, SPEED).fit(X[:2000], y[:2000])
    assert set(np.round(rates, 9)) == {0.05}  # 2,000 rows: the small sets' rate, their inner folds probing at it
    rates.clear()
    three = build_model("xgboost", params, "multiclass", 0, SPEED).fit(X, y)
    assert three.rate_scale_ == 1.0 and rates == pytest.approx([2 * EarlyStoppedXGBoost.class_rate, EarlyStoppedXGBoost.class_rate])
    assert (three.predict(X[:300]) == y[:300]).mean() > 0.8  # learnable: separated classes (chance 1/3)


@pytest.mark.parametrize("model", ["lightgbm", "xgboost"])
def test_a_probe_count_cut_by_the_cap_doubles_the_size_aware_rate_once_and_fits_better(model):
    """At a large table's small rate the count can reach the iteration cap (2,000 of 2,000): the data wants more than
    the cap allows, so the rate doubles once and the probes run again. A given rate is kept as given."""
    from sklearn.datasets import make_friedman1

    X, y = make_friedman1(3000, noise=0.3, random_state=0)
    fit, held = slice(0, 2500), slice(2500, None)
    capped = build_model(model, {"n_estimators": 40}, "regression", 0, SPEED).fit(X[fit], y[fit])
    assert capped.rate_scale_ in (2.0, 4.0) and capped.best_iteration_ <= 40
    given = build_model(model, {"n_estimators": 40, "learning_rate": 0.03}, "regression", 0, SPEED).fit(X[fit], y[fit])
    assert given.rate_scale_ == 1.0

    def rmse(booster):
        return float(np.sqrt(np.mean((booster.predict(X[held]) - y[held]) ** 2)))

    assert rmse(capped) < rmse(given)  # 0.03 is what the size-aware rate gives 2,500 rows
    X, y = make_friedman1(3000, noise=3.0, random_state=0)  # noisier: its count stops far below the cap
    free = build_model(model, {}, "regression", 0, SPEED).fit(X[fit], y[fit])
    assert free.rate_scale_ == 1.0 and free.best_iteration_ < 0.5 * free.cap_  # not cut by the cap: no change


def test_catboost_grows_fewer_iterations_up_to_the_small_set_size_at_its_own_rate():
    """Where the size-aware rate is 0.05 (small_rate_rows), CatBoost's cap is ``small_iterations`` (separable classes
    never stop early: the cap is their count); above that size, or at a rate the config gives, ``n_estimators``. A
    config's ``max_ctr_complexity`` reaches the library; by default CatBoost's own stands."""
    X, y = _classes(400, 3)
    X = _frame(X)
    params = {"n_estimators": 300, "small_iterations": 60, "start": "prior"}
    small = build_model("catboost", params, "multiclass", 0, SPEED).fit(X[:300], y[:300])
    assert small.cap_ == 60 and small.best_iteration_ <= 60
    assert (np.argmax(small.predict_proba(X[300:]), axis=1) == y[300:]).mean() > 0.8  # learnable: separated classes (chance 1/3)
    larger = build_model("catboost", params, "multiclass", 0, SPEED)
    larger._shape(larger.small_rate_rows + 1, X.shape[1], 3)
    given = build_model("catboost", {**params, "learning_rate": 0.05}, "multiclass", 0, SPEED)
    given._shape(300, X.shape[1], 3)
    assert larger.cap_ == given.cap_ == 300
    # the many-class tree budget's cut of n_estimators (300 -> 150) raises the rate as before; the small cap does not
    many = build_model("catboost", {**params, "max_trees": 900}, "multiclass", 0, SPEED)
    many._shape(300, X.shape[1], 6)
    assert many.cap_ == 60 and many.rate_scale_ == pytest.approx(np.sqrt(2))
    assert "max_ctr_complexity" not in small.model_.get_params()
    single = build_model("catboost", {**params, "max_ctr_complexity": 1}, "multiclass", 0, SPEED)
    single._shape(300, X.shape[1], 3)
    assert single._model(300, 10).get_params()["max_ctr_complexity"] == 1


def test_xgboost_fits_on_the_cpu_skip_the_closing_reset_and_predict_and_pickle_as_a_reset_fit(monkeypatch):
    """XGBoost 3 ends every fit with ``Booster.reset()``, a round trip of the whole model through its own format
    (``_XGBoostKeptCaches``): our CPU fits, probes and final, skip it, predict exactly as fits that reset, and the fitted
    model pickles (the override is gone from its booster)."""
    import pickle

    import xgboost as xgb

    from kagglekit.models import boosting

    resets = []
    real = xgb.Booster.reset
    monkeypatch.setattr(xgb.Booster, "reset", lambda self: resets.append(1) or real(self))
    X, y = _classes(500, 6, seed=5)
    params = {"n_estimators": 200}
    kept = build_model("xgboost", params, "multiclass", 0, SPEED).fit(X[:400], y[:400])
    assert not resets
    monkeypatch.setattr(boosting, "_XGBoostKeptCaches", lambda: xgb.callback.TrainingCallback())
    reset = build_model("xgboost", params, "multiclass", 0, SPEED).fit(X[:400], y[:400])
    assert len(resets) >= 2  # a probe and the final fit
    np.testing.assert_array_equal(kept.predict_proba(X[400:]), reset.predict_proba(X[400:]))
    assert "reset" not in vars(kept.model_.get_booster())
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(kept)).predict_proba(X[400:]), kept.predict_proba(X[400:]))


@pytest.mark.parametrize("task", ["regression", "multiclass"])
def test_xgboost_cpu_probes_score_their_held_rows_as_a_plain_dmatrix_and_choose_as_on_the_bins(task, monkeypatch):
    """An XGBoost probe scores its held rows after every iteration; on the CPU they are a plain DMatrix
    (``_plain_held_rows``), not a QuantileDMatrix on the fitted rows' bins (twice the cost an iteration), and the
    fit chooses the same start and count, and predicts the same, as with XGBoost's own held rows."""
    import xgboost as xgb
    import xgboost.sklearn

    from kagglekit.models import boosting

    held = []
    real = xgboost.sklearn.train  # what the scikit-learn wrapper calls
    monkeypatch.setattr(xgboost.sklearn, "train",
                        lambda *a, **k: held.extend(type(d) for d, _ in k.get("evals") or []) or real(*a, **k))
    if task == "regression":
        from sklearn.datasets import make_friedman1

        X, y = make_friedman1(500, 12, noise=0.5, random_state=3)
    else:
        X, y = _classes(500, 6, seed=3)
    plain = build_model("xgboost", {}, task, 0, SPEED).fit(X[:400], y[:400])
    assert held and set(held) == {xgb.DMatrix}  # every probe's held rows, none a QuantileDMatrix
    held.clear()
    monkeypatch.setattr(boosting, "_plain_held_rows", lambda cls: cls)
    binned = build_model("xgboost", {}, task, 0, SPEED).fit(X[:400], y[:400])
    assert set(held) == {xgb.QuantileDMatrix}
    assert (plain.best_iteration_, plain.start_, plain.start_losses_) == \
        (binned.best_iteration_, binned.start_, binned.start_losses_)
    predict = (lambda m: m.predict(X[400:])) if task == "regression" else (lambda m: m.predict_proba(X[400:]))
    np.testing.assert_array_equal(predict(plain), predict(binned))


def test_gbrt_probes_score_their_held_rows_without_scikit_learns_input_check_at_every_tree(monkeypatch):
    """A GBRT probe's held rows are put in a tree's input format once (``_HeldRowsStop``), not checked by scikit-learn
    at each tree's predict (up to a fifth of a small set's probe time); its held predictions at the chosen count
    are the fitted probe's own."""
    from sklearn.tree import DecisionTreeRegressor

    from kagglekit.models.boosting import _HeldRowsStop

    checked = []
    real = DecisionTreeRegressor._validate_X_predict
    monkeypatch.setattr(DecisionTreeRegressor, "_validate_X_predict",
                        lambda self, X, check_input: checked.append(check_input) or real(self, X, check_input))
    X, y = _classes(300, 3, seed=6)
    stop = _HeldRowsStop(X[200:], y[200:], "multiclass", 3, rounds=20, min_delta=0.0)
    probe = build_model("gbrt", {"start": "prior", "n_estimators": 100}, "multiclass", 0, SPEED)
    probe._shape(200, X.shape[1], 3)
    model = probe._model(200, 100).fit(X[:200], y[:200], monitor=stop)
    assert checked.count(False) == 3 * len(model.estimators_)  # every tree of every class, unchecked
    assert checked.count(True) <= 1  # scikit-learn's own, once a fit, not once a tree
    at_best = list(model.staged_predict_proba(X[200:]))[stop.best - 1]
    np.testing.assert_allclose(stop.held, at_best, rtol=1e-6)


def test_gbrt_trees_read_rows_stored_column_by_column_unchecked_and_grow_the_model_scikit_learn_grows(monkeypatch):
    """Every tree a GBRT fit grows (probes and the final fit) gets float32 rows stored column by column, without
    scikit-learn's check of each tree's parameters (README, Models: 4-17% of a fold of many trees on many columns);
    the model is the one scikit-learn grows from the same rows as given, and the parameters it no longer checks are
    checked in the config."""
    import sklearn
    from sklearn.base import clone
    from sklearn.tree import DecisionTreeRegressor

    from kagglekit.core.errors import UserError
    from kagglekit.models.registry import validate_params

    seen = []
    real = DecisionTreeRegressor.fit

    def fit(self, X, *args, **kwargs):
        seen.append((X.flags.f_contiguous, X.dtype == np.float32, sklearn.get_config()["skip_parameter_validation"]))
        return real(self, X, *args, **kwargs)

    monkeypatch.setattr(DecisionTreeRegressor, "fit", fit)
    X, y = _classes(400, 3, seed=2)
    booster = build_model("gbrt", {"start": "prior", "early_stopping": False, "n_estimators": 30}, "multiclass", 0,
                          SPEED).fit(X[:300], y[:300])
    probed = build_model("gbrt", {"n_estimators": 60}, "multiclass", 0, SPEED).fit(X[:300], y[:300])
    assert probed.probe_seconds_ > 0 and len(seen) > 3 * 30 * 2
    assert set(seen) == {(True, True, True)}
    assert not sklearn.get_config()["skip_parameter_validation"]  # only inside the fits
    own = clone(booster.model_).fit(np.ascontiguousarray(X[:300]), y[:300])
    np.testing.assert_array_equal(booster.predict_proba(X[300:]), own.predict_proba(X[300:]))
    for bad in ({"max_features": "half"}, {"max_features": 0}, {"loss": "hubber"}):
        with pytest.raises(UserError, match=next(iter(bad))):
            validate_params("gbrt", bad)
