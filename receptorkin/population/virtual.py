"""Virtual populations: who stays responsive under a regimen, and why.

Patients differ in receptor density and turnover.  A :class:`Population`
draws per-individual parameter values from distributions -- :class:`LogNormal`
(typical value and CV), :class:`Normal`, :class:`Uniform`, a covariance on log
scale (:class:`LogNormalCovariance`) or the covariance of a fit
(:class:`FitCovariance`) -- all up front, in this process, from
``numpy.random.default_rng(seed)``.  :func:`simulate` runs every individual
through a dosing regimen and records readouts (``'response@14d'``: an
observable at a time), serially, on local processes or on a Dask cluster
(:mod:`receptorkin.parallel`), with the same numbers bit for bit whichever
backend runs it.  Results stream to disk in chunks (``out=``), so memory
stays flat for 100,000 individuals.

The summaries answer the clinical question: percentile bands over time
(:func:`percentile_bands`), the fraction of individuals meeting a criterion
with a binomial confidence interval (:func:`responder_fraction`,
:func:`binomial_ci`), and which parameters drive non-response
(:func:`drivers`: Spearman rank correlations and responder fractions by
quartile).  A criterion is a small, safely parsed language
(:func:`parse_criterion`)::

    response@14d / response@1d >= 0.5        # day-14 response at least half of day 1
    surface_receptor@7d >= 50% * surface_receptor@0h
    response@24h - response@0 > 0.1

Example
-------
>>> pop = Population("turnover_tolerance", {"k_degradation": LogNormal(cv=0.4)}, n=200, seed=1)
>>> res = simulate(pop, "exposure:50nM@0-", criterion="response@14d/response@0h>=0.3")
>>> 0 < res.responders().fraction < 1
True
"""

from __future__ import annotations

import math
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence, Union

import numpy as np

from ..errors import ModelError, PopulationError, SimulationError
from ..models.sbml import Model, closest, load_model
from ..units import TIME_UNITS

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ..dosing import Regimen
    from ..dosing.experiment import Experiment
    from ..simulation import Simulator

__all__ = [
    "PopulationError",
    "LogNormal",
    "Normal",
    "Uniform",
    "LogNormalCovariance",
    "FitCovariance",
    "Population",
    "Readout",
    "Criterion",
    "parse_criterion",
    "simulate",
    "simulate_population",
    "time_grid",
    "PopulationResult",
    "ResponderFraction",
    "binomial_ci",
    "responder_fraction",
    "percentile_bands",
    "drivers",
    "plot_bands",
]


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


# ================================================================= readouts
@dataclass(frozen=True)
class Readout:
    """An observable at a time: one number per individual.

    Attributes
    ----------
    observable
        Output id (observable, species or rule variable).
    time
        Time after the start of the regimen [model time unit].
    label
        Text form, e.g. ``'response@14d'``.
    """

    observable: str
    time: float
    label: str


_NUM = r"(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_REF = re.compile(rf"([A-Za-z_]\w*)\s*@\s*({_NUM})\s*([A-Za-zµ]*)")


def _time_text(value: str, unit: str, where: str) -> None:
    """Refuse a time without a unit (except 0) or with an unknown unit."""
    if not unit and float(value) != 0.0:
        raise PopulationError(f"{where}: time {value!r} needs a unit (s, min, h, d, w), e.g. {value}h")
    if unit and unit not in TIME_UNITS:
        raise PopulationError(f"{where}: unknown time unit {unit!r} (known: s, min, h, d, w)")


def _parse_readout(text: str, sim: "Simulator") -> Readout:
    m = _REF.fullmatch(text.strip())
    if not m:
        raise PopulationError(f"readout {text!r}: expected OBSERVABLE@TIME, e.g. response@14d")
    obs, value, unit = m.groups()
    _time_text(value, unit, f"readout {text!r}")
    _check_output(sim, obs, f"readout {text!r}")
    t = sim.model_time(f"{value}{unit}", f"readout {text!r}")
    return Readout(obs, t, f"{obs}@{value}{unit}")


def _check_output(sim: "Simulator", obs: str, where: str) -> None:
    try:
        sim.check_selections([obs])
    except ModelError:
        known = list(sim.observables) + [s for s in sim.species if s not in sim.observables]
        raise ModelError(f"{where}: model {sim.id!r} has no output {obs!r}{closest(obs, known)}") from None


def _grid_label(obs: str, t: float, unit: str) -> str:
    return f"{obs}@{t:.10g}{unit}"


# ================================================================ criterion
_TOKEN = re.compile(rf"""
    (?P<ref>[A-Za-z_]\w*\s*@\s*{_NUM}\s*[A-Za-zµ]*)
  | (?P<ident>[A-Za-z_]\w*)
  | (?P<num>{_NUM})(?P<pct>\s*%)?
  | (?P<cmp>>=|<=|==|!=|≥|≤|>|<|=)
  | (?P<op>[-+*/()])
""", re.X)
_COMPARATORS = {">=": ">=", "≥": ">=", ">": ">", "<=": "<=", "≤": "<=", "<": "<"}
_MAX_DEPTH = 50  #: parentheses and unary minus nested deeper than this are refused


