"""`make bench comp=X`: train the benchmark configs of a competition on its real data and time them.

What to run lives in ``configs/<comp>/bench.yaml``: the data folder and the configs, or a ``gpu`` and a
``cpu`` profile (the CPU one uses smaller images and fewer folds and says so). With ``rows: [500, 1000, null]``
every config is also run on seeded subsamples of that many training rows, and ``metrics`` adds per-fold scores
beyond the competition's own (e.g. log loss and AUC), in one table per row count. Speed and score targets
live here, not in unit tests.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np
import pandas as pd

from ..core.competition import load_competition
from ..core.config import available_configs, parse_overrides
from ..core.errors import UserError
from ..core.files import read_yaml
from ..core.io import atomic_write_text
from ..core.metrics import get_metric
from ..core.paths import config_dir, display, project_home, runs_root
from ..core.runs import RunDir
from ..core.speed import gpu_count, gpu_name
from ..models.autogluon import MIN_FOLD_SECONDS, same_wall_params
from ..pipeline import train
from ..tasks import get_task
from .args import need
from ..comparison import compare
from .compare import print_table


def plan_for(comp: str, overrides: list) -> tuple:
    """({config: its own overrides}, extra overrides for all, description of this machine). A plan lists configs
    by name, or as ``{name: [key=value, ...]}`` for settings that only that config gets on this profile."""
    load_competition(comp)
    path = config_dir() / comp / "bench.yaml"
    plan = read_yaml(path) if path.exists() else {}
    extra = []
    if "dir" not in parse_overrides(overrides).get("data", {}):
        data_dir = plan.get("data_dir")
        if not data_dir:
            raise UserError(f"`make bench comp={comp}` needs the real data: data_dir=PATH.")
        folder = (project_home() / data_dir).resolve()
        if not folder.exists():
            raise UserError(f"bench data {folder} (from {path}) is missing; pass data_dir=PATH to the real files"
                            f"{' or run `make data comp=' + comp + '`' if 'data/' in str(data_dir) else ''}.")
        extra.append(f"data_dir={folder}")
    if "gpu" not in plan and "cpu" not in plan:
        return per_config(plan.get("configs") or available_configs(comp)), extra, f"{os.cpu_count()} CPU cores"
    gpu = gpu_count() > 0
    profile = plan.get("gpu" if gpu else "cpu", {})
    where = gpu_name() if gpu else f"CPU only ({os.cpu_count()} cores): {profile.get('note', '')}"
    return per_config(profile.get("configs", available_configs(comp))), extra + list(profile.get("overrides", [])), where


def per_config(items: list) -> Dict[str, list]:
    """``[a, {b: [k=v]}]`` -> ``{a: [], b: [k=v]}``."""
    return dict((item, []) if isinstance(item, str) else next(iter(dict(item).items())) for item in items)


def fold_metric(run_dir: Path, metric) -> List[float]:
    """``metric`` on each finished fold's validation rows, from the run's saved predictions."""
    rd = RunDir.at(run_dir)
    y = rd.load_targets()
    scores, k = [], 0
    while (fold := rd.load_fold(k)) is not None:
        scores.append(metric.fn(y[fold["valid_idx"]], fold["valid_pred"]))
        k += 1
    return scores


def rows_table(comp: str, results: Dict, metrics: List[str], baseline: Optional[str], reference: Optional[str]) -> str:
    """Markdown: one table per row count, a line per config with each metric's fold mean ± std, plus the ratios
    to the baseline (constant prior) and reference (e.g. logistic regression) configs of the same row count."""
    out = []
    for rows, by_config in results.items():
        out.append(f"\n**{comp}, {rows} rows**\n")
        head = [f"{m} (mean ± sd)" for m in metrics]
        first = metrics[0]
        if baseline in by_config:
            head.append(f"{first} / {baseline}")
        if reference in by_config:
            head.append(f"{first} / {reference}")
            head += [f"{m} − {reference}" for m in metrics[1:]]
        out.append("| config | " + " | ".join(head) + " | wall s |")
        out.append("|---" * (len(head) + 2) + "|")
        for name, (scores, wall) in by_config.items():
            cells = [f"{np.mean(scores[m]):.4f} ± {np.std(scores[m]):.4f}" for m in metrics]
            if baseline in by_config:
                cells.append(f"{np.mean(scores[first]) / np.mean(by_config[baseline][0][first]):.3f}")
            if reference in by_config:
                ref = by_config[reference][0]
                cells.append(f"{np.mean(scores[first]) / np.mean(ref[first]):.3f}")
                cells += [f"{np.mean(scores[m]) - np.mean(ref[m]):+.4f}" for m in metrics[1:]]
            out.append(f"| {name} | " + " | ".join(cells) + f" | {wall:.1f} |")
    return "\n".join(out) + "\n"


def cmd_bench(own, overrides) -> None:
    comp = need(own, "comp", "bench")
    if own.get("model") == "auto":
        from .args import number

        _, extra, _ = plan_for(comp, overrides)
        auto_side_by_side(comp, number(own, "time", float, low=1), extra + overrides)
        return
    configs, extra, where = plan_for(comp, overrides)
    plan = read_yaml(config_dir() / comp / "bench.yaml") if (config_dir() / comp / "bench.yaml").exists() else {}
    if own.get("model"):
        configs = {name: configs.get(name, []) for name in own["model"].split(",")}
    row_counts = plan.get("rows") or [None]
    spec = load_competition(comp)
    metrics = [get_metric(m, spec.custom_metrics, spec.folder) for m in plan.get("metrics", [])]
    print(f"bench {comp} on {where}: {', '.join(configs)} {' '.join(extra)}"
          f"{' at ' + ', '.join(str(r or 'all') for r in row_counts) + ' rows' if plan.get('rows') else ''}", flush=True)
    from ..models.plain_boosting import import_libraries

    import_libraries()  # the boosters' imports fall on no one's fold seconds (whichever runs first paid them)
    total, results, bench_runs, priced = 0.0, {}, [], []
    for rows in row_counts:
        for name, own_overrides in configs.items():
            run_overrides = extra + own_overrides + ([f"data.rows={rows}"] if rows else []) + overrides
            line, wall, result = _bench_one(comp, name, run_overrides)
            total += wall
            bench_runs.append(result)
            plain = plain_reference(comp, name, run_overrides, result, wall)
            if plain:
                line += "\n    " + plain["line"]
                priced.append({"rows": rows or "all", **plain})
            if metrics:
                scores = {m.name: fold_metric(result.run_dir, m) for m in metrics}
                line += "  " + ", ".join(f"{m} {np.mean(v):.4f}" for m, v in scores.items())
                results.setdefault(f"{rows:,}" if rows else f"all {len(RunDir.at(result.run_dir).load_targets()):,}", {})[name] = (scores, wall)
            print(("" if rows is None else f"{rows:>6} rows  ") + line, flush=True)
    print(f"total wall {total:.1f} s")
    if priced:
        text = price_table(priced)
        path = runs_root() / comp / "bench-plain.md"
        atomic_write_text(path, f"`make bench comp={comp}` on {where}: each booster against its plain library fit\n\n{text}")
        print("\n" + text + f"(saved to {display(path)})")
    if plan.get("side_by_side") and not own.get("model"):
        side_by_side(comp, plan["side_by_side"], bench_runs, total, extra + overrides)
        return
    if results:
        text = rows_table(comp, results, [m.name for m in metrics], plan.get("baseline"), plan.get("reference"))
        path = runs_root() / comp / "bench-rows.md"
        atomic_write_text(path, f"`make bench comp={comp}` on {where}\n{text}")
        print(text + f"\n(saved to {display(path)})")
        return
    try:
        df, _, _ = compare(comp)
        print_table(df)
    except UserError:
        pass  # single-fold benchmarks leave no compare record


def auto_side_by_side(comp: str, seconds: Optional[float], overrides: list) -> str:
    """`make bench comp=X model=auto [time=S]`: the default run (the portfolio within S seconds, then the ensemble honest
    CV prefers) against AutoGluon best_quality given the same wall on the same folds, beside the portfolio's linear
    member as the simple baseline; printed and saved to runs/<comp>/bench-auto.md."""
    from ..core.config import flat_overrides
    from ..portfolio import DEFAULT_SECONDS, run_portfolio

    seconds = DEFAULT_SECONDS if seconds is None else seconds
    started = time.perf_counter()
    chosen = run_portfolio(comp, flat_overrides(overrides), seconds=seconds)
    wall = time.perf_counter() - started
    folds = chosen.record["n_folds"]
    ag = same_wall_params(wall, folds)
    print(f"AutoGluon best_quality with the default run's wall: {wall:.0f} s over {folds} folds ({ag['time_limit']} s "
          "each)", flush=True)
    line, ag_wall, ag_run = _bench_one(comp, "autogluon", overrides + [f"model.params.{k}={v}" for k, v in ag.items()])
    print(line, flush=True)
    board = pd.read_csv(runs_root() / comp / "auto-leaderboard.csv")
    linear = board[board["name"].isin(["ridge", "logistic"])]
    rows = [(f"default `make train` (time={seconds:g}): {board.loc[board['chosen'], 'name'].iloc[0]}", chosen.record, wall),
            ("AutoGluon best_quality (same wall)", ag_run.record, ag_wall)]
    rows += [(f"simple baseline: {row.name} (a member)", {"cv_mean": row.cv_mean, "cv_std": row.cv_std}, row.seconds)
             for row in linear.itertuples()]
    table = _versus_table(rows, chosen.record, "default")
    _publish(comp, "bench-auto.md", f"`make bench comp={comp} model=auto time={seconds:g}`: on the same folds", table)
    return table


def _versus_table(rows: list, ref: dict, who: str) -> str:
    """Markdown: each (label, record, wall) row's CV and wall, and how much ``ref`` (one of the records) is better."""
    sign = 1 if ref["greater_is_better"] else -1
    text = [f"| | CV {ref['metric']} (mean ± sd) | wall s | {who} better by |", "|---|---|---|---|"]
    for label, rec, wall in rows:
        gap = "" if rec is ref else f"{sign * (ref['cv_mean'] - rec['cv_mean']):+.5f}"
        text.append(f"| {label} | {rec['cv_mean']:.5f} ± {rec['cv_std']:.5f} | {wall:.0f} | {gap} |")
    return "\n".join(text) + "\n"


