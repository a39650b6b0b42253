"""Dosing regimens: values, drug input (in vitro or PK), segment simulation, metrics.

Regimens
--------
A :class:`Regimen` is an ordered tuple of parts -- :class:`Bolus`,
:class:`Infusion`, :class:`PulseTrain`, :class:`Exposure` (in-vitro add and
wash-out) and :class:`Holiday` (a drug-free interval) -- and a plain value:
frozen, compared by value, written to JSON (:meth:`Regimen.to_json`,
:meth:`Regimen.from_json`) and to a one-line text form
(:meth:`Regimen.to_text`, :func:`parse_regimen`)::

    pulses:every=90min,width=6min,dose=10nM,for=7d
    infusion:rate=2nmol/h,from=0,to=7d
    exposure:1000nM@0-4h;exposure:10nM@4h-5h
    bolus:10nmol@0,12h,24h
    daily=pulses:every=24h,width=12h,dose=100nM     (a named regimen)

Numbers are stored in canonical units: **minutes, nmol, nmol/min, nM**;
text carries its units, and times are converted to each model's time unit
when the regimen is simulated.

Drug input
----------
A model's ligand is either set directly (in vitro: exposures and pulses of a
concentration) or driven by a one-compartment PK link added with
:func:`attach_pk` (boluses, infusions and pulses of an amount or a rate).
:func:`drug_input` tells which.  :func:`regimen_to_events` writes a regimen
into the SBML as events, for other tools.

Experiments and THE runner
--------------------------
An :class:`Experiment` (start, regimen, overrides, readouts) is what every
simulation in receptorkin is: :func:`run` executes one on a compiled
Simulator, :func:`run_many` a batch (see :mod:`receptorkin.dosing.run`).
The functions below are built on them.

Simulating: the API for pre-treatments and challenges
-----------------------------------------------------
``apply_regimen(sim, regimen, until, *, values=None, initial=None, selections=(), reset=True)``
    Resets the :class:`~receptorkin.simulation.Simulator` (compiled once,
    reuse it), applies the regimen in segments up to ``until`` and **leaves
    the simulator there**: ``sim.time == until`` and ``sim.state()`` is the
    state the regimen produced, including any change scheduled exactly at
    ``until`` (an exposure ``@0-4h`` is washed out at 4 h, so the ligand is 0).
    Returns the time course of ``selections`` (empty by default).  Regimen
    times count from the reset (or, with ``reset=False``, from the current
    time).

``simulate_regimen(model_or_sim, regimen, horizon, ...) -> RegimenResult``
    The same plus the metrics (:data:`METRICS`): response AUC and mean,
    response to each dose, tolerance ratio, surface-receptor nadir and final
    fraction, time above an effect threshold, recovery time.  The simulator
    is left at the horizon as well.

``parse_exposures("1000nM@0-4h; 10nM@4h-5h") -> tuple[Exposure, ...]``
    In-vitro exposures for a conditions table; ``Regimen(parse_exposures(text))``
    makes them a regimen.

A pre-treatment followed by a challenge::

    sim = Simulator("gpcr_desensitization")
    apply_regimen(sim, Regimen(parse_exposures("1000nM@0-4h")), "4h")
    pretreated = sim.state()                       # species amounts after 4 h + washout
    curve = sim.dose_response(doses, readout="10min", initial=pretreated)
    # or go on in time from where the regimen left the simulator:
    sim.set_now({sim.ligand: 100.0}); sim.advance([sim.time, sim.time + 10], ["response"])
"""

from .events import regimen_to_events
from .experiment import Experiment, Readouts, Start, dose_response_experiments
from .metrics import METRICS, Metric, metric, regimen_metrics
from .pk import DrugInput, attach_pk, drug_input
from .regimen import (AMOUNT_UNIT, CONCENTRATION_UNIT, RATE_UNIT, TIME_UNIT, Bolus, Exposure, Holiday, Infusion,
                      PulseTrain, Regimen, Schedule, as_regimen, parse_dose, parse_exposures, parse_regimen)
from .run import ExperimentResult, PreparedExperiment, prepare, run, run_many
from .simulate import RegimenResult, apply_regimen, simulate_regimen

__all__ = [
    "Bolus", "Infusion", "PulseTrain", "Exposure", "Holiday", "Regimen", "Schedule",
    "parse_regimen", "parse_exposures", "parse_dose", "as_regimen",
    "TIME_UNIT", "AMOUNT_UNIT", "RATE_UNIT", "CONCENTRATION_UNIT",
    "DrugInput", "drug_input", "attach_pk", "regimen_to_events",
    "apply_regimen", "simulate_regimen", "RegimenResult",
    "METRICS", "Metric", "metric", "regimen_metrics",
    "Experiment", "Start", "Readouts", "dose_response_experiments",
    "run", "run_many", "prepare", "ExperimentResult", "PreparedExperiment",
]
