"""Notebook display of results: the one place where a result reaches up to :mod:`receptorkin.report`.

Every result class (curve fits, mechanistic fits, PEtab fits, regimen comparisons and optimizations,
populations) inherits :class:`NotebookDisplay`, so Jupyter shows it as its HTML report. The report is built
by :func:`receptorkin.report.html.report_for`, imported when a notebook asks for it: importing a result's
module never loads the report layer.
"""

from __future__ import annotations

from typing import Any, Mapping

__all__ = ["NotebookDisplay", "values_text"]


class NotebookDisplay:
    """Mixin: ``_repr_html_`` is the result's HTML report fragment (summary, parameter table, key figure)."""

    __slots__ = ()

    def _repr_html_(self) -> str:
        """Notebook display: summary, parameter table and the key figure."""
        from .report.html import report_for

        return report_for(self).fragment()


def values_text(values: Mapping[str, Any], most: int = 8) -> str:
    """``name=value`` pairs (4 significant digits), the first ``most`` then a count of the rest (for a
    result's one-line ``__repr__``)."""
    items = list(values.items())
    text = ", ".join(f"{k}={float(v):.4g}" for k, v in items[:most])
    return text + (f", … ({len(items) - most} more)" if len(items) > most else "")
