"""gnrh_pulsatile: Li & Goldbeter (1989) two-state receptor, with trafficking.

Core (Li & Goldbeter 1989, eq. 2), receptors per cell, minutes, GnRH in nM:

    R  <-> D      k1 = 0.012,  k-1 = 0.104 /min
    AR <-> AD     k2 = 0.222,  k-2 = 0.055 /min
    R + L <-> AR  K_R = 1 nM          D + L <-> AD   K_D = K_R*K2/K1 (detailed balance)
    K1 = k-1/k1 = 8.6667,  K2 = k-2/k2 = 0.24775,  c = K_R/K_D = K1/K2 = 34.98
    response = AR/total_receptor_0   (Li & Goldbeter's x: LH release)

Without trafficking the receptor is at equilibrium under constant GnRH
(gamma = L/K_R), worked by hand for gamma = 10:

    x = gamma/(1 + 1/K1 + gamma + c*gamma/K1) = 10/(1 + 0.115385 + 10 + 40.3636) = 0.194254

Ligand-free steady state with trafficking (V = 4, kc = 0.001, krec = 0.02,
kdeg = 0.005):

    F0  = V*(krec + kdeg)/(kc*kdeg)  = 20000 free surface receptors
    R0  = F0/(1 + k1/(k-1 + kc))     = 17948.718,   D0 = 2051.282
    Ri0 = kc*F0/(krec + kdeg)        = 800

Published behaviour (Li & Goldbeter 1989): continuous stimulation desensitizes
the target cell; pulses separated by long enough intervals keep it responsive;
the response as a function of the pulse interval has an optimum.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from receptorkin.models import load_model
from receptorkin.simulation import Simulator

MODEL = "gnrh_pulsatile"
SPECIES = ["R", "D", "AR", "AD", "Ri"]
PULSE = 10.0   # nM, gamma = 10
WIDTH = 6.0    # min


@pytest.fixture(scope="module")
def sim():
    return Simulator(MODEL)


@pytest.fixture(scope="module")
def baseline(sim):
    ss = sim.steady_state(values={"gnrh": 0.0})
    return {s: float(ss[s]) for s in SPECIES}


def apply_pulses(sim, state, period, width=WIDTH, amplitude=PULSE, hours=24.0, points=61):
    """Square GnRH pulses by simulating in segments; returns (state, per-cycle mean response, per-pulse peak)."""
    means, peaks = [], []
    t = 0.0
    while t < hours * 60.0 - 1e-9:
        on = sim.timecourse(times=np.linspace(0.0, width, points), values={"gnrh": amplitude}, initial=state,
                            selections=SPECIES + ["response"])
        state = {s: float(on[s].iloc[-1]) for s in SPECIES}
        off = sim.timecourse(times=np.linspace(0.0, period - width, points), values={"gnrh": 0.0}, initial=state,
                             selections=SPECIES + ["response"])
        state = {s: float(off[s].iloc[-1]) for s in SPECIES}
        area = np.trapezoid(on["response"].to_numpy(), on.index.to_numpy())
        area += np.trapezoid(off["response"].to_numpy(), off.index.to_numpy())
        means.append(area / period)
        peaks.append(float(on["response"].max()))
        t += period
    return state, np.array(means), np.array(peaks)


def test_metadata():
    m = load_model(MODEL)
    assert m.ligand == "gnrh"
    assert m.time_unit == "min"
    for obs in ("surface_receptor", "total_receptor", "occupancy", "response"):
        assert obs in m.observables
    uris = " ".join(r.uri for r in m.references)
    assert "10.1016/S0006-3495(89)82785-7" in uris and "10.1186/1742-4682-1-9" in uris


def test_ligand_free_steady_state_is_analytic(sim, baseline):
    assert_allclose(baseline["R"], 20000.0 / (1.0 + 0.012 / 0.105), rtol=1e-9)
    assert_allclose(baseline["R"], 17948.718, rtol=1e-7)
    assert_allclose(baseline["D"], 2051.282, rtol=1e-6)
    assert_allclose(baseline["Ri"], 800.0, rtol=1e-9)
    assert abs(baseline["AR"]) < 1e-6 and abs(baseline["AD"]) < 1e-6
    # the initial state is that steady state
    df = sim.timecourse(times=[0.0, 1000.0], selections=SPECIES)
    for s in ("R", "D", "Ri"):
        assert_allclose(df[s].to_numpy(), baseline[s], rtol=1e-8)


def test_detailed_balance_equilibrium_of_the_li_goldbeter_core(baseline):
    core = Simulator(MODEL)
    core.set(k_internalization=0.0, k_constitutive=0.0, k_degradation=0.0, V_synthesis=0.0)
    start = dict(baseline, Ri=0.0)
    df = core.timecourse(times=[0.0, 20000.0], values={"gnrh": PULSE}, initial=start,
                         selections=SPECIES + ["surface_receptor"])
    end = df.iloc[-1]
    total = end["surface_receptor"]
    assert_allclose(total, baseline["R"] + baseline["D"], rtol=1e-9)       # conserved
    K1, K2 = 0.104 / 0.012, 0.055 / 0.222
    c = K1 / K2
    g = PULSE / 1.0
    x = g / (1.0 + 1.0 / K1 + g + c * g / K1)
    assert_allclose(x, 0.194254, rtol=1e-5)
    assert_allclose(end["AR"] / total, x, rtol=1e-6)
    assert_allclose(end["AD"] / end["D"], PULSE / (1.0 * K2 / K1), rtol=1e-6)   # K_D = K_R*K2/K1


def test_continuous_gnrh_shuts_the_response_down(sim):
    t = np.linspace(0.0, 1440.0, 2881)
    df = sim.timecourse(times=t, values={"gnrh": PULSE}, selections=["response", "total_receptor"])
    r = df["response"].to_numpy()
    peak = r.max()
    assert t[np.argmax(r)] < 5.0                       # the response peaks within minutes ...
    assert r[120] / peak < 0.30                        # ... is down to 24 % after 1 h
    assert r[-1] / peak < 0.15                         # ... and to 11 % after 24 h
    assert df["total_receptor"].iloc[-1] / df["total_receptor"].iloc[0] < 0.6   # slow down-regulation (0.47)


def test_hourly_pulses_sustain_the_response(sim, baseline):
    _, means, peaks = apply_pulses(sim, baseline, period=60.0)
    assert len(peaks) == 24
    assert peaks[-1] / peaks[0] > 0.8                  # measured 0.89: the 24th pulse still works
    # and far better than continuous exposure at the same amplitude
    cont = sim.timecourse(times=[0.0, 1440.0], values={"gnrh": PULSE}, selections=["response"])
    assert peaks[-1] > 5 * cont["response"].iloc[-1]


def test_mean_response_has_an_interior_optimum_in_the_pulse_period(sim, baseline):
    periods = [7.0, 8.0, 10.0, 15.0, 20.0, 30.0, 45.0, 60.0, 90.0, 120.0, 180.0, 240.0]
    # mean response over the last cycle after 24 h of pulsing (periodic regime)
    mean = np.array([apply_pulses(sim, baseline, p, hours=24.0, points=31)[1][-1] for p in periods])
    best = int(np.argmax(mean))
    assert 0 < best < len(periods) - 1                 # interior optimum (at 15 min with these constants)
    assert mean[best] > 1.1 * mean[0] and mean[best] > 3 * mean[-1]
    # continuous exposure is the limit of period -> width: below the optimum too
    cont = sim.timecourse(times=[0.0, 1440.0], values={"gnrh": PULSE}, selections=["response"])
    assert mean[best] > 1.1 * cont["response"].iloc[-1]
