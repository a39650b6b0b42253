"""Virtual-population benchmarks: throughput per backend and peak memory.

* 10,000 individuals x 24 h time course of ``trafficking`` (100 points):
  serial rate against a bare roadrunner loop measured in the same run
  (target >= 1,500 simulations/s/core), ``jobs=2`` against serial (target
  >= 1.7x), a Dask LocalCluster of 2 worker processes against the local pool
  (target within 1.3x of its wall time).
* 100,000 individuals, endpoint readouts streamed to CSV: peak memory
  (max RSS of the run, in a subprocess; target < 1 GiB), next to the same
  run with 10,000 individuals to show that memory stays flat.

Figures are printed, not asserted.  The machine's load average is printed
before and after: other work on the machine slows every figure here.  With
the kernel's autogroup scheduling (CPU shared fairly between sessions, not
processes) a busy session next to this one caps what two worker processes
can get, so the pool's figure is printed with the CPU time its workers spent
per simulation and the cores they actually received: equal CPU per
simulation and fewer than two cores received means the wall-clock speed-up
was limited by the machine, not by the pool.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
N = 10_000
N_BIG = 100_000
REGIMEN = "exposure:10nM@0-"
VARIABILITY = {"k_internalization": 0.3, "V_synthesis": 0.2}


def _cpu(who: int) -> float:
    import resource

    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


def _autogroup() -> str:
    try:
        return "on" if Path("/proc/sys/kernel/sched_autogroup_enabled").read_text().strip() == "1" else "off"
    except OSError:
        return "unknown"


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} (1/5/15 min) on {os.cpu_count()} cores"


def _bare_rate(pop, times: np.ndarray) -> tuple[float, np.ndarray]:
    """A bare roadrunner loop over the same individuals: set, reset, dose, simulate."""
    import roadrunner

    sbml = pop.model.sbml
    rr = roadrunner.RoadRunner(sbml)
    rr.conservedMoietyAnalysis = True
    rr.integrator.relative_tolerance = 1e-8
    rr.integrator.absolute_tolerance = 1e-10
    rr.integrator.maximum_num_steps = 100_000
    rr.timeCourseSelections = ["time", "surface_receptor"]
    names = list(pop.names)
    samples = pop.samples
    t_end, n_points = float(times[-1]), times.size
    out = np.empty((samples.shape[0], n_points))
    t0 = time.perf_counter()
    for i in range(samples.shape[0]):
        for name, value in zip(names, samples[i].tolist()):
            rr[name] = value
        rr["ligand"] = 0.0
        rr.reset()  # after setting: the initial assignment R = V_synthesis/k_turnover sees the new values
        rr["ligand"] = 10.0
        out[i] = rr.simulate(0.0, t_end, n_points)[:, 1]
    return samples.shape[0] / (time.perf_counter() - t0), out


def _memory_run(n: int, jobs: int) -> dict:
    """Run a population with endpoint readouts streamed to CSV in a fresh interpreter;
    return its wall time and the max RSS of the run [MiB]."""
    script = textwrap.dedent(f"""
        import json, os, resource, sys, tempfile, time
        from receptorkin.population import Population, simulate
        pop = Population("trafficking", {VARIABILITY!r}, n={n}, seed=7)
        out = os.path.join(tempfile.mkdtemp(), "individuals.csv")
        t0 = time.perf_counter()
        res = simulate(pop, {REGIMEN!r}, ["surface_receptor@24h", "response@24h", "internal_receptor@24h"],
                       jobs={jobs}, out=out, progress=False)
        wall = time.perf_counter() - t0
        size = os.path.getsize(out)
        os.remove(out)
        print(json.dumps({{"wall": wall, "self_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                          "workers_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
                          "file_mib": size / 2**20, "failed": len(res.failures)}}))
    """)
    import resource

    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True)
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    info["children_kib"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return info


def main() -> None:
    from receptorkin.population import Population, simulate

    print("\n# Virtual populations")
    print(f"start: {_load()}")
    pop = Population("trafficking", VARIABILITY, n=N, seed=11)
    times = np.linspace(0.0, 1440.0, 100)

    bare, bare_out = _bare_rate(pop, times)
    import resource

    c0, t0 = _cpu(resource.RUSAGE_SELF), time.perf_counter()
    serial = simulate(pop, REGIMEN, ["surface_receptor"], times=times, jobs=1, progress=False)
    t_serial = time.perf_counter() - t0
    cpu_serial = _cpu(resource.RUSAGE_SELF) - c0
    rate = N / t_serial
    agree = np.max(np.abs(serial.values - bare_out) / np.abs(bare_out))
    print(f"{'10,000 x 24 h time course (100 points), serial':58s} {rate:8.0f} sims/s   bare roadrunner loop "
          f"{bare:6.0f} sims/s   ours/bare {rate / bare:4.2f}   (target >= 1500 sims/s/core; max rel. diff "
          f"{agree:.1e})", flush=True)

    c0, t0 = _cpu(resource.RUSAGE_CHILDREN), time.perf_counter()
    pooled = simulate(pop, REGIMEN, ["surface_receptor"], times=times, jobs=2, progress=False)
    t_pool = time.perf_counter() - t0
    cpu_workers = _cpu(resource.RUSAGE_CHILDREN) - c0  # the pool's workers, reaped at its shutdown
    same = np.array_equal(pooled.values, serial.values)
    print(f"{'same, jobs=2 (local process pool, incl. start-up)':58s} {N / t_pool:8.0f} sims/s   "
          f"speed-up {t_serial / t_pool:4.2f}x   (target >= 1.7x)   identical to serial: {same}", flush=True)
    print(f"{'  CPU per simulation: serial / pool workers':58s} {cpu_serial / N * 1e6:8.1f} µs / "
          f"{cpu_workers / N * 1e6:.1f} µs   cores received: serial {cpu_serial / t_serial:4.2f}, "
          f"pool {cpu_workers / t_pool:4.2f} of 2   (autogroup scheduling {_autogroup()})", flush=True)

    try:
        from distributed import Client, LocalCluster
    except ImportError:
        print("dask.distributed not installed: Dask figure skipped (pip install 'receptorkin[dask]')")
    else:
        t0 = time.perf_counter()
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
                Client(cluster, set_as_default=False) as client:
            t_up = time.perf_counter() - t0
            t0 = time.perf_counter()
            cold = simulate(pop, REGIMEN, ["surface_receptor"], times=times, scheduler=client, progress=False)
            t_cold = time.perf_counter() - t0
            t0 = time.perf_counter()
            warm = simulate(pop, REGIMEN, ["surface_receptor"], times=times, scheduler=client, progress=False)
            t_warm = time.perf_counter() - t0
        same = np.array_equal(cold.values, serial.values) and np.array_equal(warm.values, serial.values)
        print(f"{'same, Dask LocalCluster 2 workers (cluster already up)':58s} {t_warm:8.2f} s    "
              f"first run {t_cold:.2f} s (workers compile)   pool {t_pool:.2f} s   dask/pool {t_warm / t_pool:4.2f}x "
              f"(target <= 1.3x)   cluster start {t_up:.1f} s   identical: {same}", flush=True)

    small = _memory_run(N, 2)
    big = _memory_run(N_BIG, 2)
    for n, info in ((N, small), (N_BIG, big)):
        print(f"{f'{n:,} individuals, 3 endpoint readouts streamed to CSV, jobs=2':58s} peak RSS "
              f"{info['self_kib'] / 1024:6.0f} MiB (main)  {info['workers_kib'] / 1024:4.0f} MiB (largest worker)   "
              f"wall {info['wall']:5.1f} s   CSV {info['file_mib']:.0f} MiB   (target < 1024 MiB)", flush=True)
    print(f"{'peak memory growth from 10,000 to 100,000 individuals':58s} "
          f"{(big['self_kib'] - small['self_kib']) / 1024:+6.0f} MiB")
    print(f"end:   {_load()}")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
