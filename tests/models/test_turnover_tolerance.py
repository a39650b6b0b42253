"""turnover_tolerance: receptor-turnover tolerance (Mager, Wyska & Jusko 2003).

dR/dt = ksyn - kdeg*R*(1 + S(C)),  S(C) = Smax*C/(SC50 + C)
E     = Emax*C*(R/R0)/(EC50 + C)

With C constant the equation is linear in R, so everything below is checked
against numbers worked out by hand from the default parameters
(ksyn = 578 receptors/h, kdeg = 0.0578 /h, Smax = 4, SC50 = 20 nM,
Emax = 1, EC50 = 5 nM):

    R0          = ksyn/kdeg                  = 10000 receptors
    S(50 nM)    = 4*50/(20 + 50)             = 2.857142857
    Rss(50 nM)  = R0/(1 + S)                 = 2592.592593 receptors
    E(0+)       = 50/(5 + 50)                = 0.909090909
    E(ss)       = E(0+)*Rss/R0               = 0.235690236
    R(t)        = Rss + (R0 - Rss)*exp(-kdeg*(1 + S)*t)
"""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from receptorkin.models import load_model
from receptorkin.simulation import Simulator

MODEL = "turnover_tolerance"
C = 50.0  # nM


@pytest.fixture(scope="module")
def sim():
    return Simulator(MODEL)


def test_metadata():
    m = load_model(MODEL)
    assert m.ligand == "drug"
    assert m.time_unit == "h"
    for obs in ("surface_receptor", "total_receptor", "occupancy", "response"):
        assert obs in m.observables
    assert any("10.1124/dmd.31.5.510" in r.uri for r in m.references)


def test_drug_free_baseline_is_ksyn_over_kdeg(sim):
    ss = sim.steady_state(values={"drug": 0.0})
    assert_allclose(ss["R"], 578.0 / 0.0578, rtol=1e-9)
    assert_allclose(ss["R"], 10000.0, rtol=1e-9)
    assert ss["response"] == 0.0


def test_steady_state_under_constant_drug(sim):
    ss = sim.steady_state(values={"drug": C})
    assert_allclose(ss["loss_stimulation"], 2.857142857, rtol=1e-9)
    assert_allclose(ss["R"], 2592.592593, rtol=1e-8)
    assert_allclose(ss["response"], 0.235690236, rtol=1e-8)
    # the general formula, for another concentration and another Smax
    sim2 = Simulator(MODEL)
    sim2.set(S_max=9.0)
    ss2 = sim2.steady_state(values={"drug": 5.0})
    s = 9.0 * 5.0 / (20.0 + 5.0)
    assert_allclose(ss2["R"], 578.0 / (0.0578 * (1.0 + s)), rtol=1e-8)


def test_tolerance_time_course_is_the_analytic_exponential(sim):
    t = np.array([0.0, 1.0, 3.0, 6.0, 12.0, 24.0, 48.0, 96.0])
    df = sim.timecourse(times=t, values={"drug": C}, selections=["R", "response"])
    s = 2.857142857
    r_ss = 2592.592593
    expected = r_ss + (10000.0 - r_ss) * np.exp(-0.0578 * (1.0 + s) * t)
    assert_allclose(df["R"].to_numpy(), expected, rtol=1e-6)
    e = df["response"].to_numpy()
    assert_allclose(e[0], 0.909090909, rtol=1e-8)           # full effect at once
    assert np.all(np.diff(e) < 0)                              # then it fades: tolerance
    assert_allclose(e[-1], 0.235690236, rtol=1e-4)            # toward Emax*C*(Rss/R0)/(EC50 + C)
    # half of the loss of effect after ln 2 / (kdeg (1 + S)) = 3.107 h
    t_half = math.log(2.0) / (0.0578 * (1.0 + s))
    df_half = sim.timecourse(times=[0.0, t_half], values={"drug": C}, selections=["response"])
    assert_allclose(df_half["response"].iloc[-1], (0.909090909 + 0.235690236) / 2, rtol=1e-6)


def test_recovery_after_washout_at_basal_turnover(sim):
    ss = sim.steady_state(values={"drug": C})
    t = np.array([0.0, 6.0, 12.0, 24.0, 72.0])
    df = sim.timecourse(times=t, values={"drug": 0.0}, initial=ss, selections=["R"])
    expected = 10000.0 + (2592.592593 - 10000.0) * np.exp(-0.0578 * t)  # t1/2 = 12 h
    assert_allclose(df["R"].to_numpy(), expected, rtol=1e-6)


def test_numerically_healthy_at_a_high_dose(sim):
    df = sim.timecourse(24.0, n_points=49, values={"drug": 1e5})
    assert np.all(np.isfinite(df.to_numpy()))
    assert (df["R"] > 0).all()
    # the floor is R0/(1 + Smax) = 2000 receptors
    assert df["R"].min() > 2000.0
