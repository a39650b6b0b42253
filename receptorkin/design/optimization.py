"""Optimizing a regimen family (pulses, holidays, continuous input, boluses) for one metric under
constraints on others, with every evaluated regimen and the Pareto front of effect against receptor
preservation."""


from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from ..dosing.metrics import METRICS, metric
from ..dosing.pk import drug_input
from ..dosing.regimen import Exposure, Infusion, PulseTrain, Regimen, format_time, parse_dose, parse_time_minutes
from ..dosing.simulate import check_compatible, simulate_regimen
from ..display import NotebookDisplay, deprecated_call
from ..errors import RegimenError
from ..models.sbml import closest
from .pareto import pareto_front

__all__ = ["Constraint", "parse_constraint", "Family", "FAMILIES", "parse_bounds", "OptimizeResult", "optimize"]


# --------------------------------------------------------------- constraints
_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": lambda a, b: a >= b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, "<": lambda a, b: a < b,
}
_CONSTRAINT = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(>=|<=|>|<|=>|=<)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$")


@dataclass(frozen=True)
class Constraint:
    """A bound on a regimen metric, e.g. ``Constraint('surface_receptor_final', '>=', 0.8)``."""

    metric: str
    op: str
    value: float

    def __post_init__(self) -> None:
        metric(self.metric)
        if self.op not in _OPS:
            raise RegimenError(f"constraint on {self.metric}: operator must be one of >=, <=, >, < (got {self.op!r})")
        if not math.isfinite(float(self.value)):
            raise RegimenError(f"constraint on {self.metric}: the bound must be a finite number (got {self.value!r})")
        object.__setattr__(self, "value", float(self.value))

    def satisfied(self, metrics: Mapping[str, float]) -> bool:
        v = metrics.get(self.metric, math.nan)
        return bool(math.isfinite(v) and _OPS[self.op](v, self.value))

    def violation(self, metrics: Mapping[str, float]) -> float:
        """How far the metric is on the wrong side (0 when satisfied; inf when undefined)."""
        v = metrics.get(self.metric, math.nan)
        if not math.isfinite(v):
            return math.inf
        if self.satisfied(metrics):
            return 0.0
        scale = max(abs(self.value), 1e-12)
        return abs(v - self.value) / scale

    def __str__(self) -> str:
        return f"{self.metric}{self.op}{self.value:g}"


def parse_constraint(text: "str | Constraint") -> Constraint:
    """``'surface_receptor_final>=0.8'`` -> :class:`Constraint` (unknown metrics are refused)."""
    if isinstance(text, Constraint):
        return text
    m = _CONSTRAINT.match(str(text))
    if not m:
        raise RegimenError(f"constraint {text!r}: expected METRIC>=VALUE (or <=, >, <), e.g. surface_receptor_final>=0.8")
    op = {"=>": ">=", "=<": "<="}.get(m.group(2), m.group(2))
    return Constraint(m.group(1), op, float(m.group(3)))


