"""χ² has one definition, Σ ((y − f)/σ)², and intervals say how they were computed.

The predictions are recomputed here without FitProblem (plain time courses
from the Simulator, one per row), so χ² and the RSS are checked against a
second implementation, not against the code that produced them.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from synthetic import synthetic_trafficking
from receptorkin.fitting import FitProblem, FitResult, ParameterSpec, fit
from receptorkin.fitting.chi2 import CHI2_DEFINITION
from receptorkin.data.measurements import Measurements
from receptorkin.simulation import Simulator

SPECS = [ParameterSpec("k_internalization", 0.3, 0.0075, 3.0), ParameterSpec("k_recycling", 0.1, 0.0029, 1.16)]


def independent_predictions(table, estimates):
    sim = Simulator("trafficking")
    sim.set(estimates)
    out = []
    for row in table.itertuples():
        y = sim.timecourse(times=[0.0, float(row.time)], values={"ligand": row.dose}, selections=[row.observable])
        out.append(float(y[row.observable].iloc[-1]))
    return np.array(out)


@pytest.fixture(scope="module")
def data():
    return synthetic_trafficking(5, times=(5, 60))


def test_estimated_noise_one_observable(data):
    res = fit(FitProblem("trafficking", data, SPECS), n_starts=1, seed=0, profiles=False)
    table = data.table
    f = independent_predictions(table, res.estimates)
    y = table["response"].to_numpy(float)
    rss = float(np.sum((y - f) ** 2))
    assert_allclose(res.rss, rss, rtol=1e-6)
    sigma = np.sqrt(rss / len(y))
    assert_allclose(res.noise_levels["surface_receptor"], sigma, rtol=1e-6)
    # χ² with the estimated σ: n by construction, not the RSS
    assert_allclose(res.chi2, np.sum(((y - f) / sigma) ** 2), rtol=1e-6)
    assert_allclose(res.chi2, len(y), rtol=1e-6)
    assert res.chi2 != pytest.approx(res.rss)
    # the start table is in the same σ units: the best start sits at χ² = n
    assert res.starts["chi2"].min() == pytest.approx(res.chi2, rel=1e-6)


def test_given_sd_and_two_observables_use_the_same_definition(data):
    occ = synthetic_trafficking(6, times=(5, 60), observable="occupancy").table
    frame = pd.concat([data.table, occ], ignore_index=True)[["dose", "time", "observable", "response"]]
    # estimated noise, two observables: σ per observable
    res = fit(FitProblem("trafficking", Measurements.from_frame(frame), SPECS), n_starts=1, seed=0, profiles=False)
    f = independent_predictions(frame, res.estimates)
    y = frame["response"].to_numpy(float)
    sigma = frame["observable"].map(res.noise_levels).to_numpy(float)
    assert_allclose(res.chi2, np.sum(((y - f) / sigma) ** 2), rtol=1e-6)
    assert abs(res.chi2 - len(y)) < 0.05 * len(y)  # σ̂ is the ML value up to the IRLS tolerance
    # given standard deviations: σ = sd, and χ² = the weighted RSS
    sd = np.where(frame["observable"] == "surface_receptor", 600.0, 0.03)
    res_sd = fit(FitProblem("trafficking", Measurements.from_frame(frame.assign(sd=sd)), SPECS),
                 n_starts=1, seed=0, profiles=False)
    f = independent_predictions(frame, res_sd.estimates)
    assert_allclose(res_sd.chi2, np.sum(((y - f) / sd) ** 2), rtol=1e-6)
    assert res_sd.chi2 == pytest.approx(res_sd.rss)


def test_without_profiles_intervals_are_labelled_wald(data, tmp_path):
    res = fit(FitProblem("trafficking", data, SPECS), n_starts=1, seed=0, profiles=False)
    assert res.ci_method == "Wald" and res.ci == res.wald_ci
    text = res.report()
    assert "95% CI (Wald, from the Hessian)" in text and "(profile)" not in text
    assert "found: every profile is closed" not in text and "Profiles were not computed" in text
    assert CHI2_DEFINITION in text
    assert set(res.table["ci_method"]) == {"Wald"}
    path = res.to_json(tmp_path / "fit.json")
    d = json.loads(path.read_text(encoding="utf-8"))
    assert d["ci_method"] == "Wald" and d["chi2_definition"] == CHI2_DEFINITION
    back = FitResult.from_json(path)
    assert back.ci_method == "Wald" and back.chi2 == pytest.approx(res.chi2) and back.rss == pytest.approx(res.rss)
    assert "95% Wald, from the Hessian CI" in res.fitted_model().element("k_recycling").source


def test_with_profiles_intervals_are_labelled_profile(data):
    res = fit(FitProblem("trafficking", data, SPECS), n_starts=1, seed=0, profiles=True)
    assert res.ci_method == "profile"
    assert "95% CI (profile)" in res.report()
    assert res.ci != res.wald_ci
