"""Figures (matplotlib, imported lazily): simulations, regimens, Pareto fronts (:mod:`.figures`),
curve fits (:mod:`.curves`), mechanistic fits (:mod:`.fitting`), populations (:mod:`.population`), and
:func:`plot`, the figure of any result (:mod:`.dispatch`)."""

from .curves import plot_curve_fit
from .dispatch import plot
from .figures import (save_figure, plot_timecourse, plot_dose_response, figure, plot_regimens, plot_pareto, PALETTE,
    STYLE, time_unit_for, legend_outside, apply_style, axis_break, control_ticks, target_axes, root_figure, figure_png,
    figure_svg)
from .fitting import plot_fit
from .population import plot_bands

__all__ = ["plot", "save_figure", "plot_timecourse", "plot_dose_response", "figure", "plot_regimens", "plot_pareto",
           "plot_curve_fit", "plot_fit", "plot_bands", "PALETTE", "STYLE", "time_unit_for", "legend_outside",
           "apply_style", "axis_break", "control_ticks", "target_axes", "root_figure", "figure_png", "figure_svg"]
