"""A simulated population: responder fraction with its binomial interval, percentile bands, drivers
of non-response."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from ..display import NotebookDisplay, deprecated_call
from ..errors import PopulationError
from ..models.sbml import Model, closest
from .criterion import Criterion, Readout, parse_criterion
from .distributions import Population

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ..dosing import Regimen
    from ..dosing.experiment import Experiment
    from ..simulation import Simulator

__all__ = ["ResponderFraction", "binomial_ci", "PopulationResult", "responder_fraction", "percentile_bands",
           "drivers"]


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
class PopulationResult(NotebookDisplay):
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
    equilibrate
        Whether each individual started from its steady state.
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
    equilibrate: bool = False

    def plot_bands(self, observable: str | None = None, **kwargs: Any) -> Any:
        """Deprecated: use :func:`receptorkin.plots.plot_bands` (``plot_bands(result, observable)``)."""
        return deprecated_call("PopulationResult.plot_bands()", "receptorkin.plots.plot_bands(result, observable)",
                               "plots.plot_bands", self, observable, **kwargs)

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

    def summary(self, band: str) -> dict[str, Any]:
        """The JSON summary that ``receptorkin population`` writes as ``summary.json``.

        The model, population (n, seed, variability, fixed values), regimen, failed simulations (the
        first five), the responder fraction and drivers (with a criterion) and the percentile bands of
        the observable ``band`` over time in hours.
        """
        from ..units import time_factor

        hours = time_factor(self.time_unit, "h")
        population = self.population
        summary: dict[str, Any] = {
            "model": self.model_id, "n": population.n, "seed": population.seed,
            "regimen": self.regimen.to_text() if self.regimen is not None else None,
            "variability": population.variability, "fixed": population.values, "equilibrate": self.equilibrate,
            "time_unit": self.time_unit, "failed_simulations": len(self.failures),
            "individuals": self.path.name if self.path is not None else None, "backend": self.backend,
        }
        if self.failures:
            summary["failures"] = [{"individual": i, "message": m} for i, m in sorted(self.failures.items())[:5]]
        if self.criterion is not None:
            summary["responders"] = self.responders().to_dict()
            table = self.drivers()
            summary["drivers"] = [{"parameter": name, **{k: (None if isinstance(v, float) and math.isnan(v) else v)
                                                          for k, v in row.items()}}
                                  for name, row in table.to_dict(orient="index").items()]
        bands = self.bands(band)
        summary["bands"] = {"observable": band, "time_h": (bands.index.to_numpy() * hours).tolist(),
                            **{c: [None if not math.isfinite(v) else v for v in bands[c].tolist()]
                               for c in bands.columns if c.startswith("p")}}
        return summary

    def __repr__(self) -> str:
        try:
            return f"<PopulationResult {self.model_id}: {self.n} individuals, {len(self.readouts)} readouts>"
        except Exception:  # noqa: BLE001 - a repr must never raise
            return "<PopulationResult>"

    # ----------------------------------------------------------------- tables
    def tidy_chunk(self, start: int, chunk: np.ndarray, plain: bool = False,
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
        return self.tidy_chunk(0, self.values)

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
