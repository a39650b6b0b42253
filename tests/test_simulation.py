"""The Simulator against analytic solutions of the trafficking model."""

import math
from pathlib import Path

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


# --------------------------------------------------------------------------
# Any SBML model libRoadRunner simulates: events, rules, boundary species,
# ids that shadow roadrunner's Python attributes, hierarchical models.

from receptorkin.simulation.simulator import Simulator, _roundoff  # noqa: E402

EVENT_MODEL = """
model event_model
  compartment cell = 1
  species R in cell
  R = 100
  kdeg = 0.1
  ksyn = 10
  J1: -> R; ksyn
  J2: R -> ; kdeg*R
  E1: at time >= 5: ksyn = 30
end
"""


def test_parameter_assigning_event_same_on_first_and_tenth_run():
    """dR/dt = ksyn - kdeg R with ksyn 10 -> 30 at t = 5: R = 100 until 5, then
    300 - 200 exp(-0.1 (t - 5)).  The event's ksyn must not leak into later runs."""
    sim = Simulator(EVENT_MODEL)
    t = np.linspace(0, 20, 41)
    expected = np.where(t < 5, 100.0, 300.0 - 200.0 * np.exp(-0.1 * (t - 5)))
    first = sim.timecourse(times=t, selections=["R", "ksyn"])
    assert_allclose(first["R"].to_numpy(), expected, rtol=1e-6)
    for _ in range(9):
        last = sim.timecourse(times=t, selections=["R", "ksyn"])
    assert_allclose(last.to_numpy(), first.to_numpy(), rtol=1e-12)
    assert sim.parameters["ksyn"] == 10.0 and first["ksyn"].iloc[0] == 10.0 and first["ksyn"].iloc[-1] == 30.0


def test_steady_state_of_a_model_with_events_needs_consent():
    sim = Simulator(EVENT_MODEL)
    with pytest.raises(SimulationError, match="has events"):
        sim.steady_state()
    with pytest.raises(SimulationError, match="ignore_events"):
        sim.dose_response([1.0], observable="R") if sim.ligand else sim.solve_steady_state(["R"])
    sim.timecourse(20, 5)  # the event fires; its value must not reach the steady state
    ss = sim.steady_state(ignore_events=True, selections=["R", "ksyn"])
    assert_allclose(ss["R"], 10.0 / 0.1, rtol=1e-8)  # ksyn / kdeg before the event
    assert ss["ksyn"] == 10.0


def test_event_targeting_a_species_is_simulated():
    """A bolus: R jumps by 50 at t = 2, then decays: R = 150 exp(-0.5 (t - 2))."""
    sim = Simulator("""
    model bolus
      compartment cell = 1
      species R in cell
      R = 100
      k = 0.5
      J: R -> ; k*R
      E: at time >= 2: R = R + 50
    end
    """)
    df = sim.timecourse(times=[0, 1, 2.5, 4])
    r2 = 100 * np.exp(-1.0)
    expected = [100, 100 * np.exp(-0.5), (r2 + 50) * np.exp(-0.25), (r2 + 50) * np.exp(-1.0)]
    assert_allclose(df["R"].to_numpy(), expected, rtol=1e-6)


