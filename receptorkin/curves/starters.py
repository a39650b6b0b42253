"""Self-starting values for the curve families (in the spirit of drc's ``ssfct``).

Each starter looks at one curve (doses ``x``, responses ``y``) and returns a
value for every parameter of the family, honouring the parameters the model
holds fixed.  The sigmoid families are linearized: with ``c`` a little below
the lowest and ``d`` a little above the highest mean response,
``log((d - y)/(y - c))`` (log-logistic) or ``log(-log(...))`` (Weibull) is
a straight line in ``log x`` whose slope is ``b`` and whose root is ``log e``.

Families fitted jointly across curves (operational model, Schild) also have a
*global* starter that combines the single-curve starts (Furchgott: top and
EC50 of each curve give ``Em``, ``KA`` and the ``tau`` values; Schild: the
EC50 shifts give ``pA2`` and the slope by a Schild regression) and proposes
several candidates; the fit keeps the best.
"""

from __future__ import annotations

from typing import Callable, Mapping, Sequence

import numpy as np

from .models import CurveFamily

__all__ = ["start_curve", "global_starts"]

_MARGIN = 0.05


def _dose_means(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ux, inv = np.unique(x, return_inverse=True)
    sums = np.bincount(inv, weights=y)
    counts = np.bincount(inv)
    return ux, sums / counts


def _increasing(x: np.ndarray, y: np.ndarray) -> bool:
    ux, my = _dose_means(x, y)
    k = max(1, len(ux) // 3)
    return float(np.mean(my[-k:])) >= float(np.mean(my[:k]))


def _line(u: np.ndarray, t: np.ndarray) -> tuple[float, float] | None:
    """Least-squares slope and intercept of t on u, or None if undetermined."""
    ok = np.isfinite(u) & np.isfinite(t)
    u, t = u[ok], t[ok]
    if len(np.unique(u)) < 2:
        return None
    slope, intercept = np.polyfit(u, t, 1)
    if not np.isfinite(slope) or abs(slope) < 1e-8:
        return None
    return float(slope), float(intercept)


def _limits(y_means: np.ndarray, c: float | None, d: float | None) -> tuple[float, float]:
    lo, hi = float(np.min(y_means)), float(np.max(y_means))
    span = hi - lo if hi > lo else max(abs(hi), 1.0)
    c0 = lo - _MARGIN * span if c is None else c
    d0 = hi + _MARGIN * span if d is None else d
    if d0 <= c0:  # fixed limits inconsistent with the data: keep them ordered
        d0 = c0 + span
    return c0, d0


def _linearized_be(x: np.ndarray, y: np.ndarray, c: float, d: float,
                   transform: Callable[[np.ndarray, float, float], np.ndarray],
                   increasing: bool) -> tuple[float, float]:
    """Slope b and scale e from the straight line transform(y) = b log x - b log e."""
    ux, my = _dose_means(x, y)
    pos = ux > 0
    lo, hi = min(c, d), max(c, d)
    inside = pos & (my > lo) & (my < hi)
    with np.errstate(all="ignore"):
        t = transform(my[inside], c, d)
    fit = _line(np.log(ux[inside]), t)
    xpos = ux[pos]
    if fit is None:
        b = -1.0 if increasing else 1.0
        e = float(np.exp(np.mean(np.log(xpos)))) if len(xpos) else 1.0
        return b, e
    b, intercept = fit
    e = float(np.exp(-intercept / b))
    if len(xpos):  # keep e within a wide margin of the doses tested
        e = float(np.clip(e, xpos.min() * 1e-3, xpos.max() * 1e3))
    b = float(np.clip(b, -20.0, 20.0))
    return b, e


def _t_ll(y, c, d):
    return np.log((d - y) / (y - c))


def _t_w1(y, c, d):
    return np.log(-np.log((y - c) / (d - c)))


def _t_w2(y, c, d):
    return np.log(-np.log((d - y) / (d - c)))


def _start_sigmoid(x, y, fixed, transform):
    c_fix, d_fix = fixed.get("c"), fixed.get("d")
    _, my = _dose_means(x, y)
    c, d = _limits(my, c_fix, d_fix)
    b, e = _linearized_be(x, y, c, d, transform, _increasing(x, y))
    return {"b": b, "c": c, "d": d, "e": e}


def _start_ll(x, y, fixed):
    out = _start_sigmoid(x, y, fixed, _t_ll)
    out["f"] = 1.0
    return out


def _start_w1(x, y, fixed):
    return _start_sigmoid(x, y, fixed, _t_w1)


def _start_w2(x, y, fixed):
    return _start_sigmoid(x, y, fixed, _t_w2)


def _start_bc(x, y, fixed):
    out = _start_sigmoid(x, y, fixed, _t_ll)
    out["f"] = 0.0
    return out


def _start_exd(x, y, fixed):
    ux, my = _dose_means(x, y)
    c, d = _limits(my, fixed.get("c"), fixed.get("d"))
    inside = (my > c) & (my < d)
    with np.errstate(all="ignore"):
        t = np.log((my[inside] - c) / (d - c))
    u = ux[inside]
    denom = float(np.sum(u * u))
    slope = float(np.sum(u * t)) / denom if denom > 0 else 0.0
    pos = ux[ux > 0]
    e = -1.0 / slope if slope < 0 else (float(np.median(pos)) if len(pos) else 1.0)
    return {"c": c, "d": d, "e": e}


def _start_sigemax_core(x, y, fixed):
    """Control level f0, high-dose level finf, EC50 and a positive Hill slope."""
    inc = _increasing(x, y)
    _, my = _dose_means(x, y)
    e0 = fixed.get("E0")
    c_fix = d_fix = None
    if e0 is not None:
        if inc:
            c_fix = e0
        else:
            d_fix = e0
    c, d = _limits(my, c_fix, d_fix)
    b, e = _linearized_be(x, y, c, d, _t_ll, inc)
    if b < 0:
        f0, finf, hill = c, d, -b
    else:
        f0, finf, hill = d, c, b
    return f0, finf, e, hill


def _start_sigemax(x, y, fixed):
    f0, finf, ec50, hill = _start_sigemax_core(x, y, fixed)
    return {"E0": f0, "Emax": finf - f0, "EC50": ec50, "hill": hill}


def _start_sigemax_p(x, y, fixed):
    f0, finf, ec50, hill = _start_sigemax_core(x, y, fixed)
    return {"E0": f0, "Emax": finf - f0, "pEC50": -float(np.log10(ec50)), "hill": hill}


def _start_operational(x, y, fixed):
    f0, finf, ec50, _ = _start_sigemax_core(x, y, {"E0": fixed["basal"]} if "basal" in fixed else {})
    tau = 2.0
    return {"basal": f0, "Em": (finf - f0) * (1 + tau) / tau, "KA": ec50 * (1 + tau), "tau": tau, "n": 1.0}


def _start_schild(x, y, fixed):
    f0, finf, ec50, hill = _start_sigemax_core(x, y, {})
    return {"bottom": f0, "top": finf, "EC50": ec50, "hill": hill, "pA2": 0.0, "s": 1.0}


_STARTERS: dict[str, Callable[[np.ndarray, np.ndarray, Mapping[str, float]], dict[str, float]]] = {
    "LL": _start_ll, "W1": _start_w1, "W2": _start_w2, "EXD": _start_exd, "BC": _start_bc,
    "sigEmax": _start_sigemax, "sigEmax.p": _start_sigemax_p,
    "operational": _start_operational, "schild": _start_schild,
}


def start_curve(family: CurveFamily, x: np.ndarray, y: np.ndarray, fixed: Mapping[str, float]) -> dict[str, float]:
    """Starting values for every parameter of ``family`` from one curve.

    Parameters
    ----------
    family
        The curve family.
    x, y
        Doses (>= 0, 0 = control) and responses of one curve.
    fixed
        Parameters held fixed (their values are returned unchanged).

    Returns
    -------
    dict
        Parameter name -> starting value, for all family parameters.
    """
    values = _STARTERS[family.name](np.asarray(x, float), np.asarray(y, float), fixed)
    values.update(fixed)
    for name in family.positive:
        v = values[name]
        if not np.isfinite(v) or v <= 0:
            values[name] = 1.0
    return values


def _combine(family: CurveFamily, starts: Sequence[Mapping[str, float]], shared: Sequence[str]) -> np.ndarray:
    """(m, K) start matrix: each curve's own start, shared parameters pooled."""
    Q = np.array([[s[p] for p in family.parameters] for s in starts], dtype=float)
    for j, name in enumerate(family.parameters):
        if name in shared:
            col = Q[:, j]
            if name in family.positive:
                Q[:, j] = float(np.exp(np.mean(np.log(col))))
            else:
                Q[:, j] = float(np.median(col))
    return Q


def _global_operational(curves, fixed, shared):
    """Furchgott-style starts: Em above the highest top, tau_i from each top."""
    cores = [_start_sigemax_core(x, y, {"E0": fixed["basal"]} if "basal" in fixed else {}) for x, y, _ in curves]
    basal = float(np.median([c[0] for c in cores])) if "basal" not in fixed else float(fixed["basal"])
    tops = np.array([c[1] - basal for c in cores])
    ec50s = np.array([c[2] for c in cores])
    top_max = tops[np.argmax(np.abs(tops))]
    n = float(fixed.get("n", 1.0))
    candidates = []
    for factor in (1.05, 1.3, 2.0, 4.0):
        em = float(fixed.get("Em", top_max * factor))
        frac = np.clip(tops / em, 0.02, 0.98)
        tau = (frac / (1 - frac)) ** (1.0 / n)
        ka = float(np.exp(np.median(np.log(ec50s * ((2 + tau ** n) ** (1.0 / n) - 1)))))
        starts = []
        for i in range(len(curves)):
            starts.append({"basal": basal, "Em": em, "KA": float(fixed.get("KA", ka)),
                           "tau": float(fixed.get("tau", tau[i])), "n": n})
        candidates.append(starts)
    return candidates


def _global_schild(curves, fixed, shared):
    """EC50 of each antagonist level, then a Schild regression for pA2 and s."""
    cores = [_start_sigemax_core(x, y, {}) for x, y, _ in curves]
    B = np.array([float(z[0]) if z is not None else 0.0 for _, _, z in curves])
    ec50s = np.array([c[2] for c in cores])
    order = np.argsort(B)
    ref = order[0]
    ec50_ref = ec50s[ref]
    r = ec50s / ec50_ref
    use = (B > 0) & (r > 1.05)
    s, pa2 = 1.0, None
    if use.sum() >= 2:
        fit = _line(np.log10(B[use]), np.log10(r[use] - 1))
        if fit is not None and 0.3 < fit[0] < 3.0:
            s, intercept = fit
            pa2 = intercept / s
    if pa2 is None:
        if use.any():
            pa2 = float(np.mean(np.log10(r[use] - 1) - np.log10(B[use])))
        else:
            bpos = B[B > 0]
            pa2 = -float(np.log10(np.median(bpos))) if len(bpos) else 0.0
    base = {
        "bottom": float(np.median([c[0] for c in cores])),
        "top": float(np.median([c[1] for c in cores])),
        "EC50": float(ec50_ref) if B[ref] == 0 else float(ec50_ref / (1 + (B[ref] * 10 ** pa2) ** s)),
        "hill": float(np.median([c[3] for c in cores])),
        "pA2": float(pa2),
        "s": float(s),
    }
    base.update({k: float(v) for k, v in fixed.items()})
    return [[dict(base) for _ in curves]]


_GLOBAL = {"operational": _global_operational, "schild": _global_schild}


def global_starts(
    family: CurveFamily,
    curves: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray | None]],
    fixed: Mapping[str, float],
    shared: Sequence[str],
) -> list[np.ndarray]:
    """Candidate (m, K) start matrices for a joint fit of ``len(curves)`` curves.

    Parameters
    ----------
    family
        The curve family.
    curves
        One ``(x, y, covariates)`` triple per curve (covariates constant
        within the curve, or ``None``).
    fixed
        Parameters held fixed.
    shared
        Parameters shared by all curves (pooled in the start).

    Returns
    -------
    list of numpy.ndarray
        Start matrices, best guess first.
    """
    out = []
    if family.name in _GLOBAL:
        for starts in _GLOBAL[family.name](curves, fixed, shared):
            for s in starts:
                s.update(fixed)
                for name in family.positive:
                    if not np.isfinite(s[name]) or s[name] <= 0:
                        s[name] = 1.0
            out.append(_combine(family, starts, shared))
    else:
        starts = [start_curve(family, x, y, fixed) for x, y, _ in curves]
        out.append(_combine(family, starts, shared))
        if family.name == "LL" and "f" not in fixed:
            # the 5PL: its asymmetry may lie on either side of the midpoint
            for f in (0.3, 3.0):
                out.append(_combine(family, [_asymmetry(s, f) for s in starts], shared))
    return out


def _asymmetry(start: Mapping[str, float], f: float) -> dict[str, float]:
    """A generalized log-logistic start with asymmetry f and the same ED50."""
    out = dict(start)
    out["f"] = f
    # in logs, so that a flat start (b near 0) cannot overflow to e = inf or 0
    log_e = np.log(start["e"]) - np.log(2 ** (1 / f) - 1) / start["b"]
    out["e"] = float(np.exp(np.clip(log_e, np.log(start["e"]) - 20.0, np.log(start["e"]) + 20.0)))
    return out

