"""Tabular preprocessing built from config as one sklearn ColumnTransformer.

The transformer is fitted on a fold's training rows only (imputation medians, skew choices,
scalers, category levels, target encodings, text vocabularies), then applied to the fold's
validation rows and to test. Column roles come from dtypes plus the competition's
``columns:`` block; they are schema facts, not fitted statistics.
"""

from __future__ import annotations

import re
import warnings
from typing import Dict, List, Tuple

import numpy as np
import pandas as pd
from scipy.stats import skew
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.impute import SimpleImputer
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, OrdinalEncoder, StandardScaler, TargetEncoder

from ..core.competition import ColumnsSpec
from ..core.dates import day_first, parse_dates
from ..models.calibration import place_classes
from ..models.linear_path import many_sparse_classes
from .run_config import PreprocessConfig

MISSING = "__missing__"


WIDE_ONEHOT_LEVELS = 100  # the most levels a column is one-hot encoded with, however many rows each level has


def onehot_levels(n_rows: int, max_onehot_levels: int, rows_per_level: int = 0) -> int:
    """The most levels a categorical column of ``n_rows`` rows is one-hot encoded with (above: high-cardinality):
    ``max_onehot_levels``, or up to ``WIDE_ONEHOT_LEVELS`` where every level has ``rows_per_level`` rows on average."""
    wide = n_rows // rows_per_level if rows_per_level > 0 else 0
    return max(max_onehot_levels, min(WIDE_ONEHOT_LEVELS, wide))


def infer_roles(df: pd.DataFrame, columns: ColumnsSpec, exclude: List[str], max_onehot_levels: int,
                code_numbers: bool = False, rows_per_level: int = 0) -> Dict[str, List[str]]:
    """Split feature columns into roles: numeric, categorical, high_cardinality, ordinal, text, multi, date.
    ``code_numbers``: a column of numbers declared categorical is also numeric (its levels and its order both);
    ``rows_per_level``: see ``onehot_levels``."""
    declared = set(columns.categorical) | set(columns.ordinal) | set(columns.text) | set(columns.multi) | set(columns.date)
    skip = set(exclude) | set(columns.drop)
    most = onehot_levels(len(df), max_onehot_levels, rows_per_level)
    roles: Dict[str, List[str]] = {
        "numeric": [],
        "categorical": [],
        "high_cardinality": [],
        "ordinal": [c for c in columns.ordinal if c in df and c not in skip],
        "text": [c for c in columns.text if c in df and c not in skip],
        "multi": [c for c in columns.multi if c in df and c not in skip],
        "date": [c for c in columns.date if c in df and c not in skip],
    }
    for col in df.columns:
        if col in skip or (col in declared and col not in columns.categorical):
            continue
        number = pd.api.types.is_numeric_dtype(df[col]) and not pd.api.types.is_bool_dtype(df[col])
        if col not in columns.categorical and number:
            roles["numeric"].append(col)
            continue
        if number and code_numbers:
            roles["numeric"].append(col)
        if df[col].nunique(dropna=True) > most:
            roles["high_cardinality"].append(col)
        else:
            roles["categorical"].append(col)
    return roles


def _category_text(v) -> str:
    # 60 and 60.0 are one category: a code column turns float when any row (another fold, test) is missing.
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    return str(v)


def category_strings(X) -> np.ndarray:
    """Category values as strings with one token for missing (mixed number/text columns included), a column each."""
    frame = pd.DataFrame(X).astype(object)
    return frame.where(frame.notna(), MISSING).map(_category_text).to_numpy(dtype=object)


