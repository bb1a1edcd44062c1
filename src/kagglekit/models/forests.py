"""Random forests and extremely randomised trees from scikit-learn, with their leaf size and features chosen on
out-of-bag rows, and class probabilities finished there too (a floor of the prior, a linear model's share, a
temperature). A multilabel target gets one forest for all its labels."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, List, Optional

import numpy as np

from ..core.deadline import Watch
from ..core.folds import inner_split
from ..core.metrics import get_metric
from ..core.speed import thread_count
from .calibration import ProbabilityCalibrator
from .linear_start import LinearStart, cross_fitted_proba
from .registry import register_model


@dataclass
class ForestParams:
    n_estimators: int = 500
    max_depth: Optional[int] = None
    # A value, or a list of values to choose from (every combination is fitted once): classification on the out-of-bag
    # error, regression on a held share of the fold's training rows. null: classification chooses among [1, 3] leaf
    # sizes and [0.5, sqrt] features (measured on the small-data benches: the best pair differs from one competition
    # to the next); regression among [5, 3, 1] leaf sizes at 0.5 features (leaf 1 overfits noisy targets: README).
    min_samples_leaf: Any = None
    max_features: Any = None  # fraction, int, "sqrt" (1.0 for every feature), or a list of them
    prior_weight: float = 0.01  # classification: mix this share of the training class prior into every probability
    calibrate: bool = True  # classification: temperature-scale probabilities, fitted on the out-of-bag predictions
    # Classification: the share of a linear model's probabilities mixed into the forest's, or a list to choose from on
    # the out-of-bag rows (the linear model's own predictions for them are cross-fitted). null: [0, 0.25, 0.5, 0.75]
    # up to linear_rows training rows (where a forest's few rows waste their votes on a slope), 0 above.
    linear_weight: Any = None
    linear_rows: int = 2000
    choose_rows: int = 20000  # above this many training rows only the last candidate pair is fitted (each costs a forest)
    # Several candidates are compared out of bag at this many trees and only the winner is grown on to n_estimators
    # (a warm start: the very trees a full fit grows), so choosing costs a fraction of the forest it chooses.
    choose_trees: int = 100
    held_share: float = 0.15  # regression: the share of the fold's training rows the candidates are compared on


def _candidates(value, classification_default: list, regression_default, regression: bool) -> list:
    if value is None:
        value = regression_default if regression else classification_default
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _check_forest(p: ForestParams):
    sizes = p.min_samples_leaf if isinstance(p.min_samples_leaf, (list, tuple)) else [p.min_samples_leaf]
    if p.n_estimators < 1 or any(v is not None and (not isinstance(v, int) or v < 1) for v in sizes):
        return "n_estimators >= 1 and min_samples_leaf >= 1 (an integer or a list of them) are needed."
    if not 0 <= p.prior_weight < 1:
        return "prior_weight in [0, 1) is needed."
    weights = p.linear_weight if isinstance(p.linear_weight, (list, tuple)) else [p.linear_weight]
    if any(w is not None and not (isinstance(w, (int, float)) and 0 <= w < 1) for w in weights):
        return "linear_weight in [0, 1) (a number or a list of them) is needed."
    if not 0 < p.held_share < 1:
        return "held_share in (0, 1) is needed."
    return None


def _mix(proba, linear, weight: float):
    return proba if weight == 0 else (1 - weight) * proba + weight * linear


class OutOfBagFinish:
    """How one target's forest probabilities are finished: ``weight_`` of a linear model's probabilities mixed in, a
    ``prior_weight`` share of the training ``prior`` (a floor, so one confidently wrong row cannot dominate a fold's
    log loss) and a temperature fitted on out-of-bag rows: calibrated on rows each tree never saw, at no extra fit."""

    def __init__(self, prior: np.ndarray, prior_weight: float, calibrate: bool):
        self.prior, self.prior_weight, self.calibrate = prior, prior_weight, calibrate
        self.weight_, self.calibrator_ = 0.0, None

    def _smooth(self, proba):
        return (proba + self.prior_weight * self.prior) / (1 + self.prior_weight)

    def score(self, oob: np.ndarray, codes: np.ndarray, linear: Optional[np.ndarray], weight: float) -> tuple:
        """(out-of-bag log loss, temperature calibrator) with a linear share ``weight``; ``oob``: the forest's
        out-of-bag class probabilities, ``linear``: the cross-fitted linear model's."""
        oob = np.nan_to_num(oob, nan=0.0)
        seen = oob.sum(axis=1) > 0  # rows in every tree's bootstrap have no out-of-bag vote
        proba = self._smooth(_mix(oob[seen], None if linear is None else linear[seen], weight))
        truth = codes[seen]
        calibrator = ProbabilityCalibrator("temperature").fit(proba, truth) if self.calibrate else None
        if calibrator is not None:
            proba = self._smooth(calibrator.transform(proba))  # a sharpening temperature must not undo the floor
        return get_metric("logloss").fn(truth, proba), calibrator

    def choose(self, oob: np.ndarray, codes: np.ndarray, linear: Optional[np.ndarray], weights: List[float]):
        """Keep the linear share (and its temperature) whose out-of-bag log loss is lowest."""
        scored = [(w, *self.score(oob, codes, linear, w)) for w in weights]
        self.weight_, _, self.calibrator_ = min(scored, key=lambda s: s[1])
        return self

    def transform(self, proba: np.ndarray, linear: Optional[np.ndarray]) -> np.ndarray:
        proba = self._smooth(_mix(proba, linear, self.weight_))
        return proba if self.calibrator_ is None else self._smooth(self.calibrator_.transform(proba))


