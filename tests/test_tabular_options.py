"""Options of table runs from issue #9: seed averaging of a member, and the skew transforms."""

import numpy as np
import pytest
from scipy.stats import skew

from conftest import FAST
from kagglekit.core.config import SpeedConfig
from kagglekit.core.errors import UserError
from kagglekit.core.runs import RunDir
from kagglekit.models import build_averaged, build_model
from kagglekit.models.seed_average import SEED_STRIDE
from kagglekit.pipeline import train

QUIET = dict(progress=False, log=lambda *a: None)


def test_a_seed_average_is_the_mean_of_its_members_fitted_alone():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 5))
    y = X[:, 0] + np.sin(2 * X[:, 1]) + rng.normal(scale=0.3, size=300)
    speed, params = SpeedConfig(threads=1), {"n_estimators": 40, "max_features": 0.5}
    averaged = build_averaged("random_forest", params, "regression", 3, speed, seeds=3).fit(X[:200], y[:200])
    alone = [build_model("random_forest", params, "regression", 3 + i * SEED_STRIDE, speed).fit(X[:200], y[:200])
             for i in range(3)]
    preds = [m.predict(X[200:]) for m in alone]
    assert np.allclose(averaged.predict(X[200:]), np.mean(preds, axis=0))
    assert not np.allclose(preds[0], preds[1])  # the members do differ
    assert np.allclose(averaged.feature_importances_, np.mean([m.feature_importances_ for m in alone], axis=0))
    boosters = build_averaged("lightgbm", {"n_estimators": 200}, "binary", 0, speed, seeds=2).fit(X[:200], (y[:200] > 0).astype(int))
    assert len(boosters.best_iteration_) == 2 and np.allclose(boosters.predict_proba(X[200:]).sum(axis=1), 1)


def test_model_seeds_is_a_run_of_its_own_and_records_each_members_choice(workdir):
    one = train("house-prices", "lightgbm", ["data=sample"] + FAST["lightgbm"] + ["model.params.subsample=0.7"], **QUIET)
    three = train("house-prices", "lightgbm", ["data=sample", "model.seeds=3"] + FAST["lightgbm"] + ["model.params.subsample=0.7"], **QUIET)
    assert three.run_dir != one.run_dir
    assert not np.allclose(one.oof, three.oof)
    assert three.record["cv_mean"] < 0.2  # the sample's log prices have sd ~0.4: learned, not broken by the averaging
    info = RunDir.at(three.run_dir).load_fold(0)["info"]
    assert info["importance"] and len(info["best_iteration"]) == 3
    with pytest.raises(UserError, match="model.seeds"):
        train("house-prices", "lasso", ["data=sample", "model.seeds=0"], **QUIET)


def test_log1p_takes_a_long_right_tail_and_leaves_a_left_skewed_column_as_it_is():
    from sklearn.linear_model import LinearRegression

    from kagglekit.tabular.preprocess import SkewedColumns

    rng = np.random.default_rng(2)
    right = rng.lognormal(sigma=1.0, size=600)
    left = 10 - np.clip(rng.lognormal(sigma=0.8, size=600), 0, 9.9)  # non-negative, a long left tail
    X = np.column_stack([right, left])
    assert skew(right) > 0.75 and skew(left) < -0.75
    step = SkewedColumns(0.75, "log1p").fit(X)
    assert step.columns_.tolist() == [0]  # log1p of the left tail would lengthen it
    out = step.transform(X)
    assert np.array_equal(out[:, 1], left) and abs(skew(out[:, 0])) < skew(right)
    y = 3 * left  # a target linear in the left-skewed column stays linear in what the model is given
    assert LinearRegression().fit(out, y).score(out, y) > 0.999999
    assert SkewedColumns(0.75, "yeo-johnson").fit(X).columns_.tolist() == [0, 1]  # a fitted power unskews either tail


