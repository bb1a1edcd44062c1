"""Optuna tuning: a search space per config (``space``), its study in a database (``storage``, ``study``), worker
processes or Ray tasks that share it (``workers``), and the tuned config written only when it is the better result
(``tune``)."""

from .space import load_space, space_file, suggest
from .storage import check_storage, storage_url, with_installed_driver
from .study import FINISHED, StudyJob, data_fingerprint, n_finished, open_study
from .tune import PROVENANCE, read_provenance, tune, tuned_config, tuned_path
from .workers import run_worker, run_workers, watch

__all__ = ["FINISHED", "PROVENANCE", "StudyJob", "check_storage", "data_fingerprint", "load_space", "n_finished", "open_study",
           "read_provenance", "run_worker", "run_workers", "space_file", "storage_url", "suggest", "tune", "tuned_config",
           "tuned_path", "watch", "with_installed_driver"]
