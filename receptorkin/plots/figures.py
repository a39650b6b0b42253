"""Figures of simulations (matplotlib, imported lazily; the backend is the caller's).

Each function returns a :class:`matplotlib.figure.Figure`; saving is the
caller's job (the CLI saves atomically).
"""

from __future__ import annotations

import sys
from typing import Mapping, Sequence

__all__ = ["save_figure", "plot_timecourse", "plot_dose_response", "figure", "plot_regimens", "plot_pareto",
           "PALETTE", "STYLE", "time_unit_for", "legend_outside", "apply_style", "axis_break", "control_ticks"]

#: Okabe & Ito (2008) colour-blind-safe palette, used for every figure
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]

#: matplotlib settings shared by all figures (readable at journal column width)
STYLE = {
    "font.size": 10, "axes.titlesize": 10.5, "axes.labelsize": 10, "xtick.labelsize": 9, "ytick.labelsize": 9,
    "legend.fontsize": 8.5, "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True,
    "grid.alpha": 0.3, "lines.linewidth": 1.6, "figure.dpi": 100, "savefig.dpi": 150,
}

_TIME_IN_MIN = {"s": 1 / 60, "min": 1.0, "h": 60.0, "d": 1440.0}


def time_unit_for(span: float, unit: str = "min") -> tuple[str, float]:
    """The unit that suits a time span, and the factor from ``unit`` to it.

    Spans up to 3 h are shown in minutes, up to 3 days in hours, longer in days
    (a unit not in s/min/h/d is kept as is)."""
    if unit not in _TIME_IN_MIN:
        return unit, 1.0
    minutes = span * _TIME_IN_MIN[unit]
    target = "min" if minutes <= 180 else ("h" if minutes <= 3 * 1440 else "d")
    return target, _TIME_IN_MIN[unit] / _TIME_IN_MIN[target]


def legend_outside(ax, **kwargs):
    """A legend to the right of the axes, off the data."""
    handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return None
    return ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False,
                     borderaxespad=0.0, **kwargs)


def axis_break(ax, x: float) -> None:
    """Two short slashes across the x axis at ``x`` (data coordinates): the axis is broken there."""
    kw = dict(transform=ax.get_xaxis_transform(), color="k", lw=1.0, clip_on=False)
    for dx in (0.92, 1.08):
        ax.plot([x * dx / 1.12, x * dx * 1.12], [-0.03, 0.03], **kw)


def control_ticks(ax, control_x: float, lo: float, hi: float) -> None:
    """Log-dose ticks at the decades between ``lo`` and ``hi``, and ``0`` at the control position."""
    import math

    decades = [10.0 ** k for k in range(math.ceil(math.log10(lo)), math.floor(math.log10(hi)) + 1)]
    ax.set_xticks([control_x] + decades, ["0"] + [f"{d:g}" for d in decades])
    ax.minorticks_off()


def apply_style() -> None:
    """Set the shared figure style (palette, fonts, grid) in matplotlib's rcParams."""
    import matplotlib as mpl
    from cycler import cycler

    mpl.rcParams.update(STYLE)
    mpl.rcParams["axes.prop_cycle"] = cycler(color=PALETTE)


def figure(nrows: int = 1, ncols: int = 1, size: tuple[float, float] = (6.4, 4.2)):
    """A new :class:`matplotlib.figure.Figure` and its axes (a 2-D array).

    The figure is not registered with pyplot and the backend is left alone,
    so a Jupyter session keeps its inline figures (a returned figure shows
    itself) and nothing accumulates in pyplot's figure list.
    """
    from matplotlib.figure import Figure

    apply_style()
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
    t = df.index.to_numpy(dtype=float)
    t_unit, factor = time_unit_for(float(t.max() - t.min()) if t.size else 0.0,
                                   df.attrs.get("units", {}).get("time", "") or "model units")
    for ax, col in zip(axes.flat, cols):
        ax.plot(t * factor, df[col].to_numpy(), lw=1.6, color=PALETTE[0])
        ax.set_ylabel(_label(df, col) if df.attrs.get("units", {}).get(col) else f"{_label(df, col)} [model units]")
        ax.set_xlabel(f"time [{t_unit}]")
    for ax in list(axes.flat)[n:]:
        fig.delaxes(ax)
    if title:
        fig.suptitle(title)
        fig.tight_layout(rect=(0, 0, 1, 0.97))
    else:
        fig.tight_layout()
    return fig


