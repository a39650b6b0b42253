"""Exact forward sensitivities against central finite differences.

Finite differences are the independent second implementation: at tight
solver tolerances (rtol 1e-12) a central difference with a relative step of
1e-4 is accurate to ~1e-8, so the two must agree to a relative 1e-5.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from receptorkin.errors import ModelError
from receptorkin.models import library
from receptorkin.models.sbml import load_model
from receptorkin.simulation.sensitivities import SensitivitySimulator
from receptorkin.simulation import Simulator

TOL = dict(rtol=1e-12, atol=1e-12)
STEP = 1e-4


def _pick_parameters(model, k=4):
    params = [p for p, v in model.parameters.items() if p != model.ligand and v != 0.0]
    if len(params) <= k:
        return params
    idx = np.linspace(0, len(params) - 1, k).round().astype(int)
    return [params[i] for i in idx]


def _max_rel(exact: np.ndarray, fd: np.ndarray, y: np.ndarray, theta: list[float]) -> float:
    """Worst relative error per (readout, parameter): the difference over the
    largest sensitivity of that pair, floored at 1% of the readout's size per
    unit of log-parameter (|y|/θ / 100) — below that floor the finite
    difference itself is dominated by solver noise."""
    worst = 0.0
    for j, th in enumerate(theta):
        for r in range(exact.shape[1]):
            scale = max(float(np.max(np.abs(fd[:, r, j]))), 1e-2 * float(np.max(np.abs(y[:, r]))) / abs(th), 1e-300)
            worst = max(worst, float(np.max(np.abs(exact[:, r, j] - fd[:, r, j]))) / scale)
    return worst


def _fd(run, values: dict, params: list[str]) -> np.ndarray:
    cols = []
    for p in params:
        v = values[p]
        h = STEP * abs(v)
        cols.append((run({**values, p: v + h}) - run({**values, p: v - h})) / (2 * h))
    return np.stack(cols, axis=-1)


@pytest.mark.parametrize("model_id", library.available() or [
    "trafficking", "turnover_tolerance", "precursor_pool", "moderator_feedback", "transcriptional_feedback",
    "gpcr_desensitization", "gnrh_pulsatile", "ampa_ltp", "noradrenergic_calcium"])
def test_bundled_model_time_course_and_steady_state(model_id):
    model = load_model(model_id)
    params = _pick_parameters(model)
    readouts = list(model.observables)[:4]
    lig = model.ligand
    ss = SensitivitySimulator(model, params, readouts, **TOL)
    base = Simulator(model, **TOL)
    values = {p: model.parameters[p] for p in params}
    times = [0.0, 2.0, 15.0, 60.0]
    dose = 10.0

    # from the model's initial values (initial assignments give dx0/dθ), dosed at time 0
    def plain(vals):
        base.reset({**vals, lig: dose})
        return base.advance(times, readouts)

    ss.reset({**values, lig: dose})
    y, dy = ss.advance(times)
    np.testing.assert_allclose(y, plain(values), rtol=1e-9, atol=1e-9)
    assert _max_rel(dy, _fd(plain, values, params), y, [values[p] for p in params]) < 1e-5

    # pre-equilibrated without ligand (implicit function theorem), then a dose step
    def equilibrated(vals):
        base.reset({**vals, lig: 0.0})
        base.solve_steady_state(())
        base.set_now({lig: dose})
        return base.advance(times, readouts)

    ss.reset({**values, lig: 0.0})
    ss.solve_steady_state()
    ss.set_now({lig: dose})
    y, dy = ss.advance(times)
    assert _max_rel(dy, _fd(equilibrated, values, params), y, [values[p] for p in params]) < 1e-5


EVENTS = """
model dosed
  compartment cell = 2
  species R in cell, C in cell
  R = 50; C = 0
  J1: -> R; cell * ksyn
  J2: R -> ; cell * kdeg * R
  J3: R -> C; cell * kon * L * R
  J4: C -> ; cell * kint * C
  ksyn = 3; kdeg = 0.05; kon = 0.02; kint = 0.1; L = 1; boost = 4
  E1: at time >= 10: R = R / 2 + boost * kdeg
  E2: at time >= 25: C = 0
  surface := R + C
