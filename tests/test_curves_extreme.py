"""The curve engine on extreme inputs: a correct fit or a receptorkin error, never a crash.

Property tests (hypothesis, derandomized so every run sees the same
examples): responses and doses anywhere in the double range, constant and
near-constant curves, one non-zero value among zeros.  Whatever the input,
``fit_curve`` either returns a converged fit whose fitted values are finite,
or raises a :class:`~receptorkin.errors.ReceptorkinError` (``DataError`` for
numbers it cannot represent, ``FitError`` when no start converges).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from receptorkin.curves import fit_curve, get_model
from receptorkin.errors import DataError, ReceptorkinError

MODELS = ["LL.4", "LL.5", "LL.3", "W1.4", "W2.4", "EXD.3", "BC.5", "sigEmax", "sigEmax.p"]
SETTINGS = settings(max_examples=300, derandomize=True, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

finite = st.floats(allow_nan=False, allow_infinity=False)
extreme = st.sampled_from([0.0, 1e-300, -1e-300, 1e-150, 1e300, -1e300, 1.7e308, 5e-324, 1.0, -1.0])
response = st.one_of(finite, extreme)
dose = st.one_of(st.floats(min_value=0.0, allow_nan=False, allow_infinity=False),
                 st.sampled_from([0.0, 1e-300, 1e300, 1e-12, 1e-9, 1.0, 1e3]))


def _fit_or_error(x, y, model):
    df = pd.DataFrame({"dose": x, "response": y})
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # overflow must not leak to the user
        try:
            r = fit_curve(df, model)
        except ReceptorkinError as exc:
            assert str(exc).strip() and "\n" not in str(exc)
            return None
    assert np.all(np.isfinite(r.theta))
    assert np.isfinite(r.rss)
    assert np.all(np.isfinite(r.design.predict(r.theta)))
    return r


@SETTINGS
@given(x=st.lists(dose, min_size=6, max_size=12), data=st.data(), model=st.sampled_from(MODELS))
def test_any_finite_curve_fits_or_raises_a_receptorkin_error(x, data, model):
    y = data.draw(st.lists(response, min_size=len(x), max_size=len(x)))
    _fit_or_error(x, y, model)


@SETTINGS
@given(scale=st.sampled_from([1e-300, 1e-200, 1e-120, 1e120, 1e200, 1e300]),
       model=st.sampled_from(MODELS), seed=st.integers(0, 2**16))
def test_a_good_curve_at_an_extreme_scale(scale, model, seed):
    rng = np.random.default_rng(seed)
    x = np.repeat([0.0, 0.01, 0.1, 1.0, 10.0, 100.0], 2)
    y = scale * (get_model("LL.4").evaluate(x, b=1.0, c=1.0, d=10.0, e=1.0) + 0.2 * rng.standard_normal(len(x)))
    _fit_or_error(x, y, model)


@SETTINGS
@given(k=st.integers(0, 5), value=st.sampled_from([1e-300, 5e-324, 1e-200, -1e-300, 1e300, 1.7e308]),
       model=st.sampled_from(MODELS))
def test_one_value_among_zeros(k, value, model):
    y = [0.0] * 6
    y[k] = value
    _fit_or_error([0, 0.1, 1, 10, 100, 1000], y, model)


def test_tiny_responses_are_refused_with_a_clear_message():
    df = pd.DataFrame({"dose": [0, 0.1, 1, 10, 100, 1000], "response": [0, 0, 0, 0, 0, 1e-300]})
    with pytest.raises(DataError, match=r"vary by only 1e-300.*smaller unit"):
        fit_curve(df, "LL.4")


def test_huge_responses_are_refused_naming_the_line():
    df = pd.DataFrame({"dose": [0, 0.1, 1, 10, 100, 1000], "response": [1e300, 2e300, 3e300, 4e300, 5e300, 6e300]})
    with pytest.raises(DataError, match=r"line 7: column 'response': 6e\+300 is too large"):
        fit_curve(df, "LL.5")


@pytest.mark.parametrize("scale", [1e-90, 1e90])
def test_curves_near_the_limits_are_fitted_correctly(scale):
    """Scaling the responses scales c and d and leaves b and e alone (an exact invariance)."""
    rng = np.random.default_rng(7)
    x = np.repeat([0.0, 0.01, 0.1, 1.0, 10.0, 100.0], 3)
    y = get_model("LL.4").evaluate(x, b=1.2, c=1.0, d=10.0, e=2.0) + 0.2 * rng.standard_normal(len(x))
    ref = fit_curve(pd.DataFrame({"dose": x, "response": y}), "LL.4")
    r = fit_curve(pd.DataFrame({"dose": x, "response": y * scale}), "LL.4")
    np.testing.assert_allclose(r.theta[[0, 3]], ref.theta[[0, 3]], rtol=1e-6)
    np.testing.assert_allclose(r.theta[[1, 2]] / scale, ref.theta[[1, 2]], rtol=1e-6)
    np.testing.assert_allclose(r.se[[1, 2]] / scale, ref.se[[1, 2]], rtol=1e-4)


def test_an_exact_fit_gives_a_collapsed_profile_interval_not_a_crash():
    x = np.array([0.0, 0.1, 1.0, 10.0, 100.0, 1000.0])
    y = get_model("LL.4").evaluate(x, b=1.0, c=0.0, d=1.0, e=10.0)
    r = fit_curve(pd.DataFrame({"dose": x, "response": y}), "LL.4")
    assert r.rss < 1e-20
    lo, hi = r.profile_ci("e")
    assert (np.isnan(lo) and np.isnan(hi)) or (abs(lo - 10.0) < 1e-6 and abs(hi - 10.0) < 1e-6 and lo <= hi)
