"""Run B1–B6 one after another (each in its own process) with the same ``--customers``.

    .venv/bin/python bench/run_all.py [--customers 5000]

Without ``--customers`` each script uses the SPEC's size (B5: 100,000 and 1,000,000; B6: 100,000 at
scale 60, about 26 minutes).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

SCRIPTS = ("b1_engine_overhead.py", "b2_limits.py", "b3_incremental.py", "b4_ui_stall.py", "b5_footprint.py",
           "b6_real_limits.py")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--customers", default=None, help="e.g. 5000 (passed to every script)")
    args = p.parse_args()
    here = Path(__file__).resolve().parent
    failed = 0
    for script in SCRIPTS:
        argv = [sys.executable, str(here / script)]
        if args.customers:
            argv += ["--customers", args.customers]
        print(f"\n<!-- {script} -->", flush=True)
        failed += subprocess.run(argv, cwd=here.parent).returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
