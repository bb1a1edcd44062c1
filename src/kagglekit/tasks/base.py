"""What a competition kind must supply to the one run pipeline; everything else is shared."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, List, Optional, Tuple

import numpy as np

from ..core.competition import CompetitionSpec
from ..core.config import RunConfig
from ..core.dataset import Dataset
from ..core.errors import UserError
from ..core.metrics import Metric
from ..core.runs import RunDir
from ..core.targets import Targets
from ..models import get_entry
from ..models.registry import takes_seeds


class Task:
    """One kind of competition (tabular, image). Subclasses set ``kind``, ``config_cls`` and ``eats`` and
    implement ``load``, ``write_sample`` and ``fold_fitter``; the rest has shared defaults."""

    kind: str = ""
    config_cls: type = RunConfig
    eats: tuple = ()  # what its models may eat (see models.registry)
    native: tuple = ()  # what it feeds as its own (not derived): a model eating this picks this kind by default
    spec_sections: dict = {}  # competition.yaml sections this kind owns: name -> dataclass (read by spec.section)

    def check_config(self, spec: CompetitionSpec, run) -> None:
        """Refuse a model this kind cannot feed, and bad values of the kind's own keys."""
        entry = get_entry(run.model.name)
        if entry.eats not in self.eats:
            raise UserError(f"{spec.name} trains as {self.kind}: model {run.model.name} eats {entry.eats}, but a "
                            f"{self.kind} run feeds {' or '.join(self.eats)}.")
        if run.model.seeds < 1 or (run.model.seeds > 1 and not takes_seeds(entry)):
            raise UserError(f"model.seeds={run.model.seeds}: a whole number >= 1, and 1 for image networks (average "
                            "several image runs with `make ensemble` instead).")

    def load(self, spec: CompetitionSpec, run, log: Callable) -> Dataset:
        """The run's data, checked (generated sample included)."""
        raise NotImplementedError

    def write_sample(self, spec: CompetitionSpec, folder: Path, seed: int = 0) -> Path:
        """A generated sample in the competition's Kaggle layout."""
        raise NotImplementedError

    def fold_fitter(self, spec: CompetitionSpec, run, data: Dataset, targets: Targets, rd: RunDir, progress: bool,
                    log: Callable) -> Callable:
        """``fit_fold(k, train_idx, valid_idx) -> FoldOutput``: everything fitted on the fold's training rows."""
        raise NotImplementedError

    def combine_test(self, metric: Metric, test_folds: List[np.ndarray]) -> np.ndarray:
        """Test predictions of the folds as one: averaged in the space the metric owns."""
        return metric.from_space(np.mean([metric.to_space(t) for t in test_folds], axis=0))

    def model_label(self, run) -> str:
        return run.model.name

    def reports(self, rd: RunDir, run, data: Dataset, targets: Targets, oof: np.ndarray, infos: List[dict], metric,
                plots: bool = True) -> dict:
        """Extra files (tables; plots unless ``plots`` is off) and record fields of a finished run (``metric``: the
        competition's, for its space)."""
        return {}

    def shift(self, spec: CompetitionSpec, run, out: Path, log: Callable):
        """``make shift``: can a model tell train rows from test rows? (report, plot path), the report saved under
        ``out``. Kinds without it leave it out (``tasks.task_offering`` picks a kind that has it)."""
        raise NotImplementedError

    def describe_sample(self, spec: CompetitionSpec, folder: Path) -> dict:
        """``make describe``: the sample definition (marginal statistics only) from the real files in ``folder``."""
        raise NotImplementedError

    def portfolio(self, spec: CompetitionSpec) -> List[Tuple[str, dict, float]]:
        """``model=auto``'s members, fastest first: (config or model name, its overrides, cost relative to the others)."""
        raise UserError(f"model=auto: there is no portfolio for {self.kind} competitions; name a model (model=...).")

    def estimates(self, run) -> bool:
        """Whether ``fold_seconds`` can price ``run`` before it starts (else ``model=auto`` prices the member by the
        seconds of the members already run)."""
        return False

    def prices(self, data: Dataset) -> bool:
        """Whether a run that ``estimates`` is priced on ``data`` (False: it is cheap here, and priced by the seconds of
        the members already run)."""
        return True

    def fold_seconds(self, spec: CompetitionSpec, run, data: Dataset) -> Optional[float]:
        """About how long a fold of ``run`` will take on ``data``, measured before it starts; None where it cannot be
        measured."""
        raise NotImplementedError

    def folds_at_once(self, spec: CompetitionSpec, run, data: Dataset) -> int:
        """How many folds of ``run`` are fitted at once (side by side on threads), so that a run of n folds takes
        ceil(n / this) times ``fold_seconds``."""
        return 1

    def budget_rungs(self, run) -> List[dict]:
        """The settings a budget may size ``run`` down to, as overrides, dearest first: ``{}`` (the run as asked), then
        cheaper ones (a fine-tune: fewer epochs). They change the model only, never the data the run loads."""
        return [{}]

    def speed_reference(self, rd: RunDir, record: dict) -> Optional[dict]:
        """How fast a finished run trained against a bare reference loop of the same model (``make bench``);
        None for kinds or models without one."""
        return None
