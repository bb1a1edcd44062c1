"""An ensemble of finished runs, made and finished as a run: honest CV, then the one end every run has.

Members must share one fold file and one data set. Every method that learns (blend weights, hill-climbing counts,
a stacking meta model) is fitted fold by fold on the other folds' OOF rows and scored on the held-out fold
(``honest_cv``), so the ensemble's CV is as honest as its members'. Predictions are combined in the space the metric
owns (log prices for rmse_log; probabilities for classification). Members bring their own saved targets, so no data
is reloaded (images included): only the sample submission is read, to write the ensemble's submission.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Callable, List, Optional

import numpy as np
import pandas as pd

from ..core.competition import competition_metric, load_competition
from ..core.dataset import read_sample_submission
from ..core.decisions import chooses_labels
from ..core.files import recorded_data_dir
from ..core.metrics import Metric, get_metric
from ..core.records import FinishedFolds, RunResult, finish_run
from ..core.runs import RunDir
from .members import load_members, member_targets
from .registry import Combiner, get_combiner


def honest_cv(P_oof: np.ndarray, y: np.ndarray, folds: np.ndarray, metric: Metric, combiner: Callable[[], Combiner],
              fit_metric: Optional[Metric] = None):
    """Fit a fresh combiner on the other folds' OOF rows (by ``fit_metric``, default ``metric``), score the held-out
    fold by ``metric``; (OOF prediction, fold scores)."""
    out = np.zeros(P_oof.shape[1:])
    scores = []
    for k in sorted(set(folds.tolist())):
        tr, va = folds != k, folds == k
        out[va] = combiner().fit(P_oof[:, tr], y[tr], fit_metric or metric).apply(P_oof[:, va])
        scores.append(metric.fn(y[va], out[va]))
    return out, scores


def ensemble(comp: str, run_ids: Optional[List[str]] = None, top: Optional[int] = None, method: str = "blend",
             meta: str = "ridge", seed: int = 42, data_label: Optional[str] = None, log=print) -> RunResult:
    """Build, score (honest CV), save as a run and submit an ensemble of finished runs."""
    started = time.perf_counter()
    spec = load_competition(comp)
    metric = competition_metric(spec)
    members = load_members(comp, run_ids, top, data_label)
    first = members[0].record
    targets = member_targets(comp, first)
    get_combiner(method, targets.task, seed, meta)  # an unknown method or a task it cannot combine fails now
    folds = members[0].folds
    P_oof = np.stack([metric.to_space(m.oof) for m in members])
    P_test = np.stack([metric.to_space(m.test) for m in members])
    # In the metric's own space a log metric is a plain RMSE: the combiners fit there.
    y_space = metric.to_space(targets.y) if metric.space else targets.y
    space_metric = get_metric("rmse") if metric.space else metric
    # Labels chosen for the metric afterwards (core/decisions.py): the combiners fit the probabilities, since the most
    # probable class's F1 or kappa is flat where a class is rare.
    fit_metric = get_metric("logloss") if chooses_labels(metric) else space_metric
    oof_space, fold_scores = honest_cv(P_oof, y_space, folds, space_metric,
                                       lambda: get_combiner(method, targets.task, seed, meta), fit_metric)
    final = get_combiner(method, targets.task, seed, meta).fit(P_oof, y_space, fit_metric)
    weights = final.member_weights

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
    oof, test = metric.from_space(oof_space), metric.from_space(final.apply(P_test))  # rank rows already sum to 1
    train_ids = pd.read_csv(rd.path / "folds.csv", dtype={"id": str})["id"].to_numpy()
    done = FinishedFolds(oof, test, fold_scores, [0.0] * len(fold_scores), folds)
    result = finish_run(spec, rd, metric, targets, done, model=f"ensemble:{method}", started=started, train_ids=train_ids,
                        sample=read_sample_submission(spec, recorded_data_dir(comp, first["data"])), data=first["data"],
                        fingerprint=first["data_fingerprint"], folds_file=first["folds_file"], kind=first.get("kind"),
                        overrides="members " + " ".join(f"{m.record['config']}[{m.record['run_id'][:6]}]" for m in members),
                        log=log, members=ids, weights=weights)
    best_member = (max if metric.greater_is_better else min)(m.record["cv_mean"] for m in members)
    log(f"ensemble {method} of {len(members)} runs: CV {metric.name} {result.cv_mean:.5f} ± {result.cv_std:.5f} "
        f"(best member {best_member:.5f})")
    if weights:
        log("weights: " + ", ".join(f"{m.record['config']}={w:.3f}" for m, w in zip(members, weights)))
    return result