@dataclass(frozen=True)
class Criterion:
    """A parsed responder criterion such as ``response@14d/response@1d >= 0.5``.

    Build one with :func:`parse_criterion`.  The left and right sides are
    arithmetic (``+ - * /``, parentheses, numbers, ``50%``) of readouts
    ``OBSERVABLE@TIME``; ``op`` is one of ``>=``, ``>``, ``<=``, ``<``.

    Attributes
    ----------
    text
        The text it was parsed from.
    refs
        ``(observable, time text)`` of each readout, in order of appearance.
    """

    text: str
    op: str
    lhs: tuple = field(repr=False)
    rhs: tuple = field(repr=False)
    refs: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        return self.text

    def check(self, model: "Model | str") -> None:
        """Check, without compiling the model, that it has every output the criterion reads.

        Raises
        ------
        ModelError
            Naming the unknown output and the closest id.
        """
        m = load_model(model)
        ids = m.ids
        for obs, _ in self.refs:
            if obs not in ids:
                known = list(m.observables) + [i for i in ids if i not in m.observables]
                raise ModelError(f"criterion {self.text!r}: model {m.id!r} has no output {obs!r}{closest(obs, known)}")

    def readouts(self, sim: "Simulator") -> list[Readout]:
        """The readouts the criterion needs, resolved on a model (times in its unit)."""
        out = []
        for obs, when in self.refs:
            _check_output(sim, obs, f"criterion {self.text!r}")
            out.append(Readout(obs, sim.model_time(when, f"criterion {self.text!r}"), f"{obs}@{when}"))
        return out

    def evaluate(self, columns: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Margin and verdict for arrays of the readouts (``columns[i]`` for ``refs[i]``).

        Returns
        -------
        margin
            ``lhs - rhs`` for ``>=``/``>``, ``rhs - lhs`` for ``<=``/``<``: positive
            when the criterion is met by a margin; NaN when undefined (a failed
            simulation, 0/0).
        met
            Boolean; meaningful where ``margin`` is finite.
        """
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            lhs = np.asarray(_eval(self.lhs, columns), dtype=float)
            rhs = np.asarray(_eval(self.rhs, columns), dtype=float)
            lhs, rhs = np.broadcast_arrays(lhs, rhs)
            ok = np.isfinite(lhs) & np.isfinite(rhs)
            if self.op == ">=":
                met = lhs >= rhs
            elif self.op == ">":
                met = lhs > rhs
            elif self.op == "<=":
                met = lhs <= rhs
            else:
                met = lhs < rhs
            margin = np.where(ok, (lhs - rhs) if self.op in (">=", ">") else (rhs - lhs), np.nan)
        return margin, met & ok


def _eval(node: tuple, columns: Sequence[np.ndarray]) -> Any:
    kind = node[0]
    if kind == "num":
        return node[1]
    if kind == "ref":
        return columns[node[1]]
    if kind == "neg":
        return -_eval(node[1], columns)
    a, b = _eval(node[2], columns), _eval(node[3], columns)
    op = node[1]
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    return np.divide(a, b)


class _Parser:
    """Recursive descent over the tokens of a criterion (no eval, no names but readouts)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[tuple[str, str, int]] = []
        self.refs: list[tuple[str, str]] = []
        pos = 0
        while pos < len(text):
            if text[pos].isspace():
                pos += 1
                continue
            m = _TOKEN.match(text, pos)
            if not m:
                raise self.error(pos, f"unexpected character {text[pos]!r}")
            kind = m.lastgroup if m.lastgroup != "pct" else "num"
            if kind == "ident":
                raise self.error(pos, f"{m.group()!r} needs a time: write {m.group()}@TIME (e.g. {m.group()}@14d)")
            if kind == "cmp" and m.group() not in _COMPARATORS:
                raise self.error(pos, f"comparison {m.group()!r} is not allowed: use >=, >, <= or <")
            self.tokens.append((kind, m.group(), pos))
            pos = m.end()
        self.i = 0
        self.depth = 0

    def error(self, pos: int, message: str) -> PopulationError:
        return PopulationError(f"criterion {self.text!r}: at character {pos + 1}: {message}")

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str, int]:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def parse(self) -> Criterion:
        if not self.tokens:
            raise PopulationError("criterion is empty: expected e.g. response@14d/response@1d>=0.5")
        lhs = self.expr()
        tok = self.peek()
        if tok is None or tok[0] != "cmp":
            where = tok[2] if tok else len(self.text)
            raise self.error(where, "expected a comparison (>=, >, <= or <)")
        op = _COMPARATORS[self.take()[1]]
        rhs = self.expr()
        tok = self.peek()
        if tok is not None:
            raise self.error(tok[2], f"unexpected {tok[1]!r} after the comparison (one comparison only)")
        if not self.refs:
            raise PopulationError(f"criterion {self.text!r}: names no readout (OBSERVABLE@TIME)")
        return Criterion(self.text.strip(), op, lhs, rhs, tuple(self.refs))

    def expr(self) -> tuple:
        node = self.term()
        while (tok := self.peek()) is not None and tok[0] == "op" and tok[1] in "+-":
            self.take()
            node = ("bin", tok[1], node, self.term())
        return node

    def term(self) -> tuple:
        node = self.factor()
        while (tok := self.peek()) is not None and tok[0] == "op" and tok[1] in "*/":
            self.take()
            node = ("bin", tok[1], node, self.factor())
        return node

    def factor(self) -> tuple:
        tok = self.peek()
        if tok is not None and self.depth > _MAX_DEPTH:
            raise self.error(tok[2], f"nested deeper than {_MAX_DEPTH} levels")
        if tok is None:
            raise self.error(len(self.text), "expression ends too early: expected a number, OBSERVABLE@TIME or '('")
        kind, text, pos = self.take()
        if kind == "num":
            pct = text.rstrip().endswith("%")
            value = float(text.rstrip()[:-1].strip()) / 100.0 if pct else float(text)
            if not math.isfinite(value):
                raise self.error(pos, f"{text.strip()!r} is not a finite number")
            return ("num", value)
        if kind == "ref":
            m = _REF.fullmatch(text)
            obs, value, unit = m.groups()
            _time_text(value, unit, f"criterion {self.text!r}: at character {pos + 1}")
            ref = (obs, f"{value}{unit}")
            if ref not in self.refs:
                self.refs.append(ref)
            return ("ref", self.refs.index(ref))
        if kind == "op" and text in "-(":
            self.depth += 1
            try:
                if text == "-":
                    return ("neg", self.factor())
                node = self.expr()
                close = self.peek()
                if close is None or close[1] != ")":
                    raise self.error(close[2] if close else len(self.text), "expected ')'")
                self.take()
                return node
            finally:
                self.depth -= 1
        raise self.error(pos, f"expected a number, OBSERVABLE@TIME or '(' (got {text!r})")


