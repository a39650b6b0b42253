"""receptorkin: receptor kinetics for pharmacology.

Simulate receptor regulation (synthesis, insertion, binding, internalization,
recycling, degradation), fit models to dose-response and time-course data,
design dosing that avoids desensitization, and exchange models as SBML.

The public API is re-exported here and imported lazily (PEP 562), so that
``import receptorkin`` and ``receptorkin --help`` stay instant.

In a running IPython shell (Jupyter), importing receptorkin registers the notebook display of its results
(:mod:`receptorkin.notebook`); ``%load_ext receptorkin`` registers it in a shell started later.
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING, Any

from . import deprecation as _deprecation
from . import display as _display
from .version import __version__

# old module paths (receptorkin.petab_io, ...) import with a deprecation warning
_deprecation.install()
# deprecated result methods (result.plot(), result.to_petab(), ...) reach their replacement from here, the top
_display.install_resolver(lambda dotted: getattr(importlib.import_module("." + dotted.rpartition(".")[0], __name__),
                                                 dotted.rpartition(".")[2]))
# a notebook already running shows results as their HTML report (receptorkin.notebook is imported only then:
# it loads the report layer)
if "IPython" in sys.modules:
    from . import notebook as _notebook

    _notebook.install()


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext receptorkin``: show receptorkin results as their HTML report in this IPython shell."""
    from . import notebook

    notebook.register(ipython)

# public name -> module that defines it
_API: dict[str, str] = {
    # errors
    "ReceptorkinError": "errors", "DataError": "errors", "SBMLError": "errors", "ModelError": "errors",
    "SimulationError": "errors", "FitError": "errors", "RegimenError": "errors", "OutputExistsError": "errors",
    "MissingDependencyError": "errors",
    # models
    "Model": "models.sbml", "load_model": "models.sbml", "validate": "models.sbml", "read_sbml": "models.sbml",
    "from_antimony": "models.sbml", "library": "models",
    # simulation
    "Simulator": "simulation",
    # units
    "parse_time": "units", "parse_concentration": "units",
    # data
    "read_table": "data", "load_measurements": "data.measurements", "load_conditions": "data.measurements",
    "Measurements": "data.measurements", "Condition": "data.measurements", "Exposure": "dosing",
    # classic curves
    "fit_curve": "curves", "CurveFitResult": "curves", "compare_models": "curves", "fit_operational": "curves",
    "fit_schild": "curves",
    # dosing and design
    "Regimen": "dosing", "Bolus": "dosing", "Infusion": "dosing", "PulseTrain": "dosing", "Holiday": "dosing",
    "parse_regimen": "dosing", "attach_pk": "dosing", "regimen_to_events": "dosing", "apply_regimen": "dosing",
    "simulate_regimen": "dosing", "RegimenResult": "dosing", "METRICS": "dosing",
    "compare": "design", "optimize": "design", "ComparisonResult": "design", "OptimizeResult": "design",
    # interop
    "PetabProblem": "petab", "PetabFitResult": "petab", "fit_petab": "petab", "to_petab": "petab",
    "fit_problem_to_petab": "petab",
    "lint_petab": "petab", "export_sbml": "export", "ExportResult": "export", "load_fit": "export",
    "apply_fit": "export", "timecourse_omex": "export.sedml", "dose_response_omex": "export.sedml",
    "run_omex": "export.sedml",
    # populations and parallel backends
    "Population": "population", "LogNormal": "population", "Normal": "population", "Uniform": "population",
    "LogNormalCovariance": "population", "FitCovariance": "population", "simulate_population": "population",
    "PopulationResult": "population", "ResponderFraction": "population", "parse_criterion": "population",
    "binomial_ci": "population", "PopulationError": "population", "run_tasks": "parallel", "SchedulerError": "parallel",
    # mechanistic fitting
    "FitProblem": "fitting", "ParameterSpec": "fitting", "Observable": "fitting", "fit": "fitting",
    "FitResult": "fitting", "compare_fits": "fitting", "f_test": "fitting",
    # figures of every result
    "plot": "plots",
}

__all__ = ["__version__", *_API]


def __getattr__(name: str) -> Any:
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'receptorkin' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs
    from .errors import (DataError, FitError, ModelError, OutputExistsError, ReceptorkinError, RegimenError,
                         SBMLError, SimulationError)
    from .models import library
    from .models.sbml import Model, from_antimony, load_model, read_sbml, validate
    from .simulation import Simulator
    from .units import parse_concentration, parse_time
    from .curves import CurveFitResult, compare_models, fit_curve, fit_operational, fit_schild
    from .data import read_table
    from .parallel import SchedulerError, run_tasks
    from .population import (FitCovariance, LogNormal, LogNormalCovariance, Normal, Population, PopulationError,
                             PopulationResult, ResponderFraction, Uniform, binomial_ci, parse_criterion,
                             simulate_population)
    from .export import ExportResult, apply_fit, export_sbml, load_fit
    from .petab import PetabFitResult, PetabProblem, fit_petab, fit_problem_to_petab, lint_petab, to_petab
    from .export.sedml import dose_response_omex, run_omex, timecourse_omex
    from .design import ComparisonResult, OptimizeResult, compare, optimize
    from .dosing import (METRICS, Bolus, Holiday, Infusion, PulseTrain, Regimen, RegimenResult, apply_regimen,
                         attach_pk, parse_regimen, regimen_to_events, simulate_regimen)
    from .fitting import FitProblem, FitResult, Observable, ParameterSpec, compare_fits, f_test, fit
    from .dosing import Exposure
    from .data.measurements import Condition, Measurements, load_conditions, load_measurements
    from .plots import plot
