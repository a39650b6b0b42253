"""Regimen values: validation, text and JSON forms, schedules."""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from receptorkin.dosing import (Bolus, Exposure, Holiday, Infusion, PulseTrain, Regimen, as_regimen, parse_exposures,
                                parse_regimen)
from receptorkin.errors import RegimenError

# ------------------------------------------------------------------ parsing


def test_cli_examples_parse_to_canonical_minutes():
    r = parse_regimen("pulses:every=90min,width=6min,dose=10nM,for=7d")
    (p,) = r.parts
    assert p == PulseTrain(0.0, 90.0, 6.0, concentration=10.0, count=112)  # 7 d / 90 min = 112 pulses
    assert parse_regimen("infusion:rate=2nmol/h,from=0,to=7d").parts == (Infusion(0.0, 10080.0, 2.0 / 60.0),)
    assert parse_regimen("exposure:1000nM@0-4h").parts == (Exposure(0.0, 240.0, 1000.0),)
    assert parse_regimen("bolus:10nmol@0,12h,24h").parts == (Bolus(0, 10), Bolus(720, 10), Bolus(1440, 10))
    assert parse_regimen("exposure:1uM@30s-2h;holiday:1d-2d").parts == (Exposure(0.5, 120.0, 1000.0), Holiday(1440, 2880))
    assert parse_regimen("none") == Regimen(())


def test_text_units_are_converted_exactly():
    assert Bolus("1.5h", "2umol") == Bolus(90.0, 2000.0)
    assert Exposure("90s", "2h", "500pM") == Exposure(1.5, 120.0, 0.5)
    assert Infusion(0, "1d", "6nmol/h").rate == 0.1


def test_name_and_separators():
    r = parse_regimen("daily=bolus:5nmol@0,1d")
    assert r.name == "daily" and r.label == "daily" and len(r) == 2
    add = parse_regimen("exposure:10nM@0-4h+exposure:5nM@2h-5h")
    assert add.additive
    with pytest.raises(RegimenError, match="not both"):
        parse_regimen("exposure:10nM@0-1h;exposure:5nM@2h-3h+holiday:1d-2d")


def test_parse_exposures_for_pretreatments():
    got = parse_exposures("1000nM@0-4h; 10nM@4h-5h")
    assert got == (Exposure(0, 240, 1000.0), Exposure(240, 300, 10.0))
    assert parse_exposures("exposure:1nM@2h-") == (Exposure(120, None, 1.0),)
    with pytest.raises(RegimenError, match="exposure"):
        parse_exposures("1000nM@4h-1h")


def test_readable_str():
    r = parse_regimen("q=pulses:every=90min,width=6min,dose=10nM,count=3;holiday:1d-2d")
    assert str(r) == "q: 6 min pulses of 10 nM every 90 min, 3 pulses; drug holiday from 24 h to 2 d"


# --------------------------------------------------------------- bad input
@pytest.mark.parametrize("text, match", [
    ("bolus:10nmol@-5min", "bolus: time must be a non-negative time"),
    ("exposure:10nM@-1h-2h", "exposure"),
    ("pulses:every=0min,width=0,dose=5nmol", "pulses: period must be a positive time"),
    ("pulses:every=-30min,width=1min,dose=10nM", "pulses: period must be a positive time"),
    ("pulses:every=30min,width=1h,dose=10nM", r"pulses: width \(1h\) is longer than the period \(30min\)"),
    ("pulses:every=30min,width=0,dose=10nM", "width must be positive for a rate or a concentration"),
    ("pulses:every=30min,width=5min", "give one dose="),
    ("pulses:every=30min,width=5min,dose=10", "has no unit"),
    ("pulses:every=30min,width=5min,dose=10nM,colour=red", "unknown field 'colour'"),
    ("infusion:rate=2nmol/h,from=5h,to=1h", r"infusion: stop \(1h\) must be after start \(5h\)"),
    ("infusion:rate=-2nmol/h,from=0,to=1h", "infusion: rate must be non-negative"),
    ("infusion:rate=2nmol,from=0,to=1h", "a rate needs an amount per time"),
    ("exposure:10nmol@0-1h", "must be a concentration"),
    ("bolus:10nM@0", "must be an amount"),
    ("bolus:10nmol@3fortnights", "unknown time unit"),
    ("pulsez:every=1h", "unknown kind 'pulsez' .*did you mean 'pulses'"),
    ("exposure:10nM@0-4h;bolus:1nmol@0", "mixes an in-vitro concentration"),
    ("", "empty"),
])
def test_bad_text_says_which_part_and_field(text, match):
    with pytest.raises(RegimenError, match=match):
        parse_regimen(text)


