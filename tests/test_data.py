"""receptorkin.data: validated CSV reading that reports every problem at once."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import BAD, DATA
from receptorkin.data import (
    DOSE,
    RESPONSE,
    Problem,
    check_enough_points,
    line_span,
    read_table,
    table_lines,
    table_source,
    validate_table,
)
from receptorkin.errors import DataError


def write(tmp_path, text, name="data.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_reads_numbers_and_keeps_zero_dose_as_control(tmp_path):
    p = write(tmp_path, "dose,response,condition\n0,1.5,a\n0.1,1.2,a\n1e-3,1.4,b\n")
    df = read_table(p, required=[DOSE, RESPONSE], numeric=[DOSE, RESPONSE], nonnegative=[DOSE])
    assert df[DOSE].dtype == float
    np.testing.assert_array_equal(df[DOSE].to_numpy(), [0.0, 0.1, 1e-3])
    assert list(df["condition"]) == ["a", "a", "b"]
    assert list(table_lines(df)) == [2, 3, 4]
    assert table_source(df) == str(p)


def test_line_numbers_count_blank_and_comment_lines(tmp_path):
    p = write(tmp_path, "# a comment\ndose,response\n0,1\n\n1,abc\n# another\n2,0.5\n")
    with pytest.raises(DataError) as err:
        read_table(p, numeric=[DOSE, RESPONSE])
    assert str(err.value) == f"{p}:5: column 'response': not a number (got 'abc')"
    df = read_table(write(tmp_path, "# c\ndose,response\n0,1\n\n1,2\n", "ok.csv"), numeric=[DOSE, RESPONSE])
    assert list(df.index) == [3, 5]


def test_every_problem_is_reported_once_per_line(tmp_path):
    p = write(tmp_path, "dose,response\n1e-3 nM,1\n-1,2\n0.5,\n0.1,nan\n1,inf\n")
    with pytest.raises(DataError) as err:
        read_table(p, required=[DOSE, RESPONSE], numeric=[DOSE, RESPONSE], nonnegative=[DOSE])
    lines = str(err.value).splitlines()
    assert lines == [
        f"{p}:2: column 'dose': not a number (got '1e-3 nM')",
        f"{p}:3: column 'dose': must not be negative (got '-1')",
        f"{p}:4: column 'response': empty value",
        f"{p}:5: column 'response': not a finite number (got 'nan')",
        f"{p}:6: column 'response': not a finite number (got 'inf')",
    ]


def test_missing_column_lists_the_columns_of_the_file(tmp_path):
    p = write(tmp_path, "DOSE,SLOPE\n0,1\n")
    with pytest.raises(DataError, match=r":1: missing column 'dose' \(the file has: DOSE, SLOPE\)"):
        read_table(p, required=[DOSE, RESPONSE], numeric=[DOSE, RESPONSE])


def test_rename_uses_file_names_in_messages(tmp_path):
    p = write(tmp_path, "DOSE,SLOPE\n0,1\nx,2\n")
    with pytest.raises(DataError, match=r":3: column 'DOSE': not a number \(got 'x'\)"):
        read_table(p, required=[DOSE], numeric=[DOSE], rename={"DOSE": DOSE, "SLOPE": RESPONSE})
    df = read_table(write(tmp_path, "DOSE,SLOPE\n0,1\n2,3\n", "ok.csv"), numeric=[DOSE, RESPONSE],
                    rename={"DOSE": DOSE, "SLOPE": RESPONSE})
    assert list(df.columns) == [DOSE, RESPONSE]
    with pytest.raises(DataError, match=r"missing column 'DOSE'"):
        read_table(write(tmp_path, "conc,response\n0,1\n", "c.csv"), required=[DOSE], rename={"DOSE": DOSE})


def test_ragged_rows_duplicate_header_and_empty_files(tmp_path):
    with pytest.raises(DataError, match=r":3: expected 2 fields as in the header, got 3"):
        read_table(write(tmp_path, "dose,response\n0,1\n1,2,3\n"), numeric=[DOSE])
    with pytest.raises(DataError, match=r"column 'dose' appears more than once"):
        read_table(write(tmp_path, "dose,dose\n0,1\n", "d.csv"))
    with pytest.raises(DataError, match=r"empty file"):
        read_table(write(tmp_path, "\n# only a comment\n", "e.csv"))
    with pytest.raises(DataError, match=r"no data rows"):
        read_table(write(tmp_path, "dose,response\n", "f.csv"), numeric=[DOSE])
    with pytest.raises(DataError, match=r"file not found"):
        read_table(tmp_path / "absent.csv")


def test_semicolon_and_quoted_fields(tmp_path):
    df = read_table(write(tmp_path, 'dose;response;label\n0;1;"a; b"\n1;2;c\n'), numeric=[DOSE, RESPONSE])
    assert list(df["label"]) == ["a; b", "c"]
    df = read_table(write(tmp_path, 'dose,note\n1,"two\nlines"\n2,x\n', "q.csv"), numeric=[DOSE])
    assert list(df.index) == [2, 4]


def test_positive_columns(tmp_path):
    with pytest.raises(DataError, match=r":3: column 'sd': must be positive \(got '0'\)"):
        read_table(write(tmp_path, "dose,sd\n1,0.1\n2,0\n"), positive=["sd"])


def test_validate_table_on_a_dataframe():
    df = pd.DataFrame({"dose": [0.0, 1.0, -2.0], "response": [1.0, float("nan"), 2.0]})
    with pytest.raises(DataError) as err:
        validate_table(df, numeric=[DOSE, RESPONSE], nonnegative=[DOSE])
    assert str(err.value).splitlines() == [
        "<DataFrame>:3: column 'response': not a finite number (got 'nan')",
        "<DataFrame>:4: column 'dose': must not be negative (got '-2.0')",
    ]
    good = validate_table(pd.DataFrame({"dose": [0, 1], "response": ["1.5", "2"]}), numeric=[DOSE, RESPONSE],
                          source="mine")
    assert good[RESPONSE].tolist() == [1.5, 2.0]
    assert table_source(good) == "mine"


def test_check_enough_points():
    check_enough_points(5, 4)
    with pytest.raises(DataError, match=r"f.csv: lines 2-5 \(curve 'A'\): 4 data points for 4 parameters "
                                        r"\(b, c, d, e\); at least 5 are needed"):
        check_enough_points(4, 4, source="f.csv", lines=[2, 3, 4, 5], what="curve 'A'",
                            parameter_names=["b", "c", "d", "e"])


def test_line_span_and_problem_text():
    assert line_span([4]) == "line 4"
    assert line_span([2, 3, 4, 9, 11, 12]) == "lines 2-4, 9, 11-12"
    assert str(Problem("f.csv", 12, "dose", "not a number (got '1e-3 nM')")) == \
        "f.csv:12: column 'dose': not a number (got '1e-3 nM')"
    assert str(Problem("f.csv", None, None, "empty file")) == "f.csv: empty file"


def test_bad_curve_files_exist_for_every_rule():
    names = {p.name for p in BAD.glob("curves_*.csv")}
    assert {"curves_missing_dose.csv", "curves_text_in_number.csv", "curves_negative_dose.csv",
            "curves_empty_response.csv", "curves_too_few_points.csv", "curves_no_variation.csv"} <= names
    assert (DATA / "spinach.csv").exists()
