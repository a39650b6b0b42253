"""Profile-likelihood confidence intervals for curve parameters and ED values.

At each trial value of the quantity of interest every other parameter is
re-optimized; the interval holds the values whose profile t statistic
``sqrt(RSS_profile - RSS) / s`` stays below the t(df) quantile (Bates &
Watts 1988, as R's ``confint`` for ``nls``).  ED values are profiled by
eliminating the dose-scale parameter (ED is proportional to ``e``,
``EC50`` or ``KA``; for the pEC50 models ``pEC50`` shifts log10 ED) so that
the ED equals each trial value.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from ..errors import FitError
from .derived import EDNotReached, delta_se, ed_grad
from .engine import DependentParameter, solve
from .models import LN10
from .protocol import CurveFit

__all__ = ["profile_interval", "profile_parameter", "profile_ed"]


def _tq(level: float, df: int) -> float:
    from scipy.stats import t

    return float(t.ppf(1 - (1 - level) / 2, df))


def profile_interval(result: CurveFit, rss_at: Callable[[float], float], v_hat: float, se: float,
                     log: bool, level: float) -> tuple[float, float]:
    """Solve ``|profile t(v)| = t-quantile`` on both sides of ``v_hat``.

    Parameters
    ----------
    result
        The fit (its RSS and residual variance).
    rss_at
        Profile RSS at a trial value (NaN if the constrained fit fails).
    v_hat, se
        Estimate and its standard error (to size the first steps).
    log
        Search on the log scale (positive quantities).
    level
        Confidence level.

    Returns
    -------
    (low, high)
        An unbounded side is 0 (log scale) or +-inf; a side whose profile
        cannot be followed is NaN.
    """
    from ..estimation.uncertainty import crossing_interval

    tq = _tq(level, result.df)
    s = math.sqrt(result.sigma2) if np.isfinite(result.sigma2) else 0.0
    if s <= 0:  # an exact fit (or no residual degrees of freedom): no profile to follow
        return float("nan"), float("nan")

    def excess(v: float) -> float:
        rss = rss_at(v)
        if not np.isfinite(rss):
            return float("nan")
        return math.sqrt(max(rss - result.rss, 0.0)) / s - tq

    # the package's one profile search (shared with mechanistic fits), in u: v = v_hat·e^u or v_hat + u
    if log:
        h0 = max(se / abs(v_hat), 1e-3) * tq if np.isfinite(se) else 0.5

        def to_v(u: float) -> float:
            return v_hat * math.exp(u)
    else:
        h0 = (se if np.isfinite(se) and se > 0 else max(abs(v_hat), 1.0) * 0.1) * tq

        def to_v(u: float) -> float:
            return v_hat + u
    u_lo, u_hi, _, _ = crossing_interval(lambda u: excess(to_v(u)), 0.0, h0, growth=1.6, max_steps=40, xtol=1e-10)
    return (0.0 if (log and u_lo == -math.inf) else to_v(u_lo)), to_v(u_hi)


def profile_parameter(result: CurveFit, k: int, level: float) -> tuple[float, float]:
    """Profile interval of entry ``k`` of ``theta``."""
    theta_hat = result.theta.copy()

    def rss_at(v: float) -> float:
        t0 = theta_hat.copy()
        t0[k] = v
        sol = solve(result.design, t0, hold=[k])
        return sol.rss if sol.success else float("nan")

    return profile_interval(result, rss_at, float(theta_hat[k]), float(result.se[k]),
                            bool(result.design.log_scale[k]), level)


def profile_ed(result: CurveFit, curve: int, p: float, level: float) -> tuple[float, float]:
    """Profile interval of the relative ED(p) of one curve.

    Raises
    ------
    FitError
        If the model has no dose-scale parameter (Brain-Cousens) or it is fixed.
    """
    d = result.design
    fam = d.family
    if fam.dose_scale is not None:
        j = fam.parameters.index(fam.dose_scale)
        additive = False
    elif "pEC50" in fam.parameters:
        j = fam.parameters.index("pEC50")
        additive = True
    else:
        raise FitError(f"model {result.model.name}: its doses do not enter through one scale parameter, "
                       "so ED profiles are not available; use the delta-method interval of ed()")
    k = int(d.index[curve, j])
    if k < 0:
        raise FitError(f"{fam.parameters[j]!r} is fixed in this fit; ED profiles need it free")
    ed_hat, g_hat = ed_grad(d, result.theta, curve, p, "relative")
    se_hat = delta_se(g_hat, result.cov)

    def make_dependent(v: float) -> DependentParameter:
        hint = math.log(v)

        def value(theta: np.ndarray) -> float:
            ed, _ = ed_grad(d, theta, curve, p, "relative", hint=hint)
            if additive:
                return float(theta[k] + math.log10(ed / v))
            return float(theta[k] * v / ed)

        def gradient(theta: np.ndarray) -> np.ndarray:
            ed, g = ed_grad(d, theta, curve, p, "relative", hint=hint)
            g = g.copy()
            g[k] = 0.0
            if additive:
                return -g / (ed * LN10)
            return -theta[k] * g / ed

        return DependentParameter(k, value, gradient)

    def rss_at(v: float) -> float:
        try:
            sol = solve(d, result.theta.copy(), dependent=make_dependent(v))
        except EDNotReached:
            return float("nan")
        return sol.rss if sol.success else float("nan")

    return profile_interval(result, rss_at, ed_hat, se_hat, True, level)
