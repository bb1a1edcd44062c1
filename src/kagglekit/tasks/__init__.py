"""The Task table: what differs per competition kind lives in that kind's Task, and only there.

A new kind is one new module with a Task subclass and one line in ``TASKS``.
"""

from __future__ import annotations

from typing import Optional, Tuple

from ..core.competition import CompetitionSpec, load_competition
from ..core.config import (Overrides, available_configs, build_config, check_common, config_layers, flat_keys,
                           models_named, params_follow_their_model)
from ..core.errors import UserError
from ..core.paths import config_dir
from ..models import names as model_names
from ..models import get_entry, validate_params
from .base import Task
from .image import ImageTask
from .tabular import TabularTask

TASKS = {task.kind: task for task in (TabularTask(), ImageTask())}


def get_task(kind: str) -> Task:
    if kind not in TASKS:
        raise UserError(f"unknown kind '{kind}'; kinds: {', '.join(TASKS)}.")
    return TASKS[kind]


def check_sections(spec: CompetitionSpec) -> None:
    """Every kind-owned section of competition.yaml (``images:``) read by the kind that owns it; a section no kind owns
    is one line naming it."""
    owners = {name: cls for task in TASKS.values() for name, cls in task.spec_sections.items()}
    for name in spec.sections:
        if name not in owners:
            raise UserError(f"{spec.folder / 'competition.yaml'}: unknown key '{name}'; the sections are those of "
                            f"`kagglekit schema` ({', '.join(owners)} among them).")
        spec.section(name, owners[name])


def task_offering(spec: CompetitionSpec, hook: str, what: str) -> Task:
    """The first of the competition's kinds whose Task implements ``hook`` (e.g. ``shift``), or one line saying that
    ``what`` needs a kind it does not have."""
    for kind in spec.kinds:
        task = get_task(kind)
        if getattr(type(task), hook) is not getattr(Task, hook):
            return task
    offering = [k for k, t in TASKS.items() if getattr(type(t), hook) is not getattr(Task, hook)]
    raise UserError(f"{what}: {spec.name} has no {' or '.join(offering)} form (its kinds: {', '.join(spec.kinds)}).")


def _kind_for_model(spec: CompetitionSpec, layers) -> Optional[str]:
    """Where no config names a kind: the first of the competition's kinds whose own food is what the model eats
    (LightGBM on a pixel CSV trains on the pixel columns as a table; a timm model on them as pictures)."""
    name = (models_named(layers) or [None])[-1]
    if name not in model_names():
        return None
    eats = get_entry(name).eats
    return next((k for k in spec.kinds if eats in get_task(k).native), None)


def load_run_config(spec: CompetitionSpec, config_name: str, overrides: Optional[Overrides] = None) -> Tuple[Task, object]:
    """The run's Task and its resolved config: layered YAML and overrides, every key and value checked."""
    comp = spec.name
    check_sections(spec)
    layers = config_layers(comp, config_name, overrides)
    own = config_dir() / comp / f"{config_name}.yaml"
    if not own.exists():
        if config_name not in model_names():
            raise UserError(
                f"unknown model '{config_name}' for {comp}: no configs/{comp}/{config_name}.yaml and no registered model "
                f"of that name. Configs: {', '.join(available_configs(comp)) or 'none'}; models: {', '.join(model_names())}.")
        layers.insert(-1, ("model default", {"model": {"name": config_name}}))
    layers = params_follow_their_model(layers)
    kind = spec.kind
    for _, layer in layers:
        kind = layer.get("kind", kind) or kind
    if not any(layer.get("kind") for _, layer in layers):
        kind = _kind_for_model(spec, layers) or kind
    if kind not in spec.kinds:
        raise UserError(f"kind={kind}: {comp} can be trained as {', '.join(spec.kinds)} (competition.yaml kind / other_kinds).")
    task = get_task(kind)
    run = build_config(layers, task.config_cls, comp, config_name, kind)
    check_common(run)
    sources = {key.split(".", 2)[2]: source for source, layer in layers for key in flat_keys(layer)
               if key.startswith("model.params.") and key.count(".") == 2}
    run.model.params = validate_params(run.model.name, run.model.params, sources)
    task.check_config(spec, run)
    return task, run


def load_config(comp: str, config_name: str, overrides: Optional[Overrides] = None):
    """The resolved run config of ``config_name`` on ``comp`` (for scripts and tests)."""
    return load_run_config(load_competition(comp), config_name, overrides)[1]
