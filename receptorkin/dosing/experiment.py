"""The Experiment: one simulated experiment as a plain value.

An :class:`Experiment` says everything the runner (:mod:`receptorkin.dosing.run`)
needs to simulate one experiment on a compiled
:class:`~receptorkin.simulation.Simulator`:

* how it starts (:class:`Start`): the model's initial values, a given state,
  the end state of another experiment (a pre-treatment), and optionally a
  pre-equilibration to the steady state under its own parameter overrides
  (PEtab's ``preequilibrationConditionId``);
* the inputs over time: a :class:`~receptorkin.dosing.Regimen` (exposures and
  washouts, pulses, holidays, boluses and infusions into a PK link);
* parameter overrides in force from time 0 (parameters, compartment sizes,
  and species amounts, which replace the start state at time 0);
* what to read (:class:`Readouts`): outputs at times, a dense time course for
  regimen metrics, and/or the steady state reached at the end.

A fit condition, a point of a dose-response curve, a regimen of a comparison,
an individual of a population and a PEtab condition with its
pre-equilibration are all Experiments.  Times are in the **model's time
unit** (regimen parts keep their canonical minutes; the runner converts).

Every field is immutable and hashable: overrides and states are stored as
tuples of ``(id, value)`` pairs (``dict(experiment.overrides)`` gives a
dict), so experiments can key caches (a pre-treatment shared by many
challenges is simulated once per batch).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Mapping, Sequence

import numpy as np

from ..errors import RegimenError
from .regimen import Regimen, as_regimen

__all__ = ["Start", "Readouts", "Experiment", "Pairs", "dose_response_experiments"]

#: immutable ``((id, value), ...)`` form of a mapping
Pairs = tuple[tuple[str, float], ...]

_EVENT_POLICIES = ("refuse", "disable")


def _pairs(values: "Mapping[str, float] | Sequence[tuple[str, float]] | None", what: str) -> Pairs:
    """A mapping (or pairs) as de-duplicated ``(id, float)`` pairs."""
    if not values:
        return ()
    items = values.items() if type(values) is dict or isinstance(values, Mapping) else values
    try:
        out = {str(key): float(value) for key, value in items}
    except (TypeError, ValueError):
        for key, value in (values.items() if isinstance(values, Mapping) else values):
            try:
                float(value)
            except (TypeError, ValueError):
                raise RegimenError(f"{what}: {key!r}: expected a number (got {value!r})") from None
        raise
    for key, v in out.items():
        if math.isinf(v):
            raise RegimenError(f"{what}: {key!r}: expected a finite number (got {v!r})")
    return tuple(out.items())


def _state(state) -> "Pairs | tuple[float, ...] | None":
    """A start state: species id -> amount (pairs), or all amounts in solver order (a tuple)."""
    if state is None:
        return None
    if isinstance(state, np.ndarray) or (isinstance(state, (list, tuple)) and state
                                         and not isinstance(state[0], (tuple, list))):
        arr = np.asarray(state, dtype=float).ravel()
        if not np.all(np.isfinite(arr)):
            raise RegimenError("start state: amounts must be finite numbers")
        return tuple(arr.tolist())
    if hasattr(state, "to_dict"):  # a pandas Series (e.g. a steady_state())
        state = state.to_dict()
    return _pairs(state, "start state")


@dataclass(frozen=True)
class Start:
    """How an experiment starts.

    Parameters
    ----------
    state
        Species amounts to start from: a mapping id -> amount (a partial
        state: other species keep their initial values), or every amount in
        :attr:`Simulator.species` order.  Default: the model's initial values.
    after
        Start from the end state of this experiment (a pre-treatment shared
        by several challenges; the runner simulates it once per batch).
        Excludes ``state``.
    equilibrate
        Then run to the steady state (pre-equilibration) before time 0.
    overrides
        Parameter overrides (and species initial amounts) during the
        pre-equilibration only (PEtab: the pre-equilibration condition).
        ``None``: the experiment's own overrides.
    events
        A model with events has no steady state the runner may trust (an
        integration "to steady state" runs through timed events):
        ``'refuse'`` (default) raises :class:`~receptorkin.errors.SimulationError`;
        ``'disable'`` solves for the steady state with the events switched off.
    """

    state: "Pairs | tuple[float, ...] | None" = None
    after: "Experiment | None" = None
    equilibrate: bool = False
    overrides: "Pairs | None" = None
    events: str = "refuse"

    def __post_init__(self) -> None:
        object.__setattr__(self, "state", _state(self.state))
        if self.overrides is not None:
            object.__setattr__(self, "overrides", _pairs(self.overrides, "pre-equilibration overrides"))
        object.__setattr__(self, "equilibrate", bool(self.equilibrate))
        if self.after is not None and not isinstance(self.after, Experiment):
            raise RegimenError(f"Start(after=...): expected an Experiment (got {type(self.after).__name__})")
        if self.after is not None and self.state is not None:
            raise RegimenError("Start: give a state or an experiment to start after, not both")
        if self.events not in _EVENT_POLICIES:
            raise RegimenError(f"Start: events must be one of {', '.join(_EVENT_POLICIES)} (got {self.events!r})")

    @classmethod
    def defaults(cls) -> "Start":
        """The model's initial values."""
        return cls()

    @classmethod
    def preequilibrated(cls, overrides: "Mapping[str, float] | None" = None, *, events: str = "refuse") -> "Start":
        """The steady state under ``overrides`` (default: the experiment's own)."""
        return cls(equilibrate=True, overrides=overrides, events=events)


