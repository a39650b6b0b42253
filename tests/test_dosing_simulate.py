"""Segment simulation and regimen metrics against the analytic turnover model.

``turnover_tolerance`` (Mager, Wyska & Jusko 2003) under a constant drug
concentration C has a closed form: with S = Smax*C/(SC50 + C) and
k' = kdeg*(1 + S), R(t) = Rss + (R0 - Rss)*exp(-k't), Rss = ksyn/k', and the
effect is E = Emax*C/(EC50 + C)*R/R0; after washout R relaxes back to R0
with rate kdeg.  Every metric below is checked against these formulas.
"""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from receptorkin.dosing import apply_regimen, parse_exposures, parse_regimen, simulate_regimen
from receptorkin.errors import ModelError, RegimenError
from receptorkin.simulation import Simulator


@pytest.fixture(scope="module")
def turnover():
    return Simulator("turnover_tolerance")


@pytest.fixture(scope="module")
def p(turnover):
    q = turnover.parameters
    q["R0"] = q["k_synthesis"] / q["k_degradation"]
    return q


def _kprime(p, c):
    return p["k_degradation"] * (1 + p["S_max"] * c / (p["SC50"] + c))


def _r_exposed(p, c, t, r_start):
    k = _kprime(p, c)
    rss = p["k_synthesis"] / k
    return rss + (r_start - rss) * np.exp(-k * t)


def _r_washout(p, t, r_start):
    return p["R0"] + (r_start - p["R0"]) * np.exp(-p["k_degradation"] * t)


def test_exposure_then_washout_metrics(turnover, p):
    C, T, H = 100.0, 24.0, 72.0  # nM, h, h
    res = simulate_regimen(turnover, f"exposure:{C:g}nM@0-{T:g}h", f"{H:g}h")
    m = res.metrics
    e0 = p["E_max"] * C / (p["EC50"] + C)
    k = _kprime(p, C)
    rss = p["k_synthesis"] / k
    r_T = _r_exposed(p, C, T, p["R0"])
    # integral of E over the exposure (E = 0 after washout)
    auc = e0 / p["R0"] * (rss * T + (p["R0"] - rss) * (1 - math.exp(-k * T)) / k)
    assert m["response_auc"] == pytest.approx(auc, rel=1e-6)
    assert m["mean_response"] == pytest.approx(auc / H, rel=1e-6)
    assert m["first_dose_response"] == pytest.approx(e0, rel=1e-9)
    assert m["surface_receptor_nadir"] == pytest.approx(r_T / p["R0"], rel=1e-6)
    assert m["surface_receptor_final"] == pytest.approx(_r_washout(p, H - T, r_T) / p["R0"], rel=1e-6)
    # half the first response: R/R0 = 1/2
    t_half = -math.log((0.5 * p["R0"] - rss) / (p["R0"] - rss)) / k
    assert m["effect_threshold"] == pytest.approx(0.5 * e0, rel=1e-9)
    assert m["time_above_threshold"] == pytest.approx(t_half, rel=1e-3)  # linear between output points
    # back within 10 % of R0 after washout
    t_rec = math.log((p["R0"] - r_T) / (0.1 * p["R0"])) / p["k_degradation"]
    assert m["recovery_time"] == pytest.approx(t_rec, rel=1e-4)
    assert m["mean_concentration"] == pytest.approx(C * T / H, rel=1e-12)
    assert m["concentration_auc"] == pytest.approx(C * T, rel=1e-12)
    assert m["n_doses"] == 1 and math.isnan(m["tolerance_ratio"])  # one dose that has ended


def test_tolerance_ratio_of_repeated_exposures(turnover, p):
    C = 100.0
    res = simulate_regimen(turnover, "pulses:every=24h,width=12h,dose=100nM,count=3", "72h")
    e0 = p["E_max"] * C / (p["EC50"] + C)
    r = p["R0"]
    expected = []
    for _ in range(3):
        expected.append(e0 * r / p["R0"])  # the response peaks as each exposure starts
        r = _r_washout(p, 12.0, _r_exposed(p, C, 12.0, r))
    assert_allclose(res.dose_times, [0, 24, 48])
    assert_allclose(res.dose_responses, expected, rtol=1e-6)
    assert res.metrics["tolerance_ratio"] == pytest.approx(expected[-1] / expected[0], rel=1e-6)
    # read 1 h after each dose instead of the peak
    res1 = simulate_regimen(turnover, "pulses:every=24h,width=12h,dose=100nM,count=3", "72h", readout="1h")
    r = p["R0"]
    at_1h = []
    for _ in range(3):
        at_1h.append(e0 * _r_exposed(p, C, 1.0, r) / p["R0"])
        r = _r_washout(p, 12.0, _r_exposed(p, C, 12.0, r))
    assert_allclose(res1.dose_responses, at_1h, rtol=1e-6)


