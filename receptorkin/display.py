"""Notebook display of results: the one place where a result reaches up to :mod:`receptorkin.report`.

Every result class (curve fits, mechanistic fits, PEtab fits, regimen comparisons and optimizations,
populations) inherits :class:`NotebookDisplay`, so Jupyter shows it as its HTML report. The report is built
by :func:`receptorkin.report.html.report_for`, imported when a notebook asks for it: importing a result's
module never loads the report layer.
"""

from __future__ import annotations

__all__ = ["NotebookDisplay"]


class NotebookDisplay:
    """Mixin: ``_repr_html_`` is the result's HTML report fragment (summary, parameter table, key figure)."""

    __slots__ = ()

    def _repr_html_(self) -> str:
        """Notebook display: summary, parameter table and the key figure."""
        from .report.html import report_for

        return report_for(self).fragment()
