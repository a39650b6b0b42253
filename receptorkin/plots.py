"""Figures of simulations (matplotlib, imported lazily, Agg backend).

Each function returns a :class:`matplotlib.figure.Figure`; saving is the
caller's job (the CLI saves atomically).
"""

from __future__ import annotations

from typing import Mapping, Sequence

__all__ = ["plot_timecourse", "plot_dose_response", "figure"]


def figure(nrows: int = 1, ncols: int = 1, size: tuple[float, float] = (6.4, 4.2)):
    """A new figure and axes with the non-interactive Agg backend."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(nrows, ncols, figsize=(size[0] * ncols, size[1] * nrows), squeeze=False)
    return fig, axes


def _label(df, col: str) -> str:
    unit = df.attrs.get("units", {}).get(col, "")
    return f"{col.replace('_', ' ')} [{unit}]" if unit else col.replace("_", " ")


def plot_timecourse(df, columns: Sequence[str] | None = None, title: str = ""):
    """Each column of a time course in its own panel (shared time axis)."""
    cols = list(columns or df.columns)
    n = len(cols)
    ncols = 2 if n > 1 else 1
    nrows = (n + ncols - 1) // ncols
    fig, axes = figure(nrows, ncols, size=(5.0, 3.0))
    t_unit = df.attrs.get("units", {}).get("time", "")
    for ax, col in zip(axes.flat, cols):
        ax.plot(df.index.to_numpy(), df[col].to_numpy(), lw=1.6)
        ax.set_ylabel(_label(df, col))
        ax.set_xlabel(f"time [{t_unit}]" if t_unit else "time")
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_dose_response(curves: Mapping[str, object], observable: str | None = None, title: str = ""):
    """Dose-response curves (label -> DataFrame with ``dose`` and the observable).

    Zero doses (vehicle controls) are drawn one decade below the lowest
    positive dose, on a broken log axis, so they stay visible.
    """
    import numpy as np

    fig, axes = figure()
    ax = axes[0, 0]
    positive = [float(df["dose"][df["dose"] > 0].min()) for df in curves.values() if (df["dose"] > 0).any()]
    control_x = (min(positive) / 10.0) if positive else 1.0
    has_control = False
    first = None
    for label, df in curves.items():
        first = df
        obs = observable or [c for c in df.columns if c != "dose"][0]
        x = df["dose"].to_numpy(dtype=float)
        y = df[obs].to_numpy(dtype=float)
        zero = x <= 0
        has_control |= bool(zero.any())
        line, = ax.plot(x[~zero], y[~zero], marker="o", ms=3, lw=1.6, label=label)
        if zero.any():
            ax.plot(np.full(zero.sum(), control_x), y[zero], marker="s", ls="none", color=line.get_color())
    ax.set_xscale("log")
    if has_control:
        ax.axvline(control_x * 3.0, color="0.6", lw=0.8, ls=":")
        ax.annotate("control", (control_x, 0), xycoords=("data", "axes fraction"), xytext=(0, 4),
                    textcoords="offset points", ha="center", fontsize=8, color="0.4")
    if first is not None:
        obs = observable or [c for c in first.columns if c != "dose"][0]
        ax.set_ylabel(_label(first, obs))
        unit = first.attrs.get("units", {}).get("dose", "")
        ax.set_xlabel(f"dose [{unit}]" if unit else "dose")
    ax.grid(alpha=0.3, which="both")
    if len(curves) > 1:
        ax.legend(frameon=False)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig
