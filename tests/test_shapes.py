"""Any competition from its files: `make new` guesses competition.yaml, then every submission shape trains and submits.

Each case writes a small learnable competition in Kaggle's layout, lets `new` write its folder (no edit),
trains a model on it and checks the submission against the sample: header, ids, order and values.
"""

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.metrics import roc_auc_score

from kagglekit.commands import main
from kagglekit.core.errors import UserError
from kagglekit.pipeline import train
from conftest import FAST

QUIET = dict(progress=False, log=lambda *a: None)


@pytest.fixture
def home(tmp_path, monkeypatch):
    """Empty competitions/ and configs/ folders of our own."""
    for name in ("competitions", "configs"):
        (tmp_path / name).mkdir()
    monkeypatch.setenv("KAGGLEKIT_COMPETITIONS", str(tmp_path / "competitions"))
    monkeypatch.setenv("KAGGLEKIT_CONFIGS", str(tmp_path / "configs"))
    return tmp_path


def _features(n, rng):
    x = rng.normal(size=(n, 4))
    frame = pd.DataFrame(x, columns=["a", "b", "c", "d"])
    frame["colour"] = rng.choice(["red", "green", "blue"], n)
    return frame, x[:, 0] + 0.8 * x[:, 1] + 0.5 * (frame["colour"] == "red")


def _write(folder, train, test, sample):
    folder.mkdir(parents=True)
    train.to_csv(folder / "train.csv", index=False)
    test.to_csv(folder / "test.csv", index=False)
    sample.to_csv(folder / "sample_submission.csv", index=False)
    return folder


def make_case(kind: str, folder, n=400, n_test=120, seed=0):
    rng = np.random.default_rng(seed)
    frame, score = _features(n + n_test, rng)
    frame.insert(0, "id", np.arange(1000, 1000 + n + n_test))
    tr, te = frame.iloc[:n].copy(), frame.iloc[n:].drop(columns=[]).copy()
    s_tr = score[:n]
    ids = te["id"].to_numpy()
    if kind == "label":  # string labels, a label column
        tr["species"] = np.where(s_tr > 0.3, "oak", np.where(s_tr < -0.5, "ash", "elm"))
        return _write(folder, tr, te, pd.DataFrame({"id": ids, "species": "oak"}))
    if kind == "renamed_label":  # the sample names its one prediction column its own way
        tr["species"] = np.where(s_tr > 0.3, "oak", np.where(s_tr < -0.5, "ash", "elm"))
        return _write(folder, tr, te, pd.DataFrame({"id": ids, "Category": "oak"}))
    if kind == "binary_proba":  # P(positive) column, ROC AUC
        tr["default"] = (s_tr + rng.normal(0, 0.5, n) > 0).astype(int)
        return _write(folder, tr, te, pd.DataFrame({"id": ids, "default": 0.5}))
    if kind == "class_proba":  # one probability column per class, log loss
        tr["grade"] = np.where(s_tr > 0.5, "A", np.where(s_tr < -0.5, "C", "B"))
        return _write(folder, tr, te, pd.DataFrame({"id": ids, "B": 1 / 3, "A": 1 / 3, "C": 1 / 3}))
    if kind == "multilabel":  # several 0/1 labels, a probability column each (mean ROC AUC); a 40-level column
        shops = rng.choice([f"shop{i}" for i in range(40)], n + n_test)
        tr["shop"], te["shop"] = shops[:n], shops[n:]
        tr["wet"] = (s_tr + rng.normal(0, 0.5, n) > 0).astype(int)
        tr["cold"] = (tr["a"] - tr["c"] + rng.normal(0, 0.5, n) > 0).astype(int)
        tr["late"] = (np.isin(shops[:n], [f"shop{i}" for i in range(15)]) ^ (rng.random(n) < 0.15)).astype(int)
        return _write(folder, tr, te, pd.DataFrame({"id": ids, "wet": 0.5, "cold": 0.5, "late": 0.5}))
    if kind == "several_targets":  # two regression targets
        tr["y1"], tr["y2"] = s_tr * 10 + 50, -s_tr * 3 + 7
        return _write(folder, tr, te, pd.DataFrame({"id": ids, "y1": 0.0, "y2": 0.0}))
    if kind == "row_number_id":  # no id in test.csv; 1-based ImageId; `Label` column for a `label` target; int labels
        tr, te = tr.drop(columns=["id"]), te.drop(columns=["id"])
        tr["label"] = (s_tr > 0).astype(int) + (s_tr > 1).astype(int)
        return _write(folder, tr, te, pd.DataFrame({"ImageId": np.arange(1, n_test + 1), "Label": 0}))
    if kind == "top_labels":  # five classes, the sample ranks three a cell ("a b c"): MAP@3
        tr["crop"] = np.select([s_tr > 1, s_tr > 0.3, s_tr > -0.3, s_tr > -1], ["rice", "maize", "wheat", "barley"], "rye")
        return _write(folder, tr, te, pd.DataFrame({"id": ids, "crop": "maize wheat rice"}))
    raise ValueError(kind)


EXPECT = {  # kind: (task, metric, format, chance score, better is higher)
    "label": ("multiclass", "accuracy", "label", 0.45, True),
    "renamed_label": ("multiclass", "accuracy", "label", 0.45, True),
    "binary_proba": ("binary", "roc_auc", "proba", 0.5, True),
    "class_proba": ("multiclass", "logloss", "class_proba", np.log(3), False),
    "multilabel": ("multilabel", "roc_auc", "proba", 0.5, True),
    "several_targets": ("regression", "rmse", "value", None, False),
    "row_number_id": ("multiclass", "accuracy", "label", 0.5, True),
    "top_labels": ("multiclass", "map@3", "top_labels", (1 + 1 / 2 + 1 / 3) / 5, True),
}


