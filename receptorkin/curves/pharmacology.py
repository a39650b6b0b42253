"""Receptor pharmacology on top of the curve engine: operational model and Schild.

Operational model of agonism (Black & Leff 1983)::

    E = basal + Em tau^n A^n / ((KA + A)^n + tau^n A^n)

``KA`` is the agonist's dissociation constant, ``Em`` the system maximum and
``tau = [R0]/KE`` the transducer ratio, proportional to the receptor
density.  For n = 1 the curve is hyperbolic with EC50 = KA / (1 + tau) and
maximum Em tau / (1 + tau): removing receptors (smaller tau) first moves the
EC50 to the right while the maximum barely changes (receptor reserve), then
lowers the maximum.  Fitting curves after receptor depletion or
desensitization with ``KA`` and ``Em`` shared and ``tau`` per condition is
Furchgott's method; ``tau_i / tau_0`` is the fraction of receptors left.

Gaddum/Schild: a competitive antagonist at concentration B multiplies the
agonist EC50 by the dose ratio ``1 + (B / KB)^s`` with ``pA2 = -log10 KB``
and Schild slope ``s`` (1 for simple competition).
"""

from __future__ import annotations

import os
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from .fit import fit_curve
from .result import CurveFitResult

__all__ = [
    "operational_response",
    "operational_ec50",
    "operational_emax",
    "dose_ratio",
    "schild_ec50",
    "fit_operational",
    "fit_schild",
]


def operational_response(agonist: np.ndarray | float, Em: float, KA: float, tau: float,
                         n: float = 1.0, basal: float = 0.0) -> np.ndarray:
    """Response of the operational model at agonist concentration(s) ``agonist``.

    Parameters
    ----------
    agonist
        Agonist concentration(s) >= 0 (same unit as ``KA``).
    Em
        System maximum response (response units).
    KA
        Agonist-receptor dissociation constant (concentration).
    tau
        Transducer ratio (receptor density / KE), dimensionless.
    n
        Slope of the transducer function.
    basal
        Response without agonist.
    """
    A = np.asarray(agonist, dtype=float)
    An = np.power(tau * A, n)
    return basal + Em * An / (np.power(KA + A, n) + An)


def operational_ec50(KA: float, tau: float, n: float = 1.0) -> float:
    """EC50 of the operational model: ``KA / ((2 + tau^n)^(1/n) - 1)``; KA / (1 + tau) for n = 1."""
    return float(KA / ((2 + tau ** n) ** (1 / n) - 1))


def operational_emax(Em: float, tau: float, n: float = 1.0) -> float:
    """Maximal response of the operational model: ``Em tau^n / (1 + tau^n)``."""
    return float(Em * tau ** n / (1 + tau ** n))


def dose_ratio(antagonist: np.ndarray | float, pA2: float, s: float = 1.0) -> np.ndarray:
    """Gaddum/Schild dose ratio ``1 + (B 10^pA2)^s`` (B in the unit pA2 refers to)."""
    B = np.asarray(antagonist, dtype=float)
    return 1 + np.power(B * 10.0 ** pA2, s)


def schild_ec50(ec50: float, antagonist: np.ndarray | float, pA2: float, s: float = 1.0) -> np.ndarray:
    """Agonist EC50 in the presence of antagonist: ``EC50 (1 + (B 10^pA2)^s)``."""
    return ec50 * dose_ratio(antagonist, pA2, s)


def fit_operational(
    data: pd.DataFrame | str | os.PathLike,
    *,
    dose: str = "dose",
    response: str = "response",
    condition: str = "condition",
    shared: Sequence[str] = ("basal", "Em", "KA", "n"),
    fixed: Mapping[str, float] | None = None,
    start: Mapping[str, float] | None = None,
    level: float = 0.95,
    dose_unit: str | None = None,
) -> CurveFitResult:
    """Fit the operational model globally across conditions (Furchgott analysis).

    Parameters
    ----------
    data
        CSV path or DataFrame with agonist concentration, response and a
        condition column (different agonists, or receptor depletion /
        pre-treatment conditions).
    dose, response, condition
        Column names.
    shared
        Parameters common to all conditions (default basal, Em, KA and n;
        ``tau`` is estimated per condition).  For several agonists on one
        tissue share Em, basal and n, and leave KA and tau separate.
    fixed
        Parameters held fixed, e.g. ``{'n': 1, 'basal': 0}``.
    start, level, dose_unit
        As in :func:`receptorkin.curves.fit_curve` (with a dose unit,
        ``potency()`` gives the molar pKA and pEC50 values).

    Returns
    -------
    CurveFitResult
        ``parameter_ratio('tau')`` gives the fraction of receptors left per
        condition; ``shift_table()`` the EC50 shifts and Emax loss.
    """
    return fit_curve(data, "operational", dose=dose, response=response, curve=condition,
                     shared=list(shared), fixed=fixed, start=start, level=level, dose_unit=dose_unit)


def fit_schild(
    data: pd.DataFrame | str | os.PathLike,
    *,
    dose: str = "dose",
    response: str = "response",
    antagonist: str = "antagonist",
    fixed: Mapping[str, float] | None = None,
    start: Mapping[str, float] | None = None,
    level: float = 0.95,
    dose_unit: str | None = None,
    antagonist_unit: str | None = None,
) -> CurveFitResult:
    """Gaddum/Schild global fit of agonist curves at several antagonist concentrations.

    All curves share bottom, top, Hill slope, the control EC50, ``pA2`` and
    the Schild slope ``s``; each antagonist concentration is one curve.  Fix
    ``s`` to 1 (``fixed={'s': 1}``) for the constrained (Gaddum) analysis.

    Parameters
    ----------
    data
        Agonist concentration, response and antagonist concentration per row
        (0 for the control curve).
    dose, response, antagonist
        Column names.
    dose_unit, antagonist_unit
        Concentration units (``'nM'``, ``'µM'``, ...; default: from the
        column headers, the antagonist's falling back to the dose unit).
        With an antagonist unit ``pA2`` is molar (``-log10`` KB in mol/L);
        without one it is ``-log10`` of KB in the antagonist column's unit.

    Returns
    -------
    CurveFitResult
        Parameters bottom, top, EC50, hill, pA2, s with SEs.
    """
    return fit_curve(data, "schild", dose=dose, response=response, curve=antagonist,
                     covariates={"antagonist": antagonist}, shared=None, fixed=fixed, start=start,
                     level=level, dose_unit=dose_unit, antagonist_unit=antagonist_unit)
