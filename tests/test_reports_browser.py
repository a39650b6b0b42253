"""Every job's report.html renders in a real browser: no console error, no broken image.

The reports are written by the CLI commands themselves; each is then opened in
headless Chromium (``make report-check``), and one screenshot per report kind is
kept in ``report-check-output/`` (emptied first; the folder is printed at the end
of the run) for a human to look at.  Without Chromium the browser part is
skipped (the reports are still built and checked as files).  Deliberately
broken reports (a console error, an image that does not decode, an SVG figure
pointing at a missing definition) prove that the check can fail.
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
def shots(request):
    """The screenshot folder, emptied of earlier runs' screenshots; named in the terminal summary."""
    SHOTS.mkdir(exist_ok=True)
    for old in SHOTS.glob("*.png"):
        old.unlink()
    yield SHOTS
    taken = sorted(p.name for p in SHOTS.glob("*.png"))
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None and taken:
        with capture.global_and_fixture_disabled():  # past pytest's output capture, onto the terminal
            reporter.write_line(f"\nreport-check: {len(taken)} screenshots in {SHOTS}: {', '.join(taken)}")


def _ink(png) -> float:
    """Fraction of a screenshot's pixels that are not (near) white: a blank page has ~0."""
    import matplotlib.image as mpimg

    rgb = mpimg.imread(png)[..., :3]
    return float((rgb.min(axis=-1) < 0.9).mean())


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
    # data: URIs and same-document references (#id, as inline SVG uses) load nothing
    assert not re.search(r"""(src|href)=["'](?!data:|#)""", text), "the report loads something from outside"
    assert "<table" in text and "<h2>Methods</h2>" in text and "Software: " in text
    if kind in ("fit", "compare"):
        assert "SHA-256" in text and "seed" in text and "rtol" in text
        assert "starts reached the best objective" in text


@pytest.mark.parametrize("kind", KINDS)
def test_report_figures_are_inline_svg(reports, kind):
    text = reports[kind].read_text(encoding="utf-8")
    n_svg = len(re.findall(r"<figure><svg ", text))
    assert '<img alt=' not in text  # no PNG figure (a colour bar's gradient inside an SVG may be a raster)
    assert n_svg == (0 if kind == "petab-fit" else len(re.findall(r"<figure>", text))) and (kind == "petab-fit" or n_svg)


@pytest.mark.parametrize("kind", KINDS)
def test_report_renders_in_headless_chromium(reports, shots, kind):
    browser = find_chromium()
    if browser is None:
        pytest.skip("no Chromium installed (Debian: apt-get install chromium)")
    seen = check_report(browser, reports[kind])
    assert seen.console == [], seen.console
    assert seen.broken == [], seen.broken
    figures = reports[kind].read_text(encoding="utf-8").count("<figure>")
    assert seen.images == figures and (kind == "petab-fit" or figures >= 1)
    shot = screenshot(browser, reports[kind], shots / f"{kind}.png")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert _ink(shot) > 0.005, "the screenshot is (nearly) blank"


BROKEN = {
    # CSP forbids scripts: the blocked inline script is a console error
    "console": ("<script>console.error('boom')</script>", "console"),
    "image": ('<figure><img alt="truncated" src="data:image/png;base64,iVBORw0KGgoAAAA"></figure>', "broken image"),
    "svg": ('<figure><svg role="img" aria-label="dangling" width="100" height="50" xmlns="http://www.w3.org/2000/svg" '
            'xmlns:xlink="http://www.w3.org/1999/xlink"><use xlink:href="#m-nowhere" x="5" y="5"/></svg></figure>',
            "missing #m-nowhere"),
}


@pytest.mark.parametrize("defect", sorted(BROKEN))
def test_the_browser_check_fails_on_a_broken_report(tmp_path, defect):
    browser = find_chromium()
    if browser is None:
        pytest.skip("no Chromium installed (Debian: apt-get install chromium)")
    from receptorkin.report.html import Report

    snippet, expected = BROKEN[defect]
    page = Report("A deliberately broken report", summary=["text"]).html().replace("<h2>Warnings</h2>", snippet + "<h2>Warnings</h2>")
    path = tmp_path / "report.html"
    path.write_text(page, encoding="utf-8")
    seen = check_report(browser, path)
    assert not seen.ok
    found = seen.console if expected == "console" else seen.broken
    assert found and (expected == "console" or expected in " ".join(found)), (seen.console, seen.broken)
    clean = tmp_path / "clean.html"
    clean.write_text(Report("A clean report", summary=["text"]).html(), encoding="utf-8")
    assert check_report(browser, clean).ok  # the same page without the defect passes
