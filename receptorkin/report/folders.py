"""Output folders of the commands: every file of a result written into one folder, which appears complete or
not at all (:func:`receptorkin.io.staged_outdir`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping, Sequence

from ..io import atomic_path, atomic_write_text, staged_outdir, write_csv
from ..jsonout import dumps
from .html import write_report

__all__ = ["CURVE_FILES", "FIT_FILES", "COMPARISON_FILES", "OPTIMIZE_FILES", "POPULATION_FILES", "PETAB_FIT_FILES",
           "write_curve_folder", "write_fit_folder", "write_fit_comparison_folder", "write_comparison_folder",
           "write_optimize_folder", "write_population_files", "write_petab_fit_folder"]

#: the files of :func:`write_fit_folder` (and the folder ``petab/``)
FIT_FILES = ("fit.json", "fitted.xml", "fit.png", "report.md", "report.html")
#: the files of :func:`write_comparison_folder`
COMPARISON_FILES = ("metrics.csv", "timecourse.csv", "regimens.png", "report.html")
#: the files of :func:`write_optimize_folder`
OPTIMIZE_FILES = ("best.json", "pareto.csv", "pareto.png", "report.html")

#: the files of :func:`write_population_files` (beside the individuals, which the simulation streams)
POPULATION_FILES = ("summary.json", "bands.png", "report.html")

#: the files of :func:`write_curve_folder`
CURVE_FILES = ("curve.json", "curve.png", "report.md", "report.html")
#: the files of :func:`write_petab_fit_folder`
PETAB_FIT_FILES = ("fit.json", "report.html")


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


def write_fit_folder(result: Any, outdir: str | os.PathLike, force: bool = False) -> list[Path]:
    """Write a mechanistic fit's folder: :data:`FIT_FILES` (the result as JSON, the fitted model as SBML,
    the figure, the text and HTML reports) and the fitted problem as PEtab in ``petab/``.

    Returns the paths written, ``petab/`` last."""
    from ..petab.write import fit_problem_to_petab
    from ..plots.fitting import plot_fit

    with staged_outdir(outdir, force=force) as out:
        result.to_json(out / FIT_FILES[0], force=True)
        result.to_sbml(out / FIT_FILES[1], force=True)
        plot_fit(result, out / FIT_FILES[2], force=True)
        atomic_write_text(out / FIT_FILES[3], result.report(), force=True)
        write_report(result, out / FIT_FILES[4], force=True)
        fit_problem_to_petab(result, out / "petab", force=True)
    return [Path(outdir) / name for name in FIT_FILES] + [Path(outdir) / "petab"]


def write_fit_comparison_folder(results: Sequence[Any], labels: Sequence[str], table: Any, folders: Sequence[str],
                                outdir: str | os.PathLike, force: bool = False) -> Path:
    """Write a comparison of mechanistic fits: ``comparison.csv`` (``table``, from
    :func:`~receptorkin.fitting.compare_fits`), one :func:`write_fit_folder` per fit (named by ``folders``)
    and ``report.html``."""
    from .html import fit_comparison_report

    with staged_outdir(outdir, force=force) as out:
        with atomic_path(out / "comparison.csv", force=True) as tmp:
            table.to_csv(tmp, index=False)
        for folder, result in zip(folders, results):
            write_fit_folder(result, out / folder, force=True)
        fit_comparison_report(results, labels, table).write(out / "report.html", force=True)
    return Path(outdir)


def write_comparison_folder(result: Any, outdir: str | os.PathLike, *, title: str = "", force: bool = False,
                            **context: Any) -> Path:
    """Write a regimen comparison's folder (:data:`COMPARISON_FILES`): the metrics table, the time courses,
    the figure of all regimens (titled ``title``) and the HTML report (``context``, e.g. ``simulator=``,
    goes to :func:`~receptorkin.report.html.report_for`)."""
    from ..plots import plot_regimens, save_figure

    with staged_outdir(outdir, force=force) as out:
        write_csv(result.table, out / COMPARISON_FILES[0], force=True)
        write_csv(result.timecourse, out / COMPARISON_FILES[1], force=True, index=False)
        save_figure(plot_regimens(result, title=title), out / COMPARISON_FILES[2], force=True)
        write_report(result, out / COMPARISON_FILES[3], force=True, **context)
    return Path(outdir)


def write_optimize_folder(result: Any, outdir: str | os.PathLike, *, title: str = "", force: bool = False,
                          **context: Any) -> Path:
    """Write a regimen optimization's folder (:data:`OPTIMIZE_FILES`): the best regimen as JSON, every
    evaluation sorted along the trade-off (``pareto.csv``), the Pareto figure and the HTML report
    (``context`` goes to :func:`~receptorkin.report.html.report_for`)."""
    from ..plots import plot_pareto, save_figure

    front = result.evaluations.sort_values([result.preservation, result.objective])
    with staged_outdir(outdir, force=force) as out:
        atomic_write_text(out / OPTIMIZE_FILES[0], result.to_json(), force=True)
        write_csv(front, out / OPTIMIZE_FILES[1], force=True, index=False)
        save_figure(plot_pareto(result, title=title), out / OPTIMIZE_FILES[2], force=True)
        write_report(result, out / OPTIMIZE_FILES[3], force=True, **context)
    return Path(outdir)


def write_population_files(result: Any, folder: str | os.PathLike, *, band: str,
                           horizon: float | None = None) -> list[Path]:
    """Write a population's :data:`POPULATION_FILES` into ``folder``: ``summary.json`` (from
    :meth:`PopulationResult.summary`), ``bands.png`` (the percentile bands of ``band``) and ``report.html``.

    ``folder`` is the (staged, :func:`receptorkin.io.staged_outdir`) folder into which
    :func:`receptorkin.population.simulate` streamed the individuals; the caller commits it.

    Parameters
    ----------
    result
        A :class:`~receptorkin.population.PopulationResult`.
    folder
        An existing folder; the three files in it are replaced.
    band
        Observable of the percentile bands (figure and ``summary.json``).
    horizon
        End of the band time course [model time unit]; the figure's time axis is in days from 48 h on,
        else in hours (default: the last time of the bands).

    Returns
    -------
    list of pathlib.Path
        The files written, in the order of :data:`POPULATION_FILES`.
    """
    from ..plots import plot_bands, save_figure
    from ..units import time_factor

    out = Path(folder)
    summary = result.summary(band)
    end_h = max(summary["bands"]["time_h"], default=0.0) if horizon is None \
        else horizon * time_factor(result.time_unit, "h")
    show = "d" if end_h >= 48 else "h"
    paths = [out / name for name in POPULATION_FILES]
    atomic_write_text(paths[0], dumps(summary, indent=2) + "\n", force=True)
    save_figure(plot_bands(result, band, time_unit=show), paths[1], force=True)
    write_report(result, paths[2], force=True)
    return paths


def write_petab_fit_folder(result: Any, outdir: str | os.PathLike, *, problem: Any = None,
                           yaml_path: str | os.PathLike | None = None, force: bool = False) -> list[Path]:
    """Write a PEtab fit's folder (:data:`PETAB_FIT_FILES`): ``fit.json`` (:meth:`PetabFitResult.to_dict
    <receptorkin.petab.PetabFitResult.to_dict>`, which ``receptorkin export --fit`` reads) and ``report.html``.

    Parameters
    ----------
    result
        A :class:`~receptorkin.petab.PetabFitResult`.
    outdir
        The folder; an existing non-empty one is replaced only with ``force``.
    problem
        The fitted :class:`~receptorkin.petab.PetabProblem` (the report quotes its model checksum and
        solver tolerances).
    yaml_path
        The problem's YAML file (the report names it and quotes its checksum).

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    with staged_outdir(outdir, force=force) as out:
        result.write(out, force=True)
        write_report(result, out / PETAB_FIT_FILES[1], force=True,
                     yaml_path=None if yaml_path is None else str(yaml_path), problem=problem)
    return [Path(outdir) / name for name in PETAB_FIT_FILES]
