"""PEtab import and export: the Brannmark reference problem, PEtab semantics
checked against analytic solutions and against ``petab``'s own likelihood,
round trips through ``to_petab`` and the ``petab`` linter, and one bad
problem per validation rule."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from conftest import BAD, BRANNMARK

from receptorkin.errors import DataError, FitError, ModelError, OutputExistsError
from receptorkin.petab import PetabProblem, lint_petab, to_petab

BRANNMARK_YAML = BRANNMARK / "Brannmark_JBC2010.yaml"
#: AMICI's benchmark reference at the nominal parameters (tests/data/README.md)
BRANNMARK_LLH = -141.889114

#: a small valid problem on a reversible A <-> B model (the bad problems in tests/data/bad/petab_* are copies of it
#: with one defect each)
TWO_STATE_ANTIMONY = """model two_state()
  compartment cell = 1;
  species A in cell, B in cell;
  A = 10; B = 0;
  k_forward = 0.1; k_back = 0.05;
  flux: A -> B; k_forward*A - k_back*B;
end"""
TWO_STATE_FILES = {
    "problem.yaml": "format_version: 1\nparameter_file: parameters.tsv\nproblems:\n- sbml_files: [model.xml]\n"
                    "  condition_files: [conditions.tsv]\n  measurement_files: [measurements.tsv]\n"
                    "  observable_files: [observables.tsv]\n",
    "conditions.tsv": "conditionId\tk_back\nslow\t0.05\nfast\t0.5\n",
    "observables.tsv": "observableId\tobservableFormula\tnoiseFormula\tobservableTransformation\tnoiseDistribution\n"
                       "obs_b\tscale_b * B\tnoiseParameter1_obs_b\tlin\tnormal\n",
    "parameters.tsv": "parameterId\tparameterScale\tlowerBound\tupperBound\tnominalValue\testimate\n"
                      "k_forward\tlog10\t0.001\t10\t0.1\t1\nscale_b\tlin\t0.1\t10\t1\t0\nsigma_b\tlog10\t0.01\t10\t0.5\t1\n",
    "measurements.tsv": "observableId\tsimulationConditionId\tmeasurement\ttime\tnoiseParameters\n"
                        "obs_b\tslow\t0.9\t1\tsigma_b\nobs_b\tslow\t3.1\t5\tsigma_b\n"
                        "obs_b\tfast\t0.8\t1\tsigma_b\nobs_b\tfast\t1.9\t5\tsigma_b\n",
}


def write_two_state(folder):
    """Write the two-state PEtab problem into ``folder``; returns its YAML path."""
    from receptorkin.models.build import antimony_to_sbml

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model.xml").write_text(antimony_to_sbml(TWO_STATE_ANTIMONY, "two_state"))
    for name, text in TWO_STATE_FILES.items():
        (folder / name).write_text(text)
    return folder / "problem.yaml"


@pytest.fixture
def two_state(tmp_path):
    return write_two_state(tmp_path / "two_state")


@pytest.fixture(scope="module")
def brannmark():
    return PetabProblem.from_yaml(BRANNMARK_YAML)


# --------------------------------------------------------------------------- Brannmark (outside reference)
def test_brannmark_llh_matches_reference(brannmark):
    assert abs(brannmark.llh() - BRANNMARK_LLH) < 1e-3


def test_brannmark_llh_on_the_reduced_system_agrees_with_the_full_system(brannmark):
    """Brannmark is pre-equilibrated and has three conserved moieties: its time courses integrate the
    moiety-reduced system (6 of 9 species), while the exact gradient integrates the full model augmented with
    its sensitivities.  The two objectives agree to the solver's tolerance (measured: 1.0e-7 at the nominal
    point, at most 2.1e-7 at points near it), and the llh stays that of the full system's integration
    (-141.8892043832434, before the reduction)."""
    assert brannmark.simulator.reduced_time_courses
    assert abs(brannmark.llh() - (-141.8892043832434)) < 1e-6
    rng = np.random.default_rng(3)
    x0 = brannmark.x_nominal
    for x in [x0] + [np.clip(x0 + rng.normal(0.0, 0.02, x0.size), brannmark.x_lower, brannmark.x_upper)
                     for _ in range(3)]:
        value, _ = brannmark.nll_and_gradient(x)
        assert abs(value + brannmark.llh(x)) < 1e-6


def test_brannmark_simulation_matches_shipped_simulated_data(brannmark):
    ref = pd.read_csv(BRANNMARK / "simulatedData_Brannmark_JBC2010.tsv", sep="\t")
    sim = brannmark.simulate()
    assert list(sim[["observableId", "simulationConditionId"]].itertuples(index=False)) == \
        list(ref[["observableId", "simulationConditionId"]].itertuples(index=False))
    assert_allclose(sim["time"], ref["time"])
    assert_allclose(sim["simulation"], ref["simulation"], rtol=1e-4)


def test_brannmark_llh_equals_petab_calculate_llh_of_our_simulation(brannmark):
    """Our likelihood formulas against petab's, on the same simulation table."""
    import petab.v1 as petab1

    prob = petab1.Problem.from_yaml(str(BRANNMARK_YAML))
    sim = brannmark.simulate()
    expected = petab1.calculate_llh(prob.measurement_df, sim, prob.observable_df, prob.parameter_df)
    assert_allclose(brannmark.llh(), expected, rtol=1e-12)


