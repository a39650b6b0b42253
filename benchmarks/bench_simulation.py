"""Foundation benchmarks: steady-state dose-response, time course overhead, CLI start-up,
and the simulation-bound figures of this checkout against the previous release, same run.

The previous release (commit ``PREVIOUS_RELEASE``, taken from git with
``git archive``) and this checkout are each imported in a fresh interpreter,
alternately, three times; each reports the CPU time of its measuring thread
(not wall time: other work on a shared machine then hardly moves it), and the
median of the three rounds is compared.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from _timing import fmt, median_time, report

ROOT = Path(__file__).resolve().parents[1]
#: the last commit of the previous release (2026-11-21)
PREVIOUS_RELEASE = "989d7f1"

# measured in a fresh interpreter for one version of receptorkin (PYTHONPATH);
# argv[1] is this checkout (its data files serve both versions)
_PROBE = r"""
import json, statistics, sys, time
from pathlib import Path
import numpy as np
root = Path(sys.argv[1])

def cpu(fn, repeat, number=1):
    fn()
    samples = []
    for _ in range(repeat):
        t0 = time.thread_time()
        for _ in range(number):
            fn()
        samples.append((time.thread_time() - t0) / number)
    return statistics.median(samples)

def first(*names):
    import importlib
    for module, attr in names:
        try:
            return getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError):
            continue
    raise ImportError(names)

out = {}
from receptorkin.simulation import Simulator
sim = Simulator("trafficking")
doses = np.logspace(-3, 3, 12)
out["12-dose steady-state dose-response, trafficking"] = cpu(lambda: sim.dose_response(doses), 21, 5)
out["24 h time course, 100 points"] = cpu(lambda: sim.timecourse(1440, 100, selections=["surface_receptor", "occupancy"]), 21, 5)
FitProblem = first(("receptorkin.fitting", "FitProblem"))
load_measurements = first(("receptorkin.data.measurements", "load_measurements"), ("receptorkin.measurements", "load_measurements"))
load_conditions = first(("receptorkin.data.measurements", "load_conditions"), ("receptorkin.measurements", "load_conditions"))
problem = FitProblem("gpcr_desensitization", load_measurements(root / "data" / "desensitization.csv"),
                     ["k_internalization", "k_recycling", "k_degradation", "K_E"],
                     conditions=load_conditions(root / "data" / "desensitization_conditions.csv"), rtol=1e-8, atol=1e-9)
problem.initial_noise()
x0 = problem.initial_vector()
out["fit objective, gpcr_desensitization (150 data)"] = cpu(lambda: problem.residuals(x0), 11)
compare = first(("receptorkin.design", "compare"))
sys.path.insert(0, str(root / "benchmarks"))
from bench_dosing import REGIMENS
gpcr = Simulator("gpcr_desensitization")
out["compare 10 regimens x 14 d"] = cpu(lambda: compare(gpcr, REGIMENS, "14d"), 3)
PetabProblem = first(("receptorkin.petab", "PetabProblem"), ("receptorkin.petab_io", "PetabProblem"))
brannmark = PetabProblem.from_yaml(root / "tests" / "data" / "petab" / "Brannmark_JBC2010" / "Brannmark_JBC2010.yaml")
out["Brannmark PEtab llh"] = cpu(brannmark.llh, 11, 3)
Population = first(("receptorkin.population", "Population"))
simulate = first(("receptorkin.population", "simulate"))
pop = Population("trafficking", {"k_internalization": 0.3, "V_synthesis": 0.2}, n=1000, seed=11)
grid = np.linspace(0.0, 1440.0, 100)
out["population, 1,000 x 24 h, serial"] = cpu(
    lambda: simulate(pop, "exposure:10nM@0-", ["surface_receptor"], times=grid, jobs=1, progress=False), 3)
