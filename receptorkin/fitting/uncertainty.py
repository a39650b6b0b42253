"""Standard errors from the Hessian, profile-likelihood intervals, identifiability.

All computations are on the estimation scale (log10 for rates) and converted
to the linear scale at the end.  Thresholds for 95% intervals:

- known noise (``sd`` column): χ²(θ) ≤ χ²* + 3.841 (χ²₁ at 0.95);
- estimated noise: the likelihood-ratio threshold with σ profiled out,
  RSS(θ) ≤ RSS*·exp(3.841/n).
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ReceptorkinError
from ..estimation.uncertainty import Profile, profile, standard_errors

HESSIAN_STEP = 1e-4  # estimation scale; the exact gradient is accurate to ~rtol, so rtol/h stays ~1e-4 relative

__all__ = ["Profile", "covariance", "flat_groups", "LogPosterior", "scaled_covariance", "sample_fit_posterior", "profile_parameter", "identifiability_warnings", "CHI2_95"]

CHI2_95 = 3.841458820694124  # chi-square quantile, 1 df, 0.95


def _hessian_chi2(problem, x: np.ndarray, step: float = HESSIAN_STEP) -> np.ndarray:
    """Full Hessian of χ² (not the Gauss–Newton 2JᵀJ): central differences
    of the exact gradient g = 2Jᵀr (forward sensitivities), symmetrised."""
    n = x.size
    H = np.empty((n, n))
    for j in range(n):
        up, down = x.copy(), x.copy()
        up[j] += step
        down[j] -= step
        ru, Ju = problem.residuals_and_jacobian(up)
        rd, Jd = problem.residuals_and_jacobian(down)
        H[:, j] = (2.0 * Ju.T @ ru - 2.0 * Jd.T @ rd) / (2 * step)
    return 0.5 * (H + H.T)


def flat_groups(problem, x: np.ndarray) -> list[list[str]]:
    """The parameters of each flat direction of the Fisher information JᵀJ at ``x``."""
    from ..estimation.uncertainty import LOADING

    _, J = problem.residuals_and_jacobian(x)
    fisher = standard_errors(J.T @ J)
    names = problem.names
    return [[names[i] for i in range(len(names)) if v[i] ** 2 > LOADING] for v in fisher.flat_directions.T]


def covariance(problem, x: np.ndarray, chi2: float) -> tuple[np.ndarray, str]:
    """Covariance of the estimates on the estimation scale: Cov = s²·(H/2)⁻¹
    from the full Hessian of χ² (drc's convention), s² = 1 for known noise
    and χ²/(n − p) when the noise is estimated.

    Which parameters are estimable is decided on the Fisher information JᵀJ
    (:func:`receptorkin.estimation.standard_errors`): a parameter in a flat
    direction gets NaN rows, never a small finite value from a
    pseudo-inverse.  Where the Hessian is not positive definite but every
    parameter is estimable, JᵀJ (Gauss–Newton) gives the covariance.

    Returns the covariance and a note ("" or what was done and why).
    """
    n, p = problem.n_data, problem.n_parameters
    s2 = 1.0 if problem.noise == "sd" else chi2 / max(n - p, 1)
    r, J = problem.residuals_and_jacobian(x)
    fisher = standard_errors(J.T @ J, s2)
    if not np.all(fisher.estimable):
        bad = fisher.not_estimable(problem.names)
        return fisher.covariance, (f"not estimable from these data: {', '.join(bad)} (the fit is flat along "
                                   f"{'; '.join(fisher.combinations(problem.names))}); their standard errors "
                                   "are reported as NaN")
    H = _hessian_chi2(problem, np.asarray(x, dtype=float))
    hess = standard_errors(H / 2.0, s2)
    if np.all(hess.estimable) and np.min(np.linalg.eigvalsh(H)) > 0:
        return hess.covariance, ""
    return fisher.covariance, ("the Hessian is not positive definite at the optimum (a flat direction); "
                               "Gauss-Newton JᵀJ used")


def _threshold(problem, chi2: float) -> float:
    if problem.noise == "sd":
        return chi2 + CHI2_95
    return chi2 * math.exp(CHI2_95 / problem.n_data)


def profile_parameter(problem, x_best: np.ndarray, chi2: float, j: int, se: float) -> Profile:
    """Profile likelihood of parameter ``j`` with the engine's one
    implementation (:func:`receptorkin.estimation.profile`, exact Jacobian):
    fix it on a walk away from the optimum, re-optimize the others, and find
    where χ² crosses the 95% threshold."""
    lo, hi = problem.bounds()
    return profile(problem, np.asarray(x_best, dtype=float), chi2, j, lo, hi, _threshold(problem, chi2), se,
                   name=problem.names[j])


def identifiability_warnings(names: list[str], estimates: dict[str, float], se: dict[str, float],
                             corr: np.ndarray, profiles: dict[str, Profile], steady_only: bool,
                             bounds: dict[str, tuple[float, float]],
                             flat_groups: list[list[str]] | None = None) -> list[str]:
    """Plain-language warnings a lab user can act on (``flat_groups``: the
    parameters of each flat direction of the fit, which are not estimable)."""
    out = []
    for group in flat_groups or []:
        for i, a in enumerate(group):
            for b in group[i + 1:]:
                if steady_only:
                    out.append(f"steady-state data alone cannot separate {a} from {b}: only a combination of the two "
                               "is determined (their correlation is ±1, the fit is flat along it); measure time "
                               "courses after the challenge (and after pre-treatment) to separate them")
                else:
                    out.append(f"the data cannot separate {a} from {b}: only a combination of the two is determined "
                               "(the fit is flat along it); data at more times or conditions where they act "
                               "differently would separate them")
    for i, a in enumerate(names):
        for j in range(i + 1, len(names)):
            b = names[j]
            r = corr[i, j]
            if np.isfinite(r) and abs(r) > 0.99:
                if steady_only:
                    hint = (f"steady-state data alone cannot separate {a} from {b}: their correlation is {r:.3f}; "
                            "measure time courses after the challenge (and after pre-treatment) to separate them")
                else:
                    hint = (f"the data cannot separate {a} from {b}: their correlation is {r:.3f}, so only a "
                            "combination of the two is determined; data at more times or conditions where they act differently would separate them")
                out.append(hint)
    for name in names:
        prof = profiles.get(name)
        if prof is not None and (prof.open_low or prof.open_high):
            side = " and ".join(s for s, flag in (("below", prof.open_low), ("above", prof.open_high)) if flag)
            lo, hi = bounds[name]
            out.append(f"{name} is not bounded {side} by the data: its profile likelihood stays within the 95% threshold "
                       f"up to the search bound{'s' if prof.open_low and prof.open_high else ''} "
                       f"[{lo:.3g}, {hi:.3g}]; the interval is open on that side")
        est, s = estimates[name], se.get(name, math.nan)
        if not np.isfinite(s):
            out.append(f"{name} is not estimable from these data: its standard error is not defined (reported as NaN)")
        elif s > abs(est):
            out.append(f"{name} is poorly determined: its standard error ({s:.3g}) exceeds its estimate ({est:.3g})")
    return out


class LogPosterior:
    """Log posterior of a :class:`~receptorkin.fitting.FitProblem` on the
    estimation scale (picklable: workers compile the model once).

    Priors are uniform on the estimation scale inside the bounds (log-uniform
    for log10 parameters).  With known noise the likelihood is
    ``exp(−χ²/2)``; with one estimated noise level, σ is integrated out under
    its Jeffreys prior (1/σ), which leaves ``RSS^(−n/2)``; with one level per
    observable, the same per observable at the fit's weights.
    """

    def __init__(self, problem, noise_levels: dict[str, float] | None = None) -> None:
        self.problem = problem
        self.noise_levels = dict(noise_levels or problem.noise_levels)
        self.lower, self.upper = problem.bounds()

    def __call__(self, x: np.ndarray) -> float:
        x = np.asarray(x, dtype=float)
        if np.any(x < self.lower) or np.any(x > self.upper):
            return -math.inf
        pb = self.problem
        try:
            if pb.noise == "sd":
                r = pb.residuals(x)
                value = -0.5 * float(r @ r)
            else:
                value = -0.5 * pb.neg2_loglik(x)
        except ReceptorkinError:
            return -math.inf
        return value if math.isfinite(value) else -math.inf


def scaled_covariance(result) -> np.ndarray:
    """A fit's covariance on the estimation scale (log10 for rates): the
    correlation times the standard errors converted back from the linear
    scale (NaN rows for not-estimable parameters)."""
    se = []
    for name in result.names:
        s, v = result.se.get(name, math.nan), result.estimates[name]
        se.append(s / (math.log(10) * v) if result.scales[name] == "log10" else s)
    se_arr = np.array(se, dtype=float)
    return np.asarray(result.correlation, dtype=float) * np.outer(se_arr, se_arr)


def sample_fit_posterior(result, *, n_draws: int = 10_000, n_walkers: int | None = None, seed: int | None = 0,
                         jobs: int = 1, burn: int | None = None, progress: bool = False):
    """Posterior draws of a fit's parameters with emcee.

    The walkers start from the Laplace approximation at the best fit (its
    covariance on the estimation scale) and most moves are independence
    proposals from a Student-t with that covariance
    (:func:`receptorkin.estimation.sample_posterior`); a fit with
    not-estimable parameters falls back to stretch moves from a small ball
    (a tenth of the standard errors, 1e-3 where they are undefined).

    Returns a :class:`receptorkin.estimation.PosteriorSample` (linear-scale
    draws, acceptance fraction, autocorrelation times, effective sample
    sizes, credible intervals; :meth:`~receptorkin.estimation.PosteriorSample.derived`
    for quantities such as a receptor half-life, see :mod:`receptorkin.fitting.derived`).
    """
    from ..errors import FitError
    from ..estimation import sample_posterior

    problem = result.problem
    if problem is None:
        raise FitError("posterior sampling needs the fitting problem (a result loaded from JSON has none)")
    if result.noise == "estimate" and result.noise_levels:
        problem.set_noise_levels(result.noise_levels)
    x = problem.to_scaled(result.estimates)
    cov = scaled_covariance(result)
    se_scaled = np.sqrt(np.where(np.diag(cov) > 0, np.diag(cov), np.nan))
    spread = np.where(np.isfinite(se_scaled), 0.1 * se_scaled, 1e-3)
    return sample_posterior(LogPosterior(problem), x, result.names,
                            lambda z: np.array(list(problem.to_linear(z).values())), n_draws=n_draws,
                            n_walkers=n_walkers, burn=burn, seed=seed, spread=spread, covariance=cov, jobs=jobs,
                            progress=progress)