def test_brannmark_parameter_table(brannmark):
    table = brannmark.parameter_table
    assert list(table.columns) == ["id", "scale", "lower", "upper", "nominal", "estimate"]
    assert len(table) == 22 and table["estimate"].all()
    assert brannmark.x_ids[:2] == ["k1a", "k1aBasic"]
    assert set(brannmark.x_scales) == {"log10"}
    assert_allclose(brannmark.x_nominal[0], math.log10(0.177219477727669))
    assert_allclose(brannmark.x_lower[-1], -5.0)
    # x on the parameter scale, as a vector or a mapping
    x = brannmark.x_nominal.copy()
    assert brannmark.llh(x) == brannmark.llh({"k1a": x[0]})


def test_cli_llh(capsys):
    from receptorkin.cli import main

    assert main(["petab", "llh", str(BRANNMARK_YAML)]) == 0
    assert abs(float(capsys.readouterr().out.strip()) - BRANNMARK_LLH) < 1e-3


def test_cli_simulate_writes_tsv(tmp_path, two_state):
    from receptorkin.cli import main

    out = tmp_path / "sim.tsv"
    assert main(["petab", "simulate", str(two_state), "-o", str(out)]) == 0
    df = pd.read_csv(out, sep="\t")
    assert "simulation" in df.columns and "measurement" not in df.columns and len(df) == 4
    assert main(["petab", "simulate", str(two_state), "-o", str(out)]) == 1  # no overwrite


