"""Least-squares engine for one or several dose-response curves.

The parameter vector ``theta`` is laid out as drc lays out its coefficients:
parameter by parameter, and within a parameter curve by curve
(``b:1, b:2, ..., c:1, ...``); a parameter shared by all curves appears once,
a fixed one not at all.  ``Design.Q(theta)`` expands it to an (m, K) matrix
of family parameters, one row per curve.

Derivatives of the model in its parameters are taken by the *complex step*
(``Im f(p + ih) / h`` with ``h = 1e-20``), which is exact to rounding; the
second derivatives needed for the full Hessian of the residual sum of
squares are central differences of those exact first derivatives (relative
error ~1e-8).  Standard errors follow drc: ``cov = s^2 (H/2)^-1`` with
``H`` the Hessian of the RSS and ``s^2 = RSS / (n - p)``.

The optimizer is MINPACK's Levenberg-Marquardt (``scipy.optimize.least_squares``,
``method='lm'``) on an unconstrained scale: parameters that must be
positive (``e``, ``EC50``, ``KA``, ``tau``, ...) are fitted as their logarithm.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

import numpy as np

from ..errors import FitError
from .models import CurveModel

__all__ = ["Design", "build_design", "Solution", "DependentParameter", "solve", "hessian_half"]

_H = 1e-20  # complex step
#: stopping tolerances of the Levenberg-Marquardt fit (quoted in the reports' methods)
TOLERANCES: dict[str, float] = {"xtol": 1e-12, "ftol": 1e-12, "gtol": 1e-12}
_LOG_LIMIT = 700.0


@dataclass
class Design:
    """Data and parameter layout of a (joint) curve fit.

    Attributes
    ----------
    model
        The curve model.
    curves
        Curve labels, in order of first appearance in the data.
    fixed
        Family parameters held fixed (the model's own and the caller's).
    shared
        Parameters shared by all curves.
    index
        (m, K) position of each curve's family parameter in ``theta``; -1 if fixed.
    base
        (m, K) values of the fixed parameters.
    names
        Labels of the entries of ``theta`` (``'b:1'``; ``'b'`` when shared or
        with one curve).
    theta_param, theta_curve
        Parameter name and curve label (``None`` when shared) of each entry.
    x, y, w, g, Z
        Doses, responses, weights (1/sd, or ones), curve index (0..m-1) and
        covariates of every observation.
    lines
        File line number of every observation.
    source
        File name, for messages.
    curve_covariates
        Per curve, its covariate values if they are constant within it.
    """

    model: CurveModel
    curves: list[str]
    fixed: dict[str, float]
    shared: tuple[str, ...]
    index: np.ndarray
    base: np.ndarray
    names: list[str]
    theta_param: list[str]
    theta_curve: list[str | None]
    x: np.ndarray
    y: np.ndarray
    w: np.ndarray
    g: np.ndarray
    Z: np.ndarray
    lines: np.ndarray
    source: str = "<data>"
    curve_covariates: list[np.ndarray | None] = field(default_factory=list)
    weighted: bool = False

    def __post_init__(self) -> None:
        fam = self.model.family
        self.family = fam
        self.K = len(fam.parameters)
        self.m = len(self.curves)
        self.p = len(self.names)
        self.n = len(self.y)
        self.free_cols = [j for j in range(self.K) if (self.index[:, j] >= 0).any()]
        self.log_scale = np.array([name in fam.positive for name in self.theta_param], dtype=bool)
        self._pos = self.x > 0
        self._all_pos = bool(self._pos.all())
        self._xp = self.x[self._pos]
        self._lxp = np.log(self._xp)
        self._rows = np.arange(self.n)
        self._mask = self.index >= 0

    # ------------------------------------------------------------------ layout
    def Q(self, theta: np.ndarray) -> np.ndarray:
        """(m, K) family parameters of every curve for ``theta`` (real or complex)."""
        Q = self.base.astype(np.result_type(theta.dtype, float))
        Q[self._mask] = theta[self.index[self._mask]]
        return Q

    def theta_from_Q(self, Q: np.ndarray) -> np.ndarray:
        """Inverse of :meth:`Q`: read ``theta`` from a full (m, K) matrix."""
        theta = np.empty(self.p)
        for c in range(self.m):
            for j in range(self.K):
                k = self.index[c, j]
                if k >= 0:
                    theta[k] = Q[c, j]
        return theta

    def curve_parameters(self, theta: np.ndarray, curve: int) -> dict[str, float]:
        """All family parameter values of one curve."""
        row = self.Q(theta)[curve]
        return {name: float(np.real(v)) for name, v in zip(self.family.parameters, row)}

    # ------------------------------------------------------------------ model
    def f_P(self, P: np.ndarray) -> np.ndarray:
        """Model values at every observation for the per-observation matrix ``P``."""
        fam = self.family
        if self._all_pos:
            return fam.function(self.x, self._lxp, P, self.Z)
        out = np.empty(self.n, dtype=np.result_type(P.dtype, float))
        pos = self._pos
        out[pos] = fam.function(self._xp, self._lxp, P[pos], self.Z[pos])
        out[~pos] = fam.limits(P[~pos], self.Z[~pos])[0]
        return out

    def predict(self, theta: np.ndarray) -> np.ndarray:
        """Fitted values at the observations."""
        return self.f_P(self.Q(theta)[self.g])

    def dfdP(self, P: np.ndarray) -> np.ndarray:
        """(n, K) derivatives of the model in the family parameters (complex step)."""
        D = np.zeros((self.n, self.K))
        Pc = P.astype(complex)
        for j in self.free_cols:
            Pc[:, j] += 1j * _H
            D[:, j] = self.f_P(Pc).imag / _H
            Pc[:, j] = P[:, j]
        return D

    def jacobian(self, theta: np.ndarray) -> np.ndarray:
        """(n, p) derivatives of the fitted values in ``theta``."""
        P = self.Q(theta)[self.g]
        D = self.dfdP(P)
        J = np.zeros((self.n, self.p))
        for j in self.free_cols:
            cols = self.index[self.g, j]
            ok = cols >= 0
            J[self._rows[ok], cols[ok]] = D[ok, j]
        return J

    def d2fdP2(self, P: np.ndarray) -> np.ndarray:
        """(n, K, K) second derivatives of the model in the family parameters.

        Central differences of the exact complex-step first derivatives.  The
        step of each parameter is 1e-4 of its *natural scale*: the change
        that moves the curve by the spread of the responses
        (``ptp(y) / rms(df/dp)``, per curve), so that parameters of any
        magnitude (an EC50 of 1e-8 M, a lower limit near 0) get a step that
        is small relative to how precisely the data determine them but large
        against rounding; the truncation error is ~1e-8 relative.
        """
        H = np.zeros((self.n, self.K, self.K))
        D0 = self.dfdP(P)
        yscale = float(np.ptp(self.y)) or max(float(np.max(np.abs(self.y))), 1.0)
        for l in self.free_cols:
            rms = np.sqrt(np.bincount(self.g, weights=D0[:, l] ** 2, minlength=self.m)
                          / np.maximum(np.bincount(self.g, minlength=self.m), 1))
            scale = np.where(rms > 0, yscale / np.where(rms > 0, rms, 1.0), np.nan)[self.g]
            fallback = np.abs(P[:, l]) + 1.0
            step = 1e-4 * np.where(np.isfinite(scale) & (scale > 0), scale, fallback)
            Pp = P.copy()
            Pm = P.copy()
            Pp[:, l] += step
            Pm[:, l] -= step
            H[:, :, l] = (self.dfdP(Pp) - self.dfdP(Pm)) / (2 * step)[:, None]
        return 0.5 * (H + H.transpose(0, 2, 1))

    # ------------------------------------------------------------------ shape
    def ordered_pairs(self) -> list[tuple[int, int, float, float]]:
        """The ``lower <= upper`` constraints of an asymmetric family.

        Returns
        -------
        list of (k_lower, k_upper, lower_value, upper_value)
            One entry per distinct pair of ``theta`` positions (-1 for a fixed
            parameter, whose value is then given); empty when the family's
            mirror image is the same curve.
        """
        fam = self.family
        if fam.ordered is None or (fam.symmetric_when and all(
                name in self.fixed and float(self.fixed[name]) == float(v)
                for name, v in fam.symmetric_when.items())):
            return []
        jl, ju = (fam.parameters.index(n) for n in fam.ordered)
        pairs: list[tuple[int, int, float, float]] = []
        for c in range(self.m):
            kl, ku = int(self.index[c, jl]), int(self.index[c, ju])
            if kl < 0 and ku < 0:
                continue
            pair = (kl, ku, float(self.base[c, jl]), float(self.base[c, ju]))
            if pair not in pairs:
                pairs.append(pair)
        return pairs

    def in_shape(self, theta: np.ndarray) -> bool:
        """True when ``theta`` keeps every ``lower <= upper`` of the family."""
        for kl, ku, lo, hi in self.ordered_pairs():
            lo_v = theta[kl] if kl >= 0 else lo
            hi_v = theta[ku] if ku >= 0 else hi
            if not lo_v <= hi_v:
                return False
        return True

    # ------------------------------------------------------------------ transforms
    def to_phi(self, theta: np.ndarray) -> np.ndarray:
        """Unconstrained optimizer coordinates (log for positive parameters)."""
        phi = theta.astype(float).copy()
        phi[self.log_scale] = np.log(theta[self.log_scale])
        return phi

    def to_theta(self, phi: np.ndarray) -> np.ndarray:
        """Inverse of :meth:`to_phi`."""
        theta = phi.copy()
        theta[self.log_scale] = np.exp(np.clip(phi[self.log_scale], -_LOG_LIMIT, _LOG_LIMIT))
        return theta


def hessian_half(design: Design, theta: np.ndarray) -> np.ndarray:
    """Half the Hessian of the (weighted) residual sum of squares at ``theta``.

    ``H/2 = J'WJ - sum_i w_i (y_i - f_i) d2f_i``, with ``W = diag(w^2)``.
    """
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        P = design.Q(theta)[design.g]
        f = design.f_P(P)
        w2 = design.w ** 2
        J = design.jacobian(theta)
        Hh = (J * w2[:, None]).T @ J
        r = w2 * (design.y - f)
        D2 = design.d2fdP2(P)
    for c in range(design.m):
        rows = design.g == c
        S = np.einsum("i,ijk->jk", r[rows], D2[rows])
        idx = design.index[c]
        for a in design.free_cols:
            ia = idx[a]
            if ia < 0:
                continue
            for b in design.free_cols:
                ib = idx[b]
                if ib < 0:
                    continue
                Hh[ia, ib] -= S[a, b]
    return 0.5 * (Hh + Hh.T)


@dataclass
class Solution:
    """Outcome of one optimizer run."""

    theta: np.ndarray
    rss: float
    success: bool
    message: str
    nfev: int


def solve(
    design: Design,
    theta0: np.ndarray,
    *,
    hold: Sequence[int] = (),
    dependent: "DependentParameter | None" = None,
    max_nfev: int | None = None,
) -> Solution:
    """Minimize the residual sum of squares from ``theta0``.

    Parameters
    ----------
    design
        Data and layout.
    theta0
        Start (natural scale); entries in ``hold`` keep their value.
    hold
        Indices of ``theta`` held fixed (profile likelihood).
    dependent
        An entry of ``theta`` computed from the others (ED-value profiles).
    max_nfev
        Limit on function evaluations.
    """
    from scipy.optimize import least_squares

    hold_set = set(int(h) for h in hold)
    if dependent is not None:
        hold_set.add(dependent.index)
    free = np.array([k for k in range(design.p) if k not in hold_set], dtype=int)
    theta_start = np.asarray(theta0, float).copy()
    gaps = _gap_transforms(design, hold_set)
    for k, ref, const, sign in gaps:  # a start outside the family's shape: mirror it in
        base = theta_start[ref] if ref >= 0 else const
        if not sign * (theta_start[k] - base) > 0:
            theta_start[k] = base + sign * max(abs(theta_start[k] - base), 1e-3 * (float(np.ptp(design.y)) or 1.0))
    phi_all = design.to_phi(theta_start)
    for k, ref, const, sign in gaps:
        phi_all[k] = np.log(sign * (theta_start[k] - (theta_start[ref] if ref >= 0 else const)))
    w = design.w
    y = design.y

    def full_theta(z: np.ndarray) -> np.ndarray:
        phi = phi_all.copy()
        phi[free] = z
        theta = design.to_theta(phi)
        for k, ref, const, sign in gaps:
            theta[k] = (theta[ref] if ref >= 0 else const) + sign * np.exp(np.clip(phi[k], -_LOG_LIMIT, _LOG_LIMIT))
        if dependent is not None:
            theta[dependent.index] = dependent.value(theta)
        return theta

    def fun(z: np.ndarray) -> np.ndarray:
        theta = full_theta(z)
        r = w * (design.predict(theta) - y)
        if not np.all(np.isfinite(r)):
            r = np.where(np.isfinite(r), r, 1e100)
        return r

    def jac(z: np.ndarray) -> np.ndarray:
        theta = full_theta(z)
        J = design.jacobian(theta)
        if dependent is not None:
            J = J + np.outer(J[:, dependent.index], dependent.gradient(theta))
        if gaps:
            J = (J @ _chain(design, theta, free, gaps)) * w[:, None]
        else:
            J = J[:, free]
            scale = np.where(design.log_scale[free], theta[free], 1.0)
            J = J * (w[:, None] * scale[None, :])
        if not np.all(np.isfinite(J)):
            J = np.where(np.isfinite(J), J, 0.0)
        return J

    if free.size == 0:
        theta = full_theta(np.empty(0))
        r = fun(np.empty(0))
        return Solution(theta, float(r @ r), True, "no free parameters", 1)
    z0 = phi_all[free]
    # trial steps may overflow exp() far from the optimum; such points get a
    # huge residual (see fun) and are rejected by the optimizer, so the
    # floating-point warnings they raise are noise
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        try:
            res = least_squares(fun, z0, jac=jac, method="lm", **TOLERANCES,
                                max_nfev=max_nfev or 200 * (free.size + 1))
        except (ValueError, np.linalg.LinAlgError, FloatingPointError) as exc:
            return Solution(full_theta(z0), np.inf, False, f"optimizer failed: {exc}", 0)
        theta = full_theta(res.x)
        r = fun(res.x)
    rss = float(r @ r)
    ok = bool(res.status > 0) and np.isfinite(rss) and rss < 1e199
    return Solution(theta, rss, ok, str(res.message), int(res.nfev))


def _gap_transforms(design: Design, held: set[int]) -> list[tuple[int, int, float, int]]:
    """Entries of ``theta`` fitted as the log of their distance to a partner.

    Keeps ``lower <= upper`` for asymmetric families: per pair, the entry
    that belongs to that pair alone (and is neither held nor dependent) is
    written ``partner + sign * exp(z)``.  Returns ``(k, partner_k, partner
    value if fixed, sign)`` tuples; a partner is never itself transformed.
    """
    pairs = design.ordered_pairs()
    if not pairs:
        return []
    uses: dict[int, int] = {}
    for kl, ku, _, _ in pairs:
        for k in {kl, ku}:
            if k >= 0:
                uses[k] = uses.get(k, 0) + 1
    out: list[tuple[int, int, float, int]] = []
    taken: set[int] = set()
    for kl, ku, lo, hi in pairs:
        if ku >= 0 and ku not in held and uses[ku] == 1 and kl not in taken:
            out.append((ku, kl, lo, 1))
            taken.add(ku)
        elif kl >= 0 and kl not in held and uses[kl] == 1 and ku not in taken:
            out.append((kl, ku, hi, -1))
            taken.add(kl)
    return out


def _chain(design: Design, theta: np.ndarray, free: np.ndarray,
           gaps: list[tuple[int, int, float, int]]) -> np.ndarray:
    """(p, len(free)) derivative of ``theta`` in the optimizer coordinates."""
    M = np.zeros((design.p, free.size))
    col = {int(k): j for j, k in enumerate(free)}
    for k, j in col.items():
        M[k, j] = theta[k] if design.log_scale[k] else 1.0
    for k, ref, const, _ in gaps:
        if k in col:
            M[k, col[k]] = theta[k] - (theta[ref] if ref >= 0 else const)
        if ref >= 0:
            M[k] += M[ref]
    return M


@dataclass
class DependentParameter:
    """An entry of ``theta`` defined by the others (used by ED profiles).

    ``value(theta)`` returns it; ``gradient(theta)`` its derivative with
    respect to every entry of ``theta`` (zero at its own index).
    """

    index: int
    value: Callable[[np.ndarray], float]
    gradient: Callable[[np.ndarray], np.ndarray]


def build_design(
    model: CurveModel,
    x: np.ndarray,
    y: np.ndarray,
    curve_index: np.ndarray,
    curves: Sequence[str],
    *,
    Z: np.ndarray | None = None,
    sd: np.ndarray | None = None,
    shared: Sequence[str] = (),
    fixed: Mapping[str, float] | None = None,
    lines: np.ndarray | None = None,
    source: str = "<data>",
) -> Design:
    """Lay out the parameters of a joint fit.

    Parameters
    ----------
    model
        Curve model.
    x, y
        Doses (>= 0) and responses.
    curve_index
        Curve (0..m-1) of every observation.
    curves
        Curve labels.
    Z
        (n, q) covariates in the order of ``model.family.covariates``.
    sd
        Standard deviations for weighting (weights 1/sd), or ``None``.
    shared
        Parameters shared by every curve.
    fixed
        Parameters held at given values (in addition to the model's own).
    lines, source
        Where each observation comes from, for messages.
    """
    fam = model.family
    allfixed = dict(model.fixed)
    allfixed.update({k: float(v) for k, v in (fixed or {}).items()})
    m = len(curves)
    K = len(fam.parameters)
    index = np.full((m, K), -1, dtype=int)
    base = np.zeros((m, K))
    names: list[str] = []
    tparam: list[str] = []
    tcurve: list[str | None] = []
    for j, pname in enumerate(fam.parameters):
        if pname in allfixed:
            base[:, j] = allfixed[pname]
            continue
        if m == 1:
            index[0, j] = len(names)
            names.append(pname)
            tparam.append(pname)
            tcurve.append(curves[0])
        elif pname in shared:
            index[:, j] = len(names)
            names.append(pname)
            tparam.append(pname)
            tcurve.append(None)
        else:
            for c in range(m):
                index[c, j] = len(names)
                names.append(f"{pname}:{curves[c]}")
                tparam.append(pname)
                tcurve.append(curves[c])
    n = len(y)
    Zm = np.zeros((n, 0)) if Z is None else np.asarray(Z, float).reshape(n, -1)
    g = np.asarray(curve_index, dtype=int)
    ccov: list[np.ndarray | None] = []
    for c in range(m):
        rows = Zm[g == c]
        if rows.shape[1] == 0:
            ccov.append(np.zeros(0))
        elif len(rows) and np.all(rows == rows[0]):
            ccov.append(rows[0].copy())
        else:
            ccov.append(None)
    w = np.ones(n) if sd is None else 1.0 / np.asarray(sd, float)
    if not names:
        raise FitError(f"model {model.name}: every parameter is fixed; nothing to fit")
    return Design(
        model=model, curves=[str(c) for c in curves], fixed=allfixed,
        shared=tuple(s for s in shared if m > 1), index=index, base=base, names=names,
        theta_param=tparam, theta_curve=tcurve, x=np.asarray(x, float), y=np.asarray(y, float),
        w=w, g=g, Z=Zm, lines=np.arange(2, n + 2) if lines is None else np.asarray(lines, int),
        source=source, curve_covariates=ccov, weighted=sd is not None,
    )
