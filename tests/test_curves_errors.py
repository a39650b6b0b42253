"""Bad input ends in a named receptorkin error that says where and what."""

from __future__ import annotations

import pandas as pd
import pytest

from conftest import BAD, DATA
from receptorkin.curves import fit_curve
from receptorkin.errors import DataError, FitError


@pytest.mark.parametrize(
    "name, pattern",
    [
        ("curves_missing_dose.csv", r"curves_missing_dose\.csv:1: missing column 'dose' \(the file has: conc, response\)"),
        ("curves_text_in_number.csv", r"curves_text_in_number\.csv:4: column 'dose': not a number \(got '1e-3 nM'\)"),
        ("curves_negative_dose.csv", r"curves_negative_dose\.csv:4: column 'dose': must not be negative \(got '-0\.1'\)"),
        ("curves_empty_response.csv", r"curves_empty_response\.csv:4: column 'response': empty value\n"
                                       r".*curves_empty_response\.csv:6: column 'response': not a finite number \(got 'NaN'\)"),
        ("curves_too_few_points.csv", r"curves_too_few_points\.csv: lines 2-5: 4 data points for 4 parameters "
                                      r"\(b, c, d, e\); at least 5 are needed"),
        ("curves_no_variation.csv", r"curves_no_variation\.csv: lines 7-11 \(curve '24h'\): column 'response': "
                                    r"no variation \(every value is 0\.7\)"),
    ],
)
def test_bad_file_gives_a_clear_data_error(name, pattern):
    curve = "condition" if name == "curves_no_variation.csv" else None
    with pytest.raises(DataError, match=pattern):
        fit_curve(BAD / name, "LL.4", curve=curve)


def test_too_few_points_is_fine_with_fewer_parameters():
    r = fit_curve(BAD / "curves_too_few_points.csv", "LL.2", fixed={"d": 1.0})
    assert r.n_parameters == 2 and r.df == 2


def test_column_names_as_in_the_users_file():
    with pytest.raises(DataError, match=r"missing column 'dose' \(the file has: CURVE, HERBICIDE, DOSE, SLOPE\)"):
        fit_curve(DATA / "spinach.csv", "LL.4")
    with pytest.raises(DataError, match=r"missing column 'curve_id'"):
        fit_curve(DATA / "spinach.csv", "LL.4", dose="DOSE", response="SLOPE", curve="curve_id")


def test_a_curve_with_too_few_doses_for_its_own_parameters():
    df = pd.DataFrame({"g": ["a"] * 6 + ["b"] * 6,
                       "dose": [0, 0, 1, 1, 10, 10] + [0, 0.1, 1, 10, 100, 1000],
                       "response": [1.0, 1.1, 0.6, 0.5, 0.2, 0.1] + [1.0, 0.9, 0.6, 0.3, 0.1, 0.05]})
    with pytest.raises(DataError, match=r"<DataFrame>: lines 2-7 \(curve 'a'\): 3 distinct doses for 4 parameters "
                                        r"of its own \(b, c, d, e\)"):
        fit_curve(df, "LL.4", curve="g")
    r = fit_curve(df, "LL.4", curve="g", shared="b,c")  # two parameters of its own: fine
    assert r.converged


def test_usage_errors_on_a_fit():
    r = fit_curve(DATA / "spinach.csv", "LL.4", dose="DOSE", response="SLOPE", curve="CURVE")
    with pytest.raises(FitError, match="no curve '9'"):
        r.ed(50, curve="9")
    with pytest.raises(FitError, match="differs between curves"):
        r.profile_ci("e")
    with pytest.raises(FitError, match="'f' is fixed"):
        r.profile_ci("f", curve="1")
    with pytest.raises(FitError, match="finite and >= 0"):
        r.predict(-1.0)
    with pytest.raises(FitError, match="every parameter is fixed"):
        fit_curve(DATA / "spinach.csv", "LL.2", dose="DOSE", response="SLOPE", fixed={"b": 1.0, "e": 1.0})
    with pytest.raises(FitError, match="'e' must be positive"):
        fit_curve(DATA / "spinach.csv", "LL.4", dose="DOSE", response="SLOPE", fixed={"e": -1.0})