def test_yeo_johnson_is_fitted_on_the_training_rows_and_unskews_them():
    from sklearn.preprocessing import PowerTransformer

    from kagglekit.tabular.preprocess import SkewedColumns

    rng = np.random.default_rng(1)
    X = np.column_stack([rng.lognormal(sigma=1.2, size=400), rng.normal(size=400)])  # one skewed, one not
    step = SkewedColumns(0.75, "yeo-johnson").fit(X[:300])
    assert step.columns_.tolist() == [0]
    out = step.transform(X[300:])
    expected = PowerTransformer(method="yeo-johnson", standardize=False).fit(X[:300, :1]).transform(X[300:, :1])
    assert np.allclose(out[:, :1], expected) and np.array_equal(out[:, 1], X[300:, 1])
    assert abs(skew(step.transform(X[:300])[:, 0])) < abs(skew(np.log1p(X[:300, 0])))  # a fitted power beats log1p here
    res = train("house-prices", "lasso", ["data=sample", "preprocess.skew_transform=yeo-johnson"], **QUIET)
    assert res.record["cv_mean"] < 0.2
    with pytest.raises(UserError, match="skew_transform"):
        train("house-prices", "lasso", ["data=sample", "preprocess.skew_transform=boxcox"], **QUIET)


def test_roles_are_guessed_from_generated_columns_with_their_evidence():
    """Free text, numbers that are codes, a per-row key; amounts, small categories and a dense count stay as dtypes
    say."""
    import numpy as np
    import pandas as pd

    from kagglekit.tabular.roles import guess_roles

    rng = np.random.default_rng(0)
    n = 300
    vocab = ["red", "apple", "river", "stone", "quick", "blue", "house", "light", "green", "cloud"]
    train = pd.DataFrame({
        "review": [" ".join(rng.choice(vocab, 6)) + f" {i}" for i in range(n)],
        "subclass": rng.choice([20, 30, 60, 90, 120, 160, 190], n),  # codes: 7 values over 20..190
        "rooms": rng.integers(1, 9, n),  # a count: dense in its range
        "price": rng.normal(100, 10, n),  # an amount
        "colour": rng.choice(["red", "blue"], n),  # a small category
        "token": [f"k{rng.integers(1e9):x}{i}" for i in range(n)],  # one distinct token per row
        "title": [f"{rng.choice(vocab)} {rng.choice(vocab)} {i}"[: 12 + i % 7] for i in range(n)],  # short, all distinct
        "maker": [f"{rng.choice(vocab)} {rng.choice(vocab)}" for _ in range(n)],  # two words, 100 levels: a category
    })
    test = train.iloc[:20].assign(token=[f"t{i}" for i in range(20)])
    guess = guess_roles(train, test, skip=[])
    assert guess.columns == {"text": ["review", "title"], "categorical": ["subclass"], "drop": ["token"]}
    lines = "\n".join(guess.evidence)
    assert "text 'review': 100% distinct, 7 words on average" in lines and "20..190: codes" in lines
    assert "a different single token in every row" in lines


