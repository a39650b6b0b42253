"""Curve models, derivatives, standard errors, ED values and predictions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import DATA
from receptorkin.curves import MODELS, fit_curve, get_model
from receptorkin.curves.engine import hessian_half
from receptorkin.errors import FitError

X = np.array([0.0, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0])


def direct(name, x, p):
    """The formulas written out independently (drc's parametrizations)."""
    lx = np.log(x)
    if name.startswith("LL"):
        b, c, d, e, f = p.get("b"), p.get("c", 0.0), p.get("d", 1.0), p["e"], p.get("f", 1.0)
        return c + (d - c) / (1 + np.exp(b * (lx - np.log(e)))) ** f
    if name.startswith("W1"):
        return p.get("c", 0.0) + (p["d"] - p.get("c", 0.0)) * np.exp(-np.exp(p["b"] * (lx - np.log(p["e"]))))
    if name.startswith("W2"):
        c = p.get("c", 0.0)
        return c + (p["d"] - c) * (1 - np.exp(-np.exp(p["b"] * (lx - np.log(p["e"])))))
    if name.startswith("EXD"):
        c = p.get("c", 0.0)
        return c + (p["d"] - c) * np.exp(-x / p["e"])
    if name.startswith("BC"):
        c = p.get("c", 0.0)
        return c + (p["d"] - c + p["f"] * x) / (1 + np.exp(p["b"] * (lx - np.log(p["e"]))))
    if name in ("Emax", "sigEmax", "Hill"):
        h = p.get("hill", 1.0)
        return p.get("E0", 0.0) + p["Emax"] * x ** h / (p["EC50"] ** h + x ** h)
    if name in ("sigEmax.p", "Hill.p"):
        return p.get("E0", 0.0) + p["Emax"] / (1 + 10 ** (-p["hill"] * (np.log10(x) + p["pEC50"])))
    raise KeyError(name)


TRUTH = {
    "LL.2": dict(b=1.5, e=3.0), "LL.3": dict(b=1.2, d=10.0, e=3.0), "LL.4": dict(b=-1.3, c=1.0, d=10.0, e=2.0),
    "LL.5": dict(b=1.4, c=1.0, d=10.0, e=2.0, f=0.6), "W1.3": dict(b=1.0, d=10.0, e=3.0),
    "W1.4": dict(b=1.2, c=1.0, d=9.0, e=3.0), "W2.3": dict(b=-1.0, d=10.0, e=3.0),
    "W2.4": dict(b=1.0, c=1.0, d=9.0, e=3.0), "EXD.2": dict(d=10.0, e=5.0), "EXD.3": dict(c=1.0, d=9.0, e=5.0),
    "BC.4": dict(b=2.0, d=10.0, e=5.0, f=3.0), "BC.5": dict(b=2.0, c=1.0, d=10.0, e=5.0, f=3.0),
    "Emax": dict(E0=1.0, Emax=9.0, EC50=2.0), "sigEmax": dict(E0=1.0, Emax=9.0, EC50=2.0, hill=1.5),
    "Hill": dict(Emax=9.0, EC50=2.0, hill=0.8), "sigEmax.p": dict(E0=1.0, Emax=9.0, pEC50=-0.3, hill=1.2),
    "Hill.p": dict(Emax=9.0, pEC50=-0.3, hill=1.2),
}


def test_every_empirical_model_has_a_truth_case():
    assert set(TRUTH) == {m for m in MODELS if m not in ("operational", "schild")}
    assert get_model("4PL") is get_model("LL.4")
    with pytest.raises(FitError, match="unknown curve model 'LL.9'"):
        get_model("LL.9")


@pytest.mark.parametrize("name", sorted(TRUTH))
def test_formula_matches_drc_parametrization(name):
    m = get_model(name)
    assert m.parameters == tuple(TRUTH[name])
    xp = X[X > 0]
    np.testing.assert_allclose(m.evaluate(xp, **TRUTH[name]), direct(name, xp, TRUTH[name]), rtol=1e-12)


@pytest.mark.parametrize("name", sorted(TRUTH))
def test_zero_dose_is_the_control_limit(name):
    m = get_model(name)
    y0 = m.evaluate(np.array([0.0]), **TRUTH[name])[0]
    assert np.isfinite(y0)
    np.testing.assert_allclose(y0, m.evaluate(np.array([1e-12]), **TRUTH[name])[0], rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("name", sorted(TRUTH))
def test_self_start_and_fit_recover_parameters(name):
    rng = np.random.default_rng(42)
    x = np.repeat(X, 3)
    y = get_model(name).evaluate(x, **TRUTH[name]) + 0.05 * rng.standard_normal(len(x))
    r = fit_curve(pd.DataFrame({"dose": x, "response": y}), name)
    assert r.converged
    for k, (pname, value) in enumerate(TRUTH[name].items()):
        assert r.names[k] == pname
        assert abs(r.theta[k] - value) < 4 * r.se[k], (pname, r.theta[k], value, r.se[k])


def _rss(r, theta):
    res = r.design.y - r.design.predict(theta)
    return float(res @ res)


@pytest.mark.parametrize("name", ["LL.4", "W1.4", "BC.5", "LL.5", "sigEmax"])
def test_hessian_matches_finite_differences_of_rss(name):
    rng = np.random.default_rng(3)
    x = np.repeat(X, 3)
    y = get_model(name).evaluate(x, **TRUTH.get(name)) + 0.1 * rng.standard_normal(len(x))
    r = fit_curve(pd.DataFrame({"dose": x, "response": y}), name)
    th = r.theta
    p = len(th)
    H = np.zeros((p, p))
    h = 1e-4 * np.maximum(np.abs(th), 1e-2)
    for i in range(p):
        for j in range(p):
            def f(di, dj):
                t = th.copy()
                t[i] += di
                t[j] += dj
                return _rss(r, t)
            H[i, j] = (f(h[i], h[j]) - f(h[i], -h[j]) - f(-h[i], h[j]) + f(-h[i], -h[j])) / (4 * h[i] * h[j])
    np.testing.assert_allclose(2 * hessian_half(r.design, th), H, rtol=2e-4, atol=1e-6 * np.abs(H).max())


def test_standard_errors_use_the_full_hessian_not_gauss_newton():
    r = fit_curve(DATA / "spinach.csv", "LL.4", dose="DOSE", response="SLOPE", curve="CURVE")
    J = r.design.jacobian(r.theta)
    gn = np.sqrt(np.diag(r.sigma2 * np.linalg.inv(J.T @ J)))
    assert np.max(np.abs(gn / r.se - 1)) > 1e-3  # the second-order term matters
    np.testing.assert_allclose(r.se, np.sqrt(np.diag(r.cov)))


def test_jacobian_matches_finite_differences():
    r = fit_curve(DATA / "spinach.csv", "LL.4", dose="DOSE", response="SLOPE", curve="CURVE")
    J = r.design.jacobian(r.theta)
    for k in range(r.n_parameters):
        t1, t2 = r.theta.copy(), r.theta.copy()
        h = 1e-6 * max(abs(r.theta[k]), 1e-2)
        t1[k] += h
        t2[k] -= h
        fd = (r.design.predict(t1) - r.design.predict(t2)) / (2 * h)
        np.testing.assert_allclose(J[:, k], fd, rtol=1e-6, atol=1e-9)


@pytest.fixture(scope="module")
def ll4_single():
    rng = np.random.default_rng(7)
    x = np.repeat(X, 4)
    y = get_model("LL.4").evaluate(x, b=1.1, c=0.5, d=8.0, e=2.5) + 0.2 * rng.standard_normal(len(x))
    return fit_curve(pd.DataFrame({"dose": x, "response": y}), "LL.4")


@pytest.mark.parametrize("p", [5, 10, 50, 90, 99])
def test_ll4_ed_matches_drc_closed_form_and_its_gradient(ll4_single, p):
    r = ll4_single
    b, c, d, e = r.theta
    ed_closed = e * (p / (100 - p)) ** (1 / b)
    grad = np.array([-ed_closed * np.log(p / (100 - p)) / b ** 2, 0.0, 0.0, ed_closed / e])
    row = r.ed(p).iloc[0]
    np.testing.assert_allclose(row.estimate, ed_closed, rtol=1e-10)
    np.testing.assert_allclose(row.se, np.sqrt(grad @ r.cov @ grad), rtol=1e-6)


def test_increasing_curve_ed_follows_drc_reversal():
    """drc: for b < 0 (increasing) a relative ED p uses 100 - p in e (p/(100-p))^(1/b)."""
    x = np.repeat(X, 2)
    y = get_model("LL.4").evaluate(x, b=-1.2, c=1.0, d=9.0, e=2.0) + np.tile([0.05, -0.05], len(X))
    r = fit_curve(pd.DataFrame({"dose": x, "response": y}), "LL.4")
    b, c, d, e = r.theta
    assert b < 0
    for p in (10, 90):
        q = 100 - p
        np.testing.assert_allclose(r.ed(p).estimate.iloc[0], e * (q / (100 - q)) ** (1 / b), rtol=1e-9)
    assert r.ed(10).estimate.iloc[0] < e < r.ed(90).estimate.iloc[0]


def test_weibull_ed_closed_form():
    rng = np.random.default_rng(1)
    x = np.repeat(X, 3)
    y = get_model("W1.4").evaluate(x, b=1.2, c=1.0, d=9.0, e=3.0) + 0.1 * rng.standard_normal(len(x))
    r = fit_curve(pd.DataFrame({"dose": x, "response": y}), "W1.4")
    b, c, d, e = r.theta
    for p in (10, 50, 90):
        np.testing.assert_allclose(r.ed(p).estimate.iloc[0], e * (-np.log(1 - p / 100)) ** (1 / b), rtol=1e-9)


def test_absolute_ed_inverts_the_curve(ll4_single):
    r = ll4_single
    b, c, d, e = r.theta
    level = 4.0
    row = r.ed(level, type="absolute").iloc[0]
    np.testing.assert_allclose(row.estimate, e * ((d - c) / (level - c) - 1) ** (1 / b), rtol=1e-9)
    assert row.se > 0
    assert np.isnan(r.ed(100.0, type="absolute").estimate.iloc[0])  # never reached
    with pytest.raises(FitError, match="between 0 and 100"):
        r.ed(100)


def test_bc_ed_is_beyond_the_hormetic_peak():
    rng = np.random.default_rng(5)
    x = np.repeat(X, 3)
    y = get_model("BC.5").evaluate(x, b=2.0, c=1.0, d=10.0, e=5.0, f=3.0) + 0.1 * rng.standard_normal(len(x))
    r = fit_curve(pd.DataFrame({"dose": x, "response": y}), "BC.5")
    pr = r.parameters()
    ed50 = r.ed(50).estimate.iloc[0]
    m = get_model("BC.5")
    np.testing.assert_allclose(m.evaluate(np.array([ed50]), **pr)[0], pr["c"] + 0.5 * (pr["d"] - pr["c"]), rtol=1e-9)
    grid = np.logspace(-2, np.log10(ed50), 200)
    assert m.evaluate(grid, **pr).max() > pr["d"]  # the peak lies before ED50


def test_predict_se_is_delta_method(ll4_single):
    r = ll4_single
    dose = np.array([0.0, 0.5, 2.5, 40.0])
    pred = r.predict(dose)
    b, c, d, e = r.theta
    for x0, row in zip(dose, pred.itertuples()):
        if x0 == 0:
            g = np.array([0, 0, 1, 0.0])
        else:
            u = np.exp(b * (np.log(x0) - np.log(e)))
            s = 1 / (1 + u)
            g = np.array([-(d - c) * s * s * u * np.log(x0 / e), 1 - s, s, (d - c) * s * s * u * b / e])
        np.testing.assert_allclose(row.se, np.sqrt(g @ r.cov @ g), rtol=1e-7)
    assert (pred.ci_low < pred.estimate).all() and (pred.estimate < pred.ci_high).all()


def test_confidence_intervals_are_t_based(ll4_single):
    from scipy.stats import t

    r = ll4_single
    tab = r.table
    q = t.ppf(0.975, r.df)
    np.testing.assert_allclose(tab.ci_high - tab.estimate, q * tab.se)


def test_shared_parameters_pool_and_order_like_drc():
    r = fit_curve(DATA / "spinach.csv", "LL.4", dose="DOSE", response="SLOPE", curve="CURVE", shared="b,c")
    assert r.names[:2] == ["b", "c"] and r.names[2] == "d:1"
    assert r.n_parameters == 2 + 5 + 5
    t = r.table
    assert list(t[t.parameter == "b"].curve) == ["(shared)"]
    full = fit_curve(DATA / "spinach.csv", "LL.4", dose="DOSE", response="SLOPE", curve="CURVE")
    assert r.rss >= full.rss
    d = r.to_dict()
    assert d["curves"]["3"]["parameters"]["b"]["shared"] is True
    assert d["curves"]["3"]["parameters"]["b"]["estimate"] == d["curves"]["1"]["parameters"]["b"]["estimate"]


def test_fixed_parameters_and_start_values():
    r = fit_curve(DATA / "spinach.csv", "LL.4", dose="DOSE", response="SLOPE", curve="CURVE",
                  fixed={"c": 0.0}, start={"b": 1.0})
    ll3 = fit_curve(DATA / "spinach.csv", "LL.3", dose="DOSE", response="SLOPE", curve="CURVE")
    np.testing.assert_allclose(r.rss, ll3.rss, rtol=1e-8)
    with pytest.raises(FitError, match="cannot share 'x'"):
        fit_curve(DATA / "spinach.csv", "LL.4", dose="DOSE", response="SLOPE", curve="CURVE", shared=["x"])
    with pytest.raises(FitError, match="cannot fix 'g'"):
        fit_curve(DATA / "spinach.csv", "LL.4", dose="DOSE", response="SLOPE", fixed={"g": 1})


def test_weights_from_sd_column():
    rng = np.random.default_rng(11)
    x = np.repeat(X, 3)
    sd = np.where(x > 1, 0.5, 0.1)
    y = get_model("LL.4").evaluate(x, b=1.0, c=0.0, d=5.0, e=1.0) + sd * rng.standard_normal(len(x))
    df = pd.DataFrame({"dose": x, "response": y, "sd": sd})
    w = fit_curve(df, "LL.4", sd="sd")
    u = fit_curve(df, "LL.4")
    assert w.design.weighted and not u.design.weighted
    res = (y - w.fitted) / sd
    np.testing.assert_allclose(w.rss, res @ res)
    assert not np.allclose(w.theta, u.theta)


def test_profile_interval_of_ec50_brackets_the_estimate(ll4_single):
    r = ll4_single
    lo, hi = r.profile_ed(50)
    e = r.theta[3]
    assert lo < e < hi
    np.testing.assert_allclose((lo, hi), r.profile_ci("e"), rtol=1e-6)
    # at each end the profile t statistic equals the t quantile
    from scipy.stats import t
    from receptorkin.curves.engine import solve

    k = 3
    for v in (lo, hi):
        th = r.theta.copy()
        th[k] = v
        sol = solve(r.design, th, hold=[k])
        tau = np.sqrt(sol.rss - r.rss) / r.rse
        np.testing.assert_allclose(tau, t.ppf(0.975, r.df), rtol=1e-5)


def test_profile_ed_for_pec50_models():
    rng = np.random.default_rng(2)
    x = np.repeat(X, 3)
    y = get_model("sigEmax.p").evaluate(x, **TRUTH["sigEmax.p"]) + 0.2 * rng.standard_normal(len(x))
    r = fit_curve(pd.DataFrame({"dose": x, "response": y}), "sigEmax.p")
    lo, hi = r.profile_ed(50)
    plo, phi = r.profile_ci("pEC50")
    np.testing.assert_allclose((lo, hi), (10 ** -phi, 10 ** -plo), rtol=1e-5)


def test_hessian_step_scales_with_parameter_magnitude_regression():
    """Regression: a fixed absolute floor in the second-difference step broke
    the Hessian for an EC50 of 1e-8 M; SEs must not depend on the dose unit."""
    rng = np.random.default_rng(8)
    x_nM = np.repeat(np.array([0.0, 0.1, 0.3, 1, 3, 10, 30, 100, 300]), 3)
    y = get_model("sigEmax").evaluate(x_nM, E0=2.0, Emax=50.0, EC50=10.0, hill=1.0) + rng.standard_normal(len(x_nM))
    r_nM = fit_curve(pd.DataFrame({"dose": x_nM, "response": y}), "sigEmax")
    r_M = fit_curve(pd.DataFrame({"dose": x_nM * 1e-9, "response": y}), "sigEmax")
    assert not r_M.notes
    np.testing.assert_allclose(r_M.theta * [1, 1, 1e9, 1], r_nM.theta, rtol=1e-6)
    np.testing.assert_allclose(r_M.se * [1, 1, 1e9, 1], r_nM.se, rtol=1e-5)
