"""Figures of virtual populations: percentile bands of an output over time."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..units import parse_time, time_factor

if TYPE_CHECKING:  # pragma: no cover
    from ..population import PopulationResult

__all__ = ["plot_bands"]


def plot_bands(result: "PopulationResult", observable: str | None = None, *, title: str | None = None,
               time_unit: str | None = None, ax: Any = None):
    """Median and 50 % / 90 % bands of an observable over time.

    Parameters
    ----------
    result
        A simulated population.
    observable
        Which output (default: the first recorded).
    title
        Figure title.
    time_unit
        Unit of the time axis (default: the model's; e.g. ``'d'``).
    ax
        Draw into these axes instead of a new figure.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if ax is None:
        from matplotlib.figure import Figure  # not pyplot: no global state, the backend is the caller's

        fig = Figure(figsize=(7, 4))
        ax = fig.subplots()
    else:
        fig = ax.figure

    df = result.bands(observable, (5, 25, 50, 75, 95))
    unit = time_unit or result.time_unit
    t = df.index.to_numpy() * time_factor(result.time_unit, unit)
    ax.fill_between(t, df["p5"], df["p95"], alpha=0.2, color="C0", lw=0, label="5th-95th percentile")
    ax.fill_between(t, df["p25"], df["p75"], alpha=0.35, color="C0", lw=0, label="25th-75th percentile")
    ax.plot(t, df["p50"], color="C0", lw=2, label="median", marker="o" if len(t) < 8 else None)
    if result.criterion is not None:
        for _, when in result.criterion.refs:
            ax.axvline(parse_time(when, unit), color="0.4", ls=":", lw=1)
    obs = df.attrs["observable"]
    ax.set_xlabel(f"time [{unit}]")
    unit_of = result.population.model.unit_of(obs) if obs in result.population.model.ids else ""
    ax.set_ylabel(f"{obs} [{unit_of}]" if unit_of else obs)
    failed = len(result.failures)
    note = f", {failed} failed" if failed else ""
    ax.set_title(title or f"{result.model_id}: {obs}, n = {result.n}{note}")
    ax.legend(loc="best", fontsize=8, frameon=False)
    fig.tight_layout()
    return fig
