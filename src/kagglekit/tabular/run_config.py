"""Config sections of tabular runs: in-fold preprocessing, target transform and outlier rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from ..core.config import RunConfig


SKEW_TRANSFORMS = ("log1p", "yeo-johnson")


@dataclass
class PreprocessConfig:
    """Tabular preprocessing; every statistic is fitted on a fold's training rows only."""

    numeric_impute: str = "median"  # median | mean | zero
    missing_indicators: bool = False
    clip_quantile: Optional[float] = None  # clip numbers to the training rows' [q, 1-q] quantiles; null: off
    skew_threshold: Optional[float] = 0.75  # unskew non-negative columns more skewed than this; null: off
    skew_transform: str = "log1p"  # log1p | yeo-johnson (its power fitted per column on the fold's training rows)
    scale: bool = True
    categorical: str = "onehot"  # onehot | ordinal
    high_cardinality: str = "target"  # target | ordinal | drop
    max_onehot_levels: int = 30
    # Also one-hot a column of up to WIDE_ONEHOT_LEVELS levels where the fold's training rows hold this many a level
    # (0: off): there each indicator has rows enough to split on, and the encoding keeps what the levels share with
    # the other columns (a city's prices over time), which one target mean per level loses.
    onehot_rows_per_level: int = 50
    code_numbers: bool = False  # a column of numbers declared categorical also enters as its number (trees split its order)
    min_category_count: int = 1
    text: str = "auto"  # auto | sparse | svd: TF-IDF of words and characters kept sparse (auto: for models that fit on
    # sparse input, the linear ones), or reduced to text_components dense SVD components (every other model)
    text_max_features: int = 3000  # per vocabulary: word 1-2-grams, and character 2-5-grams when sparse
    text_components: int = 16
    text_stats: bool = True  # each text column's length, word length, upper-case, digit, punctuation and link counts
    multi_max_items: int = 40


@dataclass
class GroupRangeConfig:
    """Regression: clip each prediction to the target range its group showed on the fold's fitting rows."""

    column: Optional[str] = None  # a feature column naming the group (e.g. a neighbourhood); null: off
    margin: float = 0.1  # each group's range is widened by this much, in the space models are fitted in
    min_rows: int = 30  # groups with fewer fitting rows (and groups the fold never saw) are not clipped


@dataclass
class TabularRunConfig(RunConfig):
    """A tabular run: the common keys plus preprocessing, target transform and outlier rules."""

    # regression: the space models are fitted in: log1p | log | null (the target as given) | auto (the metric's own
    # space: log for rmse_log, log1p for rmsle, where every target value is inside it; else as given)
    target_transform: Optional[str] = "auto"
    fit_filter: Optional[str] = None  # pandas query: matching rows are left out of fitting, never of scoring
    drop_residual_sd: Optional[float] = None  # refit without training rows whose first-fit residual exceeds this many sd
    clip_predictions: bool = True  # regression: clip predictions to the fold's training target range (a linear fit
    # in log space extrapolates outliers to wild prices; trees stay inside it anyway)
    clip_margin: float = 0.05  # ... widened by this share of that range at each end (a test row a little past it is real)
    group_range: GroupRangeConfig = field(default_factory=GroupRangeConfig)  # regression: and to their group's range
    calibration: Optional[str] = None  # classification: temperature | platt | isotonic, fitted on an inner split of each fold
    calibration_fraction: float = 0.2  # share of a fold's training rows the calibration map is fitted on
    features: bool = True  # apply the competition's own feature module, if it has one
    preprocess: PreprocessConfig = field(default_factory=PreprocessConfig)
