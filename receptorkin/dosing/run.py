"""THE runner: execute an :class:`~receptorkin.dosing.experiment.Experiment` on a Simulator.

This is the one place in receptorkin that drives a simulation in segments.
``run(sim, experiment)`` resets the compiled
:class:`~receptorkin.simulation.Simulator` (every run starts from the same
model state, whatever earlier runs or the model's own events did), brings it
to the experiment's start (initial values, a given state, the end of a
pre-treatment, and/or a pre-equilibration), then integrates from one input
change to the next, changing the ligand concentration (in vitro), the PK
infusion rate, or adding bolus amounts in between, and reads the outputs.

* Inputs are exact at their times: a dose at time 0 counts, doses at the same
  time add, and no event location is involved.  A readout at the time of a
  change sees the change (right-continuous).
* The model's own events fire as libRoadRunner fires them: a model whose
  equations or event triggers use the time is integrated on its absolute
  clock; other models on a local clock per segment (which keeps CVODE's first
  step well above the rounding error of a large absolute time).
* Every run restores parameters that events assign and compartment sizes that
  an earlier experiment overrode, so a model gives the same result on its
  first and tenth run and in any order of experiments.
* A steady state is never taken from a model with events unless the
  experiment asks for the events to be switched off (``Start(events='disable')``):
  integrating "to steady state" would run through timed events and return a
  post-event state; the runner raises :class:`~receptorkin.errors.SimulationError`.

``run_many(sim, experiments)`` runs a batch on one compiled Simulator: the
segment plan of experiments that differ only in their overrides is compiled
once, and a pre-treatment (``Start(after=...)``) shared by several
experiments is simulated once.

Sensitivity mode: ``prepare(sens.simulator, experiment, sensitivities=sens)``
(or ``run_many(..., sensitivities=sens)``) with a
:class:`~receptorkin.simulation.sensitivities.Sensitivities` object runs the model
augmented with its forward sensitivity equations and returns the readouts'
derivatives with respect to ``sens.parameters`` as well: carried through
segment boundaries and doses, zero for species a run sets, from the initial
values and initial assignments after a reset, and by the implicit function
theorem at every steady state (pre-equilibration and steady readouts).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Iterable, Mapping, Sequence

import numpy as np

from ..errors import ModelError, RegimenError, SimulationError
from ..units import time_factor
from .experiment import Experiment
from .pk import drug_input
from .regimen import Schedule

if TYPE_CHECKING:  # pragma: no cover
    from ..simulation.sensitivities import Sensitivities
    from ..simulation import Simulator

__all__ = ["run", "run_many", "prepare", "PreparedExperiment", "ExperimentResult", "model_facts", "ModelFacts"]


# ------------------------------------------------------------------ model facts
@dataclass(frozen=True)
class ModelFacts:
    """What the runner needs to know about a model's own dynamics (read from its SBML once).

    Attributes
    ----------
    has_events
        The model has events.
    uses_time
        An equation, rule, event trigger or assignment uses the time symbol
        (the model is then integrated on its absolute clock).
    event_parameters
        Global parameters that events assign (restored before every run).
    compartments
        Compartment id -> size in the SBML (restored after an override).
    event_compartments
        Compartments that events assign.
    rate_parameters
        Parameters driven by rate rules: state, like species amounts (a
        pre-equilibrated value is carried into the experiment).
    """

    has_events: bool
    uses_time: bool
    event_parameters: tuple[str, ...]
    compartments: Mapping[str, float]
    event_compartments: tuple[str, ...]
    rate_parameters: tuple[str, ...] = ()


@lru_cache(maxsize=64)
def _facts(sbml: str) -> ModelFacts:
    import libsbml

    from ..models.mathml import is_time, walk

    doc = libsbml.readSBMLFromString(sbml)
    m = doc.getModel()
    if m is None:
        return ModelFacts(False, False, (), {}, ())
    params = {p.getId() for p in m.getListOfParameters()}
    comps: dict[str, float] = {}
    initial_assigned = {ia.getSymbol() for ia in m.getListOfInitialAssignments()}
    for c in m.getListOfCompartments():
        if c.isSetSize() and c.getId() not in initial_assigned:
            comps[c.getId()] = float(c.getSize())
    owners = [r.getKineticLaw() for r in m.getListOfReactions() if r.isSetKineticLaw()]
    owners += list(m.getListOfRules()) + list(m.getListOfInitialAssignments())
    targets: list[str] = []
    for ev in m.getListOfEvents():
        owners += [ev.getTrigger()] if ev.isSetTrigger() else []
        owners += [ev.getDelay()] if ev.isSetDelay() else []
        owners += list(ev.getListOfEventAssignments())
        targets += [a.getVariable() for a in ev.getListOfEventAssignments()]
    owners += list(m.getListOfFunctionDefinitions())
    uses_time = any(o is not None and o.isSetMath() and any(is_time(n) for n in walk(o.getMath())) for o in owners)
    return ModelFacts(
        has_events=m.getNumEvents() > 0,
        uses_time=uses_time,
        event_parameters=tuple(dict.fromkeys(t for t in targets if t in params)),
        compartments=comps,
        event_compartments=tuple(dict.fromkeys(t for t in targets if t in comps)),
        rate_parameters=tuple(r.getVariable() for r in m.getListOfRules() if r.isRate() and r.getVariable() in params),
    )


def model_facts(sim: "Simulator") -> ModelFacts:
    """The :class:`ModelFacts` of a Simulator's model."""
    return _facts(sim.model.sbml)


