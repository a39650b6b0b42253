"""Figures (matplotlib, imported lazily): simulations, regimens, Pareto fronts (:mod:`.figures`),
curve fits (:mod:`.curves`) and mechanistic fits (:mod:`.fitting`)."""

from .figures import (save_figure, plot_timecourse, plot_dose_response, figure, plot_regimens, plot_pareto, PALETTE,
    STYLE, time_unit_for, legend_outside, apply_style, axis_break, control_ticks, target_axes, root_figure, figure_png,
    figure_svg)
from .fitting import plot_fit
from .population import plot_bands

__all__ = ["save_figure", "plot_timecourse", "plot_dose_response", "figure", "plot_regimens", "plot_pareto",
           "PALETTE", "STYLE", "time_unit_for", "legend_outside", "apply_style", "axis_break", "control_ticks",
           "target_axes", "root_figure", "figure_png", "figure_svg", "plot_bands", "plot_fit"]
