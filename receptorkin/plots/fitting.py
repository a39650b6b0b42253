"""Figure of a fit: data, smooth model curves with a prediction band, residuals."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ..errors import FitError

__all__ = ["plot_fit"]


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


def _grid_rows(table, panels, n_time: int = 80, n_dose: int = 30):
    """Rows on a dense grid for smooth model curves: one list of row dicts per panel."""
    import pandas as pd

    rows = []
    for k, (kind, obs, payload) in enumerate(panels):
        if kind == "time":
            for g in payload:
                cond, dose = g["condition"].iloc[0], float(g["dose"].iloc[0])
                tmax = float(g["time"].max())
                for t in np.linspace(0.0, tmax, n_time):
                    rows.append({"panel": k, "dose": dose, "time": t, "condition": cond, "observable": obs})
        elif kind == "dose":
            tkey, g = payload
            positive = g.loc[g["dose"] > 0, "dose"]
            if not len(positive):
                continue
            grid = np.logspace(np.log10(positive.min()) - 0.15, np.log10(positive.max()) + 0.15, n_dose)
            for cond in dict.fromkeys(g["condition"]):
                for d in ([0.0] if (g["dose"] == 0).any() else []) + list(grid):
                    rows.append({"panel": k, "dose": float(d), "time": np.nan if tkey < 0 else float(tkey),
                                 "condition": cond, "observable": obs})
    return pd.DataFrame(rows)


def _grid_predictions(result, grid, band: bool, n_draws: int = 60, seed: int = 1):
    """Model curves on the grid at the estimates and, with ``band``, their 2.5/97.5 percentiles
    over parameter draws from the covariance (estimation scale)."""
    if grid.empty:
        return None, None, None
    frame = grid[["dose", "time", "condition", "observable"]]
    gp, _, rows = result.prediction_problem(frame)
    fit = gp.predict(gp.to_scaled({n: result.estimates[n] for n in gp.names}))[:rows]
    if not band:
        return fit, None, None
    problem = result.problem
    x = problem.to_scaled(result.estimates)
    se = np.array([result.se[n] / (np.log(10) * result.estimates[n]) if s.scale == "log10" else result.se[n]
                   for n, s in zip(result.names, problem.estimated_specs)])
    cov = result.correlation * np.outer(se, se)
    if not np.all(np.isfinite(cov)):
        return fit, None, None
    rng = np.random.default_rng(seed)
    try:
        draws = rng.multivariate_normal(x, cov, size=n_draws, check_valid="ignore")
    except (ValueError, np.linalg.LinAlgError):
        return fit, None, None
    lo_b, hi_b = problem.bounds()
    preds = []
    for d in draws:
        values = problem.to_linear(np.clip(d, lo_b, hi_b))
        try:
            preds.append(gp.predict(gp.to_scaled({n: values[n] for n in gp.names}))[:rows])
        except Exception:  # a draw the solver cannot handle is left out of the band
            continue
    if len(preds) < 20:
        return fit, None, None
    preds = np.array(preds)
    return fit, np.percentile(preds, 2.5, axis=0), np.percentile(preds, 97.5, axis=0)


def plot_fit(result: Any, path: str | os.PathLike | None = None, *, force: bool = False, band: bool = True,
             ax: Any = None) -> Any:
    """Measured points and the fitted model, with residuals.

    One panel per kind of read-out -- dose-response curves per read-out time,
    time courses, single read-outs per condition -- each with a residual panel
    below.  Model curves are smooth (evaluated on a dense grid of doses or
    times); the shaded band is the 95% prediction band of the model from the
    parameter covariance (parameter uncertainty only, not measurement noise);
    points carry error bars where the data give an SD.  Vehicle controls
    (dose 0) sit left of a broken log-dose axis, with the model's control
    value as a short bar, and no curve is drawn through them.  Times are in
    min, h or d by span.

    Parameters
    ----------
    result
        A :class:`~receptorkin.fitting.FitResult` fresh from
        :func:`~receptorkin.fitting.fit` (it needs the problem).
    path
        Image file to write (PNG, or SVG/PDF by suffix; atomically, an
        existing file needs ``force``), or ``None`` to only return the figure.
    force
        Overwrite an existing file.
    band
        Draw the prediction band.
    ax
        Draw into the caller's axes instead of a new figure: one Axes when
        the data make one panel, else a sequence (or array) of Axes of one
        figure, one per panel (in the order above, per observable); each
        panel's residuals go to an axes appended below it.  A wrong number
        raises :class:`~receptorkin.errors.PlotError` naming the panels.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    FitError
        The result has no problem (it was loaded from JSON).
    """
    from .figures import PALETTE, apply_style, axis_break, control_ticks, legend_outside, save_figure, time_unit_for

    problem = result.problem
    if problem is None:
        raise FitError("plot_fit needs the FitProblem: plot a result returned by fit(), not one loaded from JSON")
    table = problem.data.table.copy()
    x = problem.to_scaled(result.estimates)
    table["fit"] = problem.predict(x)
    table["time_key"] = table["time"].fillna(-1.0)
    panels = _panels(table)
    grid = _grid_rows(table, panels)
    gfit, glo, ghi = _grid_predictions(result, grid, band)
    if gfit is not None:
        grid["fit"] = gfit
        if glo is not None:
            grid["lo"], grid["hi"] = glo, ghi
    n = len(panels)
    if ax is not None:
        from mpl_toolkits.axes_grid1 import make_axes_locatable

        from .figures import target_axes

        kinds = ", ".join(f"{obs} ({kind})" for kind, obs, _ in panels)
        fig, mains, _ = target_axes(ax, n, "plot_fit", why=f"one per panel: {kinds}; the residuals go below each")
        pairs = [(a, make_axes_locatable(a).append_axes("bottom", size="30%", pad=0.1, sharex=a)) for a in mains]
    else:
        from matplotlib.figure import Figure  # not pyplot: no global state, the backend is the caller's

        apply_style()
        ncols = 2 if n > 1 and n % 2 == 0 else 1
        nrows = (n + ncols - 1) // ncols
        fig = Figure(figsize=(7.4 * ncols, 4.4 * nrows), layout="constrained")
        subfigs = np.atleast_1d(fig.subfigures(nrows, ncols)).ravel()
        pairs = []
        for k in range(n):
            main, res = subfigs[k].subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1]})
            pairs.append((main, res))
    positive = table.loc[table["dose"] > 0, "dose"]
    control_x = float(positive.min()) / 10.0 if len(positive) else 1.0
    colors = {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(dict.fromkeys(table["condition"]))}
    has_sd = table["sd"].notna().any()

    def points(a, xs, g, colour, label):
        if has_sd and g["sd"].notna().any():
            a.errorbar(xs, g["response"], yerr=g["sd"].fillna(0.0), fmt="o", ms=4, color=colour, alpha=0.85,
                       elinewidth=0.8, capsize=2, label=label)
        else:
            a.plot(xs, g["response"], "o", ms=4, color=colour, alpha=0.85, label=label)

    band_label = "95% band (parameter uncertainty)"
    for k, ((a, r), (kind, obs, payload)) in enumerate(zip(pairs, panels)):
        sub = grid[grid["panel"] == k] if "fit" in grid else grid.iloc[0:0]
        if kind == "time":
            span = max(float(g["time"].max()) for g in payload)
            t_unit, f = time_unit_for(span, "min")
            for i, g in enumerate(payload):
                cond, dose = g["condition"].iloc[0], float(g["dose"].iloc[0])
                colour = PALETTE[i % len(PALETTE)] if len(payload) > 1 else colors[cond]
                label = f"{cond}, {dose:.4g} nM" if table["condition"].nunique() > 1 else f"{dose:.4g} nM"
                points(a, g["time"] * f, g, colour, label)
                line = sub[(sub["condition"] == cond) & (sub["dose"] == dose)]
                if len(line):
                    a.plot(line["time"] * f, line["fit"], "-", color=colour, lw=1.6)
                    if "lo" in line:
                        a.fill_between(line["time"] * f, line["lo"], line["hi"], color=colour, alpha=0.18, lw=0,
                                       label=band_label if i == 0 else None)
                r.plot(g["time"] * f, g["response"] - g["fit"], "o", ms=3, color=colour)
            r.set_xlabel(f"time after challenge [{t_unit}]")
            a.set_title(f"{obs}: time course", loc="left")
        elif kind == "dose":
            tkey, g = payload
            has_control = bool((g["dose"] == 0).any())
            for cond, gc in g.groupby("condition", sort=False):
                colour = colors[cond]
                xs = np.where(gc["dose"] > 0, gc["dose"], control_x)
                points(a, xs, gc, colour, str(cond))
                line = sub[(sub["condition"] == cond) & (sub["dose"] > 0)]
                if len(line):
                    a.plot(line["dose"], line["fit"], "-", color=colour, lw=1.6)
                    if "lo" in line:
                        a.fill_between(line["dose"], line["lo"], line["hi"], color=colour, alpha=0.18, lw=0,
                                       label=band_label if cond == g["condition"].iloc[0] else None)
                ctrl = sub[(sub["condition"] == cond) & (sub["dose"] == 0)]
                if len(ctrl):
                    a.plot([control_x / 1.6, control_x * 1.6], [ctrl["fit"].iloc[0]] * 2, "-", color=colour, lw=2.0)
                r.plot(xs, gc["response"] - gc["fit"], "o", ms=3, color=colour)
            a.set_xscale("log")
            lo_d = float(g.loc[g["dose"] > 0, "dose"].min()) if (g["dose"] > 0).any() else control_x * 10
            hi_d = float(g["dose"].max())
            a.set_xlim(control_x / 3 if has_control else lo_d / 3, hi_d * 3)
            if has_control:
                control_ticks(r, control_x, lo_d / 2, hi_d * 2)
                for axis in (a, r):
                    axis_break(axis, control_x * 3.3)
            when = "steady state" if tkey < 0 else f"{tkey:g} min after challenge"
            a.set_title(f"{obs} ({when})", loc="left")
            r.set_xlabel("dose [nM]" + (" (0 = vehicle control)" if has_control else ""))
        else:
            g = payload
            labels = list(dict.fromkeys(g["condition"]))
            pos = {c: i for i, c in enumerate(labels)}
            for cond, gc in g.groupby("condition", sort=False):
                xi = np.full(len(gc), pos[cond], dtype=float)
                points(a, xi, gc, colors[cond], None)
                a.plot([pos[cond] - 0.25, pos[cond] + 0.25], [gc["fit"].mean()] * 2, "-", color="k", lw=1.6,
                       label="model" if cond == labels[0] else None)
                r.plot(xi, gc["response"] - gc["fit"], "o", ms=3, color=colors[cond])
            r.set_xticks(range(len(labels)), labels)
            a.set_xlim(-0.6, len(labels) - 0.4)
            a.set_title(f"{obs} at the challenge", loc="left")
            r.set_xlabel("condition")
        y_unit = (result.model.unit_of(obs) if obs in result.model.ids else "") or "data units"
        a.set_ylabel(f"{obs.replace('_', ' ')}\n[{y_unit}]")
        r.set_ylabel(f"residual\n[{y_unit}]")
        r.axhline(0.0, color="0.4", lw=0.8)
        a.tick_params(labelbottom=False)
        legend_outside(a, last=(band_label,))
    fig.suptitle(f"Fit of {result.model.id}: data (points), model (lines)", fontsize=11)
    if path is not None:
        save_figure(fig, path, force=force)
    return fig