def test_sparse_whole_numbers_are_codes_only_when_the_targets_mean_follows_no_order_of_them():
    """Days of curing (1, 3, 7, ... 365) whose target rises along them stay numbers, as does a column with too few
    populated levels to tell (mostly 0); a subclass code whose target means jump about is declared categorical. The
    same columns with no target to read are all codes, as the spread alone says."""
    import pandas as pd

    from kagglekit.tabular.roles import guess_roles, order_ratio

    rng = np.random.default_rng(0)
    n = 800
    age = rng.choice([1, 3, 7, 14, 28, 56, 90, 180, 365], n)
    subclass = rng.choice([20, 30, 40, 50, 60, 70, 80, 90, 120, 160, 190], n)
    effect = dict(zip([20, 30, 40, 50, 60, 70, 80, 90, 120, 160, 190], [0, 30, 3, 27, 6, 24, 9, 21, 12, 18, 15]))
    pool = np.where(rng.random(n) < 0.99, 0, rng.choice([400, 500, 600, 700], n))
    y = pd.Series(10 * np.log(age) + np.vectorize(effect.get)(subclass) + rng.normal(0, 2, n))
    train = pd.DataFrame({"age": age, "subclass": subclass, "pool": pool})
    assert order_ratio(train["age"], y, False) < 0.5 and order_ratio(train["subclass"], y, False) > 1.75
    guess = guess_roles(train, None, skip=[], target=y)
    assert guess.columns == {"categorical": ["subclass"]}
    lines = "\n".join(guess.evidence)
    assert "numbers 'age'" in lines and ": amounts" in lines and "numbers 'pool'" in lines and "kept as numbers" in lines
    # classes: the share of each class moving along the numbers is an order too
    classes = pd.Series(np.where(age + rng.normal(0, 20, n) > 60, "late", "early"))
    assert guess_roles(train[["age"]], None, skip=[], target=classes, classes=True).columns == {}
    assert guess_roles(train, None, skip=[]).columns == {"categorical": ["age", "subclass", "pool"]}


def test_a_code_column_of_numbers_enters_as_its_levels_and_its_number():
    """``preprocess.code_numbers``: a numeric column declared categorical gives its one-hot levels and its number, so a
    tree can split its order; off (the default), the levels alone."""
    import pandas as pd

    from kagglekit.core.competition import ColumnsSpec
    from kagglekit.tabular.preprocess import build_preprocessor, infer_roles
    from kagglekit.tabular.run_config import PreprocessConfig

    frame = pd.DataFrame({"code": [20, 30, 60, 20, 190, 30], "size": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]})
    columns = ColumnsSpec(categorical=["code"])
    for both, expected in ((True, {"num__code", "num__size", "cat__code_20", "cat__code_190"}),
                           (False, {"num__size", "cat__code_20", "cat__code_190"})):
        roles = infer_roles(frame, columns, [], 30, code_numbers=both)
        pre = build_preprocessor(roles, columns, PreprocessConfig(code_numbers=both), "regression", 0)
        pre.fit(frame)
        names = set(pre.get_feature_names_out())
        assert expected <= names and (("num__code" in names) == both)


def test_a_column_of_46_levels_is_one_hot_where_each_level_has_rows_enough_and_a_tree_learns_each_levels_trend():
    """Above max_onehot_levels a column is one-hot encoded while the fold's rows hold onehot_rows_per_level (50) a level,
    up to 100 levels; otherwise target-encoded. Where each city has its own trend over time and every city the same
    mean, one target mean per city carries nothing, and the indicators let the trees learn each trend."""
    import pandas as pd

    from kagglekit.core.competition import ColumnsSpec
    from kagglekit.tabular.preprocess import build_preprocessor, infer_roles, onehot_levels
    from kagglekit.tabular.run_config import PreprocessConfig

    assert onehot_levels(4600, 30, 50) == 92 and onehot_levels(460, 30, 50) == 30 and onehot_levels(60000, 30, 50) == 100
    assert onehot_levels(4600, 30, 0) == 30  # off
    rng = np.random.default_rng(0)
    city, t = rng.integers(0, 46, 5600), rng.uniform(-1, 1, 5600)
    frame = pd.DataFrame({"city": [f"c{k}" for k in city], "t": t})
    y = np.linspace(-3, 3, 46)[city] * t + rng.normal(scale=0.3, size=5600)
    fit, held = slice(0, 4600), slice(4600, None)
    assert infer_roles(frame[fit], ColumnsSpec(), [], 30, rows_per_level=50)["categorical"] == ["city"]
    assert infer_roles(frame[:460], ColumnsSpec(), [], 30, rows_per_level=50)["high_cardinality"] == ["city"]
    assert infer_roles(frame[fit], ColumnsSpec(), [], 30)["high_cardinality"] == ["city"]
    r2 = {}
    for per_level in (50, 0):
        config = PreprocessConfig(onehot_rows_per_level=per_level, scale=False)
        roles = infer_roles(frame[fit], ColumnsSpec(), [], 30, rows_per_level=per_level)
        pre = build_preprocessor(roles, ColumnsSpec(), config, "regression", 0)
        model = build_model("lightgbm", {"colsample_bytree": 1.0}, "regression", 0, SpeedConfig(threads=1))
        model.fit(pre.fit_transform(frame[fit], y[fit]), y[fit])
        pred = model.predict(pre.transform(frame[held]))
        r2[per_level] = 1 - np.mean((pred - y[held]) ** 2) / np.var(y[held])
    assert r2[50] > 0.8 and r2[0] < 0.3, r2  # the noise leaves at most 0.91


