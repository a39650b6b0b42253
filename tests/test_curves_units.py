"""Dose units: pEC50, pKA, pA2 and pKB are -log10 of mol/L (10 nM -> 8.0)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from receptorkin.cli import main
from receptorkin.curves import fit_curve, fit_operational, fit_schild, get_model, operational_response, schild_ec50
from receptorkin.curves.doseunits import parse_dose_unit, unit_from_header
from receptorkin.errors import FitError

X_NM = np.repeat([0.0, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0], 3)


def agonist(ec50_nm=10.0, noise=0.0, seed=0, column="conc_nM"):
    rng = np.random.default_rng(seed)
    y = get_model("sigEmax").evaluate(X_NM, E0=2.0, Emax=100.0, EC50=ec50_nm, hill=1.0)
    return pd.DataFrame({column: X_NM, "response": y + noise * rng.standard_normal(len(X_NM))})


@pytest.mark.parametrize("text,unit", [
    ("conc [nM]", "nM"), ("conc (uM)", "µM"), ("conc_nM", "nM"), ("dose pM", "pM"), ("agonist_µM", "µM"),
    ("agonist_μM", "µM"), ("conc [M]", "M"), ("B_mM", "mM"), ("conc", None), ("conc_NM", None),
    ("dose", None), ("concentration_nm", None), ("summary", None),
])
def test_unit_from_header(text, unit):
    assert unit_from_header(text) == unit


def test_unknown_unit_is_refused_listing_the_accepted_ones():
    with pytest.raises(FitError, match=r"dose_unit: unknown concentration unit 'ng/mL' \(accepted: M, mM"):
        parse_dose_unit("ng/mL")
    with pytest.raises(FitError, match="unknown concentration unit 'mg'"):
        fit_curve(agonist(), "sigEmax.p", dose="conc_nM", dose_unit="mg")


def test_ec50_10_nM_gives_pec50_8():
    """The issue's case: sigEmax.p on conc_nM with an EC50 of 10 nM."""
    r = fit_curve(agonist(), "sigEmax.p", dose="conc_nM")
    assert r.dose_unit == "nM"
    assert round(r.parameters()["pEC50"], 3) == 8.000
    pot = r.potency().set_index("quantity")
    assert round(pot.loc["pEC50", "estimate"], 3) == 8.000
    # the EC50 itself stays in the data's unit
    np.testing.assert_allclose(r.ed(50).estimate.iloc[0], 10.0, rtol=1e-6)


@pytest.mark.parametrize("unit,column,scale,expected", [
    ("nM", "conc", 1.0, 8.0), ("µM", "conc", 1e-3, 8.0), ("uM", "conc", 1e-3, 8.0),
    ("pM", "conc", 1e3, 8.0), ("M", "conc", 1e-9, 8.0), ("mM", "conc", 1e-6, 8.0),
])
def test_the_same_curve_in_any_unit_gives_the_same_molar_pec50(unit, column, scale, expected):
    df = agonist(noise=1.0, seed=3, column=column)
    df[column] = df[column] * scale
    ref = fit_curve(agonist(noise=1.0, seed=3), "sigEmax.p", dose="conc_nM")
    r = fit_curve(df, "sigEmax.p", dose=column, dose_unit=unit)
    np.testing.assert_allclose(r.parameters()["pEC50"], ref.parameters()["pEC50"], atol=1e-6)
    np.testing.assert_allclose(r.rss, ref.rss, rtol=1e-8)
    assert abs(r.parameters()["pEC50"] - expected) < 4 * r.se[r.names.index("pEC50")]


def test_every_model_reports_a_molar_pec50_from_its_ed50():
    df = agonist(noise=0.5, seed=5)
    for model in ("LL.4", "sigEmax", "Emax"):
        r = fit_curve(df, model, dose="conc_nM")
        pot = r.potency().set_index("quantity").loc["pEC50"]
        ed = r.ed(50).iloc[0]
        np.testing.assert_allclose(pot.estimate, -np.log10(ed.estimate * 1e-9), rtol=1e-12)
        np.testing.assert_allclose(pot.se, ed.se / (ed.estimate * np.log(10)), rtol=1e-12)
        assert abs(pot.estimate - 8.0) < 0.05


def test_without_a_unit_p_values_are_labelled_not_molar():
    r = fit_curve(agonist(column="conc"), "sigEmax.p", dose="conc")
    assert r.dose_unit is None
    np.testing.assert_allclose(r.parameters()["pEC50"], -1.0, atol=1e-6)  # -log10(10) in the data's unit
    assert r.potency().empty
    assert "not a molar p-value" in r.p_scale
    d = r.to_dict()
    assert d["dose_unit"] is None and "not a molar" in d["p_values"] and d["potency"] == []
    assert "not a molar p-value" in r.report(profile=False)


def schild_nm(KB_nM=2.0, ec50_nM=10.0, s=1.0, noise=0.0, seed=0, b_column="antagonist_nM", b_scale=1.0):
    rng = np.random.default_rng(seed)
    rows = []
    for B in (0.0, 1.0, 10.0, 100.0, 1000.0):
        ec = schild_ec50(ec50_nM, B, -np.log10(KB_nM), s)
        for a in np.logspace(-2, 5, 15):
            rows.append({b_column: B * b_scale, "agonist_nM": a,
                         "response": 5 + 95 / (1 + ec / a) + noise * rng.standard_normal()})
    return pd.DataFrame(rows)