print(json.dumps(out))
"""


def previous_release(rounds: int = 3) -> None:
    """This checkout against the previous release, alternately in fresh interpreters (CPU time, medians)."""
    import io
    import json
    import os
    import shutil
    import tarfile
    import tempfile

    print(f"\n# Against the previous release ({PREVIOUS_RELEASE}), same run: CPU time, median of {rounds} "
          "alternating fresh interpreters")
    git = shutil.which("git")
    archive = subprocess.run([git, "-C", str(ROOT), "archive", PREVIOUS_RELEASE], capture_output=True) if git else None
    if archive is None or archive.returncode:
        print("  skipped: no git history here (the previous release is taken from git)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        previous = Path(tmp) / "previous"
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(previous, filter="data")
        runs: dict[str, list[dict[str, float]]] = {"previous": [], "this": []}
        for _ in range(rounds):
            for name, path in (("previous", previous), ("this", ROOT)):
                proc = subprocess.run([sys.executable, "-c", _PROBE, str(ROOT)], cwd=tmp, capture_output=True, text=True,
                                      env={**os.environ, "PYTHONPATH": str(path)})
                if proc.returncode:
                    print(f"  {name}: failed: {proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else proc.returncode}")
                    return
                runs[name].append(json.loads(proc.stdout.strip().splitlines()[-1]))
    for key in runs["this"][0]:
        prev = float(np.median([r[key] for r in runs["previous"]]))
        this = float(np.median([r[key] for r in runs["this"]]))
        print(f"{key:58s} this {fmt(this)}   previous release {fmt(prev)}   this/previous {this / prev:5.2f}x (target <= 1)",
              flush=True)


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

    # time course: Simulator.timecourse vs bare roadrunner.simulate on the same
    # compiled model, measured in alternating rounds so machine load hits both
    rr = sim._rr
    sel = ["time", "surface_receptor", "occupancy"]

    def bare():
        rr.reset()
        return rr.simulate(0, 1440, 100)

    def ours_tc():
        return sim.timecourse(1440, 100, selections=sel[1:])

    o_runs, b_runs = [], []
    for _ in range(7):
        o_runs.append(median_time(ours_tc, repeat=9, number=5))
        rr.timeCourseSelections = sel  # a fair bare loop sets its selections once
        b_runs.append(median_time(bare, repeat=9, number=5))
        sim._current_selection = None  # the Simulator's selection cache no longer holds
    o, b = float(np.median(o_runs)), float(np.median(b_runs))
    print(f"{'24 h time course, 100 points, after reset':58s} ours {o * 1e6:8.1f} µs   bare roadrunner.simulate {b * 1e6:8.1f} µs   "
          f"ours/bare {o / b:5.2f}x (target <= 1.15x)")

    # load-and-run-once of SBML Test Suite models: Simulator(file).timecourse
    # against plain libRoadRunner (RoadRunner(file), selections, simulate)
    suite = ROOT / "tests" / "data" / "sbml-test-suite"
    candidates = sorted(suite.glob("0[01][0-9][0-9][0-9]/*-sbml-l*.xml"))[::12]
    rr_mod = roadrunner

    def plain_once(path):
        cfg = rr_mod.Config
        cfg.setValue(cfg.ROADRUNNER_DISABLE_PYTHON_DYNAMIC_PROPERTIES, True)
        r = rr_mod.RoadRunner(str(path))
        r.timeCourseSelections = ["time", *r.model.getFloatingSpeciesIds()]
        return r.simulate(0, 10, 51)

    def ours_once(path):
        s = Simulator(path)
        return s.timecourse(10, 51)

    files = []
    for path in candidates:  # the models both can simulate (not algebraic rules, delays, ...)
        try:
            plain_once(path)
            ours_once(path)
        except Exception:  # noqa: BLE001 - a refused model is simply not timed
            continue
        files.append(path)
    t_plain, t_ours = [], []
    for path in files:
        t_plain.append(median_time(lambda: plain_once(path), repeat=3, warmup=0))
        t_ours.append(median_time(lambda: ours_once(path), repeat=3, warmup=0))
    mp, mo = float(np.median(t_plain)), float(np.median(t_ours))
    print(f"{'load SBML + run once, test-suite models (median of ' + str(len(files)) + ')':58s} ours {mo * 1e3:8.1f} ms   "
          f"plain libRoadRunner {mp * 1e3:8.1f} ms   ours/plain {mo / mp:5.2f}x (target <= 1.5x)")

    # a time course needs no moiety analysis: the steady-state copy is made on
    # the first steady state only (a closed cycle has a conservation law)
    cycle = ("model cycle\n compartment c = 1\n species A in c, B in c\n A = 10; B = 0\n k1 = 0.3; k2 = 0.1\n"
             " J1: A -> B; k1*A\n J2: B -> A; k2*B\nend\n")
    t0 = time.perf_counter()
    cyc = Simulator(cycle)
    cyc.timecourse(10, 11)
    t_tc = time.perf_counter() - t0
    t0 = time.perf_counter()
    cyc.steady_state()
    t_first = time.perf_counter() - t0
    t_next = median_time(lambda: cyc.steady_state(values={"k1": 0.2}), repeat=21)
    print(f"{'conserved cycle: load + time course (no moiety analysis)':58s} {t_tc * 1e3:8.1f} ms   "
          f"first steady state (compiles the moiety copy) {t_first * 1e3:8.1f} ms   next ones {t_next * 1e6:8.1f} µs "
          f"(moieties used: {cyc.uses_moieties})")

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
    previous_release()


if __name__ == "__main__":
    main()