def parse_criterion(text: "str | Criterion") -> Criterion:
    """Parse a responder criterion.

    Grammar: ``EXPR CMP EXPR`` with ``CMP`` one of ``>= > <= <``; ``EXPR`` is
    ``+ - * /`` and parentheses over numbers (``0.5``, ``50%``) and readouts
    ``OBSERVABLE@TIME`` (``response@14d``, ``surface_receptor@30min``; a time
    needs a unit unless it is 0).  Nothing is evaluated as Python.

    Raises
    ------
    PopulationError
        With the character position and what was expected.
    """
    if isinstance(text, Criterion):
        return text
    if not isinstance(text, str):
        raise PopulationError(f"criterion: expected text such as 'response@14d/response@1d>=0.5' (got {text!r})")
    if len(text) > 1000:
        raise PopulationError("criterion: longer than 1000 characters")
    return _Parser(text).parse()


# =============================================================== simulation
@dataclass(frozen=True)
class _Plan:
    """Everything a worker needs, computed once in the parent (small, picklable): the
    population's experiment (one per individual, differing only in the drawn parameters,
    run by THE runner) and where each readout sits in its output."""

    model: Model
    options: tuple[float, float, int]
    names: tuple[str, ...]
    experiment: "Experiment"
    time_index: np.ndarray
    column_index: np.ndarray
    n_readouts: int


def _build_plan(sim: "Simulator", pop: Population, regimen: "Regimen | None", readouts: Sequence[Readout],
                equilibrate: bool) -> _Plan:
    from ..dosing.experiment import Experiment, Readouts, Start

    selections = tuple(dict.fromkeys(r.observable for r in readouts))
    col_of = {s: i for i, s in enumerate(selections)}
    times = np.array([r.time for r in readouts], dtype=float)
    grid = np.unique(times)
    experiment = Experiment(
        start=Start(equilibrate=bool(equilibrate)),
        regimen=None if regimen is None or regimen.kind == "none" else regimen,
        overrides=dict(pop.values),
        readouts=Readouts(selections, times=tuple(grid.tolist())),
        horizon=float(grid[-1]) if grid.size else 0.0,
    )
    from ..dosing.run import prepare

    prepare(sim, experiment)  # refuse an incompatible regimen here, before any worker starts
    return _Plan(model=sim.model, options=pop.solver_options, names=pop.names, experiment=experiment,
                 time_index=np.searchsorted(grid, times), column_index=np.array([col_of[r.observable] for r in readouts], dtype=int),
                 n_readouts=len(readouts))


class _Worker:
    """Per-process state: the model compiled once, and the experiment prepared for it."""

    def __init__(self, plan: _Plan) -> None:
        from ..dosing.run import prepare
        from ..simulation import Simulator

        rtol, atol, max_steps = plan.options
        self.sim = Simulator(plan.model, rtol=rtol, atol=atol, max_steps=max_steps)
        self.plan = plan
        self.prepared = prepare(self.sim, plan.experiment)

    def run(self, rows: np.ndarray) -> tuple[np.ndarray, list[tuple[int, str]]]:
        plan, prepared = self.plan, self.prepared
        out = np.full((rows.shape[0], plan.n_readouts), np.nan)
        failures: list[tuple[int, str]] = []
        names = plan.names
        ti, ci = plan.time_index, plan.column_index
        for j in range(rows.shape[0]):
            try:
                values = prepared.values(dict(zip(names, rows[j].tolist())))
            except SimulationError as exc:
                failures.append((j, " ".join(str(exc).split())[:500]))
                continue
            out[j] = values[ti, ci]
        return out, failures


def _make_worker(plan: _Plan) -> _Worker:
    return _Worker(plan)


def _simulate_chunk(worker: _Worker, item: tuple[int, np.ndarray]) -> tuple[int, np.ndarray, list[tuple[int, str]]]:
    start, rows = item
    values, failures = worker.run(rows)
    return start, values, [(start + j, msg) for j, msg in failures]


def _resolve_readouts(sim: "Simulator", readouts: Any, times: Any, criterion: Criterion | None) -> list[Readout]:
    grid: np.ndarray | None = None
    if times is not None:
        grid = np.array([sim.model_time(t, "times") for t in times], dtype=float)
        if grid.size == 0 or np.any(np.diff(grid) <= 0):
            raise PopulationError("times must be one or more increasing, non-negative times")
    if isinstance(readouts, (str, Readout)):
        readouts = [readouts]
    items = list(readouts) if readouts is not None else []
    if readouts is None and grid is not None:
        if sim.observable is None:
            raise PopulationError(f"model {sim.id!r} has no default observable: name readouts=[...]")
        items = [sim.observable]
    out: list[Readout] = []
    generated: set[tuple[str, float]] = set()  # labels made from ``times``: written labels replace them
    for item in items:
        if isinstance(item, Readout):
            _check_output(sim, item.observable, f"readout {item.label!r}")
            out.append(item)
        elif isinstance(item, str) and "@" in item:
            out.append(_parse_readout(item, sim))
        elif isinstance(item, str):
            if grid is None:
                raise PopulationError(f"readout {item!r} has no time: write {item}@TIME (e.g. {item}@14d) or give "
                                      "times=[...] for a time course")
            _check_output(sim, item, f"readout {item!r}")
            out.extend(Readout(item, float(t), _grid_label(item, float(t), sim.time_unit)) for t in grid)
            generated.update((item, float(t)) for t in grid)
        else:
            raise PopulationError(f"readout: expected 'OBSERVABLE@TIME' or an observable id (got {item!r})")
    if criterion is not None:
        out.extend(criterion.readouts(sim))
    if not out:
        raise PopulationError("nothing to record: give readouts (e.g. ['response@14d']), times=[...] or a criterion")
    unique: dict[tuple[str, float], Readout] = {}
    for r in out:
        if r.time < 0 or not math.isfinite(r.time):
            raise PopulationError(f"readout {r.label!r}: time must be non-negative")
        key = (r.observable, r.time)
        if key not in unique:
            unique[key] = r
        elif key in generated and r.label != unique[key].label:
            unique[key] = r  # 'response@1d' as written, not the grid's 'response@24h'
            generated.discard(key)
    return list(unique.values())


