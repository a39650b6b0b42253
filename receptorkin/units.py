"""Unit handling for the quantities receptorkin reads from users.

Times are written with a unit suffix (``90s``, ``30min``, ``4h``, ``14d``,
``2w``) and converted to the time unit of the model; concentrations accept
``M``, ``mM``, ``uM``/``µM``, ``nM``, ``pM``, ``fM`` and are converted to
the model's concentration unit (nM for every bundled model).  A bare number
is taken to be in the model's own unit already.
"""

from __future__ import annotations

import math
import re

from .errors import ReceptorkinError

__all__ = [
    "TIME_UNITS",
    "CONCENTRATION_UNITS",
    "UnitError",
    "parse_time",
    "parse_concentration",
    "convert_time",
    "concentration_factor",
    "time_factor",
]

#: seconds per unit
TIME_UNITS: dict[str, float] = {
    "s": 1.0, "sec": 1.0, "second": 1.0, "seconds": 1.0,
    "min": 60.0, "minute": 60.0, "minutes": 60.0, "m": 60.0,
    "h": 3600.0, "hr": 3600.0, "hour": 3600.0, "hours": 3600.0,
    "d": 86400.0, "day": 86400.0, "days": 86400.0,
    "w": 604800.0, "week": 604800.0, "weeks": 604800.0,
}

#: power of ten of each concentration unit, in molar
_CONCENTRATION_EXPONENT: dict[str, int] = {"M": 0, "mM": -3, "uM": -6, "µM": -6, "μM": -6, "nM": -9, "pM": -12, "fM": -15}

#: molar per unit
CONCENTRATION_UNITS: dict[str, float] = {u: 10.0 ** e for u, e in _CONCENTRATION_EXPONENT.items()}


def concentration_factor(from_unit: str, to_unit: str) -> float:
    """Exact factor (a power of ten) that converts ``from_unit`` into ``to_unit``."""
    for u in (from_unit, to_unit):
        if u not in _CONCENTRATION_EXPONENT:
            raise UnitError(f"unknown concentration unit {u!r} (known: M, mM, uM, nM, pM, fM)")
    return 10.0 ** (_CONCENTRATION_EXPONENT[from_unit] - _CONCENTRATION_EXPONENT[to_unit])

_NUMBER_UNIT = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([A-Za-zµμ]*)\s*$")


class UnitError(ReceptorkinError, ValueError):
    """A quantity could not be read or its unit is unknown."""


def _split(text: str, what: str) -> tuple[float, str]:
    m = _NUMBER_UNIT.match(str(text))
    if not m:
        raise UnitError(f"{what}: cannot read {text!r} (expected a number with an optional unit, e.g. 24h)")
    return _finite(float(m.group(1)), text, what), m.group(2)


def _finite(value: float, text: object, what: str) -> float:
    """``value`` if finite; numbers such as 1e999 (read as infinity) or NaN are refused."""
    if not math.isfinite(value):
        raise UnitError(f"{what}: {text!r} is not a finite number (largest allowed magnitude about 1e308)")
    return value


def time_factor(from_unit: str, to_unit: str) -> float:
    """Factor that converts a time in ``from_unit`` into ``to_unit``."""
    for u in (from_unit, to_unit):
        if u not in TIME_UNITS:
            raise UnitError(f"unknown time unit {u!r} (known: s, min, h, d, w)")
    return TIME_UNITS[from_unit] / TIME_UNITS[to_unit]


def convert_time(value: float, from_unit: str, to_unit: str) -> float:
    """Convert ``value`` from one time unit to another."""
    return _finite(value * time_factor(from_unit, to_unit), value, f"{from_unit} -> {to_unit}")


def parse_time(text: str | float, model_unit: str = "min", what: str = "time") -> float:
    """Read a time such as ``'4h'`` and return it in ``model_unit``.

    Parameters
    ----------
    text
        A number (taken in ``model_unit``) or a number with a unit suffix.
    model_unit
        Target unit: one of :data:`TIME_UNITS`.
    what
        Name used in error messages (an option or column name).
    """
    if isinstance(text, (int, float)):
        return _finite(float(text), text, what)
    value, unit = _split(text, what)
    if not unit:
        return value
    if unit not in TIME_UNITS:
        raise UnitError(f"{what}: unknown time unit {unit!r} in {text!r} (known: s, min, h, d, w)")
    if model_unit not in TIME_UNITS:
        raise UnitError(f"{what}: unknown time unit {model_unit!r} of the model (known: s, min, h, d, w)")
    return _finite(value * TIME_UNITS[unit] / TIME_UNITS[model_unit], text, what)


def parse_concentration(text: str | float, model_unit: str = "nM", what: str = "concentration") -> float:
    """Read a concentration such as ``'10nM'`` or ``'1e-3 uM'`` in ``model_unit``."""
    if isinstance(text, (int, float)):
        return _finite(float(text), text, what)
    value, unit = _split(text, what)
    if not unit:
        return value
    if unit not in CONCENTRATION_UNITS:
        raise UnitError(f"{what}: unknown concentration unit {unit!r} in {text!r} (known: M, mM, uM, nM, pM, fM)")
    return _finite(value * concentration_factor(unit, model_unit), text, what)