# --------------------------------------------------------------------------- PEtab semantics, analytic
def _two_state_tables():
    """A <-> B (kf, kb), A + B = A0 conserved: B(t) = B_inf + (B0 - B_inf) exp(-(kf + kb) t)."""
    conditions = pd.DataFrame({
        "conditionId": ["pre", "slow", "fast", "refill"],
        "k_back": [0.05, 0.05, 0.5, 0.05],
        "A": [np.nan, np.nan, np.nan, 20.0],  # refill: A re-initialised to 20 after pre-equilibration
    })
    observables = pd.DataFrame({
        "observableId": ["b_lin", "b_log", "b_log10", "a_laplace"],
        "observableFormula": ["observableParameter1_b_lin * B + observableParameter2_b_lin", "B", "B", "A"],
        "noiseFormula": ["noiseParameter1_b_lin", "sigma_log", "0.1", "noiseParameter1_a_laplace + 0.01 * A"],
        "observableTransformation": ["lin", "log", "log10", "lin"],
        "noiseDistribution": ["normal", "normal", "laplace", "laplace"],
    })
    parameters = pd.DataFrame({
        "parameterId": ["k_forward", "offset_b", "scale_b", "sigma_b", "sigma_log", "sigma_a"],
        "parameterScale": ["log10", "lin", "log", "log10", "log10", "lin"],
        "lowerBound": [1e-3, -5.0, 0.1, 1e-3, 1e-3, 0.01],
        "upperBound": [10.0, 5.0, 10.0, 10.0, 10.0, 10.0],
        "nominalValue": [0.1, 0.3, 2.0, 0.5, 0.2, 0.4],
        "estimate": [1, 1, 1, 1, 1, 0],
    })
    rows = []
    for obs, over, noise in [("b_lin", "scale_b;offset_b", "sigma_b"), ("b_log", "", ""), ("b_log10", "", ""),
                             ("a_laplace", "", "sigma_a")]:
        for cond in ["slow", "fast", "refill"]:
            for t in [0.0, 2.0, 7.5, np.inf]:
                rows.append({"observableId": obs, "preequilibrationConditionId": "pre", "simulationConditionId": cond,
                             "measurement": 1.0 + 0.1 * len(rows), "time": t, "observableParameters": over,
                             "noiseParameters": noise})
    # one experiment without pre-equilibration: starts from the SBML initial state (A = 10, B = 0)
    rows.append({"observableId": "b_lin", "preequilibrationConditionId": "", "simulationConditionId": "fast",
                 "measurement": 2.0, "time": 3.0, "observableParameters": "1.5;offset_b", "noiseParameters": "0.25"})
    return conditions, pd.DataFrame(rows), observables, parameters


def _analytic_states(row, kf=0.1):
    kb = {"slow": 0.05, "fast": 0.5, "refill": 0.05}[row["simulationConditionId"]]
    if row["preequilibrationConditionId"]:
        total = 10.0
        b0 = total * kf / (kf + 0.05)
        a0 = total - b0
        if row["simulationConditionId"] == "refill":
            a0 = 20.0
    else:
        a0, b0 = 10.0, 0.0
    total = a0 + b0
    b_inf = total * kf / (kf + kb)
    t = row["time"]
    b = b_inf if math.isinf(t) else b_inf + (b0 - b_inf) * math.exp(-(kf + kb) * t)
    return total - b, b


def test_semantics_match_analytic_solution(two_state):
    """Pre-equilibration, species re-initialisation, NaN = keep, steady-state rows, overrides."""
    conditions, measurements, observables, parameters = _two_state_tables()
    problem = PetabProblem.from_tables(two_state.parent / "model.xml", conditions, measurements, observables, parameters)
    sim = problem.simulate()
    expected = []
    for _, row in measurements.iterrows():
        a, b = _analytic_states(row)
        if row["observableId"] == "b_lin":
            over = row["observableParameters"].split(";")
            scale = 2.0 if over[0] == "scale_b" else float(over[0])
            expected.append(scale * b + 0.3)
        elif row["observableId"] in ("b_log", "b_log10"):
            expected.append(b)
        else:
            expected.append(a)
    assert_allclose(sim["simulation"], expected, rtol=1e-7)


