"""SED-ML / COMBINE: archives written by receptorkin, executed by tellurium,
reproduce receptorkin's own simulation."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest
from numpy.testing import assert_allclose

from receptorkin.errors import ModelError, OutputExistsError
from receptorkin.export.sedml import dose_response_omex, run_omex, timecourse_omex
from receptorkin.simulation import Simulator

DOSES = [0.0, 0.1, 1.0, 10.0, 100.0]


def _close(a: np.ndarray, b: np.ndarray, rtol: float = 1e-6) -> None:
    big = np.abs(b) > 1e-9
    assert_allclose(a[big], b[big], rtol=rtol)
    assert np.all(np.abs(a[~big]) < 1e-6)


@pytest.mark.parametrize("model_id", ["trafficking", "gpcr_desensitization"])
def test_timecourse_archive_round_trip(model_id, tmp_path):
    sim = Simulator(model_id, rtol=1e-10, atol=1e-12)
    t_end = {"min": 240.0, "h": 48.0}[sim.time_unit]
    path = timecourse_omex(tmp_path / "tc.omex", model_id, t_end, 49, values={sim.ligand: 10.0})
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
    assert {"manifest.xml", "model.xml", "simulation.sedml"} <= names
    theirs = run_omex(path)
    ours = sim.timecourse(t_end, 49, values={sim.ligand: 10.0})
    assert_allclose(theirs["time"], ours.index.to_numpy())
    for column in ours.columns:
        _close(theirs[column].to_numpy(), ours[column].to_numpy())


@pytest.mark.parametrize("readout", ["steady", 30.0])
def test_dose_response_archive_round_trip(readout, tmp_path):
    sim = Simulator("trafficking", rtol=1e-10, atol=1e-12)
    path = dose_response_omex(tmp_path / "dr.omex", "trafficking", DOSES, readout, observables=["occupancy", "surface_receptor"])
    theirs = run_omex(path)
    ours = sim.dose_response(DOSES, readout, ["occupancy", "surface_receptor"])
    assert_allclose(theirs["ligand"], DOSES)
    for column in ("occupancy", "surface_receptor"):
        _close(theirs[column].to_numpy(), ours[column].to_numpy())


def test_regimen_archive_round_trip(tmp_path):
    dosing = pytest.importorskip("receptorkin.dosing", reason="receptorkin.dosing (regimens) is not in this build")
    regimen = "exposure:10nM@0-60min"
    path = timecourse_omex(tmp_path / "reg.omex", "trafficking", 120.0, 5, regimen=regimen, selections=["surface_receptor"])
    theirs = run_omex(path)
    sim = Simulator("trafficking", rtol=1e-10, atol=1e-12)
    ours = []
    for t in (30.0, 90.0, 120.0):
        dosing.apply_regimen(sim, dosing.parse_regimen(regimen), t)
        ours.append(sim.get("surface_receptor"))
    got = theirs.set_index("time")["surface_receptor"]
    assert_allclose([got[30.0], got[90.0], got[120.0]], ours, rtol=1e-6)


def test_archives_refuse_bad_input_and_existing_files(tmp_path):
    with pytest.raises(ModelError, match="t_end must be a positive number"):
        timecourse_omex(tmp_path / "a.omex", "trafficking", -1.0)
    with pytest.raises(ModelError, match="no species, parameter or rule variable 'surface'"):
        timecourse_omex(tmp_path / "a.omex", "trafficking", 10.0, selections=["surface"])
    with pytest.raises(ModelError, match="doses must be finite and non-negative"):
        dose_response_omex(tmp_path / "a.omex", "trafficking", [-1.0, 1.0])
    path = timecourse_omex(tmp_path / "a.omex", "trafficking", 10.0, 3)
    with pytest.raises(OutputExistsError):
        timecourse_omex(path, "trafficking", 10.0, 3)
    timecourse_omex(path, "trafficking", 20.0, 3, force=True)
    assert run_omex(path)["time"].iloc[-1] == 20.0


def test_cli_export_omex(tmp_path, capsys):
    from receptorkin.cli import main

    out = tmp_path / "t.omex"
    assert main(["export", "trafficking", "-o", str(out), "--t-end", "2h", "--points", "5", "--dose", "10nM"]) == 0
    df = run_omex(out)
    assert_allclose(df["time"], [0, 30, 60, 90, 120])
    ours = Simulator("trafficking").timecourse(120, 5, values={"ligand": 10.0})
    assert_allclose(df["surface_receptor"], ours["surface_receptor"], rtol=1e-6)
    dr = tmp_path / "dr.omex"
    assert main(["export", "trafficking", "-o", str(dr), "--doses", "0.1,1,10"]) == 0
    assert len(run_omex(dr)) == 3
    assert main(["export", "trafficking", "-o", str(tmp_path / "x.omex")]) == 1
    assert "needs --t-end" in capsys.readouterr().err
