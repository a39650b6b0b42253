"""Fitting: recovery, coverage, an independent optimizer, identifiability,
determinism across processes, bad input."""

import json
import math

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from conftest import BAD
from synthetic import TRUE, synthetic_trafficking
from receptorkin.errors import DataError, FitError
from receptorkin.fitting import FitProblem, FitResult, ParameterSpec, compare_fits, f_test, fit
from receptorkin.data.measurements import Measurements, load_measurements
from receptorkin.simulation import Simulator


def specs(start_factor=2.0):
    return [ParameterSpec(k, v * start_factor, v / 20, v * 20) for k, v in TRUE.items()]


def test_recovers_truth_within_profile_intervals(trafficking_data):
    res = fit(FitProblem("trafficking", trafficking_data, specs()), n_starts=3, seed=4)
    for name, truth in TRUE.items():
        lo, hi = res.ci[name]
        assert lo < truth < hi, (name, lo, truth, hi)
        assert lo < res.estimates[name] < hi
    assert res.n_failed == 0 and res.n_converged >= 2


def test_profile_intervals_cover_the_truth_at_95_percent():
    """20 seeded replicate datasets: a 95% interval should contain the truth in
    about 19; the issue asks for at least 17 for each parameter."""
    hits = {k: 0 for k in TRUE}
    for seed in range(20):
        data = synthetic_trafficking(100 + seed, cv=0.04, times=(10, 60))
        res = fit(FitProblem("trafficking", data, specs(1.5)), n_starts=1, seed=seed)
        for k, truth in TRUE.items():
            hits[k] += res.ci[k][0] <= truth <= res.ci[k][1]
    assert all(h >= 17 for h in hits.values()), hits


def test_objective_agrees_with_scipy_and_an_independent_prediction(trafficking_data):
    from scipy.optimize import least_squares

    problem = FitProblem("trafficking", trafficking_data, specs())
    res = fit(problem, n_starts=2, seed=1, profiles=False)
    lo, hi = problem.bounds()
    other = least_squares(problem.residuals, problem.initial_vector(), bounds=(lo, hi), method="trf",
                          jac="3-point", diff_step=1e-4, x_scale="jac", ftol=1e-12, xtol=1e-12, gtol=1e-12)
    assert_allclose(2 * other.cost, res.rss, rtol=1e-6)
    # the objective recomputed without FitProblem: plain time courses, one per dose
    sim = Simulator("trafficking")
    sim.set(res.estimates)
    rss = 0.0
    for row in trafficking_data.table.itertuples():
        y = sim.timecourse(times=[0.0, row.time], values={"ligand": row.dose}, selections=["surface_receptor"])
        rss += (row.response - y["surface_receptor"].iloc[-1]) ** 2
    assert_allclose(rss, res.rss, rtol=1e-6)


def test_steady_state_data_alone_cannot_separate_kon_from_koff():
    both = [ParameterSpec("k_on", 0.2, 0.005, 5.0), ParameterSpec("k_off", 0.5, 0.01, 10.0)]
    steady = synthetic_trafficking(3, steady=True, observable="occupancy", doses=np.logspace(-2, 2, 9))
    res = fit(FitProblem("trafficking", steady, both), n_starts=2, seed=0)
    text = " ".join(res.warnings)
    assert "steady-state data alone cannot separate k_on from k_off" in text
    # early binding kinetics separate them
    rows = steady.table[["dose", "response", "observable"]].assign(time="")
    kinetic = synthetic_trafficking(4, times=(0.5, 1, 2, 5), observable="occupancy", doses=np.logspace(-1, 1, 5)).table
    more = pd.concat([rows, kinetic[["dose", "response", "observable", "time"]]], ignore_index=True)
    res2 = fit(FitProblem("trafficking", Measurements.from_frame(more), both), n_starts=2, seed=0)
    assert not any("cannot separate" in w for w in res2.warnings), res2.warnings
    assert abs(res2.correlation[0, 1]) < 0.99


