"""`make shift comp=X [data_dir=PATH]`: adversarial validation of train vs test, with a plot and named fixes."""

from __future__ import annotations

from dataclasses import asdict

from ..core.competition import load_competition
from ..core.errors import UserError
from ..core.io import write_json
from ..core.paths import display, runs_root
from ..pipeline import ensure_sample
from ..tabular.data import load_table_data
from ..tabular.shift import adversarial_validation, shift_plot
from ..tasks import load_run_config
from .args import need


def cmd_shift(own, overrides) -> None:
    comp = need(own, "comp", "shift")
    spec = load_competition(comp)
    if "tabular" not in spec.kinds:
        raise UserError(f"shift compares tables; {comp} has no table form (kinds: {', '.join(spec.kinds)}).")
    _, run = load_run_config(spec, "lightgbm", overrides + ["kind=tabular"])
    ensure_sample(spec, run, print)
    data = load_table_data(spec, run, log=print)
    drop = [spec.id] if spec.id else []
    report = adversarial_validation(data.train, data.test, drop + list(spec.columns.drop), seed=run.seed)
    out = runs_root() / comp / "shift"
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "shift.json", asdict(report))
    png = shift_plot(data.train, data.test, report, out / "shift.png")
    print(f"train vs test ({report.n_train} vs {report.n_test} rows): adversarial CV AUC {report.auc:.4f} (0.5: alike)")
    for col, share in list(report.importance.items())[:8]:
        alone = f"  alone AUC {report.alone[col]:.3f}: {report.fixes[col]}" if col in report.alone else ""
        print(f"  {col:30s} {share:6.1%} of gain{alone}")
    for col in [c for c in report.alone if c not in list(report.importance)[:8]]:
        print(f"  {col:30s} alone AUC {report.alone[col]:.3f}: {report.fixes[col]}")
    if report.warning():
        print("warning: " + report.warning())
    print(f"saved {display(out / 'shift.json')} and {display(png)}")
