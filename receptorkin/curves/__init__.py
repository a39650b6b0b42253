"""Empirical dose-response curves that agree with R's drc and GraphPad Prism.

Models with drc's parametrizations and names (``LL.2``-``LL.5``, ``W1.3``/
``W1.4``, ``W2.3``/``W2.4``, ``EXD.2``/``EXD.3``, ``BC.4``/``BC.5``),
pharmacology forms (``Emax``, ``sigEmax``, ``Hill``, ``sigEmax.p``,
``Hill.p``), the operational model of agonism and the Gaddum/Schild model;
joint fits of several curves with any parameter shared; standard errors as
drc computes them; ED values, ED ratios (relative potency) and predictions
with delta-method SEs; profile-likelihood intervals; AICc, BIC, F tests and
lack-of-fit tests.

>>> from receptorkin.curves import fit_curve
>>> fit = fit_curve("tests/data/spinach.csv", "LL.4", dose="DOSE", response="SLOPE", curve="CURVE")
>>> fit.table.head(2)                                          # doctest: +SKIP
"""

from .engine import Design
from .fit import fit_curve, load_curve_data
from .models import MODELS, CurveFamily, CurveModel, get_model, model_names
from .pharmacology import (
    dose_ratio,
    fit_operational,
    fit_schild,
    operational_ec50,
    operational_emax,
    operational_response,
    schild_ec50,
)
from .result import CurveFitResult
from .selection import TestResult, compare_models, f_test, is_nested, lack_of_fit

__all__ = [
    "fit_curve",
    "load_curve_data",
    "CurveFitResult",
    "CurveModel",
    "CurveFamily",
    "Design",
    "MODELS",
    "get_model",
    "model_names",
    "compare_models",
    "f_test",
    "is_nested",
    "lack_of_fit",
    "TestResult",
    "fit_operational",
    "fit_schild",
    "operational_response",
    "operational_ec50",
    "operational_emax",
    "dose_ratio",
    "schild_ec50",
]
