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


def main() -> None:
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


def _today(problem, starts, max_nfev=200):
    """The local fits before the estimation engine, replayed in the same run:
    lmfit least squares with the solver-scaled central-difference Jacobian
    (tolerance 1e-10), iteratively reweighted for one noise level per
    observable, one start after another.  Returns each end point and its noise levels."""
    from receptorkin.fitting.objective import local_fit

    lo, hi = problem.bounds()
    sigma0 = problem.noise_levels
    out = []
    for s in starts:
        problem.set_noise_levels(sigma0)
        try:
            x, *_ = local_fit(problem.residuals, s, lo, hi, max_nfev=max_nfev)
            for _ in range(10):
                old = problem.noise_levels
                new = problem.update_noise(x)
                x, *_ = local_fit(problem.residuals, x, lo, hi, max_nfev=max_nfev)
                if all(abs(new[k] - old[k]) <= 1e-4 * max(old[k], 1e-300) for k in new):
                    break
            problem.update_noise(x)
            out.append((x, problem.neg2_loglik(x), problem.noise_levels))
        except Exception:  # a failed start does not reach the optimum
            out.append((None, np.inf, sigma0))
    return out


def engine() -> None:
    """The estimation engine (exact Jacobian from forward sensitivities)
    against the finite-difference fits it replaces, same starts, same run."""
    from receptorkin.fitting import fit
    from receptorkin.fitting.multistart import latin_hypercube_starts

    print("\n# Estimation engine: exact forward sensitivities vs central finite differences")
    prob = _problem()
    prob.initial_noise()
    starts = latin_hypercube_starts(prob, 20, 3)
    t0 = time.perf_counter()
    today = _today(prob, starts)
    t_fd = time.perf_counter() - t0
    t0 = time.perf_counter()
    res = fit(_problem(), n_starts=20, seed=3, jobs=1, profiles=False)
    t_ex = time.perf_counter() - t0
    # judge every end point by chi2 at the engine's best noise levels (as fit() does)
    prob.set_noise_levels(res.noise_levels)
    chi2_today = np.array([prob.chi2(x) if x is not None else np.inf for x, _, _ in today])
    best = min(res.chi2, float(np.min(chi2_today)))
    ok_ex = int(np.sum(res.starts["chi2"].to_numpy() <= best + 0.1))
    ok_fd = int(np.sum(chi2_today <= best + 0.1))
    print(f"{'20 starts, jobs=1: engine (exact) vs before (finite diff.)':58s} {t_ex:8.1f} s vs {t_fd:.1f} s: "
          f"ratio {t_fd / t_ex:.2f}x (target >= 3x); at the best objective (0.1 chi2): {ok_ex}/20 vs {ok_fd}/20 "
          f"(target 20/20); evaluations per start (residuals+Jacobian): median {int(res.starts['nfev'].median())}")

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


def posterior() -> None:
    """10,000 posterior draws of the desensitization fit with emcee on 2 processes."""
    from receptorkin.fitting import fit

    print("\n# Posterior sampling (emcee), desensitization fit")
    res = fit(_problem(), n_starts=4, seed=3, jobs=2, profiles=False)
    t0 = time.perf_counter()
    post = res.posterior(n_draws=10_000, seed=0, jobs=2)
    dt = time.perf_counter() - t0
    total = post.n_walkers * (post.n_steps + post.burn)
    print(f"{'10,000 draws (+ burn-in), jobs=2':58s} {dt:8.1f} s (target <= 600 s); {post.n_walkers} walkers x "
          f"({post.burn} burn + {post.n_steps}) steps = {total} evaluations; acceptance "
          f"{post.acceptance_fraction:.2f}; tau {np.round(post.autocorr_time, 1).tolist()}; "
          f"ESS {np.round(post.ess).astype(int).tolist()}")


if __name__ == "__main__":
    import sys

    if "--engine" in sys.argv:
        engine()
    elif "--posterior" in sys.argv:
        posterior()
    else:
        main()
        engine()
        posterior()
