"""Derived quantities (receptor half-life, EC50 shift, tolerance ratio) against
numbers from elsewhere: closed-form solutions of first-order turnover, a
matrix-exponential chase, the operational model, an independent dose-response
simulation; the delta method against its closed form."""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from synthetic import TRUE, synthetic_trafficking
from receptorkin.errors import FitError, ModelError
from receptorkin.fitting import FitProblem, ParameterSpec, fit
from receptorkin.fitting.derived import (ec50_shift, rate_half_life, receptor_half_life, simulated_ec50,
                                         tolerance_ratio)
from receptorkin.simulation import Simulator

GPCR = "gpcr_desensitization"


def test_receptor_half_life_of_first_order_turnover_is_ln2_over_kdeg():
    """turnover_tolerance: dR/dt = ksyn − kdeg·R·(1 + S(C)): after synthesis stops R decays as exp(−kdeg(1+S)t)."""
    q = receptor_half_life("turnover_tolerance")
    assert q.unit == "h"
    assert_allclose(q({"k_degradation": 0.05}), math.log(2) / 0.05, rtol=1e-8)
    # under drug the loss is stimulated by 1 + Smax·C/(SC50 + C) (defaults S_max 4, SC50 20 nM)
    q_drug = receptor_half_life("turnover_tolerance", concentration=20.0)
    assert_allclose(q_drug({}), math.log(2) / (0.0578 * (1 + 4 * 20 / 40)), rtol=1e-8)


def test_receptor_half_life_of_the_gpcr_model_matches_a_matrix_exponential_chase():
    """Without agonist the receptor pools are linear: R' = −kc·R + krec·Ri, Ri' = kc·R − (krec + kdeg)·Ri."""
    from scipy.linalg import expm
    from scipy.optimize import brentq

    values = {"k_recycling": 0.07, "k_degradation": 0.006}
    p = {**Simulator(GPCR).model.parameters, **values}
    kc, krec, kdeg, vs = p["k_constitutive"], p["k_recycling"], p["k_degradation"], p["V_synthesis"]
    r0 = vs * (krec + kdeg) / (kc * kdeg)
    x0 = np.array([r0, r0 * kc / (krec + kdeg)])
    A = np.array([[-kc, krec], [kc, -(krec + kdeg)]])
    total = lambda t: float(np.sum(expm(A * t) @ x0))  # noqa: E731
    expected = brentq(lambda t: total(t) - 0.5 * x0.sum(), 1.0, 1e5, xtol=1e-10)
    q = receptor_half_life(GPCR)
    assert q.unit == "min"
    assert_allclose(q(values), expected, rtol=1e-7)
    # the model's own note: a basal receptor half-life of ~20 h at the defaults
    assert 18 * 60 < q({}) < 21 * 60


def test_rate_half_life_and_refusals():
    q = rate_half_life("k_degradation", GPCR)
    assert q.unit == "min" and q.monotone_in == "k_degradation"
    assert_allclose(q({"k_degradation": 0.004}), math.log(2) / 0.004)
    with pytest.raises(FitError, match="k_degradaton.*k_degradation"):
        rate_half_life("k_degradaton", GPCR)
    with pytest.raises(ModelError, match="synthesis="):
        receptor_half_life("moderator_feedback")  # its production rate is not one parameter
    with pytest.raises(FitError, match="per-condition"):
        receptor_half_life("turnover_tolerance")({"k_degradation[naive]": 0.05})


def _active_receptors_at_challenge(hours: float, washout_min: float) -> float:
    """Active surface receptors after ``hours`` of 1 µM agonist and a wash-out, with plain time courses."""
    sim = Simulator(GPCR, rtol=1e-10, atol=1e-10)
    state = sim.steady_state()[sim.species].to_numpy()
    pre = sim.timecourse(hours * 60.0, 3, values={"agonist": 1000.0}, initial=state)
    washed = sim.timecourse(washout_min, 3, values={"agonist": 0.0}, initial=pre[sim.species].iloc[-1].to_numpy(),
                            selections=["active_receptor"])
    return float(washed["active_receptor"].iloc[-1])