# ------------------------------------------------------------------ result
@dataclass(frozen=True)
class ExperimentResult:
    """What one experiment produced.

    Attributes
    ----------
    experiment
        The experiment run.
    selections
        Output ids, the columns of ``values``.
    times
        Time of each row of ``values`` [model time unit] (the readout times;
        for a dense time course every output point, a time twice where an
        input changes).
    values
        ``len(times) × len(selections)``.
    steady
        The outputs at the steady state reached after the horizon (when asked
        for), else ``None``.
    final_state
        Species amounts at the end (:attr:`species` order; after the steady
        state when one was asked for).
    species
        Floating species ids.
    time_unit
        The model's time unit.
    segment, segment_start
        For each row: the index of its segment and the segment's start time.
    schedule
        The regimen compiled into breakpoints (minutes), or ``None``.
    breakpoints
        Segment boundaries [model time unit], from 0 to the horizon.
    error
        ``None``, or the message of the :class:`SimulationError` that ended
        this experiment (only from :func:`run_many` with ``errors='record'``;
        ``values`` are then NaN).
    sensitivities, steady_sensitivities
        Sensitivity mode only: d values / d parameter
        (``len(times) × len(selections) × len(parameters)``) and the same at
        the steady state; else ``None``.
    parameters
        Sensitivity mode only: the parameters differentiated with respect to.
    """

    experiment: Experiment
    selections: tuple[str, ...]
    times: np.ndarray = field(repr=False)
    values: np.ndarray = field(repr=False)
    steady: "np.ndarray | None" = field(default=None, repr=False)
    final_state: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)
    species: tuple[str, ...] = field(default=(), repr=False)
    time_unit: str = ""
    segment: np.ndarray = field(default_factory=lambda: np.empty(0, int), repr=False)
    segment_start: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)
    schedule: "Schedule | None" = field(default=None, repr=False)
    breakpoints: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)
    error: "str | None" = None
    sensitivities: "np.ndarray | None" = field(default=None, repr=False)
    steady_sensitivities: "np.ndarray | None" = field(default=None, repr=False)
    parameters: tuple[str, ...] = field(default=(), repr=False)

    @property
    def ok(self) -> bool:
        return self.error is None

    def column(self, ident: str) -> np.ndarray:
        """The values of one output over :attr:`times`."""
        try:
            return self.values[:, self.selections.index(ident)]
        except ValueError:
            raise ModelError(f"{ident!r} was not read (read: {', '.join(self.selections)})") from None

    def frame(self):
        """The readouts as a DataFrame indexed by ``time``."""
        import pandas as pd

        df = pd.DataFrame(self.values, index=pd.Index(self.times, name="time"), columns=list(self.selections))
        df.attrs["units"] = {"time": self.time_unit}
        return df


