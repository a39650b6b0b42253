"""F tests of curve fits: a reduced model against the full one it is nested in, and lack of fit."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from ..errors import FitError
from .protocol import CurveFit

__all__ = ["TestResult", "f_test", "lack_of_fit"]


@dataclass(frozen=True)
class TestResult:
    """An F test.

    Attributes
    ----------
    name
        What was tested.
    statistic
        The F statistic.
    df1, df2
        Numerator and denominator degrees of freedom.
    p_value
        Upper-tail probability of F(df1, df2).
    """

    name: str
    statistic: float
    df1: int
    df2: int
    p_value: float

    def to_dict(self) -> dict[str, Any]:
        """Plain dictionary."""
        return asdict(self)

    def __str__(self) -> str:
        return f"{self.name}: F({self.df1}, {self.df2}) = {self.statistic:.4g}, p = {self.p_value:.4g}"


def _f(num_ss: float, df1: int, den_ss: float, df2: int, name: str) -> TestResult:
    from scipy.stats import f as fdist

    if df1 <= 0 or df2 <= 0:
        raise FitError(f"{name}: no degrees of freedom for an F test (df1={df1}, df2={df2})")
    stat = (num_ss / df1) / (den_ss / df2) if den_ss > 0 else float("inf")
    stat = max(stat, 0.0)
    return TestResult(name, float(stat), int(df1), int(df2), float(fdist.sf(stat, df1, df2)))


def f_test(reduced: CurveFit, full: CurveFit) -> TestResult:
    """F test of a reduced model against the full model it is nested in (drc's ``anova``).

    ``F = ((RSS_r - RSS_f) / (df_r - df_f)) / (RSS_f / df_f)``.  Both fits
    must use the same observations; nesting itself is the caller's claim
    (see :func:`is_nested` for the cases it can check).
    """
    if reduced.n != full.n or not np.array_equal(reduced.design.y, full.design.y):
        raise FitError("F test: the two fits do not use the same observations")
    if reduced.df <= full.df:
        raise FitError(f"F test: {reduced.model.name} must have fewer parameters than {full.model.name}")
    return _f(reduced.rss - full.rss, reduced.df - full.df, full.rss, full.df,
              f"{reduced.model.name} vs {full.model.name}")


def lack_of_fit(result: CurveFit) -> TestResult | None:
    """Lack-of-fit F test against the one-way ANOVA model (drc's ``modelFit``).

    The ANOVA model has one mean per curve and dose (and covariate value);
    its residual sum of squares is the pure error.  Returns ``None`` when
    there are no replicates or the curve model has as many parameters as
    there are distinct doses.
    """
    d = result.design
    keys = np.column_stack([d.g, d.x, d.Z])
    _, inv = np.unique(keys, axis=0, return_inverse=True)
    inv = np.asarray(inv).reshape(-1)
    groups = int(inv.max()) + 1
    w2 = d.w ** 2
    sw = np.bincount(inv, weights=w2)
    mean = np.bincount(inv, weights=w2 * d.y) / sw
    ss_pe = float(np.sum(w2 * (d.y - mean[inv]) ** 2))
    df_pe = d.n - groups
    df_lof = result.df - df_pe
    if df_pe <= 0 or df_lof <= 0:
        return None
    return _f(result.rss - ss_pe, df_lof, ss_pe, df_pe, "lack of fit (against one-way ANOVA)")