def test_ec50_shift_at_the_challenge_is_the_operational_model_ratio():
    """Read at the moment of the challenge, E(A) = τA/(K_A + (1+τ)A) with τ = active receptors/K_E,
    so the EC50 relative to the response at the highest dose is closed-form."""
    p = Simulator(GPCR).model.parameters
    KA, KE, amax = p["K_A"], p["K_E"], 1e6

    def ec50(active):
        tau = active / KE
        h = 0.5 * tau * amax / (KA + (1 + tau) * amax)
        return h * KA / (tau - (1 + tau) * h)

    naive = ec50(float(Simulator(GPCR, rtol=1e-10, atol=1e-10).steady_state()["active_receptor"]))
    treated = ec50(_active_receptors_at_challenge(4.0, 30.0))
    assert_allclose(simulated_ec50(GPCR), naive, rtol=1e-7)
    q = ec50_shift(GPCR, "1000nM@0-4h", washout="30min", doses=(1e-4, amax))
    assert q.unit == "1"
    assert_allclose(q({}), treated / naive, rtol=1e-6)
    assert q({}) > 1.5  # receptor loss shifts the curve right


def test_ec50_shift_five_minutes_after_the_challenge_matches_an_independent_dose_response():
    """The same pre-treatment and readout through Simulator.dose_response on a dense grid, interpolated."""
    from receptorkin.data.measurements import Condition
    from receptorkin.dosing import Exposure

    values = {"k_internalization": 0.5, "K_E": 300.0}
    sim = Simulator(GPCR, rtol=1e-10, atol=1e-10)
    sim.set(values)
    start = sim.steady_state()[sim.species].to_numpy()
    pre = sim.timecourse(24 * 60.0, 3, values={"agonist": 1000.0}, initial=start)
    washed = sim.timecourse(30.0, 3, values={"agonist": 0.0}, initial=pre[sim.species].iloc[-1].to_numpy())
    doses = np.logspace(-4, 6, 801)

    def ec50(initial):
        y = sim.dose_response(np.concatenate([[0.0], doses]), readout=5.0, initial=initial)["response"].to_numpy()
        half = y[0] + 0.5 * (y[1:].max() - y[0])
        i = int(np.flatnonzero(y[1:] >= half)[0])
        z = np.interp(half, y[1:][i - 1:i + 1], np.log10(doses[i - 1:i + 1]))
        return 10 ** z

    expected = ec50(washed[sim.species].iloc[-1].to_numpy()) / ec50(start)
    condition = Condition("24h", (Exposure(0.0, 24 * 60.0, 1000.0),), challenge_at=24 * 60.0 + 30.0)
    q = ec50_shift(GPCR, condition, readout="5min")
    assert "24h" in q.name
    assert_allclose(q(values), expected, rtol=2e-3)


def test_tolerance_ratio_of_a_constant_exposure_is_the_receptor_fraction_left():
    """turnover_tolerance under constant C: E ∝ R/R0 and R/R0 = 1/(1+S) + (1 − 1/(1+S))·exp(−kdeg(1+S)t)."""
    q = tolerance_ratio("turnover_tolerance", "exposure: 20nM@0-", "24h")
    S, k = 4 * 20 / 40, 0.0578
    assert_allclose(q({}), 1 / (1 + S) + (1 - 1 / (1 + S)) * math.exp(-k * (1 + S) * 24), rtol=1e-6)
    k2 = 0.02
    assert_allclose(q({"k_degradation": k2}), 1 / (1 + S) + (1 - 1 / (1 + S)) * math.exp(-k2 * (1 + S) * 24),
                    rtol=1e-6)


def test_point_fit_derived_quantity_delta_method_and_profile_interval(trafficking_data):
    specs = [ParameterSpec(k, v * 2, v / 20, v * 20) for k, v in TRUE.items()]
    res = fit(FitProblem("trafficking", trafficking_data, specs), n_starts=2, seed=1)
    q = rate_half_life("k_recycling", res)
    out = res.derived(q)
    k, se_k = res.estimates["k_recycling"], res.se["k_recycling"]
    assert_allclose(out["value"], math.log(2) / k)
    # delta method: se(ln2/k) = (ln2/k)·se(k)/k
    assert_allclose(out["se"], math.log(2) / k * se_k / k, rtol=1e-5)
    # a monotone function of one parameter: the profile interval carried through
    lo, hi = res.ci["k_recycling"]
    assert out["method"].startswith("profile")
    assert_allclose(out["ci"], (math.log(2) / hi, math.log(2) / lo))
    # a quantity that is not a function of one parameter gets the delta-method interval
    both = res.derived(lambda v: v["k_recycling"] / v["k_internalization"])
    assert both["method"] == "delta method" and both["ci"][0] < both["value"] < both["ci"][1]
