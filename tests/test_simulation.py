"""The Simulator against analytic solutions of the trafficking model."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from receptorkin.errors import ModelError, SimulationError


def analytic_steady_state(p, L):
    """Steady state of the trafficking ODEs solved by hand.

    dC/dt = 0  -> C  = kon L R / (koff + ke)
    dRi/dt = 0 -> Ri = ke C / (krec + kdeg)
    dR/dt = 0  -> Vs = kt R + kon L R - koff C - krec Ri
    """
    a = p["k_on"] * L / (p["k_off"] + p["k_internalization"])
    b = p["k_internalization"] * a / (p["k_recycling"] + p["k_degradation"])
    R = p["V_synthesis"] / (p["k_turnover"] + p["k_on"] * L - p["k_off"] * a - p["k_recycling"] * b)
    return R, a * R, b * R


@pytest.mark.parametrize("L", [0.0, 0.1, 2.5, 100.0])
def test_steady_state_matches_analytic(trafficking_sim, L):
    R, C, Ri = analytic_steady_state(trafficking_sim.parameters, L)
    ss = trafficking_sim.steady_state(values={"ligand": L})
    assert_allclose([ss["R"], ss["C"], ss["Ri"]], [R, C, Ri], rtol=1e-8, atol=1e-9)
    assert_allclose(ss["surface_receptor"], R + C, rtol=1e-10)


def test_ligand_free_baseline_is_Vs_over_kt(trafficking_sim):
    p = trafficking_sim.parameters
    ss = trafficking_sim.steady_state()
    assert_allclose(ss["surface_receptor"], p["V_synthesis"] / p["k_turnover"], rtol=1e-10)


def test_binding_time_course_matches_analytic(fresh_trafficking):
    """With trafficking switched off, binding is R + L <-> C with R + C = R0:
    C(t) = Ceq (1 - exp(-(kon L + koff) t)), Ceq = R0 kon L / (kon L + koff)."""
    sim = fresh_trafficking
    sim.set(V_synthesis=0.0, k_turnover=0.0, k_internalization=0.0)
    L, R0 = 3.0, 20000.0
    df = sim.timecourse(30, 61, values={"ligand": L, "R": R0})
    kon, koff = sim.parameters["k_on"], sim.parameters["k_off"]
    t = df.index.to_numpy()
    expected = R0 * kon * L / (kon * L + koff) * (1 - np.exp(-(kon * L + koff) * t))
    assert_allclose(df["C"].to_numpy(), expected, rtol=1e-6, atol=1e-4)
    assert_allclose(df["surface_receptor"].to_numpy(), R0, rtol=1e-9)  # conservation


def test_time_units_are_converted(trafficking_sim):
    a = trafficking_sim.timecourse("2h", 3, values={"ligand": 1.0})
    b = trafficking_sim.timecourse(120, 3, values={"ligand": 1.0})
    assert_allclose(a.index.to_numpy(), [0, 60, 120])
    assert_allclose(a.to_numpy(), b.to_numpy(), rtol=1e-12)
    assert a.attrs["units"]["time"] == "min"
    assert a.attrs["units"]["surface_receptor"] == "receptors"


def test_parameter_changes_do_not_recompile_and_persist(fresh_trafficking):
    sim = fresh_trafficking
    rr = sim._rr
    sim.set(V_synthesis=1000.0)
    ss = sim.steady_state()
    assert sim._rr is rr
    # the initial state follows its initial assignment R = R0 = Vs/kt
    assert_allclose(sim.timecourse(1, 2)["R"].iloc[0], 1000.0 / 0.025, rtol=1e-12)
    assert_allclose(ss["surface_receptor"], 40000.0, rtol=1e-10)
    sim.reset_parameters()
    assert_allclose(sim.steady_state()["surface_receptor"], 20000.0, rtol=1e-10)


def test_temporary_values_do_not_leak(fresh_trafficking):
    sim = fresh_trafficking
    sim.steady_state(values={"ligand": 50.0, "k_on": 1.0})
    assert sim.parameters["ligand"] == 0.0 and sim.parameters["k_on"] == 0.097
    assert_allclose(sim.steady_state()["occupancy"], 0.0, atol=1e-12)


def test_dose_response_steady_equals_independent_steady_states(trafficking_sim):
    doses = np.logspace(-3, 3, 12)
    dr = trafficking_sim.dose_response(doses, observable=["occupancy", "surface_receptor"])
    for dose, occ, surf in dr.itertuples(index=False):
        R, C, _ = analytic_steady_state(trafficking_sim.parameters, dose)
        assert_allclose([occ, surf], [C / (R + C), R + C], rtol=1e-8)


def test_dose_response_at_a_time_equals_time_course(trafficking_sim):
    doses = [0.0, 1.0, 10.0]
    dr = trafficking_sim.dose_response(doses, readout="30min", observable="surface_receptor")
    for dose, value in dr.itertuples(index=False):
        tc = trafficking_sim.timecourse(30, 2, values={"ligand": dose}, selections=["surface_receptor"])
        assert_allclose(value, tc["surface_receptor"].iloc[-1], rtol=1e-12)


def test_zero_dose_is_a_control(trafficking_sim):
    dr = trafficking_sim.dose_response([0.0, 1.0])
    assert dr["occupancy"].iloc[0] == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("doses,match", [([1.0, -1.0], "non-negative"), ([3.0, 2.0], "strictly increasing"),
                                          ([], "at least one"), (["a"], "numbers")])
def test_bad_doses(trafficking_sim, doses, match):
    with pytest.raises(ModelError, match=match):
        trafficking_sim.dose_response(doses)


def test_unknown_and_non_numeric_parameters(fresh_trafficking):
    with pytest.raises(ModelError, match="did you mean 'k_on'"):
        fresh_trafficking.set(k_onn=1.0)
    with pytest.raises(ModelError, match="expected a number"):
        fresh_trafficking.set(k_on="fast")
    with pytest.raises(ModelError, match="computed by a rule"):
        fresh_trafficking.set(surface_receptor=1.0)


def test_solver_failure_is_wrapped_with_time_and_parameters(fresh_trafficking, capfd):
    sim = fresh_trafficking
    sim.set(k_on=1e30)
    with pytest.raises(SimulationError) as info:
        sim.timecourse(100, values={"ligand": 1e25})
    message = str(info.value)
    assert "'trafficking'" in message and "failed at t =" in message and "k_on=1e+30" in message
    assert "CV_" in message  # the solver's own words are kept
    out, err = capfd.readouterr()
    assert "CVODE" not in err  # ... and not sprayed on the terminal


def test_state_round_trip_continues_a_trajectory(fresh_trafficking):
    sim = fresh_trafficking
    whole = sim.timecourse(60, 3, values={"ligand": 5.0}, selections=["R", "C", "Ri"])
    sim.reset({"ligand": 5.0})
    sim.advance([0, 30], ["R"])
    mid = sim.state()
    part = sim.timecourse(times=[30, 60], values={"ligand": 5.0}, initial=mid, selections=["R", "C", "Ri"])
    assert_allclose(part.iloc[-1].to_numpy(), whole.iloc[-1].to_numpy(), rtol=1e-6)
