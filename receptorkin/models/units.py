"""Which time and concentration units a model really declares, for reading ``2h`` or ``10uM``.

A model written by a user may declare no units at all.  receptorkin then
reads bare numbers in the model's own units and converts a quantity with a
unit (``--t-end 2h``, ``--dose 10uM``) into its defaults, minutes and nM;
that assumption is announced by an :class:`~receptorkin.errors.AssumedUnitWarning`
(one line) instead of being made silently.  A conversion the model cannot
support is refused: time units that are not a time, or a ligand declared as
an amount or in a unit that is not a molar concentration.  A ligand declared
in a molar unit (SBML substance units per volume, e.g. µmol/L) is converted
into *that* unit.

Bundled models (and any model carrying receptorkin's annotation) declare
both units and get no warning.
"""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass
from typing import Any, Callable

from ..errors import AssumedUnitWarning
from .sbml import rk_annotation
from ..units import CONCENTRATION_UNITS, UnitError, parse_concentration, parse_time

__all__ = ["ModelUnits", "model_units", "read_time", "read_dose"]

_BARE = re.compile(r"^\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*$")
_DEFAULT_TIME, _DEFAULT_DOSE = "min", "nM"
_SECONDS = {60.0: "min", 3600.0: "h", 1.0: "s", 86400.0: "d", 604800.0: "w"}


@dataclass(frozen=True)
class ModelUnits:
    """The units a model declares (or the defaults assumed for it).

    Attributes
    ----------
    model_id
        For messages.
    time, dose
        Unit of the model's time and of its ligand concentration.
    time_declared, dose_declared
        False when the unit is receptorkin's default, assumed.
    time_problem, dose_problem
        Why a unit-bearing quantity cannot be converted (units that are not
        a time, a ligand that is an amount), or ``None``.
    """

    model_id: str
    time: str = _DEFAULT_TIME
    time_declared: bool = False
    time_problem: str | None = None
    dose: str = _DEFAULT_DOSE
    dose_declared: bool = False
    dose_problem: str | None = None


def _units_text(ud: Any) -> str:
    import libsbml

    return libsbml.UnitDefinition.printUnits(ud, True) or "no units"


def _time(model: Any) -> tuple[bool, str | None]:
    """(declared, problem) of the model's time units."""
    import libsbml

    if not model.isSetTimeUnits():
        return False, None
    tu = model.getTimeUnits()
    if tu == "second":
        return True, None
    ud = model.getUnitDefinition(tu)
    if ud is not None and ud.getNumUnits() == 1 and ud.getUnit(0).getKind() == libsbml.UNIT_KIND_SECOND \
            and ud.getUnit(0).getExponent() == 1:
        u = ud.getUnit(0)
        seconds = u.getMultiplier() * 10 ** u.getScale()
        if any(abs(seconds - s) < 1e-9 * s for s in _SECONDS):
            return True, None
        return False, f"its time unit {tu!r} is {seconds:g} s, which receptorkin cannot name"
    what = _units_text(ud) if ud is not None else tu
    return False, f"its time unit {tu!r} ({what}) is not a time"


def _molar(ud: Any) -> tuple[str | None, str | None]:
    """(unit name, problem) of a derived unit definition of the ligand."""
    import libsbml

    if ud is None or ud.getNumUnits() == 0:
        return None, None
    mole = litre = None
    other = []
    for i in range(ud.getNumUnits()):
        u = ud.getUnit(i)
        k = u.getKind()
        factor = (u.getMultiplier() * 10 ** u.getScale()) ** u.getExponent()
        if k == libsbml.UNIT_KIND_MOLE and u.getExponent() == 1:
            mole = factor
        elif k in (libsbml.UNIT_KIND_LITRE, libsbml.UNIT_KIND_LITER) and u.getExponent() == -1:
            litre = factor
        elif k == libsbml.UNIT_KIND_METRE and u.getExponent() == -3:
            litre = factor * 1e-3  # per m^3 -> per litre
        elif k == libsbml.UNIT_KIND_DIMENSIONLESS:
            continue
        else:
            other.append(u)
    text = _units_text(ud)
    if mole is not None and litre is None and not other:
        return None, f"its ligand is an amount ({text}), not a concentration"
    if mole is None or litre is None or other:
        return None, f"its ligand is declared in {text}, not a molar concentration"
    molar = mole * litre
    exponent = math.log10(molar)
    if abs(exponent - round(exponent)) > 1e-9:
        return None, f"its ligand unit ({text}) is {molar:g} M, not a power-of-ten molar unit"
    for name, value in CONCENTRATION_UNITS.items():
        if abs(math.log10(value) - exponent) < 1e-9 and name.isascii():
            return name, None
    return None, f"its ligand unit ({text}) is {molar:g} M, outside M..fM"


