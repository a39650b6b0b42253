"""Dose-response curve models: families, named models and their registry.

A *family* is a formula with its full parameter list (drc's ``llogistic``,
``weibull1``, ...); a *model* is a family with some parameters held fixed
(``LL.3`` is the log-logistic family with ``c = 0`` and ``f = 1``), exactly
as drc builds its named models.  Parametrizations follow drc (natural log):

=========  ====================================================================
LL.5       c + (d - c) / (1 + exp(b (log x - log e)))^f
LL.4       LL.5 with f = 1;  LL.3: also c = 0;  LL.2: also d = 1
W1.4       c + (d - c) exp(-exp(b (log x - log e)));  W1.3: c = 0
W2.4       c + (d - c) (1 - exp(-exp(b (log x - log e))));  W2.3: c = 0
EXD.3      c + (d - c) exp(-x / e);  EXD.2: c = 0
BC.5       c + (d - c + f x) / (1 + exp(b (log x - log e)));  BC.4: c = 0
sigEmax    E0 + Emax x^hill / (EC50^hill + x^hill);  Emax: hill = 1;  Hill: E0 = 0
sigEmax.p  the same with pEC50 = -log10(EC50);  Hill.p: E0 = 0
operational  basal + Em tau^n x^n / ((KA + x)^n + tau^n x^n)   (Black & Leff 1983)
schild     bottom + (top - bottom) / (1 + (EC50' / x)^hill),
           EC50' = EC50 (1 + (B 10^pA2)^s)   (Gaddum/Schild; B = antagonist)
=========  ====================================================================

A dose of 0 is a control: its value is the limit of the formula as the dose
goes to 0 (``d`` for a decreasing log-logistic curve), never a logarithm of 0.

Every formula is written with operations that accept complex numbers, so
derivatives are taken by the complex step (exact to rounding); see
:mod:`receptorkin.curves.engine`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np

from ..errors import FitError

__all__ = ["CurveFamily", "CurveModel", "MODELS", "get_model", "model_names"]

LN10 = float(np.log(10.0))


# --------------------------------------------------------------------------- helpers
def _sig(t: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(t)), stable for large |t| and complex-step safe."""
    flip = t.real > 0
    tt = np.where(flip, -t, t)
    ex = np.exp(tt)
    return np.where(flip, ex / (1.0 + ex), 1.0 / (1.0 + ex))


def _softplus(t: np.ndarray) -> np.ndarray:
    """log(1 + exp(t)), stable and complex-step safe."""
    pos = t.real > 0
    tt = np.where(pos, -t, t)
    lp = np.log1p(np.exp(tt))
    return np.where(pos, t + lp, lp)


def _clip_high(t: np.ndarray, limit: float = 40.0) -> np.ndarray:
    """Cap the real part of an exponent where exp(-exp(t)) is 0 to machine precision."""
    return np.where(t.real > limit, limit + 0.0 * t, t)


def _pos(v: np.ndarray) -> np.ndarray:
    return np.real(v) > 0


# A family function takes (x, logx, P, Z): doses x > 0 (n,), their natural
# logs, the parameter matrix P (n, K) in family order and covariates Z (n, q).
FamilyFunction = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], np.ndarray]
LimitFunction = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def _ll(x, lx, P, Z):
    b, c, d, e, f = (P[:, i] for i in range(5))
    t = b * (lx - np.log(e))
    return c + (d - c) * np.exp(-f * _softplus(t))


def _ll_limits(P, Z):
    b, c, d = P[:, 0], P[:, 1], P[:, 2]
    up = _pos(b)
    return np.where(up, d, c), np.where(up, c, d)


def _w1(x, lx, P, Z):
    b, c, d, e = (P[:, i] for i in range(4))
    t = _clip_high(b * (lx - np.log(e)))
    return c + (d - c) * np.exp(-np.exp(t))


def _w1_limits(P, Z):
    b, c, d = P[:, 0], P[:, 1], P[:, 2]
    up = _pos(b)
    return np.where(up, d, c), np.where(up, c, d)


def _w2(x, lx, P, Z):
    b, c, d, e = (P[:, i] for i in range(4))
    t = _clip_high(b * (lx - np.log(e)))
    return c - (d - c) * np.expm1(-np.exp(t))


