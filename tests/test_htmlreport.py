"""HTML reports and notebook display of curve fits and populations (the browser check is in test_reports_browser)."""

from __future__ import annotations

import re

from conftest import DATA
from receptorkin.curves import fit_curve
from receptorkin.report.html import Report, report_for, sha256_file
from receptorkin.data import read_frame


def test_curve_report_has_units_intervals_methods_and_an_inline_svg():
    path = DATA / "lab" / "doses.csv"
    fit = fit_curve(read_frame(path), "LL.4", curve="condition")
    report = report_for(fit, data_path=str(path))
    html = report.html()
    assert "95% Wald intervals" in html and "drc" in html
    assert sha256_file(path)[:16] in report.methods  # the data checksum a paper can quote
    import xml.etree.ElementTree as ET

    svg = re.search(r"<figure>(<svg .*?</svg>)", html, re.S).group(1)
    root = ET.fromstring(svg)  # well-formed XML: the figure is a complete SVG document
    assert root.tag == "{http://www.w3.org/2000/svg}svg" and root.get("role") == "img"
    texts = "".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
    assert "dose" in texts and "control" in texts  # axis labels stay searchable text
    assert "data:image/png" not in html
    assert repr(fit).startswith("<CurveFitResult LL.4: 2 curve(s), 58 points, rse=3.044 on 50 df; b:control=-0.9511, ")
    assert "<table" in report_for(fit).fragment()


def test_population_display_and_methods_name_the_seed():
    from receptorkin.population import LogNormal, Population, simulate

    pop = Population("turnover_tolerance", {"k_degradation": LogNormal(cv=0.5)}, n=20, seed=3)
    res = simulate(pop, "exposure:50nM@0-", ["response@6h"], progress=False)
    assert repr(res) == "<PopulationResult turnover_tolerance: 20 individuals, 1 readouts>"
    rep = report_for(res, figures=False)
    assert "seed 3" in rep.methods and "k_degradation" in rep.methods
    assert "response@6h" in rep.fragment()


def test_report_escapes_text():
    import pandas as pd

    r = Report("<b>x</b>", summary=["a < b & c"], tables=[("T", pd.DataFrame({"v": ["<script>"]}), "")])
    html = r.html()
    assert "<script>" not in html and "&lt;script&gt;" in html and "<b>x</b>" not in html


def _text(html: str) -> str:
    import html as html_lib

    return html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def test_curve_report_states_units_optimizer_starts_and_log_dose_conversion():
    path = DATA / "lab" / "doses_logx.pzfx"
    fit = fit_curve(read_frame(path, dose_unit="nM"), "LL.4", curve="condition")
    rep = report_for(fit, data_path=str(path), figures=False)
    ed = next(t for title, t, _ in rep.tables if title.startswith("EC50"))
    assert set(ed["unit"]) == {"nM"}
    params = rep.tables[0][1]
    assert set(params.loc[params["parameter"] == "e", "unit"]) == {"nM"}
    assert "Doses in nM; pEC50, pKA and pA2 are −log10 of the molar concentration" in rep.methods
    assert "Levenberg–Marquardt" in rep.methods and "xtol 1e-12" in rep.methods
    assert re.search(r"(\d+) of \1 starts reached the best residual sum of squares", rep.methods)
    assert sha256_file(path)[:16] in rep.methods
    assert any("log10 concentrations" in w and "in M; converted to nM" in w for w in rep.warnings)
    # without a unit the methods say the p-values are not molar
    bare = report_for(fit_curve(read_frame(DATA / "lab" / "doses.csv"), "LL.4", curve="condition"), figures=False)
    assert "not molar" in bare.methods


def test_regimen_and_optimize_reports_quote_model_checksum_tolerances_and_units():
    from receptorkin.design import compare, optimize
    from receptorkin.report.html import sha256_text
    from receptorkin.simulation import Simulator

    sim = Simulator("turnover_tolerance")
    digest = sha256_text(sim.model.sbml)[:16]
    cmp = compare(sim, {"on": "exposure:100nM@0-", "short": "exposure:100nM@0-1h"}, "6h", progress=False)
    rep = report_for(cmp, figures=False, simulator=sim)
    assert digest in rep.methods and "rtol 1e-08, atol 1e-10" in rep.methods
    assert "(on=exposure:100nM@0-; short=exposure:100nM@0-1h)" in rep.methods  # labels and their regimens
    # the continuous exposure never lets the receptors recover: said in plain words
    assert cmp.table["recovery_time"].isna()["on"]
    assert any(w.startswith("on: the surface receptors had not come back") for w in rep.warnings)
    opt = optimize(sim, family="holiday", objective="mean_response", constraints=["surface_receptor_final>=0.5"],
                   bounds={"holiday": ("1h", "20h")}, fixed={"dose": "100nM"}, horizon="2d", n_samples=4, polish=2,
                   progress=False)
    orep = report_for(opt, figures=False, simulator=sim)
    units = orep.tables[1][1].set_index("metric")["unit"]
    assert units["mean_concentration"] == "nM" and units["concentration_auc"] == "nM*h"
    assert digest in orep.methods and f"seed {opt.seed}" in orep.methods


def test_population_report_names_distribution_units_and_tolerances():
    from receptorkin.population import LogNormal, Population, simulate

    res = simulate(Population("turnover_tolerance", {"k_degradation": LogNormal(cv=0.5)}, n=5, seed=3),
                   "exposure:50nM@0-", ["response@6h"], progress=False)
    rep = report_for(res, figures=False)
    assert "k_degradation lognormal (cv 0.5, median" in rep.methods and "rtol 1e-08" in rep.methods
    assert "unit" in rep.tables[0][1].columns


def test_petab_report_has_wald_intervals_from_the_se_and_tolerances(tmp_path):
    import math

    from receptorkin.petab import PetabProblem, fit_petab
    from test_petab import write_two_state

    problem = PetabProblem.from_yaml(write_two_state(tmp_path / "p"))
    res = fit_petab(problem, n_starts=2, seed=1)
    rep = report_for(res, problem=problem)
    table = rep.tables[0][1]
    info = res.to_dict()["parameters"]
    for pid, value in res.values.items():
        se = info[pid]["se"]
        lo, hi = 10 ** (math.log10(value) - 1.96 * se), 10 ** (math.log10(value) + 1.96 * se)  # both on log10 scale
        assert table.loc[pid, "Wald 95% CI"] == f"[{lo:.4g}, {hi:.4g}]"
    rtol, atol = problem.tolerances
    assert f"rtol {rtol:g}, atol {atol:g}" in rep.methods and "SBML SHA-256" in rep.methods
    assert "Wald 95%" in _text(rep.html())