def test_overlapping_inputs_are_refused_unless_additive():
    with pytest.raises(RegimenError, match=r"parts 1 \(infusion:.*\) and 2 \(infusion:.*\) overlap from 2h to 4h; their rates would add"):
        Regimen((Infusion(0, 240, 1.0), Infusion(120, 600, 2.0)))
    ok = Regimen((Infusion(0, 240, 1.0), Infusion(120, 600, 2.0)), additive=True)
    s = ok.schedule(1000)
    assert_allclose(s.times, [0, 120, 240, 600, 1000])
    assert_allclose(s.level, [1, 3, 2, 0, 0])
    # touching intervals do not overlap; pulses and an exposure after them neither
    Regimen((Exposure(0, 240, 1.0), Exposure(240, 300, 2.0)))
    Regimen((PulseTrain(0, 60, 10, concentration=1, count=3), Exposure(180, 200, 5)))


def test_open_ended_pulses_overlap_found_when_scheduled():
    r = Regimen((PulseTrain(0, 60, 10, concentration=1.0), PulseTrain(30, 61, 10, concentration=1.0)))
    with pytest.raises(RegimenError, match="overlap"):
        r.schedule(14 * 1440)


def test_bad_parts_in_python():
    with pytest.raises(RegimenError, match="exactly one of amount"):
        PulseTrain(0, 60, 5, amount=1, concentration=2)
    with pytest.raises(RegimenError, match="count must be a positive whole number"):
        PulseTrain(0, 60, 5, concentration=2, count=0)
    with pytest.raises(RegimenError, match="route must be one of"):
        Bolus(0, 1, route="oral")
    with pytest.raises(RegimenError, match="part 1: expected Bolus"):
        Regimen(("bolus:1nmol@0",))
    with pytest.raises(RegimenError, match="regimen name"):
        Regimen((), name="a=b")
    with pytest.raises(RegimenError, match="too many to simulate"):
        PulseTrain(0, 1e-4, 0, amount=1.0).starts(14 * 1440)


# ----------------------------------------------------------------- schedules
def test_dose_at_time_zero_and_same_time_doses_add():
    s = parse_regimen("bolus:10nmol@0,0,12h;bolus:5nmol@12h").schedule(1440)
    assert_allclose(s.times, [0, 720, 1440])
    assert_allclose(s.bolus["auto"], [20, 15, 0])
    assert_allclose(s.dose_times, [0, 720])
    assert s.input_end == 720 and not s.ongoing


def test_holiday_suppresses_inputs():
    s = parse_regimen("pulses:every=90min,width=6min,dose=10nM;holiday:3h-6h").schedule(600)
    assert_allclose(s.dose_times, [0, 90, 360, 450, 540])
    assert_allclose(s.times, [0, 6, 90, 96, 360, 366, 450, 456, 540, 546, 600])
    assert_allclose(s.level[:-1], [10, 0] * 5)


def test_schedule_value_at_the_end_is_right_continuous():
    s = parse_regimen("exposure:5nM@0-10h").schedule(600)
    assert_allclose(s.level, [5, 0])  # the exposure ends at the end: the ligand is washed out there
    s = parse_regimen("exposure:5nM@0-").schedule(600)
    assert_allclose(s.level, [5, 5]) and s.ongoing


