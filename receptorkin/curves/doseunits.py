"""Concentration units of doses, so that pEC50, pA2 and pKB are molar.

Pharmacologists quote potencies as ``-log10`` of a *molar* concentration:
an EC50 of 10 nM is a pEC50 of 8.0.  A curve fitted to doses in nM knows
its EC50 in nM; to report the molar p-value it needs the dose unit.  The
unit is given explicitly (``dose_unit='nM'``) or read from the dose column's
header (``conc [nM]``, ``conc (nM)``, ``conc_nM``).  Without a unit the
p-parameters are ``-log10`` of the concentration in the data's own unit and
every output says so.

Parameters that are p-values (``pEC50`` of ``sigEmax.p``/``Hill.p``,
``pA2`` of the Schild model) are fitted *molar* when a unit is known: the
family is wrapped so that its log-doses (or antagonist concentrations) are
converted to mol/L inside the formula, while doses, EC50 values and plots
stay in the data's unit.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from ..errors import FitError
from ..data.readers import unit_in_title
from .models import CurveFamily

__all__ = ["MOLAR", "parse_dose_unit", "unit_from_header", "molar_family", "P_PARAMETERS"]

#: mol/L per unit
MOLAR: dict[str, float] = {"M": 1.0, "mM": 1e-3, "µM": 1e-6, "nM": 1e-9, "pM": 1e-12, "fM": 1e-15}
_ALIASES = {"uM": "µM", "μM": "µM", "mol/L": "M", "mol/l": "M"}  # μ: Greek mu; µ: micro sign

#: family -> (what the p-parameter is a log of: 'dose' or a covariate name, parameter name)
P_PARAMETERS: dict[str, tuple[str, str]] = {"sigEmax.p": ("dose", "pEC50"), "schild": ("antagonist", "pA2")}



def parse_dose_unit(text: str, *, what: str = "dose_unit") -> str:
    """Canonical name of a concentration unit (``'uM'`` -> ``'µM'``).

    Raises
    ------
    FitError
        For anything else, listing the accepted units.
    """
    key = str(text).strip()
    key = _ALIASES.get(key, key)
    if key not in MOLAR:
        raise FitError(f"{what}: unknown concentration unit {text!r} (accepted: M, mM, µM or uM, nM, pM, fM)")
    return key


def unit_from_header(column: str) -> str | None:
    """The concentration unit named in a column header, or ``None``.

    ``'conc [nM]'``, ``'conc (nM)'``, ``'conc_nM'``, ``'conc nM'`` and
    ``'log conc_uM'`` give nM, nM, nM, nM and µM; case matters (``'conc_NM'``
    names no unit).
    """
    unit = unit_in_title(column)
    return None if unit is None else parse_dose_unit(unit)


def log10_factor(unit: str | None) -> float:
    """log10 of mol/L per unit (0 for ``None``: the data's own unit)."""
    return 0.0 if unit is None else math.log10(MOLAR[unit])


def molar_family(family: CurveFamily, dose_unit: str | None, covariate_units: dict[str, str | None]) -> CurveFamily:
    """The family with its p-parameter referring to mol/L.

    Parameters
    ----------
    family
        A curve family.
    dose_unit
        Unit of the doses, or ``None``.
    covariate_units
        Unit of each covariate (the Schild antagonist), or ``None``.

    Returns
    -------
    CurveFamily
        ``family`` itself when it has no p-parameter or the unit is unknown.
    """
    spec = P_PARAMETERS.get(family.name)
    if spec is None:
        return family
    over, _ = spec
    if over == "dose":
        if dose_unit is None:
            return family
        shift = math.log(MOLAR[dose_unit])
        inner = family.function

        def function(x, lx, P, Z):
            return inner(x, lx + shift, P, Z)

        return replace(family, function=function)
    unit = covariate_units.get(over)
    if unit is None:
        return family
    j = family.covariates.index(over)
    factor = MOLAR[unit]
    inner = family.function

    def function(x, lx, P, Z):
        Zm = np.array(Z, dtype=float, copy=True)
        Zm[:, j] = Zm[:, j] * factor
        return inner(x, lx, P, Zm)

    return replace(family, function=function)
