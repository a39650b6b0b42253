"""Simulating a regimen on a compiled model, and measuring it.

The model is compiled once (a :class:`~receptorkin.simulation.Simulator`);
:func:`apply_regimen` and :func:`simulate_regimen` express the regimen as an
:class:`~receptorkin.dosing.experiment.Experiment` and hand it to THE runner
(:mod:`receptorkin.dosing.run`), which integrates from one input change to
the next.  Inputs are exact at the dose times: a dose at time 0 counts, doses
at the same time add, and no event location is involved.

Outputs are sampled on a uniform grid plus points spaced geometrically after
every change (fast transients such as ligand binding last milliseconds to
seconds), and the areas under the response and concentration curves are
exact: :func:`simulate_regimen` integrates them as extra state variables
(rate rules ``rk_integral_<id>`` on an internal copy of the model, compiled
once per simulator) instead of from the samples.
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Mapping, Sequence

import numpy as np

from ..errors import ModelError, RegimenError
from ..units import time_factor
from .metrics import recovery_time, regimen_metrics
from .experiment import Experiment, Readouts, Start
from .pk import check_compatible, drug_input
from .regimen import Regimen, Schedule, human_time, as_regimen
from .run import run

if TYPE_CHECKING:  # pragma: no cover
    from ..models.sbml import Model
    from ..simulation import Simulator

__all__ = ["apply_regimen", "simulate_regimen", "RegimenResult", "check_compatible", "regimen_simulator",
           "integrating_simulator", "INTEGRAL_PREFIX"]

#: prefix of the rate-rule variables that integrate an output over time
INTEGRAL_PREFIX = "rk_integral_"


def regimen_simulator(model, **kwargs) -> "Simulator":
    """A :class:`~receptorkin.simulation.Simulator` for ``model`` (returned as is if it is one)."""
    from ..simulation import Simulator

    if isinstance(model, Simulator):
        return model
    return Simulator(model, **kwargs)


def _with_integrals(model: "Model", ids: Sequence[str]) -> "Model":
    """A copy of ``model`` with a rate rule ``rk_integral_<id>' = <id>`` for each id (starting at 0)."""
    import libsbml

    doc = libsbml.readSBMLFromString(model.sbml)
    m = doc.getModel()
    for ident in ids:
        pid = INTEGRAL_PREFIX + ident
        if m.getElementBySId(pid) is not None:
            continue
        p = m.createParameter()
        p.setId(pid)
        p.setName(f"integral of {ident} over time")
        p.setConstant(False)
        p.setValue(0.0)
        rule = m.createRateRule()
        rule.setVariable(pid)
        rule.setMath(libsbml.parseL3Formula(ident))
    return replace(model, sbml=libsbml.writeSBMLToString(doc))


def _has_output(sim: "Simulator", ident: str) -> bool:
    try:
        sim.check_selections([ident])
    except ModelError:
        return False
    return True


_INTEGRATING: "weakref.WeakKeyDictionary[Simulator, dict[tuple[str, ...], Simulator]]" = weakref.WeakKeyDictionary()


def integrating_simulator(model, ids: Sequence[str] | None = None, **kwargs) -> "Simulator":
    """A simulator whose model also integrates ``ids`` over time (for exact areas under curves).

    Parameters
    ----------
    model
        A model, bundled id or path (compiled here, with ``kwargs`` passed to
        the :class:`~receptorkin.simulation.Simulator`), or a Simulator: then
        a copy of its model with the integrals is compiled once and cached
        for as long as the Simulator lives, with its solver settings.
    ids
        Outputs to integrate (default: the default observable and the drug
        concentration).
    """
    from ..models.sbml import load_model
    from ..simulation import Simulator

    if isinstance(model, Simulator):
        base = model.model
    else:
        base = load_model(model)
    if ids is None:
        ids = [i for i in (base.default_observable, drug_input(base).concentration) if i]
    wanted = tuple(dict.fromkeys(ids))
    if not isinstance(model, Simulator):
        return Simulator(_with_integrals(base, wanted), **kwargs)
    if all(_has_output(model, INTEGRAL_PREFIX + i) for i in wanted):
        return model
    cache = _INTEGRATING.setdefault(model, {})
    if wanted not in cache:
        opts = model.options
        cache[wanted] = Simulator(_with_integrals(base, wanted), rtol=opts.rtol, atol=opts.atol, max_steps=opts.max_steps)
    return cache[wanted]


