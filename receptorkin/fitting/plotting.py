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


def plot_fit(result, band: bool = True):
    """Panels per observable (and per read-out time): measured points and the
    fitted model for each condition; shaded: 95% band of the prediction."""
    from ..plots import figure

    problem = result.problem
    table = problem.data.table.copy()
    x = problem.to_scaled(result.estimates)
    table["fit"] = problem.predict(x)
    bands = _band(result) if band else None
    if bands is not None:
        table["lo"], table["hi"] = bands
    table["time_key"] = table["time"].fillna(-1.0)
    groups = list(table.groupby(["observable", "time_key"], sort=False))
    n = len(groups)
    ncols = min(n, 2)
    nrows = (n + ncols - 1) // ncols
    fig, axes = figure(nrows, ncols, size=(5.2, 3.8))
    positive = table.loc[table["dose"] > 0, "dose"]
    control_x = float(positive.min()) / 10.0 if len(positive) else 1.0
    colors = {}
    for ax, ((obs, tkey), g) in zip(axes.flat, groups):
        for cond, gc in g.groupby("condition", sort=False):
            xs = np.where(gc["dose"] > 0, gc["dose"], control_x)
            pts = ax.plot(xs, gc["response"], "o", ms=3.5, alpha=0.7, label=str(cond), color=colors.get(cond))
            colors[cond] = pts[0].get_color()
            curve = gc.groupby("dose", sort=True)[["fit"] + (["lo", "hi"] if bands is not None else [])].mean()
            cx = np.where(curve.index > 0, curve.index, control_x)
            ax.plot(cx, curve["fit"], "-", color=colors[cond], lw=1.6)
            if bands is not None:
                ax.fill_between(cx, curve["lo"], curve["hi"], color=colors[cond], alpha=0.15, lw=0)
        ax.set_xscale("log")
        if (table["dose"] == 0).any():
            ax.axvline(control_x * 3, color="0.6", lw=0.8, ls=":")
        when = "steady state" if tkey < 0 else f"{tkey:g} min after challenge"
        ax.set_title(f"{obs} ({when})", fontsize=10)
        ax.set_xlabel("dose [nM] (control at left)")
        ax.set_ylabel(obs)
        ax.grid(alpha=0.3, which="both")
        ax.legend(frameon=False, fontsize=8)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    fig.suptitle(f"fit of {result.model.id}", fontsize=11)
    fig.tight_layout()
    return fig
