"""Each Weibull family keeps its own shape: lower limit c <= upper limit d.

A Weibull-1 curve with its slope reversed and its limits swapped is a
Weibull-2 curve (``c + (d - c) exp(-exp(-b u))`` with c > d equals
``d' + (c' - d') (1 - exp(-exp(b' u)))``), so an unconstrained W1.4 fit can
return the W2 shape.  Here W1.4 and W2.4 must give *different* fits on data
whose best fits differ, each equal to a second, independent implementation:
drc's formulas written out below, minimized by SLSQP under ``c <= d`` from
a grid of starts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize

from conftest import DATA
from receptorkin.curves import compare_models, fit_curve, get_model


def drc_w1(x, b, c, d, e):
    return c + (d - c) * np.exp(-np.exp(b * (np.log(x) - np.log(e))))


def drc_w2(x, b, c, d, e):
    return c + (d - c) * (1 - np.exp(-np.exp(b * (np.log(x) - np.log(e)))))


def reference_fit(formula, x, y):
    """Least squares of a drc formula under c <= d, best of a grid of SLSQP starts."""
    pos = x > 0
    lo, hi = float(y.min()), float(y.max())
    best = None

    def rss(p):
        with np.errstate(all="ignore"):
            return _rss(p)

    def _rss(p):
        b, c, d, le = p
        f = np.where(pos, formula(np.where(pos, x, 1.0), b, c, d, np.exp(le)), np.nan)
        # dose 0: the limit of the formula (d or c depending on the family and the sign of b)
        f0 = formula(1e-300, b, c, d, np.exp(le))
        f = np.where(pos, f, f0)
        return float(np.sum((y - f) ** 2))

    for b0 in (-2.0, -0.5, 0.5, 2.0):
        for le0 in np.log(np.quantile(x[pos], [0.25, 0.5, 0.75])):
            res = minimize(rss, [b0, lo, hi, le0], method="SLSQP",
                           constraints=[{"type": "ineq", "fun": lambda p: p[2] - p[1]}],
                           options={"ftol": 1e-14, "maxiter": 2000})
            if res.success and (best is None or res.fun < best.fun):
                best = res
    return best


def _curves(path, dose, response, curve):
    df = pd.read_csv(path)
    for label, part in df.groupby(curve, sort=False):
        yield str(label), part[dose].to_numpy(float), part[response].to_numpy(float)


@pytest.mark.parametrize("path,dose,response,curve", [
    (DATA / "spinach.csv", "DOSE", "SLOPE", "CURVE"),
    (DATA / "S.alba.csv", "Dose", "DryMatter", "Herbicide"),
])
def test_w1_and_w2_differ_and_match_an_independent_constrained_fit(path, dose, response, curve):
    fits = {m: fit_curve(path, m, dose=dose, response=response, curve=curve) for m in ("W1.4", "W2.4")}
    w1, w2 = fits["W1.4"], fits["W2.4"]
    # different fits, each in its own shape
    assert abs(w1.rss - w2.rss) > 1e-4 * min(w1.rss, w2.rss)  # 7% (spinach), 0.03% (S.alba)
    for r in (w1, w2):
        for label in r.curves:
            p = r.parameters(label)
            assert p["c"] <= p["d"], (r.model.name, label, p)
    # each equals the constrained reference fit of drc's formula, curve by curve
    for name, formula in (("W1.4", drc_w1), ("W2.4", drc_w2)):
        r = fits[name]
        total = 0.0
        for label, x, y in _curves(path, dose, response, curve):
            ref = reference_fit(formula, x, y)
            total += ref.fun
            p = r.parameters(label)
            ours = np.sum((y - get_model(name).evaluate(x, **{k: p[k] for k in "bcde"})) ** 2)
            assert ours <= ref.fun * (1 + 1e-6) + 1e-12, (name, label, ours, ref.fun)
        assert r.rss == pytest.approx(total, rel=1e-5)


def test_spinach_numbers():
    """Pinned from the comparison above, so a change in either shows up as numbers."""
    kw = dict(dose="DOSE", response="SLOPE", curve="CURVE")
    w1 = fit_curve(DATA / "spinach.csv", "W1.4", **kw)
    w2 = fit_curve(DATA / "spinach.csv", "W2.4", **kw)
    assert w1.rss == pytest.approx(0.51734, abs=5e-5)
    assert w2.rss == pytest.approx(0.481325, abs=5e-5)
    table = compare_models(DATA / "spinach.csv", ["W1.4", "W2.4"], **kw).set_index("model")
    assert table.loc["W1.4", "aicc"] != pytest.approx(table.loc["W2.4", "aicc"])


def test_simulated_w1_data_are_fitted_by_w1_with_w1_shape():
    rng = np.random.default_rng(11)
    x = np.repeat([0.0, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0], 4)
    truth = dict(b=1.3, c=0.5, d=8.0, e=4.0)
    y = drc_w1(np.where(x > 0, x, 1e-300), **truth) + 0.15 * rng.standard_normal(len(x))
    df = pd.DataFrame({"dose": x, "response": y})
    w1 = fit_curve(df, "W1.4")
    w2 = fit_curve(df, "W2.4")
    p = w1.parameters()
    assert p["c"] < p["d"]
    for k, v in truth.items():
        i = w1.names.index(k)
        assert abs(w1.theta[i] - v) < 4 * w1.se[i], (k, w1.theta[i], v, w1.se[i])
    assert w1.rss < w2.rss  # the true family fits better
    ref = reference_fit(drc_w2, x, y)
    assert w2.rss == pytest.approx(ref.fun, rel=1e-5)
    assert w2.parameters()["c"] <= w2.parameters()["d"]


def test_ll5_keeps_its_limits_in_order_but_ll4_is_symmetric():
    from receptorkin.curves.engine import build_design

    x = np.array([0.0, 1, 10, 100])
    for name, expect in (("LL.5", True), ("LL.4", False), ("W1.3", True), ("W2.4", True)):
        d = build_design(get_model(name), x, np.arange(4.0), np.zeros(4, int), ["all"])
        assert bool(d.ordered_pairs()) is expect, name
