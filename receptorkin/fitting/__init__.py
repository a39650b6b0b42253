"""Fitting mechanistic receptor models to measurements (lmfit, multistart,
Hessian standard errors, profile likelihood, identifiability)."""

from .multistart import fit, latin_hypercube_starts
from .problem import FitProblem, Observable, ParameterSpec
from .result import FitResult, compare_fits, f_test, information_criteria

__all__ = ["fit", "latin_hypercube_starts", "FitProblem", "Observable", "ParameterSpec", "FitResult",
           "compare_fits", "f_test", "information_criteria"]
