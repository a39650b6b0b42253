"""Regimens as plain values: parts, composition, text and JSON forms, schedules.

A :class:`Regimen` is an ordered tuple of parts:

* :class:`Bolus` -- an amount given at one time (PK-linked models);
* :class:`Infusion` -- a constant rate into the central compartment between two times;
* :class:`PulseTrain` -- repeated pulses (an amount, a rate, or an in-vitro
  concentration) of a given width every period;
* :class:`Exposure` -- an in-vitro concentration of the ligand between two times
  (add, then wash out);
* :class:`Holiday` -- a drug-free interval that suppresses every input of the
  other parts while it lasts (a drug holiday).

Every part is a frozen dataclass, compares by value, and stores its numbers in
the **canonical units** of receptorkin regimens: times in minutes, amounts in
nmol, rates in nmol/min, concentrations in nM.  Constructors also accept text
with units (``Bolus("12h", "10nmol")``); conversion to a model's own time unit
happens when the regimen is simulated.

Text form (one line, for the command line)::

    pulses:every=90min,width=6min,dose=10nM,for=7d
    infusion:rate=2nmol/h,from=0,to=7d
    exposure:1000nM@0-4h            (exposure:10nM@2h lasts until the end)
    bolus:10nmol@0,12h,24h          (bolus:10nmol@0,route=central)
    holiday:2d-3d
    none                            (no drug: a vehicle control)

Parts are joined with ``;`` (their inputs must not overlap) or ``+`` (inputs
that overlap add up).  A name may precede the parts: ``daily=bolus:5nmol@0,1d``.
Boluses at the same time always add.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any, ClassVar, Iterator, Mapping, Sequence

import numpy as np

from ..errors import RegimenError
from ..models.sbml import closest

__all__ = [
    "TIME_UNIT",
    "AMOUNT_UNIT",
    "RATE_UNIT",
    "CONCENTRATION_UNIT",
    "Bolus",
    "Infusion",
    "PulseTrain",
    "Exposure",
    "Holiday",
    "Regimen",
    "Schedule",
    "parse_regimen",
    "parse_part",
    "parse_exposures",
    "as_regimen",
    "parse_time_minutes",
    "parse_dose",
]

#: canonical units of every number stored in a regimen
TIME_UNIT = "min"
AMOUNT_UNIT = "nmol"
RATE_UNIT = "nmol/min"
CONCENTRATION_UNIT = "nM"

_MAX_PULSES = 1_000_000
_JSON_TAG = "receptorkin_regimen"
_JSON_VERSION = 1
_ROUTES = ("auto", "depot", "central")

# exact conversions into the canonical units: (multiply, divide)
_TIME_TO_MIN: dict[str, tuple[float, float]] = {
    "s": (1.0, 60.0), "sec": (1.0, 60.0),
    "min": (1.0, 1.0), "m": (1.0, 1.0),
    "h": (60.0, 1.0), "hr": (60.0, 1.0),
    "d": (1440.0, 1.0), "day": (1440.0, 1.0), "days": (1440.0, 1.0),
    "w": (10080.0, 1.0), "week": (10080.0, 1.0), "weeks": (10080.0, 1.0),
}
_AMOUNT_TO_NMOL: dict[str, tuple[float, float]] = {
    "mol": (1e9, 1.0), "mmol": (1e6, 1.0), "umol": (1e3, 1.0), "µmol": (1e3, 1.0), "μmol": (1e3, 1.0),
    "nmol": (1.0, 1.0), "pmol": (1.0, 1e3), "fmol": (1.0, 1e6),
}
_CONC_TO_NM: dict[str, tuple[float, float]] = {
    "M": (1e9, 1.0), "mM": (1e6, 1.0), "uM": (1e3, 1.0), "µM": (1e3, 1.0), "μM": (1e3, 1.0),
    "nM": (1.0, 1.0), "pM": (1.0, 1e3), "fM": (1.0, 1e6),
}
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_QUANTITY = re.compile(rf"^\s*({_NUMBER})\s*([A-Za-zµμ]*(?:/[A-Za-z]+)?)\s*$")
_TIME_TOKEN = re.compile(rf"\s*({_NUMBER})\s*([A-Za-z]*)\s*")


# ----------------------------------------------------------------- quantities
def _split_quantity(text: str, what: str) -> tuple[float, str]:
    m = _QUANTITY.match(str(text))
    if not m:
        raise RegimenError(f"{what}: cannot read {text!r} (expected a number with a unit, e.g. 90min, 10nM, 5nmol)")
    return float(m.group(1)), m.group(2)


def _convert(value: float, unit: str, table: Mapping[str, tuple[float, float]], what: str, kind: str) -> float:
    if unit not in table:
        known = ", ".join(k for k in table if k.isascii())
        raise RegimenError(f"{what}: unknown {kind} unit {unit!r} (known: {known})")
    mul, div = table[unit]
    return value * mul / div if div != 1.0 else value * mul


def _finite(value: float, what: str) -> float:
    if not math.isfinite(value):
        raise RegimenError(f"{what}: expected a finite number (got {value!r})")
    return value


#: largest time a regimen may mention [min] (about 19 000 years): beyond it, pulse counts
#: and event windows overflow floating point
MAX_TIME_MIN = 1e10


def _bounded_time(value: float, what: str) -> float:
    _finite(value, what)
    if abs(value) > MAX_TIME_MIN:
        raise RegimenError(f"{what}: {value:g} min is beyond the largest supported time ({MAX_TIME_MIN:g} min, "
                           f"about 19 000 years)")
    return value


def parse_time_minutes(value: "str | float", what: str = "time") -> float:
    """A time in minutes: a number is minutes already, text carries a unit (``'4h'``).

    Times must be finite and at most :data:`MAX_TIME_MIN` in magnitude.
    """
    if isinstance(value, bool):
        raise RegimenError(f"{what}: expected a time (got {value!r})")
    if isinstance(value, (int, float, np.floating, np.integer)):
        try:
            return _bounded_time(float(value), what)
        except OverflowError:
            raise RegimenError(f"{what}: expected a finite number (got {value!r})") from None
    number, unit = _split_quantity(value, what)
    if not unit:
        return _bounded_time(number, what)
    return _bounded_time(_convert(number, unit, _TIME_TO_MIN, what, "time"), what)


def _amount_nmol(value: "str | float", what: str) -> float:
    if isinstance(value, (int, float, np.floating, np.integer)) and not isinstance(value, bool):
        return _finite(float(value), what)
    number, unit = _split_quantity(value, what)
    if not unit:
        return _finite(number, what)
    return _finite(_convert(number, unit, _AMOUNT_TO_NMOL, what, "amount"), what)


def _concentration_nm(value: "str | float", what: str) -> float:
    if isinstance(value, (int, float, np.floating, np.integer)) and not isinstance(value, bool):
        return _finite(float(value), what)
    number, unit = _split_quantity(value, what)
    if not unit:
        return _finite(number, what)
    return _finite(_convert(number, unit, _CONC_TO_NM, what, "concentration"), what)


def _rate_nmol_per_min(value: "str | float", what: str) -> float:
    if isinstance(value, (int, float, np.floating, np.integer)) and not isinstance(value, bool):
        return _finite(float(value), what)
    number, unit = _split_quantity(value, what)
    if not unit:
        return _finite(number, what)
    amount_unit, sep, time_unit = unit.partition("/")
    if not sep:
        raise RegimenError(f"{what}: a rate needs an amount per time, e.g. 2nmol/h (got {value!r})")
    amount = _convert(number, amount_unit, _AMOUNT_TO_NMOL, what, "amount")
    if time_unit not in _TIME_TO_MIN:
        raise RegimenError(f"{what}: unknown time unit {time_unit!r} in {value!r} (known: s, min, h, d, w)")
    mul, div = _TIME_TO_MIN[time_unit]
    # amount per (mul/div minutes)
    return _finite(amount * div / mul if mul != 1.0 else amount * div, what)


def parse_dose(value: "str | float", what: str = "dose", default_kind: str | None = None) -> tuple[str, float]:
    """Read a dose and tell its kind from its unit.

    Returns
    -------
    kind, value
        ``('concentration', nM)``, ``('amount', nmol)`` or ``('rate', nmol/min)``.
        A bare number takes ``default_kind`` (an error if it is None).
    """
    if isinstance(value, (int, float, np.floating, np.integer)) and not isinstance(value, bool):
        if default_kind is None:
            raise RegimenError(f"{what}: {value!r} has no unit: give nM for a concentration, nmol for an amount or nmol/h for a rate")
        return default_kind, _finite(float(value), what)
    number, unit = _split_quantity(value, what)
    if not unit:
        if default_kind is None:
            raise RegimenError(f"{what}: {value!r} has no unit: give nM for a concentration, nmol for an amount or nmol/h for a rate")
        return default_kind, _finite(number, what)
    if "/" in unit:
        return "rate", _rate_nmol_per_min(value, what)
    if unit in _CONC_TO_NM:
        return "concentration", _concentration_nm(value, what)
    if unit in _AMOUNT_TO_NMOL:
        return "amount", _amount_nmol(value, what)
    raise RegimenError(f"{what}: unknown unit {unit!r} in {value!r} (a concentration such as nM, an amount such as nmol, or a rate such as nmol/h)")


# ------------------------------------------------------------------ formatting
def _num(v: float) -> str:
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return repr(float(v))


def format_time(t: float) -> str:
    """Exact text of a time in minutes, in the largest unit that keeps it exact."""
    if t == 0:
        return "0"
    for unit, factor in (("d", 1440.0), ("h", 60.0)):
        k = t / factor
        if k == int(k) and abs(k) < 1e15 and k * factor == t:
            return f"{int(k)}{unit}"
    if t == int(t) and abs(t) < 1e15:
        return f"{int(t)}min"
    s = t * 60.0
    if s == int(s) and abs(s) < 1e15 and s / 60.0 == t:
        return f"{int(s)}s"
    return f"{repr(float(t))}min"


def _fmt_rate(r: float) -> str:
    per_h = r * 60.0
    if per_h / 60.0 == r:
        return f"{_num(per_h)}nmol/h"
    return f"{_num(r)}nmol/min"


def human_time(t: float) -> str:
    if t == 0:
        return "0"
    if t >= 2880 and (t / 1440) == round(t / 1440, 2):
        return f"{t / 1440:g} d"
    if t >= 120:
        return f"{t / 60:g} h"
    if t >= 1:
        return f"{t:g} min"
    return f"{t * 60:g} s"


def _human_rate(r: float) -> str:
    return f"{r * 60:g} nmol/h"


# ------------------------------------------------------------------ the parts
def _check_time(part: str, name: str, value: float) -> None:
    if not math.isfinite(value) or value < 0:
        raise RegimenError(f"{part}: {name} must be a non-negative time (got {_num(value) if math.isfinite(value) else value} min)")


def _check_nonnegative(part: str, name: str, value: float, unit: str) -> None:
    if not math.isfinite(value) or value < 0:
        raise RegimenError(f"{part}: {name} must be non-negative (got {value:g} {unit})")


def _set(obj: Any, name: str, value: Any) -> None:
    object.__setattr__(obj, name, value)


@dataclass(frozen=True)
class Bolus:
    """An amount given at one time (into the PK depot or central compartment).

    Parameters
    ----------
    time
        When it is given [min] (or text with a unit, ``'12h'``).
    amount
        Amount [nmol] (or text, ``'10nmol'``, ``'1umol'``).
    route
        ``'auto'`` (the depot if the model has first-order absorption, else
        the central compartment), ``'depot'`` (oral) or ``'central'`` (i.v.).
    """

    time: float
    amount: float
    route: str = "auto"
    kind: ClassVar[str] = "bolus"

    def __post_init__(self) -> None:
        _set(self, "time", parse_time_minutes(self.time, "bolus: time"))
        _set(self, "amount", _amount_nmol(self.amount, "bolus: amount"))
        _check_time("bolus", "time", self.time)
        _check_nonnegative("bolus", "amount", self.amount, "nmol")
        if self.route not in _ROUTES:
            raise RegimenError(f"bolus: route must be one of {', '.join(_ROUTES)} (got {self.route!r})")

    @property
    def input(self) -> str:
        return "amount"

    @property
    def end(self) -> float:
        return self.time

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.kind, "time": self.time, "amount": self.amount, "route": self.route}

    def to_text(self) -> str:
        route = f",route={self.route}" if self.route != "auto" else ""
        return f"bolus:{_num(self.amount)}nmol@{format_time(self.time)}{route}"

    def __str__(self) -> str:
        where = {"auto": "", "depot": " into the depot", "central": " i.v."}[self.route]
        return f"{self.amount:g} nmol bolus{where} at {human_time(self.time)}"


@dataclass(frozen=True)
class Infusion:
    """A constant-rate input into the central compartment from ``start`` to ``stop``.

    Parameters
    ----------
    start, stop
        Times [min] (or text), ``start < stop``.
    rate
        Infusion rate [nmol/min] (or text, ``'2nmol/h'``).
    """

    start: float
    stop: float
    rate: float
    kind: ClassVar[str] = "infusion"

    def __post_init__(self) -> None:
        _set(self, "start", parse_time_minutes(self.start, "infusion: start"))
        _set(self, "stop", parse_time_minutes(self.stop, "infusion: stop"))
        _set(self, "rate", _rate_nmol_per_min(self.rate, "infusion: rate"))
        _check_time("infusion", "start", self.start)
        _check_time("infusion", "stop", self.stop)
        if self.stop <= self.start:
            raise RegimenError(f"infusion: stop ({format_time(self.stop)}) must be after start ({format_time(self.start)})")
        _check_nonnegative("infusion", "rate", self.rate, "nmol/min")

    @property
    def input(self) -> str:
        return "amount"

    @property
    def end(self) -> float:
        return self.stop

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.kind, "start": self.start, "stop": self.stop, "rate": self.rate}

    def to_text(self) -> str:
        return f"infusion:rate={_fmt_rate(self.rate)},from={format_time(self.start)},to={format_time(self.stop)}"

    def __str__(self) -> str:
        return f"infusion of {_human_rate(self.rate)} from {human_time(self.start)} to {human_time(self.stop)}"


@dataclass(frozen=True)
class Exposure:
    """An in-vitro ligand concentration from ``start`` to ``stop`` (add, then wash out).

    Parameters
    ----------
    start
        When the ligand is added [min] (or text).
    stop
        When it is washed out [min]; ``None`` keeps it until the end of the
        simulation.
    concentration
        Ligand concentration [nM] (or text, ``'1uM'``).
    """

    start: float
    stop: float | None
    concentration: float
    kind: ClassVar[str] = "exposure"

    def __post_init__(self) -> None:
        _set(self, "start", parse_time_minutes(self.start, "exposure: start"))
        if self.stop is not None:
            _set(self, "stop", parse_time_minutes(self.stop, "exposure: stop"))
        _set(self, "concentration", _concentration_nm(self.concentration, "exposure: concentration"))
        _check_time("exposure", "start", self.start)
        if self.stop is not None:
            _check_time("exposure", "stop", self.stop)
            if self.stop <= self.start:
                raise RegimenError(f"exposure: stop ({format_time(self.stop)}) must be after start ({format_time(self.start)})")
        _check_nonnegative("exposure", "concentration", self.concentration, "nM")

    @property
    def input(self) -> str:
        return "concentration"

    @property
    def end(self) -> float:
        return math.inf if self.stop is None else self.stop

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.kind, "start": self.start, "stop": self.stop, "concentration": self.concentration}

    def to_text(self) -> str:
        stop = "" if self.stop is None else format_time(self.stop)
        return f"exposure:{_num(self.concentration)}nM@{format_time(self.start)}-{stop}"

    def __str__(self) -> str:
        until = "the end" if self.stop is None else human_time(self.stop)
        return f"{self.concentration:g} nM from {human_time(self.start)} to {until}"


@dataclass(frozen=True)
class PulseTrain:
    """Pulses of width ``width`` every ``period``, starting at ``start``.

    Give exactly one of ``amount`` (PK: the amount of each pulse, delivered
    over ``width``; ``width=0`` gives boluses), ``rate`` (PK: infusion rate
    during each pulse) or ``concentration`` (in vitro: ligand concentration
    during each pulse, zero between pulses).

    Parameters
    ----------
    start
        Start of the first pulse [min].
    period
        Time between pulse starts [min] (> 0).
    width
        Duration of each pulse [min], ``0 <= width <= period`` (``width ==
        period`` is continuous input; ``0`` only with ``amount``).
    amount, rate, concentration
        Dose of each pulse [nmol], [nmol/min] or [nM].
    count
        Number of pulses; ``None`` repeats them until the end of the
        simulation.
    route
        For amounts: ``'auto'``, ``'depot'`` or ``'central'`` (see :class:`Bolus`).
    """

    start: float
    period: float
    width: float
    amount: float | None = None
    rate: float | None = None
    concentration: float | None = None
    count: int | None = None
    route: str = "auto"
    kind: ClassVar[str] = "pulses"

    def __post_init__(self) -> None:
        _set(self, "period", parse_time_minutes(self.period, "pulses: period"))
        _set(self, "width", parse_time_minutes(self.width, "pulses: width"))
        _set(self, "start", parse_time_minutes(self.start, "pulses: start"))
        given = [n for n in ("amount", "rate", "concentration") if getattr(self, n) is not None]
        if len(given) != 1:
            raise RegimenError("pulses: give exactly one of amount (nmol), rate (nmol/h) or concentration (nM)"
                               + (f" (got {', '.join(given)})" if given else ""))
        if self.amount is not None:
            _set(self, "amount", _amount_nmol(self.amount, "pulses: amount"))
            _check_nonnegative("pulses", "amount", self.amount, "nmol")
        if self.rate is not None:
            _set(self, "rate", _rate_nmol_per_min(self.rate, "pulses: rate"))
            _check_nonnegative("pulses", "rate", self.rate, "nmol/min")
        if self.concentration is not None:
            _set(self, "concentration", _concentration_nm(self.concentration, "pulses: concentration"))
            _check_nonnegative("pulses", "concentration", self.concentration, "nM")
        if not math.isfinite(self.period) or self.period <= 0:
            raise RegimenError(f"pulses: period must be a positive time (got {_num(self.period) if math.isfinite(self.period) else self.period} min)")
        _check_time("pulses", "start", self.start)
        _check_time("pulses", "width", self.width)
        if self.width > self.period:
            raise RegimenError(f"pulses: width ({format_time(self.width)}) is longer than the period ({format_time(self.period)})")
        if self.width == 0 and self.amount is None:
            raise RegimenError("pulses: width must be positive for a rate or a concentration (width=0 is a bolus: give an amount)")
        if self.count is not None:
            if isinstance(self.count, bool) or not isinstance(self.count, (int, np.integer)) or self.count < 1:
                raise RegimenError(f"pulses: count must be a positive whole number or None (got {self.count!r})")
            _set(self, "count", int(self.count))
        if self.route not in _ROUTES:
            raise RegimenError(f"pulses: route must be one of {', '.join(_ROUTES)} (got {self.route!r})")
        if self.route != "auto" and self.amount is None:
            raise RegimenError("pulses: a route applies to amounts only")

    @property
    def input(self) -> str:
        return "concentration" if self.concentration is not None else "amount"

    @property
    def end(self) -> float:
        if self.count is None:
            return math.inf
        return self.start + (self.count - 1) * self.period + self.width

    @property
    def holiday(self) -> float:
        """Drug-free time in each period [min] (``period - width``)."""
        return self.period - self.width

    def starts(self, until: float) -> np.ndarray:
        """Pulse start times [min] before ``until``."""
        if until <= self.start:
            return np.empty(0)
        n = int(math.ceil((until - self.start) / self.period))
        # guard against a start that rounds onto `until`
        while n > 0 and self.start + (n - 1) * self.period >= until:
            n -= 1
        if self.count is not None:
            n = min(n, self.count)
        if n > _MAX_PULSES:
            raise RegimenError(f"pulses: {n} pulses of period {format_time(self.period)} before {format_time(until)}: "
                               f"too many to simulate (at most {_MAX_PULSES})")
        return self.start + np.arange(n) * self.period

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"type": self.kind, "start": self.start, "period": self.period, "width": self.width}
        for n in ("amount", "rate", "concentration"):
            if getattr(self, n) is not None:
                d[n] = getattr(self, n)
        d["count"] = self.count
        d["route"] = self.route
        return d

    def to_text(self) -> str:
        if self.concentration is not None:
            dose = f"{_num(self.concentration)}nM"
        elif self.rate is not None:
            dose = _fmt_rate(self.rate)
        else:
            dose = f"{_num(float(self.amount or 0.0))}nmol"
        items = [f"every={format_time(self.period)}", f"width={format_time(self.width)}", f"dose={dose}"]
        if self.start:
            items.append(f"start={format_time(self.start)}")
        if self.count is not None:
            items.append(f"count={self.count}")
        if self.route != "auto":
            items.append(f"route={self.route}")
        return "pulses:" + ",".join(items)

    def __str__(self) -> str:
        if self.concentration is not None:
            dose = f"{self.concentration:g} nM"
        elif self.rate is not None:
            dose = _human_rate(self.rate)
        else:
            dose = f"{self.amount:g} nmol"
        shape = "bolus doses" if self.width == 0 else f"{human_time(self.width)} pulses"
        count = "until the end" if self.count is None else f"{self.count} pulses"
        start = f" from {human_time(self.start)}" if self.start else ""
        return f"{shape} of {dose} every {human_time(self.period)}{start}, {count}"


@dataclass(frozen=True)
class Holiday:
    """A drug holiday: no input of any other part from ``start`` to ``stop``.

    Drug already given keeps acting (in a PK model it is eliminated as
    usual); only new inputs are suppressed.
    """

    start: float
    stop: float
    kind: ClassVar[str] = "holiday"

    def __post_init__(self) -> None:
        _set(self, "start", parse_time_minutes(self.start, "holiday: start"))
        _set(self, "stop", parse_time_minutes(self.stop, "holiday: stop"))
        _check_time("holiday", "start", self.start)
        _check_time("holiday", "stop", self.stop)
        if self.stop <= self.start:
            raise RegimenError(f"holiday: stop ({format_time(self.stop)}) must be after start ({format_time(self.start)})")

    @property
    def input(self) -> str:
        return "none"

    @property
    def end(self) -> float:
        return self.stop

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.kind, "start": self.start, "stop": self.stop}

    def to_text(self) -> str:
        return f"holiday:{format_time(self.start)}-{format_time(self.stop)}"

    def __str__(self) -> str:
        return f"drug holiday from {human_time(self.start)} to {human_time(self.stop)}"


Part = Bolus | Infusion | PulseTrain | Exposure | Holiday
_PART_TYPES: dict[str, type] = {cls.kind: cls for cls in (Bolus, Infusion, PulseTrain, Exposure, Holiday)}


# ---------------------------------------------------------------- expansion
def _intervals(part: Part, until: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(starts, stops, levels) of the part's constant inputs up to ``until`` [min]."""
    empty = (np.empty(0), np.empty(0), np.empty(0))
    if isinstance(part, Exposure):
        if part.start >= until:
            return empty
        stop = math.inf if part.stop is None else part.stop
        return np.array([part.start]), np.array([stop]), np.array([part.concentration])
    if isinstance(part, Infusion):
        if part.start >= until:
            return empty
        return np.array([part.start]), np.array([part.stop]), np.array([part.rate])
    if isinstance(part, PulseTrain) and part.width > 0:
        starts = part.starts(until)
        if part.concentration is not None:
            level = part.concentration
        elif part.rate is not None:
            level = part.rate
        else:
            level = float(part.amount or 0.0) / part.width
        return starts, starts + part.width, np.full(starts.size, level)
    return empty