# ------------------------------------------------------------------ plan
@dataclass(frozen=True)
class _Segment:
    level: "float | None"  # input level set at the start (None: unchanged)
    boluses: tuple[tuple[int, float], ...]  # (species index, amount) added at the start
    grid: np.ndarray  # local output times, from 0 (segment start)
    rows: "np.ndarray | slice"  # which grid points are recorded
    dest: "np.ndarray | slice"  # ... into which output rows

    @property
    def has_rows(self) -> bool:
        return isinstance(self.dest, slice) or self.dest.size > 0


@dataclass(frozen=True)
class _Plan:
    T: np.ndarray
    segments: tuple[_Segment, ...]
    final: _Segment  # inputs at the horizon, and readouts there (grid = [0])
    target: "str | None"
    times: np.ndarray  # time of each output row
    segment: np.ndarray
    segment_start: np.ndarray
    schedule: "Schedule | None"
    end: float


@lru_cache(maxsize=256)
def _template(n: int, refine: int) -> np.ndarray:
    """Output points on [0, 1]: ``n`` uniform, plus ``refine`` per decade from 1e-6 (fast transients)."""
    grid = np.linspace(0.0, 1.0, n)
    if refine:
        grid = np.union1d(grid, np.logspace(-6.0, 0.0, 6 * refine + 1)[:-1])
    grid.setflags(write=False)
    return grid


def _hair(t: float) -> float:
    return 1e-9 * max(1.0, abs(t))