def plot_dose_response(curves: Mapping[str, object], observable: str | None = None, title: str = "", ax=None):
    """Dose-response curves (label -> DataFrame with ``dose`` and the observable).

    Zero doses (vehicle controls) are drawn one decade below the lowest
    positive dose, on a broken log axis, so they stay visible.  Draws into
    ``ax`` when given; returns the Figure.
    """
    import numpy as np

    if ax is None:
        fig, axes = figure()
        ax = axes[0, 0]
    else:
        fig = ax.figure
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
    if has_control and positive:
        control_ticks(ax, control_x, min(positive) / 2, max(float(df["dose"].max()) for df in curves.values()) * 2)
        axis_break(ax, control_x * 3.3)
    if first is not None:
        obs = observable or [c for c in first.columns if c != "dose"][0]
        ax.set_ylabel(_label(first, obs))
        unit = first.attrs.get("units", {}).get("dose", "")
        ax.set_xlabel((f"dose [{unit}]" if unit else "dose [model units]") + (" (0 = vehicle)" if has_control else ""))
    ax.grid(alpha=0.3, which="major")
    if len(curves) > 1:
        legend_outside(ax)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def _envelope(t, y, bins: int):
    """Min and max of ``y`` in ``bins`` equal time bins (the outline of a fast oscillation)."""
    import numpy as np

    edges = np.linspace(t.min(), t.max(), bins + 1)
    idx = np.clip(np.searchsorted(edges, t, side="right") - 1, 0, bins - 1)
    lo = np.full(bins, np.nan)
    hi = np.full(bins, np.nan)
    np.fmin.at(lo, idx, y)
    np.fmax.at(hi, idx, y)
    centre = 0.5 * (edges[:-1] + edges[1:])
    ok = np.isfinite(lo)
    return centre[ok], lo[ok], hi[ok]


def _pulses(t, y) -> int:
    """Number of pulses or doses of an input: rising edges, plus one if it starts high."""
    import numpy as np

    if y.size < 3:
        return 0
    span = float(np.nanmax(y) - np.nanmin(y))
    if span <= 0:
        return 0
    on = y > np.nanmin(y) + 0.5 * span
    return int(on[0]) + int(np.sum(on[1:] & ~on[:-1]))