class SkewedColumns(BaseEstimator, TransformerMixin):
    """Unskew non-negative columns whose skewness on the fitted rows exceeds ``threshold``: ``log1p`` of those with a
    long right tail, or ``yeo-johnson`` of those skewed either way, each column's power fitted (maximum likelihood) on
    those rows."""

    def __init__(self, threshold: float = 0.75, method: str = "log1p"):
        self.threshold, self.method = threshold, method

    def fit(self, X, y=None):
        X = np.asarray(X, dtype=float)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # constant columns: skew is undefined, treated as 0
            s = np.nan_to_num(skew(X, axis=0, nan_policy="omit"))
        # log1p unskews a long right tail and lengthens a left one, so it takes only the right-skewed columns;
        # Yeo-Johnson fits its power either way.
        signed = s if self.method == "log1p" else np.abs(s)
        self.columns_ = np.flatnonzero((signed > self.threshold) & (np.nanmin(X, axis=0) >= 0))
        self.n_features_in_ = X.shape[1]
        self.power_ = None
        if self.method == "yeo-johnson" and len(self.columns_):
            from sklearn.preprocessing import PowerTransformer

            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                self.power_ = PowerTransformer(method="yeo-johnson", standardize=False).fit(X[:, self.columns_])
        return self

    def transform(self, X):
        X = np.array(X, dtype=float, copy=True)
        # The columns were non-negative on the fitted rows; a negative value elsewhere is clipped, not made -inf/NaN.
        part = np.clip(X[:, self.columns_], 0, None)
        X[:, self.columns_] = np.log1p(part) if self.power_ is None else self.power_.transform(part)
        return X

    def get_feature_names_out(self, input_features=None):
        return np.asarray(input_features if input_features is not None else [f"x{i}" for i in range(self.n_features_in_)])


class ClipToRange(BaseEstimator, TransformerMixin):
    """Clip each column to its [q, 1-q] quantiles on the fitted rows, so linear models do not extrapolate
    far beyond what they were trained on (q=0: the training min and max)."""

    def __init__(self, quantile: float = 0.0):
        self.quantile = quantile

    def fit(self, X, y=None):
        X = np.asarray(X, dtype=float)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-missing columns
            self.low_ = np.nanquantile(X, self.quantile, axis=0)
            self.high_ = np.nanquantile(X, 1.0 - self.quantile, axis=0)
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X):
        return np.clip(np.asarray(X, dtype=float), self.low_, self.high_)

    def get_feature_names_out(self, input_features=None):
        return np.asarray(input_features if input_features is not None else [f"x{i}" for i in range(self.n_features_in_)])


class OrdinalLevels(BaseEstimator, TransformerMixin):
    """Map ordered levels (worst first) to 0..n-1; unknown or missing become NaN. Nothing is fitted."""

    def __init__(self, levels: Dict[str, List[str]] = None):
        self.levels = levels

    def fit(self, X, y=None):
        self.columns_ = list(X.columns)
        return self

    def transform(self, X):
        out = np.full(X.shape, np.nan)
        for j, col in enumerate(self.columns_):
            mapping = {str(v): i for i, v in enumerate(self.levels[col])}
            out[:, j] = X[col].astype(str).map(mapping).to_numpy(dtype=float)
        return out

    def get_feature_names_out(self, input_features=None):
        return np.asarray(self.columns_)


DATE_PARTS = ("year", "month", "doy", "days", "hour", "dow", "hour_sin", "hour_cos", "doy_sin", "doy_cos")


class DateParts(BaseEstimator, TransformerMixin):
    """Calendar parts of each date column (year, month, day of year, day of week, hour), elapsed days since 1970
    (with the time of day as a fraction) and the hour and the day of the year on a circle (23:00 is next to 00:00,
    31 December to 1 January). Fitted: which way each column writes ``n/n/yyyy`` (day or month first), so that the
    test rows are read as the training rows were."""

    def fit(self, X, y=None):
        self.columns_ = list(X.columns)
        self.day_first_ = {col: bool(day_first(X[col])) for col in self.columns_}
        return self

    def transform(self, X):
        parts = []
        for col in self.columns_:
            d = parse_dates(X[col], self.day_first_[col])
            days = (d - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)
            hour = d.dt.hour + d.dt.minute / 60.0
            turn_hour, turn_day = 2 * np.pi * hour / 24.0, 2 * np.pi * (d.dt.dayofyear - 1) / 365.25
            parts += [d.dt.year, d.dt.month, d.dt.dayofyear, days, hour, d.dt.dayofweek,
                      np.sin(turn_hour), np.cos(turn_hour), np.sin(turn_day), np.cos(turn_day)]
        return np.column_stack([p.to_numpy(dtype=float) for p in parts])

    def get_feature_names_out(self, input_features=None):
        return np.asarray([f"{c}_{p}" for c in self.columns_ for p in DATE_PARTS])


