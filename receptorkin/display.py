"""Display of results: their one-line ``repr`` text, and the mark of a result that notebooks show as its report.

A result class (curve fits, mechanistic fits, PEtab fits, regimen comparisons and optimizations, populations,
posterior samples) derives from :class:`NotebookDisplay`. The class has no methods: the display itself is
top-down, :mod:`receptorkin.notebook` registers one HTML formatter for this class with IPython, and the
formatter asks :func:`receptorkin.report.html.report_for` for the result's report. No result module, and
nothing in this one, reaches up to the report layer.
"""

from __future__ import annotations

import warnings
from typing import Any, Callable, Mapping

from .errors import ReceptorkinDeprecationWarning

__all__ = ["NotebookDisplay", "values_text", "install_resolver", "deprecated_call"]

#: how a deprecated method finds its replacement: installed by the package's top (``receptorkin/__init__.py``)
_RESOLVER: list[Callable[[str], Callable[..., Any]]] = []


class NotebookDisplay:
    """Mark of a result that Jupyter shows as its HTML report fragment (summary, first table, key figure).

    The formatter is registered for this class (and so for every subclass) by
    :func:`receptorkin.notebook.register`; :func:`receptorkin.report.html.report_for` must have a report for
    each subclass.
    """

    __slots__ = ()


def values_text(values: Mapping[str, Any], most: int = 8) -> str:
    """``name=value`` pairs (4 significant digits), the first ``most`` then a count of the rest (for a
    result's one-line ``__repr__``)."""
    items = list(values.items())
    text = ", ".join(f"{k}={float(v):.4g}" for k, v in items[:most])
    return text + (f", … ({len(items) - most} more)" if len(items) > most else "")


def install_resolver(resolve: Callable[[str], Callable[..., Any]]) -> None:
    """Install how :func:`deprecated_call` finds a function by its dotted name below ``receptorkin``.

    Called once, by the top of the package (``receptorkin/__init__.py``), which may import every layer; the
    result modules that keep deprecated methods name their replacement only as text, so no lower module
    imports a higher one.
    """
    _RESOLVER[:] = [resolve]


def deprecated_call(old: str, new: str, target: str, *args: Any, **kwargs: Any) -> Any:
    """Run a deprecated method of a result through the function that replaces it, with a
    :class:`~receptorkin.errors.ReceptorkinDeprecationWarning` naming the replacement.

    Parameters
    ----------
    old
        The deprecated call, as the user wrote it (``"CurveFitResult.plot()"``).
    new
        What to write instead (``"receptorkin.plot(result, path)"``).
    target
        Dotted name of the replacement below ``receptorkin`` (``"plots.plot_curve_fit"``).
    """
    warnings.warn(f"{old} is deprecated and will be removed in receptorkin 0.3: use {new}",
                  ReceptorkinDeprecationWarning, stacklevel=3)
    return _RESOLVER[0](target)(*args, **kwargs)
