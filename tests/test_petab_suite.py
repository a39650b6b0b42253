"""The PEtab test suite (``petabtests``): every PEtab v1 SBML case through PetabProblem.

The cases and their solutions (simulation tables, llh, χ², tolerances) are the
ones shipped in the installed ``petabtests`` package, a test dependency; the
comparison functions are petabtests' own.  A case passes when llh, χ² and the
simulations agree with the solution within the case's tolerances, or is
refused with a receptorkin error that names the unsupported feature (listed in
``REFUSED``).  Today none is refused.
"""

from __future__ import annotations

import petabtests
import pytest

from receptorkin.errors import ReceptorkinError
from receptorkin.petab.problem import PetabProblem

FORMAT, VERSION = "sbml", "v1.0.0"
CASES = petabtests.get_cases(FORMAT, VERSION)

# case id -> a phrase the refusal must contain (the unsupported feature)
REFUSED: dict[str, str] = {}


def test_the_suite_is_there() -> None:
    # petabtests 0.0.1 ships 18 PEtab v1 SBML cases; fewer means the data went missing
    assert len(CASES) >= 18


def _solution(case: str) -> dict:
    return petabtests.load_solution(case, FORMAT, VERSION)


@pytest.mark.parametrize("case", CASES)
def test_petab_suite_case(case: str) -> None:
    yaml_path = petabtests.get_cases_dir(FORMAT, VERSION) / case / f"_{case}.yaml"
    if case in REFUSED:
        with pytest.raises(ReceptorkinError, match=REFUSED[case]):
            problem = PetabProblem.from_yaml(yaml_path)
            problem.llh()
        return
    solution = _solution(case)
    problem = PetabProblem.from_yaml(yaml_path)
    llh = problem.llh()
    chi2 = problem.chi2()
    simulations = problem.simulate()
    assert petabtests.evaluate_llh(llh, solution[petabtests.LLH], solution[petabtests.TOL_LLH]), (llh, solution[petabtests.LLH])
    assert petabtests.evaluate_chi2(chi2, solution[petabtests.CHI2], solution[petabtests.TOL_CHI2]), (chi2, solution[petabtests.CHI2])
    distance = petabtests.absolute_simulations_distance_for_tables([simulations], solution[petabtests.SIMULATION_DFS])
    assert distance < solution[petabtests.TOL_SIMULATIONS], distance


def test_repeated_evaluation_is_unchanged() -> None:
    """Every case evaluated twice on the same problem gives the same llh (no state left behind)."""
    for case in CASES:
        if case in REFUSED:
            continue
        problem = PetabProblem.from_yaml(petabtests.get_cases_dir(FORMAT, VERSION) / case / f"_{case}.yaml")
        first = problem.llh()
        problem.simulate()
        assert problem.llh() == pytest.approx(first, rel=1e-9, abs=1e-9), case


def test_moiety_analysis_only_where_steady_states_are_needed() -> None:
    cases_dir = petabtests.get_cases_dir(FORMAT, VERSION)
    assert PetabProblem.from_yaml(cases_dir / "0001" / "_0001.yaml").simulator.moiety_analysis is False
    # 0009 pre-equilibrates to a steady state: moiety analysis helps; 0018's rate rules on a species exclude it
    assert PetabProblem.from_yaml(cases_dir / "0009" / "_0009.yaml").simulator.moiety_analysis is True
    assert PetabProblem.from_yaml(cases_dir / "0018" / "_0018.yaml").simulator.moiety_analysis is False


def test_llh_without_preequilibration_compiles_no_moiety_analysis(monkeypatch) -> None:
    """Every compilation goes through the Simulator's one roadrunner factory: counted,
    a PEtab llh without pre-equilibration compiles the model once and never with
    moiety analysis; with a pre-equilibration (0009) the steady-state copy has it."""
    from receptorkin.simulation import simulator as simulation

    compiled: list[bool] = []
    real = simulation._new_roadrunner

    def counting(sbml, moieties=False, recompile=False):
        compiled.append(bool(moieties))
        return real(sbml, moieties, recompile)

    monkeypatch.setattr(simulation, "_new_roadrunner", counting)
    cases_dir = petabtests.get_cases_dir(FORMAT, VERSION)
    plain = PetabProblem.from_yaml(cases_dir / "0001" / "_0001.yaml")
    plain.llh()
    plain.llh()
    assert compiled and not any(compiled)
    assert plain.simulator.uses_moieties is None  # no steady-state instance was built
    compiled.clear()
    preeq = PetabProblem.from_yaml(cases_dir / "0009" / "_0009.yaml")
    preeq.llh()
    assert True in compiled and preeq.simulator.uses_moieties is True
