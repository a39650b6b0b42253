"""Uncertainty in one place: standard errors with not-estimable parameters
flagged, and the one profile-likelihood implementation.

Standard errors come from the Fisher information ``F`` on the estimation
scale (``JᵀJ`` of the weighted residuals, or the Hessian of the negative
log-likelihood).  Its eigenvectors with eigenvalues below ``rcond·λ_max``
are directions the data do not determine; a parameter with a loading on
such a direction is **not estimable**: its standard error is NaN and it is
flagged, never given the small finite value a pseudo-inverse would produce.
The others get ``sqrt(diag(F⁺))``, which is exact for them because their
coordinate direction is orthogonal to the flat directions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

__all__ = ["StandardErrors", "standard_errors", "Profile", "profile", "crossing_interval", "DeltaEstimate",
           "delta_method"]

#: eigenvalues of F below this fraction of the largest count as flat (a condition number of 1e10,
#: i.e. standard errors 1e5 times the best-determined direction's)
RCOND = 1e-10
#: a parameter whose squared loading on the flat directions exceeds this is not estimable
LOADING = 1e-4


@dataclass
class StandardErrors:
    """Covariance and standard errors on the estimation scale.

    Attributes
    ----------
    covariance
        ``s²·F⁺`` with rows/columns of not-estimable parameters set to NaN.
    se
        Standard errors (NaN for not-estimable parameters).
    estimable
        Boolean mask.
    flat_directions
        Eigenvectors (columns) the data do not determine.
    correlation
        Correlation matrix (NaN where not estimable).
    """

    covariance: np.ndarray
    se: np.ndarray
    estimable: np.ndarray
    flat_directions: np.ndarray
    correlation: np.ndarray

    def not_estimable(self, names: list[str]) -> list[str]:
        return [n for n, ok in zip(names, self.estimable) if not ok]

    def combinations(self, names: list[str]) -> list[str]:
        """The flat directions in words: which parameters move together."""
        out = []
        for v in self.flat_directions.T:
            parts = [f"{v[i]:+.2f}·{names[i]}" for i in np.argsort(-np.abs(v)) if v[i] ** 2 > LOADING]
            out.append(" ".join(parts))
        return out


def standard_errors(fisher: np.ndarray, s2: float = 1.0, rcond: float = RCOND) -> StandardErrors:
    """Standard errors from a Fisher information / Hessian ``F`` (estimation scale).

    Parameters
    ----------
    fisher
        Symmetric ``p × p`` information matrix (``JᵀJ`` for weighted
        residuals; the Hessian of −log L; half the Hessian of χ²).
    s2
        Residual variance factor (1 for known noise).
    rcond
        Relative eigenvalue threshold of a flat direction.
    """
    F = 0.5 * (np.asarray(fisher, dtype=float) + np.asarray(fisher, dtype=float).T)
    p = F.shape[0]
    if not np.all(np.isfinite(F)):
        nan = np.full((p, p), math.nan)
        return StandardErrors(nan, np.full(p, math.nan), np.zeros(p, dtype=bool), np.eye(p), nan)
    lam, V = np.linalg.eigh(F)
    top = max(float(np.max(np.abs(lam))), 1e-300)
    flat = lam <= rcond * top
    N = V[:, flat]
    loading = np.sum(N ** 2, axis=1) if N.size else np.zeros(p)
    estimable = loading <= LOADING
    inv = np.zeros_like(F)
    keep = ~flat
    if np.any(keep):
        inv = (V[:, keep] / lam[keep]) @ V[:, keep].T
    cov = s2 * inv
    cov[~estimable, :] = math.nan
    cov[:, ~estimable] = math.nan
    se = np.sqrt(np.where(np.diag(cov) >= 0, np.diag(cov), math.nan))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = cov / np.outer(se, se)
    return StandardErrors(cov, se, estimable, N, corr)


@dataclass
class Profile:
    """A profile likelihood of one parameter (estimation scale).

    Attributes
    ----------
    name
        Parameter name.
    values, objective
        The points visited (sorted) and the profile objective there.
    ci
        Interval where the objective stays below the threshold; an open side
        is the bound it reached.
    open_low, open_high
        The profile stayed below the threshold down/up to the bound.
    """

    name: str
    values: list[float] = field(default_factory=list)
    objective: list[float] = field(default_factory=list)
    ci: tuple[float, float] = (math.nan, math.nan)
    open_low: bool = False
    open_high: bool = False


def crossing_interval(excess: Callable[[float], float], v_hat: float, step0: float, lower: float = -math.inf,
                      upper: float = math.inf, growth: float = 1.6, max_steps: int = 40,
                      xtol: float = 1e-10) -> tuple[float, float, bool, bool]:
    """Where a profile statistic crosses its threshold on each side of ``v_hat``.

    ``excess(v)`` is the profile statistic minus its threshold (≤ 0 inside
    the interval; NaN where the constrained fit fails).  Steps start at
    ``step0`` and grow by ``growth``; the crossing is located by Brent's
    method in the last bracket.

    Returns
    -------
    low, high, open_low, open_high
        A side that reaches its bound without crossing is open (the bound is
        returned); a side whose statistic cannot be followed is NaN.
    """
    from scipy.optimize import brentq

    out, opens = [], []
    for side, bound in ((-1.0, lower), (1.0, upper)):
        inner, step, found, hit_bound = v_hat, step0, None, False
        for _ in range(max_steps):
            v = v_hat + side * step
            if (side < 0 and v <= bound) or (side > 0 and v >= bound):
                v, hit_bound = bound, True
            val = excess(v)
            if np.isfinite(val) and val > 0:
                found = v
                break
            if np.isfinite(val):
                inner = v
            if hit_bound:
                break
            step *= growth
        if found is None:
            if hit_bound and inner == bound:
                out.append(bound)
                opens.append(True)
            elif math.isinf(bound) and not hit_bound and inner != v_hat:
                out.append(side * math.inf)
                opens.append(True)
            else:
                out.append(math.nan if not hit_bound else bound)
                opens.append(hit_bound)
            continue
        try:
            out.append(brentq(excess, min(inner, found), max(inner, found), xtol=xtol * max(1.0, abs(found)),
                              maxiter=100))
        except (ValueError, RuntimeError):  # the statistic is not well behaved on this side
            out.append(math.nan)
        opens.append(False)
    return out[0], out[1], opens[0], opens[1]


def profile(objective, x_best: np.ndarray, value_best: float, j: int, lower: np.ndarray, upper: np.ndarray,
            threshold: float, step0: float, name: str = "", max_nfev: int = 30, xtol: float = 2e-3) -> Profile:
    """Profile likelihood of parameter ``j`` of a least-squares objective.

    At each trial value the other parameters are re-optimized (trust-region
    least squares with the objective's exact Jacobian, warm-started from the
    nearest point already visited), and :func:`crossing_interval` finds where
    χ² crosses ``threshold``.

    Parameters
    ----------
    objective
        A :class:`~receptorkin.estimation.LeastSquaresObjective`.
    x_best, value_best
        Optimum (estimation scale) and its χ².
    j
        Index of the profiled parameter.
    lower, upper
        Bounds (estimation scale).
    threshold
        χ² level of the interval (e.g. ``χ²* + 3.84`` for 95% with known noise).
    step0
        First step (estimation scale), e.g. the standard error.
    xtol
        Accuracy of the end points (estimation scale; 2e-3 log10 units = 0.5%).
    """
    from scipy.optimize import least_squares

    free = np.array([i for i in range(x_best.size) if i != j], dtype=int)
    prof = Profile(name or f"x{j}", [float(x_best[j])], [float(value_best)])
    warm: dict[float, np.ndarray] = {float(x_best[j]): x_best.copy()}
    has_jac = hasattr(objective, "residuals_and_jacobian")

    def chi2_at(v: float) -> float:
        near = min(warm, key=lambda u: abs(u - v))
        start = warm[near].copy()
        start[j] = v
        if free.size == 0:
            r = objective.residuals(start)
            val = float(r @ r)
        else:
            cache: dict = {}

            def both(sub):
                key = sub.tobytes()
                if key not in cache:
                    z = start.copy()
                    z[free] = sub
                    if has_jac:
                        r, J = objective.residuals_and_jacobian(z)
                        cache.clear()
                        cache[key] = (r, J[:, free])
                    else:
                        cache.clear()
                        cache[key] = (objective.residuals(z), None)
                return cache[key]

            kw = {"jac": lambda s: both(s)[1]} if has_jac else {}
            sub0 = np.clip(start[free], lower[free], upper[free])
            try:
                res = least_squares(lambda s: both(s)[0], sub0, bounds=(lower[free], upper[free]), method="trf",
                                    x_scale="jac", ftol=1e-8, xtol=1e-8, gtol=1e-8, max_nfev=max_nfev, **kw)
            except Exception:  # a solver failure far from the optimum: this point cannot be followed
                return math.nan
            start[free] = res.x
            val = float(2 * res.cost)
        warm[v] = start
        prof.values.append(v)
        prof.objective.append(val)
        return val

    step = min(max(step0 if math.isfinite(step0) and step0 > 0 else 0.05, 0.01), 0.5)
    lo, hi, ol, oh = crossing_interval(lambda v: chi2_at(v) - threshold, float(x_best[j]), step,
                                       float(lower[j]), float(upper[j]), growth=1.6, max_steps=12, xtol=xtol)
    order = np.argsort(prof.values)
    prof.values = [prof.values[i] for i in order]
    prof.objective = [prof.objective[i] for i in order]
    prof.ci = (lo, hi)
    prof.open_low, prof.open_high = ol, oh
    return prof


@dataclass
class DeltaEstimate:
    """A function of the parameters at the estimate, with its delta-method uncertainty.

    Attributes
    ----------
    value
        The function at the estimate.
    se
        Its standard error (first-order propagation of the covariance).
    ci
        Interval at the requested level: on the log scale for a positive
        quantity (``value·exp(±z·se/value)``, which stays positive), else
        ``value ± z·se``; NaN when the gradient or the covariance is not finite.
    gradient
        Its gradient on the estimation scale.
    """

    value: float
    se: float
    ci: tuple[float, float]
    gradient: np.ndarray


def delta_method(fn: Callable[[np.ndarray], float], x: np.ndarray, covariance: np.ndarray, *, step: float = 1e-3,
                 level: float = 0.95, log: bool | None = None) -> DeltaEstimate:
    """Delta-method standard error and interval of ``fn(x)``.

    The gradient is a central difference on the estimation scale with
    ``step`` (1e-3 log10 units by default: the truncation error ~step²
    stays below 1e-6 relative and the simulation's own error, at solver
    tolerances ~1e-10, well below that after division by the step).

    Parameters
    ----------
    fn
        Estimation-scale vector -> number.
    x
        Estimate (estimation scale).
    covariance
        Its covariance (estimation scale); NaN entries give NaN results.
    level
        Interval level.
    log
        Build the interval on the log scale (default: when the value is > 0).
    """
    from scipy.stats import norm

    x = np.asarray(x, dtype=float)
    value = float(fn(x))
    g = np.empty(x.size)
    for j in range(x.size):
        up, down = x.copy(), x.copy()
        up[j] += step
        down[j] -= step
        g[j] = (float(fn(up)) - float(fn(down))) / (2 * step)
    cov = np.asarray(covariance, dtype=float)
    used = g != 0
    var = float(g[used] @ cov[np.ix_(used, used)] @ g[used]) if np.any(used) else 0.0
    se = math.sqrt(var) if math.isfinite(var) and var >= 0 else math.nan
    z = float(norm.ppf(0.5 + level / 2))
    if log is None:
        log = value > 0
    if not (math.isfinite(se) and math.isfinite(value)):
        ci = (math.nan, math.nan)
    elif log:
        w = z * se / value
        ci = (value * math.exp(-w), value * math.exp(w))
    else:
        ci = (value - z * se, value + z * se)
    return DeltaEstimate(value, se, ci, g)