def test_schild_pa2_is_molar_analytic():
    """KB = 2 nM by construction: pA2 = -log10(2e-9) = 8.69897; pKB equal when s is fixed at 1."""
    r = fit_schild(schild_nm(), dose="agonist_nM", antagonist="antagonist_nM")
    assert r.covariate_units == {"antagonist": "nM"}
    np.testing.assert_allclose(r.parameters(r.curves[0])["pA2"], -np.log10(2e-9), atol=1e-6)
    np.testing.assert_allclose(r.parameters(r.curves[0])["s"], 1.0, atol=1e-6)
    pot = r.potency()
    assert "pKB" not in set(pot.quantity)  # s estimated: pA2 is not pKB
    fixed = fit_schild(schild_nm(), dose="agonist_nM", antagonist="antagonist_nM", fixed={"s": 1.0})
    p = fixed.potency().set_index("quantity")
    np.testing.assert_allclose(p.loc["pKB", "estimate"], 8.69897, atol=1e-5)
    np.testing.assert_allclose(p.loc["pA2", "estimate"], 8.69897, atol=1e-5)
    # the control EC50 (10 nM) gives pEC50 8
    pec = p.loc["pEC50"]
    pec = pec[pec.curve == "0"] if isinstance(pec, pd.DataFrame) else pec
    np.testing.assert_allclose(float(np.asarray(pec.estimate).ravel()[0]), 8.0, atol=1e-6)


def test_schild_antagonist_in_another_unit_and_classic_schild_regression():
    """Antagonist in µM (an explicit unit) gives the same molar pA2; so does the classic Schild plot:
    per-curve EC50s, dose ratios, regression of log10(DR - 1) on log10 [B] in mol/L."""
    df = schild_nm(noise=1.0, seed=2, b_column="B", b_scale=1e-3)
    r = fit_schild(df, dose="agonist_nM", antagonist="B", antagonist_unit="uM", fixed={"s": 1.0})
    pa2 = r.parameters(r.curves[0])["pA2"]
    assert abs(pa2 - 8.69897) < 4 * r.se[r.names.index("pA2")]
    ec50 = {}
    for B, part in df.groupby("B"):
        f = fit_curve(part.rename(columns={"agonist_nM": "dose"}), "sigEmax")
        ec50[B] = f.parameters()["EC50"]
    Bs = np.array([b for b in ec50 if b > 0])
    dr = np.array([ec50[b] / ec50[0.0] for b in Bs])
    slope, intercept = np.polyfit(np.log10(Bs * 1e-6), np.log10(dr - 1), 1)
    assert abs(slope - 1) < 0.1
    assert abs(intercept / slope - pa2) < 0.1  # pA2 = intercept / slope of the Schild plot


def test_schild_antagonist_without_unit_takes_the_dose_unit_with_a_note():
    df = schild_nm(b_column="antagonist")
    r = fit_schild(df, dose="agonist_nM")
    assert r.covariate_units == {"antagonist": "nM"}
    assert any("name no unit" in n for n in r.notes)
    np.testing.assert_allclose(r.parameters(r.curves[0])["pA2"], 8.69897, atol=1e-5)


def test_operational_pka_is_molar():
    rows = []
    for cond, tau in (("control", 10.0), ("depleted", 1.0)):
        for a in np.logspace(-1, 5, 13):  # nM
            rows.append({"condition": cond, "conc_nM": a,
                         "response": float(operational_response(a, Em=100.0, KA=300.0, tau=tau))})
    r = fit_operational(pd.DataFrame(rows), dose="conc_nM", fixed={"n": 1.0, "basal": 0.0})
    p = r.potency().set_index("quantity")
    np.testing.assert_allclose(p.loc["pKA", "estimate"], -np.log10(300e-9), atol=1e-5)


def test_cli_dose_unit(tmp_path, capsys):
    path = tmp_path / "ec50.csv"
    df = agonist(column="conc")
    df.to_csv(path, index=False)
    out = tmp_path / "out"
    code = main(["curve", str(path), "--model", "sigEmax.p", "--dose", "conc", "--dose-unit", "nM",
                 "--no-profile", "-o", str(out)])
    stdout, err = capsys.readouterr()
    assert code == 0, err
    assert "pEC50 8.000" in stdout
    data = json.loads((out / "curve.json").read_text(encoding="utf-8"))
    assert data["dose_unit"] == "nM"
    assert round(data["curves"]["all"]["parameters"]["pEC50"]["estimate"], 3) == 8.0
    assert "## Potency (molar)" in (out / "report.md").read_text(encoding="utf-8")
    code = main(["curve", str(path), "--dose", "conc", "--dose-unit", "furlong", "-o", str(tmp_path / "x")])
    _, err = capsys.readouterr()
    assert code == 2 and "unknown concentration unit 'furlong'" in err and len(err.strip().splitlines()) == 1