def simulate(
    population: Population,
    regimen: "Regimen | str | None" = None,
    readouts: "Sequence[str | Readout] | str | None" = None,
    *,
    times: Sequence[float | str] | None = None,
    criterion: "str | Criterion | None" = None,
    equilibrate: bool = False,
    jobs: int | None = 1,
    scheduler: Any = None,
    chunk_size: int | None = None,
    out: "str | os.PathLike | None" = None,
    out_readouts: "Sequence[str | Readout] | None" = None,
    force: bool = False,
    progress: bool | None = None,
) -> "PopulationResult":
    """Simulate every individual of a population under a regimen.

    Parameters
    ----------
    population
        The individuals (parameters already drawn).
    regimen
        A :class:`~receptorkin.dosing.Regimen` or its text form
        (``'exposure:50nM@0-'``, ``'pulses:every=24h,width=12h,dose=100nM'``);
        ``None``: no drug.
    readouts
        ``'OBSERVABLE@TIME'`` strings (``'response@14d'``), :class:`Readout`
        values, or observable ids recorded at every time of ``times``.  A
        readout at the time of a dose sees that dose (right-continuous).
    times
        Output times for observable-id readouts (model time unit, or text
        with units such as ``'6h'``): a time course for percentile bands.
    criterion
        A responder criterion (:func:`parse_criterion`); its readouts are
        added, and the result (and ``out``) carries each individual's margin
        and verdict.
    equilibrate
        Start each individual from its own drug-free steady state instead of
        the model's initial values.
    jobs, scheduler
        Backend (:mod:`receptorkin.parallel`): 1 = this process, N = local
        processes, or a Dask scheduler address / ``Client``.  The numbers are
        identical whichever runs them.
    chunk_size
        Individuals per task (default: about eight tasks per worker, at
        most 500 individuals).
    out
        Stream the tidy table to this file chunk by chunk (``.csv``, or
        ``.parquet`` when pyarrow is installed); written atomically, refused
        if it exists unless ``force``.  The table is never built in memory.
    out_readouts
        Which readouts go to ``out`` (``'OBSERVABLE@TIME'`` or
        :class:`Readout`; default all), e.g. the endpoints of a criterion while
        a long time course for percentile bands stays in memory only.
    force
        Overwrite ``out``.
    progress
        Progress bar (default: when stderr is a terminal).

    Returns
    -------
    PopulationResult
        Readout values (``n`` x readouts), failures, and the summaries.
        Individuals whose simulation fails get NaN values and an entry in
        :attr:`PopulationResult.failures` (nothing is dropped silently).
    """
    from ..dosing import as_regimen
    from ..io import check_writable
    from ..parallel import resolve_jobs
    from ..simulation import Simulator

    if not isinstance(population, Population):
        raise PopulationError(f"simulate: expected a Population (got {type(population).__name__})")
    crit = parse_criterion(criterion) if criterion is not None else None
    rtol, atol, max_steps = population.solver_options
    sim = Simulator(population.model, rtol=rtol, atol=atol, max_steps=max_steps)
    reg = as_regimen(regimen) if regimen is not None else None
    rds = _resolve_readouts(sim, readouts, times, crit)
    plan = _build_plan(sim, population, reg, rds, equilibrate)
    target = check_writable(out, force) if out is not None else None
    n = population.n
    if chunk_size is None:
        workers = 8 if scheduler is not None else resolve_jobs(jobs)
        chunk_size = max(1, min(500, math.ceil(n / (8 * workers))))
    elif isinstance(chunk_size, bool) or int(chunk_size) < 1:
        raise PopulationError(f"chunk_size must be at least 1 (got {chunk_size!r})")
    chunk_size = int(chunk_size)
    samples = population.samples
    items = [(s, samples[s:s + chunk_size]) for s in range(0, n, chunk_size)]
    values = np.full((n, len(rds)), np.nan)
    failures: dict[int, str] = {}
    result = PopulationResult(population=population, regimen=reg, readouts=tuple(rds), values=values,
                              failures=failures, time_unit=sim.time_unit, criterion=crit,
                              backend=_backend_name(jobs, scheduler))
    writer = _TableWriter(target, result, _select_readouts(sim, rds, out_readouts)) if target is not None else None
    from ..parallel import iter_tasks

    # ``sim`` stays alive during the run: a worker in this process (jobs=1) then gets the
    # compiled model from roadrunner's cache instead of compiling it again
    try:
        for start, chunk, fails in iter_tasks(_simulate_chunk, items, setup=_make_worker, setup_args=(plan,),
                                              jobs=jobs, scheduler=scheduler, chunk_size=1, progress=progress,
                                              desc=f"{population.model.id}: {n} individuals",
                                              weight=lambda item: len(item[1])):
            values[start:start + chunk.shape[0]] = chunk
            failures.update(fails)
            if writer is not None:
                writer.write(start, chunk)
        if writer is not None:
            writer.commit()
            result.path = target
    finally:
        if writer is not None:
            writer.abort()
    values.setflags(write=False)
    del sim
    return result


