"""``CurveFitResult``: estimates, standard errors and everything derived from them."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd

from ..display import NotebookDisplay, deprecated_call, values_text
from ..errors import FitError
from ..jsonout import jsonable
from .derived import EDNotReached, delta_se, ed_grad, limits_grad, predict_grad
from .engine import Design, Solution
from .ftests import TestResult, lack_of_fit as lack_of_fit_test
from .doseunits import MOLAR as _MOLAR
from .models import LN10, CurveModel
from .profile import profile_ed as profile_ed_interval, profile_parameter
from .report import render_report

__all__ = ["CurveFitResult", "to_jsonable"]


def _tq(level: float, df: int) -> float:
    from scipy.stats import t

    return float(t.ppf(1 - (1 - level) / 2, df)) if df > 0 else float("nan")


def to_jsonable(value: Any) -> Any:
    """JSON-ready: numpy scalars to Python, NaN/inf to None (:func:`receptorkin.jsonout.jsonable`)."""
    return jsonable(value)


def _molar_factor(unit: str) -> float:
    return _MOLAR[unit]


def _fmt(v: float, digits: int = 6) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "NA"
    return f"{v:.{digits}g}"


@dataclass
class CurveFitResult(NotebookDisplay):
    """Result of :func:`receptorkin.curves.fit_curve`.

    Attributes
    ----------
    design
        Data and parameter layout (:class:`receptorkin.curves.engine.Design`).
    theta
        Estimates, in the order of :attr:`names` (drc's order).
    cov
        Covariance matrix of ``theta``: ``s^2 (H/2)^-1`` as drc computes it.
    rss
        Residual sum of squares (weighted when the fit is).
    converged
        Whether the optimizer reported convergence.
    message
        The optimizer's message.
    level
        Confidence level of the intervals.
    dose_column, response_column, curve_column
        Column names used.
    notes
        Plain-language warnings (non-identifiable parameters, high correlations).
    """

    design: Design
    theta: np.ndarray
    cov: np.ndarray
    rss: float
    converged: bool
    message: str
    level: float = 0.95
    dose_column: str = "dose"
    response_column: str = "response"
    curve_column: str | None = None
    notes: list[str] = field(default_factory=list)
    dose_unit: str | None = None
    covariate_units: dict[str, str | None] = field(default_factory=dict)
    n_starts: int = 1  #: optimizer runs tried (self-start and its variants)
    n_at_best: int = 1  #: of those, how many reached the best residual sum of squares (relative 1e-6)
    _profiles: dict = field(default_factory=dict, repr=False, compare=False)

    # ------------------------------------------------------------------ construction
    def plot(self, path: str | None = None, *, force: bool = False, ax: Any = None, title: str | None = None) -> Any:
        """Deprecated: use :func:`receptorkin.plot` (``receptorkin.plot(result, path)``)."""
        return deprecated_call("CurveFitResult.plot()", "receptorkin.plot(result, path)", "plots.plot_curve_fit",
                               self, path, force=force, ax=ax, title=title)

    @classmethod
    def from_solution(cls, design: Design, sol: Solution, hessian_half: np.ndarray, *, level: float,
                      dose_column: str, response_column: str, curve_column: str | None,
                      dose_unit: str | None = None,
                      covariate_units: dict[str, str | None] | None = None) -> "CurveFitResult":
        """Build the result from an optimizer solution and ``H/2`` at it."""
        notes: list[str] = []
        df = design.n - design.p
        s2 = sol.rss / df if df > 0 else float("nan")
        cov = np.full((design.p, design.p), np.nan)
        # judge and invert the Hessian on the correlation scale, so that
        # parameters of very different magnitudes (KA ~ 1e-6 M, Em ~ 100) do
        # not look singular
        diag = np.diag(hessian_half)
        ok_diag = bool(np.all(diag > 0)) and bool(np.all(np.isfinite(hessian_half)))
        scale = 1.0 / np.sqrt(np.where(diag > 0, diag, 1.0))
        Hs = np.nan_to_num(hessian_half * np.outer(scale, scale), nan=0.0, posinf=0.0, neginf=0.0)
        try:
            vals, vecs = np.linalg.eigh(Hs)
        except np.linalg.LinAlgError:
            ok_diag, vals, vecs = False, np.zeros(design.p), np.eye(design.p)
        if ok_diag and len(vals) and vals.min() > 1e-10 * max(float(vals.max()), 1.0):
            cov = s2 * np.outer(scale, scale) * ((vecs / vals) @ vecs.T)
            sd = np.sqrt(np.diag(cov))
            corr = cov / np.outer(sd, sd)
            for i in range(design.p):
                for j in range(i + 1, design.p):
                    if abs(corr[i, j]) > 0.995:
                        notes.append(
                            f"{design.names[i]} and {design.names[j]} are hard to tell apart with these data "
                            f"(correlation {corr[i, j]:.3f}); their standard errors are large"
                        )
        else:
            v = vecs[:, 0]
            involved = [design.names[k] for k in np.argsort(-np.abs(v))[:2]]
            notes.append(
                f"the data cannot determine {' and '.join(involved)} separately (the Hessian of the residual "
                "sum of squares is singular or not positive definite); standard errors are not available"
            )
        return cls(design=design, theta=sol.theta, cov=cov, rss=sol.rss, converged=sol.success,
                   message=sol.message, level=level, dose_column=dose_column,
                   response_column=response_column, curve_column=curve_column, notes=notes,
                   dose_unit=dose_unit, covariate_units=dict(covariate_units or {}))

    # ------------------------------------------------------------------ basic facts
    @property
    def model(self) -> CurveModel:
        """The fitted model."""
        return self.design.model

    @property
    def curves(self) -> list[str]:
        """Curve labels in order of first appearance."""
        return list(self.design.curves)

    @property
    def names(self) -> list[str]:
        """Parameter labels (``'b:1'``; plain ``'b'`` if shared or with one curve)."""
        return list(self.design.names)

    @property
    def n(self) -> int:
        """Number of observations."""
        return self.design.n

    @property
    def n_parameters(self) -> int:
        """Number of fitted parameters."""
        return self.design.p

    @property
    def df(self) -> int:
        """Residual degrees of freedom n - p."""
        return self.design.n - self.design.p

    @property
    def sigma2(self) -> float:
        """Residual variance RSS / df."""
        return self.rss / self.df

    @property
    def rse(self) -> float:
        """Residual standard error sqrt(RSS / df) (response units)."""
        return math.sqrt(self.sigma2)

    @property
    def loglik(self) -> float:
        """Gaussian log-likelihood at the estimates (drc's ``logLik``)."""
        n = self.n
        ll = -0.5 * n * (math.log(2 * math.pi) + math.log(self.rss / n) + 1)
        if self.design.weighted:
            ll += float(np.sum(np.log(self.design.w)))
        return ll

    @property
    def aic(self) -> float:
        """Akaike information criterion (the residual variance counts as a parameter)."""
        return -2 * self.loglik + 2 * (self.n_parameters + 1)

    @property
    def aicc(self) -> float:
        """AIC with the small-sample correction 2k(k+1)/(n-k-1), k = p + 1."""
        k = self.n_parameters + 1
        denom = self.n - k - 1
        return self.aic + (2 * k * (k + 1) / denom if denom > 0 else float("inf"))

    @property
    def bic(self) -> float:
        """Bayesian information criterion."""
        return -2 * self.loglik + (self.n_parameters + 1) * math.log(self.n)

    @property
    def se(self) -> np.ndarray:
        """Standard errors of :attr:`theta`."""
        d = np.diag(self.cov)
        return np.sqrt(np.where(d >= 0, d, np.nan))

    @property
    def fitted(self) -> np.ndarray:
        """Fitted values at the observations."""
        return self.design.predict(self.theta)

    @property
    def residuals(self) -> np.ndarray:
        """Observed minus fitted responses."""
        return self.design.y - self.fitted

    @property
    def vcov(self) -> pd.DataFrame:
        """Covariance matrix as a labelled DataFrame."""
        return pd.DataFrame(self.cov, index=self.names, columns=self.names)

    @property
    def coef(self) -> pd.Series:
        """Estimates as a Series labelled by :attr:`names`."""
        return pd.Series(self.theta, index=self.names, name="estimate")

    @property
    def table(self) -> pd.DataFrame:
        """One row per fitted parameter: curve, parameter, estimate, se, ci_low, ci_high.

        ``curve`` is ``'(shared)'`` for a parameter common to all curves.
        Intervals are estimate +- t(df) * se, as drc's ``confint``.
        """
        q = _tq(self.level, self.df)
        se = self.se
        rows = []
        for k in range(self.n_parameters):
            label = self.design.theta_curve[k]
            rows.append({
                "curve": "(shared)" if label is None else label,
                "parameter": self.design.theta_param[k],
                "estimate": float(self.theta[k]),
                "se": float(se[k]),
                "ci_low": float(self.theta[k] - q * se[k]),
                "ci_high": float(self.theta[k] + q * se[k]),
            })
        return pd.DataFrame(rows, columns=["curve", "parameter", "estimate", "se", "ci_low", "ci_high"])

    # ------------------------------------------------------------------ helpers
    def _curve(self, curve: str | int | None) -> list[int]:
        if curve is None:
            return list(range(self.design.m))
        label = str(curve)
        if label not in self.design.curves:
            raise FitError(f"no curve {label!r} in this fit (curves: {', '.join(self.design.curves)})")
        return [self.design.curves.index(label)]

    def parameters(self, curve: str | int | None = None) -> dict[str, float]:
        """All family parameter values (fixed ones included) of one curve."""
        if curve is None:
            if self.design.m > 1:
                raise FitError("several curves: name one with curve=")
            c = 0
        else:
            c = self._curve(curve)[0]
        return self.design.curve_parameters(self.theta, c)

    def _index_of(self, parameter: str, curve: str | int | None) -> int:
        fam = self.design.family
        if parameter not in fam.parameters:
            raise FitError(f"model {self.model.name} has no parameter {parameter!r} "
                           f"(parameters: {', '.join(self.model.parameters)})")
        j = fam.parameters.index(parameter)
        if curve is None and self.design.m > 1 and parameter not in self.design.shared:
            raise FitError(f"{parameter!r} differs between curves: name one with curve=")
        c = self._curve(curve)[0] if curve is not None else 0
        k = int(self.design.index[c, j])
        if k < 0:
            raise FitError(f"{parameter!r} is fixed in this fit (at {self.design.base[c, j]:g})")
        return k

    # ------------------------------------------------------------------ derived quantities
    def ed(self, p: float | Iterable[float] = 50, curve: str | int | None = None, *,
           type: str = "relative", level: float | None = None) -> pd.DataFrame:
        """Effective doses ED(p) with delta-method standard errors (drc's ``ED``).

        Parameters
        ----------
        p
            Percent(s) of the way from the control level to the high-dose
            asymptote (``type='relative'``, 0 < p < 100), or response
            level(s) (``type='absolute'``).
        curve
            One curve label, or ``None`` for all.
        type
            ``'relative'`` or ``'absolute'``.
        level
            Confidence level (default: the fit's).

        Returns
        -------
        pandas.DataFrame
            Columns curve, p, estimate, se, ci_low, ci_high (doses in data
            units; t-based intervals, df = n - p).  A level the curve never
            reaches gives NaN.

        Notes
        -----
        For ``type='absolute'`` the standard error includes the uncertainty
        of the asymptotes through which the level is reached; drc's ``ED``
        leaves those derivatives out, so absolute-type SEs differ from drc's.
        """
        if type not in ("relative", "absolute"):
            raise FitError(f"ED type must be 'relative' or 'absolute' (got {type!r})")
        ps = [float(v) for v in (p if isinstance(p, Iterable) else [p])]
        if type == "relative":
            for v in ps:
                if not 0 < v < 100:
                    raise FitError(f"relative ED level must be between 0 and 100 percent (got {v:g})")
        q = _tq(level or self.level, self.df)
        rows = []
        for c in self._curve(curve):
            for v in ps:
                try:
                    est, grad = ed_grad(self.design, self.theta, c, v, type)
                    se = delta_se(grad, self.cov)
                except EDNotReached:
                    est, se = float("nan"), float("nan")
                rows.append({"curve": self.design.curves[c], "p": v, "estimate": est, "se": se,
                             "ci_low": est - q * se, "ci_high": est + q * se})
        return pd.DataFrame(rows, columns=["curve", "p", "estimate", "se", "ci_low", "ci_high"])

    def ed_ratio(self, p: float = 50, p2: float | None = None, *, pairs: Sequence[tuple[str, str]] | None = None,
                 reference: str | None = None, type: str = "relative", level: float | None = None) -> pd.DataFrame:
        """Ratios of effective doses between curves: relative potency (drc's ``EDcomp``).

        Parameters
        ----------
        p, p2
            ED level of the numerator and of the denominator (``p2`` defaults to ``p``).
        pairs
            ``(numerator, denominator)`` curve labels; default all pairs in
            curve order, or every curve against ``reference``.
        reference
            Curve used as denominator for every other curve.
        type
            ``'relative'`` or ``'absolute'`` ED.
        level
            Confidence level.

        Returns
        -------
        pandas.DataFrame
            numerator, denominator, estimate, se, ci_low, ci_high, t_value
            and p_value (t test of ratio = 1, df = n - p).
        """
        from scipy.stats import t as tdist

        p2 = p if p2 is None else p2
        labels = self.design.curves
        if pairs is None:
            if reference is not None:
                ref = labels[self._curve(reference)[0]]
                pairs = [(c, ref) for c in labels if c != ref]
            else:
                pairs = [(labels[i], labels[j]) for i in range(len(labels)) for j in range(i + 1, len(labels))]
        q = _tq(level or self.level, self.df)
        rows = []
        for a, b in pairs:
            ia, ib = self._curve(a)[0], self._curve(b)[0]
            try:
                ea, ga = ed_grad(self.design, self.theta, ia, p, type)
                eb, gb = ed_grad(self.design, self.theta, ib, p2, type)
            except EDNotReached:
                ea, ga, eb, gb = (float("nan"), np.full(self.n_parameters, np.nan)) * 2
            r = ea / eb
            grad = ga / eb - ea * gb / eb ** 2
            se = delta_se(grad, self.cov)
            tval = (r - 1) / se if se > 0 else float("nan")
            pval = float(2 * tdist.sf(abs(tval), self.df)) if np.isfinite(tval) else float("nan")
            rows.append({"numerator": labels[ia], "denominator": labels[ib], "p": p, "p2": p2,
                         "estimate": r, "se": se, "ci_low": r - q * se, "ci_high": r + q * se,
                         "t_value": tval, "p_value": pval})
        return pd.DataFrame(rows, columns=["numerator", "denominator", "p", "p2", "estimate", "se",
                                           "ci_low", "ci_high", "t_value", "p_value"])

    def predict(self, dose: float | Iterable[float], curve: str | int | None = None, *,
                covariates: Sequence[float] | None = None, level: float | None = None) -> pd.DataFrame:
        """Predicted responses with delta-method SEs (drc's ``predict(se.fit = TRUE)``).

        Parameters
        ----------
        dose
            Dose(s) >= 0 in data units (0 = control level).
        curve
            One curve, or ``None`` for all.
        covariates
            Covariate values (Schild: antagonist concentration) when they are
            not constant within the curve.
        level
            Confidence level of the interval for the mean response.

        Returns
        -------
        pandas.DataFrame
            Columns curve, dose, estimate, se, ci_low, ci_high.
        """
        x = np.atleast_1d(np.asarray(dose, float))
        if np.any(x < 0) or not np.all(np.isfinite(x)):
            raise FitError("doses to predict at must be finite and >= 0")
        q = _tq(level or self.level, self.df)
        rows = []
        for c in self._curve(curve):
            f, G = predict_grad(self.design, self.theta, c, x, covariates)
            se = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", G, self.cov, G), 0))
            for xi, fi, si in zip(x, f, se):
                rows.append({"curve": self.design.curves[c], "dose": float(xi), "estimate": float(fi),
                             "se": float(si), "ci_low": float(fi - q * si), "ci_high": float(fi + q * si)})
        return pd.DataFrame(rows, columns=["curve", "dose", "estimate", "se", "ci_low", "ci_high"])

    def limits(self, curve: str | int | None = None) -> pd.DataFrame:
        """Control level f(0), high-dose asymptote f(inf) and their difference (Emax) per curve, with SEs."""
        rows = []
        for c in self._curve(curve):
            vals, G = limits_grad(self.design, self.theta, c)
            span_g = G[1] - G[0]
            rows.append({"curve": self.design.curves[c], "control": vals[0], "control_se": delta_se(G[0], self.cov),
                         "asymptote": vals[1], "asymptote_se": delta_se(G[1], self.cov),
                         "emax": vals[1] - vals[0], "emax_se": delta_se(span_g, self.cov)})
        return pd.DataFrame(rows)

    def parameter_ratio(self, parameter: str, reference: str | None = None) -> pd.DataFrame:
        """Ratio of a per-curve parameter to its value in the reference curve, with delta-method SE.

        For the operational model, ``parameter_ratio('tau')`` is the fraction
        of receptors left after each pre-treatment (tau is proportional to
        the receptor density; Furchgott 1966).
        """
        ref = self._curve(reference)[0] if reference is not None else 0
        kr = self._index_of(parameter, self.design.curves[ref])
        q = _tq(self.level, self.df)
        rows = []
        for c in range(self.design.m):
            k = self._index_of(parameter, self.design.curves[c])
            r = self.theta[k] / self.theta[kr]
            grad = np.zeros(self.n_parameters)
            grad[k] += 1 / self.theta[kr]
            grad[kr] -= self.theta[k] / self.theta[kr] ** 2
            se = delta_se(grad, self.cov)
            rows.append({"curve": self.design.curves[c], "estimate": r, "se": se,
                         "ci_low": r - q * se, "ci_high": r + q * se})
        return pd.DataFrame(rows)

    def shift_table(self, reference: str | None = None, p: float = 50) -> pd.DataFrame:
        """EC50 shift and Emax loss of every curve relative to a reference curve.

        For curves measured after different pre-treatments (a ``condition``
        column): ED(p) (relative, default the EC50), its fold shift versus the
        reference (first curve unless named) with delta-method SE and
        log10 shift, Emax = f(inf) - f(0) with SE, and Emax as a percentage of
        the reference (100 % - loss) with SE.

        Returns
        -------
        pandas.DataFrame
            curve, ec50, ec50_se, fold_shift, fold_shift_se, log10_shift,
            emax, emax_se, emax_percent, emax_percent_se, emax_loss_percent.
        """
        ref = self._curve(reference)[0] if reference is not None else 0
        d = self.design
        e_ref, g_ref = ed_grad(d, self.theta, ref, p, "relative")
        l_ref, L_ref = limits_grad(d, self.theta, ref)
        m_ref, gm_ref = l_ref[1] - l_ref[0], L_ref[1] - L_ref[0]
        rows = []
        for c in range(d.m):
            try:
                e, g = ed_grad(d, self.theta, c, p, "relative")
            except EDNotReached:
                e, g = float("nan"), np.full(self.n_parameters, np.nan)
            lv, L = limits_grad(d, self.theta, c)
            mval, gm = lv[1] - lv[0], L[1] - L[0]
            fold = e / e_ref
            gf = g / e_ref - e * g_ref / e_ref ** 2
            frac = mval / m_ref
            gfrac = gm / m_ref - mval * gm_ref / m_ref ** 2
            same = c == ref
            rows.append({
                "curve": d.curves[c], "ec50": e, "ec50_se": delta_se(g, self.cov),
                "fold_shift": 1.0 if same else fold, "fold_shift_se": 0.0 if same else delta_se(gf, self.cov),
                "log10_shift": math.log10(fold) if fold > 0 else float("nan"),
                "emax": mval, "emax_se": delta_se(gm, self.cov),
                "emax_percent": 100.0 if same else 100 * frac,
                "emax_percent_se": 0.0 if same else 100 * delta_se(gfrac, self.cov),
                "emax_loss_percent": 0.0 if same else 100 * (1 - frac),
            })
        return pd.DataFrame(rows)

    # ------------------------------------------------------------------ molar potency
    @property
    def p_scale(self) -> str:
        """What the p-values of this fit are the ``-log10`` of, in words."""
        if self.dose_unit is None:
            return ("-log10 of the concentration in the data's own dose unit (no dose unit given: "
                    "not a molar p-value)")
        return f"-log10 of the molar concentration (doses in {self.dose_unit})"

    def potency(self, level: float | None = None) -> pd.DataFrame:
        """Molar potencies: pEC50 of every curve, pKA (operational model), pA2 and pKB (Schild).

        ``pEC50 = -log10(EC50 in mol/L)`` from the relative ED50 and the dose
        unit (10 nM -> 8.0), with the delta-method SE
        ``se(EC50) / (EC50 ln 10)`` and a t-interval on the log scale.
        ``pKA`` is the same transform of the operational model's KA.  ``pA2``
        is the Schild parameter (molar when the antagonist unit is known); it
        equals ``pKB`` only with the Schild slope fixed at 1, and ``pKB`` is
        listed only then.

        Returns
        -------
        pandas.DataFrame
            curve, quantity, estimate, se, ci_low, ci_high, molar.  Empty
            when no dose unit is known (p-values in arbitrary units are not
            pharmacology's pEC50); the ``sigEmax.p``/``schild`` parameters
            are then in the parameter table, labelled by :attr:`p_scale`.
        """
        cols = ["curve", "quantity", "estimate", "se", "ci_low", "ci_high", "molar"]
        q = _tq(level or self.level, self.df)
        rows: list[dict[str, Any]] = []
        d = self.design
        fam = d.family

        def add(curve: str, name: str, est: float, se: float, molar: bool) -> None:
            rows.append({"curve": curve, "quantity": name, "estimate": est, "se": se,
                         "ci_low": est - q * se, "ci_high": est + q * se, "molar": molar})

        if self.dose_unit is not None:
            shift = math.log10(_molar_factor(self.dose_unit))
            for c, label in enumerate(d.curves):
                try:
                    e, g = ed_grad(d, self.theta, c, 50.0, "relative")
                except (EDNotReached, FitError):
                    continue
                if not e > 0:
                    continue
                add(label, "pEC50", -(math.log10(e) + shift), delta_se(g, self.cov) / (e * LN10), True)
            if fam.name == "operational":
                j = fam.parameters.index("KA")
                for c, label in enumerate(d.curves):
                    k = int(d.index[c, j])
                    ka = float(self.theta[k]) if k >= 0 else float(d.base[c, j])
                    se = float(self.se[k]) if k >= 0 else 0.0
                    add(label if k < 0 or d.theta_curve[k] is not None else "(shared)", "pKA",
                        -(math.log10(ka) + shift), se / (ka * LN10), True)
        if fam.name == "schild":
            unit = self.covariate_units.get("antagonist")
            j = fam.parameters.index("pA2")
            k = int(d.index[0, j])
            est = float(self.theta[k]) if k >= 0 else float(d.base[0, j])
            se = float(self.se[k]) if k >= 0 else 0.0
            if unit is not None:
                add("(shared)", "pA2", est, se, True)
                if "s" in d.fixed and float(d.fixed["s"]) == 1.0:
                    add("(shared)", "pKB", est, se, True)
        out = pd.DataFrame(rows, columns=cols)
        return out.drop_duplicates(subset=["curve", "quantity"]).reset_index(drop=True)

    # ------------------------------------------------------------------ profile likelihood
    def profile_ci(self, parameter: str, curve: str | int | None = None, *,
                   level: float | None = None) -> tuple[float, float]:
        """Profile-likelihood confidence interval of one parameter.

        Every other parameter is re-optimized at each trial value; the
        interval holds the values whose profile t statistic
        ``sqrt(RSS_profile - RSS) / s`` stays below the t(df) quantile
        (Bates & Watts 1988; R's ``confint`` for ``nls``).

        Returns
        -------
        (low, high)
            An unbounded side is returned as 0 (positive parameters) or +-inf.
        """
        k = self._index_of(parameter, curve)
        return profile_parameter(self, k, level or self.level)

    def profile_ed(self, p: float = 50, curve: str | int | None = None, *,
                   level: float | None = None) -> tuple[float, float]:
        """Profile-likelihood confidence interval of a relative ED(p) (the EC50 for p = 50).

        The dose-scale parameter (``e``, ``EC50``, ``KA``; ``pEC50`` for the
        pEC50 models) is eliminated so that ED(p) equals each trial value and
        the others are re-optimized.  Results are cached on the fit.
        """
        if curve is None and self.design.m > 1:
            raise FitError("several curves: name one with curve=")
        c = self._curve(curve)[0] if curve is not None else 0
        key = ("ed", float(p), c, float(level or self.level))
        if key not in self._profiles:
            self._profiles[key] = profile_ed_interval(self, c, p, level or self.level)
        return self._profiles[key]

    # ------------------------------------------------------------------ tests and output
    def lack_of_fit(self) -> TestResult | None:
        """Lack-of-fit F test against a one-way ANOVA model (needs replicates); see
        :func:`receptorkin.curves.ftests.lack_of_fit`."""
        return lack_of_fit_test(self)

    def to_dict(self, ed: Sequence[float] = (50,), *, ed_type: str = "relative",
                profile: bool = False) -> dict[str, Any]:
        """A JSON-ready summary.

        Per curve and parameter: estimate, se, ci_low, ci_high, shared; ED
        values with SE and interval (and, with ``profile``, the profile
        interval of the EC50); fit statistics rse, df, logLik, AIC, AICc, BIC.
        Missing numbers (an SE that does not exist) are ``None``.
        """
        eds = self.ed(list(ed), type=ed_type) if len(ed) else None
        curves: dict[str, Any] = {}
        q = _tq(self.level, self.df)
        for c, label in enumerate(self.design.curves):
            rows = self.design.g == c
            params: dict[str, Any] = {}
            for j, pname in enumerate(self.design.family.parameters):
                k = int(self.design.index[c, j])
                if k < 0:
                    params[pname] = {"estimate": float(self.design.base[c, j]), "se": None, "ci_low": None,
                                     "ci_high": None, "fixed": True}
                    continue
                se = float(self.se[k])
                params[pname] = {"estimate": float(self.theta[k]), "se": se,
                                 "ci_low": float(self.theta[k] - q * se), "ci_high": float(self.theta[k] + q * se),
                                 "shared": self.design.theta_curve[k] is None}
            entry: dict[str, Any] = {"n": int(rows.sum()), "parameters": params}
            cc = self.design.curve_covariates[c]
            if cc is not None and len(cc):
                entry["covariates"] = dict(zip(self.design.family.covariates, map(float, cc)))
            if eds is not None:
                sub = eds[eds["curve"] == label]
                entry["ed"] = [{"p": float(r.p), "type": ed_type, "estimate": r.estimate, "se": r.se,
                                "ci_low": r.ci_low, "ci_high": r.ci_high} for r in sub.itertuples()]
            if profile:
                try:
                    lo, hi = self.profile_ed(50, label)
                    entry["ec50_profile_ci"] = [lo, hi]
                except FitError as exc:
                    entry["ec50_profile_ci"] = None
                    entry["ec50_profile_note"] = str(exc)
            curves[label] = entry
        lof = self.lack_of_fit()
        out = {
            "model": self.model.name,
            "formula": self.model.formula,
            "source": self.design.source,
            "dose_column": self.dose_column,
            "response_column": self.response_column,
            "curve_column": self.curve_column,
            "dose_unit": self.dose_unit,
            "covariate_units": dict(self.covariate_units),
            "p_values": self.p_scale,
            "n": self.n,
            "n_parameters": self.n_parameters,
            "df": self.df,
            "rss": self.rss,
            "rse": self.rse,
            "logLik": self.loglik,
            "aic": self.aic,
            "aicc": self.aicc,
            "bic": self.bic,
            "level": self.level,
            "ci_method": "Wald (t-intervals, standard errors from the Hessian as drc)",
            "ed_ci_method": "delta method (t-intervals)",
            "converged": self.converged,
            "message": self.message,
            "shared": list(self.design.shared),
            "fixed": dict(self.design.fixed),
            "weighted": self.design.weighted,
            "curves": curves,
            "lack_of_fit": None if lof is None else lof.to_dict(),
            "potency": self.potency().to_dict("records"),
            "notes": list(self.notes),
        }
        return to_jsonable(out)

    def summary(self) -> str:
        """Plain-text summary in the style of drc's ``summary``."""
        lines = [f"Model fitted: {self.model.name} ({self.model.description})",
                 f"  {self.model.formula}", "", "Parameter estimates:"]
        t = self.table
        t = t.assign(label=self.names)
        width = max(len(n) for n in self.names)
        lines.append(f"  {'':{width}}  {'Estimate':>12} {'Std. Error':>12} {'Lower':>12} {'Upper':>12}")
        for r in t.itertuples():
            lines.append(f"  {r.label:{width}}  {_fmt(r.estimate):>12} {_fmt(r.se):>12} "
                         f"{_fmt(r.ci_low):>12} {_fmt(r.ci_high):>12}")
        lines += ["", f"Residual standard error: {_fmt(self.rse)} ({self.df} degrees of freedom)"]
        lines += [f"logLik {_fmt(self.loglik)}, AIC {_fmt(self.aic)}, AICc {_fmt(self.aicc)}, BIC {_fmt(self.bic)}"]
        for note in self.notes:
            lines.append(f"Note: {note}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        try:
            return (f"<CurveFitResult {self.model.name}: {len(self.curves)} curve(s), {self.n} points, "
                    f"rse={self.rse:.4g} on {self.df} df; {values_text(self.coef)}>")
        except Exception:  # noqa: BLE001 - a repr must never raise
            return "<CurveFitResult>"

    def report(self, ed: Sequence[float] = (10, 50, 90), *, ed_type: str = "relative",
               reference: str | None = None, shift: bool | None = None, profile: bool = True,
               comparison: "pd.DataFrame | None" = None, figure: str | None = None) -> str:
        """A Markdown report: model, parameters, ED values, ratios or shifts, fit statistics.

        Parameters
        ----------
        ed
            ED levels to tabulate.
        ed_type
            ``'relative'`` or ``'absolute'``.
        reference
            Reference curve for EC50 shifts and potency ratios (default the first).
        shift
            Include the EC50-shift / Emax-loss table (default: when the curve
            column is ``condition`` or several curves were fitted).
        profile
            Include profile-likelihood intervals of the EC50.
        comparison
            A model comparison table (:func:`~receptorkin.curves.compare_models`) to append.
        figure
            File name of the figure to link at the end (e.g. ``'curve.png'``).
        """
        return render_report(self, ed=ed, ed_type=ed_type, reference=reference, shift=shift, profile=profile,
                             comparison=comparison, figure=figure)

    def summary(self, ed: Sequence[float] = (50,), *, ed_type: str = "relative", profile: bool = False,
                reference: str | None = None, comparison: "pd.DataFrame | None" = None,
                input: str | None = None) -> dict[str, Any]:
        """The JSON summary that ``receptorkin curve`` writes as ``curve.json``.

        :meth:`to_dict`, headed by the receptorkin version and the input file; with several curves also
        the reference curve, EC50 ratios against it, the shift table and (operational model with a
        separate tau per curve) the receptor fractions; then the model comparison table, when given.
        """
        from ..version import __version__

        reference_curve = reference or self.curves[0]
        summary = {"receptorkin_version": __version__, "input": input,
                   **self.to_dict(ed=ed, ed_type=ed_type, profile=profile)}
        if self.design.m > 1:
            summary["reference"] = reference_curve
            summary["ed_ratios"] = self.ed_ratio(50, reference=reference_curve).to_dict("records")
            summary["shift"] = self.shift_table(reference=reference).to_dict("records")
            if (self.model.family.name == "operational" and "tau" not in self.design.shared
                    and "tau" not in self.design.fixed):
                summary["receptor_fraction"] = self.parameter_ratio("tau", reference).to_dict("records")
        if comparison is not None:
            summary["comparison"] = comparison.to_dict("records")
        return summary