class MultiLabelIndicators(BaseEstimator, TransformerMixin):
    """For "a, b, c" list columns: indicators of the most frequent items on the fitted rows, plus item count."""

    def __init__(self, max_items: int = 40, separator: str = ", "):
        self.max_items = max_items
        self.separator = separator

    def _items(self, series: pd.Series) -> pd.Series:
        return series.fillna("").astype(str).str.lower().str.split(self.separator)

    def fit(self, X, y=None):
        self.columns_ = list(X.columns)
        self.vocab_ = {}
        for col in self.columns_:
            counts = self._items(X[col]).explode().str.strip()
            counts = counts[counts != ""].value_counts()
            self.vocab_[col] = list(counts.index[: self.max_items])
        return self

    def transform(self, X):
        blocks = []
        for col in self.columns_:
            items = self._items(X[col]).map(lambda xs: {x.strip() for x in xs if x.strip()})
            block = np.array([[v in s for v in self.vocab_[col]] + [len(s)] for s in items], dtype=float)
            blocks.append(block.reshape(len(X), len(self.vocab_[col]) + 1))
        return np.hstack(blocks)

    def get_feature_names_out(self, input_features=None):
        return np.asarray([f"{c}={v}" for c in self.columns_ for v in self.vocab_[c] + ["<count>"]])


def _text_column(X) -> pd.Series:
    """The one free-text column of ``X`` (a frame or an array of one column) as strings, missing as empty."""
    return pd.DataFrame(X).iloc[:, 0].fillna("").astype(str)


TEXT_MARKS = {"exclaim": "!", "question": "?", "hash": "#", "at": "@", "quote": '"', "newline": "\n"}


class TextStats(BaseEstimator, TransformerMixin):
    """How one free-text column is written, as numbers a tree can split: its length in characters and words, the mean
    word length, the shares of upper-case letters, numerals, punctuation and non-ASCII characters, links, and counts of
    a few marks (``TEXT_MARKS``). Neither TF-IDF nor its SVD keeps these (both normalise length away, and the
    character n-grams are lower-cased), yet they tell authors and styles apart. Reads no labels: nothing to fit."""

    _punctuation = re.compile(r"[^\w\s]")

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        text = _text_column(X)
        chars = text.str.len().to_numpy(dtype=float)
        words = text.str.split().str.len().fillna(0).to_numpy(dtype=float)
        letters = text.str.count(r"[^\W\d_]").to_numpy(dtype=float)

        def share(count, of):
            return np.divide(count, of, out=np.zeros(len(text)), where=of > 0)

        columns = [
            np.log1p(chars), np.log1p(words), share(chars - text.str.count(r"\s").to_numpy(dtype=float), words),
            share(text.str.count(r"[A-Z]").to_numpy(dtype=float), letters),
            share(text.str.count(r"\d").to_numpy(dtype=float), chars),
            share(text.str.count(self._punctuation).to_numpy(dtype=float), chars),
            share(text.str.count(r"[^\x00-\x7f]").to_numpy(dtype=float), chars),
            text.str.count(r"https?://|www\.").to_numpy(dtype=float),
        ] + [text.str.count(re.escape(mark)).to_numpy(dtype=float) for mark in TEXT_MARKS.values()]
        return np.column_stack(columns)

    def get_feature_names_out(self, input_features=None):
        return np.asarray(["chars", "words", "word_length", "upper_share", "digit_share", "punctuation_share",
                           "non_ascii_share", "links"] + [f"{name}_count" for name in TEXT_MARKS])


class TextSVD(BaseEstimator, TransformerMixin):
    """TF-IDF of one free-text column reduced to a few dense components by truncated SVD."""

    def __init__(self, max_features: int = 3000, n_components: int = 16, seed: int = 0):
        self.max_features = max_features
        self.n_components = n_components
        self.seed = seed

    def fit(self, X, y=None):
        text = _text_column(X)
        self.tfidf_ = TfidfVectorizer(max_features=self.max_features, ngram_range=(1, 2), min_df=2, sublinear_tf=True)
        try:
            tf = self.tfidf_.fit_transform(text)
        except ValueError:  # no word appears twice: keep one constant feature
            self.tfidf_ = TfidfVectorizer(max_features=self.max_features)
            tf = self.tfidf_.fit_transform(text.where(text != "", "empty"))
        k = max(1, min(self.n_components, tf.shape[1] - 1))
        self.svd_ = TruncatedSVD(n_components=k, random_state=self.seed).fit(tf) if tf.shape[1] > 1 else None
        self.k_ = k
        return self

    def transform(self, X):
        tf = self.tfidf_.transform(_text_column(X))
        return self.svd_.transform(tf) if self.svd_ is not None else tf.toarray()

    def get_feature_names_out(self, input_features=None):
        return np.asarray([f"text_svd{i}" for i in range(self.k_)])


