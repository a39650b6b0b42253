"""Figures of dose-response curve fits (matplotlib, imported lazily).

The dose axis is logarithmic; zero-dose controls are drawn one decade below
the lowest positive dose, labelled ``0`` and separated from the rest by an
axis break, as drc's ``plot(..., broken = TRUE)`` does.  No pyplot state is
touched: figures are created with :class:`matplotlib.figure.Figure`, which
renders with the Agg canvas whatever backend the user has chosen.
"""

from __future__ import annotations

import math
import os
from typing import TYPE_CHECKING, Any

import numpy as np

from ..io import atomic_path

if TYPE_CHECKING:  # pragma: no cover
    from ..curves.result import CurveFitResult

__all__ = ["plot_curve_fit", "control_position"]


def control_position(doses: np.ndarray) -> float:
    """Where to draw zero-dose controls on a log axis: one decade below the
    decade of the lowest positive dose."""
    pos = np.asarray(doses, float)
    pos = pos[pos > 0]
    if len(pos) == 0:
        return 1.0
    return float(10.0 ** (math.floor(math.log10(pos.min())) - 1))


def plot_curve_fit(result: "CurveFitResult", path: str | os.PathLike | None = None, *, force: bool = False,
                   ax: Any = None, title: str | None = None) -> Any:
    """Plot observations, fitted curves and their EC50s.

    Parameters
    ----------
    result
        A fit from :func:`receptorkin.curves.fit_curve`.
    path
        PNG file to write (atomically; an existing file needs ``force``), or
        ``None`` to only return the figure.
    force
        Overwrite an existing file.
    ax
        A matplotlib Axes to draw into instead of a new figure.
    title
        Figure title (default: model and data file).

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure

    from ..curves.derived import EDNotReached, ed_grad

    d = result.design
    if ax is None:
        fig = Figure(figsize=(7.0, 4.8), layout="constrained")
        ax = fig.add_subplot(1, 1, 1)
    else:
        fig = ax.figure
    pos = d.x[d.x > 0]
    has_controls = bool(np.any(d.x == 0))
    x0 = control_position(d.x)
    lo = pos.min() if len(pos) else 1.0
    hi = pos.max() if len(pos) else 10.0
    x_break = math.sqrt(x0 * lo) if has_controls else lo / 2
    from .figures import PALETTE, legend_outside

    colors = [PALETTE[i % len(PALETTE)] for i in range(d.m)]
    grid = np.logspace(math.log10(x_break * 1.15 if has_controls else lo / 2), math.log10(hi * 2), 300)
    for c, label in enumerate(d.curves):
        rows = d.g == c
        xs = np.where(d.x[rows] > 0, d.x[rows], x0)
        name = label if d.m > 1 else "data"
        ax.plot(xs, d.y[rows], "o", ms=4, color=colors[c], alpha=0.75, label=f"{name}")
        try:
            curve = result.predict(grid, curve=label)["estimate"].to_numpy()
        except Exception:  # a curve that cannot be evaluated is shown without its line
            continue
        ax.plot(grid, curve, "-", color=colors[c], lw=1.6)
        if has_controls:
            f0 = result.predict([0.0], curve=label)["estimate"].iloc[0]
            ax.plot([x0 * 0.8, x0 * 1.25], [f0, f0], "-", color=colors[c], lw=1.6)
        try:
            ec50, _ = ed_grad(d, result.theta, c, 50.0, "relative")
        except (EDNotReached, ValueError):
            continue
        if lo / 100 <= ec50 <= hi * 100:
            yv = result.predict([ec50], curve=label)["estimate"].iloc[0]
            ax.plot([ec50], [yv], "D", ms=7, mfc="white", mec=colors[c], mew=1.6, zorder=5)
            ax.axvline(ec50, color=colors[c], lw=0.8, ls=":", alpha=0.8)
    ax.set_xscale("log")
    left = x0 / 2 if has_controls else lo / 3
    ax.set_xlim(left, hi * 3)
    if has_controls:
        first = math.ceil(math.log10(x_break * 1.5))
        last = math.floor(math.log10(hi * 3))
        ticks = [10.0 ** k for k in range(first, last + 1)]
        ax.set_xticks([x0] + ticks)
        ax.set_xticklabels(["0"] + [f"$10^{{{int(round(math.log10(t)))}}}$" for t in ticks])
        ax.minorticks_off()
        # the break: two short slanted strokes across the x axis
        kw = dict(transform=ax.get_xaxis_transform(), color="k", lw=1.0, clip_on=False)
        for dx in (0.92, 1.08):
            xb = x_break * dx
            ax.plot([xb / 1.06, xb * 1.06], [-0.02, 0.02], **kw)
    def unit_label(name: str) -> str:
        return name if "[" in name else f"{name} [as in the data]"

    ax.set_xlabel(unit_label(result.dose_column) + ("  (0 = control)" if has_controls else ""))
    ax.set_ylabel(unit_label(result.response_column))
    ax.set_title(title or f"{result.model.name} fit to {os.path.basename(str(d.source))}  (diamond = EC50)",
                 fontsize=10)
    ax.grid(True, which="major", alpha=0.25)
    legend_outside(ax, title=result.curve_column if d.m > 1 else None, title_fontsize=8)
    if path is not None:
        with atomic_path(path, force) as tmp:
            fig.savefig(tmp, dpi=120, format="png")
    return fig