class _ChosenForest:
    """Candidate forests (one per setting) whose out-of-bag choices ``fit`` makes on the fold's training rows."""

    def __init__(self, forests: list, prior_weight: float, calibrate: bool, settings: Optional[list] = None,
                 linear_weight: Any = 0.0, linear_rows: int = 0, seed: int = 0, choose_rows: int = 20000,
                 choose_trees: int = 100):
        self.forests, self.prior_weight, self.calibrate, self.settings = forests, prior_weight, calibrate, settings
        self.linear_weight, self.linear_rows, self.seed, self.choose_rows = linear_weight, linear_rows, seed, choose_rows
        self.choose_trees = choose_trees

    def _linear_weights(self, n_rows: int) -> list:
        default = [0.0, 0.25, 0.5, 0.75] if n_rows <= self.linear_rows else [0.0]
        return [float(w) for w in _candidates(self.linear_weight, default, None, False)]

    def _nothing_to_choose(self, candidates: list, weights: list) -> bool:
        return len(candidates) == 1 and not self.calibrate and weights == [0.0]  # nor out-of-bag votes to read

    def _record_choice(self, chosen: int, candidates: list, weights: list, linear_weight):
        if self.settings is not None and (len(candidates) > 1 or len(weights) > 1):
            self.chosen_params_ = {**self.settings[chosen], "linear_weight": linear_weight}

    @property
    def feature_importances_(self):
        return None if self.forest_ is None else self.forest_.feature_importances_  # None: no label varied


class SmoothedForestClassifier(_ChosenForest):
    """A forest whose class probabilities never reach exactly 0 or 1, optionally temperature-scaled and mixed with a
    linear model's, as ``OutOfBagFinish`` does. Given several candidate forests and linear shares, it keeps the pair
    whose (calibrated) out-of-bag log loss is lowest: chosen on the fold's training rows."""

    def fit(self, X, y):
        weights = self._linear_weights(len(y))
        self.classes_ = np.unique(y)
        codes = np.searchsorted(self.classes_, y)
        self.prior_ = np.bincount(codes, minlength=len(self.classes_)) / len(y)
        self.finish_ = finish = OutOfBagFinish(self.prior_, self.prior_weight, self.calibrate)
        linear = cross_fitted_proba(X, codes, len(self.classes_), 1.0, self.seed) if any(weights) else None
        candidates = _affordable(self.forests, len(y), self.choose_rows)
        chosen, self.forest_ = _chosen_out_of_bag(
            candidates, X, y, lambda f: min(finish.score(f.oob_decision_function_, codes, linear, w)[0] for w in weights),
            self.choose_trees)
        if not self._nothing_to_choose(candidates, weights):
            # The linear share and the temperature are chosen on the grown forest's out-of-bag rows.
            finish.choose(self.forest_.oob_decision_function_, codes, linear, weights)
        self.linear_ = None
        if finish.weight_ > 0:
            task = "binary" if len(self.classes_) == 2 else "multiclass"
            self.linear_ = LinearStart(task, 1.0, len(self.classes_)).fit(X, codes)
        self._record_choice(chosen, candidates, weights, finish.weight_)
        return self

    @property
    def linear_weight_(self) -> float:
        return self.finish_.weight_

    @property
    def calibrator_(self):
        return self.finish_.calibrator_

    def predict_proba(self, X):
        return self.finish_.transform(self.forest_.predict_proba(X),
                                      None if self.linear_ is None else self.linear_.class_proba(X))

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