end
"""


def test_model_with_events_and_concentration_species():
    model = load_model(EVENTS)
    params = ["ksyn", "kdeg", "kon", "kint", "boost"]
    readouts = ["surface", "R", "C"]
    try:
        base = Simulator(model, **TOL)
    except RuntimeError as exc:  # a Simulator that always turns on moiety analysis cannot load such models
        pytest.skip(f"this Simulator cannot load a model whose events change species: {str(exc)[:80]}")
    ss = SensitivitySimulator(model, params, readouts, **TOL)
    values = dict(ksyn=3.0, kdeg=0.05, kon=0.02, kint=0.1, boost=4.0)
    times = [0.0, 5.0, 12.0, 20.0, 30.0, 40.0]

    def plain(vals):
        base.reset(vals)
        return base.advance(times, readouts)

    ss.reset(values)
    y, dy = ss.advance(times)
    np.testing.assert_allclose(y, plain(values), rtol=1e-9)
    assert _max_rel(dy, _fd(plain, values, params), y, [values[p] for p in params]) < 1e-5
    # the jump at t = 10 halves R's sensitivities and adds ∂h/∂boost = kdeg
    assert abs(dy[2, 1, 4]) > 0  # after E1, R depends on boost


def test_state_restore_and_species_set_to_a_value():
    """A saved augmented state restores the sensitivities; a species set to a
    value has zero sensitivity (a dose that sets an amount)."""
    model = load_model("trafficking")
    params = _pick_parameters(model, 3)
    sp = Simulator(model).species[0]
    ss = SensitivitySimulator(model, params, [sp], **TOL)
    ss.reset({model.ligand: 1.0})
    ss.advance([0.0, 10.0])
    saved = ss.state()
    _, dy_a = ss.advance([10.0, 20.0])
    ss.reset({model.ligand: 1.0}, saved)
    _, dy_b = ss.advance([10.0, 20.0])
    np.testing.assert_allclose(dy_a, dy_b, rtol=1e-10)
    ss.set_now({sp: 123.0})
    np.testing.assert_array_equal(ss.sensitivities()[ss.equations.species.index(sp)], 0.0)


def test_unsupported_parameter_is_refused():
    with pytest.raises(ModelError, match="constant global parameter"):
        SensitivitySimulator("trafficking", ["surface_receptor"], ["surface_receptor"])


BRANNMARK = Path(__file__).parent / "data" / "petab" / "Brannmark_JBC2010" / "model_Brannmark_JBC2010.xml"


def test_brannmark_insulin_receptor_model_with_a_timed_insulin_switch():
    """The Brannmark benchmark model (9 species, insulin given by a piecewise
    switch in time): sensitivities of every species against central differences."""
    model = load_model(BRANNMARK)
    params = ["k1a", "k1b", "k1c", "k21", "k3", "km2", "k_IRSiP_DosR"]
    params = [p for p in params if p in model.parameters] or _pick_parameters(model, 6)
    base = Simulator(model, **TOL)
    species = base.species
    ss = SensitivitySimulator(model, params, species, **TOL)
    values = {p: model.parameters[p] for p in params}
    dose = {"insulin_dose_1": 10.0} if "insulin_dose_1" in model.parameters else {}
    times = [0.0, 0.5, 1.0, 2.0, 5.0, 15.0, 30.0]

    def plain(vals):
        base.reset({**vals, **dose})
        return base.advance(times, species)

    ss.reset({**values, **dose})
    y, dy = ss.advance(times)
    np.testing.assert_allclose(y, plain(values), rtol=1e-8, atol=1e-10)
    assert _max_rel(dy, _fd(plain, values, params), y, [values[p] for p in params]) < 1e-5


def test_fit_problem_jacobian_through_pretreatment_per_condition_and_observable_scale():
    """The exact Jacobian of a FitProblem (pre-equilibration, 1-24 h pre-treatment
    segments, washout, challenges, a per-condition rate, an estimated
    observable scale, log10 and linear scales) against central differences."""
    from receptorkin.fitting import FitProblem, Observable, ParameterSpec
    from receptorkin.fitting.objective import jacobian
    from receptorkin.data.measurements import load_conditions, load_measurements

    root = Path(__file__).resolve().parents[1]
    data = load_measurements(root / "data" / "desensitization.csv")
    conds = load_conditions(root / "data" / "desensitization_conditions.csv")
    specs = [ParameterSpec("k_internalization", 0.6, 0.006, 60, per_condition=True),
             ParameterSpec("k_recycling", 0.0893, 0.001, 10),
             ParameterSpec("K_E", 1000.0, 10.0, 1e5, scale="lin"),
             ParameterSpec("surface_scale", 1.0, 0.1, 10.0)]
    obs = {"surface_receptor": Observable("surface_receptor", "surface_receptor", scale="surface_scale")}
    problem = FitProblem("gpcr_desensitization", data, specs, conditions=conds, observables=obs,
                         rtol=1e-12, atol=1e-10)
    x = problem.initial_vector() + 0.01
    r, J = problem.residuals_and_jacobian(x)
    np.testing.assert_allclose(r, problem.residuals(x), rtol=1e-6, atol=1e-6)
    lo, hi = problem.bounds()
    Jfd = jacobian(problem.residuals, x, lo - 1, hi + 1, step=1e-4)
    scale = np.maximum(np.max(np.abs(Jfd), axis=0), 1e-3 * np.max(np.abs(Jfd)))
    assert np.max(np.abs(J - Jfd) / scale) < 1e-5


# ---------------------------------------------------------------- THE runner's sensitivity mode
def _runner_fd(model, experiment_of, params: list[str], values: dict, sens_readouts, steady=False):
    """Exact readout sensitivities from the runner's sensitivity mode and central
    differences of plain runs of the same experiment (overrides θ ± h)."""
    from receptorkin.dosing.run import run
    from receptorkin.simulation.sensitivities import Sensitivities

    sens = Sensitivities(model, params, sens_readouts, **TOL)
    res = run(sens.simulator, experiment_of(values), sensitivities=sens)
    base = Simulator(model, **TOL)

    def plain(vals):
        r = run(base, experiment_of(vals))
        return np.vstack([r.values, r.steady[None]]) if steady else r.values

    np.testing.assert_allclose(np.vstack([res.values, res.steady[None]]) if steady else res.values,
                               plain(values), rtol=1e-9, atol=1e-9)
    exact = np.concatenate([res.sensitivities, res.steady_sensitivities[None]]) if steady else res.sensitivities
    assert res.parameters == tuple(params)
    y = plain(values)
    return exact, _fd(plain, values, params), y


def test_runner_sensitivity_mode_through_preequilibration_exposures_washout_and_steady_readout():
    """trafficking: ligand-free steady state (implicit function theorem), two exposures with a
    wash-out between them (input changes at segment boundaries), a steady-state readout after."""
    from receptorkin.dosing import Exposure, Regimen
    from receptorkin.dosing.experiment import Experiment, Readouts, Start

    model = load_model("trafficking")
    params = _pick_parameters(model, 4)
    readouts = list(model.observables)[:3]
    regimen = Regimen((Exposure(0.0, 30.0, 100.0), Exposure(60.0, 90.0, 5.0)))

    def experiment(vals):
        return Experiment(start=Start(equilibrate=True), regimen=regimen, overrides=vals,
                          readouts=Readouts(tuple(readouts), times=(0.0, 10.0, 30.0, 45.0, 60.0, 75.0, 120.0),
                                            steady=True), horizon=120.0)

    values = {p: model.parameters[p] for p in params}
    exact, fd, y = _runner_fd(model, experiment, params, values, readouts, steady=True)
    assert _max_rel(exact, fd, y, list(values.values())) < 1e-5


def test_runner_sensitivity_mode_through_boluses_of_a_pk_model():
    """A PK-linked model: boluses add amounts at segment boundaries (the sensitivities carry over)."""
    from receptorkin.dosing import Bolus, Regimen, attach_pk
    from receptorkin.dosing.experiment import Experiment, Readouts

    model = attach_pk("trafficking", volume="2L", k_elim=0.01)
    params = _pick_parameters(model, 4)
    sim = Simulator(model)
    readouts = [s for s in sim.species if s.endswith("central")] + list(model.observables)[:2]
    regimen = Regimen((Bolus(0.0, 50.0), Bolus(100.0, 20.0)))

    def experiment(vals):
        return Experiment(regimen=regimen, overrides=vals, horizon=300.0,
                          readouts=Readouts(tuple(readouts), times=(0.0, 10.0, 100.0, 150.0, 300.0)))

    values = {p: model.parameters[p] for p in params}
    exact, fd, y = _runner_fd(model, experiment, params, values, readouts)
    assert _max_rel(exact, fd, y, list(values.values())) < 1e-5


def test_runner_sensitivity_mode_preequilibrated_under_other_overrides_and_a_shared_pretreatment():
    """Start.preequilibrated(other overrides) then the experiment's overrides at time 0, a species
    set at the start (zero sensitivity), and run_many's shared pre-treatment (Start(after=...))."""
    from receptorkin.dosing.experiment import Experiment, Readouts, Start
    from receptorkin.dosing.run import run_many
    from receptorkin.simulation.sensitivities import Sensitivities

    model = load_model(EVENTS.replace("  E1: at time >= 10: R = R / 2 + boost * kdeg\n", "")
                       .replace("  E2: at time >= 25: C = 0\n", ""))
    params = ["ksyn", "kdeg", "kon", "kint"]
    values = dict(ksyn=3.0, kdeg=0.05, kon=0.02, kint=0.1)
    times = (0.0, 5.0, 20.0)

    def batch(vals):
        pre = Experiment(start=Start.preequilibrated({**vals, "L": 0.0}), overrides={**vals, "L": 1.0},
                         horizon=30.0)
        return [Experiment(start=Start(after=pre), overrides={**vals, "L": dose, "C": 0.0},
                           readouts=Readouts(("surface", "R", "C"), times=times)) for dose in (2.0, 5.0)]

    sens = Sensitivities(model, params, ["surface", "R", "C"], **TOL)
    out = run_many(sens.simulator, batch(values), values_only=True, sensitivities=sens)
    base = Simulator(model, **TOL)

    def plain(vals):
        return np.concatenate([v for v, _ in run_many(base, batch(vals), values_only=True)])

    exact = np.concatenate([d for _, _, d, _ in out])
    np.testing.assert_allclose(np.concatenate([v for v, _, _, _ in out]), plain(values), rtol=1e-9)
    assert np.all(exact[[0, len(times)], 2, :] == 0.0)  # C set at the start of each challenge
    assert _max_rel(exact, _fd(plain, values, params), plain(values), list(values.values())) < 1e-5


def test_runner_sensitivity_mode_refuses_another_simulator():
    from receptorkin.dosing.experiment import Experiment
    from receptorkin.dosing.run import prepare
    from receptorkin.simulation.sensitivities import Sensitivities

    sens = Sensitivities("trafficking", _pick_parameters(load_model("trafficking"), 2), [])
    with pytest.raises(ModelError, match="sensitivity mode"):
        prepare(Simulator("trafficking"), Experiment(), sensitivities=sens)
