"""`make tune`: Optuna search over any config keys, each trial a full K-fold CV on the shared folds.

The running mean is reported after every fold so the pruner can stop bad trials early. Studies
live in persistent storage (SQLite per competition by default), so the same command continues a
study, several worker processes can share it, and Ctrl-C or a crash loses no finished trial.
The best parameters become ``configs/<comp>/<model>-tuned.yaml``.
"""

from __future__ import annotations

import multiprocessing as mp
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

import yaml

from ..core.competition import competition_metric, load_competition
from ..core.config import parse_overrides
from ..core.errors import UserError
from ..core.files import read_yaml
from ..core.paths import config_dir, display, runs_root
from ..pipeline import prepare, train
from ..tasks import load_run_config
from .args import need, number

FINISHED = ("COMPLETE", "PRUNED")


def space_file(comp: str, config_name: str) -> Path:
    """The search space that sits next to the model config: configs/<comp>/<model>.space.yaml."""
    return config_dir() / comp / f"{config_name}.space.yaml"


def load_space(comp: str, config_name: str) -> Dict[str, dict]:
    path = space_file(comp, config_name)
    if not path.exists():
        raise UserError(f"no search space {path} for {config_name}; write one, a line per key, e.g. "
                        "`model.params.alpha: {float: [0.0001, 0.01], log: true}`.")
    space = read_yaml(path)
    for key, dist in space.items():
        if not isinstance(dist, dict) or not ({"float", "int", "categorical"} & set(dist)):
            raise UserError(f"{path}: '{key}' needs one of float: [low, high], int: [low, high] or categorical: [...].")
    # Every key must be a valid config key: check with the values at the low end of each range.
    probe = [f"{k}={(d.get('float') or d.get('int') or d.get('categorical'))[0]}" for k, d in space.items()]
    try:
        load_run_config(load_competition(comp), config_name, probe)
    except UserError as exc:
        raise UserError(f"{path}: {exc}") from None
    return space


def suggest(trial, space: Dict[str, dict]) -> List[str]:
    """Draw one value per key; returns them as key=value overrides."""
    out = []
    for key, d in space.items():
        if "float" in d:
            v = trial.suggest_float(key, *d["float"], log=d.get("log", False), step=d.get("step"))
        elif "int" in d:
            v = trial.suggest_int(key, *d["int"], log=d.get("log", False), step=d.get("step", 1))
        else:
            v = trial.suggest_categorical(key, d["categorical"])
        out.append(f"{key}={v}")
    return out


def storage_url(comp: str, storage: Optional[str]) -> str:
    if storage:
        return storage
    path = runs_root() / comp / "optuna.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def data_fingerprint(comp: str, config_name: str, overrides: List[str]) -> str:
    """Fingerprint of the data a study tunes on (its name carries it: sample and real studies never mix)."""
    return prepare(comp, config_name, overrides, log=lambda *a: None)[3].fingerprint


def open_study(comp: str, config_name: str, storage: Optional[str], seed: int, pruner: str, fingerprint: str, worker: int = 0):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    url = storage_url(comp, storage)
    # SQLite: wait for the lock instead of failing when several workers write at once.
    engine = {"connect_args": {"timeout": 60}} if url.startswith("sqlite") else {}
    prune = optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=1) if pruner == "median" \
        else optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
    greater = competition_metric(load_competition(comp)).greater_is_better
    return optuna.create_study(
        storage=optuna.storages.RDBStorage(url, engine_kwargs=engine),
        sampler=optuna.samplers.TPESampler(seed=seed + worker),
        pruner=prune,
        study_name=f"{comp}-{config_name}-{fingerprint}",
        direction="maximize" if greater else "minimize",
        load_if_exists=True,
    )


def n_finished(study) -> int:
    return sum(t.state.name in FINISHED for t in study.get_trials(deepcopy=False))