@pytest.mark.parametrize("kind", list(EXPECT))
def test_new_competition_from_files_trains_and_submits(kind, home, workdir):
    folder = make_case(kind, workdir / "files" / kind)
    assert main(["new", f"comp=case-{kind}", f"data_dir={folder}"]) == 0
    spec = yaml.safe_load((home / "competitions" / f"case-{kind}" / "competition.yaml").read_text())
    task, metric, fmt, chance, higher = EXPECT[kind]
    assert (spec["task"], spec["metric"], spec["submission"]["format"]) == (task, metric, fmt)
    res = train(f"case-{kind}", "lightgbm", [f"data_dir={folder}", "model.params.n_estimators=80",
                                             "model.params.learning_rate=0.1"], **QUIET)
    sub, sample = pd.read_csv(res.submission), pd.read_csv(folder / "sample_submission.csv")
    assert list(sub.columns) == list(sample.columns)
    assert sub.iloc[:, 0].tolist() == sample.iloc[:, 0].tolist()  # the sample's ids, in its order
    cv = res.record["cv_mean"]
    if chance is not None:
        assert (cv > chance + 0.1) if higher else (cv < chance - 0.2), (kind, cv)
    if fmt == "class_proba":
        assert np.allclose(sub[["B", "A", "C"]].sum(axis=1), 1, atol=1e-6)
    if fmt == "proba":
        assert all(sub[c].between(0, 1).all() and sub[c].nunique() > 10 for c in sample.columns[1:])
    if kind == "row_number_id":
        assert pd.api.types.is_integer_dtype(sub["Label"]) and set(sub["Label"]) <= {0, 1, 2}
    if kind in ("label", "renamed_label"):
        assert set(sub.iloc[:, 1]) <= {"oak", "ash", "elm"} and sub.iloc[:, 1].nunique() > 1
    if kind == "top_labels":  # three distinct classes a cell, the most probable first, as the stored test prediction ranks them
        cells = sub["crop"].str.split()
        classes = np.array(res.record["classes"])
        test_pred = np.load(res.run_dir / "test.npy")
        assert (cells.str.len() == 3).all() and cells.map(lambda c: len(set(c)) == 3 and set(c) <= set(classes)).all()
        assert (cells.str[0].to_numpy() == classes[test_pred.argmax(axis=1)]).all()
        assert (cells.str[2].to_numpy() == classes[np.argsort(-test_pred, axis=1, kind="stable")[:, 2]]).all()
    if kind == "several_targets":
        truth = pd.read_csv(folder / "train.csv")
        assert cv < 0.5 * truth[["y1", "y2"]].std().mean()
        assert np.load(res.run_dir / "oof.npy").shape == (400, 2)


@pytest.mark.parametrize("model", ["extra_trees", "mlp"])
def test_a_multilabel_target_is_fitted_whole_by_the_models_that_take_it(model, home, workdir):
    """Forests and the mlp take every label at once: one fit a fold (its record one choice a fold: the forest's linear
    share per label and its feature importances, the mlp's best epoch), the 40-level column target-encoded once per
    label, each label learnt."""
    folder = make_case("multilabel", workdir / "files" / "labels")
    assert main(["new", "comp=labels", f"data_dir={folder}"]) == 0
    fast = ["model.params.n_estimators=40"] if model == "extra_trees" else FAST["mlp"]
    res = train("labels", model, [f"data_dir={folder}", *fast], **QUIET)
    assert res.record["cv_mean"] > 0.75
    oof, truth = np.load(res.run_dir / "oof.npy"), pd.read_csv(folder / "train.csv")
    assert oof.shape == (400, 3)
    assert min(roc_auc_score(truth[c], oof[:, j]) for j, c in enumerate(["wet", "cold", "late"])) > 0.7
    folds = len(res.record["fold_scores"])
    if model == "mlp":
        assert len(res.record["best_epochs"]) == folds and all(isinstance(e, int) for e in res.record["best_epochs"])
        return
    assert [len(c["linear_weight"]) for c in res.record["chosen_params"]] == [3] * folds
    features = pd.read_csv(res.run_dir / "feature_importance.csv")["feature"].tolist()  # one forest's importances
    assert {f"high__shop_label{j}" for j in range(3)} <= set(features), features


def test_numbers_with_a_placeholder_for_missing_read_as_numbers(home, workdir):
    """UCI's "?" for a missing number: `new` lists it in read_csv.na_values with its evidence, so the column is a
    number to every run (a ridge fit learns its slope) instead of a category of every distinct value."""
    rng = np.random.default_rng(4)
    frame, _ = _features(520, rng)
    frame.insert(0, "id", np.arange(520))
    frame["y"] = 3 * frame["a"] + frame["b"] + rng.normal(0, 0.3, 520)
    frame["a"] = frame["a"].round(4).astype(object).where(rng.random(520) > 0.15, "?")
    folder = _write(workdir / "files", frame.iloc[:400], frame.iloc[400:].drop(columns=["y"]),
                    pd.DataFrame({"id": frame["id"].iloc[400:], "y": 0.0}))
    assert main(["new", "comp=case", f"data_dir={folder}"]) == 0
    written = (home / "competitions" / "case" / "competition.yaml").read_text()
    assert yaml.safe_load(written)["read_csv"] == {"na_values": {"a": ["?"]}}
    assert "numbers 'a': 1" in written and "are '?': read as missing" in written
    as_numbers = train("case", "ridge", [f"data_dir={folder}"], **QUIET).cv_mean
    path = home / "competitions" / "case" / "competition.yaml"
    path.write_text(written.replace("read_csv:\n  na_values:\n    a:\n    - '?'\n", ""))  # before: "?" a level
    as_levels = train("case", "ridge", [f"data_dir={folder}"], **QUIET).cv_mean
    assert as_numbers < 0.6 * as_levels, (as_numbers, as_levels)


def test_a_class_named_like_its_target_column_keeps_both_in_the_prediction_files(home, workdir):
    """A column ``dead`` whose classes are "alive" and "dead": the out-of-fold file has the true label in ``dead`` and
    the probability of class "dead" in ``dead_prediction`` (a run on such a table once failed at its last step)."""
    rng = np.random.default_rng(5)
    frame, score = _features(500, rng)
    frame.insert(0, "id", np.arange(500))
    frame["dead"] = np.where(score + rng.normal(0, 0.5, 500) > 0.5, "dead", "alive")
    folder = _write(workdir / "files", frame.iloc[:400], frame.iloc[400:].drop(columns=["dead"]),
                    pd.DataFrame({"id": frame["id"].iloc[400:], "dead": 0.5}))
    assert main(["new", "comp=case", f"data_dir={folder}"]) == 0
    res = train("case", "ridge", [f"data_dir={folder}"], **QUIET)
    oof = pd.read_csv(res.run_dir / "oof.csv")
    assert list(oof.columns) == ["id", "dead", "alive", "dead_prediction"]
    assert set(oof["dead"]) == {"alive", "dead"} and np.allclose(oof["alive"] + oof["dead_prediction"], 1)
    is_dead = (oof["dead"] == "dead").to_numpy()
    assert oof["dead_prediction"][is_dead].mean() > oof["dead_prediction"][~is_dead].mean() + 0.3
    assert list(pd.read_csv(res.run_dir / "test_pred.csv").columns) == ["id", "alive", "dead_prediction"]
    assert pd.read_csv(res.submission)["dead"].between(0, 1).all()


