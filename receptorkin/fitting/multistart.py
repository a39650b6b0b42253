"""Multistart fitting: Latin-hypercube starts, local least squares, uncertainty.

``fit(problem, n_starts=20, seed=0, jobs=1)`` draws starts with
``numpy.random.default_rng(seed)`` (Latin hypercube on the estimation scale,
i.e. log-uniform for log10 parameters; the problem's own initial values are
start 0), runs bounded least squares from each (lmfit, TRF, solver-scaled
Jacobian), in parallel when ``jobs > 1`` (each worker compiles the model once),
keeps failed starts in the start table with their reason, and computes
standard errors from the Hessian, profile-likelihood intervals and the
identifiability warnings at the best optimum.
"""

from __future__ import annotations

import math
import pickle
from typing import Any

import numpy as np

from ..errors import FitError, ReceptorkinError
from ..parallel import run_tasks
from .objective import local_fit
from .problem import FitProblem
from .result import FitResult, information_criteria
from .uncertainty import identifiability_warnings, profile_parameter, covariance

__all__ = ["fit", "latin_hypercube_starts"]


def latin_hypercube_starts(problem: FitProblem, n_starts: int, seed: int | None) -> np.ndarray:
    """``n_starts`` start vectors (estimation scale): the problem's initial values
    first, then a seeded Latin hypercube over the bounds."""
    from scipy.stats import qmc

    if n_starts < 1:
        raise FitError(f"n_starts must be at least 1 (got {n_starts})")
    lo, hi = problem.bounds()
    starts = [problem.initial_vector()]
    if n_starts > 1:
        rng = np.random.default_rng(seed)
        u = qmc.LatinHypercube(d=lo.size, rng=rng).random(n_starts - 1) if _qmc_takes_rng() else \
            qmc.LatinHypercube(d=lo.size, seed=rng).random(n_starts - 1)
        starts += list(lo + u * (hi - lo))
    return np.array(starts)


def _qmc_takes_rng() -> bool:
    import inspect

    from scipy.stats import qmc

    return "rng" in inspect.signature(qmc.LatinHypercube).parameters


def _setup(payload: bytes) -> FitProblem:
    problem = pickle.loads(payload)
    problem.simulator  # compile once in this process
    return problem


def _run_start(problem: FitProblem, task: tuple[int, np.ndarray, dict, int, bool]) -> dict[str, Any]:
    index, x0, sigma, max_nfev, irls = task
    problem._sigma = dict(sigma)
    lo, hi = problem.bounds()
    try:
        x, chi2, nfev, success, message = local_fit(problem.residuals, x0, lo, hi, max_nfev=max_nfev)
        if irls:
            # iteratively reweighted least squares: one noise level per observable,
            # sigma^2 = RSS/n at the optimum (maximum likelihood), in this worker
            for _ in range(10):
                old = problem.noise_levels
                new = problem.update_noise(x)
                x, chi2, more, success, message = local_fit(problem.residuals, x, lo, hi, max_nfev=max_nfev)
                nfev += more
                if all(abs(new[k] - old[k]) <= 1e-4 * max(old[k], 1e-300) for k in new):
                    break
            problem.update_noise(x)
            chi2 = problem.chi2(x)
        if not math.isfinite(chi2):
            raise FitError("objective is not finite")
        return {"start": index, "x0": list(map(float, x0)), "x": list(map(float, x)), "chi2": chi2, "nfev": nfev,
                "status": "converged" if success else "stopped", "reason": "" if success else message,
                "sigma": problem.noise_levels, "neg2ll": problem.neg2_loglik(x) if irls else chi2}
    except (ReceptorkinError, FloatingPointError, ValueError, np.linalg.LinAlgError) as exc:
        reason = " ".join(str(exc).split())[:300]
        return {"start": index, "x0": list(map(float, x0)), "x": [math.nan] * len(x0), "chi2": math.inf, "nfev": 0,
                "status": "failed", "reason": reason, "sigma": dict(sigma), "neg2ll": math.inf}


def _run_starts(problem: FitProblem, starts: np.ndarray, jobs: int, progress: bool | None, max_nfev: int,
                irls: bool, scheduler: Any = None) -> list[dict]:
    tasks = [(i, s, problem.noise_levels, max_nfev, irls) for i, s in enumerate(starts)]
    payload = pickle.dumps(problem)
    return run_tasks(_run_start, tasks, setup=_setup, setup_args=(payload,), jobs=jobs, progress=progress,
                     desc=f"fit {problem.model.id}: starts", scheduler=scheduler)


