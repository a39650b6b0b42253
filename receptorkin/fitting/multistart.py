"""Multistart fitting: Latin-hypercube starts, local least squares, uncertainty.

``fit(problem, n_starts=20, seed=0, jobs=1)`` draws starts with
``numpy.random.default_rng(seed)`` (Latin hypercube on the estimation scale,
i.e. log-uniform for log10 parameters; the problem's own initial values are
start 0), runs bounded trust-region least squares from each with the exact Jacobian
from forward sensitivities (:mod:`receptorkin.estimation`), in parallel when ``jobs > 1`` (each worker compiles the model once),
keeps failed starts in the start table with their reason, and computes
standard errors from the Hessian, profile-likelihood intervals and the
identifiability warnings at the best optimum.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import FitError
from ..estimation import LocalResult, fit_least_squares, latin_hypercube, multistart
from .chi2 import fit_chi_square
from .problem import FitProblem
from .result import FitResult, information_criteria
from .uncertainty import covariance, flat_groups, identifiability_warnings, profile_parameter

__all__ = ["fit", "latin_hypercube_starts"]


def latin_hypercube_starts(problem: FitProblem, n_starts: int, seed: int | None) -> np.ndarray:
    """``n_starts`` start vectors (estimation scale): the problem's initial values
    first, then a seeded Latin hypercube over the bounds
    (:func:`receptorkin.estimation.latin_hypercube`)."""
    if n_starts < 1:
        raise FitError(f"n_starts must be at least 1 (got {n_starts})")
    lo, hi = problem.bounds()
    return latin_hypercube(lo, hi, n_starts, seed, first=problem.initial_vector())


class _FiniteDifferences:
    """A FitProblem seen through solver-scaled central differences (the
    fallback for models whose math the sensitivity equations do not cover)."""

    def __init__(self, problem: FitProblem) -> None:
        self.problem = problem

    def residuals(self, x: np.ndarray) -> np.ndarray:
        return self.problem.residuals(x)

    def jacobian(self, x: np.ndarray) -> np.ndarray:
        from .objective import jacobian

        lo, hi = self.problem.bounds()
        return jacobian(self.problem.residuals, x, lo, hi)

    def residuals_and_jacobian(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.problem.residuals(x), self.jacobian(x)


class _Reweighted:
    """A FitProblem whose last residuals and Jacobian are reused when only the
    noise levels changed (an iteratively reweighted round starts where the
    previous one ended: its first evaluation is a rescaling, not a simulation)."""

    def __init__(self, problem: FitProblem) -> None:
        self.problem = problem
        obs = problem.data.table["observable"].to_numpy()
        self._rows = {name: np.flatnonzero(obs == name) for name in problem.noise_levels}
        self._last: tuple | None = None

    def residuals(self, x: np.ndarray) -> np.ndarray:
        return self.residuals_and_jacobian(x)[0]

    def residuals_and_jacobian(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        sigma = self.problem.noise_levels
        if self._last is not None and np.array_equal(self._last[0], x):
            _, r, J, old = self._last
            if old != sigma:
                scale = np.ones(r.size)
                for name, rows in self._rows.items():
                    scale[rows] = old[name] / sigma[name]
                r, J = r * scale, J * scale[:, None]
        else:
            r, J = self.problem.residuals_and_jacobian(x)
        self._last = (np.array(x, dtype=float), r, J, sigma)
        return r, J


def _local(problem: FitProblem, x0: np.ndarray, lower: np.ndarray, upper: np.ndarray, *, sigma: dict,
           max_nfev: int, irls: bool, derivatives: str = "exact") -> tuple[LocalResult, dict]:
    """One start: trust-region least squares with the exact Jacobian; with
    several observables of estimated noise, iteratively reweighted (one noise
    level per observable, σ² = RSS/n at the optimum: maximum likelihood)."""
    problem.set_noise_levels(sigma)
    objective = _Reweighted(problem) if derivatives == "exact" else _FiniteDifferences(problem)
    # with exact derivatives a relative tolerance of 1e-8 is reached cleanly (χ² to ~1e-6 absolute);
    # the reweighting rounds stop at 1e-6 and one final solve tightens the end point
    final_tol = 1e-8 if derivatives == "exact" else 1e-10
    res = fit_least_squares(objective, x0, lower, upper, max_nfev=max_nfev, tol=1e-6 if irls else final_tol)
    nfev, njev = res.nfev, res.njev
    if irls:
        for _ in range(10):
            old = problem.noise_levels
            new = problem.update_noise(res.x)
            res = fit_least_squares(objective, res.x, lower, upper, max_nfev=max_nfev, tol=1e-6)
            nfev, njev = nfev + res.nfev, njev + res.njev
            if all(abs(new[k] - old[k]) <= 1e-4 * max(old[k], 1e-300) for k in new):
                break
        problem.update_noise(res.x)
        res = fit_least_squares(objective, res.x, lower, upper, max_nfev=max_nfev, tol=final_tol)
        nfev, njev = nfev + res.nfev, njev + res.njev
        problem.update_noise(res.x)
        res.objective = problem.chi2(res.x)
    res.nfev, res.njev = nfev, njev
    extra = {"sigma": problem.noise_levels, "neg2ll": problem.neg2_loglik(res.x) if irls else res.objective}
    return res, extra


def _records(ms) -> list[dict[str, Any]]:
    out = []
    for s in ms.starts:
        out.append({"start": s.index, "x0": list(map(float, s.x0)), "x": list(map(float, s.x)), "chi2": s.objective,
                    "nfev": s.nfev, "njev": s.njev, "status": s.status, "reason": s.reason,
                    "sigma": s.extra.get("sigma", {}), "neg2ll": s.extra.get("neg2ll", s.objective)})
    return out


def _run_starts(problem: FitProblem, starts: np.ndarray, jobs: int, progress: bool | None, max_nfev: int,
                irls: bool, scheduler: Any = None, derivatives: str = "exact") -> list[dict]:
    lo, hi = problem.bounds()
    ms = multistart(problem, starts, lo, hi, jobs=jobs, scheduler=scheduler, progress=progress,
                    desc=f"fit {problem.model.id}: starts", local=_local, sigma=problem.noise_levels,
                    max_nfev=max_nfev, irls=irls, derivatives=derivatives)
    records = _records(ms)
    for rec in records:
        if rec["status"] == "failed":
            rec["sigma"] = problem.noise_levels
    return records


def fit(problem: FitProblem, n_starts: int = 20, seed: int | None = 0, jobs: int = 1, *,
        profiles: bool = True, progress: bool | None = None, max_nfev: int = 200, scheduler: Any = None,
        derivatives: str = "exact") -> FitResult:
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
    derivatives
        ``'exact'`` (forward sensitivities, :mod:`receptorkin.simulation.sensitivities`)
        or ``'fd'`` (central differences scaled to the solver tolerance, for
        models whose math the sensitivity equations do not cover, e.g.
        piecewise rates); uncertainty always uses the exact derivatives.

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
    if derivatives not in ("exact", "fd"):
        raise FitError(f"derivatives must be 'exact' or 'fd' (got {derivatives!r})")
    records = _run_starts(problem, starts, jobs, progress, max_nfev, irls, scheduler, derivatives)
    best = _best(records, "neg2ll")
    if best is None:
        table = pd.DataFrame(records)[["start", "status", "reason"]]
        raise FitError(f"all {len(records)} starts failed:\n{table.to_string(index=False)}")
    x = np.array(best["x"])
    if irls:
        # judge every start's end point with the best start's noise levels
        problem.set_noise_levels(best["sigma"])
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
    with np.errstate(invalid="ignore"):
        se_scaled = np.sqrt(np.where(np.diag(cov) >= 0, np.diag(cov), np.nan))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = cov / np.outer(se_scaled, se_scaled)
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
    for j, (name, spec) in enumerate(zip(names, problem.estimated_specs)):
        v = linear[name]
        estimates[name] = v
        scales[name] = spec.scale
        units[name] = spec.unit
        bounds[name] = (spec.lower, spec.upper)
        se[name] = float(math.log(10) * v * se_scaled[j]) if spec.scale == "log10" else float(se_scaled[j])
        # not estimable: NaN, never a small finite number from a pseudo-inverse
        wald[name] = ((spec.from_scale(x[j] - tq * se_scaled[j]), spec.from_scale(x[j] + tq * se_scaled[j]))
                      if np.isfinite(se_scaled[j]) else (math.nan, math.nan))
        if do_profiles:
            prof = profile_parameter(problem, x, chi2, j, float(se_scaled[j]) if np.isfinite(se_scaled[j]) else 0.1)
            prof_objs[name] = prof
            ci[name] = (spec.from_scale(prof.ci[0]), spec.from_scale(prof.ci[1]))
            profiles_out[name] = {"values": [spec.from_scale(v_) for v_ in prof.values], "objective": prof.objective}
            bar.update()
        else:
            ci[name] = wald[name]
    bar.close()
    steady_only = bool(problem.data.table["time"].isna().all())
    warnings = identifiability_warnings(names, estimates, se, corr, prof_objs, steady_only, bounds,
                                        flat_groups(problem, x) if note.startswith("not estimable") else None)
    if note:
        warnings.append(note)
    k = p + (len(problem.noise_levels) if problem.noise == "estimate" else 0)
    log_sd = float(np.sum(np.log(problem._sd))) if problem.noise == "sd" else 0.0
    loglik = None
    if problem.noise == "estimate" and len(problem.noise_levels) > 1:
        # each observable with its own maximum-likelihood noise level
        loglik = -0.5 * (problem.neg2_loglik(x) + n * (math.log(2 * math.pi) + 1.0))
    criteria = information_criteria(chi2, n, k, problem.noise, log_sd, loglik)
    noise_levels = (problem.noise_levels if problem.noise == "estimate" and len(problem.noise_levels) > 1
                    else ({next(iter(problem.noise_levels)): math.sqrt(chi2 / n)} if problem.noise == "estimate" else {}))
    chi_sq, rss = fit_chi_square(problem, x, noise_levels)  # the one χ²; `chi2` above is the objective
    to_chi_sq = chi_sq / chi2 if chi2 > 0 else 1.0  # each start's objective in the same σ units
    rows = []
    for rec in records:
        row = {"start": rec["start"], "status": rec["status"], "chi2": rec["chi2"] * to_chi_sq, "nfev": rec["nfev"],
               "njev": rec.get("njev", 0), "reason": rec["reason"]}
        for name, spec, a, b in zip(names, problem.estimated_specs, rec["x0"], rec["x"]):
            row[f"start:{name}"] = spec.from_scale(a)
            row[f"end:{name}"] = spec.from_scale(b) if math.isfinite(b) else math.nan
        rows.append(row)
    starts = pd.DataFrame(rows)
    return FitResult(
        model=problem.model, names=names, estimates=estimates, se=se, ci=ci, wald_ci=wald, scales=scales, units=units,
        bounds=bounds, chi2=chi_sq, n_data=n, n_parameters=p, noise=problem.noise, noise_levels=noise_levels,
        criteria=criteria, starts=starts, correlation=corr, warnings=warnings, profiles=profiles_out, seed=seed,
        data_source=problem.data.source, problem=problem, rss=rss, ci_method="profile" if do_profiles else "Wald",
    )