def test_classes_of_one_and_two_rows_keep_stratified_folds_and_every_booster_trains(home, workdir):
    """A class rarer than the folds (one row, two rows) no longer stops a new competition's first run: the folds stay
    stratified (the two-row class in two folds), and models fitted on a fold whose rows lack a class give it
    probability 0 in the submission's column, not an error."""
    folder = make_case("class_proba", workdir / "files")
    frame = pd.read_csv(folder / "train.csv")
    frame.loc[0, "grade"], frame.loc[[1, 2], "grade"] = "single", "pair"
    frame.to_csv(folder / "train.csv", index=False)
    sample = pd.read_csv(folder / "sample_submission.csv").assign(single=0.2, pair=0.2)
    sample.to_csv(folder / "sample_submission.csv", index=False)
    assert main(["new", "comp=rare", f"data_dir={folder}"]) == 0
    for model in ("lightgbm", "xgboost"):
        res = train("rare", model, [f"data_dir={folder}", "model.params.n_estimators=60"], **QUIET)
        folds = pd.read_csv(res.run_dir / "folds.csv", dtype={"id": str})
        assert folds["fold"].iloc[[1, 2]].nunique() == 2  # the two-row class in two folds
        assert res.record["cv_mean"] < np.log(5) - 0.3, (model, res.record["cv_mean"])
        sub = pd.read_csv(res.submission)
        assert list(sub.columns) == list(sample.columns) and np.allclose(sub.iloc[:, 1:].sum(axis=1), 1, atol=1e-6)


def test_a_timestamp_id_is_a_date_feature_and_train_only_counts_are_dropped(home, workdir):
    """Bike-sharing's shape: the id is the hour's timestamp (the only clock the rows have) and train.csv also has two
    counts that add up to the target, absent from test.csv. `new` makes the id a date feature too, follows it with
    time folds and lists the two counts under columns.drop; the first run learns the hour from the id."""
    rng = np.random.default_rng(5)
    n = 900
    when = pd.date_range("2011-01-01", periods=n, freq="h")
    busy = np.asarray((when.hour >= 7) & (when.hour <= 19))
    frame = pd.DataFrame({"datetime": when.strftime("%Y-%m-%d %H:%M:%S"), "temp": rng.normal(20, 5, n)})
    frame["casual"], frame["registered"] = rng.poisson(3, n), rng.poisson(np.where(busy, 40, 5))
    frame["count"] = frame["casual"] + frame["registered"]
    test = frame.iloc[700:].drop(columns=["casual", "registered", "count"])
    folder = _write(workdir / "files", frame.iloc[:700], test, pd.DataFrame({"datetime": test["datetime"], "count": 0}))
    assert main(["new", "comp=bikes", f"data_dir={folder}"]) == 0
    spec = yaml.safe_load((home / "competitions" / "bikes" / "competition.yaml").read_text())
    assert spec["id"] == "datetime" and spec["columns"]["date"] == ["datetime"]
    assert spec["columns"]["drop"] == ["casual", "registered"]
    cv = yaml.safe_load((home / "configs" / "bikes" / "defaults.yaml").read_text())["cv"]
    assert (cv["scheme"], cv["time_column"]) == ("time", "datetime")
    res = train("bikes", "lightgbm", [f"data_dir={folder}"], **QUIET)
    assert res.record["cv_mean"] < 0.6 * frame["count"].iloc[:700].std(), res.record["cv_mean"]  # the hour is learned
    sub = pd.read_csv(res.submission)
    assert sub["datetime"].tolist() == test["datetime"].tolist()


def test_amounts_written_with_signs_commas_and_percents_read_as_numbers_target_included(home, workdir):
    """"$1,234.50", "12.5%", "1,234": `new` lists them (the target too) under columns.amounts with evidence, the task is
    regression, and the run learns from the numbers; a decimal comma ("1,5") is not taken for an amount."""
    rng = np.random.default_rng(6)
    n = 360
    rate, size = rng.uniform(1, 30, n), rng.integers(500, 5000, n)
    price = 40 * size + 900 * rate + rng.normal(0, 800, n)
    frame = pd.DataFrame({"id": np.arange(n), "rate": [f"{r:.1f}%" for r in rate], "size": [f"{v:,}" for v in size],
                          "ratio": [f"{v:.1f}".replace(".", ",") for v in rng.uniform(0, 2, n)],
                          "price": [f"${v:,.2f}" for v in price]})
    folder = _write(workdir / "files", frame.iloc[:300], frame.iloc[300:].drop(columns=["price"]),
                    pd.DataFrame({"id": frame["id"].iloc[300:], "price": 0.0}))
    assert main(["new", "comp=case", f"data_dir={folder}"]) == 0
    written = (home / "competitions" / "case" / "competition.yaml").read_text()
    spec = yaml.safe_load(written)
    assert sorted(spec["columns"]["amounts"]) == ["price", "rate", "size"]
    assert (spec["task"], spec["metric"]) == ("regression", "rmse")
    assert "amounts 'size': '" in written and "amounts 'price' (the target): read as numbers" in written
    res = train("case", "ridge", [f"data_dir={folder}"], **QUIET)
    assert res.cv_mean < 0.25 * price.std(), (res.cv_mean, price.std())
    sub = pd.read_csv(res.submission)
    assert sub["price"].between(price.min() - 5000, price.max() + 5000).all()


def test_new_refuses_to_overwrite_and_names_what_it_cannot_guess(home, workdir, capsys):
    folder = make_case("label", workdir / "files")
    assert main(["new", "comp=case", f"data_dir={folder}"]) == 0
    assert main(["new", "comp=case", f"data_dir={folder}"]) == 2
    assert "force=true" in capsys.readouterr().err
    test = pd.read_csv(folder / "test.csv")
    test.drop(columns=["colour"]).to_csv(folder / "test.csv", index=False)  # now two columns test.csv lacks
    pd.DataFrame({"id": test["id"], "mystery": 0.5}).to_csv(folder / "sample_submission.csv", index=False)
    assert main(["new", "comp=case2", f"data_dir={folder}"]) == 2
    assert "cannot tell the target" in capsys.readouterr().err
    assert main(["train", "comp=../competitions/house-prices"]) == 2
    assert "not a path" in capsys.readouterr().err