# ------------------------------------------------------------------ families
@dataclass(frozen=True)
class Family:
    """A family of regimens described by a few numbers.

    Attributes
    ----------
    name
        ``'pulses'``, ``'holiday'``, ``'continuous'`` or ``'boluses'``.
    parameters
        Parameter names; each is a time (``period``, ``width``, ``holiday``,
        ``start``, ``interval``) or the ``dose``.
    defaults
        Values used when a parameter is neither varied nor fixed [min].
    description
        One line for help texts.
    """

    name: str
    parameters: tuple[str, ...]
    defaults: Mapping[str, float]
    description: str

    def is_time(self, parameter: str) -> bool:
        return parameter != "dose"

    def invalid(self, p: Mapping[str, float]) -> str | None:
        """Why these parameter values give no regimen (None if they do)."""
        for k, v in p.items():
            if not math.isfinite(v) or v < 0:
                return f"{k} must be non-negative (got {v:g})"
        if self.name == "pulses":
            if p["period"] <= 0:
                return "the period must be positive"
            if p["width"] > p["period"]:
                return f"width {format_time(p['width'])} is longer than the period {format_time(p['period'])}"
        if self.name == "holiday":
            if p["period"] <= 0:
                return "the period must be positive"
            if p["holiday"] >= p["period"]:
                return f"the holiday {format_time(p['holiday'])} is not shorter than the period {format_time(p['period'])}"
        if self.name == "boluses" and p["interval"] <= 0:
            return "the interval must be positive"
        return None

    def build(self, p: Mapping[str, float], dose_kind: str, horizon_min: float) -> Regimen:
        """The regimen of these parameter values (canonical units; ``dose_kind`` from :func:`parse_dose`)."""
        dose = {dose_kind: p["dose"]}
        if self.name == "pulses":
            return Regimen((PulseTrain(p.get("start", 0.0), p["period"], p["width"], **dose),))
        if self.name == "holiday":
            return Regimen((PulseTrain(p.get("start", 0.0), p["period"], p["period"] - p["holiday"], **dose),))
        if self.name == "boluses":
            if dose_kind != "amount":
                raise RegimenError("family 'boluses' needs an amount as dose (e.g. dose=10nmol)")
            return Regimen((PulseTrain(p.get("start", 0.0), p["interval"], 0.0, amount=p["dose"]),))
        if dose_kind == "concentration":
            return Regimen((Exposure(0.0, None, p["dose"]),))
        if dose_kind == "rate":
            return Regimen((Infusion(0.0, horizon_min, p["dose"]),))
        raise RegimenError("family 'continuous' needs a concentration (nM) or a rate (nmol/h) as dose")


FAMILIES: dict[str, Family] = {f.name: f for f in (
    Family("pulses", ("period", "width", "dose", "start"), {"start": 0.0},
           "pulses of a given width and dose every period (in vitro: a concentration; PK: an amount per pulse or a rate)"),
    Family("holiday", ("period", "holiday", "dose", "start"), {"period": 1440.0, "start": 0.0},
           "continuous input interrupted by a drug-free interval of length 'holiday' every period (default 24 h)"),
    Family("continuous", ("dose",), {}, "continuous exposure (nM) or infusion (nmol/h) from time 0"),
    Family("boluses", ("interval", "dose", "start"), {"start": 0.0}, "a bolus of an amount every interval (PK models)"),
)}
_ALIASES = {"every": "period", "pulse_interval": "period", "interval_": "interval", "amount": "dose",
            "concentration": "dose", "rate": "dose", "holiday_length": "holiday"}


def _family(name: "str | Family") -> Family:
    if isinstance(name, Family):
        return name
    if name not in FAMILIES:
        raise RegimenError(f"unknown regimen family {name!r}{closest(str(name), FAMILIES)} (known: {', '.join(FAMILIES)})")
    return FAMILIES[name]


def _param_name(family: Family, key: str, what: str) -> str:
    k = str(key).strip().lower()
    k = _ALIASES.get(k, k)
    if family.name == "boluses" and k == "period":
        k = "interval"
    if k not in family.parameters:
        raise RegimenError(f"{what}: family {family.name!r} has no parameter {key!r}{closest(k, family.parameters)} "
                           f"(its parameters: {', '.join(family.parameters)})")
    return k


def parse_bounds(text: "str | Mapping[str, Any] | None") -> dict[str, tuple[Any, Any]]:
    """``'period=30min:8h,width=1min:60min'`` -> ``{'period': ('30min', '8h'), ...}`` (values still text)."""
    if text is None:
        return {}
    if isinstance(text, Mapping):
        out = {}
        for k, v in text.items():
            if isinstance(v, str):
                lo, sep, hi = v.partition(":")
                if not sep:
                    raise RegimenError(f"bounds {k}={v!r}: expected LOW:HIGH, e.g. 30min:8h")
                out[str(k)] = (lo.strip(), hi.strip())
            else:
                try:
                    lo, hi = v
                except (TypeError, ValueError):
                    raise RegimenError(f"bounds {k}: expected (low, high) (got {v!r})") from None
                out[str(k)] = (lo, hi)
        return out
    out: dict[str, tuple[Any, Any]] = {}
    for item in str(text).split(","):
        item = item.strip()
        if not item:
            continue
        key, sep, rng = item.partition("=")
        lo, sep2, hi = rng.partition(":")
        if not sep or not sep2 or not lo.strip() or not hi.strip():
            raise RegimenError(f"bounds {item!r}: expected NAME=LOW:HIGH, e.g. period=30min:8h")
        out[key.strip()] = (lo.strip(), hi.strip())
    return out