def test_boundary_species_and_concentrations_are_readable():
    """L is a boundary species in a 2-litre compartment: amount 2 x its concentration."""
    sim = Simulator("""
    model boundary
      compartment cell = 2
      species R in cell, $L in cell
      R = 1; L = 3
      k = 0.2
      J: R -> ; k*L*R
    end
    """, ligand="L")
    df = sim.timecourse(times=[0, 1], selections=["L", "[L]", "R", "[R]", "cell", "k"])
    assert_allclose(df["L"], 6.0)
    assert_allclose(df["[L]"], 3.0)
    # the rate law gives amount per time: dR/dt = -k [L] [R], so d[R]/dt = -k [L] [R] / V
    # and [R] = exp(-0.3 t) from [R](0) = 1
    assert_allclose(df["[R]"].to_numpy(), [1.0, np.exp(-0.3)], rtol=1e-7)
    assert_allclose(df["R"].to_numpy(), 2 * df["[R]"].to_numpy(), rtol=1e-12)
    assert "[L]" in sim.readable and sim.get("[L]") == 3.0
    # a boundary species as the ligand: values= and doses set its amount
    more = sim.timecourse(times=[0, 1], values={"L": 10.0}, selections=["L", "[R]"])
    assert_allclose(more["L"], 10.0)
    assert_allclose(more["[R]"].iloc[-1], np.exp(-0.2 * 5.0 / 2.0), rtol=1e-7)  # [L] = 5
    assert_allclose(sim.timecourse(times=[0, 1], selections=["L"])["L"], 6.0)  # and it does not stick
    with pytest.raises(ModelError, match="only species have a concentration"):
        sim.timecourse(1, 2, selections=["[k]"])


def test_ids_that_shadow_roadrunner_attributes_are_harmless():
    """Ids named like roadrunner's Python methods must not break this or later Simulators."""
    from receptorkin.models.build import antimony_to_sbml

    sbml = antimony_to_sbml("""
    model shadow
      compartment cell = 1
      species reset in cell, simulate in cell
      reset = 10; simulate = 0
      kmodel = 0.3; integrator = 2
      J: reset -> simulate; kmodel*reset
    end
    """, "shadow").replace('"kmodel"', '"model"').replace("> kmodel <", "> model <")
    assert 'id="model"' in sbml and "kmodel" not in sbml
    odd = Simulator(sbml)
    df = odd.timecourse(times=[0, 1], selections=["reset", "simulate", "model"])
    assert_allclose(df["reset"].to_numpy(), [10, 10 * np.exp(-0.3)], rtol=1e-7)
    again = odd.timecourse(times=[0, 1], selections=["reset"])
    assert_allclose(again["reset"].to_numpy(), df["reset"].to_numpy(), rtol=1e-12)
    later = Simulator("trafficking")
    assert_allclose(later.steady_state()["surface_receptor"], 20000.0, rtol=1e-10)
    import roadrunner

    assert callable(roadrunner.RoadRunner.reset) and callable(roadrunner.RoadRunner.simulate)


def test_non_constant_parameter_is_a_ligand():
    sim = Simulator("""
    model lig
      compartment cell = 1
      species C in cell
      C = 0
      var drug = 0
      kon = 0.1; koff = 0.2
      J: -> C; kon*drug - koff*C
    end
    """, ligand="drug", observable="C")
    dr = sim.dose_response([0.0, 1.0, 4.0])
    assert_allclose(dr["C"].to_numpy(), [0.0, 0.5, 2.0], rtol=1e-8)  # C = kon L / koff


def test_rule_computed_ligand_is_refused():
    with pytest.raises(ModelError, match="assignment rule"):
        Simulator("""
        model lig2
          compartment cell = 1
          species C in cell
          C = 0
          a = 1
          drug := 2*a
          J: -> C; drug - C
        end
        """, ligand="drug")


CYCLE = """
model cycle
  compartment cell = 1
  species A in cell, B in cell
  A = 10; B = 0
  k1 = 0.3; k2 = 0.1
  J1: A -> B; k1*A
  J2: B -> A; k2*B
end
"""


def test_moiety_analysis_only_for_steady_states():
    """A closed cycle: A + B = 10 conserved; steady state A = 10 k2/(k1 + k2)."""
    sim = Simulator(CYCLE)
    sim.timecourse(10, 3)
    assert sim.uses_moieties is None  # no steady state asked: nothing analysed, nothing recompiled
    ss = sim.steady_state()
    assert sim.uses_moieties is True
    assert_allclose([ss["A"], ss["B"]], [2.5, 7.5], rtol=1e-9)
    ss2 = sim.steady_state(values={"k1": 0.1})
    assert_allclose([ss2["A"], ss2["B"]], [5.0, 5.0], rtol=1e-9)
    tc = sim.timecourse(times=[0, 1])  # the time course is untouched by the analysis
    a1 = 10 * (0.1 + 0.3 * np.exp(-0.4)) / 0.4
    assert_allclose(tc["A"].to_numpy(), [10, a1], rtol=1e-7)


