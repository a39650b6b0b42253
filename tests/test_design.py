"""Regimen comparison and optimization: tables, Pareto fronts, constraints, errors."""

import json
import math

import numpy as np
import pandas as pd
import pytest

from receptorkin.design import Constraint, compare, optimize, parse_bounds, parse_constraint, pareto_front
from receptorkin.dosing import Regimen, attach_pk, parse_regimen
from receptorkin.errors import RegimenError
from receptorkin.plots import plot
from receptorkin.simulation import Simulator


@pytest.fixture(scope="module")
def turnover():
    return Simulator("turnover_tolerance")


HOLIDAY = dict(family="holiday", objective="mean_response", constraints=["surface_receptor_final>=0.5"],
               bounds={"holiday": ("1h", "20h")}, fixed={"dose": "100nM"}, horizon="7d", n_samples=16, polish=16,
               progress=False)


def test_compare_tabulates_every_regimen(turnover):
    regs = {"continuous": "exposure:100nM@0-", "12 h on": "pulses:every=24h,width=12h,dose=100nM", "none": "none"}
    res = compare(turnover, regs, "7d")
    assert list(res.table.index) == ["continuous", "12 h on", "none"]
    assert res.table.loc["12 h on", "regimen"] == "12 h on=pulses:every=1d,width=12h,dose=100nM"
    first = res.table["first_dose_response"]
    assert res.threshold == pytest.approx(0.5 * first.max())  # one threshold for every regimen
    assert (res.table["effect_threshold"].dropna() == res.threshold).all()
    assert res.table.loc["continuous", "mean_response"] > res.table.loc["12 h on", "mean_response"]
    assert res.table.loc["continuous", "surface_receptor_final"] < res.table.loc["12 h on", "surface_receptor_final"]
    assert res.table.attrs["units"]["recovery_time"] == "h"
    tc = res.timecourse
    assert set(tc["regimen"]) == set(regs) and {"time", "drug", "response", "surface_receptor", "receptor_fraction"} <= set(tc)
    assert tc.groupby("regimen")["receptor_fraction"].first().eq(1.0).all()
    fig = plot(res)
    assert len(fig.axes) == 3


def test_compare_makes_labels_unique_and_refuses_nothing(turnover):
    res = compare(turnover, ["exposure:1nM@0-1h", "exposure:1nM@0-1h"], "2h")
    assert list(res.table.index) == ["exposure:1nM@0-1h", "exposure:1nM@0-1h (2)"]
    with pytest.raises(RegimenError, match="at least one regimen"):
        compare(turnover, [], "1h")


def test_optimize_finds_the_constraint_boundary(turnover):
    """A shorter holiday gives more effect and fewer receptors: the optimum sits on the constraint."""
    res = optimize(turnover, **HOLIDAY)
    assert res.success, res.message
    assert res.best_metrics["surface_receptor_final"] == pytest.approx(0.5, abs=0.01)
    ev = res.evaluations
    feasible = ev[ev["feasible"]]
    assert res.best_metrics["mean_response"] == pytest.approx(feasible["mean_response"].max())
    # the best regimen is itself a pulses regimen whose holiday is the best parameter
    (part,) = res.best.parts
    assert part.period == 1440.0 and part.holiday == pytest.approx(res.best_parameters["holiday"])
    # Pareto: no evaluated point beats a front point in both effect and receptor preservation
    front = ev[ev["pareto"]]
    for _, row in front.iterrows():
        dominated = (ev["mean_response"] > row["mean_response"]) & (ev["surface_receptor_final"] > row["surface_receptor_final"])
        assert not dominated.any()
    assert ev["best"].sum() == 1 and bool(ev.loc[ev["best"], "pareto"].iloc[0])
    assert set(ev["stage"]) == {"global", "local"}
    doc = json.loads(res.to_json())
    assert doc["success"] and Regimen.from_dict(doc["regimen"]) == res.best
    assert doc["parameter_units"]["holiday"] == "min" and doc["parameter_units"]["dose"] == "nM"
    assert len(plot(res).axes) == 2  # the front and its colour bar


def test_optimize_is_deterministic_serial_or_parallel(turnover):
    kw = dict(HOLIDAY, n_samples=8, polish=6)
    a = optimize(turnover, **kw)
    b = optimize(turnover, **kw, workers=2)
    pd.testing.assert_frame_equal(a.evaluations, b.evaluations)
    assert a.best == b.best