def _publish(comp: str, name: str, heading: str, table: str) -> None:
    path = runs_root() / comp / name
    atomic_write_text(path, f"{heading}\n\n{table}")
    print("\n" + table + f"(saved to {display(path)})")


def side_by_side(comp: str, plan: dict, runs: list, bench_seconds: float, overrides: list) -> str:
    """Our best single run and our ensemble of the bench's runs against AutoGluon given the same total wall time
    (bench + ensemble), all on our folds: one table, printed and saved to runs/<comp>/bench-side-by-side.md."""
    from ..ensembles import ensemble

    records = [r.record for r in runs if "cv_mean" in r.record and r.record.get("n_folds", 0) > 1]
    if len(records) < 2:
        raise UserError("side_by_side needs at least two finished bench runs to ensemble.")
    greater = records[0]["greater_is_better"]
    ranked = sorted(records, key=lambda r: r["cv_mean"], reverse=greater)
    own = plan.get("ensemble", {})
    started = time.perf_counter()
    made = ensemble(comp, [r["run_id"] for r in ranked[: int(own.get("top", 6))]], None, own.get("method", "blend"),
                    own.get("meta", "ridge"), log=lambda *a: None)
    ensemble_seconds = time.perf_counter() - started
    # What the runs cost to make: this call's wall, or (for runs resumed from earlier calls) their folds' fit time.
    budget = max(bench_seconds, sum(float(r.get("fit_seconds") or 0.0) for r in records)) + ensemble_seconds
    ag = plan.get("autogluon", {})
    folds = records[0]["n_folds"]
    per_fold = max(MIN_FOLD_SECONDS, budget / folds)
    ag_overrides = [f"model.params.presets={ag.get('presets', 'best_quality')}", f"model.params.time_limit={per_fold:.0f}"]
    ag_overrides += [f"{k}={v}" for k, v in (ag.get("overrides") or {}).items()]
    print(f"AutoGluon {ag.get('presets', 'best_quality')} with our bench + ensemble's wall time: {budget:.0f} s over "
          f"{folds} folds ({per_fold:.0f} s each)", flush=True)
    line, ag_seconds, ag_run = _bench_one(comp, ag.get("config", "autogluon"), overrides + ag_overrides)
    print(line, flush=True)
    best, ens, auto = ranked[0], made.record, ag_run.record
    rows = [(f"our best single: {best['config']}", best, best.get("wall_seconds", 0.0)),
            (f"our ensemble ({own.get('method', 'blend')} of top {min(len(ranked), int(own.get('top', 6)))})", ens,
             budget),
            (f"AutoGluon {ag.get('presets', 'best_quality')} (same wall time)", auto, ag_seconds)]
    table = _versus_table(rows, ens, "ensemble")
    _publish(comp, "bench-side-by-side.md", f"`make bench comp={comp}`: side by side on the same folds", table)
    return table


