"""One entry point for every result's figure: :func:`plot` (``receptorkin.plot``).

Results live in lower layers (``curves/``, ``fitting/``, ``population/``,
``design/``) and know nothing of figures; this module, above them, picks the
figure for each result type (:func:`functools.singledispatch`):

======================================================  ==============================================
result                                                  figure
======================================================  ==============================================
:class:`~receptorkin.curves.CurveFitResult`             :func:`~receptorkin.plots.curves.plot_curve_fit`
:class:`~receptorkin.fitting.FitResult`                 :func:`~receptorkin.plots.fitting.plot_fit`
:class:`~receptorkin.population.PopulationResult`       :func:`~receptorkin.plots.population.plot_bands`
:class:`~receptorkin.design.ComparisonResult`           :func:`~receptorkin.plots.figures.plot_regimens`
:class:`~receptorkin.design.OptimizeResult`             :func:`~receptorkin.plots.figures.plot_pareto`
======================================================  ==============================================
"""

from __future__ import annotations

import os
from functools import singledispatch
from typing import Any

from ..curves.result import CurveFitResult
from ..design.comparison import ComparisonResult
from ..design.optimization import OptimizeResult
from ..errors import PlotError
from ..fitting.result import FitResult
from ..population.result import PopulationResult
from .curves import plot_curve_fit
from .figures import plot_pareto, plot_regimens, save_figure
from .fitting import plot_fit
from .population import plot_bands

__all__ = ["plot"]


@singledispatch
def plot(result: Any, path: str | os.PathLike | None = None, *, force: bool = False, **kwargs: Any) -> Any:
    """The figure of a result, optionally written to a file.

    Parameters
    ----------
    result
        A :class:`~receptorkin.curves.CurveFitResult`, :class:`~receptorkin.fitting.FitResult`,
        :class:`~receptorkin.population.PopulationResult`, :class:`~receptorkin.design.ComparisonResult`
        or :class:`~receptorkin.design.OptimizeResult`.
    path
        File to write (atomically; the format from the suffix, PNG by default), or ``None`` to only
        return the figure.
    force
        Overwrite an existing file.
    **kwargs
        Passed to the figure function of the result's type (see the table in :mod:`.dispatch`),
        e.g. ``ax=``, ``title=``, ``observable=`` and ``time_unit=`` for a population.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    PlotError
        No figure is known for the type of ``result``.
    """
    known = ", ".join(sorted(t.__name__ for t in plot.registry if t is not object))
    raise PlotError(f"no figure for a {type(result).__name__} (receptorkin.plot draws: {known})")


def _written(fig: Any, path: str | os.PathLike | None, force: bool) -> Any:
    if path is not None:
        save_figure(fig, path, force=force)
    return fig


@plot.register(CurveFitResult)
def _plot_curve_fit(result: CurveFitResult, path: str | os.PathLike | None = None, *, force: bool = False,
                    **kwargs: Any) -> Any:
    return plot_curve_fit(result, path, force=force, **kwargs)


@plot.register(FitResult)
def _plot_fit(result: FitResult, path: str | os.PathLike | None = None, *, force: bool = False,
              **kwargs: Any) -> Any:
    return plot_fit(result, path, force=force, **kwargs)


@plot.register(PopulationResult)
def _plot_population(result: PopulationResult, path: str | os.PathLike | None = None, *, force: bool = False,
                     **kwargs: Any) -> Any:
    return _written(plot_bands(result, **kwargs), path, force)


@plot.register(ComparisonResult)
def _plot_comparison(result: ComparisonResult, path: str | os.PathLike | None = None, *, force: bool = False,
                     **kwargs: Any) -> Any:
    return _written(plot_regimens(result, **kwargs), path, force)


@plot.register(OptimizeResult)
def _plot_optimization(result: OptimizeResult, path: str | os.PathLike | None = None, *, force: bool = False,
                       **kwargs: Any) -> Any:
    return _written(plot_pareto(result, **kwargs), path, force)
