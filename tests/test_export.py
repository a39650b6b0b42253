"""SBML export: fitted values and intervals written in, annotations kept,
validation before writing, round trips, regimens as events, the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
from numpy.testing import assert_allclose

from conftest import BRANNMARK

from receptorkin.errors import DataError, ModelError, OutputExistsError
from receptorkin.export import apply_fit, export_sbml, load_fit
from receptorkin.models import library
from receptorkin.models.sbml import load_model
from receptorkin.simulation import Simulator

FIT = {
    "model": "trafficking",
    "parameters": {
        "k_internalization": {"estimate": 0.21, "se": 0.012, "ci_low": 0.187, "ci_high": 0.234, "unit": "1/min"},
        "k_recycling": {"estimate": 0.04, "se": 0.005, "ci_low": 0.031, "ci_high": 0.05, "unit": "1/min"},
        "sigma": {"estimate": 310.0, "se": None, "ci_low": None, "ci_high": None, "unit": "receptors"},
    },
    "objective": 123.4,
    "aicc": 260.8,
}


def _annotations(sbml: str) -> dict:
    import libsbml

    m = libsbml.readSBMLFromString(sbml).getModel()
    cv = []
    for i in range(m.getNumCVTerms()):
        t = m.getCVTerm(i)
        cv += [t.getResourceURI(j) for j in range(t.getNumResources())]
    return {
        "sbo": {r.getId(): r.getSBOTerm() for r in m.getListOfReactions()},
        "cv": cv,
        "units": {u.getId(): libsbml.UnitDefinition.printUnits(u) for u in m.getListOfUnitDefinitions()},
        "param_units": {p.getId(): p.getUnits() for p in m.getListOfParameters()},
        "time_units": m.getTimeUnits(),
    }


@pytest.fixture
def fit_json(tmp_path):
    path = tmp_path / "fit.json"
    path.write_text(json.dumps(FIT))
    return path


def test_export_writes_fitted_values_notes_and_keeps_annotations(tmp_path, fit_json):
    out = tmp_path / "fitted.xml"
    result = export_sbml("trafficking", out, fit=fit_json)
    assert result.path == out and out.exists()
    assert result.written == {"k_internalization": 0.21, "k_recycling": 0.04}
    assert result.skipped == ("sigma",)
    assert result.report.ok and result.report.unit_warnings == []
    exported = load_model(out)
    assert exported.parameters["k_internalization"] == 0.21
    assert exported.parameters["k_recycling"] == 0.04
    original = library.load("trafficking")
    assert exported.parameters["k_on"] == original.parameters["k_on"]
    note = exported.element("k_internalization").source
    assert "Fitted value: 0.21 1/min (SE 0.012; 95% CI 0.187 to 0.234)" in note
    assert "objective 123.4, AICc 260.8, from fit.json" in note
    assert "Herbst" in note  # the original source of the value is kept
    assert _annotations(exported.sbml) == _annotations(original.sbml)
    assert exported.ligand == original.ligand and exported.observables == original.observables


def test_export_round_trip_simulates_identically(tmp_path, fit_json):
    out = tmp_path / "fitted.xml"
    export_sbml("trafficking", out, fit=fit_json)
    fitted_in_memory, _, _ = apply_fit(library.load("trafficking"), fit_json)
    a = Simulator(load_model(out)).timecourse(240, 49, values={"ligand": 10.0})
    b = Simulator(fitted_in_memory).timecourse(240, 49, values={"ligand": 10.0})
    c = Simulator("trafficking").set(k_internalization=0.21, k_recycling=0.04).timecourse(240, 49, values={"ligand": 10.0})
    assert_allclose(a.to_numpy(), b.to_numpy(), rtol=1e-12)
    assert_allclose(a.to_numpy(), c.to_numpy(), rtol=1e-12)


@pytest.mark.parametrize("model_id", library.available())
def test_every_bundled_model_exports_valid_without_unit_warnings(model_id, tmp_path):
    result = export_sbml(model_id, tmp_path / f"{model_id}.xml")
    assert result.report.errors == [] and result.report.unit_warnings == []
    assert _annotations(load_model(result.path).sbml) == _annotations(library.load(model_id).sbml)


def test_export_never_overwrites_without_force(tmp_path):
    out = tmp_path / "m.xml"
    out.write_text("keep me")
    with pytest.raises(OutputExistsError, match="file exists"):
        export_sbml("trafficking", out)
    assert out.read_text(encoding="utf-8") == "keep me"
    export_sbml("trafficking", out, force=True)
    assert load_model(out).id == "trafficking"


def test_user_model_unit_warnings_are_reported_not_hidden(tmp_path):
    src = BRANNMARK / "model_Brannmark_JBC2010.xml"
    result = export_sbml(src, tmp_path / "b.xml", values={"k1a": 0.2})
    assert result.report.ok
    assert len(result.report.unit_warnings) > 0
    assert any("cannot be fully checked" in w for w in result.warnings)


def test_bad_fits_are_refused(tmp_path, fit_json):
    with pytest.raises(ModelError, match="the fit is of model 'trafficking', not of 'precursor_pool'"):
        export_sbml("precursor_pool", tmp_path / "x.xml", fit=fit_json)
    wrong_unit = json.loads(json.dumps(FIT))
    wrong_unit["parameters"]["k_internalization"]["unit"] = "1/h"
    with pytest.raises(ModelError, match=r"parameters\.k_internalization: the fit's unit '1/h' differs from the model's '1/min'"):
        export_sbml("trafficking", tmp_path / "x.xml", fit=wrong_unit)
    rule = {"model": "trafficking", "parameters": {"R0": {"estimate": 1.0}}}
    with pytest.raises(ModelError, match="'R0' is computed by a rule"):
        export_sbml("trafficking", tmp_path / "x.xml", fit=rule)
    with pytest.raises(DataError, match=r"parameters\.k_on\.estimate: expected a number or null \(got 'fast'\)"):
        load_fit({"model": "trafficking", "parameters": {"k_on": {"estimate": "fast"}}})
    with pytest.raises(DataError, match="does not contain the estimate"):
        load_fit({"parameters": {"k_on": {"estimate": 1.0, "ci_low": 2.0, "ci_high": 3.0}}})
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(DataError, match="not valid JSON"):
        load_fit(bad)
    assert not (tmp_path / "x.xml").exists()


def test_regimen_is_written_as_events_that_reproduce_the_segment_simulation(tmp_path):
    dosing = pytest.importorskip("receptorkin.dosing", reason="receptorkin.dosing (regimens) is not in this build")
    out = tmp_path / "dosed.xml"
    result = export_sbml("trafficking", out, regimen="exposure:10nM@0-60min")
    import libsbml

    assert libsbml.readSBMLFromString(out.read_text(encoding="utf-8")).getModel().getNumEvents() == 2
    assert result.report.ok
    segments = Simulator("trafficking", rtol=1e-10, atol=1e-12)
    regimen = dosing.parse_regimen("exposure:10nM@0-60min")
    times = [30.0, 90.0, 120.0]
    ours = []
    for t in times:  # receptorkin's own segment simulation, left at time t
        dosing.apply_regimen(segments, regimen, t)
        ours.append(segments.get("surface_receptor"))
    events = Simulator(load_model(out), rtol=1e-10, atol=1e-12).timecourse(times=[0.0, *times], selections=["surface_receptor"])
    assert_allclose(events["surface_receptor"].to_numpy()[1:], ours, rtol=1e-6)
    assert ours[0] < 0.6 * 20000 and ours[2] > ours[0]  # internalized under ligand, recovering after washout


def test_cli_export(tmp_path, fit_json, capsys):
    from receptorkin.cli import main

    out = tmp_path / "t.xml"
    assert main(["export", "trafficking", "--fit", str(fit_json), "-o", str(out)]) == 0
    printed = capsys.readouterr().err  # notes and warnings go to stderr; stdout is for data
    assert f"wrote {out} (2 fitted values written)" in printed
    assert "not model quantities, not written: sigma" in printed
    assert main(["export", "trafficking", "-o", str(out)]) == 1
    assert "file exists" in capsys.readouterr().err
    assert main(["export", "trafficking", "-o", str(out), "--force", "--set", "k_on=0.2"]) == 0
    assert load_model(out).parameters["k_on"] == 0.2
    assert main(["export", "trafficking", "-o", str(tmp_path / "x.xml"), "--t-end", "4h"]) == 1
    src = BRANNMARK / "model_Brannmark_JBC2010.xml"
    assert main(["export", str(src), "-o", str(tmp_path / "b.xml")]) == 0
    assert "warning" in capsys.readouterr().err


def test_exported_values_change_the_dynamics(tmp_path):
    """A sanity check that values really land in the model: faster internalization, fewer surface receptors."""
    slow = Simulator(load_model(export_sbml("trafficking", tmp_path / "a.xml", values={"k_internalization": 0.05}).path))
    fast = Simulator(load_model(export_sbml("trafficking", tmp_path / "b.xml", values={"k_internalization": 0.5}).path))
    a = slow.dose_response([10.0], "steady", "surface_receptor")["surface_receptor"].iloc[0]
    b = fast.dose_response([10.0], "steady", "surface_receptor")["surface_receptor"].iloc[0]
    assert b < a and np.isfinite(a)
