import numpy as np
import pytest

from conftest import BAD, ROOT
from receptorkin.errors import DataError
from receptorkin.dosing import Exposure
from receptorkin.data.measurements import load_conditions, load_measurements, parse_exposures


def test_units_are_converted_and_controls_kept(tmp_path):
    f = tmp_path / "m.csv"
    f.write_text("dose,response,time,dose_unit,time_unit,condition\n0,1,,nM,h,\n1,2,0.5,uM,h,4h\n")
    m = load_measurements(f)
    t = m.table
    assert t["dose"].tolist() == [0.0, 1000.0]
    assert np.isnan(t["time"].iloc[0]) and t["time"].iloc[1] == 30.0  # minutes
    assert t["condition"].tolist() == ["control", "4h"]
    assert t["line"].tolist() == [2, 3]


@pytest.mark.parametrize("name,match", [
    ("measurements_missing_column.csv", "missing"),
    ("measurements_text_in_number.csv", r"measurements_text_in_number.csv:3: column 'dose': not a number \(got '1e-3 nM'\)"),
    ("measurements_negative_dose.csv", r":3: column 'dose'"),
    ("measurements_nan_response.csv", r":3: column 'response'"),
    ("measurements_bad_time.csv", r":3: column 'time'"),
])
def test_bad_measurement_files(name, match):
    with pytest.raises(DataError, match=match):
        load_measurements(BAD / name)


def test_every_problem_is_reported_at_once():
    with pytest.raises(DataError) as info:
        load_measurements(BAD / "measurements_nan_response.csv")
    assert ":3:" in str(info.value) and ":4:" in str(info.value)


def test_exposures():
    assert parse_exposures("1000nM@0-4h; 10nM@4h-5h") == (Exposure(0.0, 240.0, 1000.0), Exposure(240.0, 300.0, 10.0))
    assert parse_exposures("1uM@30min-90min") == (Exposure(30.0, 90.0, 1000.0),)
    assert parse_exposures("none") == ()


def test_bad_conditions_name_line_and_column():
    with pytest.raises(DataError, match=r"conditions_unknown_parameter.csv:1: column 'k_internalisation': not a parameter.*did you mean 'k_internalization'"):
        load_conditions(BAD / "conditions_unknown_parameter.csv", {"k_internalization": 0.1, "k_on": 1.0})
    with pytest.raises(DataError) as info:
        load_conditions(BAD / "conditions_bad_pretreatment.csv")
    text = str(info.value)
    assert ":2: column 'pretreatment'" in text and ":3: column 'pretreatment'" in text and "overlap" in text


def test_bundled_conditions_table():
    conds = load_conditions(ROOT / "data" / "desensitization_conditions.csv")
    assert conds["24h"].exposures[0].stop == 24 * 60.0
    assert conds["naive"].exposures == ()
