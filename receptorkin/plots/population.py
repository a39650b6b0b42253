"""Figures of virtual populations: percentile bands of an output over time."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..units import parse_time, time_factor
from .figures import PALETTE, legend_outside, target_axes, time_unit_for

if TYPE_CHECKING:  # pragma: no cover
    from ..population import PopulationResult

__all__ = ["plot_bands"]


def plot_bands(result: "PopulationResult", observable: str | None = None, *, title: str | None = None,
               time_unit: str | None = None, ax: Any = None):
    """Median and the 50 % / 90 % bands of an observable over the population, over time.

    The dark band holds the middle half of the individuals (25th-75th
    percentile), the light band 90 % of them (5th-95th percentile); the line
    is the median.  Dotted vertical lines mark the read-out times of the
    responder criterion.

    Parameters
    ----------
    result
        A simulated population.
    observable
        Which output (default: the first recorded).
    title
        Title of the axes (default: model, observable, number of individuals).
    time_unit
        Unit of the time axis (``'s'``, ``'min'``, ``'h'``, ``'d'``; default:
        the one that suits the span).
    ax
        One Axes to draw into instead of a new figure (the caller's figure
        layout is left alone).

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, (ax,), owned = target_axes(ax, 1, "plot_bands", size=(6.4, 3.8))
    df = result.bands(observable, (5, 25, 50, 75, 95))
    t_model = df.index.to_numpy(dtype=float)
    if time_unit is None:
        span = float(t_model.max() - t_model.min()) if t_model.size else 0.0
        time_unit = time_unit_for(span, result.time_unit)[0]
    unit = time_unit
    t = t_model * (time_factor(result.time_unit, unit) if unit != result.time_unit else 1.0)
    colour = PALETTE[0]
    ax.fill_between(t, df["p5"], df["p95"], alpha=0.18, color=colour, lw=0, label="5-95 % of the population")
    ax.fill_between(t, df["p25"], df["p75"], alpha=0.4, color=colour, lw=0, label="25-75 % of the population")
    ax.plot(t, df["p50"], color=colour, lw=1.8, label="median", marker="o" if len(t) < 8 else None, ms=4)
    if result.criterion is not None:
        for k, (_, when) in enumerate(result.criterion.refs):
            ax.axvline(parse_time(when, unit), color="0.4", ls=":", lw=1,
                       label="read-out of the criterion" if k == 0 else None)
    obs = df.attrs["observable"]
    ax.set_xlabel(f"time [{unit}]")
    unit_of = result.population.model.unit_of(obs) if obs in result.population.model.ids else ""
    ax.set_ylabel(f"{obs.replace('_', ' ')} [{unit_of or 'model units'}]")
    failed = len(result.failures)
    note = f", {failed} failed" if failed else ""
    ax.set_title(title or f"{result.model_id}: {obs}, n = {result.n}{note}", loc="left")
    legend_outside(ax)
    if owned:
        fig.tight_layout()
    return fig