def _w2_limits(P, Z):
    b, c, d = P[:, 0], P[:, 1], P[:, 2]
    up = _pos(b)
    return np.where(up, c, d), np.where(up, d, c)


def _exd(x, lx, P, Z):
    c, d, e = P[:, 0], P[:, 1], P[:, 2]
    return c + (d - c) * np.exp(-x / e)


def _exd_limits(P, Z):
    return P[:, 1], P[:, 0]


def _bc(x, lx, P, Z):
    b, c, d, e, f = (P[:, i] for i in range(5))
    t = b * (lx - np.log(e))
    return c + (d - c + f * x) * _sig(t)


def _bc_limits(P, Z):
    b, c, d = P[:, 0], P[:, 1], P[:, 2]
    up = _pos(b)
    return np.where(up, d, c), np.where(up, c, np.nan + 0.0 * c)


def _sigemax(x, lx, P, Z):
    e0, emax, ec50, hill = (P[:, i] for i in range(4))
    return e0 + emax * _sig(-hill * (lx - np.log(ec50)))


def _sigemax_limits(P, Z):
    e0, emax, hill = P[:, 0], P[:, 1], P[:, 3]
    up = _pos(hill)
    return np.where(up, e0, e0 + emax), np.where(up, e0 + emax, e0)


def _sigemax_p(x, lx, P, Z):
    e0, emax, pec50, hill = (P[:, i] for i in range(4))
    return e0 + emax * _sig(-hill * (lx + pec50 * LN10))


def _operational(x, lx, P, Z):
    basal, em, ka, tau, n = (P[:, i] for i in range(5))
    return basal + em * _sig(n * (np.log(ka + x) - np.log(tau) - lx))


def _operational_limits(P, Z):
    basal, em, tau, n = P[:, 0], P[:, 1], P[:, 3], P[:, 4]
    return basal, basal + em * _sig(-n * np.log(tau))


def _schild(x, lx, P, Z):
    bottom, top, ec50, hill, pa2, s = (P[:, i] for i in range(6))
    B = Z[:, 0]
    has = B > 0
    lb = np.log(np.where(has, B, 1.0))
    shift = np.where(has, _softplus(s * (lb + pa2 * LN10)), 0.0 * s)
    return bottom + (top - bottom) * _sig(-hill * (lx - np.log(ec50) - shift))


def _schild_limits(P, Z):
    bottom, top, hill = P[:, 0], P[:, 1], P[:, 3]
    up = _pos(hill)
    return np.where(up, bottom, top), np.where(up, top, bottom)


