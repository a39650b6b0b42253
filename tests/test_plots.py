"""Figures: time units by span, ax= and Figure returns, regimen figures over weeks, Pareto constraint panels."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from receptorkin.plots import PALETTE, plot_dose_response, plot_pareto, plot_regimens, time_unit_for


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
