import numpy as np
import pandas as pd
import pytest

from kagglekit.core.config import CVConfig
from kagglekit.core.errors import UserError
from kagglekit.core.folds import assign_folds, load_or_make_folds


def _frame(n=200, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"Id": np.arange(n), "y": rng.lognormal(12, 0.4, n), "g": rng.integers(0, 20, n),
                         "when": pd.date_range("2020-01-01", periods=n, freq="D").astype(str)[rng.permutation(n)]})


def test_every_row_in_exactly_one_fold_and_seed_reproducible():
    df = _frame()
    for scheme in ("kfold", "stratified"):
        f = assign_folds(df, "y", "regression", CVConfig(n_splits=5, scheme=scheme), seed=3)
        assert (f >= 0).all() and sorted(np.bincount(f)) == [40] * 5
        np.testing.assert_array_equal(f, assign_folds(df, "y", "regression", CVConfig(n_splits=5, scheme=scheme), seed=3))
        assert not np.array_equal(f, assign_folds(df, "y", "regression", CVConfig(n_splits=5, scheme=scheme), seed=4))


def test_stratified_regression_folds_span_the_target():
    df = _frame()
    f = assign_folds(df, "y", "regression", CVConfig(n_splits=5, scheme="stratified"), seed=0)
    means = [df.y[f == k].median() for k in range(5)]
    assert max(means) / min(means) < 1.1


def test_group_folds_keep_groups_together():
    df = _frame()
    f = assign_folds(df, "y", "regression", CVConfig(n_splits=4, scheme="group", group_column="g"), seed=0)
    assert (df.assign(f=f).groupby("g")["f"].nunique() == 1).all()


def test_time_folds_are_contiguous_periods():
    df = _frame()
    f = assign_folds(df, "y", "regression", CVConfig(n_splits=4, scheme="time", time_column="when"), seed=0)
    dates = pd.to_datetime(df["when"])
    for k in range(3):
        assert dates[f == k].max() < dates[f == k + 1].min()


def test_fold_file_is_saved_once_and_checked(workdir):
    df = _frame()
    cv = CVConfig(n_splits=5)
    ids = df["Id"].astype(str).to_numpy()
    f1, path = load_or_make_folds("toy", df, ids, "y", "regression", cv, 0, "abc")
    f2, path2 = load_or_make_folds("toy", df, ids, "y", "regression", cv, 0, "abc")
    assert path == path2 and path.exists()
    np.testing.assert_array_equal(f1, f2)
    with pytest.raises(UserError, match="does not match train.csv's ids"):
        load_or_make_folds("toy", df.iloc[::-1], ids[::-1], "y", "regression", cv, 0, "abc")


def test_bad_scheme_columns():
    with pytest.raises(UserError, match="cv.group_column"):
        assign_folds(_frame(), "y", "regression", CVConfig(scheme="group", group_column="nope"), 0)


def test_time_folds_and_date_parts_read_zoned_and_mixed_timestamps():
    """ISO strings with ``Z`` and ``+02:00`` zones, naive ones and epoch seconds are one timeline (no pandas
    traceback for mixed zones), so time folds are periods and date features are the UTC calendar."""
    from kagglekit.core.dates import parse_dates
    from kagglekit.tabular.preprocess import DateParts

    start = pd.Timestamp("2021-01-01", tz="UTC")
    moments = [start + pd.Timedelta(hours=7 * i) for i in range(120)]
    spelled = [m.strftime("%Y-%m-%dT%H:%M:%SZ") if i % 3 == 0 else
               m.tz_convert("Europe/Paris").isoformat() if i % 3 == 1 else m.strftime("%Y-%m-%d %H:%M:%S")
               for i, m in enumerate(moments)]
    order = np.random.default_rng(0).permutation(120)
    frame = pd.DataFrame({"when": [spelled[i] for i in order], "y": np.arange(120.0)})
    parsed = parse_dates(frame["when"])
    assert parsed.notna().all() and (parsed == pd.Series([moments[i].tz_localize(None) for i in order])).all()
    epoch = parse_dates(pd.Series([m.timestamp() for m in moments]))
    assert (epoch == pd.Series([m.tz_localize(None) for m in moments])).all()
    folds = assign_folds(frame, "y", "regression", CVConfig(n_splits=4, scheme="time", time_column="when"), 0)
    periods = [sorted(order[folds == k]) for k in range(4)]
    assert [p[0] for p in periods] == [0, 30, 60, 90] and all(p == list(range(p[0], p[0] + 30)) for p in periods)
    parts = DateParts().fit(frame[["when"]]).transform(frame[["when"]])
    assert (parts[:, 0] == 2021).all() and np.isfinite(parts).all() and parts.shape[1] == 10
    hours = parts[:, 4][np.argsort(order)]  # the hour of day, as each moment was spelled: the same UTC hour
    assert np.allclose(hours, [m.hour for m in moments])
    assert np.allclose(parts[:, 6] ** 2 + parts[:, 7] ** 2, 1)  # the hour on a circle


def test_day_first_dates_read_one_way_for_a_whole_column_and_test_follows_train():
    """``22/01/2001`` says the column puts the day first, so ``05/01/2001`` is 5 January, not 1 May: time folds are
    periods, `new`'s guess sees test as the next period, and the test rows' date parts are read as train's were."""
    from kagglekit.core.dates import day_first, parse_dates
    from kagglekit.tabular.preprocess import DateParts
    from kagglekit.tabular.validation import guess_validation

    days = pd.date_range("2001-01-01", periods=150, freq="D")
    spell = lambda d: pd.Series(d.strftime("%d/%m/%Y"))  # noqa: E731
    assert day_first(spell(days)) is True and day_first(pd.Series(days.strftime("%m/%d/%Y"))) is False
    assert day_first(pd.Series(days.strftime("%Y-%m-%d"))) is None
    assert (parse_dates(spell(days)) == pd.Series(days)).all()
    train = pd.DataFrame({"date": spell(days[:120]), "y": np.arange(120.0)})
    test = pd.DataFrame({"date": spell(days[120:126])})  # 1-6 May: every field 12 or less, read as train reads
    guess = guess_validation(train, test, ["y"], "regression")
    assert guess.cv["scheme"] == "time" and "test is a later period" in guess.evidence[0]
    parts = DateParts().fit(train[["date"]]).transform(test[["date"]])
    assert (parts[:, 1] == 5).all() and (parts[:, 2] == np.arange(121, 127)).all()  # May, days 121-126 of the year
    folds = assign_folds(train, "y", "regression", CVConfig(n_splits=4, scheme="time", time_column="date"), 0)
    assert [sorted(np.flatnonzero(folds == k))[0] for k in range(4)] == [0, 30, 60, 90]
