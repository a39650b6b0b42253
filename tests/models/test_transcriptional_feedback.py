"""transcriptional_feedback: gene-level homologous receptor up/down-regulation.

Steady-state algebra (A = agonist + endogenous tone, B = antagonist), from
setting every derivative of the model to zero:

    KA = (koff_A + ke)/kon_A,  KB = (koff_B + kt)/kon_B
    RA = R*A/KA,  RB = R*B/KB                       (surface complexes)
    internalization flux J = kt*(R + RB) + ke*RA = (krec + kdeg)*Ri
    degradation kdeg*Ri = synthesis Phi = ktl*mRNA  => R = Phi*(krec + kdeg)/(kdeg*(kt*(1 + B/KB) + ke*A/KA))
    s = RA/(K + RA);  mRNA = Vtx*(1 - I*s)/(kmd*(1 + D*s))

which is one equation in R, solved here with a bracketing root finder — a
separate route from the model's ODEs (and from the quadratic the model uses
for its initial state).

Ligand-free cell (A = B = 0), by hand with the defaults
(Vtx = 2.31, kmd = 0.1155, ktl = 50, kins = 1, kt = 1.5, krec = 3.48, kdeg = 0.132):
    mRNA = 2.31/0.1155 = 20;  Phi = 1000 receptors/h
    surface R = 1000*3.612/(0.132*1.5) = 18242.42;  Rer = 1000;  Ri = 1000/0.132 = 7575.76
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.optimize import brentq

from receptorkin.models import load_model
from receptorkin.simulation import Simulator

MODEL = "transcriptional_feedback"


@pytest.fixture(scope="module")
def sim():
    return Simulator(MODEL)


def algebra(p, agonist=0.0, antagonist=0.0):
    """Steady state by hand (see module docstring)."""
    a = agonist + p["endogenous_agonist"]
    b = antagonist
    ka = (p["k_off_agonist"] + p["k_endocytosis"]) / p["k_on_agonist"]
    kb = (p["k_off_antagonist"] + p["k_internalization"]) / p["k_on_antagonist"]
    c = (p["k_recycling"] + p["k_degradation"]) / (
        p["k_degradation"] * (p["k_internalization"] * (1 + b / kb) + p["k_endocytosis"] * a / ka))

    def parts(r):
        ra = r * a / ka
        s = ra / (p["K_signal"] + ra)
        mrna = p["V_transcription"] * (1 - p["I_max"] * s) / (p["k_mrna_degradation"] * (1 + p["D_max"] * s))
        return s, mrna

    def f(r):
        _, mrna = parts(r)
        return r - c * p["k_translation"] * mrna

    upper = c * p["k_translation"] * p["V_transcription"] / p["k_mrna_degradation"]  # R with s = 0
    r = brentq(f, 0.0, upper * 1.000001, xtol=1e-12, rtol=1e-14) if upper > 0 else 0.0
    s, mrna = parts(r)
    phi = p["k_translation"] * mrna
    surface = r * (1 + a / ka + b / kb)
    return {"R": r, "surface_receptor": surface, "receptor_mrna": mrna, "response": s,
            "total_receptor": surface + phi / p["k_insertion"] + phi / p["k_degradation"]}


def test_metadata():
    m = load_model(MODEL)
    assert m.ligand == "agonist"
    for obs in ("surface_receptor", "total_receptor", "occupancy", "response"):
        assert obs in m.observables
    kinds = {r.uri for r in m.references}
    assert any("pnas.85.14.5021" in u for u in kinds)


def test_ligand_free_steady_state_by_hand(sim):
    ss = sim.steady_state(values={"endogenous_agonist": 0.0})
    assert_allclose(ss["mRNA"], 20.0, rtol=1e-9)
    assert_allclose(ss["R"], 18242.424242, rtol=1e-9)
    assert_allclose(ss["Rer"], 1000.0, rtol=1e-9)
    assert_allclose(ss["Ri"], 7575.757576, rtol=1e-9)
    assert_allclose(ss["total_receptor"], 26818.181818, rtol=1e-9)
    assert_allclose(ss["mrna_half_life"], np.log(2) / 0.1155, rtol=1e-9)   # 6.0 h
    # the initial state is that steady state too (analytic initial assignments)
    df = sim.timecourse(1.0, n_points=2, values={"endogenous_agonist": 0.0}, selections=["R", "mRNA"])
    assert_allclose(df["R"].iloc[0], 18242.424242, rtol=1e-9)


def test_baseline_with_endogenous_tone_matches_algebra_and_is_the_initial_state(sim):
    p = sim.parameters
    ref = algebra(p)
    ss = sim.steady_state()
    for key in ("R", "surface_receptor", "receptor_mrna", "response", "total_receptor"):
        assert_allclose(ss[key], ref[key], rtol=1e-7)
    df = sim.timecourse(240.0, n_points=3, selections=["surface_receptor", "receptor_mrna"])
    assert_allclose(df["surface_receptor"].to_numpy(), ref["surface_receptor"], rtol=1e-7)


@pytest.mark.parametrize("antagonist", [3.0, 10.0, 1000.0])
def test_antagonist_up_regulates_surface_receptors(sim, antagonist):
    p = sim.parameters
    base = algebra(p)
    ref = algebra(p, antagonist=antagonist)
    ss = sim.steady_state(values={"antagonist": antagonist})
    assert_allclose(ss["surface_receptor"], ref["surface_receptor"], rtol=1e-7)
    assert_allclose(ss["receptor_mrna"], ref["receptor_mrna"], rtol=1e-7)
    ratio = ss["surface_receptor"] / base["surface_receptor"]
    assert ratio > 1.3                          # supersensitivity: >30% more surface receptors
    assert ss["receptor_mrna"] > base["receptor_mrna"]
    # never beyond the ligand-free cell: the antagonist can only remove the tone
    assert ss["surface_receptor"] < 18242.424242 * (1 + 1e-9)


def test_saturating_antagonist_approaches_the_ligand_free_cell(sim):
    ss = sim.steady_state(values={"antagonist": 1e6})
    assert_allclose(ss["surface_receptor"], 18242.424242, rtol=1e-3)
    assert_allclose(ss["receptor_mrna"], 20.0, rtol=1e-3)


@pytest.mark.parametrize("agonist", [10.0, 100.0, 1000.0])
def test_chronic_agonist_down_regulates(sim, agonist):
    p = sim.parameters
    base = algebra(p)
    ref = algebra(p, agonist=agonist)
    ss = sim.steady_state(values={"agonist": agonist})
    assert_allclose(ss["surface_receptor"], ref["surface_receptor"], rtol=1e-7)
    assert_allclose(ss["receptor_mrna"], ref["receptor_mrna"], rtol=1e-7)
    assert_allclose(ss["total_receptor"], ref["total_receptor"], rtol=1e-7)
    assert ss["surface_receptor"] / base["surface_receptor"] < 0.25     # >75% loss of surface receptors
    assert ss["total_receptor"] / base["total_receptor"] < 0.5          # loss of receptor protein
    assert ss["receptor_mrna"] / base["receptor_mrna"] < 0.7            # mRNA falls (about -40%)
    sim_base = sim.steady_state()
    assert ss["mrna_half_life"] < sim_base["mrna_half_life"]            # agonist destabilizes the mRNA


def test_time_courses_move_in_opposite_directions(sim):
    t = [0.0, 6.0, 24.0, 72.0]
    up = sim.timecourse(times=t, values={"antagonist": 10.0}, selections=["surface_receptor", "receptor_mrna"])
    down = sim.timecourse(times=t, values={"agonist": 100.0}, selections=["surface_receptor", "receptor_mrna"])
    # mRNA leaves baseline at once in opposite directions (it may overshoot slightly
    # later, as the surface receptors and with them the tone's signal catch up)
    assert (up["receptor_mrna"].iloc[1:] > up["receptor_mrna"].iloc[0]).all()
    assert (down["receptor_mrna"].iloc[1:] < down["receptor_mrna"].iloc[0]).all()
    assert up["surface_receptor"].iloc[-1] > up["surface_receptor"].iloc[0] * 1.3
    assert down["surface_receptor"].iloc[-1] < down["surface_receptor"].iloc[0] * 0.25


def test_numerically_healthy_at_a_high_dose(sim):
    for values in ({"agonist": 1e5}, {"antagonist": 1e5}, {"agonist": 1e5, "antagonist": 1e5}):
        df = sim.timecourse(24.0, n_points=97, values=values)
        assert np.all(np.isfinite(df.to_numpy()))
        species = df[["mRNA", "Rer", "R", "RA", "RB", "Ri"]].to_numpy()
        assert species.min() > -1e-6 * species.max()
