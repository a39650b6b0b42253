"""Loading big measurement tables: a 1,000,000-row CSV, valid and with an error on line 2.

Each load runs in a fresh process so that its peak memory (``ru_maxrss``) is its own;
the baseline is ``pandas.read_csv`` of the same file (no validation, no line numbers),
measured in the same run.  Targets (issue: bad input never crashes, big input stays
bounded): an error on line 2 reported in < 1 s, a valid file loaded in < 10 s with
< 1 GB peak memory.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from _timing import fmt

ROWS = 1_000_000

_CHILD = r"""
import resource, sys, time, warnings
what, path = sys.argv[1], sys.argv[2]
import pandas as pd
from receptorkin.errors import DataError
from receptorkin.data.measurements import load_measurements
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
c0 = time.process_time()
status = "ok"
if what == "pandas":
    n = len(pd.read_csv(path))
else:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            n = len(load_measurements(path))
    except DataError as exc:
        n, status = 0, str(exc).splitlines()[0][-60:]
elapsed = time.perf_counter() - t0
cpu = time.process_time() - c0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(f"{elapsed} {cpu} {before / 1024:.0f} {peak / 1024:.0f} {n} {status}")
"""


def _write(path: Path, bad_line_2: bool) -> None:
    conditions = ["control", "1h", "4h", "24h"]
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("dose,response,time,condition,replicate\n")
        for i in range(ROWS):
            dose = "1e-3 nM" if (bad_line_2 and i == 0) else f"{10 ** ((i % 13) / 2 - 3):.6g}"
            fh.write(f"{dose},{(i * 7919) % 1000 / 10:.4g},{(i % 7) * 5},{conditions[i % 4]},r{i % 3}\n")


def _run(what: str, path: Path) -> tuple[float, float, float, float, int, str]:
    out = subprocess.run([sys.executable, "-c", _CHILD, what, str(path)], capture_output=True, text=True, check=True)
    t, cpu, before, peak, n, status = out.stdout.split(maxsplit=5)
    return float(t), float(cpu), float(before), float(peak), int(n), status.strip()


def main() -> None:
    print(f"\n== loading a {ROWS:,}-row measurements CSV (fresh process per load; memory = peak RSS)")
    with tempfile.TemporaryDirectory() as tmp:
        good, bad = Path(tmp) / "good.csv", Path(tmp) / "bad.csv"
        _write(good, False)
        _write(bad, True)
        size = good.stat().st_size / 1e6
        t_pd, c_pd, _, peak_pd, n_pd, _ = _run("pandas", good)
        t_ok, c_ok, base, peak_ok, n_ok, _ = _run("receptorkin", good)
        t_bad, c_bad, _, peak_bad, _, msg = _run("receptorkin", bad)
        print(f"{'file':58s} {size:8.1f} MB, {n_ok:,} rows read (pandas: {n_pd:,})")
        print(f"{'valid file: load_measurements (wall)':58s} {fmt(t_ok)}   pandas.read_csv: {fmt(t_pd)}   "
              f"ratio {t_pd / t_ok:6.2f}x   (target < 10 s)")
        print(f"{'valid file: load_measurements (CPU of the process)':58s} {fmt(c_ok)}   pandas.read_csv: {fmt(c_pd)}   "
              f"ratio {c_pd / c_ok:6.2f}x   (wall exceeds CPU when the machine is shared)")
        print(f"{'valid file: peak memory':58s} {peak_ok:8.0f} MB   pandas.read_csv: {peak_pd:8.0f} MB   "
              f"(after imports {base:.0f} MB; target < 1024 MB)")
        print(f"{'error on line 2: time to the error (wall)':58s} {fmt(t_bad)}   CPU {fmt(c_bad)}   "
              f"ratio to a full load {t_ok / t_bad:6.1f}x   (target < 1 s)")
        print(f"{'error on line 2: peak memory':58s} {peak_bad:8.0f} MB   message: ...{msg}")


if __name__ == "__main__":
    main()
