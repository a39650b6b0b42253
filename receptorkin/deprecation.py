"""Old module paths that still import, with a :class:`~receptorkin.errors.ReceptorkinDeprecationWarning`.

receptorkin 0.2 moved modules into packages (``receptorkin.petab_io`` is now
:mod:`receptorkin.petab.problem`, and so on).  Importing an old path gives the
module at its new place -- the same module object, so names, classes and
monkeypatching behave as before -- and warns once with the new path.  The
old paths are served by an import hook rather than by files at the old
places, so that no stale copy can drift from the real module.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import warnings
from types import ModuleType

from .errors import ReceptorkinDeprecationWarning

__all__ = ["MOVED_MODULES", "install"]

#: old module path -> new module path
MOVED_MODULES: dict[str, str] = {
    "receptorkin.sensitivities": "receptorkin.simulation.sensitivities",
    "receptorkin.readers": "receptorkin.data",  # read_frame moved to data.tables
    "receptorkin.measurements": "receptorkin.data.measurements",
    "receptorkin.petab_io": "receptorkin.petab",  # split into petab.problem, .fit, .write, .lint
    "receptorkin.petab_inner": "receptorkin.petab.hierarchical",
    "receptorkin.petab_export": "receptorkin.petab.write",
    "receptorkin.plots_curves": "receptorkin.plots.curves",
    "receptorkin.fitting.plotting": "receptorkin.plots.fitting",
    "receptorkin.htmlreport": "receptorkin.report.html",
    "receptorkin.sedml": "receptorkin.export.sedml",
    "receptorkin.assumed_units": "receptorkin.models.units",
    "receptorkin.diagnostics": "receptorkin.models.diagnostics",
}


class _MovedModuleLoader(importlib.abc.Loader):
    """Loads an old path as the module at its new path (one object under two names)."""

    def __init__(self, old: str, new: str) -> None:
        self.old, self.new = old, new

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        # stacklevel 2: the import machinery's own frames are skipped by warnings
        warnings.warn(f"{self.old} has moved to {self.new}; import it from there "
                      f"(the old path will be removed)", ReceptorkinDeprecationWarning, stacklevel=2)
        return importlib.import_module(self.new)

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run: the module was executed at its new path."""


class _MovedModuleFinder(importlib.abc.MetaPathFinder):
    """Finds the old paths of :data:`MOVED_MODULES` (and nothing else)."""

    def find_spec(self, fullname: str, path: object = None,
                  target: object = None) -> importlib.machinery.ModuleSpec | None:
        new = MOVED_MODULES.get(fullname)
        if new is None:
            return None
        return importlib.util.spec_from_loader(fullname, _MovedModuleLoader(fullname, new))


def install() -> None:
    """Put the finder of old module paths first on :data:`sys.meta_path` (once).

    First, so that an old path resolves to the new module even where a stale
    file of that path is still importable (an outdated editable install); it
    answers only the exact old paths, so it never shadows anything else."""
    if not any(isinstance(f, _MovedModuleFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _MovedModuleFinder())
