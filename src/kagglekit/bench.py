"""`make bench comp=X data_dir=PATH`: train every model config of a competition on real data and time it.

Speed and score targets live here, not in unit tests. Prints each config's CV score and wall time,
then the compare table.
"""

from __future__ import annotations

import os
import sys
import time

from .cli import args_from_makeflags, split_args
from .compare import compare, print_table
from .config import available_configs
from .errors import UserError
from .train import train


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv) or args_from_makeflags(os.environ.get("MAKEFLAGS", ""))
    try:
        own, overrides = split_args(argv)
        comp = own.get("comp") or "house-prices"
        configs = own["model"].split(",") if own.get("model") else available_configs(comp)
        rows = []
        for name in configs:
            start = time.perf_counter()
            result = train(comp, name, overrides, progress=False, log=lambda *a: None)
            rows.append((name, result.record["cv_mean"], result.record["cv_std"], time.perf_counter() - start))
            print(f"{name:16s} CV {result.record['metric']} {rows[-1][1]:.5f} ± {rows[-1][2]:.5f}   wall {rows[-1][3]:6.1f} s", flush=True)
        print(f"total wall {sum(r[3] for r in rows):.1f} s on {os.cpu_count()} cores")
        df, csv_path, png_path = compare(comp)
        print_table(df)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
