"""Parameters with scales, bounds and priors (lmfit ``Parameters`` in and out)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

import numpy as np

from ..errors import FitError

__all__ = ["Prior", "Parameter", "ParameterSet"]

_SCALES = ("lin", "log10")


@dataclass(frozen=True)
class Prior:
    """A prior density of one parameter, on its estimation scale.

    Attributes
    ----------
    kind
        ``'normal'`` (mean ``loc``, standard deviation ``scale``),
        ``'laplace'`` (location, scale) or ``'uniform'`` (from ``loc`` to ``scale``).
    loc, scale
        As above, on the estimation scale (log10 units for log10 parameters).
    """

    kind: str
    loc: float
    scale: float

    def __post_init__(self) -> None:
        if self.kind not in ("normal", "laplace", "uniform"):
            raise FitError(f"prior: kind must be 'normal', 'laplace' or 'uniform' (got {self.kind!r})")
        if self.kind != "uniform" and not self.scale > 0:
            raise FitError(f"prior: a {self.kind} prior needs a scale > 0 (got {self.scale!r})")
        if self.kind == "uniform" and not self.scale > self.loc:
            raise FitError(f"prior: a uniform prior needs upper > lower (got {self.loc!r}, {self.scale!r})")

    def logpdf(self, z: float) -> float:
        """Log density at the estimation-scale value ``z``."""
        if self.kind == "normal":
            return -0.5 * ((z - self.loc) / self.scale) ** 2 - math.log(self.scale * math.sqrt(2 * math.pi))
        if self.kind == "laplace":
            return -abs(z - self.loc) / self.scale - math.log(2 * self.scale)
        return -math.log(self.scale - self.loc) if self.loc <= z <= self.scale else -math.inf

    def dlogpdf(self, z: float) -> float:
        """Derivative of :meth:`logpdf` (0 for uniform)."""
        if self.kind == "normal":
            return -(z - self.loc) / self.scale ** 2
        if self.kind == "laplace":
            return -math.copysign(1.0, z - self.loc) / self.scale if z != self.loc else 0.0
        return 0.0


@dataclass(frozen=True)
class Parameter:
    """One estimated quantity.

    Attributes
    ----------
    name
        Identifier.
    value
        Starting or current value (linear scale).
    lower, upper
        Bounds (linear scale; log10 parameters need ``lower > 0``).
    scale
        ``'lin'`` or ``'log10'``: the scale the optimizer works on.
    prior
        Optional :class:`Prior` on the estimation scale.
    unit
        Unit text for tables.
    """

    name: str
    value: float
    lower: float
    upper: float
    scale: str = "log10"
    prior: Prior | None = None
    unit: str = ""

    def __post_init__(self) -> None:
        n = self.name
        for what in ("value", "lower", "upper"):
            v = getattr(self, what)
            if not isinstance(v, (int, float)) or math.isnan(v):
                raise FitError(f"parameter {n!r}: {what} must be a number (got {v!r})")
        if self.scale not in _SCALES:
            raise FitError(f"parameter {n!r}: scale must be 'lin' or 'log10' (got {self.scale!r})")
        if not (math.isfinite(self.lower) and math.isfinite(self.upper)) or self.lower >= self.upper:
            raise FitError(f"parameter {n!r}: needs finite bounds with lower < upper (got [{self.lower:g}, {self.upper:g}])")
        if self.scale == "log10" and self.lower <= 0:
            raise FitError(f"parameter {n!r}: log10 scale needs a lower bound > 0 (got {self.lower:g})")
        if not self.lower <= self.value <= self.upper:
            raise FitError(f"parameter {n!r}: value {self.value:g} is outside its bounds [{self.lower:g}, {self.upper:g}] "
                           "(it is not clipped)")

    def to_scale(self, v: float) -> float:
        return math.log10(v) if self.scale == "log10" else float(v)

    def from_scale(self, z: float) -> float:
        return 10.0 ** z if self.scale == "log10" else float(z)


@dataclass
class ParameterSet:
    """An ordered set of :class:`Parameter` (the estimation vector's layout)."""

    parameters: list[Parameter] = field(default_factory=list)

    def __post_init__(self) -> None:
        seen = set()
        for p in self.parameters:
            if p.name in seen:
                raise FitError(f"parameter {p.name!r} appears twice")
            seen.add(p.name)

    def __len__(self) -> int:
        return len(self.parameters)

    def __iter__(self):
        return iter(self.parameters)

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.parameters]

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Bounds on the estimation scale."""
        return (np.array([p.to_scale(p.lower) for p in self.parameters]),
                np.array([p.to_scale(p.upper) for p in self.parameters]))

    def initial(self) -> np.ndarray:
        return np.array([p.to_scale(p.value) for p in self.parameters])

    def to_linear(self, x: Sequence[float]) -> dict[str, float]:
        return {p.name: p.from_scale(z) for p, z in zip(self.parameters, x)}

    def scaled_se_to_linear(self, x: Sequence[float], se: Sequence[float]) -> dict[str, float]:
        """Standard errors on the estimation scale -> linear scale (delta method)."""
        out = {}
        for p, z, s in zip(self.parameters, x, se):
            out[p.name] = math.log(10) * p.from_scale(z) * s if p.scale == "log10" else float(s)
        return out

    def log_prior(self, x: Sequence[float]) -> float:
        """Sum of the log prior densities (0 without priors; −inf outside the bounds)."""
        lo, hi = self.bounds()
        x = np.asarray(x, dtype=float)
        if np.any(x < lo) or np.any(x > hi):
            return -math.inf
        return float(sum(p.prior.logpdf(z) for p, z in zip(self.parameters, x) if p.prior is not None))

    def log_prior_gradient(self, x: Sequence[float]) -> np.ndarray:
        return np.array([p.prior.dlogpdf(z) if p.prior is not None else 0.0 for p, z in zip(self.parameters, x)])

    # ---------------------------------------------------------------- lmfit
    @classmethod
    def from_lmfit(cls, params, scales: Mapping[str, str] | None = None) -> "ParameterSet":
        """From lmfit ``Parameters``: the varying ones with finite bounds
        (``scales`` names log10 parameters; default ``'lin'``)."""
        scales = dict(scales or {})
        out = []
        for name, p in params.items():
            if not p.vary or p.expr:
                continue
            out.append(Parameter(name, float(p.value), float(p.min), float(p.max), scales.get(name, "lin")))
        if not out:
            raise FitError("lmfit Parameters: no parameter varies")
        return cls(out)

    def to_lmfit(self, x: Sequence[float] | None = None, stderr: Mapping[str, float] | None = None):
        """lmfit ``Parameters`` with the values at ``x`` (estimation scale) and optional standard errors."""
        import lmfit

        params = lmfit.Parameters()
        values = self.to_linear(x) if x is not None else {p.name: p.value for p in self.parameters}
        for p in self.parameters:
            params.add(p.name, value=values[p.name], min=p.lower, max=p.upper, vary=True)
            if stderr is not None and p.name in stderr:
                params[p.name].stderr = stderr[p.name]
        return params

    @classmethod
    def of(cls, items: Iterable[Parameter]) -> "ParameterSet":
        return cls(list(items))
