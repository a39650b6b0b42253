"""Figures of simulations (matplotlib, imported lazily; the backend is the caller's).

Each function returns a :class:`matplotlib.figure.Figure`; saving is the
caller's job (the CLI saves atomically).
"""

from __future__ import annotations

import sys
from typing import Mapping, Sequence

__all__ = ["save_figure", "plot_timecourse", "plot_dose_response", "figure", "plot_regimens", "plot_pareto"]


def figure(nrows: int = 1, ncols: int = 1, size: tuple[float, float] = (6.4, 4.2)):
    """A new :class:`matplotlib.figure.Figure` and its axes (a 2-D array).

    The figure is not registered with pyplot and the backend is left alone,
    so a Jupyter session keeps its inline figures (a returned figure shows
    itself) and nothing accumulates in pyplot's figure list.
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(size[0] * ncols, size[1] * nrows))
    axes = fig.subplots(nrows, ncols, squeeze=False)
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


def plot_regimens(comparison, columns: Sequence[str] | None = None, title: str = ""):
    """Regimens side by side over time: drug concentration, response, surface receptors.

    Parameters
    ----------
    comparison
        A :class:`receptorkin.design.ComparisonResult`, or its tidy
        ``timecourse`` DataFrame (columns ``regimen``, ``time`` and outputs).
    columns
        Outputs to draw, one panel each (default: the concentration, the
        response and ``receptor_fraction``).
    """
    df = getattr(comparison, "timecourse", comparison)
    roles = df.attrs.get("columns", {})
    units = df.attrs.get("units", {})
    if columns is None:
        columns = [c for c in (roles.get("concentration"), roles.get("response")) if c]
        columns += ["receptor_fraction"] if "receptor_fraction" in df.columns else []
        columns = columns or [c for c in df.columns if c not in ("regimen", "time")]
    cols = list(columns)
    fig, axes = figure(len(cols), 1, size=(7.5, 2.4))
    t_unit = units.get("time", "")
    labels = list(dict.fromkeys(df["regimen"].tolist()))
    for ax, col in zip(axes[:, 0], cols):
        for label in labels:
            part = df[df["regimen"] == label]
            ax.plot(part["time"].to_numpy(), part[col].to_numpy(), lw=1.2, label=label)
        if col == "receptor_fraction":
            receptor = roles.get("receptor") or "receptor"
            ax.set_ylabel(f"{receptor.replace('_', ' ')}\n[fraction of t=0]")
        else:
            unit = units.get(col, "")
            ax.set_ylabel(f"{col.replace('_', ' ')}" + (f"\n[{unit}]" if unit else ""))
        ax.grid(alpha=0.3)
    axes[-1, 0].set_xlabel(f"time [{t_unit}]" if t_unit else "time")
    axes[0, 0].legend(frameon=False, fontsize=8, ncol=2)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_pareto(result, title: str = ""):
    """The trade-off of an optimization: sustained effect against receptor preservation.

    Every evaluated regimen is a point (coloured by the first searched
    parameter; hollow when it breaks a constraint), the Pareto front is a
    line and the constrained optimum a star.

    Parameters
    ----------
    result
        A :class:`receptorkin.design.OptimizeResult`.
    """
    import numpy as np

    df = result.evaluations
    df = df[df["valid"]]
    x_name, y_name = result.preservation, result.objective
    fig, axes = figure(size=(6.4, 4.6))
    ax = axes[0, 0]
    color_by = result.varied[0] if result.varied else None
    c = df[color_by].to_numpy(float) if color_by else None
    feasible = df["feasible"].to_numpy(bool)
    kw = dict(cmap="viridis", s=22)
    if c is not None and np.all(c > 0):
        from matplotlib.colors import LogNorm

        kw["norm"] = LogNorm(vmin=float(c.min()), vmax=float(c.max()) if c.max() > c.min() else float(c.min()) * 1.01)
    sc = ax.scatter(df[x_name][feasible], df[y_name][feasible], c=c[feasible] if c is not None else None, **kw,
                    label="meets the constraints")
    if (~feasible).any():
        ax.scatter(df[x_name][~feasible], df[y_name][~feasible], facecolors="none", edgecolors="0.5", s=22,
                   label="breaks a constraint")
    front = df[df["pareto"]].sort_values(x_name)
    ax.plot(front[x_name], front[y_name], color="C3", lw=1.4, label="Pareto front")
    best = df[df["best"]]
    if len(best):
        ax.plot(best[x_name], best[y_name], marker="*", ms=16, color="C1", mec="k", ls="none",
                label="constrained optimum" if result.success else "closest to the constraints")
    for con in result.constraints:
        if con.metric == x_name:
            ax.axvline(con.value, color="0.4", ls="--", lw=0.9)
        elif con.metric == y_name:
            ax.axhline(con.value, color="0.4", ls="--", lw=0.9)
    if c is not None:
        unit = "min" if color_by != "dose" else {"concentration": "nM", "amount": "nmol", "rate": "nmol/min"}.get(result.dose_kind, "")
        fig.colorbar(sc, ax=ax, label=f"{color_by} [{unit}]")
    ax.set_xlabel(x_name.replace("_", " "))
    ax.set_ylabel(y_name.replace("_", " "))
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def save_figure(fig, path, force: bool = False, dpi: int = 120):
    """Save a figure atomically (format from the file suffix, PNG by default)
    and close it; refuses to overwrite without ``force``."""
    from pathlib import Path

    from .io import atomic_path

    fmt = Path(path).suffix.lstrip(".").lower() or "png"
    with atomic_path(path, force) as tmp:
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format=fmt)
    if "matplotlib.pyplot" in sys.modules:  # a pyplot figure: release it (a plain Figure needs nothing)
        sys.modules["matplotlib.pyplot"].close(fig)
    return Path(path)
