"""Gradient boosting (LightGBM, XGBoost, CatBoost, scikit-learn) with the tree count chosen inside the fold's training rows.

``EarlyStopped`` is the shared contract: probes fitted on inner splits of the rows a model is given (never the
fold's validation rows) each report their best iteration; the model is then refitted on all the rows with the
median of those counts, scaled up to the larger set. Small sets (``inner_cv_rows``) with few trees per iteration
(``inner_cv_classes``) are probed on the first ``probe_splits`` splits of an inner k-fold (both halves of an inner
2-fold by default, at the final learning rate); larger sets and many classes use one 15% split probed at twice the
rate. For class probabilities the probes' predictions on their held rows also fit a
temperature (``calibrate``), at no extra fit, that only softens: boosters fitted on a few hundred rows are
overconfident, and the final fit is surer than its probes, never less.

Where boosting starts (``start``): from the prior (the libraries' own base score) or from a ``LinearStart`` fitted on
the same rows, whose margin the trees are added to. ``auto`` races the two on small sets and on many classes
(``_race``: split by split until a paired test of their held losses decides, or every split is done; only the winner
is probed on the rest) and starts from the prior on larger sets of few classes.

What bounds the cost: a probe stops when its held loss has not dropped by ``min_improvement`` of the prior's held
loss for ``early_stopping_rounds`` rounds (a loss that only creeps down stops at its plateau, not at the cap); every
fit grows at most ``max_trees`` trees, iterations x trees per iteration (one per class), the learning rate rising up
to 2x where that cuts the count; and leaf L2 is scaled by a class row's hessian (``_hessian_scale``), so that many
small classes are not regularised into thousands of tiny steps. Every column and bin a tree scores is paid once per
class, so many classes score fewer of both (``_column_share``, ``_class_bins``), and CatBoost's symmetric trees,
with a value per class in each leaf, are no deeper than the rows a class can fill (``_class_depth``). On more than two
classes XGBoost takes a faster rate from 2,000 rows (``class_rate``) and CatBoost one-hot encodes more category
levels from 1,000 (``_one_hot_levels``), where a tree or a target statistic is paid once per class. A CatBoost
level scores at most ``level_columns`` columns whatever the classes, and up to ``small_rate_rows`` rows CatBoost grows
at most ``small_iterations`` (``_iteration_cap``): its iterations cost several times LightGBM's. There, on more than
two classes with per-class target statistics, its levels score fewer columns where a fit's work at that cap would pass
``max_statistics_work`` (``_statistics_share``). The race's two
probes of a split run side by side on a thread each (``concurrent_probes``), where the library fits without the GIL;
where they run in turn (GBRT), the second stops once its pace cannot reach the first's; a race of one split (many
classes; CatBoost's one inner split) runs them at once, meeting every few iterations, where the one that cannot win
stops (``_Lockstep``). XGBoost's rate on small many-class sets rises by the whole cut of its tree budget
(``EarlyStoppedXGBoost._budget``); scikit-learn GBRT's (its own, not raised by the budget) and CatBoost's rise to their
probes' rate where many classes' probes use every iteration the budget allows (``_ends_at_probe_rate``).
XGBoost's CPU fits skip the library's closing reset, a round trip of the whole model (``_XGBoostKeptCaches``), and
its CPU probes score their held rows as a plain DMatrix, not on the fitted rows' bins (``_plain_held_rows``).
``probe_seconds_`` and ``final_seconds_`` say what the choices cost; ``make bench`` prices them against the plain
library fit (``plain_boosting.py``). Under a portfolio member's deadline (core/deadline.py) every probe and the final
fit check it each iteration through the library's callbacks (``_watched``) and stop with ``PastDeadline``.
"""

from __future__ import annotations

import threading
import time
import warnings
import weakref
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from functools import lru_cache, partial
from typing import Any, Callable, Dict, Iterable, Optional, Tuple

import numpy as np
from scipy import sparse

from ..core.deadline import Watch
from ..core.errors import UserError
from ..core.folds import inner_splits
from ..core.metrics import check_regression_loss, get_metric
from ..core.speed import gpu_count, thread_count
from .calibration import ProbabilityCalibrator, place_classes
from .linear_start import START_CHOICES, FittedInit, LinearEncoding, LinearStart, link
from .registry import register_model, register_variant


def _rows(X, idx):
    """Rows of a matrix or (for models that eat the raw frame) a DataFrame."""
    return X.iloc[idx] if hasattr(X, "iloc") else X[idx]


def _gpu(speed) -> bool:
    """Use the GPU when asked for, or when there is one and the device is auto."""
    if speed.device == "cuda":
        return True
    return speed.device == "auto" and gpu_count() > 0


def _held_proba(probe, X_hold, n_classes: int, **kwargs) -> np.ndarray:
    """A probe's class probabilities for held rows, one column per class (classes it never saw get 0)."""
    return place_classes(probe.predict_proba(X_hold, **kwargs), probe.classes_, n_classes)


def _row_losses(held: np.ndarray, y: np.ndarray, classification: bool, absolute: bool = False) -> np.ndarray:
    """Each held row's loss: minus the log probability of its class, or its squared (``absolute``: absolute) error."""
    if classification:
        return -np.log(np.clip(held[np.arange(len(y)), np.asarray(y, int)], 1e-15, None))
    return np.abs(y - held) if absolute else (y - held) ** 2


def _held_loss(held: np.ndarray, y: np.ndarray, classification: bool, absolute: bool = False) -> float:
    """Log loss of held probabilities, or mean squared (``absolute``: absolute) error of held predictions."""
    if classification:
        return get_metric("logloss").fn(y, held)
    return float(np.mean(_row_losses(held, y, False, absolute)))


def _stopping_loss(held: np.ndarray, y: np.ndarray, classification: bool, absolute: bool = False) -> float:
    """A held loss in the units probes stop on: log loss, or for regression MAE (``absolute``) or RMSE."""
    loss = _held_loss(held, y, classification, absolute)
    return loss if classification or absolute else float(np.sqrt(loss))


def _prior_loss(y_fit: np.ndarray, y_hold: np.ndarray, classification: bool, n_classes: int, absolute: bool = False) -> float:
    """The held rows' loss under the constant prediction fitted on the probe's rows (log loss of the class shares,
    RMSE around the mean, or absolute error around the median): the scale a probe's improvements are measured against."""
    if classification:
        share = np.bincount(y_fit, minlength=n_classes) + 0.5
        return float(get_metric("logloss").fn(y_hold, np.tile(share / share.sum(), (len(y_hold), 1))))
    if absolute:
        return float(np.mean(np.abs(y_hold - np.median(y_fit))))
    return float(np.sqrt(np.mean((y_hold - np.mean(y_fit)) ** 2)))


