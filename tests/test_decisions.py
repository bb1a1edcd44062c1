"""Labels chosen for the metric (core/decisions.py): thresholds, class weights and cut points fitted on out-of-fold
rows beat the most probable class under F1, balanced accuracy and kappa, on rows the rule never saw; a run's CV is
of cross-fitted labels and its submission holds the rule's."""

import numpy as np
import pandas as pd
import pytest
import yaml

from kagglekit.commands import main
from kagglekit.core.decisions import LabelRule, decide_labels
from kagglekit.core.metrics import get_metric
from kagglekit.ensembles import ensemble
from kagglekit.pipeline import train

QUIET = dict(progress=False, log=lambda *a: None)


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _drawn(n, seed, logits_of):
    """Rows whose labels are drawn from the very probabilities handed to the rule (calibrated: argmax is the Bayes
    rule for accuracy, and still not the best labels for these metrics)."""
    rng = np.random.default_rng(seed)
    proba = _softmax(logits_of(rng.normal(size=(n, 1))))
    return np.array([rng.choice(proba.shape[1], p=p) for p in proba]), proba


@pytest.mark.parametrize("metric, logits", [
    ("f1", lambda s: np.column_stack([np.zeros(len(s)), 1.5 * s[:, 0] - 2.5])),  # a rare positive class
    ("balanced_accuracy", lambda s: np.column_stack([np.zeros(len(s)), s[:, 0] - 1.5, 2 * s[:, 0] - 3.5])),
    ("macro_f1", lambda s: np.column_stack([np.zeros(len(s)), s[:, 0] - 1.5, 2 * s[:, 0] - 3.5])),
    ("qwk", lambda s: np.column_stack([k * 1.2 * s[:, 0] - 0.6 * k * k for k in range(5)])),  # an ordered scale
])
def test_a_fitted_rule_beats_the_most_probable_class_on_rows_it_never_saw(metric, logits):
    m = get_metric(metric)
    y_fit, p_fit = _drawn(3000, 0, logits)
    y_new, p_new = _drawn(3000, 1, logits)
    rule = LabelRule(ordered=metric == "qwk").fit(y_fit, p_fit, m)
    assert rule.describe()["kind"] == ("cuts" if metric == "qwk" else "weights")
    assert m.fn(y_new, rule.decide(p_new)) > m.fn(y_new, p_new) + 0.02