def test_new_with_force_keeps_the_users_folds_and_says_what_the_files_suggest(home, workdir):
    folder = make_case("label", workdir / "files")
    assert main(["new", "comp=case", f"data_dir={folder}"]) == 0
    defaults = home / "configs" / "case" / "defaults.yaml"
    defaults.write_text("cv:\n  scheme: kfold\n  n_splits: 3\n")  # the user's own
    assert main(["new", "comp=case", f"data_dir={folder}", "force=true"]) == 0
    assert defaults.read_text() == "cv:\n  scheme: kfold\n  n_splits: 3\n"
    header = (home / "competitions" / "case" / "competition.yaml").read_text()
    assert "kept as it was: kfold): the files suggest stratified" in header


def test_tabular_classification_ensembles_on_probabilities(home, workdir):
    from kagglekit.ensembles import ensemble

    folder = make_case("class_proba", workdir / "files")
    assert main(["new", "comp=grades", f"data_dir={folder}"]) == 0
    args = [f"data_dir={folder}"]
    runs = [train("grades", m, args + x, **QUIET) for m, x in
            [("ridge", []), ("lightgbm", ["model.params.n_estimators=80"]), ("random_forest", ["model.params.n_estimators=60"])]]
    assert len({r.record["folds_file"] for r in runs}) == 1
    for method in ("blend", "stack", "rank"):
        out = ensemble("grades", top=3, method=method, log=lambda *a: None)
        assert out.record["cv_mean"] < np.log(3) - 0.2
        sub = pd.read_csv(out.submission)
        assert np.allclose(sub[["B", "A", "C"]].sum(axis=1), 1, atol=1e-6)


def test_speed_settings_and_the_other_kinds_keys_leave_run_ids_alone():
    from kagglekit.core.config import config_hash, to_dict

    base = load("house-prices", "lasso")
    for speed in (["speed.threads=1"], ["speed.device=cpu", "speed.parallel=2"]):
        assert config_hash(load("house-prices", "lasso", speed), "d") == config_hash(base, "d")
    with pytest.raises(UserError, match="speed.infer_batch_size"):  # an image run's speed key, not a table's
        load("house-prices", "lasso", ["speed.infer_batch_size=64"])
    leaves = load("leaves", "efficientnet_lite0")
    assert "preprocess" not in to_dict(leaves) and "image" not in to_dict(base)  # each kind hashes its own keys
    assert config_hash(load("leaves", "efficientnet_lite0", ["speed.loader_workers=4"]), "d") == config_hash(leaves, "d")
    assert config_hash(load("house-prices", "lasso", ["seed=1"]), "d") != config_hash(base, "d")


def load(comp, name, overrides=()):
    from kagglekit.tasks import load_config

    return load_config(comp, name, list(overrides))


def test_binary_competition_tunes_upwards_and_autogluon_shares_its_folds(workdir, tmp_path, monkeypatch):
    import shutil

    from kagglekit.tuning import tune
    from kagglekit.core.paths import ROOT

    shutil.copytree(ROOT / "configs", tmp_path / "configs")
    monkeypatch.setenv("KAGGLEKIT_CONFIGS", str(tmp_path / "configs"))
    out = tune("credit", "lightgbm", ["data=sample", "folds=3"], trials=3, log=lambda *a: None)
    assert out["n_complete"] >= 1 and 0.5 < out["best_value"] <= 1.0  # ROC AUC, maximised
    ag = train("credit", "autogluon", ["data=sample", "folds=3", "model.params.time_limit=20",
                                       "model.params.hyperparameters={GBM: {}}"], **QUIET)
    lgb = train("credit", "lightgbm-tuned", ["data=sample", "folds=3"], **QUIET)
    assert ag.record["folds_file"] == lgb.record["folds_file"]
    assert ag.record["cv_mean"] > 0.6 and lgb.record["cv_mean"] == pytest.approx(out["best_value"])
    sub = pd.read_csv(ag.submission)
    assert list(sub.columns) == ["Id", "Status"] and sub["Status"].between(0, 1).all()


def test_a_label_metric_on_a_probability_sample_is_refused_before_any_fold(home, workdir):
    folder = make_case("binary_proba", workdir / "files")
    assert main(["new", "comp=loans", f"data_dir={folder}"]) == 0
    path = home / "competitions/loans/competition.yaml"
    path.write_text(path.read_text().replace("metric: roc_auc", "metric: accuracy").replace("format: proba", "format: label"))
    with pytest.raises(Exception, match=r"metric accuracy writes class labels, but the sample submission's 'default' holds probabilities"):
        train("loans", "lightgbm", [f"data_dir={folder}"], **QUIET)
    assert not list((workdir / "runs").rglob("fold_*.json"))  # refused before the first fold
    path.write_text(path.read_text().replace("format: label", "format: proba"))
    pd.DataFrame({"id": pd.read_csv(folder / "test.csv")["id"], "default": "no"}).to_csv(folder / "sample_submission.csv", index=False)
    with pytest.raises(Exception, match="holds text"):
        train("loans", "lightgbm", [f"data_dir={folder}"], **QUIET)


def test_describe_and_the_sample_it_makes_carry_no_real_value(home, workdir):
    from kagglekit.core.competition import load_competition
    from kagglekit.tabular.sample import generate_sample

    rng = np.random.default_rng(3)
    n = 300
    names = [f"Zyx{i:03d}, Mr. Qwerty{i}" for i in range(n)]  # unique per row, like passenger names
    train = pd.DataFrame({"id": np.arange(n), "Name": names, "Ticket": [f"PC {1000 + i}" for i in range(n)],
                          "Embarked": rng.choice(["S", "C", "Q"], n), "Fare": rng.lognormal(3, 1, n).round(4),
                          "survived": rng.integers(0, 2, n)})
    train.loc[[5, 6], "Embarked"] = "RAREPORT"  # a level seen twice is identifying too
    folder = workdir / "files"
    _write(folder, train, train.drop(columns=["survived"]), pd.DataFrame({"id": train["id"], "survived": 0}))
    assert main(["new", "comp=titanicish", f"data_dir={folder}"]) == 0
    assert main(["describe", "comp=titanicish", f"data_dir={folder}"]) == 0
    text = (home / "competitions/titanicish/sample.yaml").read_text()
    planted = names + list(train["Ticket"]) + ["RAREPORT"]
    assert not [v for v in planted if v in text]
    fare = next(c for c in yaml.safe_load(text)["columns"] if c["name"] == "Fare")
    assert not set(fare["quantiles"]) & set(train["Fare"].round(3))  # noisy quantiles: no real fare survives
    spec = load_competition("titanicish")
    frames = generate_sample(spec, yaml.safe_load(text), seed=0)
    values = set(frames["train"].astype(str).to_numpy().ravel())
    assert not values & set(names + list(train["Ticket"]) + ["RAREPORT"])
    assert set(frames["train"]["Embarked"].dropna()) <= {"S", "C", "Q"}


