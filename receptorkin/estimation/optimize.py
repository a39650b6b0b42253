"""Local optimizers that use the exact derivatives.

- Gaussian noise (residuals): ``scipy.optimize.least_squares``, trust-region
  reflective, bounded, with the exact Jacobian;
- general likelihoods: L-BFGS-B on the negative log-likelihood with its gradient;
- either: Fides (Fröhlich & Sorger 2022), an interior trust-region reflective
  optimizer for ODE models, with the Gauss–Newton (Fisher information)
  Hessian ``JᵀJ`` of the exact Jacobian, or BFGS on a likelihood (optional
  dependency ``fides``).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from ..errors import FitError

__all__ = ["LocalResult", "fit_least_squares", "minimize_likelihood", "minimize_trust_region"]


@dataclass
class LocalResult:
    """The end of one local optimization.

    Attributes
    ----------
    x
        End point (estimation scale).
    objective
        χ² = Σ r² for least squares, the negative log-likelihood otherwise.
    nfev, njev
        Objective and derivative evaluations.
    success
        Whether the optimizer reports convergence.
    message
        Its message.
    """

    x: np.ndarray
    objective: float
    nfev: int
    njev: int
    success: bool
    message: str


class _Cached:
    """Evaluate residuals and Jacobian together once per point (the sensitivity
    run gives both), serving the optimizer's separate calls."""

    def __init__(self, objective) -> None:
        self.objective = objective
        self.x: np.ndarray | None = None
        self.r: np.ndarray | None = None
        self.J: np.ndarray | None = None
        self.nfev = 0
        self.njev = 0
        # an objective with its own jacobian(x) (e.g. finite differences) is asked for it only at accepted points
        self.separate = callable(getattr(objective, "jacobian", None))

    def _eval(self, x: np.ndarray) -> None:
        if self.separate:
            return
        if self.x is None or not np.array_equal(x, self.x):
            r, J = self.objective.residuals_and_jacobian(x)
            self.x, self.r, self.J = np.array(x, dtype=float), np.asarray(r, dtype=float), np.asarray(J, dtype=float)
            self.njev += 1

    def fun(self, x: np.ndarray) -> np.ndarray:
        self.nfev += 1
        if self.separate:
            return np.asarray(self.objective.residuals(x), dtype=float)
        self._eval(x)
        return self.r

    def jac(self, x: np.ndarray) -> np.ndarray:
        if self.separate:
            self.njev += 1
            return np.asarray(self.objective.jacobian(x), dtype=float)
        self._eval(x)
        return self.J


def fit_least_squares(objective, x0: np.ndarray, lower: np.ndarray, upper: np.ndarray, *,
                      max_nfev: int = 200, tol: float = 1e-10) -> LocalResult:
    """Bounded trust-region least squares from ``x0`` with the exact Jacobian.

    Each evaluation computes residuals and Jacobian together (one
    sensitivity run), so a rejected step costs one run and an accepted one
    no extra run for its Jacobian.

    Raises
    ------
    FitError
        If ``x0`` is outside the bounds (never clipped).
    """
    from scipy.optimize import least_squares

    x0 = np.asarray(x0, dtype=float)
    if np.any(x0 < lower) or np.any(x0 > upper):
        j = int(np.flatnonzero((x0 < lower) | (x0 > upper))[0])
        raise FitError(f"start value {x0[j]:g} of parameter {j} is outside its bounds [{lower[j]:g}, {upper[j]:g}]")
    c = _Cached(objective)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = least_squares(c.fun, x0, jac=c.jac, bounds=(lower, upper), method="trf", x_scale="jac",
                            ftol=tol, xtol=tol, gtol=tol, max_nfev=max_nfev)
    r = res.fun
    return LocalResult(np.asarray(res.x, dtype=float), float(r @ r), c.nfev, c.njev, bool(res.status > 0),
                       str(res.message))


