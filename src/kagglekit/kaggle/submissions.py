"""Our submissions to Kaggle: send a checked submission, then read its public score back (`make submit`, `make
leaderboard`).

Every submission is logged in ``runs/<comp>/kaggle-submissions.json`` (file, SHA-256, message, time, Kaggle's
reference and, once read back, the public and private scores) and in the run's own record; `make compare` shows
the public score beside the CV score.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import pandas as pd

from ..core.competition import CompetitionSpec, load_competition
from ..core.errors import UserError
from ..core.dataset import read_sample_submission
from ..core.files import recorded_data_dir
from ..core.io import read_json, write_json
from ..core.metrics import get_metric
from ..core.paths import display, runs_root
from ..core.runs import iter_records
from ..core.submission import submission_shape, validate_submission
from .client import list_submissions, submit_file

LOG_NAME = "kaggle-submissions.json"


def submissions_log(comp: str, root: Optional[Path] = None) -> Path:
    return (root or runs_root()) / comp / LOG_NAME


def read_log(comp: str, root: Optional[Path] = None) -> List[Dict]:
    """Every submission sent for ``comp`` (empty before the first)."""
    path = submissions_log(comp, root)
    return read_json(path) if path.exists() else []


def _slug(spec: CompetitionSpec) -> str:
    if not spec.kaggle:
        raise UserError(f"competitions/{spec.name}/competition.yaml has no 'kaggle' slug: this competition is not on "
                        "Kaggle, so there is nothing to submit or to read scores from.")
    return spec.kaggle


def _chosen(comp: str, run: Optional[str], file: Optional[str], log=print) -> Tuple[Path, Optional[Dict]]:
    """(file to send, its run's record): file=PATH, run=ID (a prefix will do), else the best real-data run by CV."""
    records = [r for r in iter_records(comp) if r.get("submission")]
    if file:
        path = Path(file).expanduser()
        match = [r for r in records if Path(r["submission"]).resolve() == path.resolve()]
        return path, (match[0] if match else None)
    if run:
        match = [r for r in records if r["run_id"].startswith(run)]
        if len(match) != 1:
            raise UserError(f"run={run} matches {len(match)} finished runs of {comp} with a submission; "
                            "`make compare comp=...` lists their ids.")
        return Path(match[0]["submission"]), match[0]
    real = [r for r in records if r["data"] != "sample"]
    if not real:
        raise UserError(f"no finished run of {comp} on real data has a submission; train one, or pass run=ID or file=PATH.")
    best = (max if real[0]["greater_is_better"] else min)(real, key=lambda r: r["cv_mean"])
    log(f"submitting the best run by CV: {best['config']} [{best['run_id']}] CV {best['metric']} {best['cv_mean']:.5f}")
    return Path(best["submission"]), best


def check_file(spec: CompetitionSpec, path: Path, record: Optional[Dict]) -> None:
    """The checks a run's submission passed when it was written, again, on the file as it is now."""
    if not path.exists():
        raise UserError(f"{display(path)} does not exist; train the run again or pass file=PATH.")
    folder = recorded_data_dir(spec.name, (record or {}).get("data"))
    sample = read_sample_submission(spec, folder)
    sub = read_sample_submission(spec, folder, path)
    classes = (record or {}).get("classes")
    metric = get_metric((record or {}).get("metric") or spec.metric)
    fmt, _ = submission_shape(spec, metric, pd.Series(classes).to_numpy() if classes else None, sample)
    validate_submission(sub, sample, spec.submission_id, fmt, classes=classes)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def submit(comp: str, run: Optional[str] = None, file: Optional[str] = None, message: Optional[str] = None,
           log=print) -> Dict:
    """Check and send one submission; its log entry (also added to the run's record)."""
    spec = load_competition(comp)
    slug = _slug(spec)
    path, record = _chosen(comp, run, file, log)
    check_file(spec, path, record)
    if message is None:
        message = (f"kagglekit {record['config']} [{record['run_id'][:8]}] CV {record['metric']} {record['cv_mean']:.5f}"
                   if record else f"kagglekit {path.name}")
    reply = submit_file(slug, path, message)
    entry = {"run_id": record["run_id"] if record else None, "config": record["config"] if record else None,
             "cv_mean": record["cv_mean"] if record else None, "file": str(path), "sha256": _sha256(path),
             "message": message, "submitted": datetime.now(timezone.utc).isoformat(timespec="seconds"),
             "ref": reply["ref"], "kaggle_reply": reply["reply"], "public_score": None, "private_score": None,
             "status": None}
    write_json(submissions_log(comp), read_log(comp) + [entry])
    if record:
        _add_to_record(record, entry)
    log(f"submitted {display(path)} to {slug} (ref {entry['ref']}): {reply['reply']}")
    log(f"`make leaderboard comp={comp}` reads its public score once Kaggle has scored it.")
    return entry


def _add_to_record(record: Dict, entry: Dict) -> None:
    path = Path(record["run_dir"]) / "record.json"
    saved = read_json(path)
    kept = [e for e in saved.get("kaggle_submissions", []) if e.get("ref") != entry.get("ref") or entry.get("ref") is None]
    saved["kaggle_submissions"] = kept + [{k: entry[k] for k in ("ref", "sha256", "message", "submitted", "public_score",
                                                                   "private_score", "status")}]
    write_json(path, saved)


def leaderboard(comp: str) -> List[Dict]:
    """Read our submissions' scores from Kaggle into the log and the runs' records; the updated log."""
    spec = load_competition(comp)
    scored = {s["ref"]: s for s in list_submissions(_slug(spec))}
    log = read_log(comp)
    records = {r["run_id"]: r for r in iter_records(comp)}
    for entry in log:
        remote = scored.get(entry.get("ref"))
        if remote is None:
            continue
        entry.update(public_score=remote["public_score"], private_score=remote["private_score"], status=remote["status"])
        if entry.get("run_id") in records:
            _add_to_record(records[entry["run_id"]], entry)
    write_json(submissions_log(comp), log)
    return log