def _compile(sim: "Simulator", exp: Experiment) -> _Plan:
    """Breakpoints, inputs and output grids of an experiment (independent of its overrides)."""
    end = exp.end
    reg = exp.regimen
    rd = exp.readouts
    f = time_factor("min", sim.time_unit)  # model units per minute
    sched: Schedule | None = None
    target: str | None = None
    if reg is not None and not (reg.kind == "none" and sim.ligand is None and not _has_pk(sim)):
        drug = drug_input(sim.model)
        from .pk import check_compatible

        check_compatible(reg, drug, sim.id)
        span = end if end > 0 else 1.0 / f * 1e-6
        sched = reg.schedule(span / f)
        T = sched.times * f
        T[-1] = span
        if end == 0:
            T = T[:1]
        if drug.kind == "concentration":
            target, scale = drug.concentration, drug.concentration_factor
        else:
            target, scale = str(drug.infusion), 1.0 / f
        index = {s: i for i, s in enumerate(sim.species)}
        routes = {}
        if drug.kind == "pk":
            for route in sched.bolus:
                sp = drug.species_for(route, sim.id)
                if sp not in index:
                    raise ModelError(f"model {sim.id!r}: PK species {sp!r} is not a floating species")
                routes[route] = index[sp]
        n_bp = T.size
        levels: list[float | None] = []
        boluses: list[tuple[tuple[int, float], ...]] = []
        previous = None
        for i in range(n_bp):
            k = i if end > 0 else 0
            level = float(sched.level[k]) * scale
            levels.append(level if (i == 0 or level != previous) else None)
            previous = level
            added: dict[int, float] = {}
            for route, arr in sched.bolus.items():
                if arr[k] != 0.0:
                    added[routes[route]] = added.get(routes[route], 0.0) + float(arr[k])
            boluses.append(tuple(added.items()))
        dosed = np.zeros(n_bp, bool)
        lv = sched.level if end > 0 else sched.level[:1]
        dosed[1:] = lv[1:n_bp] > lv[:n_bp - 1]
        dosed[0] = lv[0] > 0
        for arr in sched.bolus.values():
            dosed |= (arr[:n_bp] if end > 0 else arr[:1]) > 0
    else:
        T = np.array([0.0, end]) if end > 0 else np.array([0.0])
        levels = [None] * T.size
        boluses = [()] * T.size
        dosed = np.zeros(T.size, bool)
    hair = np.zeros(T.size, bool)
    if exp.breaks and end > 0:
        extra = np.array([b for b in exp.breaks if 0 < b < end], dtype=float)
        if extra.size:
            new = np.setdiff1d(extra, T)
            if new.size:
                allT = np.concatenate([T, new])
                order = np.argsort(allT, kind="stable")
                T = allT[order]
                levels = [([*levels, *([None] * new.size)])[j] for j in order]
                boluses = [([*boluses, *([()] * new.size)])[j] for j in order]
                dosed = np.concatenate([dosed, np.zeros(new.size, bool)])[order]
            hair = np.isin(T, extra)
    n_seg = T.size - 1
    lengths = np.diff(T)
    seg_times: list[np.ndarray] = []
    seg_rows: list[np.ndarray] = []
    seg_dest: list[np.ndarray] = []
    out_t: list[np.ndarray] = []
    out_seg: list[np.ndarray] = []
    final_dest = np.empty(0, int)
    if rd.dense:
        extra_t = np.asarray(rd.times, dtype=float)
        counts = np.maximum(np.where(dosed[:-1], 3 * rd.min_points, rd.min_points),
                            1 + np.ceil(lengths / max(end, 1e-300) * rd.dense).astype(int)) if n_seg else []
        n_rows = 0
        for i in range(n_seg):
            a, length = float(T[i]), float(lengths[i])
            local = _template(int(counts[i]), 3 if dosed[i] else 1) * length
            if extra_t.size:
                inside = extra_t[(extra_t > a) & (extra_t <= a + length)] - a
                if inside.size:
                    local = np.union1d(local, inside)
            if hair[i + 1]:
                local = local.copy()
                local[-1] -= _hair(a + length)
            seg_times.append(local)
            seg_rows.append(np.arange(local.size))
            seg_dest.append(np.arange(n_rows, n_rows + local.size))
            n_rows += local.size
            out_t.append(local + a)
            out_seg.append(np.full(local.size, i))
        last = T.size - 1
        changed = (last > 0 and levels[last] is not None) or bool(boluses[last])
        if changed or n_seg == 0:
            final_dest = np.array([n_rows])
            out_t.append(np.array([end]))
            out_seg.append(np.array([last]))
        times = np.concatenate(out_t) if out_t else np.empty(0)
        segment = np.concatenate(out_seg).astype(int) if out_seg else np.empty(0, int)
    else:
        rt = np.asarray(rd.times, dtype=float)
        # a readout within round-off of an input time reads at that time; round-off is relative to
        # the time itself (a tolerance scaled by the horizon snapped early readouts of a long run to 0)
        seg_of = np.clip(np.searchsorted(T, rt + 1e-9 * np.maximum(1.0, np.abs(rt)), side="right") - 1, 0, T.size - 1)
        snapped = np.where(np.abs(rt - T[seg_of]) <= 1e-9 * np.maximum(1.0, np.abs(T[seg_of])), T[seg_of], rt)
        last = T.size - 1
        segment = seg_of.astype(int)
        if n_seg and levels[last] is None and not boluses[last]:
            # nothing changes at the horizon: read it from the last segment's own output
            seg_of = np.where(seg_of == last, last - 1, seg_of)
        for i in range(n_seg):
            mine = np.flatnonzero(seg_of == i)
            local = np.unique(np.concatenate([[0.0], snapped[mine] - T[i], [lengths[i]]]))
            rows = np.searchsorted(local, snapped[mine] - T[i])
            if hair[i + 1]:
                local[-1] -= _hair(float(T[i + 1]))
            seg_times.append(local)
            seg_rows.append(rows)
            seg_dest.append(mine)
        final_dest = np.flatnonzero(seg_of == last)
        times = rt
    segments = tuple(_Segment(levels[i], boluses[i], seg_times[i], _as_slice(seg_rows[i]), _as_slice(seg_dest[i]))
                     for i in range(n_seg))
    last = T.size - 1
    final = _Segment(levels[last], boluses[last], np.zeros(1), np.zeros(final_dest.size, int), final_dest)
    return _Plan(T=T, segments=segments, final=final, target=target, times=times, segment=segment,
                 segment_start=T[segment] if segment.size else np.empty(0), schedule=sched, end=end)


