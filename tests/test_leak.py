"""No validation row may influence its fold's fitted preprocessing or model."""

import numpy as np
import pandas as pd
import pytest

from kagglekit.core.competition import load_competition
from kagglekit.tasks import load_config
from kagglekit.core.metrics import get_metric
from kagglekit.core.targets import encode_targets
from kagglekit.pipeline import prepare
from kagglekit.tabular.run_config import GroupRangeConfig
from kagglekit.tabular.data import fit_mask, load_table_data
from kagglekit.tabular.fitter import TableProblem, TableFoldFitter
from kagglekit.tabular.preprocess import build_preprocessor, infer_roles
from helpers import sample_copy


def _corrupt(df: pd.DataFrame, rows: np.ndarray, seed: int = 1) -> pd.DataFrame:
    """Replace every feature value of ``rows`` with wild numbers and unseen categories."""
    rng = np.random.default_rng(seed)
    df = df.copy()
    for col in df.columns:
        if col in ("Id", "SalePrice"):
            continue
        if pd.api.types.is_numeric_dtype(df[col]):
            df[col] = df[col].astype(float)
            df.loc[rows, col] = rng.normal(1e6, 1e5, len(rows))
        else:
            df.loc[rows, col] = [f"never-seen-{i}" for i in range(len(rows))]
    return df


@pytest.mark.parametrize("extra", [[], ["preprocess.skew_transform=yeo-johnson"]])
def test_preprocessor_fitted_on_training_rows_ignores_validation_rows(workdir, extra):
    spec = load_competition("house-prices")
    run = load_config("house-prices", "lasso", extra)
    folder = sample_copy("house-prices", workdir / "copy")
    data = load_table_data(spec, load_config("house-prices", "lasso", [f"data_dir={folder}", "features=false"]))
    X = data.train.drop(columns=["SalePrice"])
    y = np.log1p(data.train["SalePrice"].to_numpy())
    roles = infer_roles(X.iloc[120:], spec.columns, ["Id"], run.preprocess.max_onehot_levels)
    valid = np.arange(0, 120)
    train_rows = np.arange(120, len(X))
    clean = build_preprocessor(roles, spec.columns, run.preprocess, spec.task, 0).fit(X.iloc[train_rows], y[train_rows])
    # The fold's fit only ever receives training rows; corrupting validation rows and refitting the same
    # way must give the identical transform of training and test rows.
    Xc = _corrupt(X, valid)
    dirty = build_preprocessor(roles, spec.columns, run.preprocess, spec.task, 0).fit(Xc.iloc[train_rows], y[train_rows])
    np.testing.assert_array_equal(clean.transform(X.iloc[train_rows]), dirty.transform(X.iloc[train_rows]))
    np.testing.assert_array_equal(clean.transform(data.test), dirty.transform(data.test))
    # ...while fitting on all rows would have changed it: the check can fail.
    leaky = build_preprocessor(roles, spec.columns, run.preprocess, spec.task, 0).fit(Xc, y).transform(data.test)
    expected = clean.transform(data.test)
    assert leaky.shape != expected.shape or not np.allclose(leaky, expected)


@pytest.mark.parametrize("start", ["prior", "linear"])
def test_fold_predictions_do_not_depend_on_validation_rows(workdir, start):
    """End to end through the real fold fitter: corrupt fold 0's validation features and targets;
    fold 0's test predictions must not move at all."""
    overrides = ["data=sample", "model.params.n_estimators=100", f"model.params.start={start}"]
    spec, _, run, data = prepare("house-prices", "lightgbm", overrides, log=lambda *a: None)
    folds = np.arange(len(data.train)) % 5
    train_idx, valid_idx = np.flatnonzero(folds != 0), np.flatnonzero(folds == 0)
    targets = encode_targets(spec, data.train, get_metric("rmse_log"), "train.csv")

    def fold0_test_pred(train, targets):
        problem = TableProblem(train.drop(columns=["SalePrice"]), data.test, targets, run.preprocess, spec.columns, ["Id"],
                               fit_mask(train, run.fit_filter), run.target_transform, run.drop_residual_sd, run.clip_predictions,
                               group_range=GroupRangeConfig("Neighborhood", margin=0.0, min_rows=10))  # ranges from fitting rows only
        return TableFoldFitter(problem, run.model.name, run.model.params, run.seed, run.speed)(0, train_idx, valid_idx).test_pred

    before = fold0_test_pred(data.train, targets)
    bad = _corrupt(data.train, valid_idx)
    targets.y = targets.y.copy()
    targets.y[valid_idx] = 1e11
    after = fold0_test_pred(bad, targets)
    np.testing.assert_array_equal(before, after)


def test_the_text_model_feature_is_cross_fitted_on_training_rows():
    """Random words and random labels: a text model's score on the rows it was fitted on would separate them (it
    memorises), so a booster would trust it; the cross-fitted score on training rows must be chance."""
    from sklearn.metrics import roc_auc_score

    from kagglekit.tabular.preprocess import TextModelFeature

    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(400)]
    X = pd.DataFrame({"text": [" ".join(rng.choice(words, 8)) for _ in range(400)]})
    y = rng.integers(0, 2, 400)
    feature = TextModelFeature("binary", seed=0)
    crossed = feature.fit_transform(X, y)[:, 0]
    memorised = feature.transform(X)[:, 0]
    assert roc_auc_score(y, memorised) > 0.9  # what an in-sample score would tell a booster
    assert abs(roc_auc_score(y, crossed) - 0.5) < 0.1