def test_compartment_size_in_a_condition(two_state):
    """cell = 2 halves the concentration rates of this rate law (k*A in amount/time); NaN keeps the SBML size."""
    conditions = pd.DataFrame({"conditionId": ["unit", "double"], "cell": [np.nan, 2.0], "A": [10.0, 10.0]})
    observables = pd.DataFrame({"observableId": ["b_conc", "b_amount"], "observableFormula": ["B", "B * cell"],
                                "noiseFormula": ["1", "1"]})
    parameters = pd.DataFrame({"parameterId": ["k_forward"], "parameterScale": ["lin"], "lowerBound": [0.01],
                               "upperBound": [1.0], "nominalValue": [0.1], "estimate": [1]})
    measurements = pd.DataFrame([{"observableId": o, "simulationConditionId": c, "measurement": 1.0, "time": 5.0}
                                 for c in ("unit", "double") for o in ("b_conc", "b_amount")])
    problem = PetabProblem.from_tables(two_state.parent / "model.xml", conditions, measurements, observables, parameters)
    kf, kb = 0.1, 0.05
    unit = 10 * kf / (kf + kb) * (1 - math.exp(-(kf + kb) * 5))
    double = 10 * kf / (kf + kb) * (1 - math.exp(-(kf + kb) / 2 * 5))
    for _ in range(2):  # the size set by one condition does not leak into the next evaluation
        assert_allclose(problem.simulate()["simulation"], [unit, unit, double, 2 * double], rtol=1e-8)


def test_transformations_and_noise_models_match_petab_calculate_llh(two_state):
    import petab.v1 as petab1

    conditions, measurements, observables, parameters = _two_state_tables()
    problem = PetabProblem.from_tables(two_state.parent / "model.xml", conditions, measurements, observables, parameters)
    sim = problem.simulate()
    # petab's evaluate_noise_formula does not accept model states: give it our numbers for 'A'
    obs = observables.copy()
    obs.loc[obs.observableId == "a_laplace", "noiseFormula"] = "noiseParameter1_a_laplace + 0.01 * a_laplace"
    mdf = petab1.get_measurement_df(measurements.replace({"preequilibrationConditionId": {"": np.nan}}))
    expected = petab1.calculate_llh(mdf, sim, petab1.get_observable_df(obs), petab1.get_parameter_df(parameters))
    assert_allclose(problem.llh(), expected, rtol=1e-12)


def test_residuals_are_weighted_and_transformed(two_state):
    conditions, measurements, observables, parameters = _two_state_tables()
    problem = PetabProblem.from_tables(two_state.parent / "model.xml", conditions, measurements, observables, parameters)
    y = problem.simulate()["simulation"].to_numpy()
    r = problem.residuals()
    m = measurements["measurement"].to_numpy()
    lin = (measurements["observableId"] == "b_lin").to_numpy() & (measurements["noiseParameters"] == "sigma_b").to_numpy()
    assert_allclose(r[lin], (m[lin] - y[lin]) / 0.5)
    log10 = (measurements["observableId"] == "b_log10").to_numpy()
    assert_allclose(r[log10], (np.log10(m[log10]) - np.log10(y[log10])) / 0.1)


def test_objective_priors_use_petab_definition(two_state):
    from petab.v1.priors import Prior

    conditions, measurements, observables, parameters = _two_state_tables()
    parameters["objectivePriorType"] = ["parameterScaleNormal", "", "", "", "", ""]
    parameters["objectivePriorParameters"] = ["-1;0.5", "", "", "", "", ""]
    problem = PetabProblem.from_tables(two_state.parent / "model.xml", conditions, measurements, observables, parameters)
    x = problem.x_nominal
    prior = Prior("parameterScaleNormal", (-1.0, 0.5), bounds=(1e-3, 10.0), transformation="log10")
    assert_allclose(problem.log_prior(x), -prior.neglogprior(x[0], x_scaled=True))
    assert_allclose(problem.objective(x), -(problem.llh(x) + problem.log_prior(x)))


def test_problem_pickles_and_recompiles(brannmark):
    clone = pickle.loads(pickle.dumps(brannmark))
    assert clone.llh() == brannmark.llh()


