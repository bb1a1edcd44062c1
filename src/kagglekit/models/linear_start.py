"""A linear model that trees start from: boosters boost from its margin, forests mix in its probabilities.

On small tables whose signal is close to linear (a few hundred loan applicants, say) trees waste their few rows
rediscovering a slope; started from a regularised linear fit on the same rows, they only add what the line misses.
It reads the tree models' own table (categories as integer codes, no scaling) or raw frame, so it brings its own
encoding: text columns and number columns with few distinct values in the fitted rows are one-hot encoded, the
others mapped to normal scores by their fitted quantiles; missing values are imputed with an indicator. Everything
is fitted on the rows it is given.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.preprocessing import QuantileTransformer

from ..core.folds import inner_splits
from .calibration import place_classes

START_CHOICES = ("auto", "prior", "linear")
_ONEHOT_MAX_LEVELS = 30
_EPS = 1e-6
_BOUNDS = 1e-7  # scikit-learn's QuantileTransformer: inputs this close to the fitted range's ends map to its ends
SPARSE_SHARE = 0.3  # a logistic fit reads a design with fewer nonzero cells than this share as a sparse matrix


def _frame(X, text=None):
    """The rows as a DataFrame with positional column names; text columns as strings, missing as its own level.
    ``text``: the columns read as text when fitted (default: those that are not numbers in these rows), so a test
    column that pandas read as numbers, all missing say, is still text."""
    import pandas as pd

    frame = X.reset_index(drop=True) if hasattr(X, "columns") else pd.DataFrame(np.asarray(X, dtype=float))
    frame.columns = range(frame.shape[1])
    for c in _text_columns(frame) if text is None else text:
        frame[c] = frame[c].astype(object).where(frame[c].notna(), "<missing>").astype(str)
    return frame


def _text_columns(frame) -> list:
    return [c for c in frame.columns if not _is_number(frame[c])]


def _is_number(col) -> bool:
    import pandas as pd

    return pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)


def _encoder(frame):
    """One-hot for text columns and for number columns with few values in these rows, normal scores for the rest.
    Where the few-valued columns' one-hot columns would outnumber the rows, they take normal scores too: hundreds of
    such columns (a 50-class target encoding of 30 category columns: 360 columns of 17-30 values, 9,530 one-hot
    columns on 1,280 rows) made the logistic fit and its encoding most of a booster's fold, and the boosters started
    from it scored worse (README, Models)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    text = _text_columns(frame)
    levels = {c: frame[c].nunique() for c in frame.columns if c not in text}
    few = [c for c, n in levels.items() if 1 < n <= _ONEHOT_MAX_LEVELS]
    if sum(levels[c] for c in few) > len(frame):
        few = []
    one_hot = set(few)
    many = [c for c, n in levels.items() if n > 1 and c not in one_hot]
    onehot = dict(handle_unknown="infrequent_if_exist", min_frequency=3, sparse_output=False)
    parts = []
    if text:
        parts.append(("text", OneHotEncoder(max_categories=30, **onehot), text))
    if few:
        parts.append(("few", FewLevels(), few))
    if many:
        quantiles = int(min(1000, max(10, len(frame) // 2)))
        parts.append(("many", make_pipeline(SimpleImputer(strategy="median", add_indicator=True),
                                            NormalScores(n_quantiles=quantiles),
                                            StandardScaler()), many))
    return ColumnTransformer(parts, remainder="drop")


class NormalScores(QuantileTransformer):
    """scikit-learn's ``QuantileTransformer(output_distribution="normal")``, its numbers to the bit, without most of its
    column-by-column work: the quantiles from one sort of the fitted rows (NumPy's linear percentiles) and one normal
    quantile function over the whole matrix. On 1,500 columns of 1,280 rows scikit-learn's column loop took 1.0 s to fit and
    0.6 s a transform; rows with missing values or more than ``subsample`` take scikit-learn's own fit (its sample
    drawn with ``random_state``, so that a run's encoding is the same each time)."""

    def __init__(self, n_quantiles: int = 1000, subsample: int = 10_000, random_state: int = 0):
        super().__init__(n_quantiles=n_quantiles, output_distribution="normal", subsample=subsample,
                         random_state=random_state)

    def _dense_fit(self, X, random_state):
        if (self.subsample is not None and self.subsample < len(X)) or np.isnan(X).any():
            return super()._dense_fit(X, random_state)
        ordered = np.sort(X, axis=0)
        virtual = (len(X) - 1) * np.true_divide(self.references_ * 100, 100)  # as np.percentile's "linear" method
        below = np.floor(virtual)
        gamma = (virtual - below)[:, None]
        below = below.astype(np.intp)
        low, high = ordered[below], ordered[np.minimum(below + 1, len(X) - 1)]
        step = high - low
        self.quantiles_ = low + step * gamma
        np.subtract(high, step * (1 - gamma), out=self.quantiles_, where=np.broadcast_to(gamma >= 0.5, step.shape))

    def _transform(self, X, inverse=False):
        if inverse or sparse.issparse(X):
            return super()._transform(X, inverse)
        from scipy.special import ndtri

        Q, references = self.quantiles_, self.references_
        with np.errstate(invalid="ignore"):
            lower, upper = X - _BOUNDS < Q[0], X + _BOUNDS > Q[-1]
        for j in range(X.shape[1]):  # both ways and averaged, for repeated quantiles (as scikit-learn)
            column = X[:, j]
            finite = ~np.isnan(column)
            x = column[finite]
            column[finite] = 0.5 * (np.interp(x, Q[:, j], references) - np.interp(-x, -Q[::-1, j], -references[::-1]))
        X[upper], X[lower] = 1.0, 0.0
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.clip(ndtri(X), ndtri(_BOUNDS - np.spacing(1)), ndtri(1 - (_BOUNDS - np.spacing(1))))


class FewLevels(BaseEstimator, TransformerMixin):
    """One-hot columns of number columns with few values: each column's missing cells take its most frequent value
    (the smallest of a tie) and, where the fitted rows had any, a missing flag that is itself one-hot encoded after
    every column; a value seen fewer than ``min_frequency`` times, or not at all, goes to one infrequent column (none
    where every value is frequent, so an unseen one is all zeros). The output of scikit-learn's ``SimpleImputer
    (most_frequent, add_indicator)`` then ``OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=3)``, in
    NumPy: on a regression table's 242 one-hot columns (1,166 rows) scikit-learn took 0.31 s a fold, a quarter of
    an XGBoost fold's probes (``test_few_levels_encode_as_scikit_learns_imputer_and_one_hot_encoder``)."""

    def __init__(self, min_frequency: int = 3):
        self.min_frequency = min_frequency

    @staticmethod
    def _numbers(X) -> np.ndarray:
        return X.to_numpy(dtype=float, na_value=np.nan) if hasattr(X, "to_numpy") else np.asarray(X, dtype=float)

    def _filled(self, A: np.ndarray, missing: np.ndarray) -> np.ndarray:
        filled = np.where(missing, self.modes_, A)
        return np.hstack([filled, missing[:, self.flagged_].astype(float)])

    def fit(self, X, y=None):
        A = self._numbers(X)
        missing = np.isnan(A)
        self.modes_ = np.zeros(A.shape[1])
        for j in range(A.shape[1]):
            values, counts = np.unique(A[~missing[:, j], j], return_counts=True)
            self.modes_[j] = values[np.argmax(counts)] if len(values) else 0.0
        self.flagged_ = np.flatnonzero(missing.any(axis=0))
        self.levels_ = []  # per filled column: its frequent values (sorted), and whether it has an infrequent column
        for column in self._filled(A, missing).T:
            values, counts = np.unique(column, return_counts=True)
            self.levels_.append((values[counts >= self.min_frequency], bool((counts < self.min_frequency).any())))
        return self

    def transform(self, X) -> np.ndarray:
        A, blocks = self._numbers(X), []
        for column, (frequent, infrequent) in zip(self._filled(A, np.isnan(A)).T, self.levels_):
            hot = (column[:, None] == frequent[None, :]).astype(float)
            blocks.append(np.hstack([hot, 1.0 - hot.sum(axis=1, keepdims=True)]) if infrequent else hot)
        return np.hstack(blocks) if blocks else np.zeros((len(X), 0))


class LinearEncoding:
    """The linear start's own encoding of a tree model's table, fitted on rows without their labels, so one fitted
    encoding serves every probe of a fold: only the linear model is refitted on each probe's rows."""

    def fit(self, X):
        self.fit_transform(X)
        return self

    def fit_transform(self, X) -> np.ndarray:
        """Fit on X's rows and return their design matrix (one pass: the fit encodes them anyway)."""
        frame = _frame(X)
        self.text_ = _text_columns(frame)
        self.encoder_ = _encoder(frame)
        return self._nonempty(self.encoder_.fit_transform(frame))

    def transform(self, X) -> np.ndarray:
        """The design matrix of X's rows (an all-zero column when every column was constant)."""
        return self._nonempty(self.encoder_.transform(_frame(X, self.text_)))

    @staticmethod
    def _nonempty(Z) -> np.ndarray:
        return Z if Z.shape[1] else np.zeros((Z.shape[0], 1))


class LinearStart:
    """A ridge (regression) or L2 logistic (classes) model on its own encoding of a tree model's table.

    ``margin(X)`` is what boosting adds its trees to: the prediction (regression), the log-odds of class 1 (binary)
    or the log-probabilities (several classes); ``predict_proba`` / ``predict`` follow scikit-learn, so it also
    serves as scikit-learn gradient boosting's ``init``. ``encoding``: a fitted ``LinearEncoding`` to use as it is
    (fitting then fits the linear model alone); without one, ``fit`` fits its own on the rows it is given."""

    def __init__(self, task: str, alpha: float = 1.0, n_classes: int = 0, encoding: "LinearEncoding | None" = None):
        self.task, self.alpha, self.n_classes, self.encoding = task, alpha, n_classes, encoding  # n_classes 0: from y

    def fit(self, X, y, sample_weight=None):
        if self.encoding is not None:
            self.encoding_ = self.encoding
            return self._fit_model(self.encoding_.transform(X), y, sample_weight)
        self.encoding_ = LinearEncoding()
        return self._fit_model(self.encoding_.fit_transform(X), y, sample_weight)

    def fit_design(self, Z: np.ndarray, y, sample_weight=None):
        """Fit the linear model on rows already encoded by the ``encoding`` given to the constructor."""
        self.encoding_ = self.encoding
        return self._fit_model(Z, y, sample_weight)

    def _fit_model(self, Z, y, sample_weight):
        from sklearn.linear_model import LogisticRegression, Ridge

        if self.task == "regression":
            self.model_ = Ridge(alpha=self.alpha).fit(Z, y, sample_weight=sample_weight)
        else:
            self.n_classes_ = self.n_classes or int(np.max(y)) + 1
            self.model_ = LogisticRegression(C=1.0 / self.alpha, max_iter=2000).fit(_thin(Z), y, sample_weight=sample_weight)
            self.classes_ = self.model_.classes_  # scikit-learn's init reads these columns
        return self

    def _design(self, X) -> np.ndarray:
        return self.encoding_.transform(X)

    def class_proba(self, X, design: bool = False) -> np.ndarray:
        """Probabilities in columns 0..C-1 (classes missing from the fitted rows get a tiny share); ``design``: X is
        already encoded."""
        Z = X if design else self._design(X)
        proba = place_classes(self.model_.predict_proba(Z), self.model_.classes_, self.n_classes_)
        proba = np.clip(proba, _EPS, None)
        return proba / proba.sum(axis=1, keepdims=True)

    def predict_proba(self, X) -> np.ndarray:
        return self.class_proba(X)[:, np.asarray(self.classes_, int)]

    def predict(self, X) -> np.ndarray:
        if self.task == "regression":
            return self.model_.predict(self._design(X))
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def margin(self, X, design: bool = False) -> np.ndarray:
        """What boosting starts from for X's rows (``design``: X is already encoded)."""
        if self.task == "regression":
            return self.model_.predict(X if design else self._design(X))
        proba = self.class_proba(X, design)
        if self.task == "binary":
            return np.log(proba[:, 1]) - np.log(proba[:, 0])
        return np.log(proba) - np.log(proba).mean(axis=1, keepdims=True)


def _thin(Z):
    """``Z`` as a sparse matrix where fewer than ``SPARSE_SHARE`` of its cells are nonzero (mostly one-hot columns),
    so that lbfgs's products visit the nonzero cells only: an 8x8 pixel table's 839 one-hot columns (7% nonzero,
    977 rows, 10 classes) took a logistic fit 0.10 s dense on one BLAS thread (0.40-0.54 s on two) and 0.05 s sparse,
    the same probabilities to 1e-12."""
    if sparse.issparse(Z) or not Z.size or np.count_nonzero(Z) >= SPARSE_SHARE * Z.size:
        return Z
    return sparse.csr_matrix(Z)


def link(raw: np.ndarray, task: str) -> np.ndarray:
    """Raw scores to what a model predicts: the value (regression) or class probabilities (a column per class)."""
    if task == "regression":
        return raw
    if task == "binary" or raw.ndim == 1:
        p1 = 1.0 / (1.0 + np.exp(-np.clip(raw, -50, 50)))
        return np.column_stack([1 - p1, p1])
    z = np.exp(raw - raw.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


def cross_fitted_proba(X, codes: np.ndarray, n_classes: int, alpha: float, seed: int, folds: int = 5) -> np.ndarray:
    """Each row's class probabilities from a ``LinearStart`` fitted without it (an inner k-fold of these rows)."""
    rows = X.iloc if hasattr(X, "iloc") else X
    task = "binary" if n_classes == 2 else "multiclass"
    out = np.zeros((len(codes), n_classes))
    for fit, hold in inner_splits(codes, 0.2, folds, seed, True):
        out[hold] = LinearStart(task, alpha, n_classes).fit(rows[fit], codes[fit]).class_proba(rows[hold])
    return out


class FittedInit:
    """A fitted ``LinearStart`` as scikit-learn gradient boosting's ``init``. Boosting fits its init on the rows it is
    given; these are the rows the start was fitted on, so ``fit`` keeps it as it is instead of repeating the fit (a
    many-class logistic fit costs as much as hundreds of trees)."""

    def __init__(self, start: LinearStart):
        self.start = start

    def fit(self, X, y, sample_weight=None):
        return self

    @property
    def classes_(self):
        return self.start.classes_

    def predict(self, X) -> np.ndarray:
        return self.start.predict(X)

    def predict_proba(self, X) -> np.ndarray:
        return self.start.predict_proba(X)
