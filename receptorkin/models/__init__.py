"""Models: SBML I/O and validation, the Antimony builder, the bundled library."""

from . import library
from .build import build
from .sbml import Element, Model, Reference, ValidationReport, check_supported, from_antimony, load_model, read_sbml, validate

__all__ = ["library", "build", "Element", "Model", "Reference", "ValidationReport", "check_supported",
           "from_antimony", "load_model", "read_sbml", "validate"]
