"""Figures: time units by span, ax= and Figure returns, regimen figures over weeks, Pareto constraint panels."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from receptorkin.plots import PALETTE, plot, plot_bands, plot_dose_response, plot_pareto, plot_regimens, time_unit_for


@pytest.mark.parametrize("span, unit, expected", [
    (60, "min", ("min", 1.0)), (600, "min", ("h", 1 / 60)), (14 * 1440, "min", ("d", 1 / 1440)),
    (7200, "s", ("min", 1 / 60)), (4 * 3600, "s", ("h", 1 / 3600)), (10, "h", ("h", 1.0)), (100, "h", ("d", 1 / 24)), (5, "cycles", ("cycles", 1.0)),
])
def test_time_unit_suits_the_span(span, unit, expected):
    got = time_unit_for(span, unit)
    assert got[0] == expected[0] and got[1] == pytest.approx(expected[1])


def test_dose_response_draws_into_a_given_axes():
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure()
    ax = fig.add_subplot(1, 1, 1)
    df = pd.DataFrame({"dose": [0, 1, 10, 100], "response": [0.0, 0.2, 0.6, 0.9]})
    assert plot_dose_response({"a": df, "b": df}, ax=ax) is fig
    assert ax.get_xscale() == "log"


def _weeks_of_pulses() -> pd.DataFrame:
    """Two weeks of 6-min pulses every 90 min (and a continuous exposure), minutes."""
    t = np.arange(0, 14 * 1440, 2.0)
    pulses = np.where((t % 90) < 6, 10.0, 0.0)
    rows = []
    for label, conc in (("continuous", np.full_like(t, 10.0)), ("pulses every 90 min", pulses)):
        resp = np.convolve(conc, np.ones(5) / 5, mode="same") / 10
        rows.append(pd.DataFrame({"regimen": label, "time": t, "drug": conc, "response": resp,
                                  "receptor_fraction": np.exp(-t / 20000)}))
    df = pd.concat(rows, ignore_index=True)
    df.attrs["units"] = {"time": "min", "drug": "nM", "response": "1"}
    df.attrs["columns"] = {"concentration": "drug", "response": "response", "receptor": "surface_receptor"}
    return df


def test_regimens_over_weeks_get_days_a_pulse_raster_and_a_zoom():
    fig = plot_regimens(_weeks_of_pulses())
    axes = fig.axes
    assert len(axes) == 4  # input raster, response, receptors, zoom on the first pulses
    raster, response, receptors, zoom = axes
    assert receptors.get_xlabel() == "time [d]"
    assert [t.get_text() for t in raster.get_yticklabels()] == ["continuous", "pulses every 90 min\n(224 pulses)"]
    # one tick per pulse onset: 14 days / 90 min = 224 pulses
    ticks = [c for c in raster.collections if len(c.get_segments()) > 1]
    assert len(ticks[0].get_segments()) == 224
    assert "zoom" in zoom.get_xlabel() and zoom.get_xlim()[1] < 600
    # continuous solid, pulsed dashed, distinct colour-blind-safe colours
    lines = response.get_lines()
    assert lines[0].get_linestyle() == "-" and lines[1].get_linestyle() == "--"
    assert lines[0].get_color() == PALETTE[0] and lines[1].get_color() == PALETTE[1]


def test_pareto_shows_an_off_axis_constraint_and_why_points_fail():
    from receptorkin.design import Constraint

    period = np.array([10.0, 30.0, 90.0, 240.0])
    ev = pd.DataFrame({"period": period, "mean_response": [0.07, 0.05, 0.03, 0.01],
                       "surface_receptor_final": [0.3, 0.5, 0.8, 0.9], "tolerance_ratio": [0.1, 0.4, 0.8, 0.95],
                       "valid": True, "feasible": [False, False, True, True], "pareto": True,
                       "best": [False, False, True, False]})
    result = SimpleNamespace(evaluations=ev, preservation="surface_receptor_final", objective="mean_response",
                             constraints=(Constraint("tolerance_ratio", ">=", 0.75),), varied=("period",),
                             success=True, dose_kind="concentration")
    fig = plot_pareto(result)
    main, why = fig.axes[:2]
    assert why.get_xlabel().startswith("tolerance ratio") and why.get_ylabel() == "period [min]"
    assert "why points fail" in why.get_title(loc="left")
    # the failing side of the constraint is shaded up to the limit
    shaded = [p for p in why.patches]
    assert shaded and shaded[0].get_x() + shaded[0].get_width() == pytest.approx(0.75)


# --------------------------------------------------------------------------- one style, ax= everywhere

def _drawn(fig):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    fig.canvas.draw()
    return fig.canvas.get_renderer()


def _numeric(labels) -> bool:
    texts = [t.get_text().replace("−", "-").replace("$", "").strip() for t in labels if t.get_text().strip()]
    if not texts:
        return False
    try:
        [float(t.replace("10^{", "1e").replace("}", "")) for t in texts]
    except ValueError:
        return False
    return True


def assert_one_style(fig, *, owned_axes=None):
    """The rules every receptorkin figure keeps: readable fonts, a unit on every numeric axis that shows
    tick labels, legends off the data, colours from the colour-blind-safe palette (or greys)."""
    from matplotlib.colors import to_hex, to_rgb
    from matplotlib.lines import Line2D
    from matplotlib.text import Text

    renderer = _drawn(fig)
    axes = [a for a in (owned_axes if owned_axes is not None else fig.axes) if a.get_visible()]
    for text in fig.findobj(Text):
        if text.get_visible() and text.get_text().strip():
            assert text.get_fontsize() >= 8, f"{text.get_text()!r} at {text.get_fontsize()} pt"
    for a in axes:
        if a.get_label() == "<colorbar>":
            continue
        for axis, labels, name in ((a.xaxis, a.get_xticklabels(), a.get_xlabel()),
                                   (a.yaxis, a.get_yticklabels(), a.get_ylabel())):
            shown = [t for t in labels if t.get_visible() and t.get_text()]
            if shown and _numeric(shown):
                assert "[" in name and "]" in name, f"no unit on {name!r} ({a.get_title(loc='left')!r})"
        legend = a.get_legend()
        if legend is not None:
            box = legend.get_window_extent(renderer)
            for b in axes:
                assert not box.overlaps(b.get_window_extent(renderer)), f"legend over the data of {b.get_title()!r}"
        for line in a.get_lines():
            colour = to_rgb(line.get_color())
            grey = max(colour) - min(colour) < 1e-6
            assert grey or to_hex(colour).upper() in {p.upper() for p in PALETTE}, to_hex(colour)


def _caller_axes(n: int):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 3 * n))
    return fig, list(fig.subplots(n, 1, squeeze=False)[:, 0])


def test_timecourse_is_styled_and_draws_into_the_callers_axes():
    from receptorkin.errors import PlotError
    from receptorkin.plots import plot_timecourse

    t = np.linspace(0, 14 * 1440, 50)
    df = pd.DataFrame({"R": np.exp(-t / 5000), "response": 1 - np.exp(-t / 3000)}, index=pd.Index(t, name="time"))
    df.attrs["units"] = {"time": "min", "R": "receptors", "response": "dimensionless"}
    own = plot_timecourse(df, title="two weeks")
    assert_one_style(own)
    assert [a.get_xlabel() for a in own.axes] == ["time [d]", "time [d]"]
    fig, axes = _caller_axes(2)
    assert plot_timecourse(df, ax=axes) is fig
    assert all(len(a.get_lines()) == 1 for a in axes)
    assert axes[0].get_lines()[0].get_xdata().max() == pytest.approx(14.0)  # minutes shown in days
    assert_one_style(fig)
    with pytest.raises(PlotError, match=r"plot_timecourse\(ax=...\): this figure needs 2 axes \(one per column\); got 1"):
        plot_timecourse(df, ax=axes[:1])


def test_regimens_draw_into_three_or_four_caller_axes_and_refuse_two():
    from receptorkin.errors import PlotError

    data = _weeks_of_pulses()
    for n in (3, 4):  # without and with the zoom on the first pulses
        fig, axes = _caller_axes(n)
        assert plot_regimens(data, ax=np.array(axes)) is fig
        assert all(a.get_lines() or a.collections for a in axes)
        assert_one_style(fig)
    assert "zoom" in axes[3].get_xlabel()
    with pytest.raises(PlotError, match="needs 3 or 4 axes"):
        plot_regimens(data, ax=_caller_axes(2)[1])
    own = plot_regimens(data)
    assert_one_style(own)
    legend = own.axes[0].get_legend()
    assert [h.get_linestyle() for h in legend.legend_handles] == ["-", "--"]


def test_a_dense_pulse_train_is_a_shaded_band_not_a_block_of_ticks():
    t = np.arange(0, 7 * 1440, 1.0)
    df = pd.DataFrame({"regimen": "every 20 min", "time": t, "drug": np.where((t % 20) < 6, 10.0, 0.0),
                       "response": np.where((t % 20) < 6, 1.0, 0.0)})
    df.attrs["units"] = {"time": "min", "drug": "nM", "response": "1"}
    df.attrs["columns"] = {"concentration": "drug", "response": "response"}
    raster = plot_regimens(df).axes[0]
    assert not [c for c in raster.collections if hasattr(c, "get_segments")]  # no 504 ticks
    (band,) = raster.collections
    assert band.get_paths()[0].get_extents().width == pytest.approx((7 * 1440 - 14) / 1440, rel=1e-3)
    assert "too dense" in raster.get_title(loc="left")


def _pareto_result():
    from receptorkin.design import Constraint

    ev = pd.DataFrame({"period": [10.0, 30.0, 90.0, 240.0], "mean_response": [0.07, 0.05, 0.03, 0.01],
                       "surface_receptor_final": [0.3, 0.5, 0.8, 0.9], "tolerance_ratio": [0.1, 0.4, 0.8, 0.95],
                       "valid": True, "feasible": [False, False, True, True], "pareto": True,
                       "best": [False, False, True, False]})
    return SimpleNamespace(evaluations=ev, preservation="surface_receptor_final", objective="mean_response",
                           constraints=(Constraint("tolerance_ratio", ">=", 0.75),), varied=("period",),
                           success=True, dose_kind="concentration")


def test_pareto_draws_into_two_caller_axes_and_keeps_the_style():
    from matplotlib.figure import Figure

    from receptorkin.errors import PlotError

    assert_one_style(plot_pareto(_pareto_result()))
    fig = Figure(figsize=(10, 4))
    axes = fig.subplots(1, 2)
    assert plot_pareto(_pareto_result(), ax=axes) is fig
    assert axes[0].collections and axes[1].patches
    assert_one_style(fig, owned_axes=list(axes))
    with pytest.raises(PlotError, match="needs 2 axes"):
        plot_pareto(_pareto_result(), ax=axes[0])
    other = Figure().subplots(1, 1)
    with pytest.raises(PlotError, match="2 different figures"):
        plot_pareto(_pareto_result(), ax=[axes[0], other])


def test_dose_response_and_curve_fit_keep_the_style():
    from conftest import DATA
    from receptorkin.curves import fit_curve
    from receptorkin.data import read_frame

    df = pd.DataFrame({"dose": [0, 1, 10, 100], "response": [0.0, 0.2, 0.6, 0.9]})
    df.attrs["units"] = {"dose": "nM", "response": "dimensionless"}
    assert_one_style(plot_dose_response({"a": df, "b": df}))
    fit = fit_curve(read_frame(DATA / "lab" / "doses.pzfx"), "LL.4", curve="condition")
    fig, (ax,) = _caller_axes(1)
    assert plot(fit, ax=ax) is fig and len(ax.get_lines()) >= 4
    assert_one_style(fig)


def test_population_bands_are_labelled_styled_and_draw_into_a_callers_axes():
    from receptorkin.errors import PlotError
    from receptorkin.population import LogNormal, Population, simulate, time_grid

    pop = Population("turnover_tolerance", {"k_degradation": LogNormal(cv=0.5)}, n=12, seed=3)
    grid = time_grid("turnover_tolerance", "exposure:50nM@0-", "7d", points=8)
    res = simulate(pop, "exposure:50nM@0-", ["response"], times=grid, progress=False)
    own = plot(res, observable="response")
    assert_one_style(own)
    ax = own.axes[0]
    assert ax.get_xlabel() == "time [d]"  # a week is shown in days
    labels = ax.get_legend_handles_labels()[1]
    assert labels[:3] == ["5-95 % of the population", "25-75 % of the population", "median"]
    # the light band spans the 5th to 95th percentile of the individuals at each time
    bands = res.bands("response")
    light = ax.collections[0].get_paths()[0].vertices[:, 1]
    assert light.max() == pytest.approx(bands["p95"].max()) and light.min() == pytest.approx(bands["p5"].min())
    fig, (mine,) = _caller_axes(1)
    assert plot_bands(res, "response", ax=mine) is fig and len(mine.collections) == 2
    with pytest.raises(PlotError):
        plot(res, observable="response", ax=_caller_axes(2)[1])


def test_fit_figure_draws_one_panel_per_caller_axes_with_residuals_below():
    from synthetic import synthetic_trafficking

    from receptorkin.errors import PlotError
    from receptorkin.fitting import FitProblem, fit
    from receptorkin.data.measurements import Measurements
    from receptorkin.plots import plot_fit

    course = synthetic_trafficking(2, doses=[1.0, 10.0]).table
    steady = synthetic_trafficking(3, steady=True).table
    data = Measurements.from_frame(pd.concat([course, steady], ignore_index=True)[["dose", "time", "observable", "response"]])
    result = fit(FitProblem("trafficking", data, ["k_recycling", "k_internalization"]), n_starts=1, seed=1)
    own = plot_fit(result)
    assert_one_style(own)
    fig, axes = _caller_axes(2)
    assert plot_fit(result, ax=axes) is fig
    assert len(fig.axes) == 4  # two panels, each with its residual axes appended
    assert all(a.get_lines() for a in fig.axes)
    assert "time course" in axes[0].get_title(loc="left") and "steady state" in axes[1].get_title(loc="left")
    assert_one_style(fig)
    with pytest.raises(PlotError, match=r"needs 2 axes \(one per panel: surface_receptor \(time\), surface_receptor "
                                        r"\(dose\)"):
        plot_fit(result, ax=axes[0])


def test_every_public_plot_function_takes_ax():
    import inspect

    import receptorkin.plots as plots

    functions = [getattr(plots, n) for n in plots.__all__ if n.startswith("plot")]
    assert len(functions) == 8
    missing = [f.__qualname__ for f in functions if "ax" not in inspect.signature(f).parameters
               and "kwargs" not in inspect.signature(f).parameters]
    assert missing == []


def test_a_regimen_comparison_plots_into_the_callers_axes():
    from receptorkin.design import compare
    from receptorkin.simulation import Simulator

    cmp = compare(Simulator("turnover_tolerance"), {"continuous": "exposure:100nM@0-",
                                                     "holiday": "pulses:every=24h,width=16h,dose=100nM"}, "3d",
                  progress=False)
    fig, axes = _caller_axes(3)
    assert plot(cmp, ax=axes) is fig
    assert all(a.get_lines() for a in axes)
    assert axes[2].get_xlabel() == "time [h]"  # 3 days: hours
    assert_one_style(fig)


# ---------------------------------------------------------------- receptorkin.plot: one dispatcher for every result
def test_plot_dispatches_each_result_to_its_figure_and_writes_the_same_file(tmp_path):
    """``plot(result, path)`` draws what the result type's own function draws: the same PNG bytes."""
    import receptorkin
    from conftest import DATA
    from receptorkin.curves import fit_curve
    from receptorkin.data import read_frame
    from receptorkin.design import compare
    from receptorkin.errors import OutputExistsError
    from receptorkin.plots import plot_curve_fit, save_figure
    from receptorkin.population import LogNormal, Population, simulate, time_grid
    from receptorkin.simulation import Simulator

    assert receptorkin.plot is plot
    fit = fit_curve(read_frame(DATA / "lab" / "doses.pzfx"), "LL.4", curve="condition")
    plot(fit, tmp_path / "a.png")
    plot_curve_fit(fit, tmp_path / "b.png")
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
    pop = Population("turnover_tolerance", {"k_degradation": LogNormal(cv=0.5)}, n=6, seed=3)
    res = simulate(pop, "exposure:50nM@0-", ["response"],
                   times=time_grid("turnover_tolerance", "exposure:50nM@0-", "2d", points=5), progress=False)
    plot(res, tmp_path / "c.png", time_unit="h")
    save_figure(plot_bands(res, time_unit="h"), tmp_path / "d.png")
    assert (tmp_path / "c.png").read_bytes() == (tmp_path / "d.png").read_bytes()
    cmp = compare(Simulator("turnover_tolerance"), {"continuous": "exposure:100nM@0-"}, "1d", progress=False)
    plot(cmp, tmp_path / "e.png", title="one")
    save_figure(plot_regimens(cmp, title="one"), tmp_path / "f.png")
    assert (tmp_path / "e.png").read_bytes() == (tmp_path / "f.png").read_bytes()
    with pytest.raises(OutputExistsError, match="file exists"):  # an existing file needs force
        plot(cmp, tmp_path / "e.png")
    plot(cmp, tmp_path / "e.png", force=True, title="two")
    assert (tmp_path / "e.png").read_bytes() != (tmp_path / "f.png").read_bytes()


