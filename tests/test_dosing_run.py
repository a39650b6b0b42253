"""THE runner (receptorkin.dosing.run) against numbers from outside the code.

Analytic solutions of linear models, a conservation law, a second
implementation of the old segment loops (plain Simulator calls), and the
regression guards of turn 2: a parameter-assigning timed event must give the
same result on the first and tenth run and in any order, and a steady state
of a model with events is refused unless the events are switched off.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from receptorkin.dosing import Bolus, Exposure, Regimen, attach_pk, parse_regimen
from receptorkin.dosing.experiment import Experiment, Readouts, Start
from receptorkin.dosing.run import prepare, run, run_many
from receptorkin.errors import RegimenError, SimulationError
from receptorkin.models.sbml import from_antimony
from receptorkin.simulation import Simulator

# dR/dt = ksyn - kdeg*(1 + L)*R : linear in R for a fixed ligand L
LINEAR = """
model linear_turnover
  compartment cell = 1
  species R in cell = 10
  J0: -> R; ksyn
  J1: R -> ; kdeg*(1 + L)*R
  ksyn = 1; kdeg = 0.1; L = 0
end
"""

# the same with a timed event that assigns a parameter (the ligand steps up at t = 5)
EVENT = LINEAR.replace("linear_turnover", "stepped_ligand").replace(
    "  ksyn = 1;", "  E1: at time >= 5: L = 4\n  ksyn = 1;")

# closed binding and trafficking: R + L <-> C, C -> Ri -> R (no synthesis, no degradation): R + C + Ri is conserved
CLOSED = """
model closed_trafficking
  compartment cell = 1
  species R in cell = 1000, C in cell = 0, Ri in cell = 0
  bind: R -> C; kon*L*R - koff*C
  internalize: C -> Ri; ke*C
  recycle: Ri -> R; krec*Ri
  kon = 0.1; koff = 0.2; ke = 0.15; krec = 0.06; L = 0
