"""HTML reports and notebook display of curve fits and populations (the browser check is in test_reports_browser)."""

from __future__ import annotations

import base64
import re

from conftest import DATA
from receptorkin.curves import fit_curve
from receptorkin.report.html import Report, report_for, sha256_file
from receptorkin.data.readers import read_frame


def test_curve_report_has_units_intervals_methods_and_a_decodable_png():
    path = DATA / "lab" / "doses.csv"
    fit = fit_curve(read_frame(path), "LL.4", curve="condition")
    report = report_for(fit, data_path=str(path))
    html = report.html()
    assert "95% Wald intervals" in html and "drc" in html
    assert sha256_file(path)[:16] in report.methods  # the data checksum a paper can quote
    png = base64.b64decode(re.search(r'src="data:image/png;base64,([^"]+)"', html).group(1))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert repr(fit) == "<CurveFitResult LL.4: 2 curve(s), 58 points, rse=3.044 on 50 df>"
    assert "<table" in fit._repr_html_()


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
