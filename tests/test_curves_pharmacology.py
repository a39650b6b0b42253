"""Operational model (Black & Leff 1983) and Gaddum/Schild analysis: analytic checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from receptorkin.curves import (
    dose_ratio,
    fit_curve,
    fit_operational,
    fit_schild,
    get_model,
    operational_ec50,
    operational_emax,
    operational_response,
    schild_ec50,
)

A = np.array([0.0, 1e-10, 3e-10, 1e-9, 3e-9, 1e-8, 3e-8, 1e-7, 3e-7, 1e-6, 3e-6, 1e-5, 3e-5, 1e-4])
KA, EM = 1e-6, 100.0


@pytest.mark.parametrize("tau", [0.3, 3.0, 30.0, 1e3, 1e6])
def test_operational_n1_is_hyperbolic_with_ec50_ka_over_1_plus_tau(tau):
    ec50 = KA / (1 + tau)
    np.testing.assert_allclose(operational_ec50(KA, tau), ec50, rtol=1e-12)
    np.testing.assert_allclose(operational_emax(EM, tau), EM * tau / (1 + tau), rtol=1e-12)
    np.testing.assert_allclose(operational_response(ec50, EM, KA, tau), 0.5 * EM * tau / (1 + tau), rtol=1e-12)
    x = np.logspace(-12, -3, 50)
    np.testing.assert_allclose(operational_response(x, EM, KA, tau),
                               EM * tau / (1 + tau) * x / (ec50 + x), rtol=1e-12)


def test_large_tau_gives_a_full_agonist():
    tau = 1e6
    assert operational_emax(EM, tau) == pytest.approx(EM, rel=1e-5)
    assert operational_ec50(KA, tau) == pytest.approx(KA / tau, rel=1e-5)
    m = get_model("operational")
    np.testing.assert_allclose(m.evaluate(A, basal=0, Em=EM, KA=KA, tau=3.0, n=1.0),
                               operational_response(A, EM, KA, 3.0), rtol=1e-12)


def test_operational_ec50_for_slope_n():
    for n in (0.7, 1.0, 2.0):
        ec50 = operational_ec50(KA, 5.0, n)
        top = operational_emax(EM, 5.0, n)
        np.testing.assert_allclose(operational_response(ec50, EM, KA, 5.0, n), top / 2, rtol=1e-10)


def furchgott_data(taus, noise=0.0, seed=0, n=1.0):
    rng = np.random.default_rng(seed)
    rows = []
    for cond, tau in taus.items():
        for a in A:
            y = operational_response(a, EM, KA, tau, n) + noise * rng.standard_normal()
            rows.append({"condition": cond, "dose": a, "response": y})
    return pd.DataFrame(rows)


TAUS = {"0h": 30.0, "1h": 10.0, "4h": 3.0, "24h": 0.5}


def test_furchgott_global_fit_recovers_ka_and_tau_noise_free():
    r = fit_operational(furchgott_data(TAUS), fixed={"n": 1.0, "basal": 0.0})
    p = {c: r.parameters(c) for c in r.curves}
    for cond, tau in TAUS.items():
        np.testing.assert_allclose(p[cond]["tau"], tau, rtol=1e-6)
        np.testing.assert_allclose(p[cond]["KA"], KA, rtol=1e-6)
        np.testing.assert_allclose(p[cond]["Em"], EM, rtol=1e-6)
    frac = r.parameter_ratio("tau")
    np.testing.assert_allclose(frac.estimate, [t / TAUS["0h"] for t in TAUS.values()], rtol=1e-6)
    shift = r.shift_table()
    np.testing.assert_allclose(shift.ec50, [KA / (1 + t) for t in TAUS.values()], rtol=1e-6)
    np.testing.assert_allclose(shift.fold_shift, [(1 + TAUS["0h"]) / (1 + t) for t in TAUS.values()], rtol=1e-6)
    emax = [t / (1 + t) for t in TAUS.values()]
    np.testing.assert_allclose(shift.emax_percent, [100 * e / emax[0] for e in emax], rtol=1e-6)
    # receptor loss first shifts the EC50 right with little Emax loss, then lowers Emax
    assert shift.emax_loss_percent.iloc[1] < 10 < shift.emax_loss_percent.iloc[3]
    assert (np.diff(shift.ec50) > 0).all()


def test_furchgott_fit_with_noise_and_free_slope():
    r = fit_operational(furchgott_data(TAUS, noise=1.0, seed=4))
    assert r.converged
    t = r.table.set_index(["curve", "parameter"])
    for (cond, pname), row in t.iterrows():
        truth = {"basal": 0.0, "Em": EM, "KA": KA, "n": 1.0}.get(pname, TAUS.get(cond))
        assert abs(row.estimate - truth) < 4 * row.se, (cond, pname, row.estimate, truth, row.se)
    assert list(t.loc["(shared)"].index) == ["basal", "Em", "KA", "n"]


def schild_data(KB=1e-9, s=1.0, ec50=1e-8, levels=(0.0, 1e-9, 1e-8, 1e-7, 1e-6), hill=1.0, noise=0.0, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for B in levels:
        ec = schild_ec50(ec50, B, -np.log10(KB), s)
        for a in np.logspace(-10, -3, 15):
            y = 5 + 95 / (1 + (ec / a) ** hill) + noise * rng.standard_normal()
            rows.append({"antagonist": B, "dose": a, "response": y})
    return pd.DataFrame(rows)


def test_schild_competitive_antagonism_noise_free():
    """EC50' = EC50 (1 + B/KB): the global fit gives slope 1 and pA2 = -log10 KB."""
    KB = 3e-9
    r = fit_schild(schild_data(KB=KB))
    p = r.parameters(r.curves[0])
    np.testing.assert_allclose(p["s"], 1.0, rtol=1e-6)
    np.testing.assert_allclose(p["pA2"], -np.log10(KB), rtol=1e-8)
    np.testing.assert_allclose(p["EC50"], 1e-8, rtol=1e-6)
    np.testing.assert_allclose(dose_ratio(1e-7, p["pA2"], p["s"]), 1 + 1e-7 / KB, rtol=1e-6)
    eds = r.ed(50)
    levels = [float(c) for c in r.curves]
    np.testing.assert_allclose(eds.estimate, [1e-8 * (1 + B / KB) for B in levels], rtol=1e-6)


def test_schild_slope_and_pa2_with_se_from_noisy_data():
    r = fit_schild(schild_data(KB=1e-9, s=0.8, noise=1.5, seed=9))
    t = r.table.set_index("parameter")
    assert abs(t.loc["s", "estimate"] - 0.8) < 4 * t.loc["s", "se"]
    assert abs(t.loc["pA2", "estimate"] - 9.0) < 4 * t.loc["pA2", "se"]
    assert 0 < t.loc["pA2", "se"] < 0.5
    constrained = fit_schild(schild_data(KB=1e-9, noise=1.5, seed=9), fixed={"s": 1.0})
    assert "s" not in constrained.names
    np.testing.assert_allclose(constrained.parameters(constrained.curves[0])["pA2"], 9.0, atol=0.1)


def test_schild_model_through_fit_curve_with_named_covariate_column():
    df = schild_data().rename(columns={"antagonist": "B_molar"})
    r = fit_curve(df, "schild", curve="B_molar", covariates={"antagonist": "B_molar"})
    np.testing.assert_allclose(r.parameters(r.curves[0])["pA2"], 9.0, rtol=1e-8)