@dataclass(frozen=True)
class Readouts:
    """What an experiment records.

    Parameters
    ----------
    selections
        Output ids (species, observables, parameters, compartments).
    times
        Times to read them [model time unit, from the experiment's time 0],
        increasing.  A readout at the time of an input change sees the change
        (right-continuous).
    steady
        Also read the steady state reached from the end of the experiment
        (inputs as they are at the horizon).
    dense
        A time course for regimen metrics: about ``dense`` uniform points over
        the horizon, at least ``min_points`` per segment, plus points spaced
        geometrically after every input change, plus ``times``.  A time
        appears twice where an input changes (before and after).
    min_points
        See ``dense``.
    """

    selections: tuple[str, ...] = ()
    times: tuple[float, ...] = ()
    steady: bool = False
    dense: int = 0
    min_points: int = 3

    def __post_init__(self) -> None:
        sel = (self.selections,) if isinstance(self.selections, str) else self.selections
        object.__setattr__(self, "selections", tuple(str(s) for s in sel))
        times = tuple(float(t) for t in np.atleast_1d(np.asarray(self.times, dtype=float)).tolist())
        if any(not math.isfinite(t) or t < 0 for t in times):
            raise RegimenError(f"readout times must be finite and non-negative (got {list(times)})")
        if any(b <= a for a, b in zip(times, times[1:])):
            raise RegimenError(f"readout times must be strictly increasing (got {list(times)})")
        object.__setattr__(self, "times", times)
        object.__setattr__(self, "steady", bool(self.steady))
        if int(self.dense) < 0 or int(self.min_points) < 1:
            raise RegimenError(f"readouts: dense >= 0 and min_points >= 1 (got {self.dense}, {self.min_points})")
        object.__setattr__(self, "dense", int(self.dense))
        object.__setattr__(self, "min_points", int(self.min_points))


@dataclass(frozen=True)
class Experiment:
    """One experiment: start, inputs, overrides and readouts (see the module docs).

    Parameters
    ----------
    start
        How it starts (:class:`Start`; default the model's initial values).
    regimen
        Inputs over time: a :class:`~receptorkin.dosing.Regimen` or its text
        form; ``None`` for no drug input.
    overrides
        Parameter values, compartment sizes and species amounts in force from
        time 0 (after the start; species amounts replace the start state).
    readouts
        What to record (:class:`Readouts`).
    horizon
        End of the experiment [model time unit]; default the last readout
        time (0 when there is none: the start state itself).
    breaks
        Times [model time unit] where the model itself switches
        discontinuously (a ``piecewise`` in time): the solver is restarted
        there (it stops a hair before the switch).
    name
        A label (not used by the runner).
    """

    start: Start = field(default_factory=Start)
    regimen: "Regimen | None" = None
    overrides: Pairs = ()
    readouts: Readouts = field(default_factory=Readouts)
    horizon: "float | None" = None
    breaks: tuple[float, ...] = ()
    name: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.start, Start):
            raise RegimenError(f"Experiment: start must be a Start (got {type(self.start).__name__})")
        if self.regimen is not None and not isinstance(self.regimen, Regimen):
            object.__setattr__(self, "regimen", as_regimen(self.regimen))
        object.__setattr__(self, "overrides", _pairs(self.overrides, "experiment overrides"))
        if not isinstance(self.readouts, Readouts):
            raise RegimenError(f"Experiment: readouts must be Readouts (got {type(self.readouts).__name__})")
        if self.horizon is not None:
            h = float(self.horizon)
            if not math.isfinite(h) or h < 0:
                raise RegimenError(f"Experiment: horizon must be a finite, non-negative time (got {self.horizon!r})")
            object.__setattr__(self, "horizon", h)
            if self.readouts.times and self.readouts.times[-1] > h:
                raise RegimenError(f"Experiment: readout time {self.readouts.times[-1]:g} is after the horizon {h:g}")
        object.__setattr__(self, "breaks", tuple(sorted({float(b) for b in self.breaks if math.isfinite(float(b))})))

    @property
    def end(self) -> float:
        """The horizon, or the last readout time."""
        if self.horizon is not None:
            return self.horizon
        return self.readouts.times[-1] if self.readouts.times else 0.0

    def with_overrides(self, values: Mapping[str, float]) -> "Experiment":
        """The same experiment with ``values`` added to (replacing) its overrides."""
        merged = dict(self.overrides)
        merged.update(values)
        return replace(self, overrides=tuple(merged.items()))



def dose_response_experiments(
    ligand: str,
    doses: Sequence[float],
    selections: Sequence[str],
    *,
    readout: "float | None" = None,
    start: "Start | None" = None,
    overrides: "Mapping[str, float] | None" = None,
) -> list[Experiment]:
    """The points of a dose-response curve as Experiments.

    Each point starts from ``start`` (default: the model's initial values),
    sets the ligand to its dose from time 0, and reads ``selections`` at
    ``readout`` [model time unit] after the dose, or at steady state when
    ``readout`` is ``None``.  (The same as :meth:`Simulator.dose_response`,
    whose steady-state path continues from one dose to the next and stays the
    fast route for a plain steady-state curve.)
    """
    base = dict(overrides or {})
    if readout is None:
        rd = Readouts(tuple(selections), steady=True)
    else:
        t = float(readout)
        if not math.isfinite(t) or t <= 0:
            raise RegimenError(f"readout time must be positive (got {readout!r})")
        rd = Readouts(tuple(selections), times=(t,))
    st = start if start is not None else Start()
    return [Experiment(start=st, overrides={**base, ligand: float(d)}, readouts=rd, name=f"{ligand}={float(d):g}")
            for d in doses]