def _cycle_a(t: float, a0: float, total: float, k1: float = 0.3, k2: float = 0.1) -> float:
    """A(t) of the closed cycle A <-> B: A relaxes to total k2/(k1 + k2) at rate k1 + k2."""
    a_inf = total * k2 / (k1 + k2)
    return a_inf + (a0 - a_inf) * math.exp(-(k1 + k2) * t)


def test_reduced_time_courses_follow_every_change_of_the_conserved_total():
    """moiety_analysis=True: one instance compiled with moiety analysis integrates the reduced system (A
    independent, B = total - A).  Every change of the state -- a reset with overrides or a state, a step in
    one species, new amounts -- must change the conserved total with it (a stale total would move B), so each
    segment is checked against the analytic solution from its own start."""
    sim = Simulator(CYCLE, moiety_analysis=True)
    assert sim.reduced_time_courses and sim.uses_moieties is True
    assert "_CSUM0" not in sim.readable and "_CSUM0" not in sim.parameters  # the totals are not the model's
    tc = sim.timecourse(times=[0, 1, 5])
    assert_allclose(tc["A"].to_numpy(), [_cycle_a(t, 10, 10) for t in (0, 1, 5)], rtol=1e-7)
    assert_allclose((tc["A"] + tc["B"]).to_numpy(), 10.0, rtol=1e-12)
    sim.reset({"A": 4.0})  # a reset with a species override: total 4
    assert_allclose(sim.advance([0.0, 2.0], ["A", "B"])[-1], [_cycle_a(2, 4, 4), 4 - _cycle_a(2, 4, 4)], rtol=1e-7)
    assert sim.species == ["A", "B"]  # libRoadRunner's order: A independent, B = total - A
    b = sim.get("B")
    sim.set_now({"A": 2.0})  # a step in A alone: B keeps its amount, the total follows
    assert sim.get("B") == b
    assert_allclose(sim.advance([2.0, 3.0], ["A", "B"])[-1], [_cycle_a(1, 2, 2 + b), b + 2 - _cycle_a(1, 2, 2 + b)],
                    rtol=1e-7)
    sim.set_state({"B": 6.0})  # new amounts: total A + 6
    a = sim.get("A")
    assert_allclose(sim.advance([3.0, 4.0], ["A"])[-1], [_cycle_a(1, a, a + 6)], rtol=1e-7)
    sim.reset(state=np.array([1.0, 1.0]))  # a full state: total 2
    assert_allclose(sim.solve_steady_state(["A", "B"]), [0.5, 1.5], rtol=1e-9)
    sim.reset()  # back to the model's initial total
    assert_allclose(sim.solve_steady_state(["A", "B"]), [2.5, 7.5], rtol=1e-9)
    with pytest.raises(SimulationError, match="moiety-reduced"):
        sim.absolute_tolerances()


def test_reduced_time_courses_only_where_valid():
    """Events, rate rules (libRoadRunner integrates a rate rule beside a reduced system far less accurately
    than asked: SBML Test Suite 00066) and the default setting keep the full system."""
    assert not Simulator(CYCLE).reduced_time_courses
    assert not Simulator(CYCLE.replace("end", "  at time > 1: A = 5\nend"), moiety_analysis=True).reduced_time_courses
    assert not Simulator(CYCLE.replace("end", "  z = 0\n  z' = 1\nend"), moiety_analysis=True).reduced_time_courses