#: :func:`simulate` under the name ``receptorkin.simulate_population`` (unambiguous at the package level)
simulate_population = simulate


def time_grid(model: "Model | Simulator | str", regimen: "Regimen | str | None", horizon: "float | str",
              points: int = 49, max_points: int = 400) -> np.ndarray:
    """Output times for percentile bands that resolve a regimen.

    ``points`` equally spaced times on ``[0, horizon]``, plus every time
    the regimen's input changes and the middle of every interval between
    changes (so that pulses are seen on and off, not aliased), as long as
    that makes no more than ``max_points`` times.

    Parameters
    ----------
    model
        The model (for its time unit), a bundled id or a Simulator.
    regimen
        The regimen (``None``: no drug).
    horizon
        End time (model time unit, or text such as ``'14d'``).
    points, max_points
        Uniform points, and the most times returned.

    Returns
    -------
    numpy.ndarray
        Increasing times [model time unit], from 0 to ``horizon``.
    """
    from ..dosing import as_regimen
    from ..units import parse_time, time_factor

    m = model.model if hasattr(model, "model") and not isinstance(model, Model) else load_model(model)
    end = parse_time(horizon, m.time_unit, "horizon")
    if not (math.isfinite(end) and end > 0):
        raise PopulationError(f"horizon must be a positive time (got {horizon!r})")
    if isinstance(points, bool) or int(points) < 2:
        raise PopulationError(f"points must be at least 2 (got {points!r})")
    grid = np.linspace(0.0, end, int(points))
    if regimen is None:
        return grid
    reg = as_regimen(regimen)
    if reg.kind == "none":
        return grid
    f = time_factor("min", m.time_unit)
    changes = reg.schedule(end / f).times * f
    changes = changes[changes <= end]
    middles = (changes[:-1] + changes[1:]) / 2.0
    finer = np.unique(np.concatenate([grid, changes, middles, [end]]))
    return finer if finer.size <= max_points else grid


def _backend_name(jobs: int | None, scheduler: Any) -> str:
    from ..parallel import resolve_jobs

    if scheduler is not None:
        return f"dask ({scheduler})" if isinstance(scheduler, str) else "dask"
    workers = resolve_jobs(jobs)
    return "serial" if workers == 1 else f"{workers} processes"


# =================================================================== output
def _select_readouts(sim: "Simulator", readouts: Sequence[Readout], wanted: Any) -> np.ndarray | None:
    """Column indices of the ``wanted`` readouts among ``readouts`` (``None``: all)."""
    if wanted is None:
        return None
    if isinstance(wanted, (str, Readout)):
        wanted = [wanted]
    keys = {(r.observable, r.time): j for j, r in enumerate(readouts)}
    cols = []
    for item in wanted:
        r = item if isinstance(item, Readout) else _parse_readout(str(item), sim)
        if (r.observable, r.time) not in keys:
            raise PopulationError(f"out_readouts: {r.label!r} is not among the readouts simulated")
        cols.append(keys[(r.observable, r.time)])
    if not cols:
        raise PopulationError("out_readouts: name at least one readout")
    return np.array(sorted(set(cols)), dtype=int)


class _TableWriter:
    """Append tidy chunks to a temporary file next to the target; move it into place at the end."""

    def __init__(self, target: Path, result: "PopulationResult", columns: np.ndarray | None = None) -> None:
        self.target = target
        self.result = result
        self.columns = columns
        self.parquet = target.suffix.lower() == ".parquet"
        if self.parquet:
            try:
                import pyarrow  # noqa: F401
                import pyarrow.parquet  # noqa: F401
            except ImportError:
                raise PopulationError(f"{target}: writing Parquet needs pyarrow, which receptorkin does not depend on: "
                                      "install it, or write .csv") from None
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=target.suffix, dir=target.parent)
        os.close(fd)
        self.tmp = Path(tmp)
        self._fh: Any = None
        self._pq: Any = None
        self._done = False

    def write(self, start: int, chunk: np.ndarray) -> None:
        df = self.result._tidy(start, chunk, plain=self.parquet, columns=self.columns)
        if self.parquet:
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pandas(df, preserve_index=False)
            if self._pq is None:
                self._pq = pq.ParquetWriter(str(self.tmp), table.schema)
            self._pq.write_table(table)
        else:
            first = self._fh is None
            if first:
                self._fh = open(self.tmp, "w", newline="", encoding="utf-8")
            df.to_csv(self._fh, header=first, index=False)

    def commit(self) -> None:
        if self._fh is None and self._pq is None:
            self.write(0, np.empty((0, len(self.result.readouts))))  # header only
        self._close()
        from ..io import publish

        publish(self.tmp, self.target)  # umask permissions, atomic
        self._done = True

    def _close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
        if self._pq is not None:
            self._pq.close()
            self._pq = None

    def abort(self) -> None:
        self._close()
        if not self._done and self.tmp.exists():
            self.tmp.unlink()


