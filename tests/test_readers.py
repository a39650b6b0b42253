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


# --------------------------------------------------------------------------- Prism log(dose) X and dose units

PZFX_LOG = LAB / "doses_logx.pzfx"


def _without_controls(path, **kw) -> pd.DataFrame:
    table = read_frame(path, **kw)
    return table[table["dose"].astype(float) > 0]


def test_prism_x_title_gives_the_dose_unit_so_pec50_is_molar():
    table = read_pzfx(PZFX)
    assert table.attrs["titles"] == {"dose": "dose [nM]"}
    assert read_frame(PZFX).attrs["units"] == {"dose": "nM"}
    fit = fit_curve(read_frame(PZFX), "sigEmax.p", curve="condition")
    assert fit.dose_unit == "nM"
    # pEC50 = -log10(EC50 in mol/L): the EC50 in nM and the pEC50 say the same thing
    ec50 = fit.ed(50).set_index("curve")["estimate"]
    pec50 = {c: fit.parameters(c)["pEC50"] for c in fit.curves}
    for c in fit.curves:
        assert pec50[c] == pytest.approx(-np.log10(ec50[c] * 1e-9), abs=1e-6)
    assert 7.5 < pec50["control"] < 8.5  # generated with EC50 10 nM


def test_prism_log_molar_x_is_read_as_doses_and_fits_like_the_nM_table():
    assert [t.title for t in prism_tables(PZFX_LOG)] == ["cAMP plate 1 (log X)", "log X without unit", "negative X"]
    logx = read_frame(PZFX_LOG, dose_unit="nM")
    assert logx.attrs["units"] == {"dose": "nM"} and "log10 doses in M" in logx.attrs["log_dose"]
    doses = sorted(set(logx["dose"].astype(float)))
    np.testing.assert_allclose(doses, [0.1, 0.3, 1, 3, 10, 30, 100, 300, 1000], rtol=1e-12)  # 10**(x + 9)
    lin = fit_curve(_without_controls(PZFX), "sigEmax.p", curve="condition")
    log = fit_curve(logx, "sigEmax.p", curve="condition")
    for c in lin.curves:
        assert log.parameters(c)["pEC50"] == pytest.approx(lin.parameters(c)["pEC50"], abs=1e-6)
    # without a dose unit the doses stay in the log's own unit (M); the molar pEC50 is the same
    molar = fit_curve(read_frame(PZFX_LOG), "sigEmax.p", curve="condition")
    assert molar.dose_unit == "M"
    for c in lin.curves:
        assert molar.parameters(c)["pEC50"] == pytest.approx(lin.parameters(c)["pEC50"], abs=1e-5)


def test_prism_log_x_without_a_unit_or_negative_x_is_refused_until_said(capsys, tmp_path):
    with pytest.raises(DataError, match=r"titled 'log\[agonist\]'\) holds log10 doses but names no unit.*--log-dose"):
        read_frame(PZFX_LOG, sheet="log X without unit")
    with pytest.raises(DataError, match=r"\[negative X\]:1: column 'dose' \(titled 'agonist'\): negative dose '-10.0'"):
        read_frame(PZFX_LOG, sheet="negative X")
    said = read_frame(PZFX_LOG, sheet="negative X", log_dose="M", dose_unit="nM")
    np.testing.assert_allclose(sorted(set(said["dose"].astype(float)))[:2], [0.1, 0.3], rtol=1e-12)
    assert read_frame(PZFX_LOG, sheet="log X without unit", log_dose="M").attrs["units"] == {"dose": "M"}
    # the CLI: one line, exit 1, then the option settles it
    assert main(["curve", str(PZFX_LOG), "--sheet", "negative X", "-o", str(tmp_path / "a")]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--log-dose" in err
    argv = ["curve", str(PZFX_LOG), "--sheet", "negative X", "--log-dose", "M", "--dose-unit", "nM",
            "--model", "sigEmax.p", "--no-profile", "-o", str(tmp_path / "b")]
    assert main(argv) == 0, capsys.readouterr().err
    out = json.loads((tmp_path / "b" / "curve.json").read_text())
    assert out["dose_unit"] == "nM"


def test_fit_measurements_from_log_x_prism_and_dose_unit_headers(tmp_path):
    lin = load_measurements(PZFX).table  # X title 'dose [nM]'
    log = load_measurements(PZFX_LOG).table  # log10 molar -> nM inside
    pos = lin[lin["dose"] > 0]
    np.testing.assert_allclose(np.sort(log["dose"].to_numpy()), np.sort(pos["dose"].to_numpy()), rtol=1e-12)
    path = tmp_path / "um.csv"
    path.write_text("dose [uM],response\n0,1\n0.5,2\n2,3\n")
    assert load_measurements(path).table["dose"].tolist() == [0.0, 500.0, 2000.0]  # uM from the header -> nM
    assert load_measurements(path, dose_unit="nM").table["dose"].tolist() == [0.0, 0.5, 2.0]  # explicit wins
    with pytest.raises(DataError, match="--log-dose"):
        load_measurements(PZFX_LOG, log_dose=None, sheet="negative X")


def test_tsv_and_dose_unit_header_give_a_molar_pec50(tmp_path):
    rows = ["conc [nM]\tresponse"]
    for d in [0, 1, 3, 10, 30, 100, 1000]:
        rows.append(f"{d}\t{5 + 95 * d / (d + 10):.6f}")  # EC50 exactly 10 nM, no noise
    path = tmp_path / "plate.tsv"
    path.write_text("\n".join(rows) + "\n")
    fit = fit_curve(str(path), "sigEmax.p", dose="conc [nM]")
    assert fit.dose_unit == "nM" and round(fit.parameters()["pEC50"], 3) == 8.000


def test_curve_cli_takes_replicate_columns_given_as_responses(capsys, tmp_path):
    """The first thing a lab user tries (#15): --response rep1,rep2,rep3 on a wide sheet."""
    argv = ["curve", str(XLSX), "--sheet", "plate1", "--response", "rep1,rep2,rep3", "--no-profile",
            "-o", str(tmp_path / "w")]
    assert main(argv) == 0, capsys.readouterr().err
    wide = json.loads((tmp_path / "w" / "curve.json").read_text())
    assert main(["curve", str(CSV), "--no-profile", "-o", str(tmp_path / "c")]) == 0
    long = json.loads((tmp_path / "c" / "curve.json").read_text())
    assert wide["n"] == long["n"] == 58 and wide["rse"] == pytest.approx(long["rse"], rel=1e-9)
