"""What the helpers of a curve fit read from it: :class:`CurveFit`, a :class:`typing.Protocol`.

The F tests (:mod:`.ftests`), the profile likelihood (:mod:`.profile`) and the
Markdown report (:mod:`.report`) sit below
:class:`~receptorkin.curves.CurveFitResult`, which calls them; they name the
fit by this protocol, which the result satisfies, and never import the result
itself (so the imports of ``curves/`` form a tree).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from .engine import Design
from .models import CurveModel

__all__ = ["CurveFit"]


class CurveFit(Protocol):
    """A least-squares fit of dose-response curves: its data, estimates and residual statistics.

    Attributes
    ----------
    design
        Data and parameter layout (:class:`~receptorkin.curves.engine.Design`).
    theta
        Estimates, in the order of ``design.names``.
    cov
        Covariance matrix of ``theta``.
    rss
        Residual sum of squares (weighted when the fit is) [response units squared].
    level
        Confidence level of the intervals.
    """

    design: Design
    theta: np.ndarray
    cov: np.ndarray
    rss: float
    level: float

    @property
    def model(self) -> CurveModel:
        """The fitted model."""
        ...

    @property
    def n(self) -> int:
        """Number of observations."""
        ...

    @property
    def df(self) -> int:
        """Residual degrees of freedom n - p."""
        ...

    @property
    def sigma2(self) -> float:
        """Residual variance RSS / df [response units squared]."""
        ...

    @property
    def se(self) -> np.ndarray:
        """Standard errors of ``theta``."""
        ...
