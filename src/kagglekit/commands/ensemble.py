"""`make ensemble`: blend or stack finished runs on their out-of-fold predictions.

Members must share one fold file and one data set. Every method that learns (blend weights,
hill-climbing counts, a stacking meta-model) is fitted fold by fold on the other folds' OOF rows
and scored on the held-out fold, so the ensemble's CV is as honest as its members'. Predictions are
combined in the space the metric owns (log prices for rmse_log; probabilities for classification).
Members bring their own saved targets, so no data is reloaded (images included): only the sample
submission is read, to write the ensemble's submission.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional

import numpy as np
import pandas as pd

from ..core.competition import competition_metric, load_competition
from ..core.errors import UserError
from ..core.dataset import read_sample_submission
from ..core.files import recorded_data_dir
from ..core.io import write_json
from ..core.metrics import Metric, get_metric
from ..core.paths import display
from ..core.records import make_record, submit, write_predictions, write_scores
from ..core.runs import RunDir, iter_records, on_data
from ..core.targets import Targets
from .args import data_choice, need, number

METHODS = ("mean", "blend", "hill", "rank", "stack")


@dataclass
class Member:
    record: dict
    oof: np.ndarray
    test: np.ndarray
    folds: np.ndarray


def load_members(comp: str, run_ids: Optional[List[str]] = None, top: Optional[int] = None,
                 data_label: Optional[str] = None) -> List[Member]:
    """Members by run id (prefixes allowed) or the ``top`` N single-model runs by CV on one data set
    (``data_label``: "sample" or a data folder; default the newest run's); same folds and data enforced."""
    records = [r for r in iter_records(comp) if not r["model"].startswith("ensemble")]
    if not run_ids and records:
        label = data_label or max(records, key=lambda r: r["created"])["data"]
        records = on_data(records, label)
    if run_ids:
        chosen = []
        for rid in run_ids:
            hits = [r for r in records if r["run_id"].startswith(rid)]
            if len(hits) != 1:
                raise UserError(f"run '{rid}': {'no' if not hits else 'several'} finished runs of {comp} match; see `make compare comp={comp}`.")
            chosen.append(hits[0])
    else:
        if not records:
            raise UserError(f"no finished runs of {comp} to ensemble; train some with `make train comp={comp} model=...`.")
        best = sorted(records, key=lambda r: r["cv_mean"], reverse=records[0]["greater_is_better"])
        # The best run fixes the data and folds; the next best runs on the same ones join it.
        same = [r for r in best if r["folds_file"] == best[0]["folds_file"] and r["data_fingerprint"] == best[0]["data_fingerprint"]]
        per_config = {}
        for r in same:  # the best run of each config: variants of one config add little diversity
            per_config.setdefault(r["config"], r)
        chosen = list(per_config.values())[: top or 3]
    if len(chosen) < 2:
        raise UserError("an ensemble needs at least two runs (runs=\"id1 id2\" or top=N with N ≥ 2).")
    if len({r["run_id"] for r in chosen}) < len(chosen):
        raise UserError("the same run is named twice; an ensemble's members must be different runs.")
    folds_files = {r["folds_file"] for r in chosen}
    data = {r["data_fingerprint"] for r in chosen}
    if len(folds_files) > 1 or len(data) > 1:
        detail = ", ".join(f"{r['config']}[{r['run_id']}]: folds {r['folds_file']}" for r in chosen)
        raise UserError(f"these runs were made on different folds or different data and cannot be ensembled: {detail}. "
                        "Re-train them with the same data, cv and seed.")
    members = []
    for r in chosen:
        path = Path(r["run_dir"])
        folds = pd.read_csv(path / "folds.csv")["fold"].to_numpy()
        members.append(Member(r, np.load(path / "oof.npy"), np.load(path / "test.npy"), folds))
    return members


def member_targets(comp: str, record: dict) -> Targets:
    """The targets a run was scored against, as it saved them."""
    classes = record.get("classes")
    return Targets(RunDir(comp, record["config"], record["run_id"], Path(record["run_dir"]).parent.parent).load_targets(),
                   np.asarray(classes, dtype=object) if classes else None,
                   record.get("target_columns") or [], record["task"])


# --- combiners: fit(P_oof, y) -> state ; apply(state, P) -> prediction. P is (members, n[, C]) ---

def _mean_fit(P, y, metric):
    return np.full(len(P), 1.0 / len(P))


def _weighted(w, P):
    return np.tensordot(w, P, axes=1)


def _blend_fit(P, y, metric: Metric):
    """Non-negative weights summing to 1 that optimise the metric on OOF (SLSQP)."""
    from scipy.optimize import minimize

    if metric.needs_proba:  # accuracy is flat in the weights: optimise log loss instead
        loss, sign = get_metric("logloss").fn, 1.0
    else:
        loss, sign = metric.fn, (-1.0 if metric.greater_is_better else 1.0)
    m = len(P)
    res = minimize(lambda w: sign * loss(y, _weighted(w, P)), np.full(m, 1.0 / m), method="SLSQP",
                   bounds=[(0.0, 1.0)] * m, constraints=({"type": "eq", "fun": lambda w: w.sum() - 1.0},))
    w = np.clip(res.x, 0, None)
    return w / w.sum()


def _hill_fit(P, y, metric: Metric, iterations: int = 100):
    """Caruana et al. (2004): greedy forward selection with replacement; weights are selection counts."""
    better = (lambda a, b: a > b) if metric.greater_is_better else (lambda a, b: a < b)
    counts = np.zeros(len(P))
    current, best_score = None, None
    for _ in range(iterations):
        trial = []
        for j in range(len(P)):
            pred = P[j] if current is None else (current * counts.sum() + P[j]) / (counts.sum() + 1)
            trial.append(metric.fn(y, pred))
        j = int(np.argmax(trial) if metric.greater_is_better else np.argmin(trial))
        if best_score is not None and not better(trial[j], best_score):
            break
        current = P[j] if current is None else (current * counts.sum() + P[j]) / (counts.sum() + 1)
        counts[j] += 1
        best_score = trial[j]
    return counts / counts.sum()


def _ranks(P):
    from scipy.stats import rankdata

    R = rankdata(P, axis=1) / P.shape[1]
    return R / R.sum(axis=-1, keepdims=True) if P.ndim == 3 else R


def _rank_apply(w, P):
    return _weighted(w, _ranks(P))


def _stack_features(P):
    return np.concatenate(list(P), axis=1) if P.ndim == 3 else P.T


def _stack_fit(meta: str, task: str, seed: int):
    def fit(P, y, metric):
        X = _stack_features(P)
        if meta == "lightgbm":
            import lightgbm as lgb

            from ..core.speed import physical_cores

            cls = lgb.LGBMRegressor if task == "regression" else lgb.LGBMClassifier
            model = cls(n_estimators=200, learning_rate=0.05, num_leaves=7, min_child_samples=20, random_state=seed,
                        verbose=-1, n_jobs=physical_cores())
        elif task == "regression":
            from sklearn.linear_model import Ridge

            model = Ridge(alpha=1.0)
        else:
            from sklearn.linear_model import LogisticRegression

            model = LogisticRegression(C=1.0, max_iter=2000)
        return model.fit(X, y)

    return fit


def _stack_apply(model, P):
    X = _stack_features(P)
    return model.predict_proba(X) if hasattr(model, "predict_proba") else model.predict(X)


def combiner(method: str, meta: str, task: str, seed: int):
    """(fit, apply) for a method name."""
    if method not in METHODS:
        raise UserError(f"unknown ensemble method '{method}'; choose one of: {', '.join(METHODS)}.")
    if method == "rank" and task not in ("binary", "multiclass"):
        raise UserError("method=rank averages class-probability ranks: it is for classification; use mean, blend, hill or stack.")
    if meta not in ("ridge", "logistic", "lightgbm"):
        raise UserError(f"unknown meta model '{meta}'; choose ridge (logistic for classification) or lightgbm.")
    return {
        "mean": (_mean_fit, _weighted),
        "blend": (_blend_fit, _weighted),
        "hill": (_hill_fit, _weighted),
        "rank": (_mean_fit, _rank_apply),
        "stack": (_stack_fit(meta, task, seed), _stack_apply),
    }[method]


def honest_cv(P_oof, y, folds, metric: Metric, fit: Callable, apply: Callable):
    """Fit on the other folds' OOF rows, score the held-out fold; returns (oof prediction, fold scores)."""
    out = np.zeros(P_oof.shape[1:])
    scores = []
    for k in sorted(set(folds.tolist())):
        tr, va = folds != k, folds == k
        state = fit(P_oof[:, tr], y[tr], metric)
        out[va] = apply(state, P_oof[:, va])
        scores.append(metric.fn(y[va], out[va]))
    return out, scores


def ensemble(comp: str, run_ids: Optional[List[str]] = None, top: Optional[int] = None, method: str = "blend",
             meta: str = "ridge", seed: int = 42, data_label: Optional[str] = None, log=print) -> Dict:
    """Build, score (honest CV), save as a run and submit an ensemble of finished runs."""
    started = time.perf_counter()
    spec = load_competition(comp)
    metric = competition_metric(spec)
    members = load_members(comp, run_ids, top, data_label)
    first = members[0].record
    targets = member_targets(comp, first)
    if targets.task == "multilabel" and method in ("stack", "rank"):
        raise UserError(f"method={method} is not available for multilabel targets; use mean, blend or hill.")
    fit, apply = combiner(method, meta, targets.task, seed)
    folds = members[0].folds
    P_oof = np.stack([metric.to_space(m.oof) for m in members])
    P_test = np.stack([metric.to_space(m.test) for m in members])
    # In the metric's own space a log metric is a plain RMSE: the combiners fit there.
    y_space = metric.to_space(targets.y) if metric.space else targets.y
    space_metric = get_metric("rmse") if metric.space else metric
    oof_space, fold_scores = honest_cv(P_oof, y_space, folds, space_metric, fit, apply)
    state = fit(P_oof, y_space, space_metric)
    test_space = apply(state, P_test)
    weights = state.tolist() if isinstance(state, np.ndarray) else None

    ids = [m.record["run_id"] for m in members]
    key = f"{method}|{meta if method == 'stack' else ''}|{','.join(ids)}"
    rd = RunDir(comp, f"ensemble-{method}", hashlib.sha1(key.encode()).hexdigest()[:10])
    rd.path.mkdir(parents=True, exist_ok=True)
    rd.save_config({
        "method": method,
        "meta": meta if method == "stack" else None,
        "seed": seed,
        "members": [{"run_id": m.record["run_id"], "config": m.record["config"], "cv_mean": m.record["cv_mean"],
                     "weight": (weights[i] if weights else None)} for i, m in enumerate(members)],
    })
    rd.save_targets(targets)
    (rd.path / "folds.csv").write_text((Path(first["run_dir"]) / "folds.csv").read_text())
    oof, test = metric.from_space(oof_space), metric.from_space(test_space)  # rank rows already sum to 1
    scores = write_scores(rd, metric, fold_scores, [0.0] * len(fold_scores), metric.fn(targets.y, oof))
    folder = recorded_data_dir(comp, first["data"])
    sample = read_sample_submission(spec, folder)
    train_ids = pd.read_csv(rd.path / "folds.csv", dtype={"id": str})["id"].to_numpy()
    write_predictions(spec, rd, train_ids, sample, oof, test, targets)
    submission = submit(spec, metric, rd, sample, test, targets, scores["mean"])
    record = make_record(spec, rd, f"ensemble:{method}", metric, scores, time.perf_counter() - started,
                         data=first["data"], fingerprint=first["data_fingerprint"], folds_file=first["folds_file"],
                         targets=targets, submission=submission, kind=first.get("kind"),
                         overrides=("members " + " ".join(f"{m.record['config']}[{m.record['run_id'][:6]}]" for m in members)),
                         members=ids, weights=weights)
    write_json(rd.path / "record.json", record)
    best_member = (max if metric.greater_is_better else min)(m.record["cv_mean"] for m in members)
    log(f"ensemble {method} of {len(members)} runs: CV {metric.name} {scores['mean']:.5f} ± {scores['std']:.5f} "
        f"(best member {best_member:.5f})")
    if weights:
        log("weights: " + ", ".join(f"{m.record['config']}={w:.3f}" for m, w in zip(members, weights)))
    log(f"submission: {display(submission)}")
    return {"run_dir": rd.path, "record": record, "submission": submission, "members": members}


def cmd_ensemble(own, overrides) -> None:
    comp = need(own, "comp", "ensemble")
    ensemble(comp, own.get("runs", "").split() or None, number(own, "top", int, low=2), own.get("method", "blend"),
             own.get("meta", "ridge"), data_label=data_choice(overrides, "ensemble"))