def test_differential_evolution_method(turnover):
    res = optimize(turnover, **dict(HOLIDAY, polish=0), method="differential_evolution", maxiter=2, popsize=4)
    assert res.success and len(res.evaluations) >= 4
    assert res.best_metrics["surface_receptor_final"] >= 0.5


def test_unsatisfiable_constraints_are_reported_not_hidden(turnover):
    res = optimize(turnover, **dict(HOLIDAY, constraints=["surface_receptor_final>=0.99"], n_samples=8, polish=0))
    assert not res.success
    assert "no regimen within the bounds satisfies surface_receptor_final>=0.99" in res.message
    assert res.best is not None and not res.evaluations["feasible"].any()


@pytest.mark.parametrize("kwargs, match", [
    (dict(constraints=["surface_receptor_finale>=0.8"]), "unknown metric 'surface_receptor_finale'.*did you mean 'surface_receptor_final'"),
    (dict(constraints=["surface_receptor_final=0.8"]), "expected METRIC>=VALUE"),
    (dict(objective="mean_reponse"), "unknown metric 'mean_reponse'"),
    (dict(objective="n_doses"), "descriptive"),
    (dict(family="pulse_train"), "unknown regimen family 'pulse_train'"),
    (dict(bounds={"colour": ("1", "2")}), "family 'holiday' has no parameter 'colour'"),
    (dict(bounds={"holiday": ("20h", "1h")}), "low bound 20h must be below the high bound 1h"),
    (dict(bounds={"holiday": ("-1h", "1h")}), "must be non-negative"),
    (dict(bounds={"holiday": ("30h", "40h")}), "bounds exclude every regimen: the holiday is at least 30h but the period at most 1d"),
    (dict(fixed={}), "family 'holiday' needs dose: search it .* or fix it"),
    (dict(fixed={"dose": "10nM", "holiday": "2h"}), "both searched .* and fixed"),
    (dict(bounds={}, fixed={"dose": "10nM", "holiday": "2h"}), "nothing to optimize"),
    (dict(fixed={"dose": "10nmol"}), "gives amounts or rates, but model 'turnover_tolerance' has no PK link"),
])
def test_optimize_bad_input(turnover, kwargs, match):
    with pytest.raises(RegimenError, match=match):
        optimize(turnover, **dict(HOLIDAY, **kwargs))


def test_pulse_bounds_that_exclude_every_regimen(turnover):
    with pytest.raises(RegimenError, match=r"bounds exclude every regimen: the width is at least 2h but the period at most 1h"):
        optimize(turnover, "pulses", bounds="period=30min:1h,width=2h:3h", fixed="dose=10nM", horizon="1d", progress=False)


def test_parsers():
    assert parse_bounds("period=30min:8h,width=1min:60min") == {"period": ("30min", "8h"), "width": ("1min", "60min")}
    assert parse_constraint("tolerance_ratio >= 0.7") == Constraint("tolerance_ratio", ">=", 0.7)
    c = parse_constraint("recovery_time<48")
    assert c.satisfied({"recovery_time": 24.0}) and not c.satisfied({"recovery_time": math.nan})
    assert c.violation({"recovery_time": 96.0}) == pytest.approx(1.0)
    with pytest.raises(RegimenError, match="expected NAME=LOW:HIGH"):
        parse_bounds("period=30min")


def test_pareto_front_of_known_points():
    x = np.array([1.0, 2.0, 3.0, 2.0, 1.5, np.nan])
    y = np.array([3.0, 2.0, 1.0, 1.0, 2.5, 9.0])
    assert pareto_front(x, y).tolist() == [True, True, True, False, True, False]


def test_optimize_boluses_on_a_pk_model():
    pk = Simulator(attach_pk("turnover_tolerance", 10.0, "0.2/h"))
    res = optimize(pk, "boluses", "mean_response", ["tolerance_ratio>=0.6"], {"interval": ("4h", "48h")},
                   fixed={"dose": "500nmol"}, horizon="5d", n_samples=8, polish=6, progress=False)
    assert res.success and res.dose_kind == "amount"
    assert res.best.parts[0].amount == 500.0 and res.best.parts[0].width == 0


