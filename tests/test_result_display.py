"""Every result a user gets has a short one-line repr naming its numbers, and a well-formed notebook HTML."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import numpy as np
import pytest

from conftest import DATA

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Checker(HTMLParser):
    """Fails on a closing tag that does not close the innermost open element; collects text and tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1] if self.stack else None}>"
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def well_formed(html: str) -> _Checker:
    checker = _Checker()
    checker.feed(html)
    checker.close()
    assert checker.stack == [], f"unclosed elements: {checker.stack}"
    return checker


def _check(obj, names: dict[str, float], head: str) -> str:
    text = repr(obj)
    assert "\n" not in text and len(text) < 400 and text.startswith(head), text
    assert "array(" not in text and "DataFrame" not in text  # no internals dump
    for name, value in names.items():
        shown = re.search(rf"\b{re.escape(name)}=([-+0-9.e]+)", text)
        assert shown, f"{name} missing from {text}"
        assert float(shown.group(1)) == pytest.approx(value, rel=5e-4)  # 4 significant digits
    checker = well_formed(obj._repr_html_())
    assert "table" in checker.tags
    body = " ".join(checker.text)
    for name in names:
        assert name.split(":")[0] in body
    return body


def test_curve_fit_result():
    from receptorkin.curves import fit_curve
    from receptorkin.data import read_frame

    fit = fit_curve(read_frame(DATA / "lab" / "doses.pzfx"), "sigEmax.p", curve="condition")
    body = _check(fit, dict(fit.coef), "<CurveFitResult sigEmax.p: 2 curve(s), 58 points")
    assert "pEC50" in body


def test_mechanistic_fit_result_and_its_predict_residuals_vcov():
    from receptorkin.fitting import FitProblem, ParameterSpec, fit
    from synthetic import synthetic_trafficking

    data = synthetic_trafficking(2, doses=[0.0, 1.0, 10.0, 100.0], times=(30, 120))
    res = fit(FitProblem("trafficking", data, [ParameterSpec("k_recycling", 0.1, 0.001, 10.0)]), n_starts=2,
              profiles=False, progress=False)
    _check(res, res.estimates, "<FitResult trafficking: 1 parameters")
    # the views agree with each other: residual = observed - predicted, vcov = SE² for one parameter
    np.testing.assert_allclose(res.residuals, data.table["response"].to_numpy() - res.predict(), rtol=0, atol=1e-12)
    assert res.vcov.loc["k_recycling", "k_recycling"] == pytest.approx(res.se["k_recycling"] ** 2)


def test_posterior_sample():
    from receptorkin.estimation.sampling import sample_posterior

    def log_prob(x):  # a standard normal in two dimensions: medians 0, 95% intervals ±1.96
        return -0.5 * float(x @ x)

    sample = sample_posterior(log_prob, np.zeros(2), ["a", "b"], lambda z: z, n_draws=4000, seed=1)
    med = sample.median()
    body = _check(sample, med, "<PosteriorSample: ")
    assert "walkers" in repr(sample) and "credible interval" in body
    lo, hi = sample.credible_interval()["a"]
    assert -2.4 < lo < -1.6 and 1.6 < hi < 2.4


def test_regimen_comparison_and_optimization():
    from receptorkin.design import compare, optimize
    from receptorkin.simulation import Simulator

    sim = Simulator("turnover_tolerance")
    cmp = compare(sim, {"continuous": "exposure:100nM@0-", "none": "none"}, "2d")
    assert repr(cmp) == "<ComparisonResult turnover_tolerance: 2 regimens over 48 h>"
    assert "continuous" in " ".join(well_formed(cmp._repr_html_()).text)
    opt = optimize(sim, family="holiday", objective="mean_response", constraints=["surface_receptor_final>=0.5"],
                   bounds={"holiday": ("1h", "20h")}, fixed={"dose": "100nM"}, horizon="2d", n_samples=4, polish=2,
                   progress=False)
    assert re.fullmatch(r"<OptimizeResult turnover_tolerance holiday: (feasible|infeasible), \d+ evaluations>", repr(opt))
    well_formed(opt._repr_html_())


def test_population_and_petab_fit_results(tmp_path):
    from receptorkin.petab import PetabProblem, fit_petab
    from receptorkin.population import LogNormal, Population, simulate
    from test_petab import write_two_state

    res = simulate(Population("turnover_tolerance", {"k_degradation": LogNormal(cv=0.5)}, n=8, seed=3),
                   "exposure:50nM@0-", ["response@6h"], progress=False)
    assert repr(res) == "<PopulationResult turnover_tolerance: 8 individuals, 1 readouts>"
    well_formed(res._repr_html_())
    problem = PetabProblem.from_yaml(write_two_state(tmp_path / "p"))
    pf = fit_petab(problem, n_starts=2, seed=1, uncertainty=False)
    _check(pf, pf.values, f"<PetabFitResult {pf.problem_name}: llh=")
