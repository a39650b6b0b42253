import pytest

from receptorkin.units import UnitError, parse_concentration, parse_time


@pytest.mark.parametrize("text,unit,expected", [
    ("24h", "min", 1440.0), ("90min", "h", 1.5), ("14d", "h", 336.0), ("30s", "min", 0.5),
    ("2w", "d", 14.0), ("7", "h", 7.0), (3.5, "min", 3.5), ("1e2 min", "min", 100.0),
])
def test_parse_time(text, unit, expected):
    assert parse_time(text, unit) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("text,expected", [("10nM", 10.0), ("1uM", 1000.0), ("1µM", 1000.0), ("5 pM", 0.005), ("2e-9M", 2.0), ("4", 4.0)])
def test_parse_concentration_to_nM(text, expected):
    assert parse_concentration(text, "nM") == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("bad", ["abc", "10 parsecs", "1..2h", ""])
def test_bad_quantities_name_the_option(bad):
    with pytest.raises(UnitError, match="--t-end"):
        parse_time(bad, "min", what="--t-end")