def test_same_seed_same_result_with_one_or_two_processes(trafficking_data):
    a = fit(FitProblem("trafficking", trafficking_data, specs()), n_starts=4, seed=7, jobs=1, profiles=False)
    b = fit(FitProblem("trafficking", trafficking_data, specs()), n_starts=4, seed=7, jobs=2, profiles=False)
    assert a.estimates == b.estimates
    pd.testing.assert_frame_equal(a.starts, b.starts)


@pytest.mark.parametrize("spec,match", [
    (ParameterSpec("k_recycling", 5.0, 0.01, 1.0), "initial value 5 is outside its bounds"),
    (ParameterSpec("k_recycling", 0.05, 1.0, 0.01), "lower bound 1 > upper bound 0.01"),
    (ParameterSpec("k_recycling", 0.05, 0.0, 1.0), "log10 scale needs a lower bound > 0"),
    (ParameterSpec("k_recycle", 0.05, 0.01, 1.0), "did you mean 'k_recycling'"),
    (ParameterSpec("ligand", 0.05, 0.01, 1.0), "is the ligand input"),
])
def test_bad_parameter_table_names_the_parameter(trafficking_data, spec, match):
    with pytest.raises(FitError, match=match):
        FitProblem("trafficking", trafficking_data, [spec])


def test_too_few_points_for_the_parameters():
    data = load_measurements(BAD / "measurements_too_few_points.csv")
    with pytest.raises(DataError, match="2 data points for 2 parameters"):
        FitProblem("trafficking", data, ["k_internalization", "k_recycling"])


def test_every_start_failing_raises_with_the_start_table(trafficking_data):
    problem = FitProblem("trafficking", trafficking_data, [ParameterSpec("k_on", 1e28, 1e27, 1e29)])
    with pytest.raises(FitError, match=r"all 2 starts failed") as info:
        fit(problem, n_starts=2, seed=0)
    assert "CV_" in str(info.value)


def test_result_round_trips_through_json_and_writes_sbml(tmp_path, trafficking_data):
    res = fit(FitProblem("trafficking", trafficking_data, specs()), n_starts=2, seed=0)
    path = tmp_path / "fit.json"
    res.to_json(path)
    back = FitResult.from_json(path)
    assert back.estimates == pytest.approx(res.estimates, rel=1e-15)
    assert back.ci == res.ci and back.n_converged == res.n_converged
    fields = json.loads(path.read_text(encoding="utf-8"))
    assert {"estimate", "se", "ci_low", "ci_high"} <= set(fields["parameters"]["k_recycling"])
    assert {"objective", "aicc", "n_data", "n_starts", "n_failed"} <= set(fields)
    xml = tmp_path / "fitted.xml"
    res.to_sbml(xml)
    from receptorkin.models import load_model

    fitted = load_model(xml)
    assert fitted.parameters["k_recycling"] == pytest.approx(res.estimates["k_recycling"], rel=1e-12)
    assert "95% profile CI" in fitted.element("k_recycling").source


def test_information_criteria_and_f_test(trafficking_data):
    from receptorkin.models import load_model

    # nested: the simple model fixes k_internalization at a wrong value (0.3 instead of 0.15)
    wrong = load_model("trafficking").with_values({"k_internalization": 0.3})
    one = fit(FitProblem(wrong, trafficking_data, [ParameterSpec("k_recycling", 0.1, 0.001, 10.0)]), n_starts=1, profiles=False)
    two = fit(FitProblem("trafficking", trafficking_data, specs()), n_starts=1, profiles=False)
    n = one.n_data
    # AICc by hand (Gaussian, sigma estimated: k counts it)
    k = one.n_parameters + 1
    aic = n * math.log(2 * math.pi * one.rss / n) + n + 2 * k
    assert one.aicc == pytest.approx(aic + 2 * k * (k + 1) / (n - k - 1), rel=1e-12)
    F, p = f_test(one, two)
    assert F == pytest.approx(((one.rss - two.rss) / 1) / (two.rss / (n - 2)), rel=1e-12)
    table = compare_fits([one, two], ["one", "two"])
    assert table["model"].iloc[0] == "two" and table["weight"].sum() == pytest.approx(1.0)
