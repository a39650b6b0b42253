"""Foundation benchmarks: steady-state dose-response, time course overhead, CLI start-up."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from _timing import median_time, report

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    import roadrunner
    import tellurium as te

    from receptorkin.simulation import Simulator

    print("\n# Simulation (foundation)")
    sbml = (ROOT / "sbml" / "trafficking.xml").read_text(encoding="utf-8")
    doses = np.logspace(-3, 3, 12)

    # naive: what a user writes with tellurium -- load the model, then for each
    # dose set the ligand and call steadyState() with default settings
    naive_rr = te.loadSBMLModel(sbml)

    def naive_curve():
        out = []
        for d in doses:
            naive_rr.resetAll()
            naive_rr["ligand"] = d
            naive_rr.steadyState()
            out.append(naive_rr["occupancy"])
        return out

    sim = Simulator("trafficking")

    def ours_curve():
        return sim.dose_response(doses)

    naive = median_time(naive_curve, repeat=3)
    ours = median_time(ours_curve, repeat=21)
    np.testing.assert_allclose(ours_curve()["occupancy"].to_numpy(), naive_curve(), rtol=1e-6)
    report("12-dose steady-state dose-response, trafficking", ours, naive, "naive tellurium loop", ">= 1000x")
    print(f"{'':58s} per dose: {ours / 12 * 1e6:.1f} µs (naive {naive / 12 * 1e3:.1f} ms)")

    # time course: Simulator.timecourse vs bare roadrunner.simulate on the same compiled model
    rr = sim._rr
    sel = ["time", "surface_receptor", "occupancy"]

    def bare():
        rr.reset()
        return rr.simulate(0, 1440, 100)

    def ours_tc():
        return sim.timecourse(1440, 100, selections=sel[1:])

    o = median_time(ours_tc, repeat=51, number=5)
    rr.timeCourseSelections = sel  # a fair bare loop sets its selections once
    b = median_time(bare, repeat=51, number=5)
    sim._current_selection = None  # the Simulator's selection cache no longer holds
    print(f"{'24 h time course, 100 points, after reset':58s} ours {o * 1e6:8.1f} µs   bare roadrunner.simulate {b * 1e6:8.1f} µs   "
          f"ours/bare {o / b:5.2f}x (target <= 1.5x)")

    # CLI start-up
    exe = str(Path(sys.executable).with_name("receptorkin"))
    samples = []
    for _ in range(7):
        t0 = time.perf_counter()
        subprocess.run([exe, "--help"], check=True, capture_output=True)
        samples.append(time.perf_counter() - t0)
    samples.sort()
    print(f"{'receptorkin --help, wall':58s} {samples[len(samples) // 2] * 1e3:8.1f} ms (target < 300 ms)")
    del roadrunner


if __name__ == "__main__":
    main()