# --------------------------------------------------------------------------- records
@dataclass(frozen=True)
class CurveFamily:
    """A dose-response formula with its full parameter list.

    Attributes
    ----------
    name
        Family id (``'LL'``, ``'W1'``, ...).
    parameters
        Parameter names in order.
    formula
        The formula as text.
    function
        ``f(x, log_x, P, Z)`` for doses ``x > 0``; ``P`` is the (n, K)
        parameter matrix in ``parameters`` order, ``Z`` the (n, q) covariates.
    limits
        ``(P, Z) -> (f(0+), f(inf))``: the control level and the asymptote at
        high dose.
    positive
        Parameters that must stay > 0 (fitted on the log scale).
    dose_scale
        The parameter by which doses enter as ``x / scale`` (ED values are
        proportional to it), or ``None``.
    covariates
        Names of extra per-point inputs (the Schild family's antagonist
        concentration).
    default_shared
        Parameters shared between curves unless the caller says otherwise.
    ordered
        ``(lower, upper)``: two parameters whose meaning is "lower limit" and
        "upper limit".  For an asymmetric family (Weibull, the 5PL) swapping
        them and reversing the slope gives a curve of a *different* shape
        (a Weibull-1 with c > d is a Weibull-2), so fits keep
        ``lower <= upper``.  ``None`` for families whose mirror image is the
        same curve.
    symmetric_when
        Fixed values that make the family symmetric again (the log-logistic
        family with ``f = 1``): with them the order is not imposed.
    """

    name: str
    parameters: tuple[str, ...]
    formula: str
    function: FamilyFunction
    limits: LimitFunction
    positive: tuple[str, ...] = ()
    dose_scale: str | None = None
    covariates: tuple[str, ...] = ()
    default_shared: tuple[str, ...] = ()
    ordered: tuple[str, str] | None = None
    symmetric_when: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class CurveModel:
    """A named dose-response model: a family with some parameters fixed.

    Attributes
    ----------
    name
        Model name as in drc (``'LL.4'``) or a pharmacology name (``'sigEmax'``).
    family
        The :class:`CurveFamily`.
    fixed
        Family parameters this model holds at a constant value.
    description
        One line for reports.
    """

    name: str
    family: CurveFamily
    fixed: Mapping[str, float] = field(default_factory=dict)
    description: str = ""

    @property
    def parameters(self) -> tuple[str, ...]:
        """Names of the free parameters, in family order."""
        return tuple(p for p in self.family.parameters if p not in self.fixed)

    @property
    def formula(self) -> str:
        """Family formula followed by the fixed values."""
        if not self.fixed:
            return self.family.formula
        fixed = ", ".join(f"{k} = {v:g}" for k, v in self.fixed.items())
        return f"{self.family.formula}  with {fixed}"

    def evaluate(self, dose: np.ndarray | float, covariates: Mapping[str, object] | None = None, **params: float) -> np.ndarray:
        """Evaluate the curve at ``dose`` for the given parameter values.

        Parameters
        ----------
        dose
            Dose(s) >= 0, in the units of the data.
        covariates
            Values of the family's covariates (e.g. ``{'antagonist': 1e-8}``).
        **params
            Values of the free parameters (fixed ones may be overridden).

        Returns
        -------
        numpy.ndarray
            Responses, same shape as ``dose``.
        """
        values = dict(self.fixed)
        values.update(params)
        missing = [p for p in self.family.parameters if p not in values]
        if missing:
            raise FitError(f"model {self.name}: missing parameter value(s) {', '.join(missing)}")
        x = np.atleast_1d(np.asarray(dose, dtype=float))
        P = np.tile(np.array([float(values[p]) for p in self.family.parameters]), (x.size, 1))
        Z = np.zeros((x.size, len(self.family.covariates)))
        for j, name in enumerate(self.family.covariates):
            if covariates is None or name not in covariates:
                raise FitError(f"model {self.name}: needs the covariate {name!r}")
            Z[:, j] = np.broadcast_to(np.asarray(covariates[name], dtype=float), x.shape)
        out = evaluate_family(self.family, x, P, Z)
        return out.reshape(np.shape(dose)) if np.ndim(dose) else out


def evaluate_family(family: CurveFamily, x: np.ndarray, P: np.ndarray, Z: np.ndarray,
                    log_x: np.ndarray | None = None) -> np.ndarray:
    """Evaluate ``family`` at doses ``x`` (zeros handled as controls).

    ``P`` may be complex (complex-step derivatives).
    """
    pos = x > 0
    if pos.all():
        lx = np.log(x) if log_x is None else log_x
        return family.function(x, lx, P, Z)
    out = np.empty(x.shape, dtype=np.result_type(P.dtype, float))
    if pos.any():
        lx = np.log(x[pos]) if log_x is None else log_x[pos]
        out[pos] = family.function(x[pos], lx, P[pos], Z[pos])
    zero = ~pos
    out[zero] = family.limits(P[zero], Z[zero])[0]
    return out


# --------------------------------------------------------------------------- registry
LL = CurveFamily("LL", ("b", "c", "d", "e", "f"),
                 "c + (d - c) / (1 + exp(b (log x - log e)))^f", _ll, _ll_limits,
                 positive=("e", "f"), dose_scale="e", ordered=("c", "d"), symmetric_when={"f": 1.0})
W1 = CurveFamily("W1", ("b", "c", "d", "e"), "c + (d - c) exp(-exp(b (log x - log e)))",
                 _w1, _w1_limits, positive=("e",), dose_scale="e", ordered=("c", "d"))
W2 = CurveFamily("W2", ("b", "c", "d", "e"), "c + (d - c) (1 - exp(-exp(b (log x - log e))))",
                 _w2, _w2_limits, positive=("e",), dose_scale="e", ordered=("c", "d"))
EXD = CurveFamily("EXD", ("c", "d", "e"), "c + (d - c) exp(-x / e)", _exd, _exd_limits,
                  positive=("e",), dose_scale="e")