def test_steady_state_copy_follows_every_change_of_the_state():
    """Steady states are solved on a second compiled copy (moiety analysis); whatever
    changed in between -- a parameter step, new amounts, a time course -- the copy
    starts from the simulator's state.  A + B is conserved, so a stale copy would
    keep the old total; the steady state is A = total k2/(k1 + k2)."""
    sim = Simulator(CYCLE)
    ss = sim.steady_state()
    assert sim.uses_moieties is True
    assert_allclose([ss["A"], ss["B"]], [2.5, 7.5], rtol=1e-9)
    sim.set_now({"k1": 0.1})  # a parameter step (made in the copy too)
    assert_allclose(sim.solve_steady_state(["A", "B"]), [5.0, 5.0], rtol=1e-9)
    sim.set_state({"A": 20.0, "B": 0.0})  # new amounts: total 20
    assert_allclose(sim.solve_steady_state(["A", "B"]), [10.0, 10.0], rtol=1e-9)
    sim.set_now({"A": 2.0, "k2": 0.3})  # a species step and a parameter step: total 12
    assert_allclose(sim.solve_steady_state(["A", "B"]), [9.0, 3.0], rtol=1e-9)
    sim.reset({"k1": 0.3, "k2": 0.1, "A": 4.0})  # a reset with overrides: total 4
    assert_allclose(sim.solve_steady_state(["A", "B"]), [1.0, 3.0], rtol=1e-9)
    sim.reset()
    sim.advance([0.0, 1.0], ["A"])  # integrated in between: the total is still 10
    assert_allclose(sim.solve_steady_state(["A", "B"]), [2.5, 7.5], rtol=1e-9)


def test_dose_response_continuation_equals_independent_steady_states(trafficking_sim):
    """Each dose of a steady-state curve starts from the previous steady state; the
    values equal a steady state solved from the initial state at that dose alone."""
    doses = np.logspace(-2, 2, 5)
    curve = trafficking_sim.dose_response(doses, observable=["occupancy", "surface_receptor"])
    assert list(curve.columns) == ["dose", "occupancy", "surface_receptor"]
    assert_allclose(curve["dose"].to_numpy(), doses)
    for dose, row in zip(doses, curve.itertuples()):
        alone = Simulator("trafficking").steady_state(values={"ligand": dose})
        assert_allclose([row.occupancy, row.surface_receptor], [alone["occupancy"], alone["surface_receptor"]],
                        rtol=1e-8)
    assert_allclose(trafficking_sim.dose_response(doses, observable=["occupancy", "surface_receptor"]).to_numpy(),
                    curve.to_numpy(), rtol=1e-12)  # the second curve: the same numbers


def test_ids_spelled_like_the_time_are_read_as_themselves():
    """SBML Test Suite case 01820: parameters named time, Time and TIME (10, 11, 12)."""
    sim = Simulator(Path(__file__).parent / "data" / "sbml-test-suite" / "01820" / "01820-sbml-l3v2.xml")
    sim.timecourse(1.0, 3)
    assert [sim.get("time"), sim.get("Time"), sim.get("TIME")] == [10.0, 11.0, 12.0]
    assert sim.time == 1.0


def test_moiety_analysis_not_used_where_invalid():
    """A rate rule on a species: libRoadRunner refuses moiety analysis for it."""
    sim = Simulator("""
    model ruled
      compartment cell = 1
      species A in cell, B in cell
      A = 10; B = 0
      k1 = 0.3; k2 = 0.1
      J1: A -> B; k1*A
      J2: B -> A; k2*B
      species X in cell
      X = 1
      X' = -X
    end
    """)
    ss = sim.steady_state()
    assert sim.uses_moieties is False
    assert_allclose([ss["A"], ss["B"], ss["X"]], [2.5, 7.5, 0.0], rtol=1e-6, atol=1e-9)
    # libRoadRunner regenerates a model without moiety analysis in every solve:
    # later solves, time courses and reads go to the regenerated one
    ss = sim.steady_state(values={"k1": 0.1})
    assert_allclose([ss["A"], ss["B"]], [5.0, 5.0], rtol=1e-6)
    tc = sim.timecourse(times=[0, 1])
    a1 = 10 * (0.1 + 0.3 * np.exp(-0.4)) / 0.4
    assert_allclose(tc["A"].to_numpy(), [10, a1], rtol=1e-7)
    assert sim.get("A") == pytest.approx(a1, rel=1e-7)


