"""`make shift comp=X [data_dir=PATH]`: adversarial validation of train vs test, with a plot and named fixes."""

from __future__ import annotations

from ..core.competition import load_competition
from ..core.paths import display, runs_root
from ..pipeline import ensure_sample
from ..tasks import load_run_config, task_offering
from .args import need


def cmd_shift(own, overrides) -> None:
    comp = need(own, "comp", "shift")
    spec = load_competition(comp)
    task = task_offering(spec, "shift", "shift compares train and test rows as tables")
    _, run = load_run_config(spec, "lightgbm", overrides + [f"kind={task.kind}"])
    ensure_sample(spec, run, print)
    out = runs_root() / comp / "shift"
    report, png = task.shift(spec, run, out, print)
    print(f"train vs test ({report.n_train} vs {report.n_test} rows): adversarial CV AUC {report.auc:.4f} (0.5: alike)")
    for col, share in list(report.importance.items())[:8]:
        alone = f"  alone AUC {report.alone[col]:.3f}: {report.fixes[col]}" if col in report.alone else ""
        print(f"  {col:30s} {share:6.1%} of gain{alone}")
    for col in [c for c in report.alone if c not in list(report.importance)[:8]]:
        print(f"  {col:30s} alone AUC {report.alone[col]:.3f}: {report.fixes[col]}")
    if report.warning():
        print("warning: " + report.warning())
    print(f"saved {display(out / 'shift.json')} and {display(png)}")