# --------------------------------------------------------------------------- to_petab
def _trafficking_tables(sim_problem_measurements=None):
    conditions = pd.DataFrame({"conditionId": ["vehicle", "ligand_10nM"], "conditionName": ["0 nM", "10 nM"],
                               "ligand": [0.0, 10.0]})
    observables = pd.DataFrame({
        "observableId": ["surface"],
        "observableName": ["Surface receptor [receptors/cell]"],
        "observableFormula": ["surface_receptor"],
        "noiseFormula": ["noiseParameter1_surface"],
        "observableTransformation": ["lin"],
        "noiseDistribution": ["normal"],
    })
    parameters = pd.DataFrame({
        "parameterId": ["k_internalization", "k_recycling", "sigma_surface"],
        "parameterName": ["ke [1/min]", "krec [1/min]", "sigma [receptors/cell]"],
        "parameterScale": ["log10", "log10", "log10"],
        "lowerBound": [1e-3, 1e-3, 1.0],
        "upperBound": [10.0, 10.0, 1e4],
        "nominalValue": [0.15, 0.058, 400.0],
        "estimate": [1, 1, 1],
    })
    rows = [{"observableId": "surface", "preequilibrationConditionId": "vehicle", "simulationConditionId": c,
             "measurement": 1.0, "time": t, "noiseParameters": "sigma_surface", "datasetId": f"surface_{c}"}
            for c in ("vehicle", "ligand_10nM") for t in (0.0, 5.0, 15.0, 30.0, 60.0, 120.0)]
    measurements = pd.DataFrame(rows)
    problem = PetabProblem.from_tables("trafficking", conditions, measurements, observables, parameters)
    rng = np.random.default_rng(7)
    y = problem.simulate()["simulation"].to_numpy()
    measurements["measurement"] = y + 400.0 * rng.standard_normal(y.size)
    return conditions, measurements, observables, parameters


def test_to_petab_round_trip_is_lint_clean_with_same_objective(tmp_path):
    conditions, measurements, observables, parameters = _trafficking_tables()
    before = PetabProblem.from_tables("trafficking", conditions, measurements, observables, parameters)
    yaml_path = to_petab(tmp_path / "problem", "trafficking", measurements, conditions, observables, parameters)
    assert lint_petab(yaml_path) == []
    after = PetabProblem.from_yaml(yaml_path)
    for x in (before.x_nominal, before.x_nominal + 0.1):
        assert after.llh(x) == before.llh(x)
    assert_allclose(after.simulate()["simulation"], before.simulate()["simulation"], rtol=0, atol=0)
    # ligand-induced internalization: surface receptors fall under 10 nM, not under vehicle
    sim = after.simulate()
    end = sim[sim["time"] == 120.0].set_index("simulationConditionId")["simulation"]
    assert end["ligand_10nM"] < 0.6 * end["vehicle"]
    assert_allclose(end["vehicle"], 20000.0, rtol=1e-6)


def test_to_petab_refuses_non_empty_directory_and_bad_tables(tmp_path):
    conditions, measurements, observables, parameters = _trafficking_tables()
    out = tmp_path / "p"
    to_petab(out, "trafficking", measurements, conditions, observables, parameters)
    with pytest.raises(OutputExistsError):
        to_petab(out, "trafficking", measurements, conditions, observables, parameters)
    to_petab(out, "trafficking", measurements, conditions, observables, parameters, force=True)
    bad = measurements.copy()
    bad.loc[3, "observableId"] = "surfce"
    with pytest.raises(DataError, match=r"<measurement table>:5: observableId 'surfce' .*did you mean 'surface'"):
        to_petab(tmp_path / "q", "trafficking", bad, conditions, observables, parameters)
    assert not (tmp_path / "q").exists()


def test_two_state_problem_is_lint_clean(two_state):
    assert lint_petab(two_state) == []


def test_bad_problems_are_the_two_state_problem_with_one_defect():
    for case in ("petab_unknown_symbol", "petab_unknown_condition_id", "petab_bounds", "petab_noise_distribution"):
        differing = [name for name, text in TWO_STATE_FILES.items() if (BAD / case / name).read_text() != text]
        assert len(differing) == 1, (case, differing)


