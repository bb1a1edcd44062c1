"""Adversarial validation: can a model tell train rows from test rows? If so, CV may not predict the leaderboard.

A LightGBM classifier is cross-validated on train (0) vs test (1) rows; its AUC says how different they are
(0.5: alike), its importances which columns differ. Columns that alone separate the two (ids, dates, counters)
are named with the fix: drop them, or validate on time blocks of a date.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np
import pandas as pd

from ..core.dates import parse_dates
from ..core.plots import pyplot, save_figure
from ..core.speed import thread_count


@dataclass
class ShiftReport:
    auc: float
    importance: Dict[str, float]  # column: share of the classifier's total gain
    alone: Dict[str, float]  # columns whose values alone separate train from test: their AUC
    fixes: Dict[str, str] = field(default_factory=dict)  # column: what to do about it
    n_train: int = 0
    n_test: int = 0

    def warning(self, threshold: float = 0.6) -> Optional[str]:
        if self.auc <= threshold:
            return None
        top = ", ".join(list(self.importance)[:3])
        fixes = "; ".join(f"{c}: {f}" for c, f in self.fixes.items())
        return (f"train and test differ: a classifier tells them apart with AUC {self.auc:.3f} (0.5: alike); "
                f"top columns {top}." + (f" Fixes: {fixes}." if fixes else "") + " CV may not predict the leaderboard.")


def _codes(both: pd.DataFrame) -> pd.DataFrame:
    out = {}  # columns gathered first: a frame grown column by column is slow and warns on wide tables
    for col in both.columns:
        values = both[col]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            out[col] = values.astype(float)
        else:
            codes = pd.Series(pd.factorize(values.astype(str), sort=True)[0], index=both.index).astype(float)
            out[col] = codes.mask(values.isna())
    return pd.DataFrame(out, index=both.index)


def _alone_auc(x: pd.Series, y: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    filled = x.fillna(x.min() - 1 if x.notna().any() else 0)
    auc = roc_auc_score(y, filled)
    return float(max(auc, 1 - auc))


def adversarial_validation(train: pd.DataFrame, test: pd.DataFrame, drop: List[str], seed: int = 0, folds: int = 5,
                           trees: int = 200, max_rows: Optional[int] = None) -> ShiftReport:
    """Cross-validated AUC of train-vs-test, importances, and the columns that separate the two alone."""
    import lightgbm as lgb
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    columns = [c for c in train.columns if c in test.columns and c not in drop]
    rng = np.random.default_rng(seed)
    if max_rows:
        train = train.iloc[np.sort(rng.choice(len(train), min(max_rows, len(train)), replace=False))]
        test = test.iloc[np.sort(rng.choice(len(test), min(max_rows, len(test)), replace=False))]
    both = pd.concat([train[columns], test[columns]], ignore_index=True)
    y = np.r_[np.zeros(len(train)), np.ones(len(test))].astype(int)
    X = _codes(both)
    oof, gain = np.zeros(len(y)), np.zeros(len(columns))
    for tr, va in StratifiedKFold(folds, shuffle=True, random_state=seed).split(X, y):
        model = lgb.LGBMClassifier(n_estimators=trees, learning_rate=0.05, num_leaves=15, min_child_samples=20,
                                   colsample_bytree=0.8, random_state=seed, verbose=-1, n_jobs=thread_count(0),
                                   importance_type="gain")
        model.fit(X.iloc[tr], y[tr])
        oof[va] = model.predict_proba(X.iloc[va])[:, 1]
        gain += model.feature_importances_
    share = gain / (gain.sum() or 1.0)
    importance = dict(sorted(zip(columns, share.round(4).tolist()), key=lambda kv: -kv[1]))
    alone = {c: round(_alone_auc(X[c], y), 4) for c in columns}
    alone = {c: a for c, a in sorted(alone.items(), key=lambda kv: -kv[1]) if a > 0.8}
    fixes = {}
    for col in alone:
        parsed = parse_dates(both[col]) if not pd.api.types.is_numeric_dtype(both[col]) else None
        if parsed is not None and parsed.notna().mean() > 0.9:
            fixes[col] = f"validate on time blocks: cv.scheme=time cv.time_column='{col}'"
        elif both[col].nunique() > 0.9 * len(both):
            fixes[col] = "an id or counter: add it to columns.drop in competition.yaml"
        else:
            fixes[col] = "its values differ between train and test: check it, or add it to columns.drop"
    return ShiftReport(float(roc_auc_score(y, oof)), importance, alone, fixes, len(train), len(test))


def shift_plot(train: pd.DataFrame, test: pd.DataFrame, report: ShiftReport, path: Path, top: int = 4) -> Path:
    """Train-vs-test distributions of the columns that drive the classifier most."""
    plt = pyplot()

    cols = list(report.importance)[:top]
    fig, axes = plt.subplots(1, max(1, len(cols)), figsize=(4 * max(1, len(cols)), 3.4), squeeze=False)
    for ax, col in zip(axes[0], cols):
        a, b = train[col], test[col]
        if pd.api.types.is_numeric_dtype(a) and a.nunique() > 20:
            lo, hi = np.nanquantile(pd.concat([a, b]), [0.01, 0.99])
            bins = np.linspace(lo, hi if hi > lo else lo + 1, 30)
            ax.hist(a.dropna(), bins=bins, alpha=0.55, density=True, label="train")
            ax.hist(b.dropna(), bins=bins, alpha=0.55, density=True, label="test")
        else:
            levels = pd.concat([a, b]).astype(str).value_counts().index[:12]
            fa = a.astype(str).value_counts(normalize=True).reindex(levels, fill_value=0)
            fb = b.astype(str).value_counts(normalize=True).reindex(levels, fill_value=0)
            x = np.arange(len(levels))
            ax.bar(x - 0.2, fa, 0.4, label="train")
            ax.bar(x + 0.2, fb, 0.4, label="test")
            ax.set_xticks(x, [str(v)[:10] for v in levels], rotation=60, fontsize=7)
        ax.set_title(f"{col} ({report.importance[col]:.0%} of gain)", fontsize=9)
        ax.legend(fontsize=7)
    fig.suptitle(f"train vs test: adversarial AUC {report.auc:.3f} (0.5 = alike)", fontsize=10)
    save_figure(fig, path, dpi=110)
    return path