@dataclass
class _Trajectory:
    t: np.ndarray
    values: np.ndarray
    segment: np.ndarray
    segment_start: np.ndarray
    columns: list[str]


def _start_state(initial):
    if initial is None:
        return Start()
    return Start(state=initial)


def _run(
    sim: "Simulator",
    regimen: Regimen,
    until: float,
    selections: Sequence[str],
    *,
    values: Mapping[str, float] | None,
    initial,
    reset: bool,
    resolution: int,
    min_points: int,
    extra_times: Sequence[float] = (),
) -> tuple[_Trajectory, Schedule, np.ndarray, float]:
    """Run ``regimen`` through THE runner (:mod:`receptorkin.dosing.run`) with a dense time course."""
    drug = drug_input(sim.model)
    check_compatible(regimen, drug, sim.id)
    sel = tuple(selections)
    f = time_factor("min", sim.time_unit)
    extra = tuple(np.unique([x for x in extra_times if 0 < x <= until]).tolist()) if sel else ()
    readouts = Readouts(sel, times=extra, dense=resolution, min_points=min_points) if sel else Readouts()
    exp = Experiment(start=_start_state(initial), regimen=regimen, overrides=values or {}, readouts=readouts,
                     horizon=until)
    res = run(sim, exp, reset=reset)
    if sel:
        traj = _Trajectory(res.times, res.values, res.segment, res.segment_start, list(sel))
    else:
        n_bp = res.breakpoints.size
        traj = _Trajectory(np.array([0.0, until]), np.empty((2, 0)), np.array([0, max(0, n_bp - 2)]),
                           res.breakpoints[[0, max(0, n_bp - 2)]], [])
    return traj, res.schedule, res.breakpoints, f


def _frame(sim: "Simulator", traj: _Trajectory):
    import pandas as pd

    df = pd.DataFrame(traj.values, index=pd.Index(traj.t, name="time"), columns=traj.columns)
    units = {c: sim.unit_of(c) for c in traj.columns}
    units["time"] = sim.time_unit
    df.attrs["units"] = units
    df.attrs["model"] = sim.id
    return df