def test_continuous_exposure_tolerance_is_final_over_first(turnover, p):
    C, H = 100.0, 48.0
    res = simulate_regimen(turnover, "exposure:100nM@0-", "48h")
    r_H = _r_exposed(p, C, H, p["R0"])
    assert res.metrics["tolerance_ratio"] == pytest.approx(r_H / p["R0"], rel=1e-6)
    # the input is still on at the horizon: recovery is followed beyond it
    t_rec = math.log((p["R0"] - r_H) / (0.1 * p["R0"])) / p["k_degradation"]
    assert res.metrics["recovery_time"] == pytest.approx(t_rec, rel=2e-3)
    # ... and the simulator is left at the horizon, as the regimen left it
    assert turnover.time == pytest.approx(H)
    assert_allclose(turnover.state(), res.final_state, rtol=1e-12)
    assert turnover.get("drug") == C


def test_last_dose_cut_by_the_horizon_is_not_measured(turnover):
    res = simulate_regimen(turnover, "pulses:every=24h,width=12h,dose=100nM", "49h")
    assert res.metrics["n_doses"] == 3 and math.isnan(res.dose_responses[-1])
    assert res.metrics["last_dose_response"] == pytest.approx(res.dose_responses[1])


def test_dose_at_time_zero_counts_in_vitro(turnover):
    tc = simulate_regimen(turnover, "exposure:5nM@0-1h", "2h").timecourse
    assert tc["drug"].iloc[0] == 5.0
    assert tc["drug"].iloc[-1] == 0.0


def test_no_drug_leaves_everything_at_baseline(turnover):
    m = simulate_regimen(turnover, "none", "24h").metrics
    assert m["mean_response"] == 0 and m["surface_receptor_final"] == pytest.approx(1.0, rel=1e-9)
    assert m["recovery_time"] == 0 and m["n_doses"] == 0 and math.isnan(m["tolerance_ratio"])


def test_pretreatment_leaves_the_state_for_a_challenge(trafficking_sim):
    sim = trafficking_sim
    apply_regimen(sim, parse_exposures("100nM@0-4h"), "4h")
    assert sim.time == pytest.approx(240.0)
    assert sim.get("ligand") == 0.0  # washed out exactly at 4 h
    pre = sim.state()
    direct = sim.timecourse("4h", 2, values={"ligand": 100.0}).iloc[-1]
    assert_allclose(pre, [direct[s] for s in sim.species], rtol=1e-7)
    # the challenge continues from it
    after = sim.dose_response([1.0, 10.0], readout="10min", observable="surface_receptor", initial=pre)
    naive = sim.dose_response([1.0, 10.0], readout="10min", observable="surface_receptor")
    assert np.all(after["surface_receptor"].to_numpy() < naive["surface_receptor"].to_numpy())


def test_continue_without_reset(trafficking_sim):
    sim = trafficking_sim
    one = apply_regimen(sim, "exposure:10nM@0-2h", "2h", selections=["C"])
    two_steps = apply_regimen(sim, "exposure:10nM@0-1h", "1h", selections=["C"])
    rest = apply_regimen(sim, "exposure:10nM@0-1h", "1h", selections=["C"], reset=False)
    assert sim.time == pytest.approx(120.0)
    assert rest["C"].iloc[-2] == pytest.approx(one["C"].iloc[-2], rel=1e-7)
    assert two_steps.index[-1] == 60.0


def test_bad_simulation_input(turnover):
    with pytest.raises(RegimenError, match="horizon must be a positive time"):
        simulate_regimen(turnover, "none", 0)
    with pytest.raises(ModelError, match="unknown output 'surface_receptr'"):
        simulate_regimen(turnover, "none", "1h", receptor="surface_receptr")
    with pytest.raises(RegimenError, match="recovery_band"):
        simulate_regimen(turnover, "none", "1h", recovery_band=1.5)
    with pytest.raises(RegimenError, match="unknown kind"):
        simulate_regimen(turnover, "pill:10mg", "1h")


def test_segments_use_a_local_clock_without_solver_chatter(capfd):
    """Regression: restarting CVODE at a large absolute time printed 't + h = t' warnings on stdout."""
    sim = Simulator("gnrh_pulsatile")
    simulate_regimen(sim, "pulses:every=90min,width=6min,dose=10nM", "2d")
    out, err = capfd.readouterr()
    assert "t + h = t" not in out + err


def test_regimen_text_equals_parsed(turnover):
    a = simulate_regimen(turnover, "pulses:every=12h,width=1h,dose=50nM", "3d").metrics
    b = simulate_regimen(turnover, parse_regimen("pulses:every=12h,width=1h,dose=50nM"), "3d").metrics
    assert a == b