def _as_slice(index: np.ndarray) -> "np.ndarray | slice":
    """A run of consecutive indices as a slice (much cheaper to index with than an array)."""
    if index.size and np.all(np.diff(index) == 1):
        return slice(int(index[0]), int(index[-1]) + 1)
    return index


def _has_pk(sim: "Simulator") -> bool:
    try:
        return drug_input(sim.model).kind == "pk"
    except ModelError:
        return False


_PLANS: "weakref.WeakKeyDictionary[Simulator, dict[tuple, _Plan]]" = weakref.WeakKeyDictionary()
_TOUCHED: "weakref.WeakKeyDictionary[Simulator, dict[str, float]]" = weakref.WeakKeyDictionary()


def _plan(sim: "Simulator", exp: Experiment) -> _Plan:
    key = (exp.regimen, exp.end, exp.readouts, exp.breaks, sim.time_unit)
    cache = _PLANS.get(sim)
    if cache is None:
        cache = _PLANS[sim] = {}
    plan = cache.get(key)
    if plan is None:
        if len(cache) > 256:
            cache.clear()
        plan = cache[key] = _compile(sim, exp)
    return plan


# ------------------------------------------------------------------ execution
class PreparedExperiment:
    """An experiment compiled for one Simulator; :meth:`run` it with other overrides.

    The segment plan (breakpoints, inputs, output grids) depends on the
    regimen, the horizon and the readouts only, so one prepared experiment
    serves a whole population or every evaluation of a fit objective.
    """

    def __init__(self, sim: "Simulator", experiment: Experiment, sensitivities: "Sensitivities | None" = None) -> None:
        self.sim = sim
        self.experiment = experiment
        self.facts = model_facts(sim)
        self.plan = _plan(sim, experiment)
        sel = list(experiment.readouts.selections)
        if sel:
            sim.check_selections(sel)
        self.selections = sel
        self._selections = tuple(sel)
        self._species = tuple(sim.species)
        self.sens = sensitivities
        self._read = sel  # what each segment reads: the selections, then their sensitivities
        if sensitivities is not None:
            if sensitivities.simulator is not sim:
                raise ModelError("sensitivity mode runs on the Sensitivities object's own Simulator "
                                 "(prepare(sens.simulator, experiment, sensitivities=sens))")
            self._read = sel + sensitivities.columns(sel)
        self._base = dict(experiment.overrides)
        touched = _TOUCHED.get(sim)
        if touched is None:
            touched = _TOUCHED[sim] = {}
        self._touched = touched  # compartments changed by any run on this Simulator

    def run(self, overrides: "Mapping[str, float] | None" = None, *, start_state: "np.ndarray | None" = None,
            reset: bool = True) -> ExperimentResult:
        """Run the experiment, with ``overrides`` added to its own.

        Parameters
        ----------
        overrides
            Extra overrides (e.g. one individual's parameters).
        start_state
            The start state when the experiment starts after another one (as
            computed by :func:`run_many`); otherwise its :class:`Start` decides.
        reset
            ``False`` continues from the Simulator's current state and time
            (regimen times count from there; the start and overrides are
            ignored).  The Simulator is left at the end either way.
        """
        out, steady = self._execute(overrides, start_state, reset)
        sim, plan = self.sim, self.plan
        extra: dict = {}
        if self.sens is not None:
            out, steady, dout, dsteady = self._split(out, steady)
            extra = dict(sensitivities=dout, steady_sensitivities=dsteady, parameters=tuple(self.sens.parameters))
        return ExperimentResult(
            experiment=self.experiment, selections=self._selections, times=plan.times, values=out,
            steady=steady, final_state=sim.state(), species=self._species, time_unit=sim.time_unit,
            segment=plan.segment, segment_start=plan.segment_start, schedule=plan.schedule, breakpoints=plan.T,
            **extra)

    def _split(self, out: np.ndarray, steady: "np.ndarray | None") -> tuple:
        """Sensitivity mode: (values, steady, their sensitivities, at the steady state) from the columns read."""
        k, sel = len(self.selections), self.selections
        dout = self.sens.split(out[:, k:], sel)
        dsteady = self.sens.split(steady[None, k:], sel)[0] if steady is not None else None
        return out[:, :k], (steady[:k] if steady is not None else None), dout, dsteady

    def values(self, overrides: "Mapping[str, float] | None" = None) -> np.ndarray:
        """Only the readout values (``len(times) × len(selections)``) of :meth:`run`: the
        fast path for many runs (a population's individuals)."""
        out = self._execute(overrides, None, True, settle=False)[0]
        return out if self.sens is None else out[:, :len(self.selections)]

    def _execute(self, overrides: "Mapping[str, float] | None", start_state: "np.ndarray | None",
                 reset: bool, settle: bool = True, base: "tuple | None" = None) -> "tuple[np.ndarray, np.ndarray | None]":
        """Run; ``settle=False`` skips putting the clock at the horizon (nobody continues from it);
        ``base`` replaces the experiment's own overrides (another experiment of the same plan and start)."""
        sim, plan, exp = self.sim, self.plan, self.experiment
        values = dict(self._base) if base is None else dict(base)
        if overrides:
            values.update(overrides)
        t_offset = 0.0
        if reset:
            self._start(values, start_state)
        else:
            t_offset = sim.time
        sel = self._read
        absolute = self.facts.uses_time
        out = np.empty((plan.times.size, len(sel)))
        state: dict[str, float | None] = {"level": None}
        target = plan.target
        T = plan.T
        for i, seg in enumerate(plan.segments):
            self._inputs(seg, target, state)
            grid = seg.grid + (T[i] + t_offset) if absolute else seg.grid
            res = sim.advance(grid, sel)
            if seg.has_rows:
                out[seg.dest] = res[seg.rows]
        self._inputs(plan.final, target, state)
        if settle and not absolute and plan.end > 0:
            sim.set_time(plan.end + t_offset)
        if plan.final.dest.size:
            out[plan.final.dest] = [sim.get(s) for s in sel]
        steady = None
        if exp.readouts.steady:
            steady = self._steady_state(sel, exp.start.events, "the steady-state readout")
        return out, steady

    # -- pieces
    def _restore_values(self, values: dict[str, float]) -> dict[str, float]:
        """Overrides plus the SBML size of every compartment an earlier run changed."""
        facts = self.facts
        touched = self._touched
        if not touched and not facts.event_compartments and values.keys().isdisjoint(facts.compartments):
            return values
        comps = [k for k in values if k in facts.compartments]
        if comps or touched or facts.event_compartments:
            for c in (*comps, *facts.event_compartments):
                touched.setdefault(c, facts.compartments[c])
            return {**touched, **values}
        return values

    def _start(self, values: dict[str, float], start_state: "np.ndarray | None") -> None:
        sim, start, facts = self.sim, self.experiment.start, self.facts
        if facts.event_parameters:
            # libRoadRunner's reset keeps what events assigned to parameters: put the set values back
            current = sim.parameters
            sim.set_now({p: current[p] for p in facts.event_parameters if p in current})
        values = self._restore_values(values)
        initial = start_state
        if initial is None and start.state is not None:
            initial = (np.asarray(start.state, dtype=float) if start.state and not isinstance(start.state[0], tuple)
                       else dict(start.state))
        if not start.equilibrate:
            self._reset(values, initial)
            return
        if start.overrides is None:
            self._reset(values, initial)
            self._steady_state((), start.events, "pre-equilibration")
            if sim.time != 0.0:
                sim.set_time(0.0)
            return
        self._reset(self._restore_values(dict(start.overrides)), initial)
        self._steady_state((), start.events, "pre-equilibration")
        # rate-rule parameters are state: their pre-equilibrated values go on (unless overridden)
        carried = {k: sim.get(k) for k in facts.rate_parameters}
        self._reset({**carried, **values} if carried else values, sim.state())

    def _reset(self, values: Mapping[str, float], initial: "np.ndarray | Mapping[str, float] | None") -> None:
        self.sim.reset(values, initial)
        if self.sens is not None:  # initial sensitivities; zero for the species a run sets
            self.sens.restart(values, initial)

    def _steady_state(self, selections: Sequence[str], events: str, what: str) -> np.ndarray:
        sim = self.sim
        if self.facts.has_events and events != "disable":
            raise SimulationError(
                f"model {sim.id!r} has events: {what} would integrate through them and could return a state "
                "past an event; ask for the steady state with the events switched off "
                "(Start(..., events='disable')) if that is what you mean")
        if self.sens is not None:  # the state on the original model, dx*/dθ by the implicit function theorem
            self.sens.steady_state(ignore_events=self.facts.has_events)
            return np.array([sim.get(s) for s in selections], dtype=float)
        if self.facts.has_events:
            return sim.solve_steady_state(selections, ignore_events=True)
        return sim.solve_steady_state(selections)

    def _inputs(self, seg: _Segment, target: "str | None", state: dict) -> None:
        sim = self.sim
        if seg.level is not None and target is not None and seg.level != state["level"]:
            sim.set_now({target: seg.level})
            state["level"] = seg.level
            if self.sens is not None:  # a species set to a level: no sensitivity
                self.sens.zero((target,))
        if seg.boluses:
            amounts = sim.state()
            for idx, amount in seg.boluses:
                amounts[idx] += amount
            sim.set_state(amounts)