def _shift_case(folder, shift: bool, n=600, seed=0):
    rng = np.random.default_rng(seed)
    frame, score = _features(2 * n, rng)
    frame.insert(0, "id", np.arange(2 * n))
    frame["listed"] = pd.date_range("2020-01-01", periods=2 * n, freq="D").astype(str)
    order = np.arange(2 * n) if shift else rng.permutation(2 * n)  # shifted: test rows are the later half
    tr, te = frame.iloc[order[:n]].copy(), frame.iloc[order[n:]].copy()
    if shift:
        te["c"] = te["c"] + 1.5  # a planted shift in one feature
    tr["target"] = score[order[:n]]
    return _write(folder, tr.drop(columns=["listed"]) if not shift else tr, te.drop(columns=["listed"]) if not shift else te,
                  pd.DataFrame({"id": te["id"], "target": 0.0}))


def test_shift_finds_a_planted_shift_and_names_the_fixes(home, workdir, capsys):
    from kagglekit.tabular.shift import adversarial_validation

    shifted = _shift_case(workdir / "shifted", shift=True)
    assert main(["new", "comp=drift", f"data_dir={shifted}"]) == 0
    assert "warning: train and test differ" in capsys.readouterr().out  # make new's quick check
    assert main(["shift", "comp=drift", f"data_dir={shifted}"]) == 0
    out = capsys.readouterr().out
    assert "cv.scheme=time cv.time_column='listed'" in out  # a date that separates train from test
    report = adversarial_validation(pd.read_csv(shifted / "train.csv").drop(columns=["target", "listed"]),
                                    pd.read_csv(shifted / "test.csv").drop(columns=["listed"]), drop=[])
    assert report.auc > 0.9 and "columns.drop" in report.fixes["id"]  # an id that counts up: drop it
    assert list(report.importance)[0] in ("c", "id")
    without_id = adversarial_validation(pd.read_csv(shifted / "train.csv").drop(columns=["target", "listed", "id"]),
                                        pd.read_csv(shifted / "test.csv").drop(columns=["listed", "id"]), drop=[])
    assert list(without_id.importance)[0] == "c" and without_id.auc > 0.75
    assert (workdir / "runs/drift/shift/shift.png").read_bytes()[:4] == b"\x89PNG"
    alike = _shift_case(workdir / "alike", shift=False)
    report = adversarial_validation(pd.read_csv(alike / "train.csv").drop(columns=["target"]),
                                    pd.read_csv(alike / "test.csv"), drop=["id"])
    assert report.auc < 0.6 and report.warning() is None


def test_lightgbm_early_stops_on_an_inner_split_and_says_where(workdir):
    res = train("credit", "lightgbm", ["data=sample", "model.params.n_estimators=3000"], **QUIET)
    chosen = res.record["best_iterations"]
    assert len(chosen) == 5 and all(1 <= c < 3000 for c in chosen)  # stopped well before the cap, fold by fold
    fixed = train("credit", "lightgbm", ["data=sample", "model.params.n_estimators=300", "model.params.early_stopping=false"], **QUIET)
    assert fixed.record["best_iterations"] == [300] * 5
    assert res.record["cv_mean"] > 0.6