def apply_regimen(
    sim: "Simulator",
    regimen: "Regimen | str",
    until: "float | str",
    *,
    values: Mapping[str, float] | None = None,
    initial=None,
    selections: Sequence[str] = (),
    reset: bool = True,
    resolution: int = 400,
    min_points: int = 3,
):
    """Run ``regimen`` on a :class:`~receptorkin.simulation.Simulator` up to ``until``; leave it there.

    The simulator is reset (unless ``reset=False``), the regimen applied in
    segments, and the simulator left at time ``until`` with the state the
    regimen produced -- including any change scheduled exactly at ``until``
    (a washout at 4 h leaves the ligand at 0).  A challenge can continue from
    it: ``sim.state()`` is the pre-treated state to pass as ``initial=`` to
    :meth:`~receptorkin.simulation.Simulator.dose_response`, or call
    ``sim.set_now({ligand: dose})`` and ``sim.advance(...)`` to go on in time.

    Parameters
    ----------
    sim
        The simulator (compiled once; reused across calls).
    regimen
        A :class:`Regimen`, its text form, or parts.
    until
        End time, in the model's time unit or text with a unit (``'4h'``).
    values, initial
        Temporary parameter overrides and start state (see
        :meth:`~receptorkin.simulation.Simulator.reset`).
    selections
        Output columns to record (default none: only the end state matters).
    reset
        ``False`` continues from the simulator's current state and time
        (regimen times are then counted from the current time).
    resolution, min_points
        Output density: about ``resolution`` uniform points over ``[0, until]``
        and at least ``min_points`` in each segment, plus points spaced
        geometrically from 1e-6 of a segment after every change (3 per decade
        after a dose, 1 after other changes).

    Returns
    -------
    pandas.DataFrame
        The time course of ``selections`` (index ``time`` in the model's time
        unit, starting at 0 for the regimen's clock).  A time appears twice
        where an input changes (the value before and after the change).
    """
    from ..simulation import Simulator

    if not isinstance(sim, Simulator):
        raise ModelError(f"apply_regimen needs a Simulator, whose state it leaves at the end (got {type(sim).__name__}); "
                         "use simulate_regimen for a model id or file")
    reg = as_regimen(regimen)
    end = sim.model_time(until, "until")
    if end <= 0:
        raise RegimenError(f"until must be a positive time (got {until!r})")
    sel = list(selections)
    if sel:
        sim.check_selections(sel)
    traj, _, _, _ = _run(sim, reg, end, sel, values=values, initial=initial, reset=reset,
                         resolution=resolution, min_points=min_points)
    if not sel:
        import pandas as pd

        df = pd.DataFrame(index=pd.Index(traj.t, name="time"))
        df.attrs["units"] = {"time": sim.time_unit}
        df.attrs["model"] = sim.id
        return df
    return _frame(sim, traj)


@dataclass(frozen=True)
class RegimenResult:
    """A simulated regimen: its time course, the response to each dose, and its metrics.

    Attributes
    ----------
    regimen
        The regimen simulated.
    model_id, time_unit
        The model and its time unit (of ``timecourse`` and ``dose_times``).
    horizon
        End of the simulation [model time unit].
    timecourse
        DataFrame indexed by time: the drug concentration, the response, the
        receptor observable and any extra selections (a time appears twice
        where an input changes).
    dose_times, dose_responses
        Administration times [model time unit] and the response to each.
    metrics
        Name -> value (see :data:`receptorkin.dosing.METRICS`; times in hours).
    final_state
        Species amounts at the horizon (:attr:`Simulator.species` order).
    response, receptor, concentration
        Column names of the response, receptor and concentration.
    """

    regimen: Regimen
    model_id: str
    time_unit: str
    horizon: float
    timecourse: object = field(repr=False)
    dose_times: np.ndarray = field(repr=False)
    dose_responses: np.ndarray = field(repr=False)
    metrics: Mapping[str, float] = field(repr=False)
    final_state: np.ndarray = field(repr=False)
    species: tuple[str, ...] = field(repr=False)
    response: str = ""
    receptor: str | None = None
    concentration: str = ""
    segments: np.ndarray = field(default_factory=lambda: np.empty(0, int), repr=False)
    segment_start: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)

    def with_threshold(self, threshold: float) -> "RegimenResult":
        """The same result with ``time_above_threshold`` measured against another effect threshold."""
        from dataclasses import replace

        from .metrics import time_above

        t = self.timecourse.index.to_numpy()
        y = self.timecourse[self.response].to_numpy()
        within = self.segment_start < self.horizon
        above = time_above(t[within], y[within], self.segments[within], float(threshold))
        metrics = dict(self.metrics)
        metrics["time_above_threshold"] = above * time_factor(self.time_unit, "h")
        metrics["effect_threshold"] = float(threshold)
        return replace(self, metrics=metrics)

    @property
    def doses(self):
        """DataFrame of the doses: ``time`` [model unit] and ``response``."""
        import pandas as pd

        return pd.DataFrame({"time": self.dose_times, "response": self.dose_responses},
                            index=pd.RangeIndex(1, len(self.dose_times) + 1, name="dose"))

    def metrics_series(self):
        """The metrics as a pandas Series named after the regimen."""
        import pandas as pd

        return pd.Series(dict(self.metrics), name=self.regimen.label)

    def __str__(self) -> str:
        m = self.metrics
        horizon = human_time(self.horizon * time_factor(self.time_unit, "min"))
        return (f"{self.regimen.label} on {self.model_id} for {horizon}: "
                f"mean response {m['mean_response']:.4g}, tolerance ratio {m['tolerance_ratio']:.3g}, "
                f"surface receptors final {m['surface_receptor_final']:.3g} (nadir {m['surface_receptor_nadir']:.3g})")


