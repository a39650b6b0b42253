"""gpcr_desensitization: beta2-adrenergic receptor desensitization and down-regulation.

Scheme (receptors per cell, minutes; A = agonist in nM):

    R  + A <-> AR            k_on, k_off = K_A*k_on
    AR  -> ARp               k_grk = ln2/70 s               (Violin et al. 2008)
    Rp + A <-> ARp           k_on, k_off
    ARp <-> ARpB             k_arrestin_on, k_arrestin_off
    Rp  -> R                 k_dephosphorylation 0.039/min  (Tran et al. 2007)
    ARpB -> Ri               k_internalization
    R   -> Ri                k_constitutive
    Ri  -> R                 k_recycling 1/11.2 min         (Morrison et al. 1996)
    Ri  ->                   k_degradation
        -> R                 V_synthesis
    E = Em*x^n/(1 + x^n),  x = tau*A/(K_A + A),  tau = (R + AR)/K_E   (Black & Leff 1983)

Numbers worked by hand from the defaults (V = 6.859593, kc = 0.016,
krec = 0.0893, kdeg = 0.004, K_A = 190 nM, K_E = 333.333333, n = 1):

    ligand-free:  R0  = V*(krec + kdeg)/(kc*kdeg) = 6.859593*0.0933/6.4e-5 = 10000.0004
                  Ri0 = kc*R0/(krec + kdeg)       = 0.016*R0/0.0933       = 1714.8982
    naive curve:  tau0 = R0/K_E = 30.0, Emax = tau0/(1 + tau0) = 0.967742,
                  EC50 = K_A/(1 + tau0) = 6.129 nM
    with V = kdeg = 0 the receptor total is conserved exactly.
"""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from receptorkin.models import load_model
from receptorkin.simulation import Simulator

MODEL = "gpcr_desensitization"
SPECIES = ["R", "AR", "ARp", "Rp", "ARpB", "Ri"]
R0 = 6.859593 * (0.0893 + 0.004) / (0.016 * 0.004)
RI0 = 0.016 * R0 / (0.0893 + 0.004)


@pytest.fixture(scope="module")
def sim():
    return Simulator(MODEL)


def _state(df_row):
    return {s: float(df_row[s]) for s in SPECIES}


def _pretreated(sim, hours, dose=1000.0):
    """State after `hours` of agonist at `dose` nM, starting from baseline."""
    df = sim.timecourse(times=[0.0, 60.0 * hours], values={"agonist": dose}, selections=SPECIES)
    return _state(df.iloc[-1])


def _curve(sim, state, doses):
    """Acute response (read at the moment of the challenge) for each dose."""
    out = []
    for d in doses:
        df = sim.timecourse(times=[0.0, 1e-3], values={"agonist": float(d)}, initial=state, selections=["response"])
        out.append(float(df["response"].iloc[0]))
    return np.array(out)


def _ec50(doses, resp):
    """Dose at half of the curve's own maximum (log interpolation)."""
    half = resp[-1] / 2
    i = int(np.argmax(resp >= half))
    return 10 ** np.interp(half, [resp[i - 1], resp[i]], np.log10([doses[i - 1], doses[i]]))


def test_metadata():
    m = load_model(MODEL)
    assert m.ligand == "agonist"
    assert m.time_unit == "min"
    for obs in ("surface_receptor", "total_receptor", "occupancy", "response", "active_receptor"):
        assert obs in m.observables
    uris = " ".join(r.uri for r in m.references)
    for ref in ("10.1074/jbc.M707009200", "10.1371/journal.pcbi.1000647", "10.1098/rspb.1983.0093"):
        assert ref in uris


def test_ligand_free_steady_state_is_analytic(sim):
    ss = sim.steady_state(values={"agonist": 0.0})
    assert_allclose(R0, 10000.0004, rtol=1e-8)
    assert_allclose(ss["R"], R0, rtol=1e-9)
    assert_allclose(ss["Ri"], RI0, rtol=1e-9)
    assert_allclose(ss["Ri"], 1714.8982, rtol=1e-7)
    for s in ("AR", "ARp", "Rp", "ARpB"):
        assert abs(ss[s]) < 1e-6
    assert ss["response"] == 0.0
    # the initial state is that steady state (so every run starts at baseline)
    df = sim.timecourse(times=[0.0, 600.0], selections=["R", "Ri"])
    assert_allclose(df["R"].to_numpy(), R0, rtol=1e-9)
    # and the formula holds for other parameter values
    other = Simulator(MODEL)
    other.set(k_recycling=0.05, k_constitutive=0.03, V_synthesis=10.0)
    ss2 = other.steady_state(values={"agonist": 0.0})
    assert_allclose(ss2["R"], 10.0 * (0.05 + 0.004) / (0.03 * 0.004), rtol=1e-9)
    assert_allclose(ss2["Ri"], 0.03 * ss2["R"] / (0.05 + 0.004), rtol=1e-9)