def _boluses(part: Part, until: float) -> tuple[np.ndarray, np.ndarray]:
    """(times, amounts) of the part's boluses at or before ``until`` [min]."""
    if isinstance(part, Bolus):
        if part.time <= until:
            return np.array([part.time]), np.array([part.amount])
        return np.empty(0), np.empty(0)
    if isinstance(part, PulseTrain) and part.width == 0:
        starts = part.starts(until)
        if part.count is None or part.count > starts.size:
            last = part.start + starts.size * part.period
            if starts.size < (part.count or math.inf) and abs(last - until) <= 1e-12 * max(1.0, until):
                starts = np.append(starts, until)
        return starts, np.full(starts.size, float(part.amount or 0.0))
    return np.empty(0), np.empty(0)


def _subtract(starts: np.ndarray, stops: np.ndarray, levels: np.ndarray, holidays: list[tuple[float, float]]):
    """Remove holiday intervals from a set of input intervals."""
    if not holidays or starts.size == 0:
        return starts, stops, levels
    s_out, e_out, l_out = [], [], []
    for s, e, lv in zip(starts.tolist(), stops.tolist(), levels.tolist()):
        pieces = [(s, e)]
        for hs, he in holidays:
            nxt = []
            for a, b in pieces:
                if he <= a or hs >= b:
                    nxt.append((a, b))
                    continue
                if a < hs:
                    nxt.append((a, hs))
                if he < b:
                    nxt.append((he, b))
            pieces = nxt
        for a, b in pieces:
            s_out.append(a)
            e_out.append(b)
            l_out.append(lv)
    return np.array(s_out), np.array(e_out), np.array(l_out)


