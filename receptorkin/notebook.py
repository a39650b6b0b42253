"""Notebook display: Jupyter (IPython) shows a receptorkin result as its HTML report fragment.

The results know nothing of reports: each derives from :class:`receptorkin.display.NotebookDisplay`, and this
top-layer module registers one ``text/html`` formatter for that class with IPython (by name, so nothing is
imported to register it). The formatter shows ``report_for(result).fragment()``
(:func:`receptorkin.report.html.report_for`): the summary, the first table and the key figure.

``import receptorkin`` in a running IPython shell (a Jupyter kernel) registers it; in a shell started after
receptorkin was imported, ``%load_ext receptorkin`` does.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["DISPLAYED", "html", "register", "install"]

#: ``(module, class name)`` of the base class of every result that a notebook shows as its report
DISPLAYED = ("receptorkin.display", "NotebookDisplay")


def html(result: Any) -> str:
    """The notebook HTML of a result: its report's :meth:`~receptorkin.report.html.Report.fragment`."""
    from .report.html import report_for

    return report_for(result).fragment()


def register(shell: Any) -> None:
    """Register :func:`html` as the ``text/html`` formatter of every result in an IPython ``shell``
    (an ``InteractiveShell``; ``%load_ext receptorkin`` calls this)."""
    shell.display_formatter.formatters["text/html"].for_type_by_name(*DISPLAYED, html)


def install() -> bool:
    """Register with the running IPython shell, if there is one (``import receptorkin`` calls this; it
    imports nothing). Returns whether a shell was found."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") else None
    if shell is None:
        return False
    register(shell)
    return True
