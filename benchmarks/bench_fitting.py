"""Fitting benchmarks on the bundled desensitization dataset (4 free parameters).

- one objective evaluation and one local fit: receptorkin (compiled once,
  segments) against the script a user would write (lmfit residual that calls
  te.loada and simulates every dose from scratch, pre-treatment included);
- 20-start multistart with jobs=1 and jobs=2;
- how many of 20 starts reach the best objective (within 0.1 in chi2 units),
  with receptorkin's solver-scaled central differences and with lmfit's
  default finite-difference step;
- standard errors from receptorkin's Hessian against a tight-tolerance
  central-difference Hessian;
- the estimation engine (exact Jacobian from forward sensitivities) against
  the finite-difference fits it replaced, same 20 starts, same run; the cost
  of the Jacobian of a 20-parameter problem relative to one evaluation;
- 10,000 posterior draws with emcee on 2 processes (``--posterior`` alone).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from _timing import median_time, report

ROOT = Path(__file__).resolve().parents[1]
ESTIMATE = ["k_internalization", "k_recycling", "k_degradation", "K_E"]


def _problem(rtol=1e-8, atol=1e-9):
    from receptorkin.fitting import FitProblem
    from receptorkin.data.measurements import load_conditions, load_measurements

    data = load_measurements(ROOT / "data" / "desensitization.csv")
    conds = load_conditions(ROOT / "data" / "desensitization_conditions.csv")
    return FitProblem("gpcr_desensitization", data, ESTIMATE, conditions=conds, rtol=rtol, atol=atol)


def naive_residual_factory(problem, every: int = 1):
    """What a user writes: reload the model with tellurium for every dose
    (``every`` > 1 evaluates one row in ``every``, to keep the benchmark short)."""
    import tellurium as te

    ant = problem.model.to_antimony()
    table = problem.data.table.iloc[::every]
    conds = problem.conditions

    def residual(values):
        out = []
        for row in table.itertuples():
            r = te.loada(ant)
            for k, v in values.items():
                r[k] = v
            r.reset()
            r.conservedMoietyAnalysis = True
            r.steadyState()
            cond = conds.get(row.condition)
            t = 0.0
            if cond is not None:
                for e in cond.exposures:
                    r["agonist"] = e.concentration
                    r.simulate(t, e.stop, 2)
                    t = e.stop
                r["agonist"] = 0.0
                if cond.challenge_at > t:
                    r.simulate(t, cond.challenge_at, 2)
                    t = cond.challenge_at
            r["agonist"] = row.dose
            output = problem.observables[row.observable].output
            if row.time > 0:
                r.simulate(t, t + row.time, 2)
            sigma = problem.noise_levels[row.observable]
            out.append((row.response - r[output]) / sigma)
        return np.array(out)

    return residual


def basics() -> None:
    """One evaluation and one fit against the naive script; multistart speed-up; standard errors."""
    from receptorkin.fitting import fit
    from receptorkin.fitting.objective import local_fit
    from receptorkin.fitting.uncertainty import covariance

    print("\n# Fitting (gpcr_desensitization, 4 parameters, 150 measurements)")
    problem = _problem()
    problem.initial_noise()
    x0 = problem.initial_vector()
    ours_eval = median_time(lambda: problem.residuals(x0), repeat=11)
    every = 10
    naive = naive_residual_factory(problem, every)
    values = problem.to_linear(x0)
    import os

    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)  # the naive loop makes CVODE print thousands of warnings
    try:
        t0 = time.perf_counter()
        r_naive = naive(values)
        naive_eval = (time.perf_counter() - t0) * every
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
    np.testing.assert_allclose(r_naive, problem.residuals(x0)[::every], rtol=1e-3, atol=1e-3)
    report("one objective evaluation (naive: 1 row in 10, x10)", ours_eval, naive_eval, "naive te.loada per dose")

    lo, hi = problem.bounds()
    t0 = time.perf_counter()
    x, chi2, nfev, *_ = local_fit(problem.residuals, x0 + 0.3, lo, hi)
    ours_fit = time.perf_counter() - t0
    evals = nfev * (1 + 2 * len(x0))  # residual calls incl. central-difference Jacobians (upper bound)
    print(f"{'one local fit from a perturbed start':58s} {ours_fit:8.2f} s  ({nfev} iterations, <= {evals} evaluations); "
          f"the naive script needs {naive_eval:.2f} s per evaluation -> >= {evals * naive_eval:.0f} s for the same "
          f"evaluations: ratio >= {evals * naive_eval / ours_fit:.0f}x (target >= 20x)")

    t1 = time.perf_counter()
    serial = fit(_problem(), n_starts=20, seed=3, jobs=1, profiles=False)
    t_serial = time.perf_counter() - t1
    t2 = time.perf_counter()
    parallel = fit(_problem(), n_starts=20, seed=3, jobs=2, profiles=False)
    t_parallel = time.perf_counter() - t2
    same = serial.estimates == parallel.estimates
    print(f"{'20-start multistart, jobs=1 vs jobs=2':58s} {t_serial:8.1f} s vs {t_parallel:.1f} s: speed-up "
          f"{t_serial / t_parallel:.2f}x (target >= 1.7x); identical estimates: {same}")
    print(f"{'starts reaching the best objective (within 0.1 chi2)':58s} {serial.n_converged} of 20 (target >= 15); "
          f"{serial.n_failed} failed")

    # lmfit's default finite-difference step (what a user gets without scaling)
    import lmfit

    from receptorkin.fitting.multistart import latin_hypercube_starts

    prob = _problem()
    prob._sigma = dict(serial.noise_levels)
    starts = latin_hypercube_starts(prob, 20, 3)
    best = prob.chi2(prob.to_scaled(serial.estimates))
    reached = 0
    for s in starts:
        params = lmfit.Parameters()
        for i, (v, a, b) in enumerate(zip(s, lo, hi)):
            params.add(f"p{i}", value=v, min=a, max=b)
        try:
            res = lmfit.minimize(lambda p: prob.residuals(np.array([p[f"p{i}"].value for i in range(len(s))])), params,
                                 method="least_squares", max_nfev=200)
            reached += (2 * res.result.cost if hasattr(res, "result") else res.chisqr) <= best + 0.1
        except Exception:
            pass
    print(f"{'  same 20 starts, lmfit default finite differences':58s} {reached} of 20 reach the best objective")

    # standard errors: Hessian (rtol 1e-8) vs a tight-tolerance central-difference Hessian
    tight = _problem(rtol=1e-11, atol=1e-12)
    tight._sigma = dict(serial.noise_levels)
    xb = tight.to_scaled(serial.estimates)
    cov_tight, _ = covariance(tight, xb, tight.chi2(xb))
    print("standard errors (estimation scale): receptorkin vs tight-tolerance Hessian")
    cov_ours, _ = covariance(prob, xb, prob.chi2(xb))
    for j, name in enumerate(ESTIMATE):
        a, b = np.sqrt(cov_ours[j, j]), np.sqrt(cov_tight[j, j])
        print(f"    {name:22s} {a:.5g} vs {b:.5g}  ({(a / b - 1) * 100:+.2f}%)")


#: the last commit before the estimation engine landed (``git log --oneline -- receptorkin/estimation | tail -1``
#: is 211ccca; this is its parent): lmfit least squares with solver-scaled central differences
PREVIOUS_RELEASE = "849cbad"

_PREVIOUS_SCRIPT = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1] + "/benchmarks")
import numpy as np
from bench_fitting import _problem
from receptorkin.fitting import fit
from receptorkin.fitting.multistart import latin_hypercube_starts
starts = latin_hypercube_starts(_problem(), 20, 3)
t0, c0 = time.perf_counter(), time.process_time()
res = fit(_problem(), n_starts=20, seed=3, jobs=1, profiles=False, progress=False)
wall, cpu = time.perf_counter() - t0, time.process_time() - c0
ends = [[res.starts.loc[i, "end:" + n] for n in res.names] for i in range(len(res.starts))]
print(json.dumps({"wall": wall, "cpu": cpu, "starts": starts.tolist(), "ends": ends,
                  "nfev": res.starts["nfev"].tolist()}))
"""


