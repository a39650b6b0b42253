"""A FitProblem written as PEtab: lint-clean, and PEtab's log-likelihood at
the fitted values equals receptorkin's (a second implementation: receptorkin.petab
simulates the piecewise-input model with events handled by CVODE)."""

import pandas as pd
import pytest

from conftest import ROOT
from receptorkin.fitting import FitProblem, ParameterSpec, fit
from receptorkin.dosing import Exposure
from receptorkin.data.measurements import Condition, Measurements, load_conditions, load_measurements
from receptorkin.petab import PetabProblem, fit_problem_to_petab, lint_petab


def test_pretreatment_time_course_and_steady_state_rows_round_trip(tmp_path):
    from synthetic import synthetic_trafficking

    d = synthetic_trafficking(1).table.drop(columns=["line"])
    pre = d.assign(condition="pre")
    steady = d.iloc[:6].assign(time="")
    data = Measurements.from_frame(pd.concat([d, pre, steady], ignore_index=True))
    conds = {"pre": Condition("pre", (Exposure(0, 60, 10.0),), 90.0)}
    problem = FitProblem("trafficking", data, [ParameterSpec("k_internalization", 0.2, 0.01, 2.0),
                                               ParameterSpec("k_recycling", 0.05, 0.001, 1.0)], conditions=conds)
    result = fit(problem, n_starts=1, profiles=False)
    yaml = fit_problem_to_petab(result, tmp_path / "petab")
    assert lint_petab(yaml) == []
    assert PetabProblem.from_yaml(yaml).llh() == pytest.approx(result.criteria["loglik"], rel=1e-7)
    # the problem written with the fit's numbers is the same PEtab problem as the fit written
    same = fit_problem_to_petab(problem, tmp_path / "problem", values=result.estimates, noise=result.noise_levels)
    for name in ("parameters", "conditions", "measurements", "observables"):
        assert (same.parent / f"trafficking_{name}.tsv").read_text() == (yaml.parent / f"trafficking_{name}.tsv").read_text()
    # and at the problem's start values it is the problem's own log-likelihood there, not the fit's
    start = PetabProblem.from_yaml(fit_problem_to_petab(problem, tmp_path / "start", noise=result.noise_levels))
    assert start.llh() < result.criteria["loglik"]
    # the deprecated methods (one release of grace) warn, name the replacement and write the same tables
    from receptorkin.errors import ReceptorkinDeprecationWarning

    with pytest.warns(ReceptorkinDeprecationWarning, match=r"FitResult.to_petab\(\) is deprecated .*fit_problem_to_petab"):
        old = result.to_petab(tmp_path / "old")
    with pytest.warns(ReceptorkinDeprecationWarning, match=r"FitProblem.to_petab\(\) is deprecated"):
        old_problem = problem.to_petab(tmp_path / "old_problem", values=result.estimates)
    for name in ("parameters", "conditions", "measurements", "observables"):
        assert (old.parent / f"trafficking_{name}.tsv").read_text() == (yaml.parent / f"trafficking_{name}.tsv").read_text()
    assert PetabProblem.from_yaml(old_problem).x_ids == PetabProblem.from_yaml(yaml).x_ids


@pytest.mark.slow
def test_bundled_desensitization_problem_round_trips(tmp_path):
    data = load_measurements(ROOT / "data" / "desensitization.csv")
    conds = load_conditions(ROOT / "data" / "desensitization_conditions.csv")
    problem = FitProblem("gpcr_desensitization", data, ["k_internalization", "k_recycling", "k_degradation", "K_E"],
                         conditions=conds)
    result = fit(problem, n_starts=1, profiles=False)
    petab = PetabProblem.from_yaml(fit_problem_to_petab(result, tmp_path / "petab"))
    assert petab.llh() == pytest.approx(result.criteria["loglik"], rel=1e-6)
    assert sorted(petab.x_ids)[:2] == ["K_E", "k_degradation"]
