"""The model registry, timm-style: a name maps to a params dataclass, a builder and what the model eats.

Every entry returns an object with ``fit`` and ``predict`` (and ``predict_proba`` for classifiers).
``eats`` tells the Task what to feed it: ``table`` (the fold's preprocessed numeric matrix),
``frame`` (the raw feature frame: the model preprocesses itself), ``categories`` (the feature frame with its
categories as they are, its dates, text and lists made into numbers) or ``images`` (the cached pictures).
Builders import their heavy libraries only when called, so listing models and checking configs stay fast.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any, Callable, Dict, List, Optional, Union

from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from ..core.errors import UserError

EATS = ("table", "frame", "categories", "images")


@dataclass(frozen=True)
class ModelEntry:
    name: str
    params: type  # dataclass of the model's parameters with their defaults
    build: Callable[..., Any]  # build(params, task, seed, speed) -> estimator with fit/predict(_proba)
    eats: str = "table"
    description: str = ""
    check: Optional[Callable[[Any], Optional[str]]] = None  # params -> message when a value is out of range
    sparse: bool = False  # fits on a sparse matrix as well as it does on a dense one (free text stays sparse TF-IDF)
    defaults: Dict[str, Any] = field(default_factory=dict)  # a variant's own defaults over the params dataclass's
    seeded: bool = True  # another seed makes another model (False: the same fit, so averaging seeds buys nothing)
    # Fits on one thread whatever it is given: its folds may run side by side (speed.parallel); or a function of the
    # run's speed settings saying so (the mlp: on a CPU).
    one_thread: Union[bool, Callable[[Any], bool]] = False
    worker_imports: float = 0.0  # seconds a fresh worker process pays to import this model's library (torch: 2.3 s measured)
    # Its library fits without holding Python's GIL and gains little from a second thread on a small table: there its
    # folds run side by side on threads of this process, one core each (core/executors.py: ``folds_beside``).
    beside: bool = False
    # Fits every label of a multilabel target at once: built for task "multilabel", fit(X, Y) takes one 0/1 column per
    # label and predict_proba gives one probability per label (False: the fitter fits it once per label, as binary).
    multilabel: bool = False

    def fits_on_one_thread(self, speed) -> bool:
        """Whether this model fits on one thread under the run's ``speed`` settings."""
        return bool(self.one_thread(speed) if callable(self.one_thread) else self.one_thread)


REGISTRY: Dict[str, ModelEntry] = {}


def register_model(name: str, params: type, description: str = "", eats: str = "table", check=None, sparse: bool = False,
                   seeded: bool = True, one_thread: Union[bool, Callable[[Any], bool]] = False, multilabel: bool = False,
                   worker_imports: float = 0.0, beside: bool = False):
    """Decorator registering ``build(params, task, seed, speed)`` under ``name`` (``sparse``: it fits on sparse input;
    ``seeded``: its fit depends on the seed; ``one_thread``: it uses one thread whatever it is given; ``multilabel``:
    it fits all the labels of a multilabel target at once; ``worker_imports``: seconds a fresh worker process pays to
    import its library, which a one-thread model's side-by-side folds must save to be worth starting; ``beside``: its
    folds on a small table run side by side on threads, one core each)."""
    assert eats in EATS, eats

    def wrap(build):
        REGISTRY[name] = ModelEntry(name, params, build, eats, description, check, sparse, seeded=seeded, one_thread=one_thread,
                                    multilabel=multilabel, worker_imports=worker_imports, beside=beside)
        return build

    return wrap


def register_variant(name: str, base: str, description: str, **defaults) -> None:
    """Register ``name`` as ``base`` with other default params (a tuned-default configuration, as in AutoGluon's
    portfolio): its own name in runs, compare and the portfolio; any key can still be set in a config."""
    entry = get_entry(base)
    unknown = set(defaults) - {f.name for f in fields(entry.params)}
    assert not unknown, f"{name}: {base} has no params {sorted(unknown)}"
    REGISTRY[name] = replace(entry, name=name, description=description, defaults={**entry.defaults, **defaults})


def takes_seeds(entry: ModelEntry) -> bool:
    """Whether ``model.seeds`` > 1 may be set: not for image networks (their runs are averaged with `make ensemble`)."""
    return entry.eats != "images"


def seeds_differ(name: str) -> bool:
    """Whether ``model.seeds`` > 1 makes sense for model ``name``: it takes seeds and its fit depends on them."""
    entry = get_entry(name)
    return entry.seeded and takes_seeds(entry)


def get_entry(name: str) -> ModelEntry:
    if name not in REGISTRY:
        raise UserError(f"unknown model '{name}'; registered models: {', '.join(sorted(REGISTRY))}.")
    return REGISTRY[name]


def validate_params(name: str, params: Dict[str, Any], sources: Dict[str, str] | None = None) -> Dict[str, Any]:
    """Merge ``params`` over the model's defaults; an unknown key, bad type or out-of-range value names its source."""
    entry = get_entry(name)
    known = [f.name for f in fields(entry.params)]
    for key in params:
        if key not in known:
            where = (sources or {}).get(key, "config")
            raise UserError(f"{where}: unknown key 'model.params.{key}' for model {name}. Known: {', '.join(known)}.")
    try:
        merged = OmegaConf.merge(OmegaConf.structured(entry.params), entry.defaults, params)
    except OmegaConfBaseException as exc:
        key = getattr(exc, "full_key", "")
        where = (sources or {}).get(str(key), "config")
        raise UserError(f"{where}: bad value for model.params.{key} of model {name}: {exc.msg}") from None
    out = OmegaConf.to_container(merged, resolve=True)
    problem = entry.check(entry.params(**out)) if entry.check else None
    if problem:
        raise UserError(f"model {name}: {problem}")
    return out


def model_params(name: str, params: Dict[str, Any]) -> Any:
    """``name``'s params dataclass: its registered defaults with ``params`` on top."""
    entry = get_entry(name)
    return entry.params(**{**entry.defaults, **params})


def build_model(name: str, params: Dict[str, Any], task: str, seed: int, speed) -> Any:
    """An unfitted estimator for ``name`` with validated ``params``."""
    return get_entry(name).build(model_params(name, params), task, seed, speed)


def names() -> List[str]:
    return sorted(REGISTRY)
