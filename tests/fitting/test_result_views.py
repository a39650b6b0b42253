"""FitResult.predict / residuals / vcov, checked against plain simulations and the reported SEs."""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from synthetic import TRUE
from receptorkin.errors import FitError
from receptorkin.fitting import FitProblem, FitResult, ParameterSpec, fit
from receptorkin.petab import fit_problem_to_petab
from receptorkin.plots import plot_fit
from receptorkin.report.html import report_for
from receptorkin.simulation import Simulator


@pytest.fixture(scope="module")
def result():
    from synthetic import synthetic_trafficking

    data = synthetic_trafficking(1)
    specs = [ParameterSpec(k, v * 2, v / 20, v * 20) for k, v in TRUE.items()]
    return fit(FitProblem("trafficking", data, specs), n_starts=2, seed=1, profiles=False)


def _plain(estimates, dose, time):
    sim = Simulator("trafficking")
    sim.set(estimates)
    y = sim.timecourse(times=[0.0, time], values={"ligand": dose}, selections=["surface_receptor"])
    return float(y["surface_receptor"].iloc[-1])


def test_residuals_are_data_minus_independent_simulation(result):
    table = result.problem.data.table
    assert_allclose(result.residuals @ result.residuals, result.rss, rtol=1e-8)  # noise estimated: unweighted RSS (chi2 = n)
    for i in (0, 7, len(table) - 1):
        row = table.iloc[i]
        expected = row["response"] - _plain(result.estimates, row["dose"], row["time"])
        assert result.residuals[i] == pytest.approx(expected, rel=1e-6, abs=1e-6 * abs(row["response"]))


def test_predict_new_doses_matches_plain_simulation(result):
    new = pd.DataFrame({"dose": [0.5, 50.0], "time": [60.0, 60.0], "observable": ["surface_receptor"] * 2})
    out = result.predict(new)
    assert list(out.columns) == ["dose", "time", "observable", "prediction"]
    for dose, pred in zip(new["dose"], out["prediction"]):
        assert pred == pytest.approx(_plain(result.estimates, dose, 60.0), rel=1e-6)
    assert_allclose(result.predict(), result.fitted)


def test_vcov_diagonal_is_se_squared_and_symmetric(result):
    v = result.vcov
    assert list(v.index) == result.names
    assert_allclose(np.diag(v.to_numpy()), [result.se[n] ** 2 for n in result.names], rtol=1e-12)
    assert_allclose(v.to_numpy(), v.to_numpy().T)


def test_views_need_the_problem(result, tmp_path):
    result.to_json(tmp_path / "f.json")
    loaded = FitResult.from_json(tmp_path / "f.json")
    with pytest.raises(FitError, match="predict\\(\\) needs the FitProblem"):
        loaded.predict()
    with pytest.raises(FitError, match="plot_fit needs the FitProblem"):
        plot_fit(loaded)
    with pytest.raises(FitError, match="fit_problem_to_petab needs the FitProblem"):
        fit_problem_to_petab(loaded, tmp_path / "petab")
    assert not (tmp_path / "petab").exists()
    assert loaded.vcov.shape == (2, 2)


def test_repr_is_one_line_and_notebook_display_has_table_and_figure(result):
    text = repr(result)
    assert "\n" not in text and text.startswith("<FitResult trafficking: 2 parameters")
    html = report_for(result).fragment()
    assert "<table" in html and "k_recycling" in html and "<figure><svg " in html  # the figure inlined as SVG


def test_fit_figure_puts_vehicle_controls_on_a_broken_axis_and_draws_smooth_curves():
    from synthetic import synthetic_trafficking

    data = synthetic_trafficking(2, doses=[0.0, 0.1, 1.0, 10.0, 100.0], times=(30,))
    res = fit(FitProblem("trafficking", data, [ParameterSpec("k_recycling", 0.1, 0.001, 10.0)]), n_starts=1,
              profiles=False, progress=False)
    fig = plot_fit(res)
    main, resid = fig.axes[:2]
    assert [t.get_text() for t in resid.get_xticklabels()][0] == "0"
    assert "0 = vehicle" in resid.get_xlabel()
    curves = [line for line in main.get_lines() if line.get_linestyle() == "-" and len(line.get_xdata()) >= 30]
    assert curves, "no smooth model curve"
    for line in curves:
        assert min(line.get_xdata()) > 0  # no model line through the control
    assert any("95% band" in t.get_text() for t in main.get_legend().get_texts())
    # residual panel: observed minus the model at every point
    assert sum(len(line.get_xdata()) for line in resid.get_lines() if line.get_marker() == "o") == res.n_data


def test_deprecated_plot_method_warns_and_writes_what_plot_fit_writes(result, tmp_path):
    from receptorkin.errors import ReceptorkinDeprecationWarning

    with pytest.warns(ReceptorkinDeprecationWarning, match=r"FitResult.plot\(\) is deprecated .*receptorkin.plot"):
        result.plot(tmp_path / "old.png")
    plot_fit(result, tmp_path / "new.png")
    assert (tmp_path / "old.png").read_bytes() == (tmp_path / "new.png").read_bytes()