class TextTfidf(BaseEstimator, TransformerMixin):
    """TF-IDF of one free-text column, word 1-2-grams and character 2-5-grams side by side, kept sparse: what
    linear models on text learn best from (a few SVD components lose most of it)."""

    def __init__(self, max_features: int = 3000):
        self.max_features = max_features

    @staticmethod
    def _text(X):
        text = _text_column(X)
        return text.where(text != "", "empty")

    def fit(self, X, y=None):
        self.fit_transform(X)
        return self

    def fit_transform(self, X, y=None, **fit_params):
        """Fit both vectorizers and transform in one pass over the text (tokenising is the cost)."""
        from scipy import sparse

        text = self._text(X)
        self.words_ = TfidfVectorizer(max_features=self.max_features, ngram_range=(1, 2), sublinear_tf=True)
        self.chars_ = TfidfVectorizer(max_features=self.max_features, analyzer="char_wb", ngram_range=(2, 5),
                                      sublinear_tf=True)
        return sparse.hstack([self.words_.fit_transform(text), self.chars_.fit_transform(text)]).tocsr()

    def transform(self, X):
        from scipy import sparse

        text = self._text(X)
        return sparse.hstack([self.words_.transform(text), self.chars_.transform(text)]).tocsr()

    def get_feature_names_out(self, input_features=None):
        return np.concatenate([[f"w:{w}" for w in self.words_.get_feature_names_out()],
                               [f"c:{c}" for c in self.chars_.get_feature_names_out()]])


# Newton-CG's stop (largest gradient entry of the mean loss) for the text model of many classes: 1e-3, not
# scikit-learn's 1e-4, takes a third fewer steps for the same cross-fitted scores (breaches' 22 classes of 675 texts:
# out-of-fold log loss 1.7686 -> 1.7675 and 1.9395 -> 1.9398 on two text columns, probabilities within 0.06; 2.4 ->
# 1.5 s and 1.4 -> 0.9 s for the five fits). Every fold of every model on a table with free text fits six a column.
TEXT_NEWTON_TOL = 1e-3


class TextModelFeature(BaseEstimator, TransformerMixin):
    """A linear model's prediction from one text column's sparse TF-IDF, as features for models that cannot eat the
    TF-IDF itself (boosters): one column for regression and binary targets (the model's score), one per class
    otherwise. ``fit_transform`` cross-fits the linear model (each training row predicted by a model that never saw
    its label, as TargetEncoder does), so a booster is not taught to trust a prediction that saw its own target. The
    TF-IDF reads no labels: it is fitted once on all the rows, and only the linear model is refitted per split (the
    character n-grams cost far more than the model)."""

    def __init__(self, task: str = "regression", max_features: int = 3000, folds: int = 5, seed: int = 0):
        self.task, self.max_features, self.folds, self.seed = task, max_features, folds, seed

    def _linear(self):
        from sklearn.linear_model import LogisticRegression, Ridge

        if self.task == "regression":
            return Ridge(alpha=1.0)
        if self.newton_:
            return LogisticRegression(C=4.0, max_iter=2000, solver="newton-cg", tol=TEXT_NEWTON_TOL)
        return LogisticRegression(C=4.0, max_iter=2000, solver="lbfgs")

    def _scores(self, model, Z):
        if self.task == "regression":
            return model.predict(Z).reshape(-1, 1)
        proba = place_classes(model.predict_proba(Z), model.classes_, len(self.classes_))
        return proba[:, 1:2] if len(self.classes_) == 2 else proba

    def _width(self) -> int:
        """Output columns: one score for regression and binary targets, one probability per class otherwise."""
        return 1 if self.task == "regression" or len(self.classes_) == 2 else len(self.classes_)

    def _codes(self, y) -> np.ndarray:
        y = np.asarray(y)
        return y if self.task == "regression" else np.searchsorted(self.classes_, y)

    def _fit(self, X, y) -> Tuple[object, np.ndarray]:
        y = np.asarray(y)
        self.classes_ = np.unique(y) if self.task != "regression" else np.zeros(1)
        self.tfidf_ = TextTfidf(self.max_features)
        Z, codes = self.tfidf_.fit_transform(X), self._codes(y)
        self.newton_ = self.task != "regression" and many_sparse_classes(Z, len(self.classes_))
        self.model_ = self._linear().fit(Z, codes)
        return Z, codes

    def fit(self, X, y):
        self._fit(X, y)
        return self

    def fit_transform(self, X, y=None, **fit_params):
        Z, y = self._fit(X, y)
        out = np.zeros((len(y), self._width()))
        for fit_rows, held in KFold(min(self.folds, len(y)), shuffle=True, random_state=self.seed).split(Z):
            if self.task != "regression" and len(np.unique(y[fit_rows])) < 2:
                out[held] = self._scores(self.model_, Z[held])
                continue
            out[held] = self._scores(self._linear().fit(Z[fit_rows], y[fit_rows]), Z[held])
        return out

    def transform(self, X):
        return self._scores(self.model_, self.tfidf_.transform(X))

    def get_feature_names_out(self, input_features=None):
        return np.asarray([f"text_model{i}" for i in range(self._width())])


