"""Regimen design: compare regimens, optimize a regimen family, the Pareto front."""

from .comparison import (compare, ComparisonResult, optimize, OptimizeResult, Constraint, parse_constraint, Family,
    FAMILIES, parse_bounds, pareto_front, demo_gnrh)

__all__ = ["compare", "ComparisonResult", "optimize", "OptimizeResult", "Constraint", "parse_constraint", "Family",
           "FAMILIES", "parse_bounds", "pareto_front", "demo_gnrh"]
