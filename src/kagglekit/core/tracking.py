"""Experiment tracking through an existing tool (``tracking.tool=mlflow``, shortcut ``tracker=mlflow``).

After a run finishes, its resolved config (as params), per-fold scores and times, per-epoch histories (image runs),
the CV summary and the run's PNGs and record go to the tracker. The run folder stays the source of truth: a tracker
that fails says so in one line and the run, its files and its submission are kept.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Callable, Dict, List
from urllib.parse import urlparse

from .errors import UserError
from .net import reachable
from .paths import workdir
from .secrets import mask_secrets

TOOLS = (None, "mlflow")


def check_tracking(tracking) -> None:
    """Refuse an unknown tool, or a missing package, before the first fold."""
    if tracking.tool not in TOOLS:
        raise UserError(f"tracker={tracking.tool}: the trackers are {', '.join(t for t in TOOLS if t)} (or null).")
    if tracking.tool == "mlflow":
        try:
            import mlflow  # noqa: F401
        except ImportError:
            raise UserError("tracker=mlflow needs the mlflow package: pip install -r requirements.txt.") from None
        # A server that does not answer: say so now, not after the run.
        if urlparse(tracking.uri or "").scheme in ("http", "https") and not reachable(tracking.uri):
            raise UserError(f"tracker_uri={tracking.uri}: no MLflow server answers there. Start it, or drop tracker_uri "
                            "(a local SQLite store under mlruns/), or drop tracker=mlflow.")


def _flat(d: Dict, prefix: str = "") -> Dict[str, str]:
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = json.dumps(v, default=str)[:500] if isinstance(v, (list, tuple)) else str(v)[:500]
    return out


def mlflow_uri(tracking) -> str:
    """The tracking URI: the one given, else a SQLite database in <workdir>/mlruns/ (MLflow's file store is frozen)."""
    if tracking.uri:
        return tracking.uri
    folder = workdir() / "mlruns"
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder.resolve() / 'mlflow.db'}"


def log_to_mlflow(tracking, config: Dict, record: Dict, infos: List[dict], run_dir: Path) -> str:
    """One MLflow run mirroring a finished kagglekit run; its MLflow run id."""
    # A server that goes away mid-run must cost seconds, not MLflow's minutes of retries.
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "1")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "10")
    import mlflow
    from mlflow.tracking import MlflowClient

    uri = mlflow_uri(tracking)
    client = MlflowClient(uri)
    name = tracking.experiment or record["comp"]
    experiment = client.get_experiment_by_name(name)
    if experiment is None:
        artifacts = None if tracking.uri else (workdir() / "mlruns" / "artifacts" / name).resolve().as_uri()
        experiment_id = client.create_experiment(name, artifact_location=artifacts)
    else:
        experiment_id = experiment.experiment_id
    tags = {"kagglekit.run_id": record["run_id"], "kagglekit.config": record["config"], "kagglekit.data": record["data"],
            "kagglekit.run_dir": str(run_dir)}
    run = client.create_run(experiment_id, run_name=f"{record['config']}-{record['run_id']}", tags=tags)
    rid = run.info.run_id
    try:
        for key, value in _flat(config).items():
            client.log_param(rid, key, value)
        metric = record["metric"]
        for k, (score, seconds) in enumerate(zip(record["fold_scores"], record.get("fold_seconds") or [None] * 99)):
            client.log_metric(rid, f"fold_{metric}", score, step=k)
            if seconds is not None:
                client.log_metric(rid, "fold_seconds", seconds, step=k)
        for info in infos:
            for row in info.get("history") or []:
                for key, value in row.items():
                    if key != "epoch" and isinstance(value, (int, float)):
                        client.log_metric(rid, f"fold{info.get('fold', 0)}_{key}", float(value), step=int(row["epoch"]))
        for key in ("cv_mean", "cv_std", "oof_score", "fit_seconds", "wall_seconds"):
            if isinstance(record.get(key), (int, float)):
                client.log_metric(rid, key, float(record[key]))
        for png in sorted(run_dir.glob("*.png")):
            client.log_artifact(rid, str(png), "plots")
        for name in ("record.json", "config.yaml", "scores.json"):
            if (run_dir / name).exists():
                client.log_artifact(rid, str(run_dir / name))
        client.set_terminated(rid, "FINISHED")
    except Exception:
        client.set_terminated(rid, "FAILED")
        raise
    mlflow.set_tracking_uri(uri)  # so that `mlflow.get_run` and friends see the same store in this process
    return rid


def track(tracking, config: Dict, record: Dict, infos: List[dict], run_dir: Path, log: Callable) -> None:
    """Mirror a finished run in the configured tracker; a failure is one warning line, never a lost run."""
    if tracking.tool is None:
        return
    try:
        rid = log_to_mlflow(tracking, config, record, infos, run_dir)
        log(f"tracked in MLflow ({mask_secrets(mlflow_uri(tracking))}): run {rid}")
    except Exception as exc:  # noqa: BLE001 - any tracker error: the run folder already holds everything
        log(f"warning: MLflow tracking failed ({type(exc).__name__}: {str(exc)[:200]}); the run is saved in {run_dir}.")
