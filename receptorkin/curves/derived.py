"""Quantities derived from fitted curves, each with its gradient in ``theta``.

Predictions, the control level and high-dose asymptote of a curve, and
effective doses ED(p), each returned with its derivative with respect to every
fitted parameter, so that standard errors follow by the delta method
(``se = sqrt(g' V g)``), exactly as drc's ``predict(se.fit = TRUE)``,
``ED`` and ``EDcomp`` compute them.

ED(p), relative (drc's ``type = "relative"``): the dose at which the curve has
gone p % of the way from its control level f(0) to its high-dose asymptote
f(inf).  For drc's log-logistic, Weibull, exponential and Brain-Cousens models
this is the same dose drc's closed forms give (for an increasing curve drc
swaps p to 100 - p internally, which lands on the same definition).
ED, absolute: the dose at which the curve reaches the given response level.
Doses are found by bracketing and Brent's method on the log-dose scale; for
hormesis (Brain-Cousens) the crossing beyond the peak is used, as in drc.
The gradient comes from the implicit-function theorem with complex-step
derivatives, so it is exact to rounding.
"""

from __future__ import annotations

import numpy as np

from ..errors import FitError
from .engine import Design

__all__ = ["predict_grad", "limits_grad", "ed_grad", "delta_se", "EDNotReached"]

_H = 1e-20


class EDNotReached(FitError):
    """The requested response level is not crossed by the fitted curve."""


def _curve_cov(design: Design, curve: int, covariates: np.ndarray | None) -> np.ndarray:
    q = len(design.family.covariates)
    if q == 0:
        return np.zeros(0)
    if covariates is not None:
        return np.asarray(covariates, float).reshape(q)
    cc = design.curve_covariates[curve]
    if cc is None:
        names = ", ".join(design.family.covariates)
        raise FitError(f"curve {design.curves[curve]!r}: {names} varies within the curve; give its value")
    return cc