def run_worker(comp, config_name, overrides, trials, timeout, storage, seed, pruner, fingerprint, worker=0, progress=False) -> None:
    """Run trials until the study holds ``trials`` finished ones or ``timeout`` seconds pass."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = open_study(comp, config_name, storage, seed, pruner, fingerprint, worker)
    space = load_space(comp, config_name)
    base = runs_root() / comp / "tune"

    def objective(trial):
        def on_fold(k, scores):
            trial.report(sum(scores) / len(scores), step=len(scores))
            if trial.should_prune():
                raise optuna.TrialPruned()

        result = train(comp, config_name, overrides + suggest(trial, space), progress=False, log=lambda *a: None,
                       on_fold=on_fold, runs_base=base, submit_file=False)
        trial.set_user_attr("run_dir", str(result.run_dir))
        trial.set_user_attr("worker", worker)
        return result.record["cv_mean"]

    def enough(study, _trial):
        if n_finished(study) >= trials:
            study.stop()

    deadline = None if timeout is None else time.time() + timeout
    if n_finished(study) < trials:
        study.optimize(objective, n_trials=trials, timeout=None if deadline is None else max(1, deadline - time.time()),
                       callbacks=[enough], catch=(), show_progress_bar=progress)


def _worker_entry(args):
    run_worker(*args)


def tune(comp: str, config_name: str, overrides: Optional[List[str]] = None, trials: int = 50,
         timeout: Optional[float] = None, workers: int = 1, storage: Optional[str] = None, seed: int = 42,
         pruner: str = "median", log=print) -> Dict[str, Any]:
    """Run or continue the study, then write the tuned config, plots and the top trials."""
    if pruner not in ("median", "halving"):
        raise UserError(f"pruner={pruner}: choose median or halving.")
    overrides = list(overrides or [])
    load_space(comp, config_name)  # fail fast on a bad config or space before any process starts
    fingerprint = data_fingerprint(comp, config_name, overrides)
    started = time.perf_counter()
    open_study(comp, config_name, storage, seed, pruner, fingerprint)  # tables and study exist before workers race
    if workers > 1:
        ctx = mp.get_context("spawn")
        procs = [ctx.Process(target=_worker_entry, args=((comp, config_name, overrides, trials, timeout, storage, seed, pruner, fingerprint, i),))
                 for i in range(workers)]
        for p in procs:
            p.start()
        for p in procs:
            p.join()
    else:
        run_worker(comp, config_name, overrides, trials, timeout, storage, seed, pruner, fingerprint, 0, True)
    study = open_study(comp, config_name, storage, seed, pruner, fingerprint)
    return finish(study, comp, config_name, overrides, time.perf_counter() - started, log)


def finish(study, comp: str, config_name: str, overrides: List[str], seconds: float, log=print) -> Dict[str, Any]:
    """Tuned config, history and importance PNGs, and the top trials."""
    complete = [t for t in study.get_trials(deepcopy=False) if t.state.name == "COMPLETE"]
    if not complete:
        raise UserError(f"study {study.study_name} has no completed trial yet; run more trials.")
    best = study.best_trial
    tuned = tuned_config(comp, config_name, overrides, best.params)
    header = (f"# Tuned by `make tune comp={comp} model={config_name}`: study {study.study_name}, best of "
              f"{len(complete)} completed trials, CV {best.value:.5f} (trial {best.number}).\n")
    path = config_dir() / comp / f"{config_name}-tuned.yaml"
    path.write_text(header + yaml.safe_dump(tuned, sort_keys=False))
    out = runs_root() / comp / "tune"
    out.mkdir(parents=True, exist_ok=True)
    plots = save_plots(study, out / f"{config_name}-history.png", out / f"{config_name}-importance.png")
    states = [t.state.name for t in study.get_trials(deepcopy=False)]
    log(f"study {study.study_name}: {states.count('COMPLETE')} complete, {states.count('PRUNED')} pruned, "
        f"{states.count('FAIL')} failed trials; {seconds:.0f} s this call")
    reverse = study.direction.name == "MAXIMIZE"
    for t in sorted(complete, key=lambda t: t.value, reverse=reverse)[:5]:
        log(f"  trial {t.number:3d}  CV {t.value:.5f}  " + " ".join(f"{k.split('.')[-1]}={v:.4g}" if isinstance(v, float)
                                                               else f"{k.split('.')[-1]}={v}" for k, v in t.params.items()))
    log(f"best config written to {display(path)}: `make train comp={comp} model={config_name}-tuned`")
    return {"best_value": best.value, "best_params": best.params, "config": path, "plots": plots,
            "n_complete": states.count("COMPLETE"), "n_pruned": states.count("PRUNED")}


def tuned_config(comp: str, config_name: str, overrides: List[str], params: Dict[str, Any]) -> dict:
    """The model's YAML with the study's command-line overrides and best values written in."""
    path = config_dir() / comp / f"{config_name}.yaml"
    cfg = read_yaml(path) if path.exists() else {"model": {"name": config_name}}
    extra = parse_overrides(overrides + [f"{k}={v}" for k, v in params.items()])
    extra.pop("data", None)

    def merge(a, b):
        for k, v in b.items():
            a[k] = merge(a.get(k, {}), v) if isinstance(v, dict) and isinstance(a.get(k), dict) else v
        return a

    return merge(cfg, extra)


def save_plots(study, history: Path, importance: Path) -> List[Path]:
    import warnings

    import matplotlib
    from optuna.exceptions import ExperimentalWarning

    warnings.simplefilter("ignore", ExperimentalWarning)
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from optuna.visualization.matplotlib import plot_optimization_history, plot_param_importances

    done = []
    for fn, path in ((plot_optimization_history, history), (plot_param_importances, importance)):
        try:
            ax = fn(study)
            ax.figure.set_size_inches(8, 5)
            ax.figure.tight_layout()
            ax.figure.savefig(path, dpi=110)
            plt.close(ax.figure)
            done.append(path)
        except (ValueError, RuntimeError, ZeroDivisionError):
            pass  # too few completed trials for importances
    return done


def cmd_tune(own, overrides) -> None:
    comp = need(own, "comp", "tune")
    seed = number({"seed": str(parse_overrides(overrides).get("seed", 42))}, "seed", int, low=0)
    tune(comp, need(own, "model", "tune"), overrides, trials=number(own, "trials", int, 50, low=1),
         timeout=number(own, "timeout", float, None, low=1), workers=number(own, "workers", int, 1, low=1),
         storage=own.get("storage") or None, seed=seed, pruner=own.get("pruner", "median"))