def plain_reference(comp: str, name: str, overrides: list, ours, wall: float) -> Optional[dict]:
    """For a booster config, the same run with the library's plain fit (``<model>_plain``: its defaults, early
    stopping on one split) on the same folds: what our choices cost in the folds' wall and buy in CV. None otherwise."""
    from ..models.registry import REGISTRY

    model = RunDir.at(ours.run_dir).load_config()["model"]["name"]
    if f"{model}_plain" not in REGISTRY or ours.record.get("n_folds", 0) < 2:
        return None
    _, plain_wall, plain = _bench_one(comp, name, overrides + [f"model.name={model}_plain"])
    rec, ref = ours.record, plain.record
    better = (rec["cv_mean"] - ref["cv_mean"]) * (1 if rec["greater_is_better"] else -1)
    # The folds' wall (from the first fold's start to the last one's end: preprocessing, fit, prediction, the fold
    # files) is the run's price without what the first run of a process pays once (imports, loading the data, the
    # fold file); folds fitted side by side overlap there, where the sum of their seconds would count each in full.
    fit, plain_fit = (float(r.get("folds_wall_seconds", r["fit_seconds"])) for r in (rec, ref))
    ratio = fit / max(plain_fit, 1e-9)
    probes = rec.get("probe_seconds")
    line = (f"plain {model}: CV {ref['cv_mean']:.5f} ± {ref['cv_std']:.5f}, folds {plain_fit:.1f} s (wall {plain_wall:.1f} s);"
            f" ours {fit:.1f} s = {ratio:.2f}x, CV {'better' if better >= 0 else 'worse'} by {abs(better):.5f}"
            + (f"; probes {sum(probes):.1f} s" if probes else ""))
    return {"config": name, "model": model, "metric": rec["metric"], "ours": rec["cv_mean"], "ours_sd": rec["cv_std"],
            "plain": ref["cv_mean"], "plain_sd": ref["cv_std"], "wall": wall, "plain_wall": plain_wall, "fit": fit,
            "plain_fit": plain_fit, "ratio": ratio, "better": better, "probes": sum(probes) if probes else None,
            "line": line}


