"""Property tests: every parser turns any input into a value or a ReceptorkinError, nothing else.

Each parser gets a few hundred seeded examples in ``make test`` and 2000 in
``make fuzz`` (environment variable ``RECEPTORKIN_FUZZ_EXAMPLES``).  The
inputs mix the characters and tokens each grammar uses (quotes, separators,
units, exponents, ``nan``/``inf``, NUL bytes, non-UTF-8 bytes) so that most
examples get past the first check.  A test fails on any exception that is not
a :class:`~receptorkin.errors.ReceptorkinError`, and on a parsed value that
breaks the parser's own promise (a non-finite number, a dropped field).
"""

from __future__ import annotations

import math
import os
import tempfile
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from receptorkin.errors import ReceptorkinError

EXAMPLES = int(os.environ.get("RECEPTORKIN_FUZZ_EXAMPLES", "200"))
settings.register_profile("receptorkin-fuzz", max_examples=EXAMPLES, derandomize=True, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
                          database=None)
FUZZ = settings.get_profile("receptorkin-fuzz")

NUMBERS = st.sampled_from(["0", "1", "-1", "1.5", "1e3", "1E310", "1e-320", "1e999", "nan", "NaN", "inf", "-inf",
                           "1_0", "0x10", "", " ", "1e", ".", "-", "+", "١", "1,5", "3000000000", "1e306"])
UNITS = st.sampled_from(["", "s", "min", "h", "d", "w", "nM", "uM", "µM", "M", "pM", "fM", "nmol", "mol", "nmol/h",
                         "mmol/min", "L", "/h", "x", "m", "hr", "%"])
QUANTITY = st.builds(lambda n, u, sp: n + (" " if sp else "") + u, NUMBERS, UNITS, st.booleans())


def _mixed(tokens: st.SearchStrategy, alphabet: str, max_size: int = 12) -> st.SearchStrategy:
    """Text made of grammar tokens and raw characters."""
    piece = st.one_of(tokens, st.text(alphabet=alphabet, max_size=3))
    return st.lists(piece, max_size=max_size).map("".join)


