"""Regimen design: compare regimens (:mod:`.comparison`), optimize a regimen family under constraints
(:mod:`.optimization`), the Pareto front (:mod:`.pareto`)."""

from .comparison import ComparisonResult, compare
from .optimization import FAMILIES, Constraint, Family, OptimizeResult, optimize, parse_bounds, parse_constraint
from .pareto import pareto_front

__all__ = ["compare", "ComparisonResult", "optimize", "OptimizeResult", "Constraint", "parse_constraint", "Family",
           "FAMILIES", "parse_bounds", "pareto_front"]


def demo_gnrh(*args, **kwargs):
    """Deprecated: use :func:`receptorkin.demo.demo_gnrh` (the demo writes figures, so it lives at the top)."""
    from ..display import deprecated_call

    return deprecated_call("receptorkin.design.demo_gnrh", "receptorkin.demo.demo_gnrh", "demo.demo_gnrh",
                           *args, **kwargs)