def _per_label(values, n_outputs: int) -> list:
    """A multi-output forest's per-label arrays as a list (scikit-learn drops the list for a single output)."""
    if n_outputs == 1:
        return [values]
    return list(values) if isinstance(values, list) else [values[..., j] for j in range(n_outputs)]


class MultiLabelForest(_ChosenForest):
    """One forest for every label of a multilabel target (``fit(X, Y)``, Y one 0/1 column per label;
    ``predict_proba`` one probability per label): its trees split on what the labels share, and it costs one forest
    instead of one per label. Each label's probabilities are finished as ``OutOfBagFinish`` does for one target
    (its own linear share and temperature); the leaf size and features are chosen on the labels' mean out-of-bag log
    loss. A label constant in the training rows is predicted as that constant."""

    def fit(self, X, Y):
        Y = np.asarray(Y).astype(int)
        weights = self._linear_weights(len(Y))
        self.prior_ = Y.mean(axis=0)
        self.varied_ = np.flatnonzero(Y.min(axis=0) != Y.max(axis=0))
        self.forest_, self.finishes_, self.linear_ = None, [], []
        if not len(self.varied_):
            return self
        codes = Y[:, self.varied_]
        self.finishes_ = [OutOfBagFinish(np.array([1 - p, p]), self.prior_weight, self.calibrate)
                          for p in self.prior_[self.varied_]]
        linear = [cross_fitted_proba(X, c, 2, 1.0, self.seed) if any(weights) else None for c in codes.T]

        def loss(forest) -> float:
            oob = _per_label(forest.oob_decision_function_, codes.shape[1])
            return float(np.mean([min(f.score(o, c, lin, w)[0] for w in weights)
                                  for f, o, c, lin in zip(self.finishes_, oob, codes.T, linear)]))

        candidates = _affordable(self.forests, len(Y), self.choose_rows)
        chosen, self.forest_ = _chosen_out_of_bag(candidates, X, codes[:, 0] if codes.shape[1] == 1 else codes, loss,
                                                  self.choose_trees)
        if not self._nothing_to_choose(candidates, weights):
            oob = _per_label(self.forest_.oob_decision_function_, codes.shape[1])
            for finish, o, c, lin in zip(self.finishes_, oob, codes.T, linear):
                finish.choose(o, c, lin, weights)
        self.linear_ = [LinearStart("binary", 1.0, 2).fit(X, c) if f.weight_ > 0 else None
                        for f, c in zip(self.finishes_, codes.T)]
        self._record_choice(chosen, candidates, weights, [f.weight_ for f in self.finishes_])
        return self

    def predict_proba(self, X) -> np.ndarray:
        out = np.tile(self.prior_, (X.shape[0], 1))
        if self.forest_ is None:
            return out
        forest = _per_label(self.forest_.predict_proba(X), len(self.varied_))
        for j, proba, finish, linear in zip(self.varied_, forest, self.finishes_, self.linear_):
            out[:, j] = finish.transform(proba, None if linear is None else linear.class_proba(X))[:, 1]
        return out


class HeldOutChosenRegressor:
    """Several candidate regression forests (or one, fitted as it is): each grown to ``choose_trees`` trees on the
    fold's training rows less a held share, and the one with the lowest squared error on the held rows grown to its
    full count on all of them.
    Out-of-bag rows would need bootstrap samples, which cost extremely randomised trees accuracy where one row a leaf
    is right (hfi: 0.067 -> 0.080 RMSE)."""

    def __init__(self, forests: list, settings: list, choose_rows: int = 20000, choose_trees: int = 100,
                 held_share: float = 0.15, seed: int = 0):
        self.forests, self.settings, self.choose_rows, self.choose_trees = forests, settings, choose_rows, choose_trees
        self.held_share, self.seed = held_share, seed

    def fit(self, X, y):
        from sklearn.base import clone

        y = np.asarray(y)
        candidates = _affordable(self.forests, len(y), self.choose_rows)
        chosen = candidates[0][0]
        if len(candidates) > 1:
            fit, held = inner_split(y, self.held_share, self.seed, False)

            def held_error(forest) -> float:
                small = clone(forest).set_params(n_estimators=min(self.choose_trees, forest.n_estimators))
                return float(np.mean((_grown(small, X[fit], y[fit]).predict(X[held]) - y[held]) ** 2))

            chosen = min(candidates, key=lambda pair: held_error(pair[1]))[0]
        self.forest_ = _grown(clone(dict(candidates)[chosen]), X, y)
        if len(self.forests) > 1:
            self.chosen_params_ = self.settings[chosen]
        return self

    def predict(self, X):
        return self.forest_.predict(X)

    @property
    def feature_importances_(self):
        return self.forest_.feature_importances_