def _parse_fixed(fixed: "str | Mapping[str, Any] | None") -> dict[str, Any]:
    if fixed is None:
        return {}
    if isinstance(fixed, Mapping):
        return {str(k): v for k, v in fixed.items()}
    out: dict[str, Any] = {}
    for item in str(fixed).split(","):
        item = item.strip()
        if not item:
            continue
        key, sep, value = item.partition("=")
        if not sep or not value.strip():
            raise RegimenError(f"fixed {item!r}: expected NAME=VALUE, e.g. dose=10nM")
        out[key.strip()] = value.strip()
    return out


# ------------------------------------------------------------------ evaluation
def _search_setup(model, sim_kwargs: Mapping[str, Any], parameters: Mapping[str, float]):
    """A worker's simulator (compiled once per worker, see receptorkin.parallel)."""
    from ..simulation import Simulator

    sim = Simulator(model, **dict(sim_kwargs))
    sim.set(dict(parameters))
    return sim


def _search_simulator(model, rtol: float, atol: float, observable: str | None):
    """The simulator of a search: the search tolerances, the response and concentration integrated by the solver.

    A Simulator passed in keeps its parameter values (the model is compiled
    again with the search settings, once).
    """
    from ..dosing.simulate import integrating_simulator
    from ..models.sbml import load_model
    from ..simulation import Simulator

    base = model.model if isinstance(model, Simulator) else load_model(model)
    ids = [i for i in (observable or base.default_observable, drug_input(base).concentration) if i]
    sim = integrating_simulator(base, ids, rtol=rtol, atol=atol)
    if isinstance(model, Simulator):
        sim.set(model.parameters)
    return sim


def _evaluate(sim, task: tuple) -> tuple[dict[str, float] | None, str | None]:
    """Evaluate one regimen of a family on ``sim`` (in a worker, or in-process)."""
    family_name, params, dose_kind, horizon, horizon_min, options = task
    family = FAMILIES[family_name]
    reason = family.invalid(params)
    if reason:
        return None, reason
    try:
        reg = family.build(params, dose_kind, horizon_min)
        res = simulate_regimen(sim, reg, horizon, **options)
    except RegimenError as exc:
        return None, str(exc)
    return dict(res.metrics), None


@dataclass(frozen=True)
class OptimizeResult(NotebookDisplay):
    """The outcome of :func:`optimize`.

    Attributes
    ----------
    best
        The best regimen found (feasible if ``success``; otherwise the one
        closest to feasible), or None when no regimen could be evaluated.
    best_parameters
        Its family parameters in canonical units (minutes; nM, nmol or nmol/min).
    best_metrics
        Its metrics.
    success, message
        Whether a regimen satisfying every constraint was found, and a
        one-line summary.
    evaluations
        Every regimen evaluated: parameters, metrics, ``feasible`` (all
        constraints met), ``pareto`` (on the front of the objective against
        ``preservation``), ``best`` and ``stage`` (``'global'`` / ``'local'``).
    """

    model_id: str
    family: str
    objective: str
    maximize: bool
    constraints: tuple[Constraint, ...]
    preservation: str
    best: Regimen | None
    best_parameters: Mapping[str, float]
    best_metrics: Mapping[str, float]
    success: bool
    message: str
    evaluations: Any = field(repr=False)
    varied: tuple[str, ...] = ()
    dose_kind: str = ""
    horizon: float = math.nan
    time_unit: str = ""
    threshold: float = math.nan
    seed: int | None = None

    def plot(self, title: str = "", ax: Any = None) -> Any:
        """Deprecated: use :func:`receptorkin.plot` (``receptorkin.plot(result)``)."""
        return deprecated_call("OptimizeResult.plot()", "receptorkin.plot(result)", "plots.plot_pareto",
                               self, title=title, ax=ax)

    @property
    def pareto(self):
        """The Pareto-optimal evaluations, sorted by receptor preservation."""
        df = self.evaluations
        return df[df["pareto"]].sort_values(self.preservation)

    def parameter_units(self) -> dict[str, str]:
        units = {p: "min" for p in FAMILIES[self.family].parameters if p != "dose"}
        units["dose"] = {"concentration": "nM", "amount": "nmol", "rate": "nmol/min"}.get(self.dose_kind, "")
        return units

    def to_dict(self) -> dict[str, Any]:
        """What ``best.json`` holds."""
        def clean(v: float) -> float | None:
            return float(v) if v is not None and math.isfinite(float(v)) else None

        return {
            "success": self.success,
            "message": self.message,
            "model": self.model_id,
            "family": self.family,
            "objective": self.objective,
            "maximize": self.maximize,
            "constraints": [str(c) for c in self.constraints],
            "preservation": self.preservation,
            "horizon": f"{self.horizon:g} {self.time_unit}",
            "seed": self.seed,
            "effect_threshold": clean(self.threshold),
            "parameters": {k: clean(v) for k, v in self.best_parameters.items()},
            "parameter_units": self.parameter_units(),
            "regimen_text": self.best.to_text() if self.best is not None else None,
            "regimen": self.best.to_dict() if self.best is not None else None,
            "metrics": {k: clean(v) for k, v in self.best_metrics.items()},
            "metric_units": {k: m.unit for k, m in METRICS.items()},
            "n_evaluations": int(len(self.evaluations)),
        }

    def to_json(self, indent: int | None = 2) -> str:
        from ..jsonout import dumps

        return dumps(self.to_dict(), indent=indent)

    def __repr__(self) -> str:
        try:
            return (f"<OptimizeResult {self.model_id} {self.family}: {'feasible' if self.success else 'infeasible'}, "
                        f"{len(self.evaluations)} evaluations>")
        except Exception:  # noqa: BLE001 - a repr must never raise
            return "<OptimizeResult>"


