"""Distributions of the varied parameters (log-normal, normal, uniform, joint covariances, a fit's
covariance) and the :class:`Population` drawn from them with a seed."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping, Sequence, Union

import numpy as np

from ..errors import ModelError, PopulationError
from ..models.sbml import Model, closest, load_model

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ..dosing import Regimen
    from ..dosing.experiment import Experiment
    from ..simulation import Simulator

__all__ = ["LogNormal", "Normal", "Uniform", "LogNormalCovariance", "FitCovariance", "Distribution",
           "JointDistribution", "Variability", "Population"]


# ============================================================ distributions
def _positive(value: Any, what: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise PopulationError(f"{what} must be a number (got {value!r})") from None
    if not (math.isfinite(v) and v > 0):
        raise PopulationError(f"{what} must be a positive number (got {value!r})")
    return v


def _finite(value: Any, what: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise PopulationError(f"{what} must be a number (got {value!r})") from None
    if not math.isfinite(v):
        raise PopulationError(f"{what} must be finite (got {value!r})")
    return v


@dataclass(frozen=True)
class LogNormal:
    """Log-normal variability: ``value = median * exp(omega * z)``, ``z ~ N(0, 1)``.

    Parameters
    ----------
    cv
        Coefficient of variation of the value (sd / mean, e.g. 0.3 = 30 %);
        ``omega**2 = ln(1 + cv**2)`` so that the drawn values have exactly
        this CV.  Must be positive: leave a parameter out for no variability.
    median
        Typical value (the median; the mean is ``median * exp(omega**2 / 2)``),
        in the parameter's unit.  Default: the model's value.
    """

    cv: float
    median: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "cv", _positive(self.cv, "LogNormal: cv"))
        if self.median is not None:
            object.__setattr__(self, "median", _positive(self.median, "LogNormal: median"))

    @property
    def omega(self) -> float:
        """Standard deviation of the natural log of the value."""
        return math.sqrt(math.log1p(self.cv ** 2))

    def _draw(self, rng: np.random.Generator, n: int, nominal: float | None, name: str) -> np.ndarray:
        median = self.median if self.median is not None else nominal
        if median is None or not (median > 0):
            raise PopulationError(f"{name}: a log-normal distribution needs a positive typical value "
                                  f"(the model's value is {median!r}; give LogNormal(cv, median=...))")
        return median * np.exp(self.omega * rng.standard_normal(n))

    def describe(self, nominal: float | None = None) -> dict[str, Any]:
        return {"distribution": "lognormal", "cv": self.cv,
                "median": self.median if self.median is not None else nominal}


@dataclass(frozen=True)
class Normal:
    """Normal variability, optionally truncated to ``[lower, upper]``.

    Parameters
    ----------
    sd
        Standard deviation (parameter unit); or give ``cv`` instead.
    cv
        Standard deviation as a fraction of the mean.
    mean
        Mean (parameter unit); default the model's value.
    lower, upper
        Truncation bounds (drawn by inverse CDF, nothing is clipped).  A
        positive parameter whose untruncated draws go negative is refused:
        give ``lower=0`` or use :class:`LogNormal`.
    """

    sd: float | None = None
    cv: float | None = None
    mean: float | None = None
    lower: float | None = None
    upper: float | None = None

    def __post_init__(self) -> None:
        if (self.sd is None) == (self.cv is None):
            raise PopulationError("Normal: give exactly one of sd= and cv=")
        if self.sd is not None:
            object.__setattr__(self, "sd", _positive(self.sd, "Normal: sd"))
        if self.cv is not None:
            object.__setattr__(self, "cv", _positive(self.cv, "Normal: cv"))
        for attr in ("mean", "lower", "upper"):
            value = getattr(self, attr)
            if value is not None:
                object.__setattr__(self, attr, _finite(value, f"Normal: {attr}"))
        if self.lower is not None and self.upper is not None and not self.lower < self.upper:
            raise PopulationError(f"Normal: lower ({self.lower:g}) must be below upper ({self.upper:g})")

    def _draw(self, rng: np.random.Generator, n: int, nominal: float | None, name: str) -> np.ndarray:
        mean = self.mean if self.mean is not None else nominal
        if mean is None:
            raise PopulationError(f"{name}: the model gives no value; give Normal(..., mean=...)")
        sd = self.sd if self.sd is not None else self.cv * abs(mean)
        if not sd > 0:
            raise PopulationError(f"{name}: cv of a zero mean is no spread; give sd=")
        if self.lower is None and self.upper is None:
            x = mean + sd * rng.standard_normal(n)
            if mean > 0 and np.any(x <= 0):
                bad = int(np.sum(x <= 0))
                raise PopulationError(f"{name}: Normal(mean={mean:g}, sd={sd:g}) drew {bad} non-positive value(s) of "
                                      f"{n}; truncate it (lower=0) or use LogNormal")
            return x
        from scipy.stats import truncnorm

        a = -np.inf if self.lower is None else (self.lower - mean) / sd
        b = np.inf if self.upper is None else (self.upper - mean) / sd
        return truncnorm.ppf(rng.random(n), a, b, loc=mean, scale=sd)

    def describe(self, nominal: float | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"distribution": "normal", "mean": self.mean if self.mean is not None else nominal}
        out.update({k: getattr(self, k) for k in ("sd", "cv", "lower", "upper") if getattr(self, k) is not None})
        return out


@dataclass(frozen=True)
class Uniform:
    """Uniform variability on ``[low, high)`` (parameter unit)."""

    low: float
    high: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "low", _finite(self.low, "Uniform: low"))
        object.__setattr__(self, "high", _finite(self.high, "Uniform: high"))
        if not self.low < self.high:
            raise PopulationError(f"Uniform: low ({self.low:g}) must be below high ({self.high:g})")

    def _draw(self, rng: np.random.Generator, n: int, nominal: float | None, name: str) -> np.ndarray:
        return self.low + (self.high - self.low) * rng.random(n)

    def describe(self, nominal: float | None = None) -> dict[str, Any]:
        return {"distribution": "uniform", "low": self.low, "high": self.high}


def _matrix_root(cov: np.ndarray, what: str) -> np.ndarray:
    """``L`` with ``L @ L.T == cov``: Cholesky, or a symmetric root for a singular
    (positive semi-definite) covariance such as that of strongly correlated estimates."""
    try:
        return np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        w, v = np.linalg.eigh(cov)
        if w.min() < -1e-10 * max(1.0, float(w.max())):
            raise PopulationError(f"{what}: the covariance is not positive semi-definite "
                                  f"(smallest eigenvalue {w.min():.3g})") from None
        return v * np.sqrt(np.clip(w, 0.0, None))


@dataclass(frozen=True)
class LogNormalCovariance:
    """Correlated log-normal variability of several parameters.

    ``log(values) ~ N(log(median), covariance)``: ``covariance`` is the
    covariance matrix of the natural logs (the ``omega`` matrix of population
    PK), in the order of ``parameters``.

    Parameters
    ----------
    parameters
        Parameter ids.
    covariance
        Symmetric positive semi-definite matrix (dimensionless, log scale).
    median
        Typical values (default: the model's values).
    """

    parameters: tuple[str, ...]
    covariance: np.ndarray = field(repr=False)
    median: Mapping[str, float] | None = None

    def __post_init__(self) -> None:
        names = tuple(str(p) for p in self.parameters)
        if not names or len(set(names)) != len(names):
            raise PopulationError(f"LogNormalCovariance: expected distinct parameter ids (got {list(names)!r})")
        cov = np.array(self.covariance, dtype=float)
        if cov.shape != (len(names), len(names)):
            raise PopulationError(f"LogNormalCovariance: covariance must be {len(names)}x{len(names)} "
                                  f"(got shape {cov.shape})")
        if not np.all(np.isfinite(cov)) or not np.allclose(cov, cov.T, rtol=1e-10, atol=1e-14):
            raise PopulationError("LogNormalCovariance: covariance must be finite and symmetric")
        if np.any(np.diag(cov) <= 0):
            bad = [n for n, d in zip(names, np.diag(cov)) if d <= 0]
            raise PopulationError(f"LogNormalCovariance: variance of {', '.join(bad)} must be positive")
        _matrix_root(cov, "LogNormalCovariance")
        cov.setflags(write=False)
        object.__setattr__(self, "parameters", names)
        object.__setattr__(self, "covariance", cov)
        if self.median is not None:
            object.__setattr__(self, "median", {k: _positive(v, f"LogNormalCovariance: median of {k}")
                                                for k, v in dict(self.median).items()})

    @classmethod
    def from_cv(cls, cv: Mapping[str, float], correlation: "np.ndarray | Sequence[Sequence[float]]",
                median: Mapping[str, float] | None = None) -> "LogNormalCovariance":
        """From CVs of the values and the correlation matrix of their logs."""
        names = tuple(cv)
        omega = np.array([math.sqrt(math.log1p(_positive(cv[k], f"LogNormalCovariance: cv of {k}") ** 2))
                          for k in names])
        corr = np.array(correlation, dtype=float)
        if corr.shape != (len(names), len(names)) or not np.allclose(np.diag(corr), 1.0):
            raise PopulationError(f"LogNormalCovariance: correlation must be {len(names)}x{len(names)} with ones "
                                  "on the diagonal")
        return cls(names, corr * np.outer(omega, omega), median)

    def _draw_joint(self, rng: np.random.Generator, n: int, nominal: Mapping[str, float | None]) -> np.ndarray:
        med = []
        for name in self.parameters:
            m = (self.median or {}).get(name, nominal.get(name))
            if m is None or not (m > 0):
                raise PopulationError(f"{name}: a log-normal distribution needs a positive typical value "
                                      f"(the model's value is {m!r}; give median=...)")
            med.append(m)
        root = _matrix_root(self.covariance, "LogNormalCovariance")
        z = rng.standard_normal((n, len(self.parameters)))
        return np.asarray(med) * np.exp(z @ root.T)

    def describe(self, nominal: Mapping[str, float | None] | None = None) -> dict[str, Any]:
        return {"distribution": "lognormal_covariance", "parameters": list(self.parameters),
                "covariance": self.covariance.tolist(),
                "median": {k: (self.median or {}).get(k, (nominal or {}).get(k)) for k in self.parameters}}


@dataclass(frozen=True)
class FitCovariance:
    """Parameter uncertainty of a fit as a population: draws around the estimates
    with the fit's covariance, on the fit's estimation scale (log10 or linear).

    Parameters
    ----------
    result
        A :class:`~receptorkin.fitting.FitResult` (uses ``estimates``, ``se``,
        ``correlation`` and ``scales``).
    parameters
        Which estimated parameters to vary (default all; per-condition
        estimates such as ``k[treated]`` must be left out).
    """

    result: Any = field(repr=False)
    parameters: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        res = self.result
        for attr in ("names", "estimates", "se", "correlation", "scales"):
            if not hasattr(res, attr):
                raise PopulationError(f"FitCovariance: expected a FitResult (it has no {attr!r})")
        names = tuple(self.parameters) if self.parameters is not None else tuple(res.names)
        unknown = [n for n in names if n not in res.names]
        if unknown:
            raise PopulationError(f"FitCovariance: {unknown[0]!r} was not estimated{closest(unknown[0], res.names)}")
        per_condition = [n for n in names if "[" in n]
        if per_condition:
            raise PopulationError(f"FitCovariance: {', '.join(per_condition)} are per-condition estimates, not model "
                                  "parameters: choose parameters=[...] without them")
        object.__setattr__(self, "parameters", names)
        self._scaled()  # check now

    def _scaled(self) -> tuple[np.ndarray, np.ndarray, list[str]]:
        res = self.result
        idx = [list(res.names).index(n) for n in self.parameters]
        centre, sd, scales = [], [], []
        for name in self.parameters:
            v, se, scale = float(res.estimates[name]), float(res.se[name]), res.scales[name]
            if not (math.isfinite(se) and se > 0):
                raise PopulationError(f"FitCovariance: the standard error of {name} is {se!r}: the fit gives no "
                                      "usable covariance for it")
            if scale == "log10":
                centre.append(math.log10(v))
                sd.append(se / (math.log(10) * v))
            else:
                centre.append(v)
                sd.append(se)
            scales.append(scale)
        corr = np.asarray(res.correlation, dtype=float)[np.ix_(idx, idx)]
        if not np.all(np.isfinite(corr)):
            raise PopulationError("FitCovariance: the fit's correlation matrix has undefined entries")
        cov = corr * np.outer(sd, sd)
        return np.asarray(centre), cov, scales

    def _draw_joint(self, rng: np.random.Generator, n: int, nominal: Mapping[str, float | None]) -> np.ndarray:
        centre, cov, scales = self._scaled()
        root = _matrix_root(cov, "FitCovariance")
        x = centre + rng.standard_normal((n, centre.size)) @ root.T
        for j, scale in enumerate(scales):
            if scale == "log10":
                x[:, j] = 10.0 ** x[:, j]
        return x

    def describe(self, nominal: Mapping[str, float | None] | None = None) -> dict[str, Any]:
        centre, cov, scales = self._scaled()
        return {"distribution": "fit_covariance", "parameters": list(self.parameters), "scales": scales,
                "estimates": {k: float(self.result.estimates[k]) for k in self.parameters},
                "se": {k: float(self.result.se[k]) for k in self.parameters}}


Distribution = Union[LogNormal, Normal, Uniform]
JointDistribution = Union[LogNormalCovariance, FitCovariance]
Variability = Union[Mapping[str, Union[Distribution, float]], JointDistribution,
                    Sequence[Union[Mapping[str, Union[Distribution, float]], JointDistribution]]]


def _specs(variability: Any) -> list[tuple[tuple[str, ...], Any]]:
    """Normalise a variability argument into ``[(names, spec), ...]``, sorted by name
    so that the draws do not depend on the order the user wrote them in."""
    if variability is None:
        return []
    single = isinstance(variability, (Mapping, LogNormalCovariance, FitCovariance))
    groups = [variability] if single else list(variability)
    specs: list[tuple[tuple[str, ...], Any]] = []
    for group in groups:
        if isinstance(group, (LogNormalCovariance, FitCovariance)):
            specs.append((tuple(group.parameters), group))
        elif isinstance(group, Mapping):
            for name, dist in group.items():
                if isinstance(dist, (int, float)) and not isinstance(dist, bool):
                    dist = LogNormal(cv=dist)
                if not isinstance(dist, (LogNormal, Normal, Uniform)):
                    raise PopulationError(f"{name}: expected a CV (number), LogNormal, Normal or Uniform "
                                          f"(got {dist!r})")
                specs.append(((str(name),), dist))
        else:
            raise PopulationError(f"variability: expected a mapping of parameter -> distribution or a joint "
                                  f"distribution (got {group!r})")
    seen: set[str] = set()
    for names, _ in specs:
        for name in names:
            if name in seen:
                raise PopulationError(f"variability: {name!r} is given more than one distribution")
            seen.add(name)
    return sorted(specs, key=lambda item: item[0][0])


# =============================================================== population
class Population:
    """A virtual population: ``n`` individuals with parameters drawn once, up front.

    Parameters
    ----------
    model
        A :class:`~receptorkin.models.Model`, bundled id, path, or a
        :class:`~receptorkin.simulation.Simulator` (its parameter values set
        with ``set()`` and its solver tolerances are kept).
    variability
        Parameter id -> :class:`LogNormal` / :class:`Normal` /
        :class:`Uniform` (a bare number is a log-normal CV), and/or joint
        :class:`LogNormalCovariance` / :class:`FitCovariance` specs (a list
        mixes them).  Parameters left out keep their value in every
        individual; ``None`` or ``{}`` gives identical individuals.
    n
        Number of individuals (at least 1).
    seed
        Seed of ``numpy.random.default_rng``; the same seed gives the same
        population (``None``: a fresh seed, recorded in :attr:`seed`).
    values
        Fixed parameter values (or species initial amounts) for everybody.

    Raises
    ------
    ModelError
        A parameter the model does not have (with the closest id).
    PopulationError
        ``n < 1``, a CV <= 0, a parameter given twice, impossible draws.
    """

    def __init__(
        self,
        model: "Model | Simulator | str | os.PathLike",
        variability: Variability | None = None,
        n: int = 1000,
        seed: int | None = 0,
        *,
        values: Mapping[str, float] | None = None,
    ) -> None:
        from ..simulation import Simulator

        fixed: dict[str, float] = {}
        options = (1e-8, 1e-10, 100_000)
        if isinstance(model, Simulator):
            sim = model
            model = sim.model
            defaults = sim.default_parameters
            fixed = {k: v for k, v in sim.parameters.items() if defaults.get(k) != v}
            options = (sim.options.rtol, sim.options.atol, sim.options.max_steps)
        self.model: Model = load_model(model)
        self.solver_options: tuple[float, float, int] = options
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise PopulationError(f"n must be a whole number of individuals, at least 1 (got {n!r})")
        self.n = int(n)
        if seed is None:
            seed = int(np.random.SeedSequence().entropy)
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise PopulationError(f"seed must be a non-negative whole number (got {seed!r})")
        self.seed = int(seed)
        params = self.model.parameters
        species = {e.id: e.value for e in self.model.elements if e.kind == "species"}
        known = list(params) + list(species)

        def check(name: str, what: str) -> None:
            if name in params or name in species:
                return
            if name in self.model.ids:
                el = self.model.element(name)
                formula = f" ({name} := {el.formula})" if el.formula else ""
                raise ModelError(f"model {self.model.id!r}: {what} {name!r} is computed by a rule{formula}: vary the "
                                 "parameters it is computed from")
            raise ModelError(f"model {self.model.id!r}: {what} {name!r} is not a parameter or species"
                             f"{closest(name, known)}")

        for k, v in (values or {}).items():
            check(k, "fixed value of")
            fixed[k] = _finite(v, f"value of {k}")
        self.values: dict[str, float] = fixed
        self._specs = _specs(variability)
        names: list[str] = []
        for group, _ in self._specs:
            for name in group:
                check(name, "varied quantity")
                if name in fixed:
                    raise PopulationError(f"{name!r} is both fixed (values=) and varied")
                names.append(name)
        self.names: tuple[str, ...] = tuple(names)
        self.nominal: dict[str, float | None] = {
            k: fixed.get(k, params.get(k, species.get(k))) for k in names}
        self._samples = self._draw()

    def _draw(self) -> np.ndarray:
        rng = np.random.default_rng(self.seed)
        out = np.empty((self.n, len(self.names)))
        j = 0
        for group, spec in self._specs:
            if isinstance(spec, (LogNormalCovariance, FitCovariance)):
                block = spec._draw_joint(rng, self.n, self.nominal)
            else:
                block = spec._draw(rng, self.n, self.nominal[group[0]], group[0])[:, None]
            out[:, j:j + len(group)] = block
            j += len(group)
        if not np.all(np.isfinite(out)):
            bad = [self.names[c] for c in range(out.shape[1]) if not np.all(np.isfinite(out[:, c]))]
            raise PopulationError(f"the distribution of {', '.join(bad)} gave non-finite values")
        out.setflags(write=False)
        return out

    # ------------------------------------------------------------------ views
    @property
    def samples(self) -> np.ndarray:
        """Drawn values, ``n`` x ``len(names)`` (read-only), in :attr:`names` order."""
        return self._samples

    @property
    def variability(self) -> dict[str, dict[str, Any]]:
        """Each varied quantity (or joint group, keyed ``'a,b'``) and its distribution."""
        out = {}
        for group, spec in self._specs:
            if len(group) == 1 and not isinstance(spec, (LogNormalCovariance, FitCovariance)):
                out[group[0]] = spec.describe(self.nominal[group[0]])
            else:
                out[",".join(group)] = spec.describe(self.nominal)
        return out

    def __len__(self) -> int:
        return self.n

    def __repr__(self) -> str:
        varied = ", ".join(self.names) or "nothing"
        return f"Population({self.model.id!r}, n={self.n}, seed={self.seed}, varies {varied})"

    @property
    def table(self) -> "pd.DataFrame":
        """One row per individual (index ``individual``), one column per varied quantity."""
        import pandas as pd

        return pd.DataFrame(np.array(self._samples), columns=list(self.names),
                            index=pd.RangeIndex(self.n, name="individual"))

    def describe(self) -> "pd.DataFrame":
        """Requested typical value against the drawn mean, median, SD, CV and 5th/95th percentiles."""
        import pandas as pd

        rows = []
        for j, name in enumerate(self.names):
            x = self._samples[:, j]
            mean = float(np.mean(x))
            sd = float(np.std(x, ddof=1)) if self.n > 1 else 0.0
            rows.append({"parameter": name, "nominal": self.nominal[name], "mean": mean, "median": float(np.median(x)),
                         "sd": sd, "cv": sd / abs(mean) if mean else math.nan,
                         "p5": float(np.percentile(x, 5)), "p95": float(np.percentile(x, 95))})
        return pd.DataFrame(rows, columns=["parameter", "nominal", "mean", "median", "sd", "cv", "p5", "p95"]
                            ).set_index("parameter")
