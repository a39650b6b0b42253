"""Output folders of the commands: every file of a result written into one folder, which appears complete or
not at all (:func:`receptorkin.io.staged_outdir`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

from ..io import atomic_write_text, staged_outdir
from ..jsonout import dumps

__all__ = ["CURVE_FILES", "write_curve_folder"]

#: the files of :func:`write_curve_folder`
CURVE_FILES = ("curve.json", "curve.png", "report.md", "report.html")


def write_curve_folder(result: Any, outdir: str | os.PathLike, *, summary: Mapping[str, Any], markdown: str,
                       data_path: str | None = None, comparison: Any = None, force: bool = False) -> Path:
    """Write a curve fit's folder: ``curve.json`` (``summary``, from :meth:`CurveFitResult.summary`),
    ``curve.png`` (data and fitted curves), ``report.md`` (``markdown``, from :meth:`CurveFitResult.report`)
    and ``report.html`` (with the model comparison table, when given).

    Parameters
    ----------
    result
        A :class:`~receptorkin.curves.CurveFitResult`.
    outdir
        The folder; an existing non-empty one is replaced only with ``force``.
    summary, markdown
        The JSON summary and the Markdown report.
    data_path
        The data file, named in the HTML report.
    comparison
        The model comparison table (:func:`~receptorkin.curves.compare_models`), or ``None``.

    Returns
    -------
    pathlib.Path
        The folder.
    """
    from ..plots.curves import plot_curve_fit
    from .html import curve_report

    extra = [("Model comparison", comparison, "AICc, BIC and F tests for nested models.")] \
        if comparison is not None else []
    with staged_outdir(outdir, force) as staged:
        atomic_write_text(staged / "curve.json", dumps(summary, indent=2) + "\n", force=True)
        plot_curve_fit(result, staged / "curve.png", force=True)
        atomic_write_text(staged / "report.md", markdown, force=True)
        curve_report(result, data_path=data_path, extra=extra).write(staged / "report.html", force=True)
    return Path(outdir)
