"""Models out: SBML with fitted values and regimens (:mod:`.sbml`), SED-ML/COMBINE archives (:mod:`.sedml`)."""

from .sbml import ExportResult, Fit, FitValue, load_fit, apply_fit, apply_regimen, export_sbml

__all__ = ["ExportResult", "Fit", "FitValue", "load_fit", "apply_fit", "apply_regimen", "export_sbml"]