# --------------------------------------------------------------------------- bad problems
@pytest.mark.parametrize(
    "case, error, pattern",
    [
        ("petab_missing_file", DataError, r"petab_missing_file/problem\.yaml: measurement_files: measurement_data\.tsv .*no such file"),
        ("petab_unknown_symbol", ModelError, r"observables\.tsv:2: observable 'obs_b': observableFormula 'scale_b \* B_total': unknown symbol 'B_total'"),
        ("petab_unknown_condition_id", ModelError, r"conditions\.tsv:1: column 'k_bak': model 'two_state' has no parameter.*did you mean 'k_back'"),
        ("petab_bounds", FitError, r"parameters\.tsv:2: parameter 'k_forward': lowerBound 10 > upperBound 0\.001"),
        ("petab_noise_distribution", DataError, r"observables\.tsv:2: observable 'obs_b': noiseDistribution 'student_t' is not supported"),
    ],
)
def test_bad_problems_raise_named_errors(case, error, pattern):
    with pytest.raises(error, match=pattern):
        PetabProblem.from_yaml(BAD / case / "problem.yaml")


@pytest.mark.parametrize("case", ["petab_missing_file", "petab_unknown_symbol", "petab_unknown_condition_id",
                                  "petab_bounds", "petab_noise_distribution"])
def test_bad_problems_exit_1_on_the_cli(case, capsys):
    from receptorkin.cli import main

    assert main(["petab", "llh", str(BAD / case / "problem.yaml")]) == 1
    assert capsys.readouterr().err.startswith("receptorkin: error: ")


def test_bad_tables_report_every_problem(two_state):
    (two_state.parent / "measurements.tsv").write_text(
        "observableId\tsimulationConditionId\tmeasurement\ttime\tnoiseParameters\n"
        "obs_b\tslow\tabc\t1\tsigma_b\n"
        "obs_b\tmedium\t1.0\t-2\tsigma_b\n"
        "obs_c\tslow\t1.0\t1\t\n")
    with pytest.raises(DataError) as info:
        PetabProblem.from_yaml(two_state)
    msg = str(info.value)
    assert "measurements.tsv:2: measurement must be a finite number (got 'abc')" in msg
    assert "measurements.tsv:3: simulationConditionId 'medium' is not in the condition table" in msg
    assert "measurements.tsv:3: time must be a non-negative number or inf (got '-2')" in msg
    assert "measurements.tsv:4: observableId 'obs_c' is not in the observable table" in msg


@pytest.mark.parametrize("table, line, text, pattern", [
    ("parameters.tsv", 2, "k_forward\tlog10\t0.001\t10\t0.1\t1\n",
     r"parameters\.tsv:5: parameter 'k_forward' is listed twice \(also on line 2\)"),
    ("conditions.tsv", 3, "fast\t0.7\n", r"conditions\.tsv:4: condition 'fast' is listed twice \(also on line 3\)"),
    ("observables.tsv", 2, "obs_b\tB\tnoiseParameter1_obs_b\tlin\tnormal\n",
     r"observables\.tsv:3: observable 'obs_b' is listed twice \(also on line 2\)"),
    ("conditions.tsv", 0, "2fast\t0.7\n", r"conditions\.tsv:4: conditionId '2fast' is not a valid identifier"),
])
def test_every_table_names_a_repeated_or_invalid_id_and_its_lines(two_state, table, line, text, pattern):
    # the id of an appended row repeats the id on ``line`` of the file as written above (or is not an identifier)
    path = two_state.parent / table
    path.write_text(path.read_text() + text)
    with pytest.raises(DataError, match=pattern):
        PetabProblem.from_yaml(two_state)


def test_missing_yaml_and_wrong_x(brannmark, tmp_path):
    with pytest.raises(DataError, match="no such file"):
        PetabProblem.from_yaml(tmp_path / "nope.yaml")
    with pytest.raises(FitError, match="x has 3 values, expected 22"):
        brannmark.llh([0.0, 1.0, 2.0])
    with pytest.raises(FitError, match="'k1z' is not an estimated parameter"):
        brannmark.llh({"k1z": 1.0})
