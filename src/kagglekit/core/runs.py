"""Run folders: ``runs/<comp>/<config>/<run_id>/``, written atomically so a crash never loses a finished fold."""

from __future__ import annotations

import io
import json
import logging
import sys
import zipfile
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Optional

import numpy as np
import yaml

from .errors import UserError
from .io import atomic_save_npy, atomic_write_bytes, atomic_write_text, read_json, write_json
from .paths import display, runs_root
from .targets import Targets

RECORD = "record.json"


class RunDir:
    """One run's folder and the files in it."""

    def __init__(self, comp: str, config_name: str, run_id: str, base: Optional[Path] = None):
        """``base`` holds the config folders; default ``runs/<comp>`` (tuning trials live elsewhere)."""
        self.comp, self.config_name, self.run_id = comp, config_name, run_id
        self.path = (base or runs_root() / comp) / config_name / run_id

    @classmethod
    def at(cls, path: Path) -> "RunDir":
        """The run stored in ``path`` (runs/<comp>/<config>/<run id>)."""
        path = Path(path)
        rd = cls(path.parent.parent.name, path.parent.name, path.name)
        rd.path = path
        return rd

    def fold_npz(self, k: int) -> Path:
        return self.path / f"fold_{k}.npz"

    def fold_json(self, k: int) -> Path:
        return self.path / f"fold_{k}.json"

    def save_config(self, config: dict) -> None:
        atomic_write_text(self.path / "config.yaml", yaml.safe_dump(config, sort_keys=False))

    def load_config(self) -> dict:
        """The resolved config the run was made with."""
        return yaml.safe_load((self.path / "config.yaml").read_text())

    def save_targets(self, targets: Targets) -> None:
        """The encoded targets (what every score was computed against), so ensembles never reload the data."""
        atomic_save_npy(self.path / "targets.npy", targets.y)

    def load_targets(self) -> np.ndarray:
        return np.load(self.path / "targets.npy", allow_pickle=False)

    def save_fold(self, k: int, valid_idx: np.ndarray, valid_pred: np.ndarray, test_pred: Optional[np.ndarray], info: dict) -> None:
        """Save one finished fold (arrays first, then the json that marks it done)."""
        buf = io.BytesIO()
        arrays = {"valid_idx": valid_idx, "valid_pred": valid_pred}
        if test_pred is not None:
            arrays["test_pred"] = test_pred
        np.savez(buf, **arrays)
        atomic_write_bytes(self.fold_npz(k), buf.getvalue())
        write_json(self.fold_json(k), info)

    def load_fold(self, k: int) -> Optional[dict]:
        """A finished fold's arrays and info, or None if the fold has not finished; a damaged file is named."""
        if not (self.fold_json(k).exists() and self.fold_npz(k).exists()):
            return None
        try:
            with np.load(self.fold_npz(k)) as z:
                out = {name: z[name] for name in z.files}
            out["info"] = read_json(self.fold_json(k))
        except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as exc:
            raise UserError(f"fold {k} of run {self.run_id} is damaged ({type(exc).__name__}: {str(exc).split('. ')[0]}): delete "
                            f"{display(self.fold_json(k))} and {display(self.fold_npz(k))} and run again to redo that fold.") from None
        return out

    def remove_stale_temporaries(self) -> None:
        """Temporary files left by a process killed mid-write (never read: writes are rename-atomic)."""
        for tmp in self.path.glob(".*.tmp*"):
            tmp.unlink(missing_ok=True)
        for tmp in self.path.glob("*.ckpt.tmp"):
            tmp.unlink(missing_ok=True)

    def logger(self) -> logging.Logger:
        """A logger writing to the run's train.log (and nothing else)."""
        self.path.mkdir(parents=True, exist_ok=True)
        log = logging.getLogger(f"kagglekit.run.{self.comp}.{self.config_name}.{self.run_id}")
        log.setLevel(logging.INFO)
        log.propagate = False
        target = str((self.path / "train.log").resolve())
        for h in list(log.handlers):  # the same run id may live in another folder (KAGGLEKIT_WORKDIR)
            if getattr(h, "baseFilename", None) != target:
                log.removeHandler(h)
                h.close()
        if not log.handlers:
            handler = logging.FileHandler(target)
            handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
            log.addHandler(handler)
        return log


def data_key(label: str) -> str:
    """One spelling per data set: "sample", or the data folder's resolved path (relative ones from the current folder,
    where every command runs), so ``../shared/x`` and ``/work/shared/x`` name the same runs."""
    return label if label == "sample" else str(Path(label).expanduser().resolve())


def on_data(records: Iterable[Dict[str, Any]], label: Optional[str]) -> List[Dict[str, Any]]:
    """The records of runs on ``label``'s data however its folder was spelled (all of them when ``label`` is None)."""
    key = None if label is None else data_key(label)
    return [r for r in records if key is None or data_key(r["data"]) == key]


def iter_records(comp: str, root: Optional[Path] = None) -> Iterator[Dict[str, Any]]:
    """Every finished run's record for a competition; an unreadable record is named and skipped."""
    base = (root or runs_root()) / comp
    for path in sorted(base.glob(f"*/*/{RECORD}")):
        try:
            rec = read_json(path)
        except (json.JSONDecodeError, UnicodeDecodeError, OSError) as exc:
            print(f"warning: skipping unreadable run record {display(path)} ({exc}); delete its run folder "
                  "or train it again.", file=sys.stderr)
            continue
        rec["run_dir"] = str(path.parent)
        yield rec