def build_preprocessor(
    roles: Dict[str, List[str]], columns: ColumnsSpec, cfg: PreprocessConfig, task: str, seed: int,
    sparse_ok: bool = False,
) -> ColumnTransformer:
    """An unfitted ColumnTransformer for these roles; fit it on a fold's training rows only. ``sparse_ok``: the model
    fits on sparse input, so free text stays sparse TF-IDF (``preprocess.text: auto``) and the output is sparse."""
    impute = {"median": "median", "mean": "mean", "zero": "constant"}[cfg.numeric_impute]
    numeric_steps = [SimpleImputer(strategy=impute, fill_value=0, add_indicator=cfg.missing_indicators, keep_empty_features=True)]
    if cfg.clip_quantile is not None:
        numeric_steps.append(ClipToRange(cfg.clip_quantile))
    if cfg.skew_threshold is not None:
        numeric_steps.append(SkewedColumns(cfg.skew_threshold, cfg.skew_transform))
    if cfg.scale:
        numeric_steps.append(StandardScaler())

    def numeric(*first):
        return make_pipeline(*first, *[clone(s) for s in numeric_steps])

    as_str = FunctionTransformer(category_strings, feature_names_out="one-to-one")
    if cfg.categorical == "onehot":
        categorical = make_pipeline(
            as_str,
            OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=cfg.min_category_count, sparse_output=False),
        )
    else:
        categorical = make_pipeline(
            as_str, OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1, min_frequency=cfg.min_category_count)
        )
    transformers = []
    if roles["numeric"]:
        transformers.append(("num", numeric(), roles["numeric"]))
    if roles["categorical"]:
        transformers.append(("cat", categorical, roles["categorical"]))
    if roles["high_cardinality"] and cfg.high_cardinality != "drop":
        if cfg.high_cardinality == "target":
            target_type = "continuous" if task == "regression" else ("binary" if task in ("binary", "multilabel") else "auto")
            # sklearn's TargetEncoder cross-fits inside fit_transform, so a row never sees its own target; its
            # splits are the ones its deprecated shuffle=True, random_state=seed made (the same encodings).
            splits = (KFold if target_type == "continuous" else StratifiedKFold)(5, shuffle=True, random_state=seed)
            encoder = TargetEncoder(target_type=target_type, cv=splits)
            # Encodings are in the target's units (a year: about 2,000): scaled as the numbers are, or a net's
            # inputs start far from the range its initialisation expects.
            high = make_pipeline(FunctionTransformer(category_strings, feature_names_out="one-to-one"),
                                 EachLabel(encoder) if task == "multilabel" else encoder, *([StandardScaler()] if cfg.scale else []))
        else:
            high = make_pipeline(FunctionTransformer(category_strings, feature_names_out="one-to-one"),
                                 OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1))
        transformers.append(("high", high, roles["high_cardinality"]))
    if roles["ordinal"]:
        transformers.append(("ord", numeric(OrdinalLevels({c: columns.ordinal[c] for c in roles["ordinal"]})), roles["ordinal"]))
    if roles["date"]:
        transformers.append(("date", numeric(DateParts()), roles["date"]))
    if roles["multi"]:
        transformers.append(("multi", MultiLabelIndicators(cfg.multi_max_items, columns.multi_separator), roles["multi"]))
    sparse_text = bool(roles["text"]) and (cfg.text == "sparse" or (cfg.text == "auto" and sparse_ok))
    for col in roles["text"]:
        if cfg.text_stats:
            transformers.append((f"text_stats_{col}", numeric(TextStats()), [col]))
        if sparse_text:
            transformers.append((f"text_{col}", TextTfidf(cfg.text_max_features), [col]))
            continue
        text = TextSVD(cfg.text_max_features, cfg.text_components, seed)
        transformers.append((f"text_{col}", Pipeline([("svd", text)] + ([("scale", StandardScaler())] if cfg.scale else [])), [col]))
        if cfg.text == "auto" and task != "multilabel":  # and the words' own signal, through a cross-fitted linear model
            scores = TextModelFeature(task, cfg.text_max_features, seed=seed)
            transformers.append((f"text_model_{col}", Pipeline([("model", scores)] + ([("scale", StandardScaler())]
                                                                                       if cfg.scale else [])), [col]))
    return ColumnTransformer(transformers, remainder="drop", sparse_threshold=1.0 if sparse_text else 0.0,
                             verbose_feature_names_out=True)


