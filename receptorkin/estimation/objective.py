"""The objective protocol of the estimation engine.

Two kinds of objective, both functions of a parameter vector ``x`` on the
estimation scale (log10 for rates):

- :class:`LeastSquaresObjective`: weighted residuals ``r(x)`` (Gaussian noise
  of known or profiled level) and their Jacobian; the objective is
  χ² = Σ r² (the negative log-likelihood is χ²/2 up to a constant);
- :class:`LikelihoodObjective`: a negative log-likelihood and its gradient,
  for any noise model.

``FitProblem`` and plain callables (:class:`FunctionObjective`) implement them.
"""

from __future__ import annotations

from typing import Callable, Protocol, runtime_checkable

import numpy as np

__all__ = ["LeastSquaresObjective", "LikelihoodObjective", "FunctionObjective"]


@runtime_checkable
class LeastSquaresObjective(Protocol):
    """Weighted residuals and their exact Jacobian (estimation scale)."""

    def residuals(self, x: np.ndarray) -> np.ndarray:
        """Weighted residuals ``(data − model) / σ`` (dimensionless)."""

    def residuals_and_jacobian(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Residuals and ``∂r/∂x`` (``n_data × n_parameters``)."""


@runtime_checkable
class LikelihoodObjective(Protocol):
    """A negative log-likelihood and its gradient (estimation scale)."""

    def nll(self, x: np.ndarray) -> float:
        """Negative log-likelihood."""

    def nll_and_gradient(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        """Negative log-likelihood and its gradient."""


class FunctionObjective:
    """Wrap plain functions as an objective.

    Parameters
    ----------
    residuals
        ``x -> r`` (weighted residuals), or ``None`` for a likelihood objective.
    jacobian
        ``x -> ∂r/∂x``.
    nll, gradient
        ``x -> −log L`` and ``x -> ∇(−log L)``, for a likelihood objective.
    """

    def __init__(self, residuals: Callable[[np.ndarray], np.ndarray] | None = None,
                 jacobian: Callable[[np.ndarray], np.ndarray] | None = None, *,
                 nll: Callable[[np.ndarray], float] | None = None,
                 gradient: Callable[[np.ndarray], np.ndarray] | None = None) -> None:
        self._r, self._j, self._nll, self._g = residuals, jacobian, nll, gradient

    def residuals(self, x: np.ndarray) -> np.ndarray:
        if self._r is not None:
            return np.asarray(self._r(np.asarray(x, dtype=float)), dtype=float)
        raise TypeError("this objective has no residuals (it is a likelihood)")

    def residuals_and_jacobian(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self._j is None:
            raise TypeError("this objective has no Jacobian")
        x = np.asarray(x, dtype=float)
        return self.residuals(x), np.atleast_2d(np.asarray(self._j(x), dtype=float))

    def nll(self, x: np.ndarray) -> float:
        if self._nll is not None:
            return float(self._nll(np.asarray(x, dtype=float)))
        r = self.residuals(x)
        return 0.5 * float(r @ r)

    def nll_and_gradient(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        x = np.asarray(x, dtype=float)
        if self._nll is not None:
            if self._g is None:
                raise TypeError("this objective has no gradient")
            return self.nll(x), np.asarray(self._g(x), dtype=float)
        r, J = self.residuals_and_jacobian(x)
        return 0.5 * float(r @ r), J.T @ r