class EarlyStopped:
    """Base for boosters. Subclasses give ``_model(n_rows, n_iterations)``, ``_best`` (fit one probe) and
    ``_raw`` (raw scores with the start's margin included); ``_final`` when the final fit needs other inputs."""

    concurrent_probes = True  # the library fits without the GIL and _best reads no state another probe sets
    lockstep = False  # _best stops a probe when the race's ``lockstep_`` says so (a library callback each iteration)
    small_rate_rows = 2000  # the size-aware rate is 0.05 up to this many rows (``_size_aware_rate``)
    class_rate: Optional[float] = None  # more than two classes on more than small_rate_rows (up to 20,000) rows: this rate
    # What a tree costs per column past FREE_COLUMNS, as a share of a tree on up to that many (``_width_price``); 0: the
    # library's trees cost about the same at any width (GBRT samples columns at each node; CatBoost bounds its own work).
    column_cost = 0.0

    def __init__(self, p, task: str, seed: int, threads: int):
        self.p, self.task, self.seed, self.threads = p, task, seed, threads

    @property
    def absolute(self) -> bool:
        """Regression fitted to absolute errors (``regression_loss``: the median a metric such as MAE rewards)."""
        return self.task == "regression" and self.p.regression_loss == "absolute"

    def _trees_per_iteration(self) -> int:
        """Trees one boosting iteration grows, or their cost: one per class for several classes (CatBoost grows one
        tree with a value per class in each leaf, at about the same cost per class)."""
        n_classes = getattr(self, "n_classes_", 0)
        return n_classes if n_classes > 2 else 1

    def _many_classes(self) -> bool:
        """More trees a round than ``inner_cv_classes``: probes use one split, and the start is raced at any size."""
        return self._trees_per_iteration() > self.p.inner_cv_classes

    def _column_share(self, share: float) -> float:
        """The share of columns a tree (CatBoost: a level) scores: ``share``, and with many classes no more than
        ``class_columns`` columns, because every column scored is paid once per class (99 classes, 192 columns: CatBoost
        158 -> 53 s, XGBoost 72 -> 58 s for 5 folds at the same or a better log loss; README, Models)."""
        columns = getattr(self, "n_columns_", 0)
        if not self.p.class_columns or not columns or not self._many_classes():
            return share
        return float(min(share, self.p.class_columns / columns))

    def _class_bins(self, own: int) -> int:
        """Histogram bins (CatBoost: borders) a column: ``own``, and with many classes at most one per 32 of the fold's
        rows (at least 32), because every bin's split search is paid once per class (99 classes of 1,600 rows: an
        XGBoost fit 2x faster at 50 bins than at 256, log loss as good or better; README, Models)."""
        if not self._many_classes():
            return own
        return int(min(own, max(32, self.n_rows_ // 32)))

    def _budget(self) -> Tuple[int, float]:
        """(iteration cap, learning-rate scale): the cap keeps iterations x trees per iteration within max_trees;
        where that cuts ``n_estimators`` the size-aware rate rises by the square root of the cut, at most 2x. The cap is
        also at most ``_iteration_cap``, which does not move the rate."""
        p, budget = self.p, self._tree_budget()
        if not budget:
            return self._iteration_cap(), 1.0
        cut = int(min(p.n_estimators, max(50, budget // self._trees_per_iteration())))
        return min(cut, self._iteration_cap()), float(min(2.0, np.sqrt(p.n_estimators / cut)))

    def _iteration_cap(self) -> int:
        """The most iterations a fit of the fold's rows may grow (``n_estimators``)."""
        return self.p.n_estimators

    def _tree_budget(self) -> int:
        """The most trees (iterations x trees per iteration) one fit may grow: ``max_trees``, divided by what a tree
        costs on the fold's columns (``_width_price``); 0: no bound."""
        return int(self.p.max_trees / self._width_price())

    def _width_price(self) -> float:
        """What a tree on the fold's columns costs relative to one on up to ``FREE_COLUMNS``: a many-class target
        encoding makes a column per class of each category column (50 classes, 30 of them: 1,510 columns), and a tree
        that scores 48 of them still pays for all in the library's histograms and column sampling."""
        return 1.0 + self.column_cost * max(0, getattr(self, "n_columns_", 0) - FREE_COLUMNS)

    def _hessian_scale(self) -> float:
        """A class row's log-loss hessian at the prior, relative to a balanced binary row's (0.25): 4(K-1)/K^2 for K
        classes, else 1. Leaf L2 and minimum hessian per leaf are scaled by it, so that 32 classes of 40 rows are
        regularised as a balanced binary target is, not 8x harder (which makes their trees crawl)."""
        k = self._trees_per_iteration()
        return 4.0 * (k - 1) / k**2 if k > 2 else 1.0

    def _size_rate(self) -> float:
        """The size-aware rate of the fold's rows (``_size_aware_rate``, or ``class_rate``), which its probes share: a
        probe on 85% of a 2,200-row fold probing at its own rows' 0.05 would count iterations for a final fit at 0.03."""
        n_rows = self.n_rows_
        if self.class_rate and self._trees_per_iteration() > 1 and self.small_rate_rows < n_rows <= LARGE_RATE_ROWS:
            return self.class_rate
        return _size_aware_rate(n_rows, self.small_rate_rows)

    def _rate(self) -> float:
        """The final fit's rate (given, or size-aware and raised where the tree budget cuts; times ``reach_`` where a
        capped fit ends at its probes' rate), times the probes' speed-up while probing."""
        base = self.p.learning_rate or self._size_rate() * getattr(self, "rate_scale_", 1.0)
        return base * self.p.speedup * self.probe_boost_ * self.reach_

    def _rounds(self) -> int:
        """Rounds without improvement before a probe stops, in probe iterations (fewer at the probes' faster rate), and
        at most half the probe's cap: where many classes cut the cap to a few dozen iterations, a patience as long as
        the cap would never stop a probe that is past its best (99 classes: GBRT's best at 3-15 of 25)."""
        return max(10, min(int(np.ceil(self.patience_ / self.probe_boost_)), self._probe_cap() // 2))

    def _probe_cap(self) -> int:
        return max(10, int(np.ceil(self.cap_ / self.probe_boost_)))

    def _model(self, n_rows: int, n_iterations: int):
        raise NotImplementedError

    def _best(self, X_fit, y_fit, X_hold, y_hold, m_fit=None, m_hold=None) -> Tuple[int, np.ndarray]:
        """Fit a probe on (X_fit, y_fit), starting from margins ``m_fit`` when given; its best iteration on the held
        rows and its predictions for them at that iteration (probabilities, one column per class of ``y``)."""
        raise NotImplementedError

    def _min_delta(self, y_fit, y_hold) -> float:
        """The least drop of the held loss (log loss, or RMSE / MAE for regression) that counts as an improvement."""
        classification = self.task != "regression"
        return self.p.min_improvement * _prior_loss(y_fit, y_hold, classification, getattr(self, "n_classes_", 0),
                                                    self.absolute)

    def _raw(self, model, X, margin):
        """The fitted model's raw scores for X, started from ``margin``."""
        raise NotImplementedError

    def _held(self, probe, X_hold, m_hold, **at):
        """A probe's predictions for its held rows at the iteration ``at`` names: values (regression) or one
        probability column per class, started from ``m_hold`` when given."""
        if m_hold is not None:
            return link(self._raw(probe, X_hold, m_hold, **at), self.task)
        if self.task == "regression":
            return probe.predict(X_hold, **at)
        return _held_proba(probe, X_hold, self.n_classes_, **at)

    def _encoded(self, X) -> np.ndarray:
        """The fold's rows in the linear start's encoding, fitted on first use: it reads no labels, so one fit serves
        every probe and the final model, and only the linear model is refitted on each one's rows."""
        if self.design_ is None:
            self.encoding_ = LinearEncoding()
            self.design_ = self.encoding_.fit_transform(X)
        return self.design_

    def _linear(self):
        """A linear start on the fold's one encoding (see ``_encoded``)."""
        return LinearStart(self.task, self.p.start_alpha, getattr(self, "n_classes_", 0), self.encoding_)

    def _probe(self, X, y, fit, hold, start: str):
        X_fit, X_hold = _rows(X, fit), _rows(X, hold)
        if start == "prior":
            return self._best(X_fit, y[fit], X_hold, y[hold])
        Z = self._encoded(X)  # before _linear(), which takes the encoding this fits
        linear = self.probe_linear_ = self._linear().fit_design(Z[fit], y[fit])
        return self._best(X_fit, y[fit], X_hold, y[hold], linear.margin(Z[fit], design=True),
                          linear.margin(Z[hold], design=True))

    def _in_turn(self) -> bool:
        """Whether the starts' probes run one after the other (the linear start first, each later one stopping once it
        cannot reach an earlier one's held loss: ``rival_``) instead of side by side."""
        return not self.concurrent_probes

    def _in_lockstep(self, n_splits: int) -> bool:
        """Whether the race's two probes of a split run at once and stop each other (``_Lockstep``): where the library
        can stop a probe between iterations, and only on a race of one split (many classes; CatBoost's one inner split),
        so that cutting the loser short keeps the winner's probe, and so the fold's model, as it was. (On two splits
        a loser cut short would move the paired test that decides whether the second split is probed.)"""
        return self.lockstep and n_splits == 1

    def _racing(self, m_fit) -> Optional[Callable[[float], bool]]:
        """What a probe calls with its held loss after each iteration to learn whether it stops, unable to win its race
        (``_Lockstep.step`` for its start); None outside a lockstep race."""
        if self.lockstep_ is None:
            return None
        return partial(self.lockstep_.step, "prior" if m_fit is None else "linear")

    def _probes_in_lockstep(self, X, y, fit, hold, starts):
        """The starts' probes of one split at once, a thread each on its share of the threads (at least one), meeting
        every few iterations (``lockstep_``), where a probe that cannot win stops."""
        self.lockstep_ = _Lockstep(self._rounds(), self._probe_cap())

        def probe(start):
            try:
                return self._probe(X, y, fit, hold, start)
            finally:
                self.lockstep_.end(start)  # stopped early, failed or past the deadline: the other waits no more

        try:
            return self._side_by_side(probe, starts, len(starts))
        finally:
            self.lockstep_ = None

    def _side_by_side(self, probe, starts, workers: int) -> list:
        """``probe(start)`` for every start at once on ``workers`` threads, each fit on its share of the threads."""
        from concurrent.futures import ThreadPoolExecutor

        threads, self.threads = self.threads, max(1, self.threads // workers)
        try:
            with ThreadPoolExecutor(workers) as pool:
                return list(pool.map(probe, starts))
        finally:
            self.threads = threads

    def _probes(self, X, y, fit, hold, starts, n_splits: int = 1):
        """The probes of every start on one split. Where the fit has threads to spare and the library releases the
        GIL, they run side by side, each on its share of the threads: on a few thousand rows a tree library gains
        little from a second thread, while a second probe at once halves the wall. In turn (``_in_turn``), each probe
        after the first knows the best held loss before it (``rival_``: log loss, or RMSE for regression)."""
        self.rival_ = np.inf
        if len(starts) > 1 and self._in_lockstep(n_splits):
            return self._probes_in_lockstep(X, y, fit, hold, starts)
        if self._in_turn():
            done = {}
            for s in sorted(starts, key=lambda s: s != "linear"):
                done[s] = self._probe(X, y, fit, hold, s)
                self.rival_ = min(self.rival_, self._held_score(done[s][1], y[hold]))
            return [done[s] for s in starts]
        workers = min(len(starts), self.threads)
        if workers <= 1:
            return [self._probe(X, y, fit, hold, s) for s in starts]
        return self._side_by_side(lambda s: self._probe(X, y, fit, hold, s), starts, workers)

    def _held_score(self, held: np.ndarray, y_hold: np.ndarray) -> float:
        """A probe's held loss in the units its stopping follows: log loss, or RMSE (MAE) for regression."""
        return _stopping_loss(held, y_hold, self.task != "regression", self.absolute)

    def _race(self, X, y, splits, starts, classification):
        """(the winner's probes, the winning start, held losses or None). The starts are probed split by split on the
        same rows only until a paired test of their per-row held losses (|z| > 2) names a winner, or every split is
        done (the lower mean loss wins); then the winner alone is probed on the rest."""
        tried = {s: [] for s in starts}
        if "linear" in starts:
            self._encoded(X)  # once, before probes that may run side by side
        for fit, hold in splits:
            for s, probe in zip(starts, self._probes(X, y, fit, hold, starts, len(splits))):
                tried[s].append(probe)
            if len(starts) > 1:
                rows = np.concatenate([va for _, va in splits[:len(tried[starts[0]])]])
                prior, linear = (_row_losses(np.concatenate([pr for _, pr in tried[s]]), y[rows], classification, self.absolute)
                                 for s in ("prior", "linear"))
                gap = linear - prior
                z = gap.mean() / (gap.std(ddof=1) / np.sqrt(len(gap)) + 1e-12)
                losses = {"prior": float(prior.mean()), "linear": float(linear.mean())}
                done = len(tried[starts[0]])
                if abs(z) > 2 or done >= len(splits):
                    winner = min(losses, key=losses.get)
                    starts, chosen = [winner], {k: round(v, 5) for k, v in losses.items()}
                    chosen["splits"] = done
        winner = starts[0]
        return tried[winner], winner, chosen if len(tried) > 1 else None

    def fit(self, X, y):
        with _extra_refusals(getattr(self.p, "extra", {}), type(self).__name__.replace("EarlyStopped", "")):
            return self._fit(X, y)

    def _shape(self, n_rows: int, n_columns: int, n_classes: int) -> None:
        """What a table's shape sets: classes, rows, columns, the rate scale and the iteration cap (divided by
        ``speedup``, which ``_rate`` multiplies the rate by)."""
        p = self.p
        if self.task != "regression":
            self.n_classes_ = n_classes
        self.n_columns_, self.n_rows_, self.probe_boost_, self.reach_ = n_columns, n_rows, 1.0, 1.0
        cap, self.rate_scale_ = self._budget() if p.early_stopping else (p.n_estimators, 1.0)
        self.cap_ = max(1, int(np.ceil(cap / p.speedup)))

    def _prepare(self, X, y) -> None:
        """The state every fit (and ``timing``) starts from: the shape's (``_shape``), no start, probe or calibration."""
        self._shape(len(y), X.shape[1], int(np.max(y)) + 1 if self.task != "regression" else 0)
        self.start_losses_, self.encoding_, self.design_, self.probe_linear_ = None, None, None, None
        self.linear_, self.calibrator_, self.lockstep_ = None, None, None
        self.watch_ = Watch(type(self).__name__.replace("EarlyStopped", ""))  # read here: probes may run on a pool's threads

    def timing(self, X, y) -> "FitTiming":
        """This booster's pace on (X, y), from two short fits without probes (``TIMED_ITERATIONS``): what a fit pays
        whatever it grows, what an iteration costs, and what predicting a row through an iteration costs."""
        self._prepare(X, y)
        many = max(2, min(TIMED_ITERATIONS[1], self.cap_))  # many classes: a cap of a few dozen iterations
        few = max(1, min(TIMED_ITERATIONS[0], many // 4))
        seconds = []
        for count in (few, many):
            began = time.perf_counter()
            self.model_ = self._final(X, y, self._model(len(y), count), None)
            seconds.append(time.perf_counter() - began)
        rows = _rows(X, np.arange(min(len(y), 5000)))
        began = time.perf_counter()
        self.predict(rows)
        predicting = time.perf_counter() - began
        each = max(seconds[1] - seconds[0], 0.0) / (many - few)
        return FitTiming(max(seconds[0] - few * each, 0.0), each, predicting / (many * rows.shape[0]))

    def fit_seconds(self, pace: "FitTiming", n_rows: int, n_columns: int, n_classes: int, predict_rows: int) -> float:
        """At most how long ``fit`` on a table of this shape, then predicting ``predict_rows`` rows, takes at ``pace``:
        every probe and the final fit are counted at their whole iteration cap (on a large table at a small rate the
        count reaches it: 2,000 of 2,000 on 240,000 rows), the probes again at each raise of the rate that a count cut
        by the cap makes, so a budget sized by it is not overrun."""
        self._shape(n_rows, n_columns, n_classes)
        p, cap = self.p, self.cap_
        fits, grown, held = 1, float(cap), 0.0  # fits paying the fixed cost; iterations on n_rows rows; held rows predicted
        if p.early_stopping and n_rows >= 40:
            many = self._many_classes()
            cheap = n_rows <= p.inner_cv_rows and not many
            folds = p.inner_folds if cheap and p.inner_folds > 1 else 1
            share = 1 - 1 / folds if folds > 1 else 1 - p.inner_valid_fraction  # a probe's rows, of n_rows
            probes = (min(max(1, p.probe_splits), folds) if folds > 1 else 1) * \
                (2 if p.start == "auto" and (n_rows <= p.inner_cv_rows or many) else 1)
            boost = 1.0 if folds > 1 else p.probe_speedup
            # a count cut by the cap probes again at twice the rate, up to CAP_RAISES times (``_fit``)
            probes *= 1 + (CAP_RAISES if self._raises_rate() else 0)
            fits += probes
            grown += probes * share * cap / boost
            held = probes * (1 - share) * n_rows
        return fits * pace.fixed + grown * pace.iteration + (predict_rows + held) * cap * pace.prediction

    def _fit(self, X, y):
        p, n = self.p, len(y)
        classification = self.task != "regression"
        self._prepare(X, y)
        iterations = max(1, int(np.ceil(p.n_estimators / p.speedup)))  # without probes (too few rows, or none asked)
        start = "linear" if p.start == "linear" and (not classification or len(np.unique(y)) == self.n_classes_) else "prior"
        began = time.perf_counter()
        if p.early_stopping and n >= 40:
            many = self._many_classes()
            cheap = n <= p.inner_cv_rows and not many
            folds = p.inner_folds if cheap else 1
            self.patience_ = (p.inner_cv_rounds if folds > 1 else p.early_stopping_rounds) / p.speedup
            splits = inner_splits(y, p.inner_valid_fraction, folds, self.seed, classification)[:max(1, p.probe_splits)]
            held = np.concatenate([va for _, va in splits])
            # Many classes race the starts at any size: the tree budget caps their iterations, and a linear start
            # carries what a few trees a class cannot (176 classes, 2,400 rows: 0.652 accuracy from it, 0.466 without).
            race = p.start == "auto" and (n <= p.inner_cv_rows or many)
            starts = ["prior", "linear"] if race else [start]
            if classification and any(len(np.unique(y[tr])) < self.n_classes_ for tr, _ in splits):
                starts = ["prior"]  # margins need every class in every probe's rows
            # A faster rate favours the linear start (it needs fewer trees) and misjudges small sets' counts, so the
            # inner k-fold of small sets probes at the final rate; the one plain split (large sets, many classes)
            # probes faster and scales its count back.
            boost = self.probe_boost_ = p.probe_speedup if not cheap or folds <= 1 else 1.0
            probes, start, self.start_losses_ = self._race(X, y, splits, starts, classification)
            # The cap cut the count: at this rate the table wants more iterations than the cap allows (a large table
            # at 0.02 reaches 2,000 of 2,000). Twice the rate, probed again on the same splits, up to CAP_RAISES times;
            # not on small sets (a few hundred separable rows never stop), where the many-class budget has raised the
            # rate already, nor at a rate the config gives.
            raises = 0 if self._raises_rate() else CAP_RAISES
            while raises < CAP_RAISES and self._capped(probes):
                self.rate_scale_, raises = self.rate_scale_ * 2, raises + 1
                probes, _, _ = self._race(X, y, splits, [start], classification)
            # Judged against the probes' own cap (``_probe_cap`` reads probe_boost_), so before it is reset.
            self.reach_ = boost if self._ends_at_probe_rate() and self._capped(probes) else 1.0
            self.probe_boost_ = 1.0  # the final fit runs at its own rate
            share = float(np.mean([len(tr) for tr, _ in splits])) / n
            iterations = int(min(self.cap_, np.ceil(np.median([b for b, _ in probes]) * boost / share)))
            if classification and getattr(p, "calibrate", False):
                # Soften only: the final fit (more rows, more trees) is surer than its probes, never less sure.
                self.calibrator_ = ProbabilityCalibrator("temperature", min_temperature=1.0).fit(
                    np.vstack([pr for _, pr in probes]), y[held])
        self.probe_seconds_ = round(time.perf_counter() - began, 3)
        self.watch_.check()  # a portfolio member past its budget: no final fit
        began = time.perf_counter()
        self.start_ = start
        self.linear_, margin = None, None
        if start == "linear":
            Z = self._encoded(X)  # before _linear(), which takes the encoding this fits
            self.linear_ = self._linear().fit_design(Z, y)
            margin = self.linear_.margin(Z, design=True)
        self.design_ = self.probe_linear_ = None  # the fitted model keeps the encoding, not the rows
        self.model_ = self._final(X, y, self._model(n, iterations), margin)
        self.final_seconds_ = round(time.perf_counter() - began, 3)
        self.best_iteration_ = iterations
        self.final_rate_ = round(float(self._rate()), 6)
        self.classes_ = np.arange(self.n_classes_) if self.linear_ is not None and classification \
            else getattr(self.model_, "classes_", None)
        return self

    def _ends_at_probe_rate(self) -> bool:
        """Whether a fit whose probes used every iteration their cap allows ends at the probes' faster rate (``reach_``):
        its cap then covers the distance the probes found still falling, twice as far as the final rate reaches. Many
        classes only (``capped_at_probe_rate``): there the class-tree budget cuts the count to a few hundred iterations
        or fewer, so a capped fit stops far short of where its held loss would; a few classes keep the final rate."""
        return self.p.capped_at_probe_rate and self._many_classes()

    def _raises_rate(self) -> bool:
        """Whether a count cut by the cap may raise the rate (``_fit``): a size-aware rate, not raised by the tree
        budget, on more than ``inner_cv_rows`` rows."""
        return self.p.learning_rate is None and self.rate_scale_ == 1.0 and self.n_rows_ > self.p.inner_cv_rows

    def _capped(self, probes) -> bool:
        """Whether the probes' median count reached ``CAPPED`` of their cap: the cap chose it, not the held rows."""
        return float(np.median([b for b, _ in probes])) >= CAPPED * self._probe_cap()

    def _final(self, X, y, model, margin):
        """Fit the final model on all the rows, started from ``margin`` when given."""
        return model.fit(X, y, **self._watched(), **({} if margin is None else self._margin_kwargs(margin)))

    def _watched(self) -> dict:
        """Fit arguments that end the library's fit with ``PastDeadline`` once the run's deadline passes (a portfolio
        member's budget), checked every iteration; {} where no deadline is set, or the library takes no callback."""
        return {}

    def _watching(self) -> bool:
        return getattr(self, "watch_", None) is not None and self.watch_.armed

    def _margin_kwargs(self, margin) -> dict:
        raise NotImplementedError

    def _linear_output(self, X):
        return link(self._raw(self.model_, X, self.linear_.margin(X)), self.task)

    def predict(self, X):
        if self.linear_ is None:
            return self.model_.predict(X)
        out = self._linear_output(X)
        return out if self.task == "regression" else np.argmax(out, axis=1)

    def predict_proba(self, X):
        return self._calibrated(self.model_.predict_proba(X) if self.linear_ is None else self._linear_output(X))

    def _calibrated(self, proba):
        if self.calibrator_ is None:
            return proba
        full = place_classes(proba, self.classes_, self.n_classes_)
        return self.calibrator_.transform(full)[:, np.asarray(self.classes_, int)]

    @property
    def feature_importances_(self):
        return self.model_.feature_importances_


# The two short fits ``EarlyStopped.timing`` takes; their difference is the iterations' cost. Not fewer: early
# iterations are cheaper than later ones (diamonds, 34,522 rows: LightGBM 0.96 ms an iteration over 5-30 against 1.7
# over 30-200; CatBoost 4 ms over 10-100, 11 over 100-300, 9 over 300-1,000: its categorical combinations grow).
TIMED_ITERATIONS = (20, 200)
SMALL_CLASS_RISE = 3.0  # XGBoost on up to 2,000 rows: the most its rate rises by the tree budget's cut
FREE_COLUMNS = 100  # up to this many columns a tree costs the tree budget one tree (``_width_price``)
CAPPED = 0.95  # a probe count at this share of its cap was cut by the cap, not chosen by the held rows
CAP_RAISES = 2  # how many times a count cut by the cap doubles the size-aware rate (at most 4x)


@dataclass(frozen=True)
class FitTiming:
    """A booster's measured pace on one table (``EarlyStopped.timing``), which ``fit_seconds`` turns into a price."""

    fixed: float  # seconds a fit pays whatever it grows (the library's dataset: binning, quantising)
    iteration: float  # seconds an iteration grows (a tree, or one per class)
    prediction: float  # seconds to predict one row through one iteration

    def scaled(self, rows: float) -> "FitTiming":
        """The pace on ``rows`` times as many rows: a histogram booster's binning and iterations grow with the rows."""
        return FitTiming(self.fixed * rows, self.iteration * rows, self.prediction)


@dataclass
class EarlyStoppingParams:
    """How every booster chooses its tree count and scales its probabilities (each model's params extend this)."""

    early_stopping: bool = True  # choose the tree count on inner splits of the fold's training rows, then refit on all
    early_stopping_rounds: int = 100  # a probe on one split stops after this many rounds without improvement
    inner_cv_rounds: int = 50  # the same for the raced inner k-fold of small sets (up to four probes a fold)
    min_improvement: float = 1e-4  # a probe's held loss must drop by this share of the prior's to count as better
    max_trees: int = 8000  # every fit's iterations x trees per iteration (one per class): bounds many-class cost; 0: none
    inner_valid_fraction: float = 0.15  # the held share when one inner split is used
    inner_folds: int = 2  # inner k-fold shape on sets of up to inner_cv_rows rows (a probe fits on half); 0 or 1: one split
    probe_splits: int = 2  # how many of the inner k-fold's splits are probed (the counts' median, the start race)
    inner_cv_rows: int = 2000
    inner_cv_classes: int = 4  # above this many trees per iteration (classes), one inner split: a probe costs a final fit
    calibrate: bool = True  # classification: temperature-scale probabilities, fitted on the probes' held rows
    start: str = "auto"  # prior | linear (boost from a ridge / logistic fit on the same rows) | auto (inner k-fold picks)
    start_alpha: float = 1.0  # the linear start's L2 strength (logistic: C = 1 / alpha)
    probe_speedup: float = 2.0  # one-split probes run at this multiple of the final rate; their counts scaled back by it
    capped_at_probe_rate: bool = False  # above inner_cv_classes classes: a fit whose probes reach their cap ends at their rate
    class_columns: int = 48  # above inner_cv_classes classes a tree (CatBoost: a level) scores at most this many columns; 0: all
    regression_loss: str = "auto"  # squared | absolute | auto: absolute where the metric scores absolute errors (mae)
    # A budget's rung (model=auto on a large table): the learning rate times this, the iteration cap and the probes'
    # patience divided by it, so a fold costs about 1/speedup of its time at 1.
    speedup: float = 1.0


@contextmanager
def _extra_refusals(extra: Dict[str, Any], library: str):
    """Turn the library refusing ``model.params.extra`` (an unknown objective, a bad value, a key XGBoost says it did
    not use) into one line naming them; without extras the library's errors are ours and pass unchanged."""
    if not extra:
        yield
        return
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        except UserError:
            raise
        except Exception as exc:  # noqa: BLE001 - whatever the library raises, the user's extras caused it
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise UserError(f"model.params.extra {dict(extra)}: {library} refused it ({first}). Check the names and "
                            "values against the library's parameter list.") from None
    unused = [str(w.message) for w in caught if "are not used" in str(w.message)]
    if unused:
        raise UserError(f"model.params.extra {dict(extra)}: {library} did not use "
                        f"{unused[0].split('Parameters:')[-1].split('are not used')[0].strip()}: unknown parameter "
                        "name(s). Check the spelling against the library's parameter list.")
    for w in caught:
        warnings.showwarning(w.message, w.category, w.filename, w.lineno)


def _check_extra(p, fixed: Iterable[str], canonical=lambda key: key, known: Optional[set] = None) -> Optional[str]:
    """What is wrong with ``p.extra``: a key that a named parameter (or kagglekit itself) already sets, or, where the
    library lists its parameters (``known``), a name it does not have."""
    named = {canonical(f.name): f.name for f in fields(p) if f.name not in _CONTROL}
    named.update({canonical(k): k for k in fixed})
    for key in p.extra:
        if canonical(key) in named:
            clash = named[canonical(key)]
            where = f"model.params.{clash}" if clash in {f.name for f in fields(p)} else "kagglekit (fixed)"
            return f"model.params.extra.{key} is already set by {where}; set it there, not in extra."
        if known is not None and key not in known:
            return f"model.params.extra.{key} is not a parameter of this library; check its spelling."
    return None


def _check_boosting(p) -> Optional[str]:
    if p.start not in START_CHOICES or p.start_alpha <= 0:
        return f"start is one of {', '.join(START_CHOICES)} and start_alpha > 0."
    if (problem := check_regression_loss(p.regression_loss)) is not None:
        return problem
    if p.n_estimators < 1 or (p.learning_rate is not None and p.learning_rate <= 0) or not 0 < p.subsample <= 1 \
            or not 0 < p.inner_valid_fraction < 0.5 or min(p.early_stopping_rounds, p.inner_cv_rounds) < 1 or p.inner_folds < 0 \
            or p.min_improvement < 0 or p.max_trees < 0 or p.probe_splits < 1 or p.probe_speedup < 1 or p.class_columns < 0 \
            or p.speedup < 1:
        return ("n_estimators >= 1, learning_rate > 0, subsample in (0, 1], inner_valid_fraction in (0, 0.5), "
                "early_stopping_rounds and inner_cv_rounds >= 1, inner_folds >= 0, min_improvement >= 0, max_trees >= 0, probe_splits >= 1, "
                "probe_speedup >= 1, class_columns >= 0 and speedup >= 1 are needed.")
    return None


LARGE_RATE_ROWS = 20000  # above this many rows the size-aware rate is 0.02, whatever the class count


def _size_aware_rate(n_rows: int, small_rows: int = 2000) -> float:
    """0.05 up to ``small_rows`` rows, 0.03 up to ``LARGE_RATE_ROWS`` (where ``small_rows`` is below it), else 0.02."""
    return 0.05 if n_rows <= small_rows else 0.03 if n_rows <= LARGE_RATE_ROWS else 0.02


def _size_aware_leaf(n_rows: int) -> int:
    """Minimum rows per leaf: about 5% of the rows on small sets, LightGBM's 20 from 400 rows up."""
    return int(min(20, max(5, round(n_rows / 20))))


@dataclass
class LightGBMParams(EarlyStoppingParams):
    n_estimators: int = 2000  # the most trees; early stopping picks fewer
    learning_rate: Optional[float] = None  # null: from the row count (0.05 up to 20,000 rows, else 0.02)
    num_leaves: int = 15
    max_depth: int = -1
    min_child_samples: Optional[int] = None  # null: from the row count (5% of the rows, between 5 and 20)
    subsample: float = 0.8
    subsample_freq: int = 1
    colsample_bytree: float = 0.4
    reg_alpha: float = 0.0
    reg_lambda: float = 1.0
    min_split_gain: float = 0.0
    max_bin: Optional[int] = None  # null: 255, and above inner_cv_classes classes one per 32 rows (at least 32)
    extra: Dict[str, Any] = field(default_factory=dict)  # any other LightGBM parameter, passed through


def _lightgbm_names():
    """(canonical name of a LightGBM parameter or alias, every name LightGBM accepts), read from LightGBM itself."""
    import inspect

    import lightgbm as lgb

    try:
        from lightgbm.basic import _ConfigAliases

        aliases = _ConfigAliases._get_all_param_aliases()
    except (ImportError, AttributeError):  # another LightGBM: names cannot be listed, clashes by exact name only
        return (lambda key: key), None
    lookup = {a: name for name, names in aliases.items() for a in [name, *names]}
    known = set(lookup) | set(inspect.signature(lgb.LGBMModel.__init__).parameters) - {"self", "kwargs"}
    return (lambda key: lookup.get(key, key)), known


def _check_lightgbm(p: LightGBMParams):
    if p.num_leaves < 2 or not 0 < p.colsample_bytree <= 1 or p.reg_alpha < 0 or p.reg_lambda < 0 or \
            (p.max_bin is not None and p.max_bin < 2):
        return "num_leaves >= 2, colsample_bytree in (0, 1], reg_alpha and reg_lambda >= 0, max_bin >= 2 are needed."
    if p.extra:
        canonical, known = _lightgbm_names()
        return _check_extra(p, ("random_state", "verbose", "n_jobs"), canonical, known) or _check_boosting(p)
    return _check_boosting(p)


_CONTROL = ("extra",) + tuple(f.name for f in fields(EarlyStoppingParams))  # ours, not the library's


class EarlyStoppedLightGBM(EarlyStopped):
    """LightGBM with the tree count chosen on inner splits; size-aware learning rate and minimum leaf size keep small
    competitions from overfitting."""

    # 0.05 up to 20,000 rows, where the others take 0.03 from 2,000 up: on the 29 `make sweep` tables of more than
    # 2,000 training rows a fold, 0.05 gave the same CV (mean -0.02%) and held-back score (+0.05%; better on 18, worse
    # on 11) as 0.03 for 15% less wall (README, issue #27). XGBoost lost there (held-back -0.18%, worse on 17 of 29),
    # and XGBoost and CatBoost lost on a 3,563-row table of the repository (3 seeds each), so they keep 0.03.
    small_rate_rows = LARGE_RATE_ROWS
    lockstep = True
    # 50 classes, 1,280 rows, 48 columns a tree, two threads: 0.78 ms a tree at 60 columns, 1.21 ms at 1,510.
    column_cost = 0.0004

    def _model(self, n_rows: int, n_iterations: int):
        import lightgbm as lgb

        p = self.p
        kwargs = {k: v for k, v in vars(p).items() if k not in _CONTROL}
        kwargs.update(learning_rate=self._rate(), n_estimators=n_iterations, reg_lambda=p.reg_lambda * self._hessian_scale(),
                      colsample_bytree=self._column_share(p.colsample_bytree),
                      max_bin=p.max_bin if p.max_bin is not None else self._class_bins(255),
                      min_child_samples=p.min_child_samples if p.min_child_samples is not None else _size_aware_leaf(n_rows))
        if self.absolute and "objective" not in p.extra:
            kwargs["objective"] = "l1"
        cls = lgb.LGBMRegressor if self.task == "regression" else lgb.LGBMClassifier
        return cls(random_state=self.seed, verbose=-1, n_jobs=self.threads, **kwargs, **p.extra)

    def _best(self, X_fit, y_fit, X_hold, y_hold, m_fit=None, m_hold=None):
        import lightgbm as lgb

        probe = self._model(len(y_fit), self._probe_cap())
        if self.task == "regression":
            probe.set_params(metric="l1" if self.absolute else "rmse")  # the unit of min_delta; same best iteration as l2
        started = {} if m_fit is None else self._margin_kwargs(m_fit) | {"eval_init_score": [m_hold]}
        stop = lgb.early_stopping(self._rounds(), verbose=False, min_delta=self._min_delta(y_fit, y_hold))
        racing = self._racing(m_fit)
        cut = [] if racing is None else [_LightGBMBehind(racing, stop)]
        probe.fit(X_fit, y_fit, eval_X=(X_hold,), eval_y=(y_hold,),
                  callbacks=[stop, *cut, *self._watched().get("callbacks", [])], **started)
        best = int(probe.best_iteration_ or self._probe_cap())
        return best, self._held(probe, X_hold, m_hold, num_iteration=best)

    def _raw(self, model, X, margin, **kwargs):
        return model.predict(X, raw_score=True, **kwargs) + margin  # LightGBM keeps no init score: add it back

    def _watched(self) -> dict:
        if not self._watching():
            return {}
        watch = self.watch_
        return {"callbacks": [lambda _env: watch.check()]}  # LightGBM passes any exception but its own stop on

    def _margin_kwargs(self, margin):
        return {"init_score": margin}


def _LightGBMBehind(behind: Callable[[float], bool], stop):
    """A LightGBM callback that stops a probe once ``behind`` (``_Lockstep.step``), given the held loss after each
    iteration, says it cannot win its race; it runs after the early-stopping callback ``stop`` (a later ``order``) and
    ends the fit at ``stop``'s best iteration so far, as ``stop`` itself would."""
    import lightgbm as lgb

    def cut(env) -> None:
        _, _, loss, higher_is_better = env.evaluation_result_list[0][:4]
        # a metric of the user's (model.params.extra) that rises as it improves: never cut
        if not higher_is_better and behind(loss):
            raise lgb.callback.EarlyStopException(stop.best_iter[0], stop.best_score_list[0])

    cut.order = 40  # LightGBM's early stopping is 30
    return cut


@register_model("lightgbm", LightGBMParams, "LightGBM gradient-boosted trees, tree count and start chosen on inner splits",
                check=_check_lightgbm, beside=True)
def build_lightgbm(p: LightGBMParams, task: str, seed: int, speed):
    return EarlyStoppedLightGBM(p, task, seed, thread_count(speed.threads))


# Tuned-default variants (the shapes AutoGluon's zero-shot portfolio adds beside plain LightGBM): extremely randomised
# split thresholds, and larger trees that see most features. Measured below plain LightGBM on two tables, so not
# in the default portfolio.
register_variant("lightgbm_xt", "lightgbm", "LightGBM with extremely randomised split thresholds (extra_trees)",
                 extra={"extra_trees": True}, colsample_bytree=0.6)
register_variant("lightgbm_large", "lightgbm", "LightGBM with large trees (num_leaves 127, 3 rows a leaf, 90% of the features)",
                 num_leaves=127, min_child_samples=3, colsample_bytree=0.9)


@dataclass
class GBRTParams(EarlyStoppingParams):
    n_estimators: int = 1500
    learning_rate: Optional[float] = 0.03  # null: from the row count, as LightGBM
    max_depth: int = 4
    subsample: float = 0.8
    max_features: Any = "sqrt"
    min_samples_leaf: Optional[int] = None  # null: from the row count, as LightGBM (5% of the rows, 5 to 20)
    loss: str = "huber"  # regression loss (robust already: absolute_error lost to it on MAE tables); classes: log-loss
    early_stopping_rounds: int = 50
    max_trees: int = 6000  # binds from 5 classes up (1,500 iterations x 4 classes fit): its trees cost more than LightGBM's
    # The bound instead above inner_cv_classes classes: one single-thread tree per class a round. 2,400 since a capped
    # fit ends at its probes' rate (``capped_at_probe_rate``), which goes further with fewer trees (README, Models).
    max_class_trees: int = 2400
    capped_at_probe_rate: bool = True


class _RivalWatch:
    """Whether a probe can still reach ``rival``, the best held loss an earlier start's probe reached on the same rows.
    ``behind(loss)`` after each iteration: true once the lowest loss so far, falling at its mean pace over the later
    half of its iterations (over all of them while they are within the probe's patience, ``rounds``) until the ``cap``,
    would still be above the rival (judged once ``2 x window`` iterations are done, the window a quarter of the
    patience, at least 3). A boosting loss drops ever more slowly, so that pace bounds what is left; a mean over many
    iterations, not the last few, because a held loss can stall for a dozen iterations and fall again (the recent pace
    of such a stall cut a binary probe that went on to win its race by 0.001). Not the mean since the first iteration:
    a prior start's first trees drop its loss steeply, and that pace over a cap of 1,500 kept a probe far behind to
    the end (a regression table's GBRT prior, 0.112 against the linear start's 0.070: cut at 1,433 of 1,500
    iterations, at 526 now)."""

    def __init__(self, rival: float, cap: int, rounds: int):
        self.rival, self.cap, self.rounds, self.window, self.lows = rival, cap, rounds, max(3, rounds // 4), []

    def behind(self, loss: float) -> bool:
        self.note(loss)
        return self.judge()

    def note(self, loss: float) -> None:
        """The held loss after the next iteration."""
        self.lows.append(min(loss, self.lows[-1]) if self.lows else loss)

    def judge(self) -> bool:
        """Whether the probe, after the iterations noted, cannot reach ``rival`` by its cap."""
        lows, done = self.lows, len(self.lows)
        if not np.isfinite(self.rival) or done < 2 * self.window:
            return False
        since = max(0, done - max(self.rounds, done // 2))  # the later half, and never fewer than the patience
        pace = (lows[since] - lows[-1]) / (done - 1 - since)
        return lows[-1] - pace * max(0, self.cap - done) > self.rival


class _Lockstep:
    """The race's two starts probed at once on one split, meeting every few iterations (``step``), so that the one that
    cannot win stops there rather than at its own patience: once its pace cannot reach the other's lowest loss so far
    (``_RivalWatch``, as a later probe in turn is judged against the earlier one's best). A probe whose rival ended on
    its own stop is judged against that rival's lowest loss; one whose rival was cut runs to its own stop. Each
    decision at an iteration reads the rival's losses up to that iteration only, so the cuts are the same whichever
    thread runs ahead. They are judged every ``window`` iterations of the watch (3-25), where the two threads meet: a
    meeting every iteration cost more than the cuts saved on tables whose iterations take a fraction of a millisecond.
    (A cut of the linear start once it had trailed the prior for the probe's patience, iteration for
    iteration, saved little more and changed a race's winner on a separable table, whose losses fall for a long time:
    README, Models.)"""

    def __init__(self, rounds: int, cap: int):
        self.watches = {start: _RivalWatch(np.inf, cap, rounds) for start in ("prior", "linear")}
        self.every = self.watches["prior"].window
        self.ended, self.cut = set(), set()
        self.turn = threading.Condition()

    def lows(self, start: str) -> list:
        """``start``'s probe's lowest held loss after each of its iterations so far."""
        return self.watches[start].lows

    def step(self, start: str, loss: float) -> bool:
        """After an iteration of ``start``'s probe, whose held loss is ``loss``: whether it stops there."""
        other, watch = "linear" if start == "prior" else "prior", self.watches[start]
        watch.note(loss)  # only this probe's thread adds to its losses
        done = len(watch.lows)
        if done % self.every:
            return False
        theirs = self.lows(other)
        with self.turn:
            self.turn.notify_all()
            self.turn.wait_for(lambda: len(theirs) >= done or other in self.ended)
            seen = theirs[:done]
            level = len(seen) == done  # the rival is at this iteration too
            watch.rival = seen[-1] if seen and (level or other not in self.cut) else np.inf
            stop = watch.judge()
            if stop:
                self.cut.add(start)
                self.ended.add(start)
                self.turn.notify_all()
            return stop

    def end(self, start: str) -> None:
        """``start``'s probe has ended (its own stop, a cut, an error): the other waits for it no more."""
        with self.turn:
            self.ended.add(start)
            self.turn.notify_all()


class _HeldRowsStop:
    """scikit-learn gradient boosting's ``monitor``: after every iteration the held rows' loss (their raw scores kept
    up to date tree by tree), and a stop once ``rounds`` iterations have not dropped it by more than ``min_delta`` (log
    loss, or RMSE for regression), as the other libraries' probes stop; ``best`` counts iterations, ``held`` is the
    held predictions there (probabilities, a column per class).

    With a ``rival`` (the best held loss another start reached on the same rows) it also stops once it cannot reach
    that loss by its ``cap`` (``_RivalWatch``; 100 classes from the prior: 4.52 -> 3.91 in 25 iterations against the
    linear start's 1.91, cut at 6)."""

    def __init__(self, X_hold, y_hold, task: str, n_classes: int, rounds: int, min_delta: float,
                 rival: float = np.inf, cap: int = 0, absolute: bool = False):
        self.X, self.y = np.ascontiguousarray(X_hold, dtype=np.float32), y_hold  # a tree's own input format
        self.task, self.n_classes, self.rounds, self.min_delta = task, n_classes, rounds, min_delta
        self.absolute = absolute
        self.watch = _RivalWatch(rival, cap, rounds)
        self.best, self.best_loss, self.held, self.raw = 0, np.inf, None, None

    def __call__(self, i: int, model, _locals) -> bool:
        if self.raw is None:
            self.raw = model._raw_predict_init(self.X)  # the init's raw scores; no public call answers mid-fit
        for k, tree in enumerate(model.estimators_[i]):
            # Checked once, above: scikit-learn's check of each call cost up to a fifth of a small set's probe time.
            self.raw[:, k] += model.learning_rate * tree.predict(self.X, check_input=False)
        if self.task == "regression":
            held = self.raw[:, 0].copy()
        else:
            raw = self.raw[:, 0] if self.raw.shape[1] == 1 else self.raw
            held = place_classes(link(raw, self.task), model.classes_, self.n_classes)
        loss = _stopping_loss(held, self.y, self.task != "regression", self.absolute)
        if loss < self.best_loss - self.min_delta:
            self.best, self.best_loss, self.held = i + 1, loss, held
        return self.watch.behind(loss) or i + 1 - self.best >= self.rounds


class EarlyStoppedGBRT(EarlyStopped):
    """scikit-learn gradient boosting with the tree count chosen on inner splits (a probe's held loss followed tree by
    tree, ``_HeldRowsStop``)."""

    concurrent_probes = False  # _best reads the linear start _probe sets; the fit holds the GIL for much of its work

    def _model(self, n_rows: int, n_iterations: int, linear=None):
        from sklearn import ensemble as en

        p = self.p
        kwargs = dict(init=FittedInit(linear) if linear is not None else None, n_estimators=n_iterations, learning_rate=self._rate(),
                      max_depth=p.max_depth, subsample=p.subsample, max_features=p.max_features,
                      min_samples_leaf=p.min_samples_leaf if p.min_samples_leaf is not None else _size_aware_leaf(n_rows),
                      random_state=self.seed)
        if self.task == "regression":
            return en.GradientBoostingRegressor(loss=p.loss, **kwargs)
        return en.GradientBoostingClassifier(**kwargs)

    def _tree_budget(self) -> int:
        return self.p.max_class_trees if self._many_classes() and self.p.max_trees else self.p.max_trees

    def _best(self, X_fit, y_fit, X_hold, y_hold, m_fit=None, m_hold=None):
        # The margins only say that this probe is started: its init is the linear start _probe fitted on these rows.
        # It fits on all its rows and stops on the held ones, as the other libraries' probes do (scikit-learn's own
        # stopping would hold out a stratified tenth of the fit rows, which 99 classes of 680 rows cannot fill).
        stop = _HeldRowsStop(X_hold, y_hold, self.task, getattr(self, "n_classes_", 0), self._rounds(),
                             self._min_delta(y_fit, y_hold), self.rival_, self._probe_cap(), self.absolute)
        probe = self._model(len(y_fit), self._probe_cap(), self.probe_linear_ if m_fit is not None else None)
        watched = self._watched().get("monitor")
        with _tree_fits():
            probe.fit(_columns_first(X_fit), y_fit, monitor=stop if watched is None else lambda *a: watched(*a) or stop(*a))
        return stop.best, stop.held

    def _final(self, X, y, model, margin):
        model.set_params(init=FittedInit(self.linear_) if margin is not None else None)
        with _tree_fits():
            return model.fit(_columns_first(X), y, **self._watched())

    def _watched(self) -> dict:
        if not self._watching():
            return {}
        watch = self.watch_

        def monitor(_i, _model, _locals) -> bool:
            watch.check()  # scikit-learn's fit passes the monitor's exception on
            return False

        return {"monitor": monitor}

    def _raw(self, model, X, margin):
        return model.predict(X) if self.task == "regression" else model.decision_function(X)

    def _linear_output(self, X):
        # scikit-learn adds its init's margin (the linear start's, ``FittedInit``) itself: the margin the base class
        # computes first would be ignored, and its encoding of the rows costs as much as the prediction's own (610
        # quantile-mapped columns: about a quarter of a second each time).
        return link(self._raw(self.model_, X, None), self.task)


def _columns_first(X):
    """Dense rows as float32 stored column by column, scikit-learn's tree input: its exact splitter gathers one column's
    values for a node's rows at every split it scores, which a column stored in one run reads from cache."""
    return X if sparse.issparse(X) else np.asfortranarray(X, dtype=np.float32)


@contextmanager
def _tree_fits():
    """scikit-learn without its check of every tree's parameters (a gradient-boosting fit builds one estimator per
    class per iteration, each checked again)."""
    import sklearn

    with sklearn.config_context(skip_parameter_validation=True):
        yield


GBRT_LOSSES = ("squared_error", "absolute_error", "huber", "quantile")


def _check_gbrt(p: GBRTParams):
    # Checked here in full: the fits skip scikit-learn's own check of its parameters (``_tree_fits``).
    if p.max_depth < 1 or (p.min_samples_leaf is not None and p.min_samples_leaf < 1) or p.max_class_trees < 1:
        return "max_depth >= 1, min_samples_leaf >= 1 and max_class_trees >= 1 are needed."
    features = p.max_features
    if isinstance(features, bool) or not (features is None or features in ("sqrt", "log2") or (isinstance(features, int) and features >= 1)
            or (isinstance(features, float) and 0 < features <= 1)):
        return f"max_features is sqrt, log2, null, a count >= 1 or a share in (0, 1], not {features!r}."
    if p.loss not in GBRT_LOSSES:
        return f"loss is one of {', '.join(GBRT_LOSSES)}, not {p.loss!r}."
    return _check_boosting(p)


@register_model("gbrt", GBRTParams, "scikit-learn gradient boosting (huber loss for regression), tree count and start chosen on inner splits",
                check=_check_gbrt, one_thread=True)
def build_gbrt(p: GBRTParams, task: str, seed: int, speed):
    return EarlyStoppedGBRT(p, task, seed, 1)


@dataclass
class XGBoostParams(EarlyStoppingParams):
    n_estimators: int = 2000  # the most trees; early stopping picks fewer
    learning_rate: Optional[float] = None  # null: from the row count, as LightGBM
    max_depth: int = 4
    min_child_weight: float = 1.0
    subsample: float = 0.8
    colsample_bytree: float = 0.5
    reg_alpha: float = 0.0
    reg_lambda: float = 1.0
    gamma: float = 0.0
    max_bin: Optional[int] = None  # null: 256, and above inner_cv_classes classes one per 32 rows (at least 32)
    extra: Dict[str, Any] = field(default_factory=dict)  # any other XGBoost parameter, passed through


class EarlyStoppedXGBoost(EarlyStopped):
    """XGBoost (``hist`` trees, on the GPU when there is one) with the tree count chosen on inner splits."""

    # More than two classes on 2,000-20,000 rows a fold: 0.1, not 0.03. An iteration grows a tree a class, and at 0.03
    # a 4-class table of 3,464 rows cost 5.8x the plain fit's wall (XGBoost's own rate is 0.3); 0.1 scored as well
    # there (three seeds) and on the 5 multi-class `make sweep` tables of that size CV was better on 4 and held-back
    # on 3 (README, Models). Binary and regression targets lost at 0.1 (a 3,563-row binary table of the repository,
    # and a 1,460-row regression table, below this band anyway).
    class_rate = 0.1
    lockstep = True
    # Its CPU histograms cover every column, whatever a tree samples: 50 classes, 1,280 rows, 48 columns a tree, two
    # threads: 0.38 ms a tree at 60 columns, 2.77 ms at 1,510 (7.5 ms scoring them all).
    column_cost = 0.004

    def __init__(self, p, task, seed, threads, gpu: bool):
        super().__init__(p, task, seed, threads)
        self.gpu = gpu

    def _width_price(self) -> float:
        return 1.0 if self.gpu else super()._width_price()  # the price was measured on CPU histograms

    def _in_lockstep(self, n_splits: int) -> bool:
        return not self.gpu and super()._in_lockstep(n_splits)

    def _in_turn(self) -> bool:
        # On a GPU, one fit at a time: the linear start's probe, then the prior's, cut once it cannot catch up.
        return super()._in_turn() or (self.gpu and self._many_classes())

    def _budget(self) -> Tuple[int, float]:
        """The shared cap; on up to ``small_rate_rows`` rows the rate rises by the whole cut the tree budget makes, not
        its square root, at most ``SMALL_CLASS_RISE``x: 10 classes 0.079 -> 0.125. An XGBoost tree costs about the same
        at any depth or bin count on a few thousand rows, so its price is the iterations; on ten tables of 6-10 classes
        under 2,000 rows a fold the out-of-fold log loss was better on six and worse on four (mean -0.5%), the folds'
        wall 5-23% shorter, at most 2x; at most 3x, on six tables of 9-50 classes, better on four and worse on two (by
        up to 1.7%), the repository's 10- and 32-class tables' folds 20-28% shorter (README, Models)."""
        cap, scale = super()._budget()
        if self.n_rows_ <= self.small_rate_rows and scale > 1.0:
            scale = min(SMALL_CLASS_RISE, scale**2)
        return cap, scale

    def _model(self, n_rows: int, n_iterations: int, stop: Optional[list] = None):
        import xgboost as xgb

        p = self.p
        kwargs = {k: v for k, v in vars(p).items() if k not in _CONTROL}
        kwargs.update(n_estimators=n_iterations, learning_rate=self._rate(), reg_lambda=p.reg_lambda * self._hessian_scale(),
                      colsample_bytree=self._column_share(p.colsample_bytree),
                      max_bin=p.max_bin if p.max_bin is not None else self._class_bins(256),
                      min_child_weight=p.min_child_weight * self._hessian_scale())
        if self.absolute and "objective" not in p.extra:
            kwargs["objective"] = "reg:absoluteerror"  # its own held metric is then mae
        cls = xgb.XGBRegressor if self.task == "regression" else xgb.XGBClassifier
        if stop is not None and not self.gpu:
            cls = _plain_held_rows(cls)  # a probe: its held rows, scored every iteration, as a plain DMatrix
        callbacks = [*(stop or []), *([_XGBoostWatch(self.watch_)] if self._watching() else []),
                     *([] if self.gpu else [_XGBoostKeptCaches()])]
        return cls(tree_method="hist", device="cuda" if self.gpu else "cpu", random_state=self.seed, n_jobs=self.threads,
                   callbacks=callbacks or None, verbosity=1 if p.extra else 0, **kwargs, **p.extra)  # 1: names ignored extras

    def _best(self, X_fit, y_fit, X_hold, y_hold, m_fit=None, m_hold=None):
        import xgboost as xgb

        stop = xgb.callback.EarlyStopping(rounds=self._rounds(), min_delta=self._min_delta(y_fit, y_hold))
        behind = self._racing(m_fit) or _RivalWatch(self.rival_, self._probe_cap(), self._rounds()).behind
        probe = self._model(len(y_fit), self._probe_cap(), [stop, _XGBoostBehind(behind)])
        X_all, y_all, whole = self._every_class(X_fit, y_fit, m_fit)
        started = {} if m_fit is None else {"base_margin_eval_set": [m_hold]}
        probe.fit(X_all, y_all, eval_set=[(X_hold, y_hold)], verbose=False, **whole, **started)
        best = int(probe.best_iteration) + 1
        return best, self._held(probe, X_hold, m_hold, iteration_range=(0, best))

    def _raw(self, model, X, margin, **kwargs):
        return model.predict(X, base_margin=margin, output_margin=True, **kwargs)

    def _final(self, X, y, model, margin):
        X, y, whole = self._every_class(X, y, margin)
        model.fit(X, y, **self._watched(), **whole)
        vars(model.get_booster()).pop("reset", None)  # _XGBoostKeptCaches' override: the booster's own method again
        # The deadline's callback belongs to this fit, not to the model: kept, the fitted model would not pickle.
        return model.set_params(callbacks=None)

    def _every_class(self, X, y, margin=None):
        """(X, y, fit arguments) where every class of the target is a label: XGBoost fits only labels 0..K-1 with each
        one present, so a class these rows lack (a rare class that a split put on the other side) gets one copy of the
        first row at weight 0. It moves no gradient, but the model keeps K outputs, and that class's margin is still
        pushed down by every real row, as LightGBM's is. ``margin`` (a start's): copied alike, into the arguments."""
        whole = {} if margin is None else {"base_margin": margin}
        if self.task == "regression" or np.ndim(y) != 1:
            return X, y, whole
        missing = np.setdiff1d(np.arange(self.n_classes_), y)
        if not len(missing):
            return X, y, whole
        first = np.zeros(len(missing), dtype=int)
        if sparse.issparse(X):
            X = sparse.vstack([X, X[first]], format="csr")
        else:
            X = np.concatenate([np.asarray(X), np.asarray(_rows(X, first))])
        if margin is not None:
            whole["base_margin"] = np.concatenate([margin, margin[first]])
        whole["sample_weight"] = np.r_[np.ones(len(y)), np.zeros(len(missing))]
        return X, np.r_[y, missing], whole

    def _margin_kwargs(self, margin):
        return {"base_margin": margin}


def _XGBoostBehind(behind: Callable[[float], bool]):
    """An XGBoost callback that stops a probe once ``behind`` (``_RivalWatch.behind``, ``_Lockstep.step``), given the
    held loss (XGBoost's own log loss, or RMSE) after each iteration, says it cannot win its race."""
    import xgboost as xgb

    class Behind(xgb.callback.TrainingCallback):
        def after_iteration(self, model, epoch, evals_log) -> bool:
            losses = next(iter(evals_log.values()), {})
            name = next((m for m in ("mlogloss", "logloss", "rmse", "mae") if m in losses), None)
            # an eval_metric of the user's (model.params.extra) in other units: never cut
            return name is not None and behind(losses[name][-1])

    return Behind()


def _XGBoostKeptCaches():
    """An XGBoost callback that spares a CPU fit the ``Booster.reset()`` XGBoost 3 ends every fit with: it releases
    the training caches by a round trip of the whole model through XGBoost's own format, which costs about 0.2 ms an
    iteration of 10 classes (a 700-iteration fit of 1,149 rows: 0.66 s without it, 0.77-0.83 s with it), while on the
    CPU those caches are freed with the booster anyway. On the GPU they are device memory the kept final model would
    hold, so GPU fits reset. The override is the booster's own attribute, taken off once the fit returns (``_final``),
    so the fitted model pickles as XGBoost's."""
    import xgboost as xgb

    class KeptCaches(xgb.callback.TrainingCallback):
        def after_training(self, model):
            kept = weakref.ref(model)  # not the booster itself: no reference cycle
            model.reset = lambda: kept()
            return model

    return KeptCaches()


@lru_cache(maxsize=None)
def _plain_held_rows(cls):
    """XGBoost's scikit-learn ``cls`` whose eval_set rows are a plain ``DMatrix``, not a ``QuantileDMatrix`` on the
    fitted rows' bins: a probe scores them after every iteration, and on the bins that costs twice as much (Ames' 584
    held rows, 266 columns, one thread: 0.27 ms an iteration against 0.12; an iteration's fit 0.6 ms) for the same
    predictions, a split's threshold being a bin's edge. The rows fitted on stay XGBoost's own choice."""
    import xgboost as xgb

    class PlainHeldRows(cls):
        def _create_dmatrix(self, ref, **kwargs):
            if ref is None:  # the rows fitted on
                return super()._create_dmatrix(ref, **kwargs)
            return xgb.DMatrix(**kwargs, nthread=self.n_jobs)

    PlainHeldRows.__name__ = PlainHeldRows.__qualname__ = cls.__name__
    return PlainHeldRows


def _XGBoostWatch(watch: Watch):
    """An XGBoost callback that ends the fit with ``PastDeadline`` once ``watch``'s deadline passes (XGBoost passes a
    callback's exception on)."""
    import xgboost as xgb

    class Deadline(xgb.callback.TrainingCallback):
        def after_iteration(self, model, epoch, evals_log) -> bool:
            watch.check()
            return False

    return Deadline()


def _check_xgboost(p: XGBoostParams):
    if p.max_bin is not None and p.max_bin < 2:
        return "max_bin >= 2 is needed."
    # XGBoost lists no parameter names; one it does not use is named when the fit runs (_extra_refusals).
    fixed = ("tree_method", "device", "random_state", "n_jobs", "callbacks", "verbosity")
    return _check_extra(p, fixed) or _check_boosting(p)


@register_model("xgboost", XGBoostParams, "XGBoost hist trees (GPU when present), tree count and start chosen on inner splits",
                check=_check_xgboost, beside=True)
def build_xgboost(p: XGBoostParams, task: str, seed: int, speed):
    return EarlyStoppedXGBoost(p, task, seed, thread_count(speed.threads), _gpu(speed))


# One tree per round with a value for every class in each leaf (XGBoost's vector leaf), where ``xgboost`` grows a
# tree per class: a split must serve all classes at once, which regularises many small classes. Better than
# ``xgboost`` in 5-fold log loss on the README's 4- and 32-class tables, at 1.3x and 5x its time; not a portfolio
# member, as it left the ensembles where they were (README, Models).
register_variant("xgboost_vector", "xgboost", "XGBoost with one tree a round holding a value per class in each leaf "
                 "(multi_output_tree); for multi-class targets", extra={"multi_strategy": "multi_output_tree"})


@dataclass
class CatBoostParams(EarlyStoppingParams):
    n_estimators: int = 3000  # the most trees; early stopping picks fewer
    small_iterations: int = 2000  # the most where the size-aware rate is 0.05 (up to 2,000 rows; ``_iteration_cap``)
    learning_rate: Optional[float] = None  # null: from the row count, as LightGBM
    depth: Optional[int] = None  # null: 6, and above inner_cv_classes classes at most log2(half the rows a class) (at least 4)
    l2_leaf_reg: float = 3.0  # more than two classes: times a class row's hessian, 4(K-1)/K^2 (``_hessian_scale``)
    subsample: float = 0.8
    rsm: float = 1.0  # share of features per level (CPU only); many classes: at most class_columns of them
    one_hot_max_size: Optional[int] = None  # null: 4; 10 above inner_cv_classes classes; 16 for more than two on 1,000+ rows
    border_count: Optional[int] = None  # null: 254, and above inner_cv_classes classes one per 32 rows (at least 32)
    early_stopping_rounds: int = 150
    inner_folds: int = 0  # one inner split by default: CatBoost fits are slow, its ordered boosting less jumpy
    class_columns: int = 64  # a level scores every column of up to 64 (48 cost 32 classes of 58 columns 0.0015 log loss)
    level_columns: int = 64  # whatever the classes, a level scores at most this many columns (rsm lowered); 0: all
    max_ctr_complexity: Optional[int] = None  # category columns a target statistic may combine; null: CatBoost's own (4 on the CPU)
    lean_class_statistics: bool = True  # more than two classes, CPU: LEAN_CLASS_STATISTICS (one prior, combinations counted)
    max_statistics_work: float = 7e9  # more than two classes with target statistics: the most work a fit may reach (rsm lowered); 0: no bound
    regression_loss: str = "squared"  # its MAE loss lost on two of four MAE tables (Boston 2.398 against 2.237; README)
    max_trees: int = 12000  # binds from 5 classes up (3,000 iterations x 4 classes fit): slow on many classes
    capped_at_probe_rate: bool = True  # 32 classes: 375 iterations a fit, at the probes' 0.2 where they reach it (README)
    extra: Dict[str, Any] = field(default_factory=dict)  # any other CatBoost parameter, passed through


# More than two classes on more than CLASS_ONE_HOT_ROWS rows a fold: CatBoost one-hot encodes a category column of up
# to CLASS_ONE_HOT levels instead of computing target statistics, which it computes and scores once per class (with
# combinations of columns). hpc's 4 classes (protocol, 14 levels; day, 7): log loss 0.45189 -> 0.43388 in 133 -> 34 s
# of folds' wall; OOF log loss covid 0.06352 -> 0.06228, chile 0.85859 -> 0.85657 in 0.5x and 0.4x the wall. Smaller
# sets keep the statistics, whose ordered smoothing suits few rows a level: hpc's 500-row subset lost (0.674 -> 0.704,
# 4 folds of 5), penguins (220 rows a fold) 0.01415 -> 0.01425, hpc at 1,000 rows the same (README, Models).
CLASS_ONE_HOT, CLASS_ONE_HOT_ROWS = 16, 1000

# More than two classes on the CPU: a category column's per-class target statistic with one prior instead of CatBoost's
# three, and combinations of columns counted only. CatBoost makes 3 x (classes - 1) statistics of each such column and
# of each combination it builds, and an iteration scores every one once per class: epa2021's transmission (708 rows a
# fold, 7 classes, 6 such columns) took 140 s of folds at about 19 ms an iteration, 36 s with these (README, Models).
LEAN_CLASS_STATISTICS = {"simple_ctr": ["Borders:Prior=0.5/1", "Counter"], "combinations_ctr": ["Counter"]}
STATISTICS_LEVEL_COLUMNS = 16  # the fewest columns a level scores where ``max_statistics_work`` lowers its share


def _category_columns(X) -> list:
    """Columns CatBoost should read as categories: those that are not numbers in the rows it is fitted on."""
    return [c for c in X.columns if not _is_numeric(X[c])]


def _catboost_frame(X, cats: list):
    """The fitted rows' category columns as text (CatBoost's native categories); missing is a level of its own."""
    X = X.copy()
    for c in cats:
        X[c] = X[c].astype(object).where(X[c].notna(), "<missing>").astype(str)
    return X


def _is_numeric(col) -> bool:
    import pandas as pd

    return pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)


class _CatBoostStop:
    """CatBoost callback: stop after ``rounds`` iterations without a drop of the held loss larger than ``min_delta``
    (CatBoost's own detector counts any drop); ``best`` is the 0-based iteration of the last such drop."""

    def __init__(self, rounds: int, min_delta: float):
        self.rounds, self.min_delta, self.best, self.best_loss = rounds, min_delta, 0, np.inf

    def after_iteration(self, info) -> bool:
        loss = next(iter(info.metrics["validation"].values()))[-1]
        if loss < self.best_loss - self.min_delta:
            self.best, self.best_loss = info.iteration - 1, loss  # info.iteration counts from 1
        return info.iteration - 1 - self.best < self.rounds


class _CatBoostBehind:
    """CatBoost callback: stop once ``behind`` (``_Lockstep.step``), given the held loss after each iteration, says the
    probe cannot win its race."""

    def __init__(self, behind: Callable[[float], bool]):
        self.behind = behind

    def after_iteration(self, info) -> bool:
        return not self.behind(next(iter(info.metrics["validation"].values()))[-1])


class _CatBoostDeadline:
    """CatBoost callback: stop quietly once ``watch``'s deadline passes (an exception raised in CatBoost's callback does
    not reach its caller); the fit's caller then raises ``watch.check()``."""

    def __init__(self, watch: Watch):
        self.watch = watch

    def after_iteration(self, info) -> bool:
        return not self.watch.passed()


class EarlyStoppedCatBoost(EarlyStopped):
    """CatBoost on the feature frame (its own ordered target statistics for categories; dates, text and lists made
    into numbers by ``CategoryFrame``), tree count chosen on inner splits; on the GPU when there is one."""

    lockstep = True

    def __init__(self, p, task, seed, threads, gpu: bool):
        super().__init__(p, task, seed, threads)
        self.gpu = gpu

    def _in_lockstep(self, n_splits: int) -> bool:
        return not self.gpu and super()._in_lockstep(n_splits)  # on a GPU CatBoost takes no callback

    def _prepare(self, X, y) -> None:
        """The shape's state, and how many category columns get target statistics: more levels than one-hot takes."""
        super()._prepare(X, y)
        self.statistic_columns_ = sum(X[c].nunique() > self._one_hot_size() for c in _category_columns(X))

    def _column_share(self, share: float) -> float:
        """The share of columns a level scores (``rsm``): the many-class rule's, whatever the classes at most
        ``level_columns`` columns, and within ``max_statistics_work`` (``_statistics_share``). On a few hundred rows a
        CatBoost iteration's cost is the columns its levels score: 105 rows of 1,107 columns took 78 s of folds at all
        of them, 41 s at 64 (README, Models)."""
        share, columns = super()._column_share(share), getattr(self, "n_columns_", 0)
        if self.p.level_columns and columns:
            share = min(share, self.p.level_columns / columns)
        return float(self._statistics_share(share))

    def _statistics_share(self, share: float) -> float:
        """``share``, lowered where a fit of more than two classes with per-class target statistics, on up to
        ``small_rate_rows`` rows, would pass ``max_statistics_work`` at its iteration cap (``_statistics_work``); a level
        keeps at least ``STATISTICS_LEVEL_COLUMNS`` columns. Ten classes of 1,280 rows a fold with 15 such columns of
        50 levels took 222 s of folds at every column (README, Models)."""
        k, statistics = self._trees_per_iteration(), getattr(self, "statistic_columns_", 0)
        bound = self.p.max_statistics_work
        if k < 3 or not statistics or self.n_rows_ > self.small_rate_rows or not bound:
            return share
        scored, fixed = self._statistics_work(1.0), self._statistics_work(0.0)
        if fixed + (scored - fixed) * share <= bound:
            return share
        columns = self.n_columns_ - statistics + statistics * self._statistics_per_column()
        return max((bound - fixed) / (scored - fixed), min(share, STATISTICS_LEVEL_COLUMNS / columns))

    def _statistics_work(self, share: float) -> float:
        """A fit's work at its iteration cap, scoring ``share`` of its columns a level: rows x iterations x depth x
        (columns x share x (classes + 15) + 2 x statistics). A level scores each column once per class beside work of
        about 15 classes' whatever they are, and a numeric column's borders (``border_count``) by 1 + borders / 128; a
        statistic column counts as the statistics it makes (``_statistics_per_column``), made again each iteration
        whatever the level scores. On one core, about 1.2e-6 ms a unit (1,280 rows a fold, 5-20 classes, 15 such
        columns; hfi's region): ``max_statistics_work`` 7e9 at the cap is about 40-45 s of a 5-fold run's folds on two."""
        k, statistics = self._trees_per_iteration(), self.statistic_columns_
        made = statistics * self._statistics_per_column()
        columns = (self.n_columns_ - statistics) * (1 + self._borders() / 128) + made
        return float(self.n_rows_) * self.cap_ * self._depth() * (columns * share * (k + 15) + 2 * made)

    def _statistics_per_column(self) -> int:
        """Target statistics CatBoost makes of a category column it does not one-hot encode on more than two classes:
        a border per class but one, each at one prior, and a count (``LEAN_CLASS_STATISTICS``); three priors each
        where CatBoost chooses them."""
        k = self._trees_per_iteration()
        return k if self._lean_statistics() and "simple_ctr" not in self.p.extra else 3 * (k - 1) + 1

    def _class_bins(self, own: int) -> int:
        """Borders a column: the many-class rule's, and at most twice the fold's rows a class (at least 32), which
        binds above 64 classes. A border's split search is paid once per class, and a class of a few dozen rows has
        little to split at finer borders: 99 classes of 16 rows a fold, 49 -> 32 borders: log loss 4.2267 -> 4.2230,
        63.1 -> 48.3 s of folds (README, Models)."""
        bins = super()._class_bins(own)
        if not self._many_classes():
            return bins
        return int(min(bins, max(32, 2 * self._rows_a_class())))

    def _class_depth(self, own: int) -> int:
        """Tree depth: ``own``, and with many classes at most log2 of half the fold's rows a class (at least 4). A
        symmetric tree has 2^depth leaf nodes, each with a value per class, and an iteration costs about classes x
        2^depth: 99 classes of 16 rows a class, log loss 2.29 at depth 6, 1.84 at 4, in 0.4x the time; 32 classes of 38
        rows at 4, not 5: 58 -> 36 s of folds for 0.0010 of log loss (README, Models)."""
        if not self._many_classes():
            return own
        return int(min(own, max(4, np.floor(np.log2(self._rows_a_class() / 2)))))

    def _depth(self) -> int:
        """The depth its trees grow: ``depth``, else ``_class_depth`` of 6."""
        return self.p.depth if self.p.depth is not None else self._class_depth(6)

    def _borders(self) -> int:
        """Borders a numeric column: ``border_count``, else ``_class_bins`` of 254."""
        return self.p.border_count if self.p.border_count is not None else self._class_bins(254)

    def _one_hot_size(self) -> int:
        """The most levels a category column one-hot encoded has: ``one_hot_max_size``, else ``_one_hot_levels``."""
        return self.p.one_hot_max_size if self.p.one_hot_max_size is not None else self._one_hot_levels()

    def _lean_statistics(self) -> bool:
        """Whether the fit takes ``LEAN_CLASS_STATISTICS`` (more than two classes on the CPU, unless switched off)."""
        return self.p.lean_class_statistics and not self.gpu and self._trees_per_iteration() > 1

    def _rows_a_class(self) -> float:
        """The fold's rows per class (per tree an iteration grows): what a class's borders and leaf nodes can fill."""
        return self.n_rows_ / self._trees_per_iteration()

    def _iteration_cap(self) -> int:
        """``n_estimators``, and where the size-aware rate is 0.05 (``small_rate_rows``) ``small_iterations``: as far
        as LightGBM's 2,000 go there, and as 3,333 at 0.03. Separable classes never stop early: penguins' 220 rows a
        fold grew 2,010-3,000 iterations in 60 s of folds, 2,000 in 49-52 s (README, Models)."""
        p = self.p
        if p.learning_rate is None and self.n_rows_ <= self.small_rate_rows:
            return min(p.n_estimators, p.small_iterations)
        return p.n_estimators

    def _model(self, n_rows: int, n_iterations: int):
        import catboost as cb

        p = self.p
        kwargs = dict(iterations=n_iterations, learning_rate=self._rate(), depth=self._depth(),
                      l2_leaf_reg=p.l2_leaf_reg * self._hessian_scale(), random_seed=self.seed,
                      thread_count=self.threads, verbose=False, allow_writing_files=False,
                      task_type="GPU" if self.gpu else "CPU", bootstrap_type="Bernoulli", subsample=p.subsample)
        if not self.gpu:
            kwargs["rsm"] = self._column_share(p.rsm)
        borders = self._borders()
        if borders != 254 or p.border_count is not None:  # else CatBoost's own (254 on the CPU, 128 on the GPU)
            kwargs["border_count"] = borders
        kwargs["one_hot_max_size"] = self._one_hot_size()
        if p.max_ctr_complexity is not None:
            kwargs["max_ctr_complexity"] = p.max_ctr_complexity
        if self._lean_statistics():
            kwargs.update({k: v for k, v in LEAN_CLASS_STATISTICS.items() if k not in p.extra})  # the config's own win
        if self.task == "regression":
            return cb.CatBoostRegressor(loss_function="MAE" if self.absolute else "RMSE", **kwargs, **p.extra)
        return cb.CatBoostClassifier(loss_function="Logloss" if self.task == "binary" else "MultiClass", **kwargs, **p.extra)

    def _one_hot_levels(self) -> int:
        """Category columns of up to this many levels are one-hot encoded, the rest get target statistics: 4, and for
        more than two classes, whose statistics are computed and scored once per class, 10 above ``inner_cv_classes``
        classes and ``CLASS_ONE_HOT`` on more than ``CLASS_ONE_HOT_ROWS`` rows."""
        if self._trees_per_iteration() > 1 and self.n_rows_ > CLASS_ONE_HOT_ROWS:
            return CLASS_ONE_HOT
        return 10 if self._many_classes() else 4

    def _started(self, model, margin):
        """``model`` set to start from the median where it fits absolute errors with no margin (CatBoost's MAE starts
        from 0 otherwise, and refuses that choice beside a baseline)."""
        if self.absolute and "boost_from_average" not in self.p.extra:
            model.set_params(boost_from_average=margin is None)
        return model

    @staticmethod
    def _pool(X, cats, y=None, margin=None):
        import catboost as cb

        return cb.Pool(_catboost_frame(X, cats), y, cat_features=cats, baseline=margin)

    def _best(self, X_fit, y_fit, X_hold, y_hold, m_fit=None, m_hold=None):
        cats = _category_columns(X_fit)
        X_fit, X_hold = _catboost_frame(X_fit, cats), _catboost_frame(X_hold, cats)
        probe = self._started(self._model(len(y_fit), self._probe_cap()), m_fit)
        stop = _CatBoostStop(self._rounds(), self._min_delta(y_fit, y_hold))
        racing = self._racing(m_fit)
        cut = [] if racing is None else [_CatBoostBehind(racing)]
        probe.fit(self._pool(X_fit, cats, y_fit, m_fit), eval_set=self._pool(X_hold, cats, y_hold, m_hold),
                  callbacks=[stop, *cut, *self._watched().get("callbacks", [])])
        self.watch_.check()  # a probe the deadline stopped is not a probe
        best = stop.best + 1
        return best, self._held(probe, X_hold, m_hold, ntree_end=best)

    def _raw(self, model, X, margin, **kwargs):
        cats = [X.columns[i] for i in model.get_cat_feature_indices()]  # as fitted, whatever dtype these rows have
        return model.predict(self._pool(X, cats, margin=margin), prediction_type="RawFormulaVal", **kwargs)

    def _final(self, X, y, model, margin):
        self.cats_ = _category_columns(X)
        fitted = self._started(model, margin).fit(self._pool(X, self.cats_, y, margin), **self._watched())
        self.watch_.check()  # stopped by the deadline: a model cut short is not this run's model
        share = fitted.get_params().get("rsm")
        if share is not None:  # the share of columns a level scored (CPU), which the fold's record shows
            self.column_share_ = round(float(share), 4)
        return fitted

    def _watched(self) -> dict:
        if not self._watching() or self.gpu:  # CatBoost on a GPU takes no callback
            return {}
        return {"callbacks": [_CatBoostDeadline(self.watch_)]}

    def predict(self, X):
        if self.linear_ is not None:
            return super().predict(X)
        return self.model_.predict(_catboost_frame(X, self.cats_))

    def predict_proba(self, X):
        if self.linear_ is not None:
            return super().predict_proba(X)
        return self._calibrated(self.model_.predict_proba(_catboost_frame(X, self.cats_)))


def _check_catboost(p: CatBoostParams):
    if (p.depth is not None and not 1 <= p.depth <= 16) or p.l2_leaf_reg < 0 or not 0 < p.rsm <= 1 or p.small_iterations < 1 \
            or p.level_columns < 0 or (p.max_ctr_complexity is not None and p.max_ctr_complexity < 1) \
            or p.max_statistics_work < 0:
        return ("depth in [1, 16], l2_leaf_reg >= 0, rsm in (0, 1], small_iterations >= 1, level_columns >= 0, "
                "max_ctr_complexity >= 1 and max_statistics_work >= 0 are needed.")
    if not p.extra:
        return _check_boosting(p)
    import inspect

    import catboost as cb

    fixed = ("iterations", "random_seed", "thread_count", "verbose", "allow_writing_files", "task_type", "bootstrap_type",
             "loss_function")
    known = set(inspect.signature(cb.CatBoostClassifier.__init__).parameters) | \
        set(inspect.signature(cb.CatBoostRegressor.__init__).parameters)
    return _check_extra(p, fixed, known=known) or _check_boosting(p)


@register_model("catboost", CatBoostParams, "CatBoost on the features (native categories; GPU when present), tree "
                "count and start chosen on inner splits", check=_check_catboost, eats="categories", beside=True)
def build_catboost(p: CatBoostParams, task: str, seed: int, speed):
    return EarlyStoppedCatBoost(p, task, seed, thread_count(speed.threads), _gpu(speed))