def _tol(t: float) -> float:
    return 1e-9 * max(1.0, abs(t))


def _tols(t: np.ndarray) -> np.ndarray:
    return 1e-9 * np.maximum(1.0, np.abs(t))


@dataclass(frozen=True)
class Schedule:
    """A regimen compiled into piecewise-constant inputs up to a time (all in minutes).

    Attributes
    ----------
    times
        Breakpoints, increasing, from 0 to ``until`` inclusive.
    level
        The input in force from ``times[i]`` (right-continuous): a
        concentration [nM] or a rate [nmol/min]; ``level[-1]`` is the value
        at ``until``.
    bolus
        Route -> amounts [nmol] given at each breakpoint (doses at the same
        time add).
    dose_times
        Start of each administration before ``until`` (boluses, pulse,
        infusion and exposure starts; a start after a holiday counts).
    input_end
        When the last input ends (``until`` if it is still going).
    ongoing
        True when an input is still in force at ``until``.
    kind
        ``'concentration'``, ``'amount'`` or ``'none'``.
    """

    times: np.ndarray
    level: np.ndarray
    bolus: Mapping[str, np.ndarray]
    dose_times: np.ndarray
    input_end: float
    ongoing: bool
    kind: str
    until: float


# ------------------------------------------------------------------ regimen
@dataclass(frozen=True)
class Regimen:
    """An ordered composition of regimen parts: a plain, serializable value.

    Parameters
    ----------
    parts
        :class:`Bolus`, :class:`Infusion`, :class:`PulseTrain`,
        :class:`Exposure` and :class:`Holiday` values, in the order given.
    name
        Optional label (no ``=``, ``:``, ``;`` or ``+``).
    additive
        ``False`` (default): overlapping inputs of two parts are an error
        (they would add, which is rarely meant).  ``True``: they add.

    Raises
    ------
    RegimenError
        A part of the wrong type, concentrations mixed with amounts or rates,
        or (unless ``additive``) two parts whose inputs overlap.
    """

    parts: tuple = ()
    name: str = ""
    additive: bool = False

    def __post_init__(self) -> None:
        parts = tuple(self.parts) if not isinstance(self.parts, tuple) else self.parts
        for i, p in enumerate(parts):
            if not isinstance(p, (Bolus, Infusion, PulseTrain, Exposure, Holiday)):
                raise RegimenError(f"regimen part {i + 1}: expected Bolus, Infusion, PulseTrain, Exposure or Holiday (got {type(p).__name__})")
        _set(self, "parts", parts)
        name = str(self.name)
        if name != name.strip() or any(c in name for c in "=:;+@\n"):
            raise RegimenError(f"regimen name {name!r}: no leading/trailing spaces and none of = : ; + @ in a name")
        _set(self, "name", name)
        _set(self, "additive", bool(self.additive))
        kinds = {p.input for p in parts} - {"none"}
        if len(kinds) > 1:
            conc = next(p for p in parts if p.input == "concentration")
            amt = next(p for p in parts if p.input == "amount")
            raise RegimenError(f"regimen mixes an in-vitro concentration ({conc.to_text()}) with an amount or rate "
                               f"({amt.to_text()}): a model takes one or the other")
        if not self.additive:
            self._check_overlaps(self._check_window())

    # ---------------------------------------------------------- properties
    @property
    def kind(self) -> str:
        """``'concentration'`` (in vitro), ``'amount'`` (PK) or ``'none'`` (no drug)."""
        kinds = {p.input for p in self.parts} - {"none"}
        return kinds.pop() if kinds else "none"

    @property
    def end(self) -> float:
        """End of the last input [min] (``inf`` for open-ended parts)."""
        ends = [p.end for p in self.parts if p.input != "none"]
        return max(ends) if ends else 0.0

    @property
    def label(self) -> str:
        """The name, or the text form when unnamed."""
        return self.name or self.to_text()

    def __iter__(self) -> Iterator[Part]:
        return iter(self.parts)

    def __len__(self) -> int:
        return len(self.parts)

    def __str__(self) -> str:
        body = "; ".join(str(p) for p in self.parts) if self.parts else "no drug"
        return f"{self.name}: {body}" if self.name else body

    def with_name(self, name: str) -> "Regimen":
        return Regimen(self.parts, name=name, additive=self.additive)

    # ------------------------------------------------------------ overlaps
    def _check_window(self) -> float:
        finite = [p.end for p in self.parts if math.isfinite(p.end)]
        window = max(finite, default=0.0)
        for p in self.parts:
            if isinstance(p, PulseTrain) and p.count is None:
                window = max(window, p.start + 3 * p.period)
            if isinstance(p, Exposure) and p.stop is None:
                window = max(window, p.start + 1.0)
        return window + 1.0

    def _check_overlaps(self, until: float) -> None:
        starts, stops, owner = [], [], []
        for i, p in enumerate(self.parts):
            s, e, _ = _intervals(p, until)
            starts.append(s)
            stops.append(e)
            owner.append(np.full(s.size, i))
        if not starts:
            return
        s = np.concatenate(starts)
        e = np.concatenate(stops)
        o = np.concatenate(owner)
        if s.size < 2:
            return
        order = np.argsort(s, kind="stable")
        s, e, o = s[order], e[order], o[order]
        run_max = np.maximum.accumulate(e)
        bad = np.nonzero(s[1:] < run_max[:-1] - _tols(s[1:]))[0]
        if bad.size == 0:
            return
        k = int(bad[0]) + 1
        j = int(np.nonzero(e[:k] == run_max[k - 1])[0][-1])
        a, b = sorted((int(o[j]), int(o[k])))
        lo, hi = s[k], min(e[k], e[j])
        pa, pb = self.parts[a], self.parts[b]
        what = "concentrations" if pa.input == "concentration" else "rates"
        raise RegimenError(
            f"regimen: parts {a + 1} ({pa.to_text()}) and {b + 1} ({pb.to_text()}) overlap from "
            f"{format_time(lo)} to {format_time(hi)}; their {what} would add -- join the parts with '+' "
            f"(additive=True) if that is meant")

    # ------------------------------------------------------------- schedule
    def schedule(self, until: float) -> Schedule:
        """Compile the regimen into piecewise-constant inputs on ``[0, until]`` [min].

        Raises
        ------
        RegimenError
            ``until`` not positive, or (unless ``additive``) inputs that overlap
            before ``until``.
        """
        until = float(until)
        if not math.isfinite(until) or until <= 0:
            raise RegimenError(f"regimen: the simulation end must be a positive time (got {until!r} min)")
        if not self.additive:
            self._check_overlaps(until)
        holidays = sorted((p.start, p.stop) for p in self.parts if isinstance(p, Holiday))
        i_starts, i_stops, i_levels = [], [], []
        b_times: list[np.ndarray] = []
        b_amounts: list[np.ndarray] = []
        b_routes: list[str] = []
        for p in self.parts:
            s, e, lv = _intervals(p, until)
            s, e, lv = _subtract(s, e, lv, holidays)
            keep = s < until
            i_starts.append(s[keep])
            i_stops.append(e[keep])
            i_levels.append(lv[keep])
            bt, ba = _boluses(p, until)
            if bt.size and holidays:
                mask = np.ones(bt.size, bool)
                for hs, he in holidays:
                    mask &= ~((bt >= hs) & (bt < he))
                bt, ba = bt[mask], ba[mask]
            if bt.size:
                b_times.append(bt)
                b_amounts.append(ba)
                b_routes.append(getattr(p, "route", "auto"))
        s = np.concatenate(i_starts) if i_starts else np.empty(0)
        e = np.concatenate(i_stops) if i_stops else np.empty(0)
        lv = np.concatenate(i_levels) if i_levels else np.empty(0)
        bt_all = np.concatenate(b_times) if b_times else np.empty(0)

        raw = np.concatenate([[0.0, until], s, np.minimum(e, until), bt_all])
        raw = np.unique(raw)
        raw = raw[(raw >= 0) & (raw <= until)]
        # merge breakpoints closer than the tolerance (float noise of pulse arithmetic)
        times = [float(raw[0])]
        for t in raw[1:].tolist():
            if t - times[-1] > _tol(t):
                times.append(t)
        if until - times[-1] > _tol(until):
            times.append(until)
        else:
            times[-1] = until
        tarr = np.array(times)

        def snap(x: np.ndarray) -> np.ndarray:
            idx = np.searchsorted(tarr, x - _tols(x), side="left")
            return np.clip(idx, 0, tarr.size - 1)

        n = tarr.size
        delta = np.zeros(n)
        count = np.zeros(n, dtype=np.int64)
        if s.size:
            si = snap(s)
            ei = snap(np.minimum(e, until))
            np.add.at(delta, si, lv)
            np.add.at(count, si, 1)
            # an interval that reaches `until` exactly ends there (right-continuous value at until)
            ends_now = e <= until + _tol(until)
            np.add.at(delta, ei[ends_now], -lv[ends_now])
            np.add.at(count, ei[ends_now], -1)
        level = np.cumsum(delta)
        active = np.cumsum(count)
        level[active == 0] = 0.0
        bolus: dict[str, np.ndarray] = {}
        for bt, ba, route in zip(b_times, b_amounts, b_routes):
            arr = bolus.setdefault(route, np.zeros(n))
            np.add.at(arr, snap(bt), ba)
        dose_list = sorted(set(s.tolist()) | set(bt_all.tolist()))
        doses: list[float] = []
        for t in dose_list:
            if t < until - _tol(until) and (not doses or t - doses[-1] > _tol(t)):
                doses.append(float(tarr[snap(np.array([t]))[0]]))
        ongoing = bool(s.size and np.any((s < until) & (e > until + _tol(until))))
        ends = [float(x) for x in np.minimum(e, until)] + [float(x) for x in bt_all]
        input_end = until if ongoing else max(ends, default=0.0)
        return Schedule(times=tarr, level=level, bolus=bolus, dose_times=np.array(doses), input_end=input_end,
                        ongoing=ongoing, kind=self.kind, until=until)

    # ---------------------------------------------------------- serialize
    def to_text(self) -> str:
        """The one-line text form (see the module docstring); parses back to an equal regimen."""
        texts: list[str] = []
        i = 0
        parts = self.parts
        while i < len(parts):
            p = parts[i]
            if isinstance(p, Bolus):
                times = [p.time]
                j = i + 1
                while j < len(parts) and isinstance(parts[j], Bolus) and parts[j].amount == p.amount and parts[j].route == p.route:
                    times.append(parts[j].time)
                    j += 1
                route = f",route={p.route}" if p.route != "auto" else ""
                texts.append(f"bolus:{_num(p.amount)}nmol@{','.join(format_time(t) for t in times)}{route}")
                i = j
            else:
                texts.append(p.to_text())
                i += 1
        body = ("+" if self.additive else ";").join(texts) if texts else "none"
        if self.additive and len(texts) <= 1:
            body += "+"  # a lone additive part keeps its flag through the text form
        return f"{self.name}={body}" if self.name else body

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary (canonical units: min, nmol, nmol/min, nM)."""
        return {
            _JSON_TAG: _JSON_VERSION,
            "name": self.name,
            "additive": self.additive,
            "units": {"time": TIME_UNIT, "amount": AMOUNT_UNIT, "rate": RATE_UNIT, "concentration": CONCENTRATION_UNIT},
            "parts": [p.to_dict() for p in self.parts],
        }

    def to_json(self, indent: int | None = None) -> str:
        """JSON text; :meth:`from_json` reads it back to an equal regimen."""
        from ..jsonout import dumps

        return dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Regimen":
        """Inverse of :meth:`to_dict` (validates every part)."""
        if not isinstance(data, Mapping) or "parts" not in data:
            raise RegimenError("regimen JSON: expected an object with 'parts'")
        units = data.get("units")
        if units is not None and dict(units).get("time", TIME_UNIT) != TIME_UNIT:
            raise RegimenError(f"regimen JSON: times must be in {TIME_UNIT} (got {dict(units).get('time')!r})")
        parts = []
        for i, d in enumerate(data["parts"]):
            if not isinstance(d, Mapping) or d.get("type") not in _PART_TYPES:
                raise RegimenError(f"regimen JSON: part {i + 1}: 'type' must be one of {', '.join(_PART_TYPES)}")
            kwargs = {k: v for k, v in d.items() if k != "type"}
            try:
                parts.append(_PART_TYPES[d["type"]](**kwargs))
            except TypeError as exc:
                raise RegimenError(f"regimen JSON: part {i + 1} ({d['type']}): {exc}") from None
        return cls(tuple(parts), name=str(data.get("name", "")), additive=bool(data.get("additive", False)))

    @classmethod
    def from_json(cls, text: str) -> "Regimen":
        """Read a regimen written by :meth:`to_json` (a key given twice in an object is an error)."""

        def unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
            out: dict[str, Any] = {}
            for key, value in pairs:
                if key in out:
                    raise RegimenError(f"regimen JSON: key {key!r} given twice in one object")
                out[key] = value
            return out

        try:
            data = json.loads(text, object_pairs_hook=unique)
        except (json.JSONDecodeError, RecursionError) as exc:
            raise RegimenError(f"regimen JSON: {exc if isinstance(exc, json.JSONDecodeError) else 'nested too deeply'}") from None
        return cls.from_dict(data)

    @classmethod
    def parse(cls, text: str) -> "Regimen":
        """Read the one-line text form (see :func:`parse_regimen`)."""
        return parse_regimen(text)


# ------------------------------------------------------------------ parsing
_SPLIT_PLUS = re.compile(r"(?<![0-9.][eE])\+")


#: fields that mean the same thing: giving both is a conflict, not a choice
_SYNONYMS = (("from", "start"), ("to", "stop"), ("every", "period"))


def _options(body: str, part: str, allowed: Sequence[str]) -> dict[str, str]:
    out = _read_options(body, part, allowed)
    for group in _SYNONYMS:
        given = [k for k in group if k in out]
        if len(given) > 1:
            raise RegimenError(f"{part}: {'= and '.join(given)}= name the same field; give one "
                               f"(got {', '.join(f'{k}={out[k]}' for k in given)})")
    return out


def _read_options(body: str, part: str, allowed: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in body.split(","):
        item = item.strip()
        if not item:
            continue
        key, sep, value = item.partition("=")
        key = key.strip().lower()
        if not sep or not value.strip():
            raise RegimenError(f"{part}: expected key=value, got {item!r}")
        if key not in allowed:
            raise RegimenError(f"{part}: unknown field {key!r}{closest(key, allowed)} (known: {', '.join(allowed)})")
        if key in out:
            raise RegimenError(f"{part}: field {key!r} given twice")
        out[key] = value.strip()
    return out


def _time_range(text: str, part: str, open_end: bool) -> tuple[float, float | None]:
    m = _TIME_TOKEN.match(text)
    if not m or not m.group(1):
        raise RegimenError(f"{part}: expected START-STOP times such as 0-4h (got {text!r})")
    start = parse_time_minutes(m.group(1) + m.group(2), f"{part}: start")
    rest = text[m.end():]
    if not rest.startswith("-"):
        if rest.strip() == "" and open_end:
            return start, None
        raise RegimenError(f"{part}: expected START-STOP times such as 0-4h (got {text!r})")
    rest = rest[1:].strip()
    if not rest:
        if open_end:
            return start, None
        raise RegimenError(f"{part}: missing the stop time in {text!r}")
    if rest.lower() == "end" and open_end:
        return start, None
    return start, parse_time_minutes(rest, f"{part}: stop")


def parse_part(text: str) -> tuple[Part, ...]:
    """Read one part of the text form; a bolus with several times gives several parts."""
    raw = text.strip()
    head, sep, body = raw.partition(":")
    kind = head.strip().lower()
    if not sep:
        raise RegimenError(f"regimen part {raw!r}: expected KIND:..., KIND one of bolus, infusion, pulses, exposure, holiday")
    body = body.strip()
    if kind in ("bolus", "boluses"):
        amount_text, at, times_text = body.partition("@")
        if not at:
            raise RegimenError(f"bolus: expected AMOUNT@TIME[,TIME...] such as 10nmol@0,12h (got {body!r})")
        route = "auto"
        routes = 0
        times: list[str] = []
        for item in times_text.split(","):
            item = item.strip()
            if not item:
                continue
            if item.lower().startswith("route="):
                routes += 1
                if routes > 1:
                    raise RegimenError(f"bolus: field 'route' given twice in {raw!r}")
                route = item.partition("=")[2].strip().lower()
            else:
                times.append(item)
        if not times:
            raise RegimenError(f"bolus: no time given in {raw!r}")
        kind_, amount = parse_dose(amount_text.strip(), "bolus: amount", default_kind="amount")
        if kind_ != "amount":
            raise RegimenError(f"bolus: the dose must be an amount such as 10nmol (got {amount_text.strip()!r})")
        return tuple(Bolus(parse_time_minutes(t, "bolus: time"), amount, route) for t in times)
    if kind == "infusion":
        if "@" in body:
            rate_text, _, rng = body.partition("@")
            start, stop = _time_range(rng.strip(), "infusion", open_end=False)
            return (Infusion(start, stop, _rate_nmol_per_min(rate_text.strip(), "infusion: rate")),)
        opts = _options(body, "infusion", ("rate", "from", "to", "start", "stop"))
        if "rate" not in opts:
            raise RegimenError("infusion: missing rate= (e.g. rate=2nmol/h)")
        start = opts.get("from", opts.get("start", "0"))
        stop = opts.get("to", opts.get("stop"))
        if stop is None:
            raise RegimenError("infusion: missing to= (when it stops, e.g. to=7d)")
        return (Infusion(parse_time_minutes(start, "infusion: from"), parse_time_minutes(stop, "infusion: to"),
                         _rate_nmol_per_min(opts["rate"], "infusion: rate")),)
    if kind == "exposure":
        conc_text, at, rng = body.partition("@")
        if not at:
            raise RegimenError(f"exposure: expected CONCENTRATION@START-STOP such as 1000nM@0-4h (got {body!r})")
        kind_, conc = parse_dose(conc_text.strip(), "exposure: concentration", default_kind="concentration")
        if kind_ != "concentration":
            raise RegimenError(f"exposure: the dose must be a concentration such as 100nM (got {conc_text.strip()!r})")
        start, stop = _time_range(rng.strip(), "exposure", open_end=True)
        return (Exposure(start, stop, conc),)
    if kind in ("pulses", "pulse"):
        opts = _options(body, "pulses", ("every", "period", "width", "dose", "amount", "rate", "concentration",
                                         "start", "from", "count", "for", "route"))
        period = opts.get("every", opts.get("period"))
        if period is None:
            raise RegimenError("pulses: missing every= (the period, e.g. every=90min)")
        if "width" not in opts:
            raise RegimenError("pulses: missing width= (e.g. width=6min, or width=0 for boluses)")
        doses = [k for k in ("dose", "amount", "rate", "concentration") if k in opts]
        if len(doses) != 1:
            raise RegimenError("pulses: give one dose= (10nM, 5nmol or 2nmol/h)")
        default = {"dose": None, "amount": "amount", "rate": "rate", "concentration": "concentration"}[doses[0]]
        dkind, dvalue = parse_dose(opts[doses[0]], f"pulses: {doses[0]}", default_kind=default)
        period_min = parse_time_minutes(period, "pulses: every")
        start = parse_time_minutes(opts.get("start", opts.get("from", "0")), "pulses: start")
        count: int | None = None
        if "count" in opts and "for" in opts:
            raise RegimenError("pulses: give count= or for=, not both")
        if "count" in opts:
            try:
                count = int(opts["count"])
            except ValueError:
                raise RegimenError(f"pulses: count must be a whole number (got {opts['count']!r})") from None
            if str(count) != opts["count"].strip():
                raise RegimenError(f"pulses: count must be a whole number (got {opts['count']!r})")
        if "for" in opts:
            duration = parse_time_minutes(opts["for"], "pulses: for")
            if duration <= 0:
                raise RegimenError(f"pulses: for= must be a positive time (got {opts['for']!r})")
            if period_min <= 0:
                raise RegimenError(f"pulses: period must be a positive time (got {period!r})")
            count = max(1, int(math.ceil(duration / period_min - 1e-9)))
        kwargs: dict[str, Any] = {dkind: dvalue}
        return (PulseTrain(start, period_min, parse_time_minutes(opts["width"], "pulses: width"), count=count,
                           route=opts.get("route", "auto").lower(), **kwargs),)
    if kind == "holiday":
        start, stop = _time_range(body, "holiday", open_end=False)
        return (Holiday(start, stop),)
    known = ("bolus", "infusion", "pulses", "exposure", "holiday")
    raise RegimenError(f"regimen part {raw!r}: unknown kind {kind!r}{closest(kind, known)} (known: {', '.join(known)})")


def parse_regimen(text: str) -> Regimen:
    """Read the one-line text form of a regimen.

    ``[NAME=]PART;PART...`` (inputs must not overlap) or ``[NAME=]PART+PART...``
    (overlapping inputs add); ``none`` is the regimen without drug.  See the
    module docstring for the parts.

    Raises
    ------
    RegimenError
        Naming the part and field that could not be read.
    """
    if not isinstance(text, str):
        raise RegimenError(f"regimen: expected text (got {type(text).__name__})")
    raw = text.strip()
    if not raw:
        raise RegimenError("regimen: empty text")
    name = ""
    first_eq = raw.find("=")
    first_colon = raw.find(":")
    if first_eq > 0 and (first_colon < 0 or first_eq < first_colon) and "@" not in raw[:first_eq]:
        name, raw = raw[:first_eq].strip(), raw[first_eq + 1:].strip()
        if not raw:
            raise RegimenError(f"regimen {name!r}: nothing after '='")
    plus = _SPLIT_PLUS.split(raw)
    semi = raw.split(";")
    if len(plus) > 1 and len(semi) > 1:
        raise RegimenError("regimen: join parts with ';' (no overlap) or '+' (overlapping inputs add), not both")
    additive = len(plus) > 1
    pieces = [p.strip() for p in (plus if additive else semi)]
    if additive and pieces and pieces[-1] == "":
        pieces = pieces[:-1]  # 'PART+' is a single additive part
    if len(pieces) == 1 and pieces[0].lower() in ("none", "no drug", "vehicle"):
        return Regimen((), name=name, additive=additive)
    parts: list[Part] = []
    for piece in pieces:
        if not piece:
            raise RegimenError(f"regimen: empty part in {text!r}")
        parts.extend(parse_part(piece))
    return Regimen(tuple(parts), name=name, additive=additive)


def parse_exposures(text: str) -> tuple[Exposure, ...]:
    """In-vitro exposures from text: ``'1000nM@0-4h; 10nM@4h-5h'``.

    Each item is ``CONCENTRATION@START-STOP`` (the ``exposure:`` prefix is
    optional; ``@START-`` lasts until the end).  Items are separated by ``;``
    or ``,``.  Use ``Regimen(parse_exposures(text))`` to simulate them, e.g.
    as the pre-treatment of a condition.

    Raises
    ------
    RegimenError
        Naming the item that could not be read.
    """
    out: list[Exposure] = []
    items = [s.strip() for s in re.split(r"[;,]", str(text)) if s.strip()]
    if not items:
        raise RegimenError(f"exposures: nothing to read in {text!r}")
    for item in items:
        body = item.split(":", 1)[1] if item.lower().startswith("exposure:") else item
        parsed = parse_part("exposure:" + body)
        out.extend(p for p in parsed if isinstance(p, Exposure))
    return tuple(out)


def as_regimen(value: "Regimen | str | Part | Sequence[Part] | Mapping[str, Any]") -> Regimen:
    """Coerce text, a part, a list of parts or a JSON dictionary into a :class:`Regimen`."""
    if isinstance(value, Regimen):
        return value
    if isinstance(value, str):
        stripped = value.strip()
        if stripped.startswith("{"):
            return Regimen.from_json(stripped)
        return parse_regimen(stripped)
    if isinstance(value, (Bolus, Infusion, PulseTrain, Exposure, Holiday)):
        return Regimen((value,))
    if isinstance(value, Mapping):
        return Regimen.from_dict(value)
    if isinstance(value, (list, tuple)):
        return Regimen(tuple(value))
    raise RegimenError(f"cannot make a regimen from {type(value).__name__}")
