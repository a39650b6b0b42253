"""FitProblem: a model, measurements, conditions and a parameter table.

The problem validates everything at construction (PINTS style: the model
never sees the data, the problem refuses bad inputs before any simulation)
and then predicts every measurement for a parameter vector with the model
compiled once:

1. per condition, the cells are equilibrated without ligand (steady state),
2. pre-treated with the condition's exposures (simulated in segments),
3. challenged with each dose, read at the measured times after the challenge
   (or at steady state for rows without a time).

Parameters live on their estimation scale (``lin`` or ``log10``) inside the
optimizer; everything a user sees is on the linear scale.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Mapping, Sequence

import numpy as np

from ..display import deprecated_call
from ..errors import FitError, ModelError
from ..data.measurements import DEFAULT_OBSERVABLE, Condition, Measurements
from ..models.sbml import Model, closest, load_model

if TYPE_CHECKING:  # pragma: no cover
    from ..dosing.experiment import Experiment

__all__ = ["ParameterSpec", "Observable", "FitProblem"]

_SCALES = ("lin", "log10")


@dataclass(frozen=True)
class ParameterSpec:
    """One row of the parameter table.

    Attributes
    ----------
    name
        Model parameter id, or the name of an observable's scale/offset.
    initial
        Starting value (linear scale), or the fixed value when not estimated.
    lower, upper
        Bounds (linear scale).  With ``scale='log10'`` the lower bound must be > 0.
    estimate
        Estimate it (True) or keep it fixed at ``initial``.
    scale
        ``'log10'`` (rates, concentrations: the default) or ``'lin'``.
    per_condition
        One value per condition instead of one shared value.
    unit
        Unit, for tables and reports.
    """

    name: str
    initial: float
    lower: float = 0.0
    upper: float = math.inf
    estimate: bool = True
    scale: str = "log10"
    per_condition: bool = False
    unit: str = ""

    def check(self) -> None:
        """Raise :class:`FitError` naming this parameter if the row is inconsistent
        (never clip or swap)."""
        n = self.name
        for what, v in (("initial", self.initial), ("lower", self.lower), ("upper", self.upper)):
            if not isinstance(v, (int, float)) or math.isnan(v):
                raise FitError(f"parameter {n!r}: {what} must be a number (got {v!r})")
        if self.scale not in _SCALES:
            raise FitError(f"parameter {n!r}: scale must be 'lin' or 'log10' (got {self.scale!r})")
        if self.lower > self.upper:
            raise FitError(f"parameter {n!r}: lower bound {self.lower:g} > upper bound {self.upper:g}")
        if self.estimate and not (math.isfinite(self.lower) and math.isfinite(self.upper)):
            raise FitError(f"parameter {n!r}: an estimated parameter needs finite bounds (got [{self.lower:g}, {self.upper:g}])")
        if self.estimate and self.lower == self.upper:
            raise FitError(f"parameter {n!r}: lower = upper = {self.lower:g}; fix it instead of estimating it")
        if self.scale == "log10" and self.estimate and self.lower <= 0:
            raise FitError(f"parameter {n!r}: log10 scale needs a lower bound > 0 (got {self.lower:g})")
        if self.estimate and not (self.lower <= self.initial <= self.upper):
            raise FitError(f"parameter {n!r}: initial value {self.initial:g} is outside its bounds "
                           f"[{self.lower:g}, {self.upper:g}] (it is not clipped)")

    def to_scale(self, value: float) -> float:
        return math.log10(value) if self.scale == "log10" else float(value)

    def from_scale(self, value: float) -> float:
        return 10.0 ** value if self.scale == "log10" else float(value)


@dataclass(frozen=True)
class Observable:
    """Maps a model output to a measured quantity: ``y = scale · output + offset``.

    ``scale`` and ``offset`` are numbers or names of parameters in the
    parameter table (for data in arbitrary units).
    """

    name: str
    output: str
    scale: float | str = 1.0
    offset: float | str = 0.0


@dataclass(frozen=True)
class _Read:
    """What to read for one (condition, dose): times after the challenge, steady state."""

    dose: float
    times: tuple[float, ...]  # model time unit, sorted, may be empty
    steady: bool


class FitProblem:
    """A fitting problem: model + measurements + conditions + parameter table.

    Parameters
    ----------
    model
        Bundled id, path, or :class:`~receptorkin.models.Model`.
    data
        :class:`~receptorkin.data.measurements.Measurements`.
    parameters
        Parameter table: :class:`ParameterSpec` rows, or a mapping
        ``name -> dict(initial=..., lower=..., upper=..., scale=..., ...)``,
        or a list of names to estimate with default bounds (initial = the
        model's value, bounds = value / 100 .. value × 100, log10 scale).
    conditions
        Condition name -> :class:`~receptorkin.data.measurements.Condition`.
        Conditions of the data that are not in it are naive cells.
    observables
        Observable name (the data's ``observable`` column) -> :class:`Observable`.
        By default ``response`` reads the model's default observable and any
        other name reads the model output of that name.
    ligand
        The model input a dose sets (default: the model's declared ligand).
    equilibrate
        Start every condition from the ligand-free steady state (default) or
        from the model's initial values.
    noise
        ``'sd'`` (weights from the ``sd`` column), ``'estimate'`` (one noise
        level per observable, estimated), or ``'auto'`` (``'sd'`` when every
        row has one).
    rtol, atol
        Solver tolerances (tight, so that finite-difference gradients are
        clean).
    """

    def __init__(
        self,
        model: "Model | str",
        data: Measurements,
        parameters: "Sequence[ParameterSpec] | Mapping[str, Mapping] | Sequence[str]",
        *,
        conditions: Mapping[str, Condition] | None = None,
        observables: Mapping[str, Observable] | None = None,
        ligand: str | None = None,
        equilibrate: bool = True,
        noise: str = "auto",
        rtol: float = 1e-8,
        atol: float = 1e-9,
    ) -> None:
        self.model: Model = load_model(model).with_ligand(ligand)
        if self.model.ligand is None:
            raise ModelError(f"model {self.model.id!r} declares no ligand input: name one with "
                             f"FitProblem(model, data, parameters, ligand='ID') (CLI: --ligand ID)")
        self.data = data
        self.conditions: dict[str, Condition] = dict(conditions or {})
        self.equilibrate = bool(equilibrate)
        self.rtol, self.atol = float(rtol), float(atol)
        table = data.table
        if len(table) == 0:
            raise FitError(f"{data.source}: no measurements")
        # --- observables
        obs = dict(observables or {})
        model_ids = set(self.model.ids)
        for name in data.observables:
            if name in obs:
                continue
            if name == DEFAULT_OBSERVABLE and self.model.default_observable:
                obs[name] = Observable(name, self.model.default_observable)
            elif name in model_ids:
                obs[name] = Observable(name, name)
            else:
                lines = table.loc[table["observable"] == name, "line"].tolist()
                raise FitError(f"{data.source}:{lines[0]}: column 'observable': {name!r} is not a model output"
                               f"{closest(name, model_ids)} and no observable mapping names it")
        for o in obs.values():
            if o.output not in model_ids:
                raise FitError(f"observable {o.name!r}: model {self.model.id!r} has no output {o.output!r}{closest(o.output, model_ids)}")
        self.observables = obs
        # --- parameters
        self.specs = self._parameter_table(parameters)
        for o in obs.values():
            for ref in (o.scale, o.offset):
                if isinstance(ref, str) and ref not in self.specs:
                    raise FitError(f"observable {o.name!r}: scale/offset parameter {ref!r} is not in the parameter table")
        for c in self.conditions.values():
            for k in c.overrides:
                if k not in self.model.parameters:
                    raise FitError(f"condition {c.name!r}: {k!r} is not a parameter of {self.model.id!r}{closest(k, self.model.parameters)}")
        # --- noise
        has_sd = data.has_sd
        if noise == "auto":
            noise = "sd" if has_sd else "estimate"
        if noise not in ("sd", "estimate"):
            raise FitError(f"noise must be 'sd', 'estimate' or 'auto' (got {noise!r})")
        if noise == "sd" and not has_sd:
            missing = table.loc[table["sd"].isna(), "line"].tolist()
            raise FitError(f"{data.source}: noise='sd' but column 'sd' is missing or empty (line {missing[0]})")
        self.noise = noise
        # --- expanded parameter vector (one entry per estimated value)
        self.condition_names = data.conditions
        self._names: list[str] = []
        self._spec_of: list[ParameterSpec] = []
        for spec in self.specs.values():
            if not spec.estimate:
                continue
            if spec.per_condition:
                for cname in self.condition_names:
                    self._names.append(f"{spec.name}[{cname}]")
                    self._spec_of.append(spec)
            else:
                self._names.append(spec.name)
                self._spec_of.append(spec)
        if not self._names:
            raise FitError("no parameter is estimated: set estimate=True for at least one")
        from ..data import check_enough_points

        check_enough_points(len(table), len(self._names), source=data.source, parameter_names=self._names)
        self._plan()
        self._sim = None

    # ------------------------------------------------------------------ setup
    def _parameter_table(self, parameters) -> dict[str, ParameterSpec]:
        model_params = self.model.parameters
        obs_params = {ref for o in self.observables.values() for ref in (o.scale, o.offset) if isinstance(ref, str)}
        specs: dict[str, ParameterSpec] = {}
        if isinstance(parameters, Mapping):
            rows = []
            for name, row in parameters.items():
                row = dict(row)
                row.setdefault("initial", model_params.get(name, float("nan")))
                rows.append(ParameterSpec(name=name, **row))
        else:
            rows = []
            for item in parameters:
                if isinstance(item, ParameterSpec):
                    rows.append(item)
                else:
                    name = str(item)
                    if name not in model_params:
                        raise FitError(f"parameter {name!r}: not a parameter of model {self.model.id!r}{closest(name, model_params)}")
                    v = model_params[name]
                    if v > 0:
                        rows.append(ParameterSpec(name, v, v / 100.0, v * 100.0, unit=self.model.unit_of(name)))
                    else:
                        rows.append(ParameterSpec(name, v, -1.0, 1.0, scale="lin", unit=self.model.unit_of(name)))
        for spec in rows:
            if spec.name in specs:
                raise FitError(f"parameter {spec.name!r} appears twice in the parameter table")
            if spec.name not in model_params and spec.name not in obs_params:
                raise FitError(f"parameter {spec.name!r}: not a parameter of model {self.model.id!r}"
                               f"{closest(spec.name, list(model_params) + sorted(obs_params))}")
            if spec.name == self.model.ligand:
                raise FitError(f"parameter {spec.name!r} is the ligand input, which the doses set")
            spec.check()
            if not spec.unit and spec.name in model_params:
                spec = replace(spec, unit=self.model.unit_of(spec.name))
            specs[spec.name] = spec
        return specs

    def _plan(self) -> None:
        """Index the measurements by condition, dose and read-out once."""
        from ..units import time_factor

        table = self.data.table
        factor = time_factor("min", self.model.time_unit)
        self._time_factor = factor
        outputs = sorted({o.output for o in self.observables.values()})
        self._outputs = outputs
        out_index = {o: i for i, o in enumerate(outputs)}
        plan = []
        # rows -> (condition index, read index, time slot) filled below
        row_cond = table["condition"].to_numpy()
        row_dose = table["dose"].to_numpy(dtype=float)
        row_time = table["time"].to_numpy(dtype=float) * factor
        self._row_output = np.array([out_index[self.observables[o].output] for o in table["observable"]], dtype=int)
        self._row_slot = np.empty(len(table), dtype=int)
        slot = 0
        for ci, cname in enumerate(self.condition_names):
            reads = []
            in_cond = row_cond == cname
            for dose in np.unique(row_dose[in_cond]):
                sel = in_cond & (row_dose == dose)
                times = np.unique(row_time[sel & ~np.isnan(row_time)])
                steady = bool(np.any(np.isnan(row_time[sel])))
                read = _Read(float(dose), tuple(float(t) for t in times), steady)
                slots = {}
                for t in read.times:
                    slots[t] = slot
                    slot += 1
                if steady:
                    slots["ss"] = slot
                    slot += 1
                for i in np.flatnonzero(sel):
                    t = row_time[i]
                    self._row_slot[i] = slots["ss"] if np.isnan(t) else slots[t]
                reads.append(read)
            plan.append((cname, reads))
        self._read_plan = plan
        self._readouts: dict = {}  # (times, steady) -> Readouts, built once
        self._regimens: dict = {}  # condition -> pre-treatment Regimen (or None), built once
        self._n_slots = slot
        self._y = table["response"].to_numpy(dtype=float)
        self._sd = table["sd"].to_numpy(dtype=float) if self.noise == "sd" else np.ones(len(table))
        obs_names = table["observable"].to_numpy()
        self._obs_rows = {o: np.flatnonzero(obs_names == o) for o in dict.fromkeys(obs_names)}
        self._sigma = {o: 1.0 for o in self._obs_rows}  # per-observable noise when estimated

    # ------------------------------------------------------------- vectors
    @property
    def names(self) -> list[str]:
        """Names of the estimated values (``name[condition]`` when per condition)."""
        return list(self._names)

    @property
    def n_parameters(self) -> int:
        return len(self._names)

    @property
    def n_data(self) -> int:
        return len(self._y)

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Bounds on the estimation scale."""
        lo = np.array([s.to_scale(s.lower) for s in self._spec_of])
        hi = np.array([s.to_scale(s.upper) for s in self._spec_of])
        return lo, hi

    def initial_vector(self) -> np.ndarray:
        """Starting values on the estimation scale."""
        return np.array([s.to_scale(s.initial) for s in self._spec_of])

    def to_linear(self, x: Sequence[float]) -> dict[str, float]:
        """Estimation-scale vector -> ``{name: linear value}``."""
        return {n: s.from_scale(v) for n, s, v in zip(self._names, self._spec_of, x)}

    def to_scaled(self, values: Mapping[str, float]) -> np.ndarray:
        return np.array([s.to_scale(values[n]) for n, s in zip(self._names, self._spec_of)])

    def scales(self) -> list[str]:
        return [s.scale for s in self._spec_of]

    def to_petab(self, outdir: "str | os.PathLike", *, values: Mapping[str, float] | None = None,
                 force: bool = False) -> Path:
        """Deprecated: use :func:`receptorkin.petab.fit_problem_to_petab` (``fit_problem_to_petab(problem, outdir)``)."""
        return deprecated_call("FitProblem.to_petab()", "receptorkin.petab.fit_problem_to_petab(problem, outdir)",
                               "petab.fit_problem_to_petab", self, outdir, values=values, force=force)

    @property
    def estimated_specs(self) -> list[ParameterSpec]:
        """The :class:`ParameterSpec` of each estimated parameter, in the order of :attr:`names` (a
        per-condition copy ``id[condition]`` shares the spec of ``id``)."""
        return list(self._spec_of)

    # ---------------------------------------------------------- simulation
    def __getstate__(self):
        state = self.__dict__.copy()
        state["_sim"] = None  # compiled models are not sent between processes
        state["_sens_sim"] = None
        return state

    @property
    def simulator(self):
        """The problem's Simulator, compiled once per process."""
        if self._sim is None:
            from ..simulation import Simulator

            self._sim = Simulator(self.model, rtol=self.rtol, atol=self.atol)
        return self._sim

    def _condition_values(self, linear: Mapping[str, float], cname: str) -> dict[str, float]:
        values: dict[str, float] = {}
        for spec in self.specs.values():
            if spec.name not in self.model.parameters:
                continue
            if not spec.estimate:
                values[spec.name] = spec.initial
            elif spec.per_condition:
                values[spec.name] = linear[f"{spec.name}[{cname}]"]
            else:
                values[spec.name] = linear[spec.name]
        cond = self.conditions.get(cname)
        if cond is not None:
            values.update(cond.overrides)
        return values

    def experiments(self, x: Sequence[float]) -> list[tuple[str, "Experiment", list["Experiment"]]]:
        """The conditions table compiled into :class:`~receptorkin.dosing.experiment.Experiment` values.

        Per condition: the pre-treatment (start from the ligand-free steady
        state or the initial values, the condition's exposures as a regimen,
        wash-out until the challenge) and one challenge per dose, starting
        from the end of the pre-treatment with the dose applied, read at the
        measured times after the challenge and/or at steady state.

        Returns
        -------
        list of (condition name, pre-treatment, challenges in plan order)
        """
        from ..dosing.experiment import Experiment, Readouts, Start
        from ..dosing.regimen import Regimen

        lig = self.model.ligand
        linear = self.to_linear(x)
        f = self._time_factor
        outputs = tuple(self._outputs)
        out = []
        for cname, reads in self._read_plan:
            values = self._condition_values(linear, cname)
            cond = self.conditions.get(cname)
            exposures = cond.exposures if cond is not None else ()
            horizon = max([cond.challenge_at * f] + [e.stop * f for e in exposures]) if cond is not None else 0.0
            if cname not in self._regimens:  # a Regimen checks its parts: build it once
                self._regimens[cname] = Regimen(tuple(exposures)) if exposures else None
            pre = Experiment(start=Start(equilibrate=self.equilibrate), regimen=self._regimens[cname],
                             overrides={**values, lig: 0.0}, horizon=horizon, name=f"{cname}: pre-treatment")
            after = Start(after=pre)
            challenges = []
            for read in reads:
                key = (read.times, read.steady)  # one Readouts per read-out pattern: the runner shares its plan
                rd = self._readouts.get(key)
                if rd is None:
                    rd = self._readouts[key] = Readouts(outputs, times=read.times, steady=read.steady)
                challenges.append(Experiment(start=after, overrides={**values, lig: read.dose}, readouts=rd,
                                             name=f"{cname}: dose {read.dose:g}"))
            out.append((cname, pre, challenges))
        return out

    def simulate_outputs(self, x: Sequence[float]) -> np.ndarray:
        """Model outputs at every read-out slot (``n_slots × n_outputs``), by THE runner."""
        from ..dosing.run import run_many

        batch = [exp for _, _, challenges in self.experiments(x) for exp in challenges]
        out = np.empty((self._n_slots, len(self._outputs)))
        slot = 0
        for values, steady in run_many(self.simulator, batch, values_only=True):
            n = values.shape[0]
            out[slot:slot + n] = values
            slot += n
            if steady is not None:
                out[slot] = steady
                slot += 1
        return out

    def _observable_params(self, linear: Mapping[str, float]) -> dict[str, tuple[float, float]]:
        def value(ref):
            if isinstance(ref, str):
                spec = self.specs[ref]
                return linear[ref] if spec.estimate else spec.initial
            return float(ref)

        return {name: (value(o.scale), value(o.offset)) for name, o in self.observables.items()}

    def predict(self, x: Sequence[float]) -> np.ndarray:
        """Predicted value of every measurement row."""
        outputs = self.simulate_outputs(x)
        pred = outputs[self._row_slot, self._row_output]
        if any(isinstance(o.scale, str) or isinstance(o.offset, str) or o.scale != 1.0 or o.offset != 0.0 for o in self.observables.values()):
            params = self._observable_params(self.to_linear(x))
            for name, rows in self._obs_rows.items():
                scale, offset = params[name]
                pred[rows] = scale * pred[rows] + offset
        return pred

    def residuals(self, x: Sequence[float]) -> np.ndarray:
        """Weighted residuals ``(y − prediction) / σ`` (σ = sd, or the current
        noise estimate per observable)."""
        r = (self._y - self.predict(x)) / self._sd
        if self.noise == "estimate" and len(self._obs_rows) > 1:
            for name, rows in self._obs_rows.items():
                r[rows] /= self._sigma[name]
        return r

    def chi2(self, x: Sequence[float]) -> float:
        r = self.residuals(x)
        return float(r @ r)

    def update_noise(self, x: Sequence[float]) -> dict[str, float]:
        """Re-estimate the per-observable noise σ from the residuals at ``x``
        (maximum likelihood, σ² = RSS/n); returns the new values."""
        raw = self._y - self.predict(x)
        for name, rows in self._obs_rows.items():
            self._sigma[name] = float(np.sqrt(np.mean(raw[rows] ** 2))) or 1.0
        return dict(self._sigma)

    def initial_noise(self) -> dict[str, float]:
        """Starting noise levels for several observables: 5% of each
        observable's data range (only their ratio matters before the
        maximum-likelihood update)."""
        for name, rows in self._obs_rows.items():
            y = self._y[rows]
            spread = float(np.max(y) - np.min(y)) if y.size > 1 else 0.0
            self._sigma[name] = 0.05 * (spread or max(abs(float(np.mean(y))), 1.0))
        return dict(self._sigma)

    def neg2_loglik(self, x: Sequence[float]) -> float:
        """−2·log-likelihood with each observable's noise level profiled out
        (σ² = RSS/n), up to a constant: Σ n_o·ln(RSS_o/n_o)."""
        raw = (self._y - self.predict(x)) / self._sd
        total = 0.0
        for rows in self._obs_rows.values():
            rss = float(raw[rows] @ raw[rows])
            total += rows.size * math.log(max(rss, 1e-300) / rows.size)
        return total

    @property
    def noise_levels(self) -> dict[str, float]:
        return dict(self._sigma)

    def set_noise_levels(self, sigma: Mapping[str, float]) -> None:
        """Set the per-observable noise levels (weights of the residuals)."""
        self._sigma = {k: float(v) for k, v in sigma.items()}

    # ------------------------------------------------------ exact derivatives
    @property
    def sensitivities(self):
        """The model augmented with the sensitivity equations of the estimated
        model parameters (:class:`~receptorkin.simulation.sensitivities.Sensitivities`),
        compiled once per process."""
        if getattr(self, "_sens_sim", None) is None:
            from ..simulation.sensitivities import Sensitivities

            params = [s.name for s in self.specs.values() if s.estimate and s.name in self.model.parameters]
            self._sens_sim = Sensitivities(self.model, params, self._outputs, rtol=self.rtol, atol=self.atol,
                                           base=self.simulator)
        return self._sens_sim

    def residuals_and_jacobian(self, x: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
        """Weighted residuals and their exact Jacobian on the estimation scale
        (forward sensitivities through pre-equilibration, pre-treatment
        segments and every challenge, by THE runner's sensitivity mode;
        ``n_data × n_parameters``)."""
        from ..dosing.run import run_many

        sens = self.sensitivities
        x = np.asarray(x, dtype=float)
        linear = self.to_linear(x)
        n_out, n_par = len(self._outputs), len(self._names)
        out = np.empty((self._n_slots, n_out))
        dout = np.zeros((self._n_slots, n_out, n_par))
        index = {n: i for i, n in enumerate(self._names)}
        batch, columns = [], []
        for cname, _, challenges in self.experiments(x):
            cond = self.conditions.get(cname)
            # the estimated value each sensitivity column belongs to in this condition (-1: the condition sets it)
            cols = np.array([-1 if cond is not None and p in cond.overrides
                             else index[f"{p}[{cname}]"] if self.specs[p].per_condition else index[p]
                             for p in sens.parameters], dtype=int)
            batch += challenges
            columns += [cols] * len(challenges)
        slot = 0
        for (values, steady, dvalues, dsteady), cols in zip(run_many(sens.simulator, batch, values_only=True,
                                                                      sensitivities=sens), columns):
            used = cols >= 0
            n = values.shape[0]
            out[slot:slot + n] = values
            dout[slot:slot + n, :, cols[used]] = dvalues[:, :, used]
            slot += n
            if steady is not None:
                out[slot] = steady
                dout[slot, :, cols[used]] = dsteady[:, used].T
                slot += 1
        pred = out[self._row_slot, self._row_output]
        dpred = dout[self._row_slot, self._row_output, :]
        params = self._observable_params(linear)
        for name, rows in self._obs_rows.items():
            o = self.observables[name]
            scale, offset = params[name]
            raw = pred[rows].copy()
            pred[rows] = scale * raw + offset
            dpred[rows] *= scale
            if isinstance(o.scale, str) and o.scale in index:
                dpred[rows, index[o.scale]] += raw
            if isinstance(o.offset, str) and o.offset in index:
                dpred[rows, index[o.offset]] += 1.0
        # chain rule to the estimation scale (d value / d log10 value = value · ln 10)
        for j, (name, spec) in enumerate(zip(self._names, self._spec_of)):
            if spec.scale == "log10":
                dpred[:, j] *= linear[name] * math.log(10.0)
        weight = 1.0 / self._sd
        if self.noise == "estimate" and len(self._obs_rows) > 1:
            weight = weight.copy()
            for name, rows in self._obs_rows.items():
                weight[rows] /= self._sigma[name]
        r = (self._y - pred) * weight
        return r, -dpred * weight[:, None]

    def describe(self) -> str:
        lines = [f"FitProblem: model {self.model.id!r}, {self.n_data} measurements from {self.data.source}, "
                 f"{len(self.condition_names)} conditions, noise={self.noise}"]
        for spec in self.specs.values():
            flag = "estimate" if spec.estimate else "fixed"
            per = " per condition" if spec.per_condition else ""
            lines.append(f"  {spec.name:24s} {flag:8s} initial {spec.initial:<10.4g} bounds [{spec.lower:.3g}, {spec.upper:.3g}] {spec.scale}{per}")
        return "\n".join(lines)