def prepare(sim: "Simulator", experiment: Experiment, *,
            sensitivities: "Sensitivities | None" = None) -> PreparedExperiment:
    """Compile ``experiment`` for ``sim`` (see :class:`PreparedExperiment`);
    with ``sensitivities`` (run on ``sensitivities.simulator``) in sensitivity mode."""
    if not isinstance(experiment, Experiment):
        raise RegimenError(f"expected an Experiment (got {type(experiment).__name__})")
    return PreparedExperiment(sim, experiment, sensitivities)


def run(sim: "Simulator", experiment: Experiment, *, reset: bool = True,
        sensitivities: "Sensitivities | None" = None) -> ExperimentResult:
    """Run one experiment on a compiled Simulator; leave the Simulator at its end.

    Parameters
    ----------
    sim
        The :class:`~receptorkin.simulation.Simulator` (compile once, reuse).
    experiment
        What to simulate.  With ``Start(after=other)``, ``other`` is run first.
    reset
        ``False``: continue from the Simulator's current state and time.
    sensitivities
        Sensitivity mode (``sim`` is ``sensitivities.simulator``): the result
        carries the readouts' derivatives with respect to its parameters.

    Returns
    -------
    ExperimentResult

    Raises
    ------
    SimulationError
        The solver failed, or a steady state of a model with events was asked
        for without switching the events off.
    """
    return run_many(sim, [experiment], reset=reset, sensitivities=sensitivities)[0]