# =================================================================== results
@dataclass(frozen=True)
class ResponderFraction:
    """The fraction of individuals meeting a criterion, with a binomial interval.

    Attributes
    ----------
    criterion
        The criterion text.
    responders, evaluable
        Individuals meeting it, and individuals for whom it is defined.
    undetermined
        Individuals left out: failed simulations or an undefined criterion
        (e.g. 0/0); reported, never hidden.
    fraction
        ``responders / evaluable`` (NaN when nobody is evaluable).
    ci
        Confidence interval of the fraction at ``level``.
    method
        ``'wilson'`` or ``'clopper-pearson'``.
    """

    criterion: str
    responders: int
    evaluable: int
    undetermined: int
    fraction: float
    ci: tuple[float, float]
    level: float
    method: str

    def __str__(self) -> str:
        if not self.evaluable:
            return f"{self.criterion}: no individual could be evaluated ({self.undetermined} undetermined)"
        method = "Wilson" if self.method == "wilson" else "Clopper-Pearson"
        text = (f"{self.fraction:.1%} meet {self.criterion} ({self.responders} of {self.evaluable}; "
                f"{self.level:.0%} CI {self.ci[0]:.1%} to {self.ci[1]:.1%}, {method})")
        if self.undetermined:
            text += f"; {self.undetermined} undetermined (failed or undefined) not counted"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {"criterion": self.criterion, "responders": self.responders, "evaluable": self.evaluable,
                "undetermined": self.undetermined, "fraction": self.fraction, "ci": list(self.ci),
                "level": self.level, "method": self.method}


def binomial_ci(k: int, n: int, level: float = 0.95, method: str = "wilson") -> tuple[float, float]:
    """Two-sided confidence interval of a binomial proportion ``k / n``.

    Parameters
    ----------
    k, n
        Successes and trials (``0 <= k <= n``, ``n >= 1``).
    level
        Confidence level (0.95 = 95 %).
    method
        ``'wilson'`` (score interval; good coverage, never outside [0, 1]) or
        ``'clopper-pearson'`` (exact; conservative).
    """
    from scipy import stats

    k, n = int(k), int(n)
    if n < 1 or not 0 <= k <= n:
        raise PopulationError(f"binomial_ci: need 0 <= k <= n and n >= 1 (got k={k}, n={n})")
    if not 0 < level < 1:
        raise PopulationError(f"binomial_ci: level must be between 0 and 1 (got {level!r})")
    alpha = 1.0 - level
    m = method.lower().replace("_", "-")
    if m == "wilson":
        z = float(stats.norm.ppf(1 - alpha / 2))
        p = k / n
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z / denom * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        lo = 0.0 if k == 0 else max(0.0, centre - half)
        hi = 1.0 if k == n else min(1.0, centre + half)
        return lo, hi
    if m in ("clopper-pearson", "exact"):
        lo = 0.0 if k == 0 else float(stats.beta.ppf(alpha / 2, k, n - k + 1))
        hi = 1.0 if k == n else float(stats.beta.ppf(1 - alpha / 2, k + 1, n - k))
        return lo, hi
    raise PopulationError(f"binomial_ci: unknown method {method!r} (use 'wilson' or 'clopper-pearson')")


