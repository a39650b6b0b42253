"""ampa_ltp: single-spine AMPA receptor trafficking (Earnshaw & Bressloff 2006 structure).

Linear system, receptors per spine, minutes:

    dC/dt = delta - (s + kp)*C + ke*E                       pool
    dE/dt = s*C - (ke + kin + kn)*E + kout*P + kn*Ed        extrasynaptic spine membrane
    dP/dt = kin*E - (kout + kb)*P + ku*Q                    free PSD receptors
    dQ/dt = kb*P - ku*Q                                     scaffold-bound PSD receptors
    s = k_exo*(1 + fmax*B/(EC50 + B)),  B = BDNF [nM]

Steady state, solved by hand (binding and hopping fluxes balance):

    Q = (kb/ku)*P,   P = (kin/kout)*E,   C = (delta + ke*E)/(s + kp)
    E = (s*delta + kn*Ed*(kp + s)) / (ke*kp + kn*(kp + s))

Defaults (s = 0.05, ke = 0.3, kin = 0.6, kout = 1, kb = 0.0158333, ku = 0.02,
kn = 0.1, Ed = 10, kp = 0.0231707, delta = 9.95122):

    E = (0.05*9.95122 + 0.1*10*0.0731707)/(0.3*0.0231707 + 0.1*0.0731707) = 0.5707317/0.0142683 = 40.000
    P = 24.000, Q = 19.000, synaptic P + Q = 43.000, C = 21.95122/0.0731707 = 300.00

With endocytosis blocked (ke = 0): E = Ed + s*delta/(kn*(s + kp)) = 10 + 68.000 = 78.000,
synaptic = 78*0.6*(1 + 0.791667) = 83.85 (Earnshaw & Bressloff 2006, Fig. 3B: ~84).

Published behaviours (Earnshaw & Bressloff 2006, Fig. 3; Luscher et al. 1999):
blocking exocytosis almost halves the synaptic receptors in < 10 min;
blocking endocytosis nearly doubles them within 1 h.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.linalg import expm

from receptorkin.models import load_model
from receptorkin.simulation import Simulator

MODEL = "ampa_ltp"
SPECIES = ["C", "E", "P", "Q"]
BASAL = 43.0


@pytest.fixture(scope="module")
def sim():
    return Simulator(MODEL)


def rate_matrix(p, exo=None, endo=None, bdnf=0.0):
    s = p["k_exo"] * (1 + p["exo_fold_max"] * bdnf / (p["EC50_bdnf"] + bdnf)) if exo is None else exo
    ke = p["k_endo"] if endo is None else endo
    kin, kout, kb, ku, kn, kp = p["k_hop_in"], p["k_hop_out"], p["k_bind"], p["k_unbind"], p["k_neck"], p["k_pool_export"]
    A = np.array([[-(s + kp), ke, 0.0, 0.0],
                  [s, -(ke + kin + kn), kout, 0.0],
                  [0.0, kin, -(kout + kb), ku],
                  [0.0, 0.0, kb, -ku]])
    b = np.array([p["delta"], kn * p["E_dend"], 0.0, 0.0])
    return A, b


def test_metadata():
    m = load_model(MODEL)
    assert m.ligand == "bdnf"
    assert m.time_unit == "min"
    for obs in ("synaptic_receptor", "surface_receptor", "total_receptor", "response"):
        assert obs in m.observables
    assert any("10.1523/JNEUROSCI.3601-06.2006" in r.uri for r in m.references)


def test_basal_steady_state_is_analytic(sim):
    ss = sim.steady_state(values={"bdnf": 0.0})
    assert_allclose(ss["E"], 40.0, rtol=1e-5)
    assert_allclose(ss["P"], 24.0, rtol=1e-5)
    assert_allclose(ss["Q"], 19.0, rtol=1e-5)
    assert_allclose(ss["C"], 300.0, rtol=1e-5)
    assert_allclose(ss["synaptic_receptor"], BASAL, rtol=1e-5)
    assert_allclose(ss["response"], 1.0, rtol=1e-5)
    # the closed form for any parameters: BDNF 10 nM and a faster neck
    p = dict(sim.parameters)
    other = Simulator(MODEL)
    other.set(k_neck=0.3)
    p["k_neck"] = 0.3
    ss2 = other.steady_state(values={"bdnf": 10.0}, selections=SPECIES + ["synaptic_receptor", "synaptic_receptor_steady"])
    s = p["k_exo"] * (1 + p["exo_fold_max"] * 10.0 / (p["EC50_bdnf"] + 10.0))
    E = (s * p["delta"] + p["k_neck"] * p["E_dend"] * (p["k_pool_export"] + s)) / (
        p["k_endo"] * p["k_pool_export"] + p["k_neck"] * (p["k_pool_export"] + s))
    P = E * p["k_hop_in"] / p["k_hop_out"]
    assert_allclose(ss2["E"], E, rtol=1e-9)
    assert_allclose(ss2["P"], P, rtol=1e-9)
    assert_allclose(ss2["Q"], P * p["k_bind"] / p["k_unbind"], rtol=1e-9)
    assert_allclose(ss2["C"], (p["delta"] + p["k_endo"] * E) / (s + p["k_pool_export"]), rtol=1e-9)
    assert_allclose(ss2["synaptic_receptor"], ss2["synaptic_receptor_steady"], rtol=1e-9)


def test_time_course_is_the_matrix_exponential(sim):
    # linear ODE: x(t) = x* + expm(A t)(x0 - x*), with A written by hand above
    p = sim.parameters
    A, b = rate_matrix(p, bdnf=5.0)
    xs = np.linalg.solve(A, -b)
    t = np.array([0.0, 1.0, 5.0, 20.0, 60.0, 240.0])
    df = sim.timecourse(times=t, values={"bdnf": 5.0}, selections=SPECIES)
    x0 = df[SPECIES].iloc[0].to_numpy()                # the basal state (300, 40, 24, 19 to 1e-5)
    assert_allclose(x0, [300.0, 40.0, 24.0, 19.0], rtol=1e-5)
    expected = np.array([xs + expm(A * ti) @ (x0 - xs) for ti in t])
    assert_allclose(df[SPECIES].to_numpy(), expected, rtol=1e-6, atol=1e-6)


def basal(sim):
    ss = sim.steady_state(values={"bdnf": 0.0})
    return {s: float(ss[s]) for s in SPECIES}


def test_blocking_exocytosis_halves_synaptic_receptors_within_10_min(sim):
    # (a rate override also changes the analytic initial state, so start from the basal one)
    t = np.array([0.0, 5.0, 10.0, 60.0, 1440.0])
    df = sim.timecourse(times=t, values={"k_exo": 0.0}, initial=basal(sim), selections=["synaptic_receptor", "P", "Q"])
    frac = df["synaptic_receptor"].to_numpy() / BASAL
    assert 0.40 < frac[2] < 0.55                       # measured 0.51 at 10 min
    assert np.all(np.diff(frac) < 0)
    # the loss is the free receptors: the bound ones are mostly still there at 10 min
    assert df["P"].iloc[2] / 24.0 < 0.2 and df["Q"].iloc[2] / 19.0 > 0.8


def test_blocking_endocytosis_nearly_doubles_them_within_1_h(sim):
    t = np.array([0.0, 30.0, 60.0, 240.0, 2000.0])
    df = sim.timecourse(times=t, values={"k_endo": 0.0}, initial=basal(sim), selections=["synaptic_receptor"])
    frac = df["synaptic_receptor"].to_numpy() / BASAL
    assert 1.7 < frac[2] < 2.05                        # measured 1.90 at 60 min
    assert_allclose(df["synaptic_receptor"].iloc[-1], 83.85, rtol=2e-3)   # new steady state ~84
    ss = sim.steady_state(values={"k_endo": 0.0})
    assert_allclose(ss["E"], 10.0 + 0.05 * 9.95122 / (0.1 * (0.05 + 0.0231707)), rtol=1e-5)


def test_bdnf_potentiates_by_raising_exocytosis(sim):
    doses = [0.0, 0.1, 0.4, 2.0, 10.0]
    syn = [sim.steady_state(values={"bdnf": d})["synaptic_receptor"] for d in doses]
    assert np.all(np.diff(syn) > 0)
    assert syn[-1] / BASAL > 1.5
    df = sim.timecourse(times=[0.0, 30.0], values={"bdnf": 10.0}, selections=["synaptic_receptor"])
    assert df["synaptic_receptor"].iloc[-1] / BASAL > 1.5   # within 30 min (LTP-like)