def _check(call, *args, **kwargs):
    """Run a parser: a value or a ReceptorkinError, never another exception."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return call(*args, **kwargs)
    except ReceptorkinError:
        return None


# ---------------------------------------------------------------- CSV tables
CSV_CELL = st.one_of(NUMBERS, QUANTITY, st.sampled_from(['"', '""', '"a,b"', '"x\ny"', "a\"", "#", "# c", "\x00", "\t",
                                                          "control", "µ", "\r", " ; "]),
                     st.text(alphabet=',;"\n\r\t #0123456789.eE-+abnµ\x00', max_size=6))
CSV_TEXT = st.builds(
    lambda header, rows, sep, end: header + end + end.join(sep.join(r) for r in rows) + end,
    st.sampled_from(["dose,response", "dose,response,time,condition,sd", "dose;response", "dose\tresponse",
                     "dose,dose", "DOSE,RESPONSE", "", "# c", "dose,response,replicate,observable,dose_unit,time_unit"]),
    st.lists(st.lists(CSV_CELL, min_size=0, max_size=7), max_size=8),
    st.sampled_from([",", ";", "\t"]),
    st.sampled_from(["\n", "\r\n", "\r"]),
)
CSV_BYTES = st.one_of(CSV_TEXT.map(lambda t: t.encode("utf-8")),
                      CSV_TEXT.map(lambda t: t.encode("cp1252", errors="replace")),
                      st.binary(max_size=200),
                      st.builds(lambda t, b: t.encode("utf-8") + b, CSV_TEXT, st.binary(max_size=20)))


def _with_file(data: bytes, fn):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.csv"
        path.write_bytes(data)
        return fn(path)


@FUZZ
@given(CSV_BYTES)
def test_fuzz_read_table(data):
    from receptorkin.data import read_table

    df = _with_file(data, lambda p: _check(read_table, p, required=["dose", "response"], numeric=["dose", "response"],
                                           nonnegative=["dose"]))
    if df is not None:
        assert len(df) > 0
        assert df["dose"].map(math.isfinite).all() and (df["dose"] >= 0).all()
        assert df["response"].map(math.isfinite).all()


@FUZZ
@given(CSV_BYTES, st.sampled_from(["nM", "uM", "M", "pM"]), st.sampled_from(["min", "s", "h", "d"]))
def test_fuzz_load_measurements(data, dose_unit, time_unit):
    from receptorkin.data.measurements import load_measurements

    m = _with_file(data, lambda p: _check(load_measurements, p, dose_unit=dose_unit, time_unit=time_unit))
    if m is not None:
        t = m.table
        assert t["dose"].map(math.isfinite).all() and (t["dose"] >= 0).all()
        assert t["response"].map(math.isfinite).all()
        times = t["time"].dropna()
        assert times.map(math.isfinite).all() and (times >= 0).all()


PRETREATMENT = _mixed(st.sampled_from(["1000nM@0-4h", "10nM@4h-5h", "exposure:", "none", "-", "@", ";", ",", "nM",
                                       "1e306h", "1e999", "nan", "0-", "-end"]), "0123456789.@-;,:hnMe ")
CONDITIONS = st.builds(
    lambda rows: "condition,pretreatment,washout,k_recycling\n" + "\n".join(",".join(r) for r in rows) + "\n",
    st.lists(st.tuples(st.sampled_from(["control", "1h", "", "1h", '"a,b"']), PRETREATMENT,
                       st.one_of(QUANTITY, NUMBERS), NUMBERS), max_size=5))


@FUZZ
@given(CONDITIONS)
def test_fuzz_load_conditions(text):
    from receptorkin.data.measurements import load_conditions

    out = _with_file(text.encode("utf-8"), lambda p: _check(load_conditions, p, {"k_recycling": 1.0}))
    if out is not None:
        for cond in out.values():
            assert math.isfinite(cond.challenge_at) and cond.challenge_at >= 0
            assert all(math.isfinite(v) for v in cond.overrides.values())


# ---------------------------------------------------------------- regimen text
REGIMEN_TOKENS = st.sampled_from([
    "bolus:", "infusion:", "pulses:", "exposure:", "holiday:", "none", "10nmol@0", ",12h", "rate=2nmol/h", "from=0",
    "start=5h", "to=7d", "stop=1d", "every=90min", "period=1h", "width=6min", "dose=10nM", "amount=5nmol",
    "count=3", "for=2d", "route=depot", "route=iv", "1000nM@0-4h", "@0-", "0-1e306h", "1e999", ";", "+", "=", ",",
    "name=", "A=", "-end", "nan", "inf", "1E310h", "count=99999999999999999999", "every=0", "width=0",
])
REGIMEN_TEXT = _mixed(REGIMEN_TOKENS, "0123456789.@-;,:+=hmindsMnol/ ", max_size=10)


@FUZZ
@given(REGIMEN_TEXT, st.sampled_from([60.0, 1440.0, 20160.0]))
def test_fuzz_parse_regimen(text, until):
    from receptorkin.dosing import parse_regimen

    regimen = _check(parse_regimen, text)
    if regimen is not None:
        _check(regimen.schedule, until)  # compiling it is part of using it
        again = _check(parse_regimen, regimen.to_text())
        assert again is not None, regimen.to_text()
        assert again.to_dict() == regimen.to_dict()


@FUZZ
@given(st.one_of(REGIMEN_TEXT, st.text(max_size=40)))
def test_fuzz_regimen_json(text):
    import json

    from receptorkin.dosing import Regimen

    _check(Regimen.from_json, text)
    _check(Regimen.from_json, json.dumps({"parts": [{"type": "infusion", "start": text, "stop": "1h", "rate": 1}]}))


@FUZZ
@given(PRETREATMENT)
def test_fuzz_parse_exposures(text):
    from receptorkin.data.measurements import parse_exposures

    out = _check(parse_exposures, text, "f.csv:2: column 'pretreatment'")
    for e in out or ():
        assert math.isfinite(e.start) and math.isfinite(e.stop) and e.stop > e.start >= 0


# ---------------------------------------------------------------- units and options
@FUZZ
@given(st.one_of(QUANTITY, st.text(max_size=12)), st.sampled_from(["min", "h", "s", "d"]))
def test_fuzz_units(text, unit):
    from receptorkin.units import parse_concentration, parse_time

    for value in (_check(parse_time, text, unit, "--t-end"), _check(parse_concentration, text, "nM", "--dose")):
        assert value is None or math.isfinite(value)


DOSES = _mixed(st.sampled_from(["1e-3", "1e3", "12", ":", ",", "1E310", "1000000000", "3000000000", "nan", "0", "-1",
                                "inf", "2.5"]), "0123456789.:,-e ", max_size=8)


@FUZZ
@given(DOSES)
def test_fuzz_dose_ranges(text):
    from receptorkin.cli._common import MAX_POINTS
    from receptorkin.cli.dose_response import parse_doses

    doses = _check(parse_doses, text)
    if doses is not None:
        assert len(doses) <= MAX_POINTS and all(math.isfinite(d) for d in doses)


ASSIGN = _mixed(st.sampled_from(["k=1", "k=2", "a=", "=1", "k=1:2", "k=0.001:1:5", "k=nan", "k=1e999", ",", "=", ":",
                                 "k", "b=3"]), "kab=:,.0123456789e- ", max_size=6)


@FUZZ
@given(st.lists(ASSIGN, max_size=3))
def test_fuzz_option_assignments(items):
    from receptorkin.cli._common import parse_assignments, parse_numbers, parse_range

    pairs = _check(parse_assignments, items, "--set")
    if pairs is None:
        return
    given = [p.strip() for item in items for p in item.split(",") if p.strip()]
    assert len(pairs) == len(given)  # nothing given is dropped or overwritten
    for key, value in pairs.items():
        assert any(p.startswith(key) and p.endswith(value) for p in given)
    numbers = _check(parse_numbers, pairs, "--set")
    assert numbers is None or all(math.isfinite(v) for v in numbers.values())
    for key, value in pairs.items():
        rng = _check(parse_range, value, f"--bounds {key}")
        assert rng is None or (value.count(":") == 1 and all(rng))  # a third ':part' is never dropped


@FUZZ
@given(st.lists(ASSIGN, min_size=1, max_size=3), st.lists(ASSIGN, max_size=2))
def test_fuzz_vary_and_fixed(vary, fixed):
    """``regimen optimize --vary/--fixed``: the CLI's parsing, without a model."""
    from receptorkin.cli._common import parse_assignments, parse_range
    from receptorkin.design import parse_bounds

    bounds = _check(parse_assignments, vary, "--vary")
    for name, text in (bounds or {}).items():
        rng = _check(parse_range, text, f"--vary {name}")
        if rng is not None:
            _check(parse_bounds, {name: rng})
    _check(parse_assignments, fixed, "--fixed")