class _Search:
    """Bookkeeping of an optimization: maps the unit cube to parameters, evaluates, records."""

    def __init__(self, family: Family, varied: list[str], lows: np.ndarray, highs: np.ndarray, fixed: dict[str, float],
                 objective: str, maximize: bool, constraints: tuple[Constraint, ...], dose_kind: str,
                 horizon: float, horizon_min: float, options: dict[str, Any], pool, bar, workers: int = 1,
                 sim=None) -> None:
        self.family = family
        self.varied = varied
        self.lows = lows
        self.highs = highs
        self.log = lows > 0
        self.fixed = fixed
        self.objective = objective
        self.maximize = maximize
        self.constraints = constraints
        self.dose_kind = dose_kind
        self.horizon = horizon
        self.horizon_min = horizon_min
        self.options = options
        self.pool = pool
        self.sim = sim
        self.workers = workers
        self.bar = bar
        self.records: list[dict[str, Any]] = []
        self.cache: dict[tuple, float] = {}

    def params(self, u: np.ndarray) -> dict[str, float]:
        u = np.clip(np.asarray(u, float), 0.0, 1.0)
        vals = np.where(self.log, self.lows * (self.highs / np.where(self.log, self.lows, 1.0)) ** u,
                        self.lows + u * (self.highs - self.lows))
        p = dict(self.fixed)
        for name, v in zip(self.varied, vals.tolist()):
            p[name] = float(v)
        return p

    def score(self, metrics: Mapping[str, float] | None) -> float:
        if metrics is None:
            return 1e30
        v = metrics.get(self.objective, math.nan)
        violation = sum(c.violation(metrics) for c in self.constraints)
        if not math.isfinite(v) or math.isinf(violation):
            return 1e25
        if violation > 0:
            return 1e20 * (1.0 + violation)
        return -v if self.maximize else v

    def evaluate(self, units: Sequence[np.ndarray], stage: str) -> list[float]:
        keys = [tuple(np.round(np.clip(u, 0, 1), 12).tolist()) for u in units]
        todo = [k for k in dict.fromkeys(keys) if k not in self.cache]
        tasks = [(self.family.name, self.params(np.array(k)), self.dose_kind, self.horizon, self.horizon_min, self.options)
                 for k in todo]
        if self.pool is not None and len(tasks) > 1:
            outs = self.pool.map(_evaluate, tasks, chunk_size=max(1, len(tasks) // (4 * max(self.workers, 1))))
        else:
            outs = [_evaluate(self.sim, t) for t in tasks]
        for k, task, (metrics, reason) in zip(todo, tasks, outs):
            s = self.score(metrics)
            self.cache[k] = s
            rec = {name: task[1][name] for name in self.family.parameters if name in task[1]}
            rec.update(metrics or {m: math.nan for m in METRICS})
            rec["valid"] = metrics is not None
            rec["reason"] = reason or ""
            rec["feasible"] = metrics is not None and all(c.satisfied(metrics) for c in self.constraints) and math.isfinite(
                metrics.get(self.objective, math.nan))
            rec["score"] = s
            rec["stage"] = stage
            self.records.append(rec)
            if self.bar is not None:
                self.bar.update(1)
        return [self.cache[k] for k in keys]


def _bound_value(family: Family, name: str, value: Any, what: str, default_kind: str) -> tuple[float, str | None]:
    if family.is_time(name):
        return parse_time_minutes(value, f"{what} {name}"), None
    kind, v = parse_dose(value, f"{what} dose", default_kind=default_kind)
    return v, kind


def optimize(
    model,
    family: "str | Family" = "pulses",
    objective: str = "mean_response",
    constraints: "Sequence[str | Constraint] | str | None" = None,
    bounds: "str | Mapping[str, Any] | None" = None,
    *,
    fixed: "str | Mapping[str, Any] | None" = None,
    horizon: "float | str" = "14d",
    maximize: bool | None = None,
    preservation: str = "surface_receptor_final",
    method: str = "sobol",
    n_samples: int | None = None,
    maxiter: int = 20,
    popsize: int = 10,
    polish: int | None = None,
    seed: int | None = 0,
    workers: int = 1,
    progress: bool | None = None,
    threshold: float | None = None,
    scheduler: Any = None,
    observable: str | None = None,
    receptor: str | None = None,
    readout: "str | float" = "peak",
    resolution: int = 300,
    rtol: float = 1e-6,
    atol: float = 1e-8,
) -> OptimizeResult:
    """Search a regimen family for the best value of a metric under constraints.

    Parameters
    ----------
    model
        A :class:`~receptorkin.simulation.Simulator`, model, bundled id or path.
    family
        ``'pulses'`` (period, width, dose), ``'holiday'`` (period -- default
        24 h --, holiday, dose), ``'continuous'`` (dose) or ``'boluses'``
        (interval, dose); see :data:`FAMILIES`.
    objective
        The metric to optimize (:data:`receptorkin.dosing.METRICS`); maximized
        when higher is better, minimized when lower is (or as ``maximize`` says).
    constraints
        ``'surface_receptor_final>=0.8'`` strings or :class:`Constraint` values.
    bounds
        Parameter -> (low, high), or text ``'period=30min:8h,width=1min:60min'``;
        times with units or in minutes, doses with units (nM, nmol, nmol/h).
        Positive ranges are searched on a log scale.
    fixed
        Parameter -> value for the parameters not searched (``'dose=10nM'``).
    horizon
        Simulated time per regimen (model time unit or text, e.g. ``'14d'``).
    maximize
        Override the direction of the objective.
    preservation
        The receptor metric of the Pareto front (higher is better).
    method
        ``'sobol'`` (a scrambled Sobol sample, then a Nelder-Mead polish) or
        ``'differential_evolution'`` (scipy, then the same polish).
    n_samples
        Sobol points (default 32 per searched parameter, at least 32).
    maxiter, popsize
        Differential-evolution settings.
    polish
        Maximum Nelder-Mead evaluations (default 30 per searched parameter; 0: none).
    seed
        Seed of the sampler (same seed, same result, serial or parallel).
    workers
        Processes for the global stage (each compiles the model once).
    scheduler
        Run the evaluations on a Dask cluster instead (an address such as
        ``'tcp://host:8786'``, a ``Client`` or a cluster; see
        :mod:`receptorkin.parallel`); the result equals the serial one.
    progress
        Progress (None: a live bar in a terminal, one line when piped; False: none).
    threshold
        Effect threshold for ``time_above_threshold``; default half the
        response to the first dose of the regimen at the centre of the bounds.
    observable, receptor, readout
        See :func:`~receptorkin.dosing.simulate_regimen`.
    resolution
        Output points per regimen over the horizon.
    rtol, atol
        Solver tolerances of the search (looser than the Simulator's default
        1e-8/1e-10: the metrics change by ~1e-7 relative and each regimen
        simulates about twice as fast).  The model is recompiled with them
        (parameter values set on a Simulator passed in are kept).

    Returns
    -------
    OptimizeResult

    Raises
    ------
    RegimenError
        An unknown family, parameter, objective or constraint metric; bounds
        with low >= high, negative bounds, bounds that exclude every regimen
        (e.g. every width longer than every period), a parameter neither
        searched nor fixed.
    """
    import pandas as pd

    fam = _family(family)
    metric(objective)
    better = METRICS[objective].better
    if maximize is None:
        if not better:
            raise RegimenError(f"objective {objective!r} is descriptive (no better direction): pass maximize=True or False")
        maximize = better == "higher"
    cons_in = [constraints] if isinstance(constraints, (str, Constraint)) else list(constraints or [])
    cons = tuple(parse_constraint(c) for c in cons_in)
    metric(preservation)
    if method not in ("sobol", "differential_evolution"):
        raise RegimenError(f"method must be 'sobol' or 'differential_evolution' (got {method!r})")
    if int(workers) < 1:
        raise RegimenError(f"workers must be at least 1 (got {workers!r})")

    from ..models.sbml import load_model
    from ..simulation import Simulator

    base_model = model.model if isinstance(model, Simulator) else load_model(model)
    drug = drug_input(base_model)
    default_kind = "concentration" if drug.kind == "concentration" else ("rate" if fam.name == "continuous" else "amount")

    raw_bounds = parse_bounds(bounds)
    raw_fixed = _parse_fixed(fixed)
    b: dict[str, tuple[float, float]] = {}
    f: dict[str, float] = {}
    dose_kinds: set[str] = set()
    for key, (lo, hi) in raw_bounds.items():
        name = _param_name(fam, key, "bounds")
        if name in b:
            raise RegimenError(f"bounds: {name!r} given twice")
        lo_v, k1 = _bound_value(fam, name, lo, "bounds", default_kind)
        hi_v, k2 = _bound_value(fam, name, hi, "bounds", default_kind)
        dose_kinds |= {k for k in (k1, k2) if k}
        if not (math.isfinite(lo_v) and math.isfinite(hi_v)) or lo_v < 0 or hi_v < 0:
            raise RegimenError(f"bounds {name}: must be non-negative (got {lo}:{hi})")
        if lo_v >= hi_v:
            raise RegimenError(f"bounds {name}: the low bound {lo} must be below the high bound {hi} "
                               "(fix a single value with fixed= instead)")
        b[name] = (lo_v, hi_v)
    for key, value in raw_fixed.items():
        name = _param_name(fam, key, "fixed")
        if name in b:
            raise RegimenError(f"{name!r} is both searched (bounds) and fixed: give it once")
        v, k = _bound_value(fam, name, value, "fixed", default_kind)
        if k:
            dose_kinds.add(k)
        f[name] = v
    if len(dose_kinds) > 1:
        raise RegimenError(f"dose: the bounds and the fixed value mix units of different kinds ({', '.join(sorted(dose_kinds))})")
    dose_kind = dose_kinds.pop() if dose_kinds else default_kind
    for name in fam.parameters:
        if name not in b and name not in f:
            if name in fam.defaults:
                f[name] = fam.defaults[name]
            else:
                example = {"dose": "10nM" if default_kind == "concentration" else "10nmol",
                           "period": "90min", "width": "6min", "holiday": "8h", "interval": "12h"}.get(name, "1h")
                raise RegimenError(f"family {fam.name!r} needs {name}: search it (bounds, CLI --vary {name}=LOW:HIGH) "
                                   f"or fix it (fixed, CLI --fixed {name}={example})")
    if not b:
        raise RegimenError("nothing to optimize: give bounds for at least one parameter")
    for name, (lo, hi) in b.items():
        if name in ("period", "interval") and hi <= 0:
            raise RegimenError(f"bounds {name}: must allow a positive value")
    _check_bounds(fam, b, f)
    # the regimen kind must fit the model
    probe = {**f, **{k: hi for k, (lo, hi) in b.items()}}
    if not fam.invalid(probe):
        check_compatible(fam.build(probe, dose_kind, 1.0), drug, base_model.id)

    sim = _search_simulator(model, rtol, atol, observable)
    H = sim.model_time(horizon, "horizon")
    if H <= 0:
        raise RegimenError(f"horizon must be a positive time (got {horizon!r})")
    from ..units import time_factor

    horizon_min = H * time_factor(sim.time_unit, "min")
    varied = list(b)
    lows = np.array([b[k][0] for k in varied])
    highs = np.array([b[k][1] for k in varied])
    options: dict[str, Any] = {"observable": observable, "receptor": receptor, "readout": readout, "resolution": resolution}

    # the effect threshold: fixed once for the whole search
    if threshold is None:
        centre = _Search(fam, varied, lows, highs, f, objective, maximize, cons, dose_kind, H, horizon_min,
                         dict(options), None, None)
        thr = math.nan
        for u in (np.full(len(varied), 0.5), np.zeros(len(varied)), np.ones(len(varied))):
            metrics, _ = _evaluate(sim, (fam.name, centre.params(u), dose_kind, H, horizon_min, dict(options)))
            if metrics is not None and math.isfinite(metrics["first_dose_response"]):
                thr = 0.5 * metrics["first_dose_response"]
                break
    else:
        thr = float(threshold)
    if math.isfinite(thr):
        options["threshold"] = thr

    d = len(varied)
    n_global = int(n_samples) if n_samples is not None else max(32, 32 * d)
    if n_global < 1:
        raise RegimenError(f"n_samples must be at least 1 (got {n_samples!r})")
    n_polish = int(polish) if polish is not None else 30 * d
    total = n_global + n_polish if method == "sobol" else popsize * d * (maxiter + 1) + n_polish
    from ..progress import progress_bar

    bar = progress_bar(total, f"optimize {fam.name}", show=progress, unit="regimen")
    pool = None
    try:
        if workers > 1 or scheduler is not None:
            from ..parallel import WorkerPool

            pool = WorkerPool(_search_setup, (sim.model, {"rtol": sim.options.rtol, "atol": sim.options.atol,
                                                          "max_steps": sim.options.max_steps}, sim.parameters),
                              jobs=int(workers), scheduler=scheduler)
        search = _Search(fam, varied, lows, highs, f, objective, maximize, cons, dose_kind, H, horizon_min,
                         options, pool, bar, int(workers), sim=sim)
        if method == "sobol":
            from scipy.stats import qmc

            sampler = qmc.Sobol(d=d, scramble=True, seed=np.random.default_rng(seed))
            # the first n points of a 2^m Sobol sequence (n need not be a power of 2)
            pts = sampler.random_base2(max(0, int(math.ceil(math.log2(n_global)))))[:n_global]
            search.evaluate(list(pts), "global")
        else:
            from scipy.optimize import differential_evolution

            def batch(func, xs):
                xs = [np.asarray(x) for x in xs]
                return search.evaluate(xs, "global")

            def single(x):
                return search.evaluate([np.asarray(x)], "global")[0]

            differential_evolution(single, [(0.0, 1.0)] * d, seed=seed, maxiter=int(maxiter), popsize=int(popsize),
                                   polish=False, updating="deferred", workers=batch, tol=1e-6, init="sobol")
        if not any(r["valid"] for r in search.records):
            reasons = sorted({r["reason"] for r in search.records if r["reason"]})
            raise RegimenError(f"the bounds exclude every regimen: all {len(search.records)} sampled regimens are invalid "
                               f"({reasons[0] if reasons else 'no valid regimen'})")
        if n_polish > 0 and d >= 1:
            from scipy.optimize import minimize

            best_i = int(np.argmin([r["score"] for r in search.records]))
            u0 = _unit_of(search, search.records[best_i])
            step = 0.1
            simplex = [u0] + [np.clip(u0 + step * np.eye(d)[i] * (1 if u0[i] < 0.5 else -1), 0, 1) for i in range(d)]
            minimize(lambda u: search.evaluate([u], "local")[0], u0, method="Nelder-Mead", bounds=[(0.0, 1.0)] * d,
                     options={"maxfev": n_polish, "xatol": 1e-4, "fatol": 0.0, "initial_simplex": np.array(simplex)})
    finally:
        if pool is not None:
            pool.close()
        if bar is not None:
            bar.close()

    df = pd.DataFrame(search.records)
    valid = df["valid"].to_numpy(bool)
    obj = df[objective].to_numpy(float)
    pres = df[preservation].to_numpy(float)
    sign_o = 1.0 if maximize else -1.0
    sign_p = 1.0 if METRICS[preservation].better != "lower" else -1.0
    df["pareto"] = pareto_front(np.where(valid, sign_p * pres, np.nan), np.where(valid, sign_o * obj, np.nan))
    best_i = int(np.argmin(df["score"].to_numpy(float)))
    df["best"] = False
    df.loc[df.index[best_i], "best"] = True
    best_row = df.iloc[best_i]
    success = bool(best_row["feasible"])
    best_params = {k: float(best_row[k]) for k in fam.parameters if k in best_row}
    best_metrics = {k: float(best_row[k]) for k in METRICS}
    best_reg = fam.build(best_params, dose_kind, horizon_min) if bool(best_row["valid"]) else None
    if best_reg is not None:
        best_reg = best_reg.with_name(f"optimal {fam.name}")
    shown = ", ".join(f"{k}={_fmt_param(k, best_params[k], dose_kind)}" for k in varied)
    if success:
        message = (f"best {objective} = {best_metrics[objective]:.4g} at {shown}"
                   + (f" subject to {', '.join(str(c) for c in cons)}" if cons else ""))
    else:
        worst = ", ".join(f"{c.metric} = {best_metrics.get(c.metric, math.nan):.4g}" for c in cons if not c.satisfied(best_metrics))
        message = (f"no regimen within the bounds satisfies {', '.join(str(c) for c in cons)}; the closest "
                   f"({shown}) has {worst}")
    return OptimizeResult(sim.id, fam.name, objective, bool(maximize), cons, preservation, best_reg, best_params,
                          best_metrics, success, message, df, tuple(varied), dose_kind, H, sim.time_unit, thr, seed)


def _fmt_param(name: str, value: float, dose_kind: str) -> str:
    if name == "dose":
        unit = {"concentration": "nM", "amount": "nmol", "rate": "nmol/min"}.get(dose_kind, "")
        return f"{value:.4g} {unit}"
    if value >= 120:
        return f"{value / 60:.4g} h"
    return f"{value:.4g} min"


def _unit_of(search: _Search, record: Mapping[str, Any]) -> np.ndarray:
    u = []
    for name, lo, hi, lg in zip(search.varied, search.lows, search.highs, search.log):
        v = float(record[name])
        u.append(math.log(v / lo) / math.log(hi / lo) if lg else (v - lo) / (hi - lo))
    return np.clip(np.array(u), 0.0, 1.0)


def _check_bounds(fam: Family, b: Mapping[str, tuple[float, float]], f: Mapping[str, float]) -> None:
    """Refuse bounds under which no regimen of the family exists (say why)."""
    def rng(name: str) -> tuple[float, float]:
        if name in b:
            return b[name]
        return f[name], f[name]

    if fam.name == "pulses":
        p_hi, w_lo = rng("period")[1], rng("width")[0]
        if p_hi <= 0:
            raise RegimenError("the bounds exclude every regimen: the period must be positive")
        if w_lo > p_hi:
            raise RegimenError(f"the bounds exclude every regimen: the width is at least {format_time(w_lo)} but the period "
                               f"at most {format_time(p_hi)} (a pulse cannot last longer than its period)")
    if fam.name == "holiday":
        p_hi, h_lo = rng("period")[1], rng("holiday")[0]
        if h_lo >= p_hi:
            raise RegimenError(f"the bounds exclude every regimen: the holiday is at least {format_time(h_lo)} but the period "
                               f"at most {format_time(p_hi)} (the holiday must be shorter than the period)")
    if fam.name == "boluses" and rng("interval")[1] <= 0:
        raise RegimenError("the bounds exclude every regimen: the interval must be positive")