def test_a_high_cardinality_columns_encodings_reach_a_net_on_the_numbers_scale_and_the_mlp_learns_a_year():
    """Target encodings are in the target's units (a year: about 2,000); with `preprocess.scale` they are scaled as
    the numbers are, so the mlp learns from them, and sklearn's encoder is driven without deprecated arguments."""
    import warnings

    import pandas as pd

    from kagglekit.core.competition import ColumnsSpec
    from kagglekit.tabular.preprocess import build_preprocessor, infer_roles
    from kagglekit.tabular.run_config import PreprocessConfig

    rng = np.random.default_rng(0)
    artist = rng.integers(0, 200, 1500)
    frame = pd.DataFrame({"artist": [f"a{k}" for k in artist], "size": rng.normal(size=1500)})
    year = 1900 + artist * 0.5 + frame["size"].to_numpy() + rng.normal(scale=2, size=1500)
    roles = infer_roles(frame, ColumnsSpec(), [], 30)
    assert roles["high_cardinality"] == ["artist"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        X = build_preprocessor(roles, ColumnsSpec(), PreprocessConfig(), "regression", 0).fit_transform(frame[:1000], year[:1000])
    assert np.abs(X.mean(axis=0)).max() < 0.1 and np.abs(X.std(axis=0) - 1).max() < 0.1
    net = build_model("mlp", {"max_epochs": 60}, "regression", 0, SpeedConfig(threads=1))
    pre = build_preprocessor(roles, ColumnsSpec(), PreprocessConfig(), "regression", 0)
    net.fit(pre.fit_transform(frame[:1000], year[:1000]), year[:1000])
    rmse = np.sqrt(np.mean((net.predict(pre.transform(frame[1000:])) - year[1000:]) ** 2))
    assert rmse < 0.5 * year.std(), rmse  # the constant's error is the sd (about 29 years)


def test_the_mlp_on_a_cpu_fits_on_one_thread_and_gives_back_the_threads_it_found():
    """On a CPU the mlp trains on one thread (at batch 64 its matrices are too small to split) and says so to the fold
    runner, which fits its folds side by side; torch's thread count is put back afterwards. It still learns."""
    import torch

    from kagglekit.models import get_entry

    rng = np.random.default_rng(0)
    signal = rng.normal(size=(300, 1))
    X = signal + 0.5 * rng.normal(size=(300, 12))  # every column a noisy copy of the signal
    y = signal[:, 0] + 0.1 * rng.normal(size=300)
    torch.set_num_threads(2)
    model = build_model("mlp", {"max_epochs": 30, "progress": False}, "regression", 0, SpeedConfig(threads=2, device="cpu"))
    model.fit(X[:200], y[:200])
    assert model.threads_ == 1 and torch.get_num_threads() == 2
    assert np.corrcoef(model.predict(X[200:]), y[200:])[0, 1] > 0.5
    entry = get_entry("mlp")
    assert entry.fits_on_one_thread(SpeedConfig(device="cpu")) and not entry.fits_on_one_thread(SpeedConfig(device="cuda"))