@dataclass
class PopulationResult:
    """Readouts of every individual of a population, and its summaries.

    Attributes
    ----------
    population
        The individuals simulated.
    regimen
        The regimen (``None``: no drug).
    readouts
        What was recorded, in column order of :attr:`values`.
    values
        ``n`` x ``len(readouts)`` array (read-only), NaN for failed individuals.
    failures
        Individual index -> solver message, for failed simulations.
    time_unit
        Model time unit of the readout times.
    criterion
        The criterion given to :func:`simulate`, if any.
    path
        The file the tidy table was streamed to, if any.
    backend
        What ran it (``'serial'``, ``'2 processes'``, ``'dask'``).
    """

    population: Population
    regimen: Any
    readouts: tuple[Readout, ...]
    values: np.ndarray = field(repr=False)
    failures: dict[int, str] = field(default_factory=dict, repr=False)
    time_unit: str = ""
    criterion: Criterion | None = None
    path: Path | None = None
    backend: str = ""

    @property
    def n(self) -> int:
        return self.population.n

    @property
    def model_id(self) -> str:
        return self.population.model.id

    def readout(self, observable: str, time: "float | str") -> np.ndarray:
        """Values of one readout over the individuals (time in model units or text)."""
        from ..units import parse_time

        t = parse_time(time, self.time_unit, "time") if isinstance(time, str) else float(time)
        return self.values[:, self._index(observable, t)]

    def _index(self, observable: str, t: float) -> int:
        for j, r in enumerate(self.readouts):
            if r.observable == observable and abs(r.time - t) <= 1e-9 * max(1.0, abs(t)):
                return j
        labels = [r.label for r in self.readouts]
        raise PopulationError(f"no readout {observable}@{t:g}{self.time_unit} was recorded (recorded: "
                              f"{', '.join(labels[:8])}{', ...' if len(labels) > 8 else ''})")

    def _indices(self, crit: Criterion) -> list[int]:
        from ..units import parse_time

        return [self._index(obs, parse_time(when, self.time_unit, f"criterion {crit.text!r}"))
                for obs, when in crit.refs]

    def _columns_for(self, crit: Criterion) -> list[np.ndarray]:
        return [self.values[:, k] for k in self._indices(crit)]

    def evaluate(self, criterion: "str | Criterion | None" = None) -> tuple[np.ndarray, np.ndarray]:
        """Margin (positive = met; NaN undefined) and verdict of every individual."""
        crit = self._criterion(criterion)
        return crit.evaluate(self._columns_for(crit))

    def _criterion(self, criterion: "str | Criterion | None") -> Criterion:
        if criterion is None:
            if self.criterion is None:
                raise PopulationError("no criterion: give one (e.g. 'response@14d/response@1d>=0.5')")
            return self.criterion
        return parse_criterion(criterion)

    def responders(self, criterion: "str | Criterion | None" = None, level: float = 0.95,
                   method: str = "wilson") -> ResponderFraction:
        """The fraction meeting ``criterion`` (default: the one given to :func:`simulate`); see
        :func:`responder_fraction`."""
        return responder_fraction(self, criterion, level=level, method=method)

    def bands(self, observable: str | None = None,
              percentiles: Sequence[float] = (5, 25, 50, 75, 95)) -> "pd.DataFrame":
        """Percentile bands over time; see :func:`percentile_bands`."""
        return percentile_bands(self, observable, percentiles)

    def drivers(self, criterion: "str | Criterion | None" = None) -> "pd.DataFrame":
        """Which varied parameters drive non-response; see :func:`drivers`."""
        return drivers(self, criterion)

    def plot_bands(self, observable: str | None = None, **kwargs: Any):
        """Percentile bands as a matplotlib figure; see :func:`plot_bands`."""
        return plot_bands(self, observable, **kwargs)

    def __repr__(self) -> str:
        from ..report.html import short_repr

        return short_repr(self)

    def _repr_html_(self) -> str:
        """Notebook display: summary, parameter table and the key figure."""
        from ..report.html import report_for

        return report_for(self).fragment()

    # ----------------------------------------------------------------- tables
    def _tidy(self, start: int, chunk: np.ndarray, plain: bool = False,
              columns: np.ndarray | None = None) -> "pd.DataFrame":
        """Tidy rows of individuals ``start ...`` (``chunk``: their readout values), for all
        readouts or the readout indices ``columns``."""
        import pandas as pd

        full = chunk
        readouts = list(self.readouts) if columns is None else [self.readouts[j] for j in columns]
        if columns is not None:
            chunk = chunk[:, columns]
        m, r = chunk.shape
        labels = [x.label for x in readouts]
        observables = list(dict.fromkeys(x.observable for x in readouts))
        obs_code = np.array([observables.index(x.observable) for x in readouts], dtype=int)
        codes = np.tile(np.arange(r), m)
        data: dict[str, Any] = {"individual": np.repeat(np.arange(start, start + m), r)}
        if plain:
            data["readout"] = np.asarray(labels, dtype=object)[codes]
            data["observable"] = np.asarray(observables, dtype=object)[obs_code[codes]]
        else:
            data["readout"] = pd.Categorical.from_codes(codes, categories=labels)
            data["observable"] = pd.Categorical.from_codes(obs_code[codes], categories=observables)
        data["time"] = np.array([x.time for x in readouts], dtype=float)[codes]
        data["value"] = chunk.reshape(-1)
        params = self.population.samples[start:start + m]
        for j, name in enumerate(self.population.names):
            data[name] = np.repeat(params[:, j], r)
        if self.criterion is not None:
            margin, met = self.criterion.evaluate([full[:, k] for k in self._indices(self.criterion)])
            data["margin"] = np.repeat(margin, r)
            verdict = pd.array(np.repeat(met, r), dtype="boolean")
            verdict[np.repeat(~np.isfinite(margin), r)] = pd.NA
            data["responder"] = verdict
        df = pd.DataFrame(data)
        df.attrs["time_unit"] = self.time_unit
        df.attrs["model"] = self.model_id
        return df

    @property
    def table(self) -> "pd.DataFrame":
        """The tidy table: one row per individual and readout -- ``individual``,
        ``readout`` (label), ``observable``, ``time`` [model unit], ``value``,
        the sampled parameters, and with a criterion ``margin`` and
        ``responder``.  ``df.attrs['time_unit']`` gives the time unit."""
        return self._tidy(0, self.values)

    def wide(self) -> "pd.DataFrame":
        """One row per individual: sampled parameters, then one column per readout label."""
        import pandas as pd

        df = self.population.table
        readouts = pd.DataFrame(self.values, columns=[r.label for r in self.readouts], index=df.index)
        out = pd.concat([df, readouts], axis=1)
        if self.criterion is not None:
            margin, met = self.evaluate()
            out["margin"] = margin
            verdict = pd.array(met, dtype="boolean")
            verdict[~np.isfinite(margin)] = pd.NA
            out["responder"] = verdict
        out.attrs["time_unit"] = self.time_unit
        return out


def responder_fraction(result: PopulationResult, criterion: "str | Criterion | None" = None, *,
                       level: float = 0.95, method: str = "wilson") -> ResponderFraction:
    """The fraction of individuals meeting a criterion, with a binomial confidence interval.

    Parameters
    ----------
    result
        A simulated population.
    criterion
        E.g. ``'response@14d/response@1d>=0.5'`` (default: the criterion given
        to :func:`simulate`); its readouts must have been recorded.
    level
        Confidence level of the interval.
    method
        ``'wilson'`` (default) or ``'clopper-pearson'``.

    Individuals whose simulation failed or whose criterion is undefined
    (0/0) are not counted and are reported as ``undetermined``.
    """
    crit = result._criterion(criterion)
    margin, met = result.evaluate(crit)
    ok = np.isfinite(margin)
    n_ok = int(ok.sum())
    k = int(np.sum(met & ok))
    ci = binomial_ci(k, n_ok, level, method) if n_ok else (math.nan, math.nan)
    m = "wilson" if method.lower() == "wilson" else "clopper-pearson"
    return ResponderFraction(crit.text, k, n_ok, result.n - n_ok, k / n_ok if n_ok else math.nan, ci, level, m)