def test_receptor_total_is_conserved_without_synthesis_and_degradation(sim):
    start = _pretreated(sim, 0.5)  # a mixed state: every pool filled
    total0 = sum(start.values())
    closed = Simulator(MODEL)
    closed.set(V_synthesis=0.0, k_degradation=0.0)
    for dose in (1000.0, 0.0):
        df = closed.timecourse(times=np.linspace(0.0, 1440.0, 49), values={"agonist": dose}, initial=start,
                               selections=["total_receptor"])
        assert_allclose(df["total_receptor"].to_numpy(), total0, rtol=1e-8)


def test_gRK_desensitization_half_time_matches_violin(sim):
    # at saturating agonist the signalling (active) receptors fall with the
    # 70 s GRK half-time of Violin et al. (2008), slowed slightly by binding
    t = np.linspace(0.0, 5.0, 501)
    df = sim.timecourse(times=t, values={"agonist": 10000.0}, selections=["active_receptor"])
    a = df["active_receptor"].to_numpy()
    t_half = t[np.argmax(a <= 0.5 * a[0])]
    assert 70.0 / 60.0 <= t_half <= 1.5          # measured 1.25 min


def test_internalization_time_scale_matches_morrison(sim):
    # Morrison et al. (1996): ke = 0.222 /min at saturating isoproterenol, i.e. the
    # surface loss reaches half its plateau in ln2/0.222 = 3.1 min
    t = np.linspace(0.0, 30.0, 3001)
    df = sim.timecourse(times=t, values={"agonist": 10000.0}, selections=["surface_receptor"])
    s = df["surface_receptor"].to_numpy()
    t_half = t[np.argmax(s <= (s[0] + s[-1]) / 2)]
    assert abs(t_half - math.log(2) / 0.222) < 0.3        # measured 3.05 min
    assert s[1000] / s[0] < 0.35                          # surface plateau after 10 min: 31 % (Morrison ~20 %)


def test_chronic_agonist_lowers_surface_and_total_receptors(sim):
    t = [0.0, 60.0, 240.0, 1440.0]
    df = sim.timecourse(times=t, values={"agonist": 1000.0},
                        selections=["surface_receptor", "total_receptor", "active_receptor"])
    surface = df["surface_receptor"].to_numpy() / R0
    total = df["total_receptor"].to_numpy() / (R0 + RI0)
    assert np.all(np.diff(surface) < 0) and np.all(np.diff(total) < 0)
    assert surface[1] < 0.35            # 1 h: internalization (measured 0.29)
    assert surface[3] < 0.10            # 24 h: down-regulation (measured 0.074)
    assert 0.1 < total[3] < 0.35        # 24 h: 50-80 % loss of receptors (measured 0.22)
    assert df["active_receptor"].iloc[-1] / R0 < 0.05


def test_dose_response_after_pretreatment_shifts_right_then_loses_emax(sim):
    doses = np.logspace(-1, 5, 121)
    naive = _curve(sim, {"R": R0, "Ri": RI0, "AR": 0.0, "ARp": 0.0, "Rp": 0.0, "ARpB": 0.0}, doses)
    # operational model with n = 1, worked by hand: Emax = 30/31, EC50 = 190/31 nM
    assert_allclose(naive[-1], 30.0 / 31.0 * 1e5 / (1e5 + 190.0 / 31.0), rtol=1e-6)
    assert_allclose(_ec50(doses, naive), 190.0 / 31.0, rtol=0.01)
    curves = {h: _curve(sim, _pretreated(sim, h), doses) for h in (1, 4, 24)}
    ec50 = {h: _ec50(doses, c) for h, c in curves.items()}
    emax = {h: c[-1] for h, c in curves.items()}
    # 1 h: a right shift (receptor reserve absorbs the loss; Emax barely moves)
    assert ec50[1] > 4 * _ec50(doses, naive)
    assert emax[1] > 0.75
    # then, as active receptors keep falling, the maximum goes down
    assert ec50[24] > ec50[4] > ec50[1]
    assert emax[24] < emax[4] < emax[1] < naive[-1]
    assert emax[24] < 0.6


def test_washout_recovers(sim):
    base = R0
    # short exposure: resensitization by dephosphorylation and recycling, within an hour or two
    s1 = _pretreated(sim, 1)
    df = sim.timecourse(times=[0.0, 120.0], values={"agonist": 0.0}, initial=s1, selections=["active_receptor"])
    assert df["active_receptor"].iloc[0] / base < 0.2
    assert df["active_receptor"].iloc[-1] / base > 0.8
    # after 24 h the receptors must be resynthesized: recovery over hours to a day
    s24 = _pretreated(sim, 24)
    df = sim.timecourse(times=[0.0, 480.0, 1440.0, 2880.0], values={"agonist": 0.0}, initial=s24,
                        selections=["total_receptor"])
    frac = df["total_receptor"].to_numpy() / (R0 + RI0)
    assert np.all(np.diff(frac) > 0)
    assert frac[1] < 0.5 and frac[3] > 0.8