def minimize_likelihood(objective, x0: np.ndarray, lower: np.ndarray, upper: np.ndarray, *,
                        log_prior=None, max_iter: int = 500, tol: float = 1e-9) -> LocalResult:
    """L-BFGS-B on ``nll(x) − log_prior(x)`` with the exact gradient.

    ``log_prior`` is an optional :class:`~receptorkin.estimation.ParameterSet`
    (its priors are added to the objective).
    """
    from scipy.optimize import minimize

    x0 = np.asarray(x0, dtype=float)
    count = {"n": 0}

    def fg(x: np.ndarray):
        count["n"] += 1
        v, g = objective.nll_and_gradient(x)
        if log_prior is not None:
            v = v - log_prior.log_prior(x)
            g = g - log_prior.log_prior_gradient(x)
        if not math.isfinite(v):
            return 1e300, np.zeros_like(x)
        return v, np.asarray(g, dtype=float)

    res = minimize(fg, x0, jac=True, method="L-BFGS-B", bounds=list(zip(lower, upper)),
                   options={"maxiter": max_iter, "ftol": tol, "gtol": tol})
    return LocalResult(np.asarray(res.x, dtype=float), float(res.fun), count["n"], count["n"], bool(res.success),
                       str(res.message))


def minimize_trust_region(objective, x0: np.ndarray, lower: np.ndarray, upper: np.ndarray, *,
                          max_iter: int = 1000, tol: float = 1e-10, hessian: str = "fim") -> LocalResult:
    """Fides' trust-region reflective search with the exact derivatives.

    Parameters
    ----------
    objective
        With ``hessian='fim'``: a least-squares objective (residuals and
        their Jacobian ``J``); Fides minimises ½χ² with the Gauss–Newton
        Hessian ``JᵀJ`` (the Fisher information). With ``hessian='bfgs'``: a
        likelihood objective (``nll_and_gradient``) and a BFGS Hessian.
    x0, lower, upper
        Start and bounds (estimation scale).
    max_iter
        Iterations; each evaluates the objective and its derivatives once.
    tol
        Absolute tolerance on the change of the objective of an accepted step.

    Returns
    -------
    LocalResult
        ``objective`` is χ² (``'fim'``) or the negative log-likelihood
        (``'bfgs'``) at the best point Fides evaluated.

    Raises
    ------
    FitError
        Fides is not installed, ``x0`` is outside the bounds, or the objective
        is not finite at ``x0``.
    """
    import logging

    try:
        import fides
    except ImportError:
        raise FitError("the 'fides' optimizer needs the fides package (pip install fides)") from None
    x0 = np.asarray(x0, dtype=float)
    lower = np.asarray(lower, dtype=float)
    upper = np.asarray(upper, dtype=float)
    if np.any(x0 < lower) or np.any(x0 > upper):
        j = int(np.flatnonzero((x0 < lower) | (x0 > upper))[0])
        raise FitError(f"start value {x0[j]:g} of parameter {j} is outside its bounds [{lower[j]:g}, {upper[j]:g}]")
    if hessian not in ("fim", "bfgs"):
        raise FitError(f"hessian must be 'fim' or 'bfgs' (got {hessian!r})")
    n = x0.size
    count = {"n": 0}

    def fim(x: np.ndarray):
        count["n"] += 1
        r, J = objective.residuals_and_jacobian(x)
        r = np.asarray(r, dtype=float)
        J = np.asarray(J, dtype=float)
        if not (np.all(np.isfinite(r)) and np.all(np.isfinite(J))):
            return math.inf, np.zeros(n), np.eye(n)  # a rejected step
        return 0.5 * float(r @ r), J.T @ r, J.T @ J

    def bfgs(x: np.ndarray):
        count["n"] += 1
        v, g = objective.nll_and_gradient(x)
        g = np.asarray(g, dtype=float)
        if not (math.isfinite(v) and np.all(np.isfinite(g))):
            return math.inf, np.zeros(n)
        return float(v), g

    options = {"maxiter": int(max_iter), "fatol": float(tol), "frtol": 0.0, "gatol": 0.0, "xtol": 0.0}
    if hessian == "fim":
        opt = fides.Optimizer(fim, ub=upper, lb=lower, verbose=logging.ERROR, options=options)
    else:
        opt = fides.Optimizer(bfgs, ub=upper, lb=lower, verbose=logging.ERROR, options=options,
                              hessian_update=fides.BFGS())
    try:
        opt.minimize(x0)
    except RuntimeError as exc:  # Fides refuses a start where the objective is not finite
        raise FitError(f"fides: {' '.join(str(exc).split())}") from None
    value = float(opt.fval_min)
    if not math.isfinite(value):
        raise FitError("the objective is not finite at the start")
    flag = opt.exitflag
    return LocalResult(np.asarray(opt.x_min, dtype=float), 2.0 * value if hessian == "fim" else value,
                       count["n"], count["n"], int(flag) > 0, f"fides: {flag.name.lower()}")
