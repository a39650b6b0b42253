"""precursor_pool: precursor-pool tolerance and rebound (Sharma, Ebling & Jusko 1998).

dP/dt = k0 - kp*(1 + S(C))*P
dR/dt = kp*(1 + S(C))*P - kout*R,     S(C) = Smax*C/(SC50 + C)

With C constant the system is linear and solvable by hand.  Defaults:
k0 = 15000 receptors/h, kp = 0.5 /h, kout = 1.5 /h, Smax = 4, SC50 = 10 nM.

    P0 = k0/kp = 30000,  R0 = k0/kout = 10000
    C = 50 nM:  S = 4*50/60 = 10/3,  k = kp*(1 + S) = 13/6 /h
    onset (from baseline):
        R(t) = R0 + k0*S/(kout - k) * (exp(-k t) - exp(-kout t))
        peak at t* = ln(kout/k)/(kout - k) = 0.551587 h,  R(t*) = 20089.07
        steady state: R = k0/kout = R0 (complete tolerance), P = k0/(kp(1 + S)) = 6923.077
    washout (from the drug steady state):
        R(t) = R0 - k0*S/((1 + S)(kout - kp)) * (exp(-kp t) - exp(-kout t))
        nadir at t = ln(kout/kp)/(kout - kp) = ln 3 = 1.098612 h,  R = 5558.844 (rebound)
"""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from receptorkin.models import load_model
from receptorkin.simulation import Simulator

MODEL = "precursor_pool"
K0, KP, KOUT = 15000.0, 0.5, 1.5
S = 10.0 / 3.0
K = KP * (1.0 + S)


@pytest.fixture(scope="module")
def sim():
    return Simulator(MODEL)


def test_metadata():
    m = load_model(MODEL)
    assert m.ligand == "drug"
    for obs in ("surface_receptor", "total_receptor", "occupancy", "response"):
        assert obs in m.observables


def test_drug_free_baseline(sim):
    ss = sim.steady_state(values={"drug": 0.0})
    assert_allclose(ss["P"], K0 / KP, rtol=1e-9)      # 30000
    assert_allclose(ss["R"], K0 / KOUT, rtol=1e-9)    # 10000
    assert_allclose(ss["response"], 1.0, rtol=1e-9)


def test_steady_state_under_drug_returns_to_baseline(sim):
    ss = sim.steady_state(values={"drug": 50.0})
    assert_allclose(ss["R"], 10000.0, rtol=1e-8)      # k0/kout, independent of C
    assert_allclose(ss["P"], 6923.076923, rtol=1e-8)  # k0/(kp(1 + S))
    # and for any other dose
    ss2 = sim.steady_state(values={"drug": 3.0})
    assert_allclose(ss2["R"], 10000.0, rtol=1e-8)
    assert_allclose(ss2["P"], K0 / (KP * (1.0 + 4.0 * 3.0 / 13.0)), rtol=1e-8)


def test_onset_overshoot_then_tolerance(sim):
    t = np.array([0.0, 0.25, 0.551587, 1.0, 2.0, 4.0, 8.0, 24.0])
    df = sim.timecourse(times=t, values={"drug": 50.0}, selections=["R", "P"])
    expected = 10000.0 + K0 * S / (KOUT - K) * (np.exp(-K * t) - np.exp(-KOUT * t))
    assert_allclose(df["R"].to_numpy(), expected, rtol=1e-6)
    # peak value and time, from the closed form
    assert_allclose(df["R"].iloc[2], 20089.07, rtol=1e-6)
    fine = sim.timecourse(times=np.linspace(0.0, 3.0, 3001), values={"drug": 50.0}, selections=["R"])
    assert_allclose(fine["R"].idxmax(), math.log(KOUT / K) / (KOUT - K), atol=1e-3)
    # tolerance: back to within 0.1% of baseline by 24 h while the drug is still there
    assert abs(df["R"].iloc[-1] / 10000.0 - 1.0) < 1e-3


def test_rebound_below_baseline_after_washout(sim):
    ss = sim.steady_state(values={"drug": 50.0})
    t = np.array([0.0, 0.5, math.log(3.0), 3.0, 6.0, 12.0])
    df = sim.timecourse(times=t, values={"drug": 0.0}, initial=ss, selections=["R"])
    amp = K0 * S / ((1.0 + S) * (KOUT - KP))
    expected = 10000.0 - amp * (np.exp(-KP * t) - np.exp(-KOUT * t))
    assert_allclose(df["R"].to_numpy(), expected, rtol=1e-6)
    assert_allclose(df["R"].iloc[2], 5558.844, rtol=1e-6)  # nadir: 44% below baseline
    assert (df["R"].iloc[1:] < 10000.0).all()


def test_numerically_healthy_at_a_high_dose(sim):
    df = sim.timecourse(24.0, n_points=97, values={"drug": 1e5})
    assert np.all(np.isfinite(df.to_numpy()))
    assert (df[["P", "R"]] > 0).all().all()