def test_float_noise_in_pulse_times_is_merged():
    s = Regimen((PulseTrain(0, 0.1, 0.05, concentration=1.0, count=30),)).schedule(3.0)
    assert np.all(np.diff(s.times) > 1e-6)
    assert s.dose_times.size == 30


# --------------------------------------------------------------- round trips
_time = st.one_of(st.integers(0, 10**6).map(float), st.floats(0, 1e6, allow_nan=False, allow_infinity=False))
_amount = st.one_of(st.integers(0, 10**4).map(float), st.floats(0, 1e9, allow_nan=False, allow_infinity=False))


@st.composite
def pulse_trains(draw):
    period = draw(st.one_of(st.integers(1, 10**4).map(float), st.floats(1e-2, 1e4, allow_nan=False)))
    kind = draw(st.sampled_from(["amount", "rate", "concentration"]))
    frac = draw(st.floats(0, 1))
    width = min(period, period * frac)
    if kind != "amount" and width == 0:
        width = period
    count = draw(st.one_of(st.none(), st.integers(1, 40)))
    route = draw(st.sampled_from(["auto", "depot", "central"])) if kind == "amount" else "auto"
    return PulseTrain(draw(_time), period, width, count=count, route=route, **{kind: draw(_amount)})


@st.composite
def intervals(draw):
    a = draw(_time)
    b = a + draw(st.floats(1e-3, 1e5, allow_nan=False))
    return a, b


parts_vitro = st.one_of(
    st.builds(lambda ab, c: Exposure(ab[0], ab[1], c), intervals(), _amount),
    st.builds(lambda t, c: Exposure(t, None, c), _time, _amount),
    pulse_trains().filter(lambda p: p.concentration is not None),
    st.builds(lambda ab: Holiday(*ab), intervals()),
)
parts_pk = st.one_of(
    st.builds(Bolus, _time, _amount, st.sampled_from(["auto", "depot", "central"])),
    st.builds(lambda ab, r: Infusion(ab[0], ab[1], r), intervals(), _amount),
    pulse_trains().filter(lambda p: p.concentration is None),
    st.builds(lambda ab: Holiday(*ab), intervals()),
)
names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789 _-.", max_size=12).map(str.strip)
regimens = st.builds(lambda parts, name: Regimen(tuple(parts), name=name, additive=True),
                     st.one_of(st.lists(parts_vitro, max_size=4), st.lists(parts_pk, max_size=4)), names)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(regimens)
def test_round_trip_through_text_and_json(reg):
    assert parse_regimen(reg.to_text()) == reg
    assert Regimen.from_json(reg.to_json()) == reg
    assert as_regimen(reg.to_json()) == reg
    assert parse_regimen(reg.to_text()).to_text() == reg.to_text()


@settings(max_examples=100, deadline=None)
@given(pulse_trains())
def test_single_part_non_additive_round_trip(part):
    reg = Regimen((part,))
    assert parse_regimen(reg.to_text()) == reg
    assert Regimen.from_json(reg.to_json()) == reg


def test_json_is_versioned_and_checked():
    text = parse_regimen("bolus:10nmol@0").to_json()
    assert '"receptorkin_regimen": 1' in text and '"time": "min"' in text
    with pytest.raises(RegimenError, match="part 1: 'type' must be one of"):
        Regimen.from_dict({"parts": [{"type": "tablet"}]})
    with pytest.raises(RegimenError, match="regimen JSON"):
        Regimen.from_json("{not json")
    with pytest.raises(RegimenError, match="times must be in min"):
        Regimen.from_dict({"units": {"time": "h"}, "parts": []})


def test_end_and_kind():
    assert parse_regimen("exposure:1nM@0-").end == math.inf
    assert parse_regimen("bolus:1nmol@2h").kind == "amount"
    assert parse_regimen("none").kind == "none"