def percentile_bands(result: PopulationResult, observable: str | None = None,
                     percentiles: Sequence[float] = (5, 25, 50, 75, 95)) -> "pd.DataFrame":
    """Percentiles of an observable over the individuals at each recorded time.

    Parameters
    ----------
    result
        A simulated population (record a time course with ``times=``).
    observable
        Which output (default: the first recorded).
    percentiles
        In percent, 0-100.

    Returns
    -------
    pandas.DataFrame
        Index ``time`` [model unit]; columns ``p5``, ``p25``, ... and ``n``
        (individuals with a value at that time).
    """
    import pandas as pd

    obs = observable or result.readouts[0].observable
    idx = [j for j, r in enumerate(result.readouts) if r.observable == obs]
    if not idx:
        recorded = sorted({r.observable for r in result.readouts})
        raise PopulationError(f"{obs!r} was not recorded (recorded: {', '.join(recorded)}){closest(obs, recorded)}")
    q = [float(p) for p in percentiles]
    if any(not 0 <= p <= 100 for p in q):
        raise PopulationError(f"percentiles must be between 0 and 100 (got {list(percentiles)!r})")
    idx.sort(key=lambda j: result.readouts[j].time)
    times = np.array([result.readouts[j].time for j in idx])
    block = result.values[:, idx]
    counts = np.sum(np.isfinite(block), axis=0)
    import warnings

    with warnings.catch_warnings():  # an all-NaN time (every simulation failed) gives NaN, said by ``n``
        warnings.simplefilter("ignore", RuntimeWarning)
        bands = np.nanpercentile(block, q, axis=0) if block.size else np.full((len(q), len(idx)), np.nan)
    df = pd.DataFrame(np.asarray(bands).T, columns=[f"p{p:g}" for p in q], index=pd.Index(times, name="time"))
    df["n"] = counts
    df.attrs["time_unit"] = result.time_unit
    df.attrs["observable"] = obs
    return df


def drivers(result: PopulationResult, criterion: "str | Criterion | None" = None) -> "pd.DataFrame":
    """Which varied parameters drive non-response: a rank-correlation and sensitivity table.

    For each varied parameter: the Spearman rank correlation ``rho`` of the
    parameter with the criterion margin (positive: higher values favour
    response) and its p-value; the median value among responders and
    non-responders; and the responder fraction among individuals in the
    lowest and highest quartile of the parameter.  Sorted by ``|rho|``.
    """
    import pandas as pd
    from scipy import stats

    crit = result._criterion(criterion)
    margin, met = result.evaluate(crit)
    ok = np.isfinite(margin)
    cols = ["rho", "p_value", "median_responders", "median_non_responders", "fraction_low_quartile",
            "fraction_high_quartile"]
    rows = []
    pop = result.population
    for j, name in enumerate(pop.names):
        x = pop.samples[:, j][ok]
        m, v = margin[ok], met[ok]
        if x.size < 3 or np.ptp(x) == 0:
            rho, p = math.nan, math.nan
        else:
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                sr = stats.spearmanr(x, m)
            rho, p = float(sr.statistic), float(sr.pvalue)
        lo_q, hi_q = (np.percentile(x, [25, 75]) if x.size else (math.nan, math.nan))
        low, high = x <= lo_q, x >= hi_q
        rows.append({
            "parameter": name, "rho": rho, "p_value": p,
            "median_responders": float(np.median(x[v])) if v.any() else math.nan,
            "median_non_responders": float(np.median(x[~v])) if (~v).any() else math.nan,
            "fraction_low_quartile": float(np.mean(v[low])) if low.any() else math.nan,
            "fraction_high_quartile": float(np.mean(v[high])) if high.any() else math.nan,
        })
    df = pd.DataFrame(rows, columns=["parameter", *cols]).set_index("parameter")
    if len(df):
        df = df.iloc[np.argsort(-np.nan_to_num(np.abs(df["rho"].to_numpy()), nan=-1.0), kind="stable")]
    df.attrs["criterion"] = crit.text
    return df


def plot_bands(result: PopulationResult, observable: str | None = None, *, title: str | None = None,
               time_unit: str | None = None, ax: Any = None):
    """Median and 50 % / 90 % bands of an observable over time.

    Parameters
    ----------
    result
        A simulated population.
    observable
        Which output (default: the first recorded).
    title
        Figure title.
    time_unit
        Unit of the time axis (default: the model's; e.g. ``'d'``).
    ax
        Draw into these axes instead of a new figure.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if ax is None:
        from matplotlib.figure import Figure  # not pyplot: no global state, the backend is the caller's

        fig = Figure(figsize=(7, 4))
        ax = fig.subplots()
    else:
        fig = ax.figure
    from ..units import time_factor

    df = percentile_bands(result, observable, (5, 25, 50, 75, 95))
    unit = time_unit or result.time_unit
    t = df.index.to_numpy() * time_factor(result.time_unit, unit)
    ax.fill_between(t, df["p5"], df["p95"], alpha=0.2, color="C0", lw=0, label="5th-95th percentile")
    ax.fill_between(t, df["p25"], df["p75"], alpha=0.35, color="C0", lw=0, label="25th-75th percentile")
    ax.plot(t, df["p50"], color="C0", lw=2, label="median", marker="o" if len(t) < 8 else None)
    if result.criterion is not None:
        from ..units import parse_time

        for _, when in result.criterion.refs:
            ax.axvline(parse_time(when, unit), color="0.4", ls=":", lw=1)
    obs = df.attrs["observable"]
    ax.set_xlabel(f"time [{unit}]")
    unit_of = result.population.model.unit_of(obs) if obs in result.population.model.ids else ""
    ax.set_ylabel(f"{obs} [{unit_of}]" if unit_of else obs)
    failed = len(result.failures)
    note = f", {failed} failed" if failed else ""
    ax.set_title(title or f"{result.model_id}: {obs}, n = {result.n}{note}")
    ax.legend(loc="best", fontsize=8, frameon=False)
    fig.tight_layout()
    return fig
