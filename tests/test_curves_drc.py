"""Agreement with R's drc on its own data sets (reference numbers from drc's
printed example output, the package's reference pages at commit 8719d43; the data
are copies in tests/data/ with provenance in tests/data/README.md).

Acceptance: every estimate within 0.05 of its standard error, prediction and
ratio estimates and standard errors within 0.5 %.
"""

from __future__ import annotations

import numpy as np
import pytest

from conftest import DATA
from receptorkin.curves import fit_curve

# drc: drm(SLOPE ~ DOSE, CURVE, data = spinach, fct = LL.4())
SPINACH_LL4 = {
    "1": {"b": 0.519519, "c": -0.016595, "d": 1.879553, "e": 1.794955},
    "2": {"b": 0.800796, "c": 0.132589, "d": 0.946000, "e": 0.945530},
    "3": {"b": 0.681913, "c": 0.146406, "d": 1.090321, "e": 1.373023},
    "4": {"b": 1.844809, "c": 0.079552, "d": 2.153578, "e": 0.197326},
    "5": {"b": 1.650758, "c": -0.009066, "d": 1.806283, "e": 0.210793},
}
# predict(m, data.frame(DOSE = 2, CURVE = 1:3), se.fit = TRUE)
SPINACH_PRED_AT_2 = {"1": (0.9048476, 0.02496135), "2": (0.4208307, 0.02924987), "3": (0.5581673, 0.03067170)}
# EDcomp(m, c(50, 50)): e_i / e_j with delta-method SE
SPINACH_RATIOS = {("1", "2"): (1.89836, 0.71185), ("1", "4"): (9.09638, 2.46866), ("4", "5"): (0.93611, 0.07814)}


@pytest.fixture(scope="module")
def spinach():
    return fit_curve(DATA / "spinach.csv", "LL.4", dose="DOSE", response="SLOPE", curve="CURVE")


@pytest.fixture(scope="module")
def salba():
    return fit_curve(DATA / "S.alba.csv", "LL.3", dose="Dose", response="DryMatter", curve="Herbicide")


def test_spinach_layout_follows_drc(spinach):
    assert spinach.curves == ["1", "2", "3", "4", "5"]
    assert spinach.names[:6] == ["b:1", "b:2", "b:3", "b:4", "b:5", "c:1"]
    assert spinach.n == 105 and spinach.n_parameters == 20 and spinach.df == 85
    assert spinach.converged


@pytest.mark.parametrize("curve", sorted(SPINACH_LL4))
@pytest.mark.parametrize("parameter", ["b", "c", "d", "e"])
def test_spinach_estimates_within_005_se(spinach, curve, parameter):
    t = spinach.table
    row = t[(t.curve == curve) & (t.parameter == parameter)].iloc[0]
    drc = SPINACH_LL4[curve][parameter]
    assert abs(row.estimate - drc) <= 0.05 * row.se, (row.estimate, drc, row.se)


@pytest.mark.parametrize("curve", sorted(SPINACH_PRED_AT_2))
def test_spinach_predictions_and_their_se(spinach, curve):
    est, se = SPINACH_PRED_AT_2[curve]
    row = spinach.predict(2.0, curve=curve).iloc[0]
    np.testing.assert_allclose(row.estimate, est, rtol=5e-3)
    np.testing.assert_allclose(row.se, se, rtol=5e-3)


@pytest.mark.parametrize("pair", sorted(SPINACH_RATIOS))
def test_spinach_ed50_ratios_and_their_se(spinach, pair):
    est, se = SPINACH_RATIOS[pair]
    row = spinach.ed_ratio(50, pairs=[pair]).iloc[0]
    np.testing.assert_allclose(row.estimate, est, rtol=5e-3)
    np.testing.assert_allclose(row.se, se, rtol=5e-3)


def test_salba_relative_potency(salba):
    row = salba.ed_ratio(50, pairs=[("Bentazone", "Glyphosate")]).iloc[0]
    np.testing.assert_allclose(row.estimate, 0.39269, rtol=5e-3)
    np.testing.assert_allclose(row.se, 0.066243, rtol=5e-3)


def test_salba_ratio_is_ratio_of_e(salba):
    t = salba.table.set_index(["curve", "parameter"])
    e_b, e_g = t.loc[("Bentazone", "e"), "estimate"], t.loc[("Glyphosate", "e"), "estimate"]
    row = salba.ed_ratio(50, pairs=[("Bentazone", "Glyphosate")]).iloc[0]
    np.testing.assert_allclose(row.estimate, e_b / e_g, rtol=1e-10)


def test_spinach_ed50_equals_e_with_same_se(spinach):
    eds = spinach.ed(50)
    t = spinach.table
    e = t[t.parameter == "e"]
    np.testing.assert_allclose(eds.estimate.to_numpy(), e.estimate.to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(eds.se.to_numpy(), e.se.to_numpy(), rtol=1e-6)