GROW_STEP = 50  # trees a forest grows between looks at the deadline, where one is set


def _grown(forest, X, y):
    """``forest`` fitted on (X, y). Under a deadline (a portfolio member's budget) it grows ``GROW_STEP`` trees at a
    time by warm starts, which draw the random states one fit would (the very same trees), and stops with
    ``PastDeadline`` once the deadline passes; only the last step computes the out-of-bag scores. Without one: one fit."""
    watch = Watch("a forest")
    full, warm, oob = forest.n_estimators, forest.warm_start, getattr(forest, "oob_score", False)
    done = len(getattr(forest, "estimators_", [])) if warm else 0
    if not watch.armed or full - done <= GROW_STEP:
        return forest.fit(X, y)
    forest.set_params(warm_start=True)
    try:
        while done < full:
            watch.check()
            done = min(full, done + GROW_STEP)
            forest.set_params(n_estimators=done, oob_score=oob and done == full).fit(X, y)
    finally:
        forest.set_params(warm_start=warm, oob_score=oob, n_estimators=full)
    return forest


def _affordable(forests: list, n_rows: int, choose_rows: int) -> list:
    """(index, forest) pairs to fit: every candidate up to ``choose_rows`` rows, above only the last (classification:
    the cheapest of the default grid, 3 rows a leaf and sqrt features; regression: one row a leaf), since each
    candidate costs a forest."""
    pairs = list(enumerate(forests))
    return pairs if n_rows <= choose_rows else pairs[-1:]


def _chosen_out_of_bag(candidates: list, X, y, loss, trees: int) -> tuple:
    """(index, fitted forest) of the candidate whose out-of-bag ``loss`` is lowest. Several candidates are compared
    as copies of ``trees`` trees and only the winner is grown on to its own count: a warm start draws the random
    state a full fit would, so it ends as the very forest a full fit grows, and choosing costs a fraction of it."""
    from sklearn.base import clone

    if len(candidates) == 1:
        index, forest = candidates[0]
        return index, _grown(clone(forest), X, y)
    small = [(i, clone(f).set_params(n_estimators=min(trees, f.n_estimators), warm_start=True)) for i, f in candidates]
    index, winner = min(small, key=lambda pair: loss(_grown(pair[1], X, y)))
    full = dict(candidates)[index].n_estimators
    if full > winner.n_estimators:
        _grown(winner.set_params(n_estimators=full), X, y)
    return index, winner.set_params(warm_start=False)


def _forest(kind: str):
    def build(p: ForestParams, task: str, seed: int, speed):
        from sklearn import ensemble as en

        name = {"random_forest": "RandomForest", "extra_trees": "ExtraTrees"}[kind]
        regression = task == "regression"
        cls = getattr(en, name + ("Regressor" if regression else "Classifier"))
        settings = [{"min_samples_leaf": leaf, "max_features": features}
                    for leaf in _candidates(p.min_samples_leaf, [1, 3], [5, 3, 1], regression)
                    for features in _candidates(p.max_features, [0.5, "sqrt"], 0.5, regression)]
        out_of_bag = not regression and (len(settings) > 1 or p.calibrate or p.linear_weight != 0)
        oob = {"bootstrap": True, "oob_score": True} if out_of_bag else {}
        forests = [cls(random_state=seed, n_jobs=thread_count(speed.threads), n_estimators=p.n_estimators,
                       max_depth=p.max_depth, **s, **oob) for s in settings]
        if not regression:
            chooser = MultiLabelForest if task == "multilabel" else SmoothedForestClassifier
            return chooser(forests, p.prior_weight, p.calibrate, settings, p.linear_weight, p.linear_rows, seed,
                           p.choose_rows, p.choose_trees)
        return HeldOutChosenRegressor(forests, settings, p.choose_rows, p.choose_trees, p.held_share, seed)

    return build


_CHOSEN = "; leaf size, features and (classes) a linear share chosen out-of-bag; one forest for all the labels of a multilabel target"
register_model("random_forest", ForestParams, "scikit-learn random forest" + _CHOSEN, check=_check_forest,
               multilabel=True)(_forest("random_forest"))
register_model("extra_trees", ForestParams, "scikit-learn extremely randomised trees" + _CHOSEN, check=_check_forest,
               multilabel=True)(_forest("extra_trees"))