def fit(problem: FitProblem, n_starts: int = 20, seed: int | None = 0, jobs: int = 1, *,
        profiles: bool = True, progress: bool | None = None, max_nfev: int = 200, scheduler: Any = None) -> FitResult:
    """Fit a :class:`FitProblem` by multistart least squares.

    Parameters
    ----------
    problem
        The fitting problem.
    n_starts
        Number of starts (the first is the problem's initial values).
    seed
        Seed of ``numpy.random.default_rng`` for the Latin hypercube.
    jobs
        Worker processes (1 = in this process).  Results are identical for any
        ``jobs`` with the same seed.
    profiles
        Compute profile-likelihood intervals (the intervals to report for
        nonlinear rates); without them ``ci`` holds the Wald intervals.
    progress
        Progress bar (default: when stderr is a terminal).
    max_nfev
        Residual evaluations per local fit.
    scheduler
        Run the starts on a Dask cluster instead of local processes: a
        scheduler address (``'tcp://host:8786'``) or a
        ``dask.distributed.Client`` (see :mod:`receptorkin.parallel`); the
        result is the same as with ``jobs=1``.

    Raises
    ------
    FitError
        When every start fails; the message carries the start table.
    """
    import pandas as pd

    starts = latin_hypercube_starts(problem, n_starts, seed)
    irls = problem.noise == "estimate" and len(problem.noise_levels) > 1
    if irls:
        problem.initial_noise()
    records = _run_starts(problem, starts, jobs, progress, max_nfev, irls, scheduler)
    best = _best(records, "neg2ll")
    if best is None:
        table = pd.DataFrame(records)[["start", "status", "reason"]]
        raise FitError(f"all {len(records)} starts failed:\n{table.to_string(index=False)}")
    x = np.array(best["x"])
    if irls:
        # judge every start's end point with the best start's noise levels
        problem._sigma = dict(best["sigma"])
        for rec in records:
            if rec["status"] != "failed":
                rec["chi2"] = problem.chi2(np.array(rec["x"]))
    return _summarise(problem, x, records, seed, profiles, progress)


def _best(records: list[dict], key: str = "chi2") -> dict | None:
    ok = [r for r in records if r["status"] != "failed"]
    return min(ok, key=lambda r: (r[key], r["start"])) if ok else None


def _summarise(problem: FitProblem, x: np.ndarray, records: list[dict], seed: int | None, do_profiles: bool,
               progress: bool | None = None) -> FitResult:
    import pandas as pd

    from ..progress import progress_bar

    names = problem.names
    r = problem.residuals(x)
    chi2 = float(r @ r)
    cov, note = covariance(problem, x, chi2)
    se_scaled = np.sqrt(np.clip(np.diag(cov), 0, None))
    with np.errstate(invalid="ignore", divide="ignore"):
        d = np.sqrt(np.diag(cov))
        corr = cov / np.outer(d, d)
    lo, hi = problem.bounds()
    from scipy import stats

    n, p = problem.n_data, problem.n_parameters
    tq = stats.t.ppf(0.975, max(n - p, 1)) if problem.noise == "estimate" else stats.norm.ppf(0.975)
    linear = problem.to_linear(x)
    estimates, se, wald, ci, bounds, scales, units = {}, {}, {}, {}, {}, {}, {}
    profiles_out = {}
    prof_objs = {}
    bar = progress_bar(len(names), f"fit {problem.model.id}: profiles", show=progress if do_profiles else False,
                       unit="parameter")
    for j, (name, spec) in enumerate(zip(names, problem._spec_of)):
        v = linear[name]
        estimates[name] = v
        scales[name] = spec.scale
        units[name] = spec.unit
        bounds[name] = (spec.lower, spec.upper)
        se[name] = float(math.log(10) * v * se_scaled[j]) if spec.scale == "log10" else float(se_scaled[j])
        wald[name] = (spec.from_scale(x[j] - tq * se_scaled[j]), spec.from_scale(x[j] + tq * se_scaled[j]))
        if do_profiles:
            prof = profile_parameter(problem, x, chi2, j, float(se_scaled[j]))
            prof_objs[name] = prof
            ci[name] = (spec.from_scale(prof.ci[0]), spec.from_scale(prof.ci[1]))
            profiles_out[name] = {"values": [spec.from_scale(v_) for v_ in prof.values], "objective": prof.objective}
            bar.update()
        else:
            ci[name] = wald[name]
    bar.close()
    steady_only = bool(problem.data.table["time"].isna().all())
    warnings = identifiability_warnings(names, estimates, se, corr, prof_objs, steady_only, bounds)
    if note:
        warnings.append(note)
    k = p + (len(problem.noise_levels) if problem.noise == "estimate" else 0)
    log_sd = float(np.sum(np.log(problem._sd))) if problem.noise == "sd" else 0.0
    loglik = None
    if problem.noise == "estimate" and len(problem.noise_levels) > 1:
        # each observable with its own maximum-likelihood noise level
        loglik = -0.5 * (problem.neg2_loglik(x) + n * (math.log(2 * math.pi) + 1.0))
    criteria = information_criteria(chi2, n, k, problem.noise, log_sd, loglik)
    rows = []
    for rec in records:
        row = {"start": rec["start"], "status": rec["status"], "chi2": rec["chi2"], "nfev": rec["nfev"], "reason": rec["reason"]}
        for name, spec, a, b in zip(names, problem._spec_of, rec["x0"], rec["x"]):
            row[f"start:{name}"] = spec.from_scale(a)
            row[f"end:{name}"] = spec.from_scale(b) if math.isfinite(b) else math.nan
        rows.append(row)
    starts = pd.DataFrame(rows)
    return FitResult(
        model=problem.model, names=names, estimates=estimates, se=se, ci=ci, wald_ci=wald, scales=scales, units=units,
        bounds=bounds, chi2=chi2, n_data=n, n_parameters=p, noise=problem.noise,
        noise_levels=(problem.noise_levels if problem.noise == "estimate" and len(problem.noise_levels) > 1
                      else ({next(iter(problem.noise_levels)): math.sqrt(chi2 / n)} if problem.noise == "estimate" else {})),
        criteria=criteria, starts=starts, correlation=corr, warnings=warnings, profiles=profiles_out, seed=seed,
        data_source=problem.data.source, problem=problem,
    )
