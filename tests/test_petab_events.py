"""PEtab conditions on a model whose ligand steps up through a timed event.

The event assigns a parameter (L := L_high at t = t_step).  A reset restores
species but not parameters, so without care the stepped ligand of one run
leaks into the next and results depend on the order in which conditions are
evaluated.  Checked against the analytic solution of dR/dt = L − k·R:
R = 0 before the step and R = (L_high/k)(1 − exp(−k (t − t_step))) after it.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from receptorkin.petab.problem import PetabProblem

STEP_ANTIMONY = """model ligand_step()
  compartment cell = 1;
  species R in cell;
  R = 0;
  L = 0; L_high = 1; t_step = 5; k = 0.3;
  J_in: -> R; L;
  J_out: R -> ; k*R;
  E_step: at time >= t_step: L = L_high;
end"""

TIMES = (2.0, 6.0, 8.0, 12.0)
CONDITIONS = pd.DataFrame({"conditionId": ["first", "same", "double"], "L_high": [1.0, 1.0, 2.0]})
OBSERVABLES = pd.DataFrame({"observableId": ["response"], "observableFormula": ["R"], "noiseFormula": ["0.5"]})
PARAMETERS = pd.DataFrame({"parameterId": ["k"], "parameterScale": ["log10"], "lowerBound": [0.01],
                           "upperBound": [10.0], "nominalValue": [0.3], "estimate": [1]})


def analytic(t: float, l_high: float, k: float = 0.3, t_step: float = 5.0) -> float:
    return 0.0 if t < t_step else l_high / k * (1.0 - math.exp(-k * (t - t_step)))


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    from receptorkin.models.build import antimony_to_sbml

    path = tmp_path_factory.mktemp("ligand_step") / "model.xml"
    path.write_text(antimony_to_sbml(STEP_ANTIMONY, "ligand_step"))
    return path


def measurements(order) -> pd.DataFrame:
    return pd.DataFrame([{"observableId": "response", "simulationConditionId": c, "time": t,
                          "measurement": 0.25 * (i + 1)} for c in order for i, t in enumerate(TIMES)])


def problem(model_path, order) -> PetabProblem:
    return PetabProblem.from_tables(model_path, CONDITIONS, measurements(order), OBSERVABLES, PARAMETERS)


def expected(order) -> list[float]:
    l_high = dict(zip(CONDITIONS["conditionId"], CONDITIONS["L_high"]))
    return [analytic(t, l_high[c]) for c in order for t in TIMES]


def test_event_model_matches_the_analytic_solution(model_path):
    order = ("first", "same", "double")
    assert_allclose(problem(model_path, order).simulate()["simulation"], expected(order), rtol=1e-6, atol=1e-9)


def test_identical_conditions_give_identical_results_in_any_order(model_path):
    for order in itertools.permutations(("first", "same", "double")):
        sim = problem(model_path, order).simulate()
        by_condition = {c: sim.loc[sim["simulationConditionId"] == c, "simulation"].to_numpy() for c in order}
        assert_allclose(by_condition["first"], by_condition["same"], rtol=1e-9, atol=1e-12)
        assert_allclose(sim["simulation"], expected(order), rtol=1e-6, atol=1e-9)


def test_first_and_tenth_evaluation_are_equal(model_path):
    p = problem(model_path, ("double", "first", "same"))
    x = p.x_nominal
    first = p.llh(x)
    later = [p.llh(x + 0.01 * (i % 3)) for i in range(8)]  # other parameter values in between
    tenth = p.llh(x)
    assert tenth == pytest.approx(first, rel=1e-12)
    assert np.all(np.isfinite(later))
    assert first == pytest.approx(p.with_tolerances(1e-10, 1e-12).llh(x), rel=1e-9)  # a freshly compiled model


def test_no_moiety_analysis_without_steady_states(model_path):
    """Moiety analysis recompiles the model and only serves steady states: off when none is needed."""
    p = problem(model_path, ("first",))
    assert p.simulator.moiety_analysis is False
    assert_allclose(p.simulate()["simulation"], expected(("first",)), rtol=1e-6, atol=1e-9)


# --------------------------------------------------------------------------- pre-equilibration of a model with events
PRE_CONDITIONS = pd.DataFrame({"conditionId": ["pre", "first", "double"], "L": [0.6, 0.0, 0.0],
                               "L_high": [1.0, 1.0, 2.0]})


def preequilibrated(model_path) -> PetabProblem:
    rows = [{"observableId": "response", "preequilibrationConditionId": "pre", "simulationConditionId": c,
             "time": t, "measurement": 1.0} for c in ("first", "double") for t in TIMES]
    return PetabProblem.from_tables(model_path, PRE_CONDITIONS, pd.DataFrame(rows), OBSERVABLES, PARAMETERS)


def test_preequilibration_of_a_model_with_events_is_refused_naming_the_condition(model_path):
    from receptorkin.errors import SimulationError

    p = preequilibrated(model_path)
    assert p.steady_state_events == "refuse"
    with pytest.raises(SimulationError, match=r"preequilibration 'pre', condition 'first'.*events"):
        p.llh()


def test_preequilibration_with_events_disabled_matches_the_analytic_solution(model_path):
    # steady state under L = 0.6 with the event off: R = L/k = 2; then L = 0 and the step at t_step as before
    p = preequilibrated(model_path)
    p.steady_state_events = "disable"
    k = 0.3
    want = [2.0 * math.exp(-k * t) + analytic(t, l_high) for l_high in (1.0, 2.0) for t in TIMES]
    assert_allclose(p.simulate()["simulation"], want, rtol=1e-6, atol=1e-9)
    import pickle

    assert pickle.loads(pickle.dumps(p)).steady_state_events == "disable"
