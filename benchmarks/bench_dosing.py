"""Dosing benchmarks: regimen comparison and pulse-interval optimization, against a naive tellurium loop.

The naive baseline is what a user writes without receptorkin: for every
regimen, generate Antimony text with one ``at`` event per change of the
agonist, load it with ``te.loada`` (a new compilation per regimen) and
simulate the whole horizon on a fine grid.
"""

from __future__ import annotations

import os
import re
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from _timing import fmt, median_time, report

ROOT = Path(__file__).resolve().parents[1]
MODEL = "gpcr_desensitization"
HORIZON_MIN = 14 * 1440.0

REGIMENS = [
    "exposure:100nM@0-",
    "pulses:every=24h,width=12h,dose=100nM",
    "pulses:every=24h,width=20h,dose=100nM",
    "pulses:every=24h,width=6h,dose=100nM",
    "pulses:every=12h,width=1h,dose=100nM",
    "pulses:every=8h,width=30min,dose=100nM",
    "pulses:every=6h,width=1h,dose=1000nM",
    "pulses:every=4h,width=1h,dose=10nM",
    "pulses:every=1h,width=10min,dose=100nM",
    "exposure:10nM@0-",
]


@contextmanager
def _quiet_stdout():
    """Silence CVODE's warnings, which libroadrunner prints on stdout after event restarts."""
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    try:
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def _naive_events(text: str, horizon: float) -> list[str]:
    """Antimony ``at`` events for a 'pulses:' or 'exposure:' regimen (the naive user's translation)."""
    m = re.match(r"exposure:(\d+)nM@0-$", text)
    if m:
        return [f"  E0: at (time >= 0), t0=false: agonist = {m.group(1)};"]
    fields = dict(item.split("=") for item in text.split(":", 1)[1].split(","))
    unit = {"min": 1.0, "h": 60.0}
    def minutes(v: str) -> float:
        num, u = re.match(r"([\d.]+)(min|h)", v).groups()
        return float(num) * unit[u]
    period, width, dose = minutes(fields["every"]), minutes(fields["width"]), float(fields["dose"][:-2])
    lines, t, k = [], 0.0, 0
    while t < horizon:
        lines.append(f"  E{k}: at (time >= {t}), t0=false: agonist = {dose};")
        lines.append(f"  F{k}: at (time >= {t + width}), t0=false: agonist = 0;")
        t += period
        k += 1
    return lines


def naive_metrics(text: str, horizon: float = HORIZON_MIN) -> tuple[float, float]:
    """Mean response and final surface-receptor fraction the naive way (load, events, simulate)."""
    import tellurium as te

    ant = (ROOT / "sbml" / f"{MODEL}.ant").read_text(encoding="utf-8")
    model = ant.replace("\nend", "\n" + "\n".join(_naive_events(text, horizon)) + "\nend")
    with _quiet_stdout():
        r = te.loada(model)
        r.integrator.relative_tolerance = 1e-8
        r.integrator.absolute_tolerance = 1e-10
        out = r.simulate(0, horizon, 4001, ["time", "response", "surface_receptor"])
    return float(np.trapezoid(out[:, 1], out[:, 0]) / horizon), float(out[-1, 2] / out[0, 2])


def main() -> None:
    from receptorkin.design import compare, optimize
    from receptorkin.simulation import Simulator

    print("\n# Dosing (regimens, design)")
    sim = Simulator(MODEL)

    # ---- 10 regimens over 14 days
    def ours():
        return compare(sim, REGIMENS, "14d")

    t_ours = median_time(ours, repeat=5)
    t0 = time.perf_counter()
    naive = [naive_metrics(text) for text in REGIMENS]
    t_naive = time.perf_counter() - t0
    table = ours().table
    got = table[["mean_response", "surface_receptor_final"]].to_numpy()
    np.testing.assert_allclose(got[:, 1], [n[1] for n in naive], rtol=1e-4)
    np.testing.assert_allclose(got[:, 0], [n[0] for n in naive], rtol=2e-2)  # naive: trapezoid on 4001 points
    report(f"compare 10 regimens x 14 d, {MODEL}", t_ours, t_naive, "naive te.loada + at events", "< 1 s")

    # ---- pulse-interval optimization, 2 processes
    cores = os.cpu_count() or 1
    t0 = time.perf_counter()
    res = optimize(sim, "pulses", "mean_response", ["surface_receptor_final>=0.8"], "period=30min:8h,width=1min:60min",
                   fixed="dose=100nM", horizon="14d", workers=min(2, cores), progress=False, seed=0)
    t_opt = time.perf_counter() - t0
    n_eval = len(res.evaluations)
    # naive cost per evaluation, measured on three regimens of the search and extrapolated
    sample = res.evaluations.iloc[[0, n_eval // 2, n_eval - 1]]
    t0 = time.perf_counter()
    for _, row in sample.iterrows():
        period, width = row["period"], row["width"]
        if width <= period:
            naive_metrics(f"pulses:every={period:.6f}min,width={width:.6f}min,dose=100nM")
    per_naive = (time.perf_counter() - t0) / len(sample)
    report(f"optimize pulse period+width, {n_eval} regimens x 14 d, {min(2, cores)} procs", t_opt,
           per_naive * n_eval, f"naive ({fmt(per_naive).strip()}/regimen x {n_eval})", "< 30 s on 2 cores")
    print(f"{'':58s} {res.message}")


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