def run_many(sim: "Simulator", experiments: Iterable[Experiment], *, errors: str = "raise",
             reset: bool = True, values_only: bool = False, sensitivities: "Sensitivities | None" = None) -> list:
    """Run a batch of experiments on one compiled Simulator, in order.

    Experiments that differ only in their overrides share one compiled plan;
    a pre-treatment shared through ``Start(after=...)`` (the same Experiment
    object) is simulated once.

    Parameters
    ----------
    errors
        ``'raise'`` (default): a :class:`SimulationError` ends the batch.
        ``'record'``: the failed experiment gets NaN values and its message
        in :attr:`ExperimentResult.error`, and the batch goes on.
    values_only
        Return ``(values, steady)`` pairs instead of :class:`ExperimentResult`
        objects (the fast path of a fit objective); in sensitivity mode
        ``(values, steady, sensitivities, steady sensitivities)``.
    sensitivities
        Sensitivity mode (``sim`` is ``sensitivities.simulator``): results
        carry the readouts' derivatives with respect to its parameters.
    """
    if errors not in ("raise", "record"):
        raise RegimenError(f"run_many: errors must be 'raise' or 'record' (got {errors!r})")
    from ..simulation import Simulator

    if not isinstance(sim, Simulator):
        raise ModelError(f"the runner needs a compiled Simulator (got {type(sim).__name__})")
    prepared: dict[int, tuple[Experiment, PreparedExperiment]] = {}
    shared: dict[tuple, tuple[Experiment, PreparedExperiment]] = {}
    ends: dict[int, tuple[Experiment, np.ndarray]] = {}

    def get(exp: Experiment) -> PreparedExperiment:
        hit = prepared.get(id(exp))
        if hit is None:
            hit = prepared[id(exp)] = (exp, PreparedExperiment(sim, exp, sensitivities))
        return hit[1]

    def get_shared(exp: Experiment) -> PreparedExperiment:
        """A prepared experiment of the same plan and start (the same objects): only overrides differ."""
        key = (id(exp.start), id(exp.regimen), id(exp.readouts), exp.horizon, exp.breaks)
        hit = shared.get(key)
        if hit is None:
            hit = shared[key] = (exp, PreparedExperiment(sim, exp, sensitivities))
        return hit[1]

    def end_state(exp: Experiment, depth: int = 0) -> np.ndarray:
        if depth > 50:
            raise RegimenError("Start(after=...): experiments nested more than 50 deep")
        hit = ends.get(id(exp))
        if hit is None:
            before = end_state(exp.start.after, depth + 1) if exp.start.after is not None else None
            hit = ends[id(exp)] = (exp, get(exp).run(start_state=before).final_state)
        return hit[1]

    results: list = []
    for exp in experiments:
        try:
            before = end_state(exp.start.after) if exp.start.after is not None else None
            if values_only:
                p = get_shared(exp)
                out = p._execute(None, before, reset, settle=False, base=exp.overrides)
                results.append(out if sensitivities is None else p._split(*out))
            else:
                p = get(exp)
                results.append(p.run(start_state=before, reset=reset))
        except SimulationError as exc:
            if errors == "raise":
                raise
            hit = prepared.get(id(exp))
            n_sel = len(exp.readouts.selections)
            times = hit[1].plan.times if hit is not None else np.asarray(exp.readouts.times, dtype=float)
            values = np.full((times.size, n_sel), np.nan)
            steady = np.full(n_sel, np.nan) if exp.readouts.steady else None
            if values_only:
                if sensitivities is not None:
                    q = len(sensitivities.parameters)
                    results.append((values, steady, np.full(values.shape + (q,), np.nan),
                                    None if steady is None else np.full(steady.shape + (q,), np.nan)))
                else:
                    results.append((values, steady))
                continue
            results.append(ExperimentResult(
                experiment=exp, selections=exp.readouts.selections, times=times, values=values, steady=steady,
                final_state=np.full(len(sim.species), np.nan), species=tuple(sim.species),
                time_unit=sim.time_unit, error=" ".join(str(exc).split())))
    return results