def _columns(sim: "Simulator", observable: str | None, receptor: str | None) -> tuple[str, str | None, str]:
    drug = drug_input(sim.model)
    resp = observable or sim.observable
    if resp is None:
        raise ModelError(f"model {sim.id!r} has no default observable: name the response (observable=...)")
    rec = receptor or sim.model.receptor
    if rec is None and "surface_receptor" in sim.observables:
        rec = "surface_receptor"
    conc = drug.concentration
    sim.check_selections([c for c in (resp, rec, conc) if c])
    return resp, rec, conc


def simulate_regimen(
    model,
    regimen: "Regimen | str",
    horizon: "float | str" = "14d",
    *,
    observable: str | None = None,
    receptor: str | None = None,
    threshold: float | None = None,
    readout: "str | float" = "peak",
    recovery_band: float = 0.1,
    recovery_limit: "float | str | None" = None,
    values: Mapping[str, float] | None = None,
    initial=None,
    selections: Sequence[str] = (),
    resolution: int = 400,
    min_points: int = 3,
) -> RegimenResult:
    """Simulate a regimen and measure it.

    Parameters
    ----------
    model
        A :class:`~receptorkin.simulation.Simulator` (reused: compile once and
        pass it to many calls), or a model / bundled id / path.
    regimen
        A :class:`Regimen` or its text form.
    horizon
        End of the simulation (model time unit, or text such as ``'14d'``).
    observable, receptor
        The response and the surface-receptor observable (default: the
        model's default observable and its declared receptor).
    threshold
        Effect threshold for ``time_above_threshold`` (response units);
        default half the response to the first dose.
    readout
        ``'peak'``: the response to a dose is its peak until the next dose;
        a time (``'30min'``): the response that long after each dose.
    recovery_band
        Receptors count as recovered within this fraction of baseline (0.1 = 10 %).
    recovery_limit
        How long to follow the drug-free recovery beyond the horizon when
        receptors have not recovered by then (default: 4 x horizon).
    values, initial
        Temporary parameter overrides and start state.
    selections
        Extra columns for the time course.
    resolution, min_points
        Output density (see :func:`apply_regimen`).

    Returns
    -------
    RegimenResult
        The simulator is left at the horizon with the regimen's final state.
    """
    user_sim = regimen_simulator(model)
    reg = as_regimen(regimen)
    H = user_sim.model_time(horizon, "horizon")
    if H <= 0:
        raise RegimenError(f"horizon must be a positive time (got {horizon!r})")
    if not (0 <= recovery_band < 1):
        raise RegimenError(f"recovery_band must be a fraction in [0, 1) (got {recovery_band!r})")
    resp, rec, conc = _columns(user_sim, observable, receptor)
    if selections:
        user_sim.check_selections(list(selections))
    # the areas under the curves are integrated by the solver, on a copy of the model compiled once
    sim = integrating_simulator(user_sim, [resp, conc])
    if sim is not user_sim:
        sim.set(user_sim.parameters)
    integrals = [INTEGRAL_PREFIX + resp, INTEGRAL_PREFIX + conc]
    cols = [conc, resp] + ([rec] if rec else [])
    cols += [c for c in selections if c not in cols]
    n_shown = len(cols)
    cols += integrals
    delay: float | None = None
    if not (isinstance(readout, str) and readout.strip().lower() == "peak"):
        delay = sim.model_time(readout, "readout")
    f_min = time_factor("min", sim.time_unit)
    extra: list[float] = []
    if delay is not None:
        sched_doses = reg.schedule(H / f_min).dose_times * f_min
        extra = [d + delay for d in sched_doses.tolist()]
    traj, sched, T, f = _run(sim, reg, H, cols, values=values, initial=initial, reset=True,
                             resolution=resolution, min_points=min_points, extra_times=extra)
    final_state = sim.state()
    ci = {c: i for i, c in enumerate(cols)}
    r_col = traj.values[:, ci[rec]] if rec else None
    dose_times = sched.dose_times * f
    input_end = sched.input_end * f
    hours = time_factor(sim.time_unit, "h")
    # the integrals reached at the horizon (the last row before any change scheduled there)
    end_row = int(np.flatnonzero(traj.segment_start < H)[-1])
    auc_resp = float(traj.values[end_row, ci[integrals[0]]])
    auc_conc = float(traj.values[end_row, ci[integrals[1]]])
    # recovery: from the trajectory, or by following the drug-free system beyond the horizon
    rec_time = math.nan
    if r_col is not None:
        baseline = float(r_col[0])
        rec_time = recovery_time(traj.t, r_col, input_end, baseline, recovery_band)
        if math.isnan(rec_time):
            rec_time = _recover_beyond(sim, sched, f, H, rec, baseline, recovery_band, input_end,
                                       recovery_limit, final_state)
    metrics, dose_resp = regimen_metrics(
        traj.t, traj.segment, traj.segment_start, traj.values[:, ci[resp]], r_col, traj.values[:, ci[conc]],
        dose_times, H, hours, ongoing=sched.ongoing, threshold=threshold, readout=delay, recovery=rec_time,
        response_integral=auc_resp, concentration_integral=auc_conc)
    if sim is not user_sim:
        _hand_over(sim, user_sim, values, initial, sched, f)
    shown = _Trajectory(traj.t, traj.values[:, :n_shown], traj.segment, traj.segment_start, traj.columns[:n_shown])
    return RegimenResult(
        regimen=reg, model_id=sim.id, time_unit=sim.time_unit, horizon=H, timecourse=_frame(sim, shown),
        dose_times=dose_times, dose_responses=dose_resp, metrics=metrics, final_state=final_state,
        species=tuple(sim.species), response=resp, receptor=rec, concentration=conc, segments=traj.segment,
        segment_start=traj.segment_start)


