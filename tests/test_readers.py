"""receptorkin.data.readers: Excel sheets, GraphPad Prism tables and wide replicates read like the CSV."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from conftest import DATA
from receptorkin.cli import main
from receptorkin.curves import fit_curve
from receptorkin.errors import DataError
from receptorkin.data.measurements import load_measurements
from receptorkin.data.readers import melt_replicates, prism_tables, read_excel, read_frame, read_pzfx

LAB = DATA / "lab"
CSV = LAB / "doses.csv"
XLSX = LAB / "doses_wide.xlsx"
PZFX = LAB / "doses.pzfx"
FORMS = [(CSV, {}), (XLSX, {"sheet": "plate1", "replicates": "rep*"}), (PZFX, {})]


def _sorted(m) -> pd.DataFrame:
    return m.table[["condition", "dose", "response"]].sort_values(["condition", "dose", "response"]).reset_index(drop=True)


def test_the_three_files_hold_the_same_58_observations():
    tables = [_sorted(load_measurements(path, **kw)) for path, kw in FORMS]
    assert len(tables[0]) == 58  # 2 curves x 10 doses x 3 replicates, one missing, one struck out
    for t in tables[1:]:
        pd.testing.assert_frame_equal(t, tables[0])


def test_same_data_as_csv_wide_xlsx_and_pzfx_give_identical_curve_fits():
    fits = [fit_curve(read_frame(path, **kw), "LL.4", curve="condition") for path, kw in FORMS]
    ref = fits[0]
    for other in fits[1:]:
        np.testing.assert_allclose(other.ed(50)["estimate"], ref.ed(50)["estimate"], rtol=1e-6)
        np.testing.assert_allclose(other.ed(50)["se"], ref.ed(50)["se"], rtol=1e-5)
        assert other.rse == pytest.approx(ref.rse, rel=1e-9)
    # the generating EC50s were 10 and 40 nM (noise sd 3): the fits land near them
    ec50 = dict(zip(ref.ed(50)["curve"], ref.ed(50)["estimate"]))
    assert 7 < ec50["control"] < 13 and 25 < ec50["desensitized"] < 55


def test_curve_cli_reads_xlsx_and_pzfx(capsys, tmp_path):
    results = []
    for i, (path, kw) in enumerate(FORMS):
        argv = ["curve", str(path), "--model", "LL.4", "--no-profile", "-o", str(tmp_path / f"o{i}")]
        if "sheet" in kw:
            argv += ["--sheet", kw["sheet"], "--replicates", kw["replicates"]]
        assert main(argv) == 0, capsys.readouterr().err
        results.append(json.loads((tmp_path / f"o{i}" / "curve.json").read_text()))
    for r in results[1:]:
        assert r["rse"] == pytest.approx(results[0]["rse"], rel=1e-9)
        assert r["n"] == results[0]["n"] == 58


def test_prism_structure_is_read():
    tables = prism_tables(PZFX)
    assert [(t.title, t.table_type, t.y_format, t.data_sets) for t in tables] == [
        ("cAMP plate 1", "XY", "replicates", ("control", "desensitized"))]
    df = read_pzfx(PZFX)
    assert list(df.columns) == ["dose", "condition", "replicate", "response"]
    assert "160.0" not in set(df["response"])  # the struck-out value is left out
    # row numbers are the rows of the Prism table
    row = df[(df["condition"] == "control") & (df["replicate"] == "1")]
    assert list(row.index) == list(range(1, 11))


def test_prism_mean_sd_table(tmp_path):
    p = tmp_path / "sd.pzfx"
    p.write_text('<?xml version="1.0"?><GraphPadPrismFile PrismXMLVersion="5.00">'
                 '<Table ID="T" XFormat="numbers" YFormat="SDN" TableType="XY"><Title>t</Title>'
                 '<XColumn><Subcolumn><d>1</d><d>10</d></Subcolumn></XColumn>'
                 '<YColumn Subcolumns="3"><Title><TextAlign align="Center">A</TextAlign></Title>'
                 '<Subcolumn><d>5,5</d><d>9</d></Subcolumn><Subcolumn><d>0.5</d><d>1</d></Subcolumn>'
                 '<Subcolumn><d>3</d><d>3</d></Subcolumn></YColumn></Table></GraphPadPrismFile>')
    df = read_pzfx(p)
    assert df.to_dict("list") == {"dose": ["1", "10"], "condition": ["A", "A"], "response": ["5.5", "9"],
                                  "sd": ["0.5", "1"]}


def test_excel_errors_name_sheet_row_and_column(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "S1"
    ws.append(["dose", "response"])
    ws.append([1, 2.0])
    ws.append(["1e-3 nM", 3.0])
    path = tmp_path / "b.xlsx"
    book.save(path)
    with pytest.raises(DataError, match=r"b\.xlsx\[S1\]:3: column 'dose': not a number"):
        load_measurements(path)
    with pytest.raises(DataError, match=r"no sheet 'S2' \(sheets: S1\)"):
        read_excel(path, "S2")
    bad = tmp_path / "not.xlsx"
    bad.write_text("dose,response\n")
    with pytest.raises(DataError, match="not an Excel"):
        read_excel(bad)


def test_wide_csv_replicates_by_names_and_missing_column(tmp_path):
    p = tmp_path / "w.csv"
    p.write_text("dose,a,b\n0,1,2\n10,3,\n")
    m = load_measurements(p, replicates="a,b")
    assert list(m.table["response"]) == [1.0, 2.0, 3.0]
    assert list(m.table["replicate"]) == ["a", "b", "a"]
    assert list(m.table["line"]) == [2, 2, 3]
    with pytest.raises(DataError, match="missing replicate column 'c'"):
        load_measurements(p, replicates="a,c")
    with pytest.raises(DataError, match="no column matches the replicate pattern 'rep\\*'"):
        load_measurements(p, replicates="rep*")


def test_melt_refuses_to_overwrite_a_response_column():
    df = pd.DataFrame({"dose": ["1"], "response": ["2"], "r1": ["3"]})
    with pytest.raises(DataError, match="already has a column 'response'"):
        melt_replicates(df, ["r1"])


def test_not_a_prism_file(tmp_path):
    p = tmp_path / "x.pzfx"
    p.write_text("<html/>")
    with pytest.raises(DataError, match="expected <GraphPadPrismFile>"):
        read_pzfx(p)