@pytest.mark.parametrize("relation", ["later_period", "unseen_groups", "unseen_people"])
def test_new_writes_the_folds_the_test_rows_call_for_and_trains_with_no_edit(relation, home, workdir):
    """Test rows that are the next period get time folds on their date column (declared a date); test rows of keys
    train never shows get group folds on that key, whatever its name (a panel's person number). The evidence is a
    comment in configs/NAME/defaults.yaml."""
    rng = np.random.default_rng(1)
    n, n_test = 360, 90
    frame, score = _features(n + n_test, rng)
    frame.insert(0, "id", np.arange(n + n_test))
    if relation == "later_period":
        when = pd.date_range("2021-01-01", periods=n + n_test, freq="6h", tz="UTC")
        frame["when"] = [t.isoformat().replace("+00:00", "Z") for t in when]
        expect = {"scheme": "time", "time_column": "when"}
    elif relation == "unseen_groups":
        frame["store_id"] = np.concatenate([rng.integers(0, 60, n), rng.integers(100, 130, n_test)])
        expect = {"scheme": "group", "group_column": "store_id"}
    if relation == "unseen_people":  # a panel: a person's rows over the years, test persons never in train
        frame["year"] = np.tile(np.arange(1980, 1986), (n + n_test) // 6)
        frame["nr"] = np.repeat(np.arange((n + n_test) // 6), 6) * 7 + 13  # a key not named like one
        expect = {"scheme": "group", "group_column": "nr"}
    train_rows, test_rows = frame.iloc[:n].copy(), frame.iloc[n:].copy()
    train_rows["price"] = score[:n] * 10 + 100
    folder = _write(workdir / "files" / relation, train_rows, test_rows,
                    pd.DataFrame({"id": test_rows["id"], "price": 0.0}))
    assert main(["new", f"comp=case-{relation}", f"data_dir={folder}"]) == 0
    defaults = (home / "configs" / f"case-{relation}" / "defaults.yaml").read_text()
    cv = yaml.safe_load(defaults)["cv"]
    assert {k: cv[k] for k in expect} == expect
    assert ("later period" in defaults) if relation == "later_period" else ("never shows" in defaults)
    written = (home / "competitions" / f"case-{relation}" / "competition.yaml").read_text()
    spec = yaml.safe_load(written)
    assert spec.get("columns", {}).get("date", []) == (["when"] if relation == "later_period" else [])
    assert f"defaults.yaml): {expect['scheme']}, " in written  # the folds and their evidence, in the header too
    if relation != "later_period":
        assert f"# columns, group key '{expect['group_column']}':" in written
    res = train(f"case-{relation}", "lightgbm", [f"data_dir={folder}", "model.params.n_estimators=80"], **QUIET)
    folds = pd.read_csv(res.run_dir / "folds.csv")["fold"].to_numpy()
    if relation == "later_period":  # each fold a contiguous period
        assert all(np.all(np.diff(np.flatnonzero(folds == k)) == 1) for k in range(5))
    else:  # no store (person) in two folds
        stores = train_rows[expect["group_column"]].to_numpy()
        assert all(len(set(folds[stores == s])) == 1 for s in np.unique(stores))
    assert res.record["cv_mean"] < 0.8 * train_rows["price"].std()


def _messages(n, seed=3):
    """(frame, label): short messages whose words say spam or not, sent 37 minutes apart, a per-row hash, a town."""
    rng = np.random.default_rng(seed)
    spam = ["win", "free", "prize", "cash", "offer", "click", "now", "urgent"]
    ham = ["meeting", "lunch", "report", "tomorrow", "thanks", "see", "you", "project"]
    filler = ["the", "a", "to", "for", "and", "is", "on", "we"]
    label = rng.integers(0, 2, n)
    words = [" ".join(rng.choice((spam if y else ham), 3).tolist() + rng.choice(filler, 5).tolist()) for y in label]
    when = pd.date_range("2022-05-01", periods=n, freq="37min", tz="UTC")
    frame = pd.DataFrame({"id": np.arange(n), "message": words,
                          "sent": [t.isoformat().replace("+00:00", "Z") for t in when],
                          "hash": [f"h{rng.integers(1e12):x}{i}" for i in range(n)],
                          "city": rng.choice([f"town{k}" for k in range(60)], n)})
    return frame, label


def _message_competition(workdir, name, target, n=400, n_test=100):
    """A `make new` competition of messages; ``target(frame, label)`` gives the training rows' answers."""
    frame, label = _messages(n + n_test)
    train_rows, test_rows = frame.iloc[:n].copy(), frame.iloc[n:].copy()
    train_rows["spam"] = target(frame, label)[:n]
    folder = _write(workdir / "files" / name, train_rows, test_rows, pd.DataFrame({"id": test_rows["id"], "spam": 0.5}))
    assert main(["new", f"comp={name}", f"data_dir={folder}"]) == 0
    return folder


def test_new_finds_free_text_and_keys_and_the_text_is_learned(home, workdir):
    """A short-message source classification (ROC AUC): the text column is declared text (its evidence in the file's
    header), a per-row hash column is dropped, the zoned timestamp is a date, and LightGBM learns from the words."""
    folder = _message_competition(workdir, "sms", lambda frame, label: label)
    text = (home / "competitions/sms/competition.yaml").read_text()
    spec = yaml.safe_load(text)
    assert spec["columns"]["text"] == ["message"] and spec["columns"]["date"] == ["sent"]
    assert spec["columns"]["drop"] == ["hash"] and "# columns, text 'message': 100% distinct, 8 words on average" in text
    assert "# columns, high-cardinality 'city': 60 levels" in text and "city" not in str(spec["columns"])
    res = train("sms", "lightgbm", [f"data_dir={folder}", "model.params.n_estimators=100"], **QUIET)
    assert res.record["cv_mean"] > 0.9  # chance is 0.5; the words decide


def test_catboost_reads_the_words_and_the_hour_and_never_a_dropped_column(home, workdir):
    """CatBoost keeps its own categories but gets dates and free text as numbers (a tweet or a timestamp read as a
    category is a level of one row, nothing to learn): it learns a target set by the words, and one set by the hour
    of the day, far above chance; the hash `new` dropped and the id never reach it."""
    from kagglekit.core.competition import ColumnsSpec
    from kagglekit.tabular.preprocess import CategoryFrame, infer_roles
    from kagglekit.tabular.run_config import PreprocessConfig

    frame, label = _messages(300)
    columns = ColumnsSpec(text=["message"], date=["sent"], drop=["hash"])
    roles = infer_roles(frame, columns, ["id"], 30)
    pre = CategoryFrame(roles, columns, PreprocessConfig(), "binary", 0, drop=["id", "hash"])
    fitted = pre.fit_transform(frame.iloc[:200], label[:200])
    assert list(pre.transform(frame.iloc[200:]).columns) == list(fitted.columns)
    assert {"id", "hash", "message", "sent"}.isdisjoint(fitted.columns) and fitted["city"].equals(frame["city"][:200])
    assert "date__sent_hour" in fitted.columns and any("text_model" in c for c in fitted.columns)

    night = lambda f, label: (pd.to_datetime(f["sent"]).dt.hour < 12).astype(int).to_numpy()  # noqa: E731
    for name, target in (("words", lambda f, label: label), ("hours", night)):
        folder = _message_competition(workdir, name, target)
        res = train(name, "catboost", [f"data_dir={folder}", "model.params.n_estimators=100", "cv.n_splits=3"], **QUIET)
        assert res.record["cv_mean"] > 0.9, name  # chance is 0.5


def test_free_text_stays_sparse_tfidf_for_linear_models_and_svd_for_the_rest(home, workdir):
    """preprocess.text=auto: a linear model gets the sparse word and character TF-IDF of a text column, a booster its
    dense SVD components; on a message-source competition the linear model on words beats chance by far."""
    from scipy import sparse

    from kagglekit.models import get_entry
    from kagglekit.tabular.preprocess import build_preprocessor, infer_roles
    from kagglekit.tabular.run_config import PreprocessConfig
    from kagglekit.core.competition import ColumnsSpec

    rng = np.random.default_rng(5)
    vocab = {0: ["meeting", "lunch", "report", "thanks"], 1: ["win", "prize", "cash", "click"]}
    y = rng.integers(0, 2, 300)
    frame = pd.DataFrame({"message": [" ".join(rng.choice(vocab[v], 4)) + f" note {i}" for i, v in enumerate(y)],
                          "length": rng.normal(size=300)})
    columns = ColumnsSpec(text=["message"])
    roles = infer_roles(frame, columns, [], 30)
    for model, want_sparse in (("ridge", True), ("lightgbm", False)):
        pre = build_preprocessor(roles, columns, PreprocessConfig(), "binary", 0, sparse_ok=get_entry(model).sparse)
        X = pre.fit_transform(frame, y)
        assert sparse.issparse(X) == want_sparse and (X.shape[1] > 100) == want_sparse, (model, X.shape)
    test = frame.iloc[250:].drop(columns=[]).assign(id=np.arange(250, 300))
    train_rows = frame.iloc[:250].assign(id=np.arange(250), spam=y[:250])
    folder = _write(workdir / "files" / "notes", train_rows, test, pd.DataFrame({"id": test["id"], "spam": 0.5}))
    assert main(["new", "comp=notes", f"data_dir={folder}"]) == 0
    res = train("notes", "ridge", [f"data_dir={folder}"], **QUIET)
    assert res.record["cv_mean"] > 0.95


def test_how_a_text_is_written_reaches_the_trees_where_its_words_say_nothing(home, workdir):
    """Messages of one vocabulary, the positives written in capitals: TF-IDF lower-cases the words and its SVD keeps
    nothing of the case, so only the text's statistics (upper-case share, length, marks, links) tell them apart. With
    them a booster learns it; without (``preprocess.text_stats=false``) it is at chance. The statistics of a known
    message are what it holds."""
    from kagglekit.tabular.preprocess import TextStats

    stats = TextStats()
    row = dict(zip(stats.get_feature_names_out(), stats.transform(pd.DataFrame({"t": ['SEE "this" now!! https://x.co 42']}))[0]))
    assert row["links"] == 1 and row["exclaim_count"] == 2 and row["quote_count"] == 2 and row["hash_count"] == 0
    assert row["upper_share"] == pytest.approx(3 / 18) and row["words"] == pytest.approx(np.log1p(5)) and row["digit_share"] == pytest.approx(2 / 32)

    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 400)
    words = [" ".join(rng.choice(["meeting", "lunch", "win", "prize", "report", "cash", "see", "now"], 6)) for _ in y]
    frame = pd.DataFrame({"id": np.arange(400), "message": [w.upper() if v else w for w, v in zip(words, y)]})
    test = frame.iloc[300:]
    folder = _write(workdir / "files" / "shouts", frame.iloc[:300].assign(shout=y[:300]), test,
                    pd.DataFrame({"id": test["id"], "shout": 0.5}))
    assert main(["new", "comp=shouts", f"data_dir={folder}"]) == 0
    assert yaml.safe_load((home / "competitions/shouts/competition.yaml").read_text())["columns"]["text"] == ["message"]
    fast = [f"data_dir={folder}", "model.params.n_estimators=50", "cv.n_splits=3"]
    assert train("shouts", "lightgbm", fast, **QUIET).record["cv_mean"] > 0.95
    assert train("shouts", "lightgbm", fast + ["preprocess.text_stats=false"], **QUIET).record["cv_mean"] < 0.7


def test_new_names_pixel_and_image_path_columns_as_such(home, workdir):
    """Pixel columns are a picture, not 64 numeric codes; a column of picture paths makes an image competition in the
    path_column layout; each with its evidence in the header, and no shift check on a table with no features."""
    from PIL import Image

    rng = np.random.default_rng(0)
    pixels = pd.DataFrame((rng.integers(0, 17, (60, 64)) * 15).astype(int), columns=[f"pixel{i}" for i in range(64)])
    pixels.insert(0, "label", rng.integers(0, 3, 60))
    folder = _write(workdir / "files" / "px", pixels.iloc[:50], pixels.iloc[50:].drop(columns=["label"]),
                    pd.DataFrame({"ImageId": np.arange(1, 11), "Label": 0}))
    assert main(["new", "comp=px", f"data_dir={folder}"]) == 0
    text = (home / "competitions/px/competition.yaml").read_text()
    assert "categorical" not in text and "# columns, pixels 'pixel0'..'pixel63': 64 columns, a 8x8 picture a row" in text

    folder = workdir / "files" / "paths"
    (folder / "images").mkdir(parents=True)
    for i in range(30):
        Image.fromarray(rng.integers(0, 255, (8, 8, 3), dtype=np.uint8)).save(folder / "images" / f"{i}.jpg")
    names = [f"images/{i}.jpg" for i in range(30)]
    pd.DataFrame({"image": names[:24], "label": rng.choice(["oak", "ash"], 24)}).to_csv(folder / "train.csv", index=False)
    pd.DataFrame({"image": names[24:]}).to_csv(folder / "test.csv", index=False)
    pd.DataFrame({"image": names[24:], "label": "oak"}).to_csv(folder / "sample_submission.csv", index=False)
    assert main(["new", "comp=paths", f"data_dir={folder}"]) == 0
    text = (home / "competitions/paths/competition.yaml").read_text()
    spec = yaml.safe_load(text)
    assert spec["kind"] == "image" and spec["images"] == {"layout": "path_column", "path_column": "image", "side": 8}
    assert spec["id"] == "image" and "# columns, image paths 'image': 100% of values end in a picture suffix" in text


def test_a_log_metric_fits_the_logs_and_clips_to_the_training_range_by_default(home, workdir):
    """A skewed positive target (prices): `new` guesses RMSE of logs, and with no target_transform set the models
    fit the logs (auto: the metric's own space), as the hand-written Ames config does. Fitted on the raw prices, a
    linear model scores far worse there and predicts prices at or below zero for some rows. Rows without a price
    (left out of training) do not change the guess."""
    rng = np.random.default_rng(5)
    frame, signal = _features(600, rng)
    frame["price"] = np.round(1000 * np.exp(1.2 * signal + 0.2 * rng.normal(size=600)), 2)
    frame.insert(0, "id", np.arange(600))
    train_rows, test_rows = frame.iloc[:450].copy(), frame.iloc[450:].drop(columns=["price"])
    train_rows.loc[train_rows.index[[3, 30]], "price"] = None
    test_rows.loc[test_rows.index[0], "a"] = 40.0  # a measuring error: 40 sd out
    folder = workdir / "files"
    _write(folder, train_rows, test_rows, pd.DataFrame({"id": test_rows["id"], "price": 1000.0}))
    assert main(["new", "comp=prices", f"data_dir={folder}"]) == 0
    assert yaml.safe_load((home / "competitions" / "prices" / "competition.yaml").read_text())["metric"] == "rmse_log"
    logs = train("prices", "ridge", [f"data_dir={folder}"], **QUIET)
    raw = train("prices", "ridge", [f"data_dir={folder}", "target_transform=null", "clip_predictions=false"],
                submit_file=False, **QUIET)
    assert logs.record["cv_mean"] < 0.5 * raw.record["cv_mean"]
    assert logs.record["cv_mean"] < 0.35  # the noise is 0.2 in log space
    assert (np.load(raw.run_dir / "oof.npy") <= 0).any() and (np.load(logs.run_dir / "oof.npy") > 0).all()
    # Predictions stay near the fold's training range by default (clip_predictions, widened by clip_margin's 5% of it
    # at each end, in the log space fitted): the outlier row is not priced at exp(1.2 x 40) x 1000, which the
    # sane-range check would refuse, losing the member.
    prices = pd.read_csv(logs.submission)["price"]
    logs_seen = np.log(train_rows["price"].dropna())
    assert prices.gt(0).all() and np.log(prices.max()) <= logs_seen.max() + 0.05 * np.ptp(logs_seen) + 1e-6
    unclipped = train("prices", "ridge", [f"data_dir={folder}", "clip_predictions=false"], submit_file=False, **QUIET)
    assert np.load(unclipped.run_dir / "test.npy").max() > 10 * train_rows["price"].max()


def test_a_linear_target_is_predicted_a_little_past_the_training_range_but_not_far(home, workdir):
    """A target that is a sum of its columns (an index of sub-scores), whose test rows reach a little past the training
    range: clip_predictions widened by clip_margin lets the linear member follow them there (held exactly at the
    training edge, those rows cost most of the error), while a row far out is still held near the edge."""
    rng = np.random.default_rng(11)
    x = rng.uniform(0, 10, size=(500, 3))
    frame = pd.DataFrame(x, columns=["a", "b", "c"])
    frame["score"] = x.mean(axis=1)
    frame.insert(0, "id", np.arange(500))
    order = frame["score"].sort_values().index
    test_ids = list(order[:3]) + list(order[-3:]) + list(rng.choice(order[3:-3], 94, replace=False))
    test_rows = frame.loc[test_ids].drop(columns=["score"]).copy()
    train_rows = frame.drop(index=test_ids)
    far = test_rows.index[-1]
    test_rows.loc[far, ["a", "b", "c"]] = 100.0  # a score of 100: ten times past the range
    folder = _write(workdir / "files", train_rows, test_rows, pd.DataFrame({"id": test_rows["id"], "score": 0.0}))
    assert main(["new", "comp=index", f"data_dir={folder}"]) == 0
    low, high = train_rows["score"].min(), train_rows["score"].max()
    predicted = {}
    for margin in (0.0, 0.05):
        run = train("index", "ridge", [f"data_dir={folder}", "target_transform=null", f"clip_margin={margin}"], **QUIET)
        predicted[margin] = pd.read_csv(run.submission).set_index("id")["score"]
    edges = test_rows["id"].iloc[:6]
    truth = frame.loc[edges.index, "score"].to_numpy()
    held, followed = (np.abs(predicted[m].loc[edges].to_numpy() - truth) for m in (0.0, 0.05))
    assert predicted[0.0].between(low - 1e-9, high + 1e-9).all()  # each fold's range lies inside the whole one
    assert followed.max() < 0.5 * held.max()
    width = high - low
    assert high < predicted[0.05].loc[test_rows.loc[far, "id"]] <= high + 0.05 * width + 1e-6


def test_a_whole_number_column_with_gaps_in_test_is_not_taken_for_unseen_groups():
    """Test's copy of an integer column with a gap reads as floats (730.0): compared as numbers, its values are the
    ones train shows, so a measurement such as a garage area is no group key; a panel's person number still is."""
    from kagglekit.tabular.validation import guess_validation

    rng = np.random.default_rng(3)
    area = pd.Series(rng.integers(0, 150, 900) * 4)  # about 150 values, each on several rows
    train_rows = pd.DataFrame({"id": np.arange(600), "area": area[:600], "y": rng.normal(size=600)})
    test_rows = pd.DataFrame({"id": np.arange(600, 900), "area": area[600:].astype(float).to_numpy()})
    test_rows.loc[0, "area"] = np.nan
    assert guess_validation(train_rows, test_rows, ["id"], "regression").cv["scheme"] == "kfold"
    test_rows["area"] = test_rows["area"] + 10_000  # now values train never shows: a key
    assert guess_validation(train_rows, test_rows, ["id"], "regression").cv == {"scheme": "group", "group_column": "area",
                                                                               "n_splits": 5}


@pytest.mark.parametrize("model", ["lightgbm", "xgboost", "mlp"])
def test_a_mean_absolute_error_metric_fits_absolute_errors(model, home, workdir):
    """With `metric: mae` a booster or the mlp fits absolute errors (regression_loss auto): on a target with skewed noise the
    median, which MAE rewards, sits well below the mean, and the absolute-error fit scores better than the squared one
    on the same folds (`model.params.regression_loss=squared`)."""
    rng = np.random.default_rng(6)
    frame, signal = _features(700, rng)
    frame["y"] = 2 * signal + 2 * np.exp(rng.normal(0, 1, 700))  # log-normal noise: median 2, mean 3.3
    frame.insert(0, "id", np.arange(700))
    folder = _write(workdir / "files", frame.iloc[:600], frame.iloc[600:].drop(columns=["y"]),
                    pd.DataFrame({"id": frame["id"].iloc[600:], "y": 0.0}))
    assert main(["new", "comp=errors", f"data_dir={folder}"]) == 0
    path = home / "competitions" / "errors" / "competition.yaml"
    hint = next(line for line in path.read_text().splitlines() if line.startswith("# metric:"))
    assert "mae" in hint and "Evaluation page" in hint  # the guess's comment names the other metrics for values
    path.write_text(path.read_text().replace("metric: rmse", "metric: mae"))  # as a user sets it from the rules
    assert yaml.safe_load(path.read_text())["metric"] == "mae"
    fast = [f"data_dir={folder}"] + (FAST["mlp"] if model == "mlp" else ["model.params.learning_rate=0.1"])
    absolute = train("errors", model, fast, submit_file=False, **QUIET).record["cv_mean"]
    squared = train("errors", model, fast + ["model.params.regression_loss=squared"], submit_file=False, **QUIET).record["cv_mean"]
    assert absolute < 0.95 * squared, (absolute, squared)