# ------------------------------------------------------------------------ CLI
def _cli(capsys, *argv):
    from receptorkin.cli import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_compare(capsys, tmp_path):
    out = tmp_path / "cmp"
    code, stdout, err = _cli(capsys, "regimen", "compare", "turnover_tolerance", "--regimen", "exposure:100nM@0-",
                             "--regimen", "holiday=pulses:every=24h,width=16h,dose=100nM", "--horizon", "3d", "-o", str(out))
    assert code == 0, err
    assert {p.name for p in out.iterdir()} == {"metrics.csv", "timecourse.csv", "regimens.png", "report.html"}
    table = pd.read_csv(out / "metrics.csv", index_col=0)
    assert list(table.index) == ["exposure:100nM@0-", "holiday"] and "tolerance_ratio" in table
    assert "mean_response" in stdout
    # an existing, non-empty output directory needs --force
    code, _, err = _cli(capsys, "regimen", "compare", "turnover_tolerance", "--regimen", "none", "-o", str(out))
    assert code == 1 and "not empty (use --force)" in err and err.count("\n") == 1
    code, _, err = _cli(capsys, "regimen", "compare", "turnover_tolerance", "--regimen", "none", "-o", str(out), "--force")
    assert code == 0, err


def test_cli_optimize(capsys, tmp_path):
    out = tmp_path / "opt"
    code, stdout, err = _cli(capsys, "regimen", "optimize", "turnover_tolerance", "--family", "holiday",
                             "--vary", "holiday=1h:20h", "--fixed", "dose=100nM", "--objective", "mean_response",
                             "--constraint", "surface_receptor_final>=0.5", "--horizon", "7d", "--samples", "8",
                             "--polish", "6", "--no-progress", "-o", str(out))
    assert code == 0, err
    assert {p.name for p in out.iterdir()} == {"best.json", "pareto.csv", "pareto.png", "report.html"}
    best = json.loads((out / "best.json").read_text(encoding="utf-8"))
    assert best["success"] and parse_regimen(best["regimen_text"]) == Regimen.from_dict(best["regimen"])
    front = pd.read_csv(out / "pareto.csv")
    assert {"holiday", "mean_response", "surface_receptor_final", "pareto", "feasible", "best"} <= set(front)


@pytest.mark.parametrize("argv, match", [
    (["compare", "turnover_tolerance", "--regimen", "exposure:10nM@0-4h;exposure:5nM@2h-5h"], "parts 1 .* and 2 .* overlap from 2h to 4h"),
    (["compare", "turnover_tolerance", "--regimen", "pulses:every=0min,width=1min,dose=1nM"], "pulses: period must be a positive time"),
    (["optimize", "turnover_tolerance", "--family", "holiday", "--vary", "holiday=1h:2h", "--fixed", "dose=1nM",
      "--constraint", "receptor_final>=0.8"], "unknown metric 'receptor_final'"),
    (["optimize", "turnover_tolerance", "--family", "pulses", "--vary", "period=10min:20min,width=1h:2h", "--fixed", "dose=1nM"],
     "bounds exclude every regimen"),
    (["compare", "turnover_tolerance", "--regimen", "bolus:1nmol@0", "--pk", "volume=5L"], "--pk needs volume= and k_elim="),
])
def test_cli_errors_are_one_line(capsys, tmp_path, argv, match):
    code, _, err = _cli(capsys, "regimen", *argv, "-o", str(tmp_path / "x"))
    assert code == 1
    assert err.startswith("receptorkin: error: ") and err.count("\n") == 1
    assert pytest.importorskip("re").search(match, err), err


def test_cli_pk_option(capsys, tmp_path):
    code, stdout, err = _cli(capsys, "regimen", "compare", "turnover_tolerance", "--pk", "volume=10L,k_elim=0.2/h",
                             "--regimen", "bolus:500nmol@0,12h", "--horizon", "2d", "-o", str(tmp_path / "pk"))
    assert code == 0, err
    tc = pd.read_csv(tmp_path / "pk" / "timecourse.csv")
    assert tc["drug"].max() == pytest.approx(50.0 + 50.0 * math.exp(-0.2 * 12), rel=1e-6)


def test_demo_gnrh_writes_its_files(tmp_path, capsys):
    from receptorkin.demo import demo_gnrh

    paths = demo_gnrh(tmp_path / "demo", quick=True, horizon="2d")
    names = {p.name for p in paths}
    assert names == {"gnrh_metrics.csv", "gnrh_timecourse.csv", "gnrh_regimens.png", "gnrh_pareto.csv",
                     "gnrh_pareto.png", "gnrh_best.json"}
    assert all(p.exists() for p in paths)
    out = capsys.readouterr().out
    assert "continuous" in out and "optimized pulse interval" in out
    best = json.loads((tmp_path / "demo" / "gnrh_best.json").read_text(encoding="utf-8"))
    assert 8 < best["parameters"]["period"] < 480