def _previous_release(commit: str = PREVIOUS_RELEASE) -> dict | None:
    """Run the 20-start fit of ``commit`` (exported with ``git archive`` into a
    temporary folder) in a subprocess; None when git or the commit is missing."""
    import json
    import subprocess
    import sys
    import tempfile

    with tempfile.TemporaryDirectory(prefix="rk-previous-") as tmp:
        try:
            tar = subprocess.run(["git", "-C", str(ROOT), "archive", commit], check=True, capture_output=True).stdout
            subprocess.run(["tar", "-x", "-C", tmp], input=tar, check=True)
        except (OSError, subprocess.CalledProcessError) as exc:
            print(f"  (previous release {commit} not measured: {exc})")
            return None
        env = {**__import__("os").environ, "PYTHONPATH": tmp}
        out = subprocess.run([sys.executable, "-c", _PREVIOUS_SCRIPT, tmp], cwd=tmp, env=env, capture_output=True,
                             text=True)
        if out.returncode != 0:
            print(f"  (previous release {commit} failed: {out.stderr.strip().splitlines()[-1:]})")
            return None
        return json.loads(out.stdout.strip().splitlines()[-1])


def engine() -> None:
    """The estimation engine (exact Jacobian from forward sensitivities)
    against the fits before it, same 20 starts, jobs=1, same run: the previous
    release itself (lmfit least squares with central differences, run from
    ``git archive`` in a subprocess) and the current code with
    ``derivatives='fd'``.  Every end point is judged in this process by the
    same objective: χ² at the best end point's maximum-likelihood noise levels."""
    from receptorkin.fitting import fit
    from receptorkin.fitting.multistart import latin_hypercube_starts

    print("\n# Estimation engine: exact forward sensitivities vs central finite differences (20 starts, seed 3, jobs=1)")
    prob = _problem()
    starts = latin_hypercube_starts(prob, 20, 3)
    runs: dict[str, tuple[float, float, np.ndarray, list]] = {}
    before = _previous_release()
    if before is not None:
        same = np.allclose(np.array(before["starts"]), starts, rtol=0, atol=1e-12)
        ends = [prob.to_scaled(dict(zip(prob.names, e))) for e in before["ends"]]
        runs[f"previous release {PREVIOUS_RELEASE} (lmfit, central differences)"] = (
            before["wall"], before["cpu"], np.array(before["nfev"]), ends)
        if not same:
            print("  warning: the previous release drew different starts")
    for label, kw in (("this code, derivatives='fd'", {"derivatives": "fd"}), ("this code, default (exact)", {})):
        t0, c0 = time.perf_counter(), time.process_time()
        res = fit(_problem(), n_starts=20, seed=3, jobs=1, profiles=False, progress=False, **kw)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        ends = [prob.to_scaled({n: res.starts.loc[i, "end:" + n] for n in res.names}) for i in range(len(res.starts))]
        runs[label] = (wall, cpu, res.starts["nfev"].to_numpy(), ends)
    # one yardstick for every end point: the profiled likelihood picks the best; chi2 at its noise levels
    neg2ll = {k: np.array([prob.neg2_loglik(x) if np.all(np.isfinite(x)) else np.inf for x in v[3]])
              for k, v in runs.items()}
    label_best = min(neg2ll, key=lambda k: float(np.min(neg2ll[k])))
    x_best = runs[label_best][3][int(np.argmin(neg2ll[label_best]))]
    prob.update_noise(x_best)
    best = prob.chi2(x_best)
    new_wall, new_cpu = runs["this code, default (exact)"][:2]
    for label, (wall, cpu, nfev, ends) in runs.items():
        chi2 = np.array([prob.chi2(x) if np.all(np.isfinite(x)) else np.inf for x in ends])
        ok_code = int(np.sum(chi2 <= best + 0.1))
        ok_rel = int(np.sum(chi2 <= best * (1 + 1e-6)))
        print(f"  {label:52s} {wall:7.1f} s wall, {cpu:6.1f} s CPU; ratio to default {wall / new_wall:5.2f}x wall, "
              f"{cpu / new_cpu:5.2f}x CPU; at the best: {ok_code}/20 (0.1 chi2), {ok_rel}/20 (1e-6 relative); "
              f"residual evaluations per start: median {int(np.median(nfev))}")
    print(f"  best chi2 {best:.6f} (target: default >= 3x faster than the previous release, 20/20 at the best)")

    # gradient of a 20-parameter problem: 14 model parameters + 2 per-condition ones (4 conditions)
    from receptorkin.fitting import FitProblem, ParameterSpec
    from receptorkin.data.measurements import load_conditions, load_measurements
    from receptorkin.models.sbml import load_model

    model = load_model("gpcr_desensitization")
    names = [p for p, v in model.parameters.items() if p != model.ligand and v > 0]
    specs = []
    for p in names:
        v = model.parameters[p]
        specs.append(ParameterSpec(p, v, v / 10, v * 10, per_condition=p in ("k_internalization", "k_recycling")))
    data = load_measurements(ROOT / "data" / "desensitization.csv")
    conds = load_conditions(ROOT / "data" / "desensitization_conditions.csv")
    big = FitProblem("gpcr_desensitization", data, specs, conditions=conds)
    x = big.initial_vector()
    big.residuals_and_jacobian(x)
    t_r = median_time(lambda: big.residuals(x), repeat=5)
    t_j = median_time(lambda: big.residuals_and_jacobian(x), repeat=5)
    print(f"{'gradient of a ' + str(big.n_parameters) + '-parameter problem / one objective evaluation':58s} "
          f"{t_j * 1e3:8.1f} ms / {t_r * 1e3:.1f} ms = {t_j / t_r:.2f}x (target <= 5x; central differences: "
          f"{2 * big.n_parameters}x)")


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (pool workers count once joined)."""
    import resource

    child = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + child.ru_utime + child.ru_stime


def posterior() -> None:
    """Posterior sampling of the desensitization fit with emcee: serial against
    a 2-process pool on the same seed (identical draws), then 10,000 draws on
    2 processes with their diagnostics.  Wall and CPU time (this process and
    its pool workers): on a shared machine the CPU time says what 2 free
    cores would take (CPU / 2 for the pool)."""
    from receptorkin.fitting import fit
    from receptorkin.fitting.derived import rate_half_life

    print("\n# Posterior sampling (emcee), desensitization fit")
    res = fit(_problem(), n_starts=4, seed=3, jobs=2, profiles=False, progress=False)
    times = {}
    for jobs in (1, 2):
        t0, c0 = time.perf_counter(), _cpu()
        post = res.posterior(n_draws=2_000, seed=0, jobs=jobs)
        times[jobs] = (time.perf_counter() - t0, _cpu() - c0, post)
    same = np.array_equal(times[1][2].draws, times[2][2].draws)
    print(f"{'2,000 draws: serial vs 2-process pool':58s} {times[1][0]:8.1f} s vs {times[2][0]:.1f} s wall: pool "
          f"{times[1][0] / times[2][0]:.2f}x; CPU {times[1][1]:.1f} s vs {times[2][1]:.1f} s (pool overhead "
          f"{times[2][1] / times[1][1] - 1:+.0%}); identical draws: {same}")
    t0, c0 = time.perf_counter(), _cpu()
    post = res.posterior(n_draws=10_000, seed=0, jobs=2)
    dt, cpu = time.perf_counter() - t0, _cpu() - c0
    total = post.n_walkers * (post.n_steps + post.burn)
    print(f"{'10,000 draws (+ burn-in), jobs=2':58s} {dt:8.1f} s wall, {cpu:.1f} s CPU (on 2 free cores "
          f"~{cpu / 2:.0f} s; target <= 600 s); {post.n_walkers} walkers x "
          f"({post.burn} burn + {post.n_steps}) steps = {total} evaluations; moves: {post.moves}; acceptance "
          f"{post.acceptance_fraction:.2f}; tau {np.round(post.autocorr_time, 1).tolist()} steps "
          f"(chain = {post.n_steps / np.max(post.autocorr_time):.0f} tau, >= 50 wanted); "
          f"ESS {np.round(post.ess).astype(int).tolist()}")
    half = rate_half_life("k_degradation", res)
    med, (lo, hi), _ = post.derived(half)
    point = res.derived(half)
    print(f"{'  ln2/k_degradation: posterior median [95% CrI] vs delta method':58s} {med:.0f} [{lo:.0f}, {hi:.0f}] "
          f"min vs {point['value']:.0f} [{point['ci'][0]:.0f}, {point['ci'][1]:.0f}] min")


def main() -> None:
    """Everything (what ``make bench`` runs)."""
    basics()
    engine()
    posterior()


if __name__ == "__main__":
    import sys

    if "--engine" in sys.argv:
        engine()
    elif "--posterior" in sys.argv:
        posterior()
    else:
        main()