@FUZZ
@given(st.text(alphabet="0123456789-+e. x", max_size=8))
def test_fuzz_argparse_types(text):
    import argparse

    from receptorkin.cli._common import finite_float, non_negative_int, points, positive_int

    for fn in (non_negative_int, positive_int, points, finite_float):
        try:
            value = fn(text)
        except argparse.ArgumentTypeError:
            continue
        assert math.isfinite(value)


CRITERION = _mixed(st.sampled_from(["response@14d", "surface_receptor@30min", "response@1d", "/", "*", "+", "-", "(",
                                    ")", ">=", ">", "<=", "<", "0.5", "50%", "1e999", "@", "0", "nan", "1e308",
                                    "response@1e306h"]), "()+-*/<>=@.%0123456789abcdhminrs ", max_size=10)


@FUZZ
@given(CRITERION)
def test_fuzz_parse_criterion(text):
    from receptorkin.population import parse_criterion

    _check(parse_criterion, text)


CONSTRAINT = _mixed(st.sampled_from(["surface_receptor_final", ">=", "<=", "=>", ">", "0.8", "1e999", "nan", "-",
                                     "mean_response"]), "<>=._0123456789abc ", max_size=5)


@FUZZ
@given(CONSTRAINT)
def test_fuzz_parse_constraint(text):
    from receptorkin.design import parse_constraint

    c = _check(parse_constraint, text)
    assert c is None or math.isfinite(c.value)


@pytest.mark.parametrize("n", [EXAMPLES])
def test_fuzz_budget_is_the_configured_one(n):
    """``make fuzz`` raises the budget through the environment; ``make test`` keeps a few hundred."""
    assert FUZZ.max_examples == n and FUZZ.derandomize