class EachLabel(BaseEstimator, TransformerMixin):
    """A target-reading ``encoder`` fitted once per label of a multilabel target (``y``: one 0/1 column per label),
    its encodings side by side: a model that fits every label at once sees each label's encoding."""

    def __init__(self, encoder):
        self.encoder = encoder

    def fit(self, X, y):
        self.fit_transform(X, y)
        return self

    def fit_transform(self, X, y=None, **fit_params):
        Y = np.asarray(y)
        self.encoders_ = [clone(self.encoder) for _ in range(Y.shape[1])]
        return np.hstack([e.fit_transform(X, Y[:, j]) for j, e in enumerate(self.encoders_)])

    def transform(self, X):
        return np.hstack([e.transform(X) for e in self.encoders_])

    def get_feature_names_out(self, input_features=None):
        return np.asarray([f"{name}_label{j}" for j, e in enumerate(self.encoders_)
                           for name in e.get_feature_names_out(input_features)])


class RawFrame(BaseEstimator, TransformerMixin):
    """For models that preprocess themselves (AutoGluon): the feature frame minus the id and dropped columns."""

    def __init__(self, drop: List[str] = None):
        self.drop = drop

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return X.drop(columns=[c for c in (self.drop or []) if c in X.columns])


DERIVED_ROLES = ("date", "text", "multi")


class CategoryFrame(BaseEstimator, TransformerMixin):
    """For models with their own category handling (CatBoost, RealMLP, TabM): the feature frame with its numbers and
    categories as they are, and what such a model cannot read made into numbers as the table models get them (each
    date column its calendar parts, each free-text column its words' SVD components and the cross-fitted text model's
    scores, each list column its item indicators). Without this a tweet or a timestamp is a category of one row.
    ``roles`` come from the fitted rows (``infer_roles``); ``drop``: ids and dropped columns."""

    def __init__(self, roles: Dict[str, List[str]], columns: ColumnsSpec, cfg: PreprocessConfig, task: str,
                 seed: int = 0, drop: List[str] = None):
        self.roles, self.columns, self.cfg, self.task, self.seed, self.drop = roles, columns, cfg, task, seed, drop

    def _derived(self) -> List[str]:
        return [c for role in DERIVED_ROLES for c in self.roles.get(role, [])]

    def _kept(self, X) -> pd.DataFrame:
        return RawFrame(list(self.drop or []) + self._derived()).transform(X)

    def _joined(self, X, parts: np.ndarray) -> pd.DataFrame:
        names = self.parts_.get_feature_names_out()
        return pd.concat([self._kept(X), pd.DataFrame(parts, columns=names, index=X.index)], axis=1)

    def fit(self, X, y=None):
        self.fit_transform(X, y)
        return self

    def fit_transform(self, X, y=None, **fit_params):
        self.parts_ = None
        if not self._derived():
            return self._kept(X)
        only = {role: (cols if role in DERIVED_ROLES else []) for role, cols in self.roles.items()}
        self.parts_ = build_preprocessor(only, self.columns, self.cfg, self.task, self.seed)
        return self._joined(X, self.parts_.fit_transform(X, y))  # the text model cross-fits here

    def transform(self, X):
        if self.parts_ is None:
            return self._kept(X)
        return self._joined(X, self.parts_.transform(X))
