"""Model selection: logLik/AIC/AICc/BIC as drc, F tests for nested models, lack of fit."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import f as fdist

from conftest import DATA
from receptorkin.curves import compare_models, f_test, fit_curve, get_model, is_nested, lack_of_fit
from receptorkin.errors import FitError

SPINACH = dict(dose="DOSE", response="SLOPE", curve="CURVE")


@pytest.fixture(scope="module")
def ll4():
    return fit_curve(DATA / "spinach.csv", "LL.4", **SPINACH)


@pytest.fixture(scope="module")
def ll3():
    return fit_curve(DATA / "spinach.csv", "LL.3", **SPINACH)


def test_information_criteria_formulas(ll4):
    n, p, rss = ll4.n, ll4.n_parameters, ll4.rss
    ll = -n / 2 * (math.log(2 * math.pi) + math.log(rss / n) + 1)  # drc's logLik for continuous data
    k = p + 1
    assert ll4.loglik == pytest.approx(ll)
    assert ll4.aic == pytest.approx(-2 * ll + 2 * k)
    assert ll4.aicc == pytest.approx(-2 * ll + 2 * k + 2 * k * (k + 1) / (n - k - 1))
    assert ll4.bic == pytest.approx(-2 * ll + k * math.log(n))
    assert ll4.rse == pytest.approx(math.sqrt(rss / (n - p)))


def test_f_test_ll3_within_ll4(ll3, ll4):
    assert is_nested(ll3, ll4) and not is_nested(ll4, ll3)
    t = f_test(ll3, ll4)
    F = ((ll3.rss - ll4.rss) / 5) / (ll4.rss / ll4.df)
    assert (t.df1, t.df2) == (5, 85)
    assert t.statistic == pytest.approx(F)
    assert t.p_value == pytest.approx(fdist.sf(F, 5, 85))
    with pytest.raises(FitError, match="fewer parameters"):
        f_test(ll4, ll3)


def test_nesting_of_shared_parameters(ll4):
    shared = fit_curve(DATA / "spinach.csv", "LL.4", shared=["b"], **SPINACH)
    assert is_nested(shared, ll4)
    w = fit_curve(DATA / "spinach.csv", "W1.4", **SPINACH)
    assert not is_nested(w, ll4) and not is_nested(ll4, w)


def test_lack_of_fit_against_anova(ll4):
    t = ll4.lack_of_fit()
    d = ll4.design
    df = pd.DataFrame({"g": d.g, "x": d.x, "y": d.y})
    pure = float(((df.y - df.groupby(["g", "x"]).y.transform("mean")) ** 2).sum())
    groups = df.groupby(["g", "x"]).ngroups
    df_pe = ll4.n - groups
    F = ((ll4.rss - pure) / (ll4.df - df_pe)) / (pure / df_pe)
    assert t.statistic == pytest.approx(F)
    assert (t.df1, t.df2) == (ll4.df - df_pe, df_pe)
    assert 0 < t.p_value < 1


def test_no_lack_of_fit_test_without_replicates():
    x = np.array([0, 0.1, 0.3, 1, 3, 10, 30, 100.0])
    y = get_model("LL.4").evaluate(x, b=1, c=0, d=1, e=2) + np.array([1, -1, 1, -1, 1, -1, 1, -1]) * 0.01
    r = fit_curve(pd.DataFrame({"dose": x, "response": y}), "LL.4")
    assert lack_of_fit(r) is None
    assert r.to_dict()["lack_of_fit"] is None


def test_compare_models_table(ll3, ll4):
    table, fits = compare_models(DATA / "spinach.csv", ["LL.4", "LL.3", "W1.4", "LL.5"], return_fits=True,
                                 **SPINACH)
    assert list(table.model) == ["LL.4", "LL.3", "W1.4", "LL.5"]
    row = table.set_index("model")
    assert row.loc["LL.4", "aicc"] == pytest.approx(ll4.aicc)
    assert row.loc["LL.3", "f_p_value"] == pytest.approx(f_test(ll3, ll4).p_value)
    assert row.loc["LL.5", "f_vs"] == "LL.4 vs LL.5"
    assert pd.isna(row.loc["W1.4", "f_vs"])
    assert row.delta_aicc.min() == 0
    assert set(fits) == {"LL.4", "LL.3", "W1.4", "LL.5"}
