"""moderator_feedback: nonlinear feedback-moderator model (Gabrielsson & Peletier 2008, case I).

Paper form:  dR/dt = kin*(1 + S(C))/M^p - kout*R,   dM/dt = ktol*(R - M)
Baseline:    R0 = M0 = (kin/kout)^(1/(1+p))   (the model is parameterized by R0)
Under drug:  Rss = Mss = (kin*(1 + S)/kout)^(1/(1+p)) = R0*(1 + S)^(1/(1+p))

Defaults: R0 = 1e4, kout = 1 /h, ktol = 0.1 /h, p = 1, Smax = 4, SC50 = 10 nM.
At C = 50 nM, S = 4*50/60 = 10/3 and 1 + S = 13/3:
    p = 1: Rss = 1e4*sqrt(13/3)      = 20816.660
    p = 2: Rss = 1e4*(13/3)^(1/3)    = 16303.244
Bounds derived from the equations (M rises monotonically from M0 toward Mss
during the drug, and falls from Mss after it):
    overshoot: Rss < max R < R0*(1 + S) = 43333.3
    rebound:   R0*(1 + S)^(-p/(1+p)) = 4803.8 < min R < R0
Initial slope: dR/dt(0+) = kout*R0*S = 33333.3 receptors/h.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.integrate import solve_ivp

from receptorkin.models import load_model
from receptorkin.simulation import Simulator

MODEL = "moderator_feedback"
R0, KOUT, KTOL = 1e4, 1.0, 0.1
S = 10.0 / 3.0


@pytest.fixture(scope="module")
def sim():
    return Simulator(MODEL)


def test_metadata():
    m = load_model(MODEL)
    assert m.ligand == "drug"
    for obs in ("surface_receptor", "total_receptor", "occupancy", "response"):
        assert obs in m.observables
    assert any("10.1208/s12248-008-9007-x" in r.uri for r in m.references)


def test_baseline_is_kin_over_kout_to_the_one_over_one_plus_p():
    for p in (1.0, 2.0, 0.5):
        sim = Simulator(MODEL)
        sim.set(p=p)
        kin = KOUT * R0 ** (1.0 + p)                     # the paper's kin for this R0
        ss = sim.steady_state(values={"drug": 0.0})
        assert_allclose(ss["R"], (kin / KOUT) ** (1.0 / (1.0 + p)), rtol=1e-9)
        assert_allclose(ss["M"], ss["R"], rtol=1e-9)


@pytest.mark.parametrize("p, expected", [(1.0, 20816.660), (2.0, 16303.244)])
def test_steady_state_under_constant_drug(p, expected):
    sim = Simulator(MODEL)
    sim.set(p=p)
    ss = sim.steady_state(values={"drug": 50.0})
    assert_allclose(ss["R"], expected, rtol=1e-7)
    assert_allclose(ss["M"], expected, rtol=1e-7)
    assert_allclose(ss["R"], R0 * (1.0 + S) ** (1.0 / (1.0 + p)), rtol=1e-9)


def test_matches_the_paper_form_integrated_independently(sim):
    p = 1.0
    kin = KOUT * R0 ** (1.0 + p)

    def rhs(t, y):
        r, m = y
        return [kin * (1.0 + S) / m ** p - KOUT * r, KTOL * (r - m)]

    t = np.linspace(0.0, 48.0, 49)
    ref = solve_ivp(rhs, (0.0, 48.0), [R0, R0], t_eval=t, rtol=1e-10, atol=1e-8, method="LSODA")
    df = sim.timecourse(times=t, values={"drug": 50.0}, selections=["R", "M"])
    assert_allclose(df["R"].to_numpy(), ref.y[0], rtol=1e-6)
    assert_allclose(df["M"].to_numpy(), ref.y[1], rtol=1e-6)


def test_overshoot_during_drug(sim):
    df = sim.timecourse(times=np.linspace(0.0, 72.0, 7201), values={"drug": 50.0}, selections=["R"])
    r = df["R"]
    r_ss = 20816.660
    assert r_ss * 1.3 < r.max() < R0 * (1.0 + S)      # a clear overshoot, below the no-feedback ceiling
    assert_allclose(r.iloc[-1], r_ss, rtol=1e-3)     # partial tolerance: settles at Rss
    # initial slope kout*R0*S
    assert_allclose((r.iloc[1] - r.iloc[0]) / 0.01, 33333.3, rtol=2e-2)


def test_rebound_after_stopping(sim):
    ss = sim.steady_state(values={"drug": 50.0})
    df = sim.timecourse(times=np.linspace(0.0, 96.0, 9601), values={"drug": 0.0}, initial=ss, selections=["R"])
    r = df["R"]
    lower = R0 * (1.0 + S) ** (-0.5)                    # 4803.8 for p = 1
    assert lower < r.min() < 0.7 * R0                   # rebound of more than 30% below baseline
    assert_allclose(r.iloc[-1], R0, rtol=1e-3)          # and back to baseline


def test_numerically_healthy_at_a_high_dose(sim):
    df = sim.timecourse(24.0, n_points=97, values={"drug": 1e5})
    assert np.all(np.isfinite(df.to_numpy()))
    assert (df[["R", "M"]] > 0).all().all()