def _input_target(sim: "Simulator", f: float) -> tuple[str, float]:
    """The id a regimen's level sets, and the factor from canonical units to model units."""
    drug = drug_input(sim.model)
    if drug.kind == "concentration":
        return drug.concentration, drug.concentration_factor
    return str(drug.infusion), 1.0 / f


def _hand_over(src: "Simulator", dst: "Simulator", values, initial, sched: Schedule, f: float) -> None:
    """Leave ``dst`` where the regimen left ``src``: state, input level and time."""
    dst.reset(values, initial)
    dst.set_state(src.state())
    target, scale = _input_target(dst, f)
    dst.set_now({target: float(sched.level[-1]) * scale})
    dst.set_time(src.time)


def _recover_beyond(sim: "Simulator", sched: Schedule, f: float, H: float, rec: str, baseline: float, band: float,
                    input_end: float, limit, final_state: np.ndarray) -> float:
    """Follow the system without further doses after the horizon; restore the state afterwards."""
    span = 4.0 * H if limit is None else sim.model_time(limit, "recovery_limit")
    if span <= 0:
        return math.nan
    target, scale = _input_target(sim, f)
    sim.set_now({target: 0.0})
    local = np.linspace(0.0, span, 801)
    follow = Experiment(readouts=Readouts((rec,), times=tuple(local.tolist())), horizon=span)
    out = run(sim, follow, reset=False).values[:, 0]
    value = recovery_time(H + local, out, H, baseline, band)
    if not math.isnan(value):
        value += H - input_end  # counted from the end of the last input
    # put the simulator back where the regimen left it
    sim.set_state(final_state)
    sim.set_now({target: float(sched.level[-1]) * scale})
    sim.set_time(H)
    return value