end
"""


@pytest.fixture(scope="module")
def linear():
    return Simulator(from_antimony(LINEAR), ligand="L")


@pytest.fixture(scope="module")
def trafficking():
    return Simulator("trafficking")


def test_trafficking_ligand_free_steady_state_is_Vs_over_kt(trafficking):
    p = trafficking.parameters
    exp = Experiment(start=Start(equilibrate=True), readouts=Readouts(("R",), times=(0.0,)))
    res = run(trafficking, exp)
    assert_allclose(res.values[0, 0], p["V_synthesis"] / p["k_turnover"], rtol=1e-9)


def test_exposure_then_washout_follow_the_analytic_exponentials(linear):
    ksyn, kdeg, L, t1 = 1.0, 0.1, 3.0, 8.0
    times = np.array([0.0, 1.0, 4.0, 8.0, 9.0, 15.0, 30.0, 60.0])
    exp = Experiment(regimen=Regimen((Exposure(0.0, t1, L),)), readouts=Readouts(("R", "L"), times=tuple(times)),
                     horizon=60.0)
    res = run(linear, exp)
    k_on = kdeg * (1 + L)
    r_ss, r0 = ksyn / k_on, 10.0
    during = r_ss + (r0 - r_ss) * np.exp(-k_on * np.minimum(times, t1))
    r1 = r_ss + (r0 - r_ss) * math.exp(-k_on * t1)
    expected = np.where(times < t1, during, r0 + (r1 - r0) * np.exp(-kdeg * (times - t1)))
    assert_allclose(res.column("R"), expected, rtol=1e-6)
    # right-continuous: the readout at the washout time sees the washout
    assert_allclose(res.column("L"), np.where(times < t1, L, 0.0))
    # and the system goes back to its baseline ksyn/kdeg = 10 after the washout
    assert_allclose(res.column("R")[-1], 10.0 + (r1 - 10.0) * math.exp(-kdeg * 52.0), rtol=1e-6)


def test_bolus_adds_exactly_its_amount_and_is_eliminated_exponentially():
    model = attach_pk("trafficking", volume="2L", k_elim=0.01)
    sim = Simulator(model)
    central = [s for s in sim.species if s.endswith("central")][0]
    times = (0.0, 10.0, 100.0, 300.0)
    reg = Regimen((Bolus(0.0, 50.0), Bolus(100.0, 20.0)))
    res = run(sim, Experiment(regimen=reg, readouts=Readouts((central,), times=times), horizon=300.0))
    a = res.column(central)
    assert a[0] == pytest.approx(50.0, rel=1e-12)  # the dose at time 0 counts, exactly
    assert_allclose(a[1], 50.0 * math.exp(-0.1), rtol=1e-6)
    # at 100 min the second bolus has just been added (readout at a dose time sees the dose)
    assert_allclose(a[2], 50.0 * math.exp(-1.0) + 20.0, rtol=1e-6)
    assert_allclose(a[3], (50.0 * math.exp(-1.0) + 20.0) * math.exp(-2.0), rtol=1e-6)


def test_receptors_are_conserved_in_a_closed_system():
    sim = Simulator(from_antimony(CLOSED), ligand="L")
    times = tuple(np.linspace(0.0, 600.0, 13))
    exp = Experiment(regimen=parse_regimen("exposure:100nM@30min-4h; exposure:5nM@5h-6h"),
                     readouts=Readouts(("R", "C", "Ri"), times=times), horizon=600.0)
    res = run(sim, exp)
    total = res.values.sum(axis=1)
    assert_allclose(total, total[0], rtol=1e-7)
    assert res.column("C").max() > 0.1 * total[0]  # the ligand did bind: the check is not vacuous


def _old_fit_loop(sim, values, lig, exposures, challenge_at, dose, times):
    """The segment loop FitProblem had before the runner, with plain Simulator calls."""
    sim.reset({**values, lig: 0.0})
    sim.solve_steady_state(())
    t = 0.0
    for start, stop, conc in exposures:
        if start > t:
            sim.set_now({lig: 0.0})
            sim.advance([t, start], ())
        sim.set_now({lig: conc})
        sim.advance([start, stop], ())
        t = stop
    sim.set_now({lig: 0.0})
    if challenge_at > t:
        sim.advance([t, challenge_at], ())
    state = sim.state()
    sim.reset({**values, lig: dose}, state)
    return sim.advance([0.0, *times], ["response", "surface_receptor"])[1:]


def test_runner_reproduces_the_old_fit_loop_on_a_bundled_model():
    sim = Simulator("gpcr_desensitization")
    lig = sim.ligand
    values = dict(sim.parameters)
    values.pop(lig)
    exposures = [(0.0, 240.0, 1000.0), (300.0, 360.0, 10.0)]
    times = (5.0, 10.0, 30.0)
    expected = _old_fit_loop(sim, values, lig, exposures, 420.0, 100.0, times)
    pre = Experiment(start=Start(equilibrate=True), overrides={**values, lig: 0.0}, horizon=420.0,
                     regimen=Regimen(tuple(Exposure(a, b, c) for a, b, c in exposures)))
    challenge = Experiment(start=Start(after=pre), overrides={**values, lig: 100.0},
                           readouts=Readouts(("response", "surface_receptor"), times=times))
    res = run(sim, challenge)
    assert_allclose(res.values, expected, rtol=1e-6)


def test_a_shared_pretreatment_runs_once_per_batch(trafficking):
    pre = Experiment(regimen=parse_regimen("exposure:100nM@0-1h"), horizon=120.0)
    doses = [Experiment(start=Start(after=pre), overrides={"ligand": d}, readouts=Readouts(("C",), times=(10.0,)))
             for d in (1.0, 10.0, 100.0)]
    batch = run_many(trafficking, doses)
    one_by_one = [run(trafficking, e) for e in doses]
    for a, b in zip(batch, one_by_one):
        assert_allclose(a.values, b.values, rtol=1e-10)
    assert batch[0].values[0, 0] < batch[1].values[0, 0] < batch[2].values[0, 0]


def test_preequilibration_under_other_overrides_then_overrides_at_time_zero(linear):
    # PEtab: pre-equilibrate with ksyn = 2 (R = 20), then simulate with ksyn = 1 from t = 0
    times = (0.0, 1.0, 5.0, 20.0)
    exp = Experiment(start=Start.preequilibrated({"ksyn": 2.0}), overrides={"ksyn": 1.0},
                     readouts=Readouts(("R",), times=times))
    res = run(linear, exp)
    assert_allclose(res.column("R"), 10.0 + 10.0 * np.exp(-0.1 * np.array(times)), rtol=1e-6)
    # a species override replaces the pre-equilibrated amount at t = 0
    exp2 = Experiment(start=Start.preequilibrated({"ksyn": 2.0}), overrides={"ksyn": 1.0, "R": 4.0},
                      readouts=Readouts(("R",), times=times))
    assert_allclose(run(linear, exp2).column("R"), 10.0 - 6.0 * np.exp(-0.1 * np.array(times)), rtol=1e-6)


def test_steady_state_readout_after_the_regimen(linear):
    exp = Experiment(regimen=parse_regimen("exposure:1nM@0-"), readouts=Readouts(("R",), times=(1.0,), steady=True),
                     horizon=1.0)
    res = run(linear, exp)
    assert_allclose(res.steady, [1.0 / (0.1 * 2.0)], rtol=1e-8)


def test_compartment_override_does_not_leak_into_the_next_run():
    sim = Simulator(from_antimony(LINEAR), ligand="L")
    plain = Experiment(readouts=Readouts(("R", "cell"), times=(0.0, 5.0)))
    first = run(sim, plain)
    bigger = run(sim, plain.with_overrides({"cell": 2.0}))
    assert bigger.column("cell")[0] == 2.0
    again = run(sim, plain)
    assert_allclose(again.values, first.values, rtol=0, atol=0)


# ------------------------------------------------------------------ events
@pytest.fixture()
def event_sim():
    return Simulator(from_antimony(EVENT))


def _r_after_event(t):
    """Analytic R of the EVENT model: 10 until t = 5 (steady state), then relaxing to 1/(0.1*5) = 2."""
    t = np.asarray(t, dtype=float)
    return np.where(t < 5.0, 10.0, 2.0 + 8.0 * np.exp(-0.5 * (t - 5.0)))


def test_timed_event_gives_the_same_result_on_first_and_tenth_run(event_sim):
    times = (0.0, 2.0, 6.0, 10.0)
    exp = Experiment(readouts=Readouts(("R", "L"), times=times))
    first = run(event_sim, exp)
    assert_allclose(first.column("R"), _r_after_event(times), rtol=1e-6)
    assert_allclose(first.column("L"), [0.0, 0.0, 4.0, 4.0])
    for _ in range(9):
        tenth = run(event_sim, exp)
    assert_allclose(tenth.values, first.values, rtol=1e-12)
    assert event_sim.parameters["L"] == 0.0


def test_timed_event_results_do_not_depend_on_the_order_of_experiments(event_sim):
    times = (0.0, 6.0, 12.0)
    a = Experiment(readouts=Readouts(("R",), times=times))
    b = Experiment(overrides={"ksyn": 2.0, "R": 20.0}, readouts=Readouts(("R",), times=times))
    ab = run_many(event_sim, [a, b])
    fresh = Simulator(from_antimony(EVENT))
    ba = run_many(fresh, [b, a])
    assert_allclose(ab[0].values, ba[1].values, rtol=1e-12)
    assert_allclose(ab[1].values, ba[0].values, rtol=1e-12)
    assert_allclose(ab[0].column("R"), _r_after_event(times), rtol=1e-6)


def test_preequilibration_of_a_model_with_events_is_refused(event_sim):
    exp = Experiment(start=Start(equilibrate=True), readouts=Readouts(("R",), times=(0.0, 10.0)))
    with pytest.raises(SimulationError, match="has events"):
        run(event_sim, exp)
    steady = Experiment(readouts=Readouts(("R",), times=(10.0,), steady=True))
    with pytest.raises(SimulationError, match="has events"):
        run(event_sim, steady)


def test_preequilibration_with_events_switched_off_on_request(event_sim):
    exp = Experiment(start=Start(equilibrate=True, events="disable"), overrides={"ksyn": 3.0},
                     readouts=Readouts(("R",), times=(0.0, 6.0)))
    res = run(event_sim, exp)
    # steady state without the event: ksyn/kdeg = 30; then the event still fires at t = 5 in the time course
    assert_allclose(res.column("R")[0], 30.0, rtol=1e-8)
    assert_allclose(res.column("R")[1], 6.0 + 24.0 * math.exp(-0.5), rtol=1e-6)


def test_prepared_experiment_runs_many_overrides(linear):
    prepared = prepare(linear, Experiment(readouts=Readouts(("R",), times=(0.0, 10.0))))
    for ksyn in (0.5, 1.0, 2.0):
        r = prepared.run({"ksyn": ksyn}).column("R")
        assert_allclose(r[1], 10.0 * ksyn + (10.0 - 10.0 * ksyn) * math.exp(-1.0), rtol=1e-6)


def test_failures_are_recorded_or_raised():
    sim = Simulator(from_antimony(LINEAR), ligand="L", max_steps=50)
    bad = Experiment(overrides={"kdeg": -5.0}, readouts=Readouts(("R",), times=(0.0, 1e4)))  # explodes
    good = Experiment(overrides={"R": 4.0}, readouts=Readouts(("R",), times=(0.0, 1.0)))
    results = run_many(sim, [bad, good], errors="record")
    assert not results[0].ok and "linear_turnover" in results[0].error
    assert np.all(np.isnan(results[0].values))
    # the failed run left nothing behind: the next one follows the analytic solution
    assert_allclose(results[1].column("R"), [4.0, 10.0 - 6.0 * math.exp(-0.1)], rtol=1e-6)
    with pytest.raises(SimulationError, match="time course failed"):
        run_many(sim, [bad, good])


def test_bad_experiments_are_refused():
    with pytest.raises(RegimenError, match="strictly increasing"):
        Readouts(("R",), times=(2.0, 1.0))
    with pytest.raises(RegimenError, match="after the horizon"):
        Experiment(readouts=Readouts(("R",), times=(5.0,)), horizon=1.0)
    with pytest.raises(RegimenError, match="events must be"):
        Start(equilibrate=True, events="ignore")
    with pytest.raises(RegimenError, match="not both"):
        Start(state={"R": 1.0}, after=Experiment())


def test_dose_response_points_equal_the_simulator_curve(trafficking):
    from receptorkin.dosing.experiment import dose_response_experiments

    doses = [0.0, 1.0, 10.0, 100.0]
    timed = run_many(trafficking, dose_response_experiments("ligand", doses, ["C"], readout=30.0))
    ref = trafficking.dose_response(doses, readout=30.0, observable="C")
    assert_allclose([r.values[0, 0] for r in timed], ref["C"], rtol=1e-7)
    steady = run_many(trafficking, dose_response_experiments("ligand", doses, ["R"]))
    ref = trafficking.dose_response(doses, observable="R")
    assert_allclose([r.steady[0] for r in steady], ref["R"], rtol=1e-7)
    # and the analytic ligand-free value: Vs/kt
    assert_allclose(steady[0].steady[0], 500.0 / 0.025, rtol=1e-9)


def test_rate_rule_parameters_carry_their_preequilibrated_value():
    # x is a parameter driven by a rate rule x' = b - a*x: state, like a species amount
    sim = Simulator(from_antimony("""