def model_units(model: Any, ligand: str | None = None) -> ModelUnits:
    """The time and ligand-concentration units ``model`` declares.

    Parameters
    ----------
    model
        A :class:`receptorkin.models.Model` (its ``sbml``, ``id``,
        ``time_unit`` and ``dose_unit``).
    ligand
        The ligand input's id (default: the model's).
    """
    import libsbml

    doc = libsbml.readSBMLFromString(model.sbml)
    m = doc.getModel()
    rk = rk_annotation(m) if m is not None else {}
    time_declared, time_problem = (True, None) if rk.get("time_unit") else (
        _time(m) if m is not None else (False, None))
    dose, dose_declared, dose_problem = model.dose_unit, bool(rk.get("dose_unit")), None
    ligand = ligand or getattr(model, "ligand", None)
    if not dose_declared and ligand and m is not None:
        element = m.getSpecies(ligand) or m.getParameter(ligand) or m.getCompartment(ligand)
        if element is not None:
            name, dose_problem = _molar(element.getDerivedUnitDefinition())
            if name is not None:
                dose, dose_declared = name, True
    return ModelUnits(model_id=model.id, time=model.time_unit, time_declared=time_declared,
                      time_problem=time_problem, dose=dose, dose_declared=dose_declared, dose_problem=dose_problem)


def _has_unit(text: str | float) -> bool:
    return not isinstance(text, (int, float)) and not _BARE.match(str(text))


def read_time(units: ModelUnits, text: str | float, what: str) -> float:
    """A time option in the model's unit; warns when that unit is assumed, refuses when it is not a time.

    Raises
    ------
    UnitError
        For an unreadable value, or a unit the model's time cannot be converted to.
    """
    return _read_quantity(text, what, parse_time, units.time, units.time_declared, units.time_problem,
                          units.model_id, kind="a time", own="the model's own time",
                          missing="time unit", fix="the model's time units")


def read_dose(units: ModelUnits, text: str | float, what: str) -> float:
    """A ligand concentration in the model's unit; warns when that unit is assumed, refuses when it cannot be.

    Raises
    ------
    UnitError
        For an unreadable value, or a ligand that is not a molar concentration.
    """
    return _read_quantity(text, what, parse_concentration, units.dose, units.dose_declared, units.dose_problem,
                          units.model_id, kind="a concentration", own="the ligand's own unit",
                          missing="unit for its ligand", fix="the ligand's units")


def _read_quantity(text: str | float, what: str, parse: Callable[[Any, str, str], float], unit: str,
                   declared: bool, problem: str | None, model_id: str, *, kind: str, own: str, missing: str,
                   fix: str) -> float:
    """``text`` in ``unit``: a bare number as it is; a quantity with a unit converted (warned if ``unit`` is assumed)."""
    if not _has_unit(text):
        return parse(text, unit, what)
    if problem is not None:
        raise UnitError(f"{what} {text}: model {model_id!r} cannot take {kind} with a unit: "
                        f"{problem}; give a bare number in {own}")
    value = parse(text, unit, what)
    if not declared:
        warnings.warn(f"model {model_id!r} declares no {missing}: {what} {text} read as {value:g} {unit} "
                      f"(receptorkin's default); declare {fix} to make this explicit",
                      AssumedUnitWarning, stacklevel=3)
    return value