def test_the_label_metrics_score_as_scikit_learn_does_with_classes_missing_on_either_side():
    """The label rules score thousands of trial labellings, so F1, macro F1, balanced accuracy and quadratic kappa are
    counted from one confusion matrix; each equals scikit-learn's, also where a class is never predicted, only
    predicted, or absent from both sides."""
    import warnings

    import sklearn.metrics as skm

    rng = np.random.default_rng(0)
    cases = [(rng.integers(0, 5, 300), rng.integers(0, 5, 300)),
             (rng.integers(0, 4, 200), rng.choice([0, 1, 4], 200)),  # 2 and 3 never predicted, 4 only predicted
             (rng.choice([0, 2, 3], 150), rng.choice([0, 3], 150)),  # 1 on neither side: kappa weighs label positions
             (rng.integers(0, 2, 100), rng.integers(0, 2, 100)), (np.zeros(50, int), np.zeros(50, int)),
             (rng.integers(0, 2, 80), np.zeros(80, int))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for y, lab in cases:
            n = max(y.max(), lab.max()) + 1
            proba = np.eye(n)[lab]
            assert get_metric("macro_f1").fn(y, proba) == pytest.approx(skm.f1_score(y, lab, average="macro"))
            assert get_metric("balanced_accuracy").fn(y, proba) == pytest.approx(skm.balanced_accuracy_score(y, lab))
            kappa = skm.cohen_kappa_score(y, lab, weights="quadratic")
            assert get_metric("qwk").fn(y, proba) == pytest.approx(kappa, nan_ok=True)
            f1 = skm.f1_score(y, lab, average="binary" if n == 2 else "macro") if n > 1 else 0.0
            assert get_metric("f1").fn(y, proba if n > 1 else np.c_[proba, 0 * proba]) == pytest.approx(f1)
        columns = rng.integers(0, 2, (120, 3))
        scores = rng.random((120, 3))
        assert get_metric("f1").fn(columns, scores) == pytest.approx(
            np.mean([skm.f1_score(columns[:, t], scores[:, t] > 0.5) for t in range(3)]))


def test_each_multilabel_column_gets_its_own_threshold():
    rng = np.random.default_rng(2)
    score = rng.normal(size=(4000, 2))
    proba = 1 / (1 + np.exp(-np.column_stack([2 * score[:, 0] - 3, 2 * score[:, 1]])))  # one rare label, one even
    y = (rng.random(proba.shape) < proba).astype(int)
    m = get_metric("f1")
    rule = LabelRule().fit(y[:2000], proba[:2000], m)
    low, even = rule.describe()["values"]
    assert low < 0.4 and abs(even - 0.5) < 0.2
    assert m.fn(y[2000:], rule.decide(proba[2000:])) > m.fn(y[2000:], proba[2000:]) + 0.01


def _rare_positive_case(folder, n=600, n_test=200):
    rng = np.random.default_rng(5)
    x = rng.normal(size=(n + n_test, 4))
    frame = pd.DataFrame(x, columns=list("abcd"))
    frame.insert(0, "id", np.arange(n + n_test))
    frame["churn"] = (x[:, 0] + 0.7 * x[:, 1] + rng.logistic(size=n + n_test) * 0.7 > 1.8).astype(int)
    folder.mkdir(parents=True)
    frame.iloc[:n].to_csv(folder / "train.csv", index=False)
    frame.iloc[n:].drop(columns=["churn"]).to_csv(folder / "test.csv", index=False)
    pd.DataFrame({"id": frame["id"].iloc[n:], "churn": 0}).to_csv(folder / "sample_submission.csv", index=False)
    return folder, frame


def test_a_run_and_an_ensemble_under_f1_report_cross_fitted_labels_and_submit_the_rules(workdir, tmp_path, monkeypatch):
    for name in ("competitions", "configs"):
        (tmp_path / name).mkdir()
    monkeypatch.setenv("KAGGLEKIT_COMPETITIONS", str(tmp_path / "competitions"))
    monkeypatch.setenv("KAGGLEKIT_CONFIGS", str(tmp_path / "configs"))
    folder, frame = _rare_positive_case(workdir / "files")
    assert main(["new", "comp=churn", f"data_dir={folder}"]) == 0
    path = tmp_path / "competitions" / "churn" / "competition.yaml"
    spec = yaml.safe_load(path.read_text())
    assert spec["submission"]["format"] == "label"
    path.write_text(yaml.safe_dump({**spec, "metric": "f1"}))
    args = [f"data_dir={folder}", "model.params.n_estimators=80", "model.params.learning_rate=0.1"]
    res = train("churn", "lightgbm", args, **QUIET)
    rec = res.record
    assert rec["decision"]["kind"] == "weights" and rec["cv_mean"] > rec["cv_argmax"] + 0.03
    # The CV is the cross-fitted one: each fold's labels by a rule fitted on the other folds.
    oof, folds = np.load(res.run_dir / "oof.npy"), pd.read_csv(res.run_dir / "folds.csv")["fold"].to_numpy()
    y = frame["churn"].to_numpy()[:600]
    again = decide_labels(get_metric("f1"), y, oof, None, folds)
    assert np.allclose(again.fold_scores, rec["fold_scores"])
    sub, test = pd.read_csv(res.submission), np.load(res.run_dir / "test.npy")
    threshold = rec["decision"]["values"][0]
    assert (sub["churn"].to_numpy() == (test[:, 1] > threshold)).all() and sub["churn"].sum() > test.argmax(axis=1).sum()
    first = res.submission.read_bytes()
    assert train("churn", "lightgbm", args, **QUIET).submission.read_bytes() == first  # resumed: the same labels
    ridge = train("churn", "ridge", [f"data_dir={folder}"], **QUIET)
    made = ensemble("churn", run_ids=[res.run_id, ridge.run_id], method="hill", log=lambda *a: None).record
    assert made["decision"]["kind"] == "weights" and made["cv_mean"] > made["cv_argmax"] + 0.03
    # A member the budget stopped after some folds, submitted from them: with two folds its labels are chosen on
    # their rows, each fold's by the rule of the other; with one there is nothing to cross-fit, and argmax stands.
    stopped = args + ["seed=7"]
    train("churn", "lightgbm", stopped + ["cv.only_folds=[0,2]"], **QUIET)
    part = train("churn", "lightgbm", stopped, finished_only=True, **QUIET)
    assert part.record["folds_run"] == [0, 2] and part.record["decision"]["kind"] == "weights"
    assert part.record["cv_mean"] > part.record["cv_argmax"] + 0.03
    proba = np.mean([np.load(part.run_dir / f"fold_{k}.npz")["test_pred"] for k in (0, 2)], axis=0)
    assert part.submission.name.endswith("-folds0-2.csv")  # fold numbers apart: 0-2 is not fold 02 of twenty
    assert pd.read_csv(part.submission)["churn"].sum() > proba.argmax(axis=1).sum()  # F1's rule, not argmax
    train("churn", "lightgbm", args + ["seed=8", "cv.only_folds=[1]"], **QUIET)
    one = train("churn", "lightgbm", args + ["seed=8"], finished_only=True, **QUIET).record
    assert one["folds_run"] == [1] and "decision" not in one
    path.write_text(yaml.safe_dump({**spec, "metric": "accuracy"}))  # argmax is already accuracy's best
    plain = train("churn", "lightgbm", args, **QUIET).record
    assert "decision" not in plain