model rated
  compartment cell = 1
  species R in cell = 1
  J0: R -> ; 0.1*R
  x = 0; a = 0.5; b = 1
  x' = b - a*x
end
"""))
    times = (0.0, 1.0, 4.0)
    exp = Experiment(start=Start.preequilibrated({"b": 2.0}), overrides={"b": 1.0},
                     readouts=Readouts(("x",), times=times))
    # pre-equilibrated at b/a = 4, then relaxing towards 2 with rate a
    assert_allclose(run(sim, exp).column("x"), 2.0 + 2.0 * np.exp(-0.5 * np.array(times)), rtol=1e-6)


def test_readouts_spanning_many_decades_match_the_analytic_decay():
    """Readout times from 1e-3 to 1e9 in one run: each equals the analytic solution.

    The snapping of readouts onto input times used a tolerance scaled by the
    horizon (1e-9 x 1e9 = 1 time unit), which read every early readout as the
    start value: a silently wrong number.
    """
    sim = Simulator(from_antimony(LINEAR))
    # R(0) = 10, ksyn = 0: R(t) = 10 exp(-kdeg t), kdeg = 0.1
    times = (0.0,) + tuple(10.0 ** k for k in np.arange(-3.0, 9.5, 0.5))
    exp = Experiment(overrides={"ksyn": 0.0}, readouts=Readouts(("R",), times=times))
    got = run(sim, exp).values[:, 0]
    want = 10.0 * np.exp(-0.1 * np.asarray(times))
    assert_allclose(got, want, rtol=1e-5, atol=1e-9)
