"""The receptorkin exception hierarchy.

Every failure that receptorkin can foresee (bad input files, invalid SBML,
solver faults, fit faults, outputs that already exist) is raised as a
:class:`ReceptorkinError` subclass whose message says *where* (file, line,
column, model id, parameter) and *what was expected*.  The command-line
interface prints ``str(error)`` on one line and exits with status 1.
"""

from __future__ import annotations

__all__ = [
    "ReceptorkinError",
    "DataError",
    "SBMLError",
    "ModelError",
    "SimulationError",
    "FitError",
    "OutputExistsError",
    "RegimenError",
    "PopulationError",
    "SchedulerError",
    "OutputError",
    "ReceptorkinWarning",
    "DuplicateRowWarning",
    "MissingDependencyError",
    "AssumedUnitWarning",
    "ReceptorkinDeprecationWarning",
]


class ReceptorkinError(Exception):
    """Base class of every error receptorkin raises on purpose."""


class DataError(ReceptorkinError, ValueError):
    """A measurement or table file is malformed (names file, line, column, value)."""


class SBMLError(ReceptorkinError, ValueError):
    """An SBML document is unreadable or invalid (libsbml errors with their lines)."""


class ModelError(ReceptorkinError, ValueError):
    """A model is valid SBML but cannot be used: unknown id, unsupported construct,
    unknown parameter, missing ligand or observable."""


class SimulationError(ReceptorkinError, RuntimeError):
    """The ODE solver failed; the message names the model, the time reached and
    the parameter values in force."""


class FitError(ReceptorkinError, ValueError):
    """A fit problem is ill-posed (bounds, starts) or every optimizer start failed."""


class RegimenError(ReceptorkinError, ValueError):
    """A dosing regimen is malformed (negative times, bad period, overlaps)."""


class OutputExistsError(ReceptorkinError, FileExistsError):
    """An output file or directory exists and overwriting it was not requested."""


class PopulationError(ReceptorkinError, ValueError):
    """A population, readout or criterion is ill-posed (CV <= 0, n < 1, bad criterion text)."""


class SchedulerError(ReceptorkinError, ConnectionError):
    """A Dask scheduler cannot be reached or used (address, timeout, missing package)."""


class OutputError(ReceptorkinError, OSError):
    """An output could not be written (disk full, no permission); names the path."""


class MissingDependencyError(ReceptorkinError, ImportError):
    """An optional package that a feature needs is not installed; the message
    names the ``pip install 'receptorkin[extra]'`` that provides it."""


class ReceptorkinWarning(UserWarning):
    """Base class of every warning receptorkin issues on purpose."""


class DuplicateRowWarning(ReceptorkinWarning):
    """Rows of a table are identical in every column (kept; the warning names their lines)."""


class AssumedUnitWarning(ReceptorkinWarning):
    """A quantity with a unit was converted into a unit the model does not declare (an assumed default)."""


class ReceptorkinDeprecationWarning(ReceptorkinWarning, DeprecationWarning):
    """A name or module path that still works but will be removed; the message names its replacement.

    A :class:`DeprecationWarning` too, so Python's default filters treat it as one (shown for code run
    as ``__main__`` and under test runners, hidden elsewhere)."""
