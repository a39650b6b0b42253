"""Display of results: their one-line ``repr`` text, and the mark of a result that notebooks show as its report.

A result class (curve fits, mechanistic fits, PEtab fits, regimen comparisons and optimizations, populations,
posterior samples) derives from :class:`NotebookDisplay`. The class has no methods: the display itself is
top-down, :mod:`receptorkin.notebook` registers one HTML formatter for this class with IPython, and the
formatter asks :func:`receptorkin.report.html.report_for` for the result's report. No result module, and
nothing in this one, reaches up to the report layer.
"""

from __future__ import annotations

from typing import Any, Mapping

__all__ = ["NotebookDisplay", "values_text"]


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
