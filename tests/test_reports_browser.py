"""Every job's report.html renders in a real browser: no console error, no broken image.

The reports are written by the CLI commands themselves; each is then opened in
headless Chromium (``make report-check``), and one screenshot per report kind is
kept in ``report-check-output/`` for a human to look at.  Without Chromium the
browser part is skipped (the reports are still built and checked as files).
"""

from __future__ import annotations

import re

import pytest

from browser import check_report, find_chromium, screenshot
from conftest import DATA, ROOT
from receptorkin.cli import main

SHOTS = ROOT / "report-check-output"
KINDS = ["curve", "fit", "compare", "regimen-compare", "regimen-optimize", "population", "petab-fit"]


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    from synthetic import synthetic_trafficking
    from test_petab import write_two_state

    base = tmp_path_factory.mktemp("reports")
    data = base / "traffic.csv"
    synthetic_trafficking(2).table.drop(columns=["line"]).to_csv(data, index=False)
    runs = {
        "curve": ["curve", DATA / "lab" / "doses_wide.xlsx", "--sheet", "plate1", "--replicates", "rep*",
                  "--compare", "LL.3"],
        "fit": ["fit", data, "--model", "trafficking", "--estimate", "k_recycling,k_internalization", "--starts", "3",
                "--seed", "1"],
        "compare": ["compare", data, "--fit", "trafficking:k_recycling", "--fit",
                    "trafficking:k_recycling,k_internalization", "--starts", "1", "--no-profiles"],
        "regimen-compare": ["regimen", "compare", "turnover_tolerance", "--regimen", "exposure:100nM@0-",
                            "--regimen", "holiday=pulses:every=24h,width=16h,dose=100nM", "--horizon", "3d"],
        "regimen-optimize": ["regimen", "optimize", "turnover_tolerance", "--family", "holiday", "--vary",
                             "holiday=1h:20h", "--fixed", "dose=100nM", "--objective", "mean_response",
                             "--constraint", "surface_receptor_final>=0.5", "--horizon", "7d", "--samples", "8",
                             "--polish", "6"],
        "population": ["population", "turnover_tolerance", "--n", "60", "--cv", "k_degradation=0.5,EC50=0.3",
                       "--regimen", "exposure:50nM@0-", "--criterion", "response@6h/response@0h>=0.5", "--seed", "3",
                       "--points", "9"],
        "petab-fit": ["petab", "fit", write_two_state(base / "two_state"), "--starts", "3"],
    }
    out = {}
    for kind, argv in runs.items():
        folder = base / kind
        code = main([str(a) for a in argv] + ["-o", str(folder)])
        assert code == 0, kind
        out[kind] = folder / "report.html"
    return out


@pytest.mark.parametrize("kind", KINDS)
def test_report_is_self_contained_with_methods_and_table(reports, kind):
    text = reports[kind].read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert not re.search(r"""(src|href)=["'](?!data:)""", text), "the report loads something from outside"
    assert "<table" in text and "<h2>Methods</h2>" in text and "Software: " in text
    if kind in ("fit", "compare"):
        assert "SHA-256" in text and "seed" in text and "rtol" in text
        assert "starts reached the best objective" in text


@pytest.mark.parametrize("kind", KINDS)
def test_report_renders_in_headless_chromium(reports, kind):
    browser = find_chromium()
    if browser is None:
        pytest.skip("no Chromium installed (Debian: apt-get install chromium)")
    seen = check_report(browser, reports[kind])
    assert seen.console == [], seen.console
    assert seen.broken == [], seen.broken
    expected_images = {"petab-fit": 0}.get(kind)
    if expected_images is None:
        assert seen.images >= 1
    shot = screenshot(browser, reports[kind], SHOTS / f"{kind}.png")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