def _eval(design: Design, x: np.ndarray, lx: np.ndarray, q: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Curve at doses x > 0 (x, lx may be complex) for one parameter row q."""
    n = len(x)
    P = np.broadcast_to(q, (n, len(q)))
    Z = np.broadcast_to(z, (n, len(z)))
    return design.family.function(x, lx, P, Z)


def _eval_any(design: Design, x: np.ndarray, q: np.ndarray, z: np.ndarray) -> np.ndarray:
    n = len(x)
    P = np.broadcast_to(q, (n, len(q)))
    Z = np.broadcast_to(z, (n, len(z)))
    pos = x > 0
    out = np.empty(n, dtype=np.result_type(q.dtype, float))
    if pos.any():
        out[pos] = design.family.function(x[pos], np.log(x[pos]), P[pos], Z[pos])
    if (~pos).any():
        out[~pos] = design.family.limits(P[~pos], Z[~pos])[0]
    return out


def predict_grad(design: Design, theta: np.ndarray, curve: int, dose: np.ndarray,
                 covariates: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Curve values at ``dose`` and their (len(dose), p) gradient in ``theta``."""
    x = np.asarray(dose, float)
    z = _curve_cov(design, curve, covariates)
    q = design.Q(theta)[curve]
    f = _eval_any(design, x, q, z).real
    G = np.zeros((len(x), design.p))
    qc = q.astype(complex)
    for j in design.free_cols:
        k = design.index[curve, j]
        if k < 0:
            continue
        qc[j] += 1j * _H
        G[:, k] += _eval_any(design, x, qc, z).imag / _H
        qc[j] = q[j]
    return f, G


def limits_grad(design: Design, theta: np.ndarray, curve: int,
                covariates: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Control level f(0) and high-dose asymptote f(inf) of a curve, with (2, p) gradient."""
    z = _curve_cov(design, curve, covariates)
    q = design.Q(theta)[curve]
    f0, finf = design.family.limits(q[None, :], z[None, :])
    vals = np.array([np.real(f0[0]), np.real(finf[0])], dtype=float)
    G = np.zeros((2, design.p))
    qc = q.astype(complex)
    for j in design.free_cols:
        k = design.index[curve, j]
        if k < 0:
            continue
        qc[j] += 1j * _H
        a, b = design.family.limits(qc[None, :], z[None, :].astype(complex))
        G[0, k] += np.imag(a[0]) / _H
        G[1, k] += np.imag(b[0]) / _H
        qc[j] = q[j]
    return vals, G


def _search_range(design: Design, q: np.ndarray) -> tuple[float, float]:
    xp = design.x[design.x > 0]
    lo = float(np.log(xp.min())) if len(xp) else 0.0
    hi = float(np.log(xp.max())) if len(xp) else 0.0
    scale = design.family.dose_scale
    if scale is not None:
        ls = float(np.log(np.real(q[design.family.parameters.index(scale)])))
        lo, hi = min(lo, ls), max(hi, ls)
    return lo - 40.0, hi + 40.0


def _bracket_near(fu, hint: float) -> tuple[float, float] | None:
    """A sign-changing bracket of fu found by widening steps around ``hint``."""
    f0 = fu(hint)
    if f0 == 0:
        return hint, hint
    step = 0.05
    for _ in range(12):
        for u in (hint - step, hint + step):
            fv = fu(u)
            if np.isfinite(fv) and np.sign(fv) != np.sign(f0):
                return (min(u, hint), max(u, hint))
        step *= 2
    return None


def ed_grad(design: Design, theta: np.ndarray, curve: int, p: float, kind: str = "relative",
            covariates: np.ndarray | None = None, hint: float | None = None) -> tuple[float, np.ndarray]:
    """Effective dose ED(p) of one curve and its gradient in ``theta``.

    Parameters
    ----------
    design, theta
        The fit.
    curve
        Curve index.
    p
        Percent (0 < p < 100) for ``kind='relative'``; a response level for
        ``kind='absolute'``.
    kind
        ``'relative'`` or ``'absolute'``.
    covariates
        Covariate values when they are not constant within the curve.
    hint
        A nearby log dose: the crossing is searched around it first (for
        monotone curves, used by profile fits that call this many times).

    Raises
    ------
    EDNotReached
        If the fitted curve never reaches the level.
    """
    from scipy.optimize import brentq

    z = _curve_cov(design, curve, covariates)
    q = design.Q(theta)[curve].astype(float)
    if kind == "relative":
        lim, LG = limits_grad(design, theta, curve, covariates)
        target = lim[0] + (lim[1] - lim[0]) * p / 100.0
        dT = LG[0] + (LG[1] - LG[0]) * p / 100.0
    else:
        target = float(p)
        dT = np.zeros(design.p)
    if not np.isfinite(target):
        raise EDNotReached(f"curve {design.curves[curve]!r}: the curve has no finite asymptote")
    def fu(v: float) -> float:
        return float(_eval(design, np.array([np.exp(v)]), np.array([v]), q, z).real[0] - target)

    bracket = _bracket_near(fu, hint) if hint is not None and np.isfinite(hint) else None
    if bracket is None:
        lo, hi = _search_range(design, q)
        u = np.linspace(lo, hi, 4001)
        F = _eval(design, np.exp(u), u, q, z).real - target
        sign = np.sign(F)
        cross = np.nonzero(sign[:-1] * sign[1:] <= 0)[0]
        cross = cross[np.isfinite(F[cross]) & np.isfinite(F[cross + 1])]
        if len(cross) == 0:
            raise EDNotReached(
                f"curve {design.curves[curve]!r}: the fitted curve never reaches the response level {target:.6g}"
            )
        i = cross[-1]
        bracket = (float(u[i]), float(u[i + 1]))
    a, b = bracket
    fa = fu(a)
    if fa == 0 or a == b:
        u_star = a
    elif fu(b) == 0:
        u_star = b
    else:
        u_star = float(brentq(fu, a, b, xtol=1e-14, rtol=1e-15, maxiter=200))
    x_star = float(np.exp(u_star))
    # derivative in log dose (complex step)
    uc = np.array([u_star + 1j * _H])
    dFdu = float(_eval(design, np.exp(uc), uc, q.astype(complex), z).imag[0] / _H)
    # derivatives in the parameters
    dF = np.zeros(design.p)
    qc = q.astype(complex)
    xs = np.array([x_star])
    ls = np.array([u_star])
    for j in design.free_cols:
        k = design.index[curve, j]
        if k < 0:
            continue
        qc[j] += 1j * _H
        dF[k] += _eval(design, xs, ls, qc, z).imag[0] / _H
        qc[j] = q[j]
    if dFdu == 0 or not np.isfinite(dFdu):
        grad = np.full(design.p, np.nan)
    else:
        grad = x_star * (dT - dF) / dFdu
    return x_star, grad


def delta_se(grad: np.ndarray, cov: np.ndarray) -> float:
    """Delta-method standard error ``sqrt(g' V g)``."""
    v = float(grad @ cov @ grad)
    return float(np.sqrt(v)) if v >= 0 else float("nan")