def test_roundoff_never_moves_a_value_beyond_the_absolute_tolerance():
    x = np.array([1e4, -5e-11, 3e-32, 2e-10, -1e-6, 0.0])
    mask = _roundoff(x, 1e-10)
    assert mask.tolist() == [False, True, True, False, False, False]
    assert np.max(np.abs(x[mask])) <= 1e-10


def test_hierarchical_model_with_external_file(tmp_path):
    """A comp model whose submodel lives in a file next to it (loaded from another folder)."""
    import os

    (tmp_path / "models").mkdir()
    inner = """<?xml version="1.0" encoding="UTF-8"?>
<sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" level="3" version="2">
  <model id="decay">
    <listOfCompartments><compartment id="c" size="1" constant="true"/></listOfCompartments>
    <listOfSpecies><species id="S" compartment="c" initialAmount="8" hasOnlySubstanceUnits="true"
      boundaryCondition="false" constant="false"/></listOfSpecies>
    <listOfParameters><parameter id="k" value="0.5" constant="true"/></listOfParameters>
    <listOfReactions><reaction id="J" reversible="false">
      <listOfReactants><speciesReference species="S" stoichiometry="1" constant="true"/></listOfReactants>
      <kineticLaw><math xmlns="http://www.w3.org/1998/Math/MathML"><apply><times/><ci>k</ci><ci>S</ci></apply></math></kineticLaw>
    </reaction></listOfReactions>
  </model>
</sbml>"""
    outer = """<?xml version="1.0" encoding="UTF-8"?>
<sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" level="3" version="2"
      xmlns:comp="http://www.sbml.org/sbml/level3/version1/comp/version1" comp:required="true">
  <model id="top">
    <comp:listOfSubmodels><comp:submodel comp:id="sub" comp:modelRef="ext"/></comp:listOfSubmodels>
  </model>
  <comp:listOfExternalModelDefinitions>
    <comp:externalModelDefinition comp:id="ext" comp:source="decay.xml" comp:modelRef="decay"/>
  </comp:listOfExternalModelDefinitions>
</sbml>"""
    (tmp_path / "models" / "decay.xml").write_text(inner, encoding="utf-8")
    (tmp_path / "models" / "top.xml").write_text(outer, encoding="utf-8")
    here = os.getcwd()
    os.chdir(tmp_path)  # the external file is found next to the model, not in the working folder
    try:
        sim = Simulator(os.path.join("models", "top.xml"))
    finally:
        os.chdir(here)
    df = sim.timecourse(times=[0, 2])
    assert_allclose(df["sub__S"].to_numpy(), [8, 8 * np.exp(-1.0)], rtol=1e-7)
    (tmp_path / "models" / "decay.xml").unlink()
    with pytest.raises(ModelError, match="'decay.xml' not found"):
        Simulator(tmp_path / "models" / "top.xml")


def test_unsupported_constructs_are_refused_in_one_line():
    with pytest.raises(ModelError, match="algebraic rule") as info:
        Simulator(str(SUITE_CASE("00040")))
    assert "\n" not in str(info.value)


def SUITE_CASE(cid):
    from pathlib import Path

    folder = Path(__file__).parent / "data" / "sbml-test-suite" / cid
    return next(folder.glob("*.xml"))


def test_boundary_species_ligand_steady_state_dose_response():
    """dR/dt = ksyn - k [L] [R] (amount per time), V = 2: R = V ksyn / (k [L]) at steady
    state, with [L] = dose / V (a dose sets the boundary species' amount)."""
    sim = Simulator("""
    model bligand
      compartment cell = 2
      species R in cell, $L in cell
      R = 1; L = 1
      ksyn = 3; k = 0.5
      J0: -> R; ksyn
      J1: R -> ; k*L*R
    end
    """, ligand="L", observable="R")
    doses = np.array([1.0, 2.0, 8.0])
    dr = sim.dose_response(doses)
    assert_allclose(dr["R"].to_numpy(), 2 * 3.0 / (0.5 * doses / 2), rtol=1e-8)