def plot_regimens(comparison, columns: Sequence[str] | None = None, title: str = ""):
    """Regimens side by side over time: drug concentration, response, surface receptors.

    Readable over weeks: time is in minutes, hours or days by span; a series
    that oscillates faster than the figure can show (many short pulses) is
    drawn as its envelope (band from minimum to maximum, edges as lines) and,
    when there are many pulses, an extra panel zooms on the first pulses of
    the input.  Continuous regimens are solid lines, pulsed/intermittent ones
    dashed, in the colour-blind-safe palette; the legend sits outside the data.

    Parameters
    ----------
    comparison
        A :class:`receptorkin.design.ComparisonResult`, or its tidy
        ``timecourse`` DataFrame (columns ``regimen``, ``time`` and outputs).
    columns
        Outputs to draw, one panel each (default: the concentration, the
        response and ``receptor_fraction``).
    """
    import numpy as np

    df = getattr(comparison, "timecourse", comparison)
    roles = df.attrs.get("columns", {})
    units = df.attrs.get("units", {})
    if columns is None:
        columns = [c for c in (roles.get("concentration"), roles.get("response")) if c]
        columns += ["receptor_fraction"] if "receptor_fraction" in df.columns else []
        columns = columns or [c for c in df.columns if c not in ("regimen", "time")]
    cols = list(columns)
    labels = list(dict.fromkeys(df["regimen"].tolist()))
    t_all = df["time"].to_numpy(float)
    t_unit, factor = time_unit_for(float(t_all.max() - t_all.min()), units.get("time", "min"))
    input_col = roles.get("concentration") if roles.get("concentration") in cols else cols[0]
    n_pulses = {lab: _pulses(df.loc[df["regimen"] == lab, "time"].to_numpy(float),
                             df.loc[df["regimen"] == lab, input_col].to_numpy(float)) for lab in labels}
    many = max(n_pulses.values(), default=0) > 12
    rows = len(cols) + (1 if many else 0)
    fig, axes = figure(rows, 1, size=(7.5, 2.3))
    styles = {lab: ("-" if n_pulses[lab] <= 1 else "--") for lab in labels}
    colours = {lab: PALETTE[i % len(PALETTE)] for i, lab in enumerate(labels)}
    bins = 600

    def ylabel(col: str) -> str:
        if col == "receptor_fraction":
            receptor = roles.get("receptor") or "receptor"
            return f"{receptor.replace('_', ' ')}\n[fraction of t=0]"
        unit = units.get(col, "")
        return f"{col.replace('_', ' ')}" + (f"\n[{unit}]" if unit else "\n[model units]")

    for ax, col in zip(axes[: len(cols), 0], cols):
        if many and col == input_col:
            # the input as a raster: a bar for continuous exposure, a tick per pulse onset
            for k, lab in enumerate(labels):
                part = df[df["regimen"] == lab]
                t = part["time"].to_numpy(float)
                y = part[col].to_numpy(float)
                high = y > np.nanmin(y) + 0.5 * (np.nanmax(y) - np.nanmin(y)) if np.nanmax(y) > np.nanmin(y) else y > 0
                onsets = t[1:][high[1:] & ~high[:-1]]
                if high.size and high[0]:
                    onsets = np.concatenate([[t[0]], onsets])
                if n_pulses[lab] <= 1 and high.any():
                    ax.plot([t[high].min() * factor, t[high].max() * factor], [k, k], "-", color=colours[lab], lw=6,
                            solid_capstyle="butt", label=lab)
                else:
                    ax.vlines(onsets * factor, k - 0.35, k + 0.35, color=colours[lab], lw=0.6, label=lab)
            ax.set_yticks(range(len(labels)), [f"{lab}\n({n_pulses[lab]} pulses)" if n_pulses[lab] > 1 else lab
                                               for lab in labels])
            ax.set_ylim(-0.7, len(labels) - 0.3)
            ax.invert_yaxis()
            ax.grid(False, axis="y")
            peak = float(np.nanmax(df[col].to_numpy(float)))
            unit = units.get(col, "")
            ax.set_title(f"{col.replace('_', ' ')} input: bar = continuous, tick = one pulse (up to {peak:g} {unit})",
                         loc="left")
            continue
        for lab in labels:
            part = df[df["regimen"] == lab]
            t = part["time"].to_numpy(float) * factor
            y = part[col].to_numpy(float)
            if n_pulses[lab] > 12 and t.size > bins // 4:
                tc, lo, hi = _envelope(t, y, max(4, min(bins, int(n_pulses[lab] * 0.95))))
                ax.plot(tc, hi, styles[lab], color=colours[lab], lw=1.4, label=lab)
                ax.set_title("pulsed: dashed = peak of each pulse, dotted = trough between pulses", loc="left")
                ax.plot(tc, lo, ":", color=colours[lab], lw=1.0)
            else:
                ax.plot(t, y, styles[lab], color=colours[lab], lw=1.6, label=lab)
        ax.set_ylabel(ylabel(col))
    if many:
        zoom = axes[len(cols), 0]
        fastest = max(labels, key=lambda lab: n_pulses[lab])
        part = df[df["regimen"] == fastest]
        t = part["time"].to_numpy(float)
        window = 3.5 * (t.max() - t.min()) / max(n_pulses[fastest], 1)
        z_unit, z_factor = time_unit_for(window, units.get("time", "min"))
        t0 = float(df["time"].min())
        for lab in labels:
            p = df[(df["regimen"] == lab) & (df["time"] <= t0 + window)]
            tz = np.append(p["time"].to_numpy(float), t0 + window) * z_factor
            yz = p[input_col].to_numpy(float)
            zoom.plot(tz, np.append(yz, yz[-1]), styles[lab], color=colours[lab], lw=1.4, drawstyle="steps-post")
        zoom.set_ylabel(ylabel(input_col))
        zoom.set_xlabel(f"time [{z_unit}] (zoom on the first pulses)")
        zoom.set_title("input, first pulses", loc="left")
    axes[len(cols) - 1, 0].set_xlabel(f"time [{t_unit}]")
    legend_outside(axes[0, 0])
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_pareto(result, title: str = ""):
    """The trade-off of an optimization, and why regimens fail the constraints.

    Left: every evaluated regimen, objective against receptor preservation,
    coloured by the first searched parameter (filled: meets every constraint;
    ring in the same colour: breaks one), the Pareto front as a line and the
    constrained optimum as a star.  One more panel per constraint whose metric
    is on neither axis: that metric against the same searched parameter, with
    the constraint's limit as a dashed line and the failing side shaded, so a
    point's reason for failing is visible.

    Parameters
    ----------
    result
        A :class:`receptorkin.design.OptimizeResult`.
    """
    import numpy as np

    df = result.evaluations
    df = df[df["valid"]]
    x_name, y_name = result.preservation, result.objective
    extra = [c for c in result.constraints if c.metric not in (x_name, y_name) and c.metric in df.columns]
    fig, axes = figure(1, 1 + len(extra), size=(5.0, 4.2))
    ax = axes[0, 0]
    color_by = result.varied[0] if result.varied else None
    c = df[color_by].to_numpy(float) if color_by else None
    feasible = df["feasible"].to_numpy(bool)
    from matplotlib.colors import LogNorm, Normalize

    norm = None
    if c is not None and c.size:
        lo_c, hi_c = float(np.nanmin(c)), float(np.nanmax(c))
        hi_c = hi_c if hi_c > lo_c else lo_c * 1.01 + 1e-12
        norm = LogNorm(lo_c, hi_c) if lo_c > 0 else Normalize(lo_c, hi_c)
    cmap = "viridis"

    def points(axis, xcol):
        sc = axis.scatter(df[xcol][feasible], df[y_name][feasible] if axis is ax else df[color_by][feasible],
                          c=c[feasible] if c is not None else PALETTE[0], cmap=cmap, norm=norm, s=26,
                          label="meets the constraints", zorder=3)
        if (~feasible).any():
            import matplotlib

            edge = matplotlib.colormaps[cmap](norm(c[~feasible])) if c is not None else "0.5"
            axis.scatter(df[xcol][~feasible], df[y_name][~feasible] if axis is ax else df[color_by][~feasible],
                         facecolors="none", edgecolors=edge, linewidths=1.2, s=30, label="breaks a constraint",
                         zorder=3)
        return sc

    sc = points(ax, x_name)
    front = df[df["pareto"]].sort_values(x_name)
    ax.plot(front[x_name], front[y_name], color=PALETTE[3], lw=1.4, label="Pareto front", zorder=2)
    best = df[df["best"]]
    if len(best):
        ax.plot(best[x_name], best[y_name], marker="*", ms=16, color=PALETTE[1], mec="k", ls="none", zorder=4,
                label="constrained optimum" if result.success else "closest to the constraints")
    for con in result.constraints:
        if con.metric == x_name:
            ax.axvline(con.value, color="0.3", ls="--", lw=1.0, label=f"constraint {con}")
        elif con.metric == y_name:
            ax.axhline(con.value, color="0.3", ls="--", lw=1.0, label=f"constraint {con}")
    units = {}
    try:
        from ..dosing.metrics import METRICS

        units = {k: m.unit for k, m in METRICS.items()}
    except ImportError:  # pragma: no cover
        pass

    def label(metric: str) -> str:
        unit = {"1": "fraction", "response": "response units", "": ""}.get(units.get(metric, ""), units.get(metric, ""))
        return metric.replace("_", " ") + (f" [{unit}]" if unit else "")

    ax.set_xlabel(label(x_name))
    ax.set_ylabel(label(y_name))
    p_unit = ""
    if color_by is not None:
        p_unit = "min" if color_by != "dose" else {"concentration": "nM", "amount": "nmol",
                                                   "rate": "nmol/min"}.get(result.dose_kind, "")
    for k, con in enumerate(extra, start=1):
        axk = axes[0, k]
        if color_by is None:
            axk.set_visible(False)
            continue
        points(axk, con.metric)
        axk.axvline(con.value, color="0.3", ls="--", lw=1.0, label=f"constraint {con}")
        lo_x, hi_x = axk.get_xlim()
        bad = (lo_x, con.value) if con.op.startswith(">") else (con.value, hi_x)
        axk.axvspan(*bad, color="0.85", zorder=0, label="fails this constraint")
        axk.set_xlim(lo_x, hi_x)
        axk.set_xlabel(label(con.metric))
        axk.set_ylabel(f"{color_by} [{p_unit}]")
        if norm is not None and isinstance(norm, LogNorm):
            axk.set_yscale("log")
        axk.set_title(f"why points fail: {con}", loc="left")
    if c is not None:
        fig.colorbar(sc, ax=axes[0, -1] if extra else ax, label=f"{color_by} [{p_unit}]", pad=0.02)
    handles, labels_ = [], []
    for a in axes[0]:
        for h, l in zip(*a.get_legend_handles_labels()):
            if l not in labels_:
                handles.append(h)
                labels_.append(l)
    fig.legend(handles, labels_, loc="lower center", ncol=min(len(labels_), 3), frameon=False,
               bbox_to_anchor=(0.5, -0.02))
    if title:
        fig.suptitle(title)
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    return fig


def save_figure(fig, path, force: bool = False, dpi: int = 120):
    """Save a figure atomically (format from the file suffix, PNG by default)
    and close it; refuses to overwrite without ``force``."""
    from pathlib import Path

    from ..io import atomic_path

    fmt = Path(path).suffix.lstrip(".").lower() or "png"
    with atomic_path(path, force) as tmp:
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format=fmt)
    if "matplotlib.pyplot" in sys.modules:  # a pyplot figure: release it (a plain Figure needs nothing)
        sys.modules["matplotlib.pyplot"].close(fig)
    return Path(path)