BC = CurveFamily("BC", ("b", "c", "d", "e", "f"), "c + (d - c + f x) / (1 + exp(b (log x - log e)))",
                 _bc, _bc_limits, positive=("e",), dose_scale=None)
SIGEMAX = CurveFamily("sigEmax", ("E0", "Emax", "EC50", "hill"),
                      "E0 + Emax x^hill / (EC50^hill + x^hill)", _sigemax, _sigemax_limits,
                      positive=("EC50",), dose_scale="EC50")
SIGEMAX_P = CurveFamily("sigEmax.p", ("E0", "Emax", "pEC50", "hill"),
                        "E0 + Emax / (1 + 10^(-hill (log10 x + pEC50)))", _sigemax_p, _sigemax_limits,
                        positive=(), dose_scale=None)
OPERATIONAL = CurveFamily("operational", ("basal", "Em", "KA", "tau", "n"),
                          "basal + Em tau^n x^n / ((KA + x)^n + tau^n x^n)", _operational,
                          _operational_limits, positive=("KA", "tau", "n"), dose_scale="KA",
                          default_shared=("basal", "Em", "KA", "n"))
SCHILD = CurveFamily("schild", ("bottom", "top", "EC50", "hill", "pA2", "s"),
                     "bottom + (top - bottom) / (1 + (EC50 (1 + (B 10^pA2)^s) / x)^hill)",
                     _schild, _schild_limits, positive=("EC50", "s"), dose_scale="EC50",
                     covariates=("antagonist",),
                     default_shared=("bottom", "top", "EC50", "hill", "pA2", "s"))


def _m(name: str, family: CurveFamily, description: str, **fixed: float) -> CurveModel:
    return CurveModel(name, family, dict(fixed), description)


#: every named model, by name
MODELS: dict[str, CurveModel] = {m.name: m for m in [
    _m("LL.2", LL, "log-logistic, lower limit 0 and upper limit 1", c=0.0, d=1.0, f=1.0),
    _m("LL.3", LL, "log-logistic, lower limit 0", c=0.0, f=1.0),
    _m("LL.4", LL, "log-logistic (4PL)", f=1.0),
    _m("LL.5", LL, "generalized log-logistic with asymmetry f (5PL)"),
    _m("W1.3", W1, "Weibull type 1, lower limit 0", c=0.0),
    _m("W1.4", W1, "Weibull type 1"),
    _m("W2.3", W2, "Weibull type 2, lower limit 0", c=0.0),
    _m("W2.4", W2, "Weibull type 2"),
    _m("EXD.2", EXD, "exponential decay, lower limit 0", c=0.0),
    _m("EXD.3", EXD, "exponential decay"),
    _m("BC.4", BC, "Brain-Cousens hormesis, lower limit 0", c=0.0),
    _m("BC.5", BC, "Brain-Cousens hormesis"),
    _m("Emax", SIGEMAX, "hyperbolic Emax model (Hill slope 1)", hill=1.0),
    _m("sigEmax", SIGEMAX, "sigmoid Emax model (EC50 and Hill slope)"),
    _m("Hill", SIGEMAX, "Hill equation without baseline", E0=0.0),
    _m("sigEmax.p", SIGEMAX_P, "sigmoid Emax model with pEC50 = -log10(EC50)"),
    _m("Hill.p", SIGEMAX_P, "Hill equation with pEC50, no baseline", E0=0.0),
    _m("operational", OPERATIONAL, "operational model of agonism (Black & Leff 1983)"),
    _m("schild", SCHILD, "Gaddum/Schild EC50 shift by a competitive antagonist"),
]}

_ALIASES = {"4PL": "LL.4", "5PL": "LL.5"}


def model_names() -> list[str]:
    """Names accepted by :func:`get_model` (aliases ``4PL``/``5PL`` not included)."""
    return list(MODELS)


def get_model(name: str | CurveModel) -> CurveModel:
    """Look up a model by name (``'LL.4'``; ``'4PL'`` is an alias of ``'LL.4'``).

    Raises
    ------
    FitError
        For an unknown name, listing the known ones.
    """
    if isinstance(name, CurveModel):
        return name
    key = _ALIASES.get(name, name)
    if key not in MODELS:
        raise FitError(f"unknown curve model {name!r} (known: {', '.join(MODELS)})")
    return MODELS[key]
