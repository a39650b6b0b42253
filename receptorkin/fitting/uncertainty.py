"""Standard errors from the Hessian, profile-likelihood intervals, identifiability.

All computations are on the estimation scale (log10 for rates) and converted
to the linear scale at the end.  Thresholds for 95% intervals:

- known noise (``sd`` column): χ²(θ) ≤ χ²* + 3.841 (χ²₁ at 0.95);
- estimated noise: the likelihood-ratio threshold with σ profiled out,
  RSS(θ) ≤ RSS*·exp(3.841/n).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .objective import hessian_chi2, jacobian

__all__ = ["Profile", "covariance", "profile_parameter", "identifiability_warnings", "CHI2_95"]

CHI2_95 = 3.841458820694124  # chi-square quantile, 1 df, 0.95


def covariance(problem, x: np.ndarray, chi2: float) -> tuple[np.ndarray, str]:
    """Covariance of the estimates on the estimation scale from the full
    Hessian of χ²: Cov = s²·(H/2)⁻¹ with s² = 1 for known noise and
    χ²/(n − p) when the noise is estimated (drc's convention).

    Returns the covariance and a note ("" or why a fallback was used).
    """
    lo, hi = problem.bounds()
    fun = problem.residuals
    H = hessian_chi2(fun, x, lo, hi)
    note = ""
    n, p = problem.n_data, problem.n_parameters
    s2 = 1.0 if problem.noise == "sd" else chi2 / max(n - p, 1)
    try:
        eig = np.linalg.eigvalsh(H)
        if np.min(eig) <= 1e-12 * max(1.0, np.max(np.abs(eig))):
            raise np.linalg.LinAlgError("Hessian not positive definite")
        cov = s2 * np.linalg.inv(H / 2.0)
    except np.linalg.LinAlgError:
        J = jacobian(fun, x, lo, hi)
        JTJ = J.T @ J
        cov = s2 * np.linalg.pinv(JTJ)
        note = "the Hessian is not positive definite at the optimum (a flat direction); Gauss-Newton JᵀJ used"
    return cov, note


@dataclass
class Profile:
    """The profile of one parameter: values (estimation scale) and objective."""

    name: str
    values: list[float] = field(default_factory=list)
    objective: list[float] = field(default_factory=list)
    ci: tuple[float, float] = (math.nan, math.nan)  # estimation scale
    open_low: bool = False  # the profile stays under the threshold down to the bound
    open_high: bool = False


def _threshold(problem, chi2: float) -> float:
    if problem.noise == "sd":
        return chi2 + CHI2_95
    return chi2 * math.exp(CHI2_95 / problem.n_data)


def profile_parameter(problem, x_best: np.ndarray, chi2: float, j: int, se: float, max_steps: int = 12) -> Profile:
    """Profile likelihood of parameter ``j``: fix it on a walk away from the
    optimum, re-optimize the others, and find where the objective crosses the
    95% threshold (by bisection between the last two points)."""
    from scipy.optimize import least_squares

    lo, hi = problem.bounds()
    thr = _threshold(problem, chi2)
    free = [i for i in range(x_best.size) if i != j]
    prof = Profile(problem.names[j], [float(x_best[j])], [chi2])

    def optimise_rest(value: float, start: np.ndarray) -> tuple[float, np.ndarray]:
        if not free:
            z = start.copy()
            z[j] = value
            r = problem.residuals(z)
            return float(r @ r), z

        def fun(sub: np.ndarray) -> np.ndarray:
            z = start.copy()
            z[free] = sub
            z[j] = value
            return problem.residuals(z)

        sub0 = np.clip(start[free], lo[free], hi[free])
        res = least_squares(fun, sub0, bounds=(lo[free], hi[free]), method="trf", x_scale="jac",
                            jac=lambda s: jacobian(fun, s, lo[free], hi[free]), ftol=1e-8, xtol=1e-8, gtol=1e-8, max_nfev=30)
        z = start.copy()
        z[free] = res.x
        z[j] = value
        return float(2 * res.cost), z

    # the crossing is expected near 1.96 standard errors: walk in steps of one
    step0 = min(max(se if math.isfinite(se) and se > 0 else 0.05, 0.01), 0.5)
    ends = []
    for direction in (-1.0, 1.0):
        bound = lo[j] if direction < 0 else hi[j]
        prev_v, prev_obj, z = float(x_best[j]), chi2, x_best.copy()
        step = step0
        crossed = None
        for _ in range(max_steps):
            v = prev_v + direction * step
            if (direction < 0 and v <= bound) or (direction > 0 and v >= bound):
                v = bound
            try:
                obj, z = optimise_rest(v, z)
            except Exception:  # a solver failure far from the optimum ends the walk
                break
            prof.values.append(v)
            prof.objective.append(obj)
            if obj > thr:
                crossed = (prev_v, prev_obj, v, obj, z)
                break
            if v == bound:
                break
            prev_v, prev_obj = v, obj
            step = min(step * 1.6, 1.0)
        if crossed is None:
            ends.append(bound)
            if direction < 0:
                prof.open_low = True
            else:
                prof.open_high = True
            continue
        a, fa, b, fb, zb = crossed
        # bisection on the crossing (objective increases from a to b)
        za = zb
        for _ in range(4):
            # regula falsi on the objective, safeguarded towards the middle
            frac = (thr - fa) / (fb - fa) if fb > fa else 0.5
            m = a + min(max(frac, 0.2), 0.8) * (b - a)
            try:
                fm, zm = optimise_rest(m, za)
            except Exception:
                break
            prof.values.append(m)
            prof.objective.append(fm)
            if fm > thr:
                b, fb = m, fm
            else:
                a, fa, za = m, fm, zm
            if abs(b - a) < 2e-3:  # log10 units: 0.5% in the parameter
                break
        # linear interpolation inside the final bracket
        frac = (thr - fa) / (fb - fa) if fb != fa else 0.5
        ends.append(a + frac * (b - a))
    order = np.argsort(prof.values)
    prof.values = [prof.values[i] for i in order]
    prof.objective = [prof.objective[i] for i in order]
    prof.ci = (min(ends), max(ends))
    return prof


def identifiability_warnings(names: list[str], estimates: dict[str, float], se: dict[str, float],
                             corr: np.ndarray, profiles: dict[str, Profile], steady_only: bool,
                             bounds: dict[str, tuple[float, float]]) -> list[str]:
    """Plain-language warnings a lab user can act on."""
    out = []
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
        if np.isfinite(s) and s > abs(est):
            out.append(f"{name} is poorly determined: its standard error ({s:.3g}) exceeds its estimate ({est:.3g})")
    return out
