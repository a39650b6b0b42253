"""``make bench``: every benchmark, each against its baseline measured in the same run."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

MODULES = ["bench_simulation", "bench_curves", "bench_fitting", "bench_dosing", "bench_petab", "bench_population",
           "bench_loading", "bench_gradients"]


def main() -> int:
    for name in MODULES:
        if not (HERE / f"{name}.py").exists():
            continue
        module = importlib.import_module(name)
        module.main()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
