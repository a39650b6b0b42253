"""A user's model without declared units: assumed units are announced, impossible conversions refused.

Expected numbers come from the models' own declarations: a model in hours
and µM must receive 2 h as 2 and 10 µM as 10, a model without units 120
(minutes) and 10000 (nM) with one warning line each.
"""

from __future__ import annotations

import warnings

import pytest

from receptorkin.models.units import model_units, read_dose, read_time
from receptorkin.cli import main
from receptorkin.errors import AssumedUnitWarning
from receptorkin.models.sbml import load_model
from receptorkin.units import UnitError

BODY = """
  compartment cell = 1
  species R in cell, C in cell
  {ligand} L in cell
  J0: R + L -> C; kon*R*L - koff*C
  R = 1; L = 0; C = 0
  kon = 0.1; koff = 0.01
end
"""


def write(tmp_path, name, units="", ligand="species"):
    path = tmp_path / f"{name}.ant"
    path.write_text(f"model {name}\n{units}" + BODY.format(ligand=ligand), encoding="utf-8")
    return path


def test_no_units_warns_once_per_quantity_and_uses_min_and_nM(tmp_path):
    units = model_units(load_model(write(tmp_path, "bare")), "L")
    assert (units.time_declared, units.dose_declared) == (False, False)
    with pytest.warns(AssumedUnitWarning, match=r"declares no time unit: --t-end 2h read as 120 min"):
        assert read_time(units, "2h", "--t-end") == 120.0
    with pytest.warns(AssumedUnitWarning, match=r"declares no unit for its ligand: --dose 10uM read as 10000 nM"):
        assert read_dose(units, "10uM", "--dose") == 10000.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a bare number assumes nothing
        assert read_time(units, "30", "--t-end") == 30.0 and read_dose(units, "1e-3", "--dose") == 1e-3


def test_declared_hours_and_micromolar_are_used_without_warning(tmp_path):
    path = write(tmp_path, "declared", "  unit time_unit = 3600 second\n  unit substance = 1e-6 mole\n"
                                       "  unit volume = litre\n")
    units = model_units(load_model(path), "L")
    assert (units.time, units.dose, units.time_declared, units.dose_declared) == ("h", "uM", True, True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert read_time(units, "90min", "--t-end") == pytest.approx(1.5)
        assert read_dose(units, "10nM", "--dose") == pytest.approx(0.01)


def test_a_ligand_that_is_an_amount_refuses_a_concentration(tmp_path):
    path = write(tmp_path, "amount", "  unit substance = 1e-9 mole\n  unit volume = litre\n", ligand="substanceOnly species")
    units = model_units(load_model(path), "L")
    assert "an amount" in units.dose_problem
    with pytest.raises(UnitError, match=r"--dose 10uM: model 'amount' cannot take a concentration with a unit: "
                                        r"its ligand is an amount"):
        read_dose(units, "10uM", "--dose")
    assert read_dose(units, "5", "--dose") == 5.0


def test_time_units_that_are_not_a_time_refuse_a_time_with_a_unit(tmp_path):
    path = write(tmp_path, "notime", "  unit time_unit = 1 metre\n")
    units = model_units(load_model(path), "L")
    assert "not a time" in units.time_problem
    with pytest.raises(UnitError, match="cannot take a time with a unit"):
        read_time(units, "2h", "--t-end")


def test_bundled_models_declare_both():
    u = model_units(load_model("trafficking"))
    assert u.time_declared and u.dose_declared and u.time_problem is None and u.dose_problem is None


def test_cli_simulate_prints_one_line_per_assumption_and_converts_declared_units(tmp_path, capsys):
    bare = write(tmp_path, "bare")
    out = tmp_path / "bare.csv"
    assert main(["simulate", str(bare), "--ligand", "L", "--t-end", "2h", "--dose", "10uM", "--points", "3",
                 "-o", str(out)]) == 0
    err = capsys.readouterr().err
    lines = [l for l in err.splitlines() if l.startswith("receptorkin: warning:")]
    assert len(lines) == 2 and "120 min" in lines[0] and "10000 nM" in lines[1]
    import pandas as pd

    df = pd.read_csv(out)
    assert list(df.time) == [0.0, 60.0, 120.0] and df.L.iloc[0] == 10000.0
    declared = write(tmp_path, "declared", "  unit time_unit = 3600 second\n  unit substance = 1e-6 mole\n"
                                           "  unit volume = litre\n")
    out2 = tmp_path / "declared.csv"
    assert main(["simulate", str(declared), "--ligand", "L", "--t-end", "2h", "--dose", "10uM", "--points", "3",
                 "-o", str(out2)]) == 0
    assert "warning" not in capsys.readouterr().err
    df = pd.read_csv(out2)
    assert list(df.time) == [0.0, 1.0, 2.0] and df.L.iloc[0] == 10.0  # 10 µM in a µM model, not 10000
    amount = write(tmp_path, "amount", "  unit substance = 1e-9 mole\n", ligand="substanceOnly species")
    assert main(["simulate", str(amount), "--ligand", "L", "--t-end", "2", "--dose", "10uM",
                 "-o", str(tmp_path / "a.csv")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "its ligand is an amount" in err
