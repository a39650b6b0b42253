"""Figure of a fit: data and fitted curves per condition, with a prediction band."""

from __future__ import annotations

import numpy as np

__all__ = ["plot_fit"]


def _band(result, n_draws: int = 200, seed: int = 1):
    """2.5/97.5 percentiles of predictions over parameter draws from the
    covariance (estimation scale)."""
    problem = result.problem
    x = problem.to_scaled(result.estimates)
    se = []
    for n, s in zip(result.names, problem._spec_of):
        v = result.estimates[n]
        se.append(result.se[n] / (np.log(10) * v) if s.scale == "log10" else result.se[n])
    se = np.array(se)
    cov = result.correlation * np.outer(se, se)
    rng = np.random.default_rng(seed)
    try:
        draws = rng.multivariate_normal(x, cov, size=n_draws, check_valid="ignore")
    except (ValueError, np.linalg.LinAlgError):
        return None
    lo, hi = problem.bounds()
    preds = []
    for d in draws:
        d = np.clip(d, lo, hi)
        try:
            preds.append(problem.predict(d))
        except Exception:  # a draw the solver cannot handle is left out of the band
            continue
    if len(preds) < 20:
        return None
    preds = np.array(preds)
    return np.percentile(preds, 2.5, axis=0), np.percentile(preds, 97.5, axis=0)


def _panels(table):
    """Split the measurements into panels: time courses (one dose, several
    times), dose-response curves (several doses at one time) and single
    read-outs per condition."""
    panels = []
    for obs, sub in table.groupby("observable", sort=False):
        used = np.zeros(len(sub), dtype=bool)
        series = []
        for (cond, dose), g in sub.groupby(["condition", "dose"], sort=False):
            if g["time"].nunique() > 1:
                series.append(g)
                used |= sub.index.isin(g.index)
        if series:
            panels.append(("time", obs, series))
        rest = sub[~used]
        singles = []
        for tkey, g in rest.groupby("time_key", sort=False):
            if g.groupby("condition")["dose"].nunique().max() > 1:
                panels.append(("dose", obs, (tkey, g)))
            else:
                singles.append(g)
        if singles:
            import pandas as pd

            panels.append(("single", obs, pd.concat(singles)))
    return panels


def plot_fit(result, band: bool = True):
    """Measured points and the fitted model: dose-response panels per read-out
    time, time-course panels, and single read-outs per condition; shaded: the
    95% band of the prediction from the parameter covariance."""
    from ..plots import figure

    problem = result.problem
    table = problem.data.table.copy()
    x = problem.to_scaled(result.estimates)
    table["fit"] = problem.predict(x)
    bands = _band(result) if band else None
    if bands is not None:
        table["lo"], table["hi"] = bands
    table["time_key"] = table["time"].fillna(-1.0)
    panels = _panels(table)
    n = len(panels)
    ncols = min(n, 2)
    nrows = (n + ncols - 1) // ncols
    fig, axes = figure(nrows, ncols, size=(5.2, 3.8))
    positive = table.loc[table["dose"] > 0, "dose"]
    control_x = float(positive.min()) / 10.0 if len(positive) else 1.0
    palette = ["C0", "C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "C9"]
    colors = {c: palette[i % len(palette)] for i, c in enumerate(dict.fromkeys(table["condition"]))}
    cols = ["fit"] + (["lo", "hi"] if bands is not None else [])

    def color(cond, line=None):
        return colors[cond]

    for ax, (kind, obs, payload) in zip(axes.flat, panels):
        if kind == "time":
            for g in payload:
                cond, dose = g["condition"].iloc[0], g["dose"].iloc[0]
                pts = ax.plot(g["time"], g["response"], "o", ms=3.5, alpha=0.7, color=color(cond), label=f"{cond}, {dose:g} nM")
                color(cond, pts[0])
                curve = g.groupby("time", sort=True)[cols].mean()
                ax.plot(curve.index, curve["fit"], "-", color=color(cond), lw=1.6)
                if bands is not None:
                    ax.fill_between(curve.index, curve["lo"], curve["hi"], color=color(cond), alpha=0.15, lw=0)
            ax.set_xlabel("time after challenge [min]")
            ax.set_title(f"{obs}: time course", fontsize=10)
        elif kind == "dose":
            tkey, g = payload
            for cond, gc in g.groupby("condition", sort=False):
                xs = np.where(gc["dose"] > 0, gc["dose"], control_x)
                pts = ax.plot(xs, gc["response"], "o", ms=3.5, alpha=0.7, label=str(cond), color=color(cond))
                color(cond, pts[0])
                curve = gc.groupby("dose", sort=True)[cols].mean()
                cx = np.where(curve.index > 0, curve.index, control_x)
                ax.plot(cx, curve["fit"], "-", color=color(cond), lw=1.6)
                if bands is not None:
                    ax.fill_between(cx, curve["lo"], curve["hi"], color=color(cond), alpha=0.15, lw=0)
            ax.set_xscale("log")
            if (g["dose"] == 0).any():
                ax.axvline(control_x * 3, color="0.6", lw=0.8, ls=":")
            when = "steady state" if tkey < 0 else f"{tkey:g} min after challenge"
            ax.set_title(f"{obs} ({when})", fontsize=10)
            ax.set_xlabel("dose [nM] (control at left)")
        else:
            g = payload
            labels = list(dict.fromkeys(g["condition"]))
            pos = {c: i for i, c in enumerate(labels)}
            for cond, gc in g.groupby("condition", sort=False):
                xi = np.full(len(gc), pos[cond], dtype=float)
                pts = ax.plot(xi, gc["response"], "o", ms=4, alpha=0.7, color=color(cond))
                color(cond, pts[0])
                ax.plot([pos[cond] - 0.25, pos[cond] + 0.25], [gc["fit"].mean()] * 2, "-", color="k", lw=1.6)
            ax.set_xticks(range(len(labels)), labels)
            ax.set_xlim(-0.6, len(labels) - 0.4)
            ax.set_title(f"{obs} at the challenge (bar: fit)", fontsize=10)
            ax.set_xlabel("condition")
        ax.set_ylabel(obs)
        ax.grid(alpha=0.3, which="both")
        if kind != "single":
            ax.legend(frameon=False, fontsize=8)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    fig.suptitle(f"fit of {result.model.id}", fontsize=11)
    fig.tight_layout()
    return fig