def test_plot_of_an_unknown_object_names_what_it_draws():
    from receptorkin.errors import PlotError

    with pytest.raises(PlotError, match=r"no figure for a dict \(receptorkin.plot draws: ComparisonResult, "
                                        r"CurveFitResult, FitResult, OptimizeResult, PopulationResult\)"):
        plot({})


def test_deprecated_figure_methods_warn_and_draw_what_the_new_functions_draw(tmp_path):
    """The old result methods (one release of grace) name their replacement and give the same PNG bytes;
    they reach plots/ through the package top (receptorkin.display.deprecated_call), not by an import."""
    from conftest import DATA
    from receptorkin.curves import fit_curve
    from receptorkin.data import read_frame
    from receptorkin.design import compare
    from receptorkin.errors import ReceptorkinDeprecationWarning
    from receptorkin.plots import plot_curve_fit, save_figure
    from receptorkin.population import LogNormal, Population, simulate, time_grid
    from receptorkin.simulation import Simulator

    fit = fit_curve(read_frame(DATA / "lab" / "doses.pzfx"), "LL.4", curve="condition")
    with pytest.warns(ReceptorkinDeprecationWarning, match=r"CurveFitResult.plot\(\) is deprecated .*: use "
                                                            r"receptorkin.plot\(result, path\)"):
        fit.plot(tmp_path / "a.png")
    plot_curve_fit(fit, tmp_path / "b.png")
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
    pop = Population("turnover_tolerance", {"k_degradation": LogNormal(cv=0.5)}, n=6, seed=3)
    res = simulate(pop, "exposure:50nM@0-", ["response"],
                   times=time_grid("turnover_tolerance", "exposure:50nM@0-", "2d", points=5), progress=False)
    with pytest.warns(ReceptorkinDeprecationWarning, match="receptorkin.plots.plot_bands"):
        save_figure(res.plot_bands(time_unit="h"), tmp_path / "c.png")
    save_figure(plot_bands(res, time_unit="h"), tmp_path / "d.png")
    assert (tmp_path / "c.png").read_bytes() == (tmp_path / "d.png").read_bytes()
    import receptorkin.population as population

    with pytest.warns(ReceptorkinDeprecationWarning, match="receptorkin.population.plot_bands is deprecated"):
        save_figure(population.plot_bands(res, time_unit="h"), tmp_path / "g.png")
    assert (tmp_path / "g.png").read_bytes() == (tmp_path / "d.png").read_bytes()
    from receptorkin.design import demo_gnrh

    with pytest.warns(ReceptorkinDeprecationWarning, match="use receptorkin.demo.demo_gnrh"), \
            pytest.raises(TypeError, match="demo_gnrh"):  # resolved to the demo itself, which takes an outdir
        demo_gnrh()
    cmp = compare(Simulator("turnover_tolerance"), {"continuous": "exposure:100nM@0-"}, "1d", progress=False)
    with pytest.warns(ReceptorkinDeprecationWarning, match=r"ComparisonResult.plot\(\)"):
        save_figure(cmp.plot(title="one"), tmp_path / "e.png")
    save_figure(plot_regimens(cmp, title="one"), tmp_path / "f.png")
    assert (tmp_path / "e.png").read_bytes() == (tmp_path / "f.png").read_bytes()