def price_table(priced: List[dict]) -> str:
    """Markdown: each booster's CV and folds' wall beside its plain library fit's (the ratio is of the folds' wall)."""
    out = ["| rows | config | CV ours | CV plain | ours better by | folds wall ours s | folds wall plain s | ratio | probes s | wall ours / plain s |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for p in priced:
        out.append(f"| {p['rows']} | {p['config']} | {p['ours']:.5f} ± {p['ours_sd']:.5f} | {p['plain']:.5f} ± "
                   f"{p['plain_sd']:.5f} | {p['better']:+.5f} | {p['fit']:.1f} | {p['plain_fit']:.1f} | {p['ratio']:.2f} | "
                   f"{'' if p['probes'] is None else round(p['probes'], 1)} | {p['wall']:.1f} / {p['plain_wall']:.1f} |")
    return "\n".join(out) + "\n"


def _bench_one(comp: str, name: str, overrides: list):
    """Train one config; (its line for the screen, wall seconds, the train result)."""
    start = time.perf_counter()
    result = train(comp, name, overrides, progress=True, log=lambda *a: None)
    rec = result.record
    wall = time.perf_counter() - start
    line = f"{name:20s} CV {rec['metric']} {rec['cv_mean']:.5f} ± {rec['cv_std']:.5f} ({rec['n_folds']} fold(s))  wall {wall:7.1f} s"
    if "train_img_s" in rec:
        line += (f"  train {rec['train_img_s']:.0f} img/s, inference {rec['infer_img_s']:.0f} img/s;"
                 f" cache {rec['cache_seconds']:.0f}s, train {rec['train_seconds']:.0f}s, predict {rec['predict_seconds']:.0f}s"
                 f" at {rec['image_size']}px on {rec['device']}")
    line += speed_line(get_task(rec["kind"]).speed_reference(RunDir.at(result.run_dir), rec))
    return line, wall, result


def speed_line(ref: Optional[dict]) -> str:
    """Our loop's training speed as a ratio of the bare reference loop's, and the reference's layout/compile variants."""
    if not ref:
        return ""
    line = (f"\n    loop vs reference: {ref['ours_img_s']:.0f} / {ref['reference_img_s']:.0f} img/s = {ref['ratio']:.2f}"
            f" on {ref['device']}{' (below 0.9: the loop spends time outside the model)' if ref['ratio'] < 0.9 else ''}")
    for variant, rate in ref.get("variants", {}).items():
        line += f"\n    reference with {variant}: " + (f"{rate:.0f} img/s" if isinstance(rate, float) else rate)
    return line
