"""Derivatives of the objective, scaled to the ODE solver's accuracy.

lmfit's default finite-difference step (~1.5e-8 relative) is below the error
of an ODE solution, so its Jacobian is noise.  Here derivatives
are central differences on the estimation scale (log10 for rates) with a step
of ``1e-4`` — about sqrt of the solver's relative tolerance — which keeps the
truncation error (h²) and the solver noise (rtol/h) both near 1e-8 relative.
At a bound the difference becomes one-sided, inside the box.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

__all__ = ["JACOBIAN_STEP", "HESSIAN_STEP", "jacobian", "hessian_chi2", "local_fit"]

JACOBIAN_STEP = 1e-4
HESSIAN_STEP = 1e-3


def jacobian(fun: Callable[[np.ndarray], np.ndarray], x: np.ndarray, lower: np.ndarray, upper: np.ndarray,
             step: float = JACOBIAN_STEP, f0: np.ndarray | None = None) -> np.ndarray:
    """Central-difference Jacobian of a vector function, one-sided at bounds.

    Parameters
    ----------
    fun
        Residual function of the estimation-scale vector.
    x
        Point (estimation scale).
    lower, upper
        Bounds; a step never leaves them.
    step
        Absolute step on the estimation scale (log10 units for log parameters).
    f0
        ``fun(x)`` if already known (used for one-sided differences).
    """
    x = np.asarray(x, dtype=float)
    cols = []
    for j in range(x.size):
        h = step
        up, down = x.copy(), x.copy()
        if x[j] + h <= upper[j] and x[j] - h >= lower[j]:
            up[j] += h
            down[j] -= h
            cols.append((fun(up) - fun(down)) / (2 * h))
        elif x[j] + h <= upper[j]:
            base = fun(x) if f0 is None else f0
            up[j] += h
            cols.append((fun(up) - base) / h)
        else:
            base = fun(x) if f0 is None else f0
            down[j] -= h
            cols.append((base - fun(down)) / h)
    return np.column_stack(cols)


def hessian_chi2(fun: Callable[[np.ndarray], np.ndarray], x: np.ndarray, lower: np.ndarray, upper: np.ndarray,
                 step: float = HESSIAN_STEP) -> np.ndarray:
    """Full Hessian of χ² = Σ r² (not the Gauss–Newton 2JᵀJ): central
    differences of the gradient g = 2Jᵀr, symmetrised.

    This is what drc reports standard errors from; lmfit's ``stderr`` uses
    JᵀJ, which ignores the curvature of the residuals and differs by 1–10%.
    """
    x = np.asarray(x, dtype=float)

    def grad(z: np.ndarray) -> np.ndarray:
        r = fun(z)
        return 2.0 * jacobian(fun, z, lower - 1.0, upper + 1.0, f0=r).T @ r

    n = x.size
    H = np.empty((n, n))
    for j in range(n):
        h = step
        up, down = x.copy(), x.copy()
        up[j] += h
        down[j] -= h
        H[:, j] = (grad(up) - grad(down)) / (2 * h)
    return 0.5 * (H + H.T)


def local_fit(fun: Callable[[np.ndarray], np.ndarray], x0: np.ndarray, lower: np.ndarray, upper: np.ndarray,
              max_nfev: int = 200, tol: float = 1e-10):
    """Bounded least squares from ``x0`` with lmfit (``least_squares``, TRF)
    and the solver-scaled Jacobian.

    Returns
    -------
    x, chi2, nfev, success, message
    """
    import lmfit

    params = lmfit.Parameters()
    for i, (v, lo, hi) in enumerate(zip(x0, lower, upper)):
        params.add(f"p{i}", value=float(v), min=float(lo), max=float(hi))
    names = list(params)

    def vec(p) -> np.ndarray:
        return np.array([p[n].value for n in names])

    def residual(p):
        return fun(vec(p))

    def jac(p):
        return jacobian(fun, vec(p), lower, upper)

    # covariance is computed by receptorkin from the full Hessian, not by lmfit (J^T J)
    mini = lmfit.Minimizer(residual, params, nan_policy="raise", calc_covar=False)
    import warnings

    with warnings.catch_warnings():
        # lmfit's least_squares always forms (JᵀJ)⁻¹ for its own stderr; near a
        # flat direction that takes sqrt of negatives. receptorkin does not use it.
        warnings.filterwarnings("ignore", "invalid value encountered in sqrt", RuntimeWarning)
        res = mini.minimize(method="least_squares", jac=jac, x_scale="jac", ftol=tol, xtol=tol, gtol=tol,
                            max_nfev=max_nfev)
    x = vec(res.params)
    r = fun(x)
    return x, float(r @ r), int(res.nfev), bool(res.success), str(res.message)
