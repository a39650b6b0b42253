"""Every result a user gets has a short one-line repr naming its numbers, and a well-formed notebook HTML.

The notebook HTML is what a real IPython shell shows: the ``text/html`` formatter that ``%load_ext receptorkin``
(or ``import receptorkin`` inside a running shell) registers, which must be the result's report fragment
(``report_for(result).fragment()``) and show the result's own numbers in its table.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from html.parser import HTMLParser

import numpy as np
import pytest

from conftest import DATA, ROOT

IPython = pytest.importorskip("IPython", minversion="8.0")

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Checker(HTMLParser):
    """Fails on a closing tag that does not close the innermost open element; collects text, tags and the
    cells of table rows."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tags: list[str] = []
        self.text: list[str] = []
        self.rows: list[list[str]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag not in VOID:
            self.stack.append(tag)
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self.rows[-1].append("")

    def handle_startendtag(self, tag, attrs):
        self.tags.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1] if self.stack else None}>"
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)
        if self.stack and self.stack[-1] in ("td", "th"):
            self.rows[-1][-1] += data


def well_formed(html: str) -> _Checker:
    checker = _Checker()
    checker.feed(html)
    checker.close()
    assert checker.stack == [], f"unclosed elements: {checker.stack}"
    return checker


@pytest.fixture(scope="module")
def shell(tmp_path_factory):
    """A real IPython shell (no history database, its profile in a temporary folder) with ``%load_ext
    receptorkin`` run, as a user does in a shell started after importing receptorkin."""
    from traitlets.config import Config
    from IPython.core.interactiveshell import InteractiveShell

    old = os.environ.get("IPYTHONDIR")
    hooks = sys.displayhook, sys.excepthook  # the shell installs its own: give the next tests theirs back
    os.environ["IPYTHONDIR"] = str(tmp_path_factory.mktemp("ipython"))
    config = Config()
    config.HistoryManager.enabled = False
    ip = InteractiveShell.instance(config=config)
    ip.run_line_magic("load_ext", "receptorkin")
    yield ip
    InteractiveShell.clear_instance()
    sys.displayhook, sys.excepthook = hooks
    if old is None:
        os.environ.pop("IPYTHONDIR", None)
    else:
        os.environ["IPYTHONDIR"] = old


def notebook_html(shell, obj) -> _Checker:
    """What the shell displays as HTML for ``obj``: well formed, and exactly the report fragment."""
    from receptorkin.report.html import report_for

    data, _ = shell.display_formatter.format(obj)
    assert "text/html" in data, f"no HTML display registered for a {type(obj).__name__}"
    html = data["text/html"]
    assert html == report_for(obj).fragment()  # figures are reproducible SVG: the same bytes twice
    return well_formed(html)


def _check(shell, obj, names: dict[str, float], head: str, *, table: bool = True) -> _Checker:
    text = repr(obj)
    assert "\n" not in text and len(text) < 400 and text.startswith(head), text
    assert "array(" not in text and "DataFrame" not in text  # no internals dump
    for name, value in names.items():
        shown = re.search(rf"\b{re.escape(name)}=([-+0-9.e]+)", text)
        assert shown, f"{name} missing from {text}"
        assert float(shown.group(1)) == pytest.approx(value, rel=5e-4)  # 4 significant digits
    checker = notebook_html(shell, obj)
    assert "table" in checker.tags
    body = " ".join(checker.text)
    for name in names:
        assert name.split(":")[0] in body
    if table:  # the first column names the row, the second is the value: the result's own number, 4 digits
        cells = {row[0]: row[1] for row in checker.rows if len(row) > 1}
        for name, value in names.items():
            assert float(cells[name]) == pytest.approx(value, rel=5e-4), (name, cells.get(name))
    return checker


def test_curve_fit_result(shell):
    from receptorkin.curves import fit_curve
    from receptorkin.data import read_frame

    fit = fit_curve(read_frame(DATA / "lab" / "doses.pzfx"), "sigEmax.p", curve="condition")
    checker = _check(shell, fit, dict(fit.coef), "<CurveFitResult sigEmax.p: 2 curve(s), 58 points", table=False)
    assert "pEC50" in " ".join(checker.text) and "svg" in checker.tags  # the parameter table and the figure


def test_mechanistic_fit_result_and_its_predict_residuals_vcov(shell):
    from receptorkin.fitting import FitProblem, ParameterSpec, fit
    from synthetic import synthetic_trafficking

    data = synthetic_trafficking(2, doses=[0.0, 1.0, 10.0, 100.0], times=(30, 120))
    res = fit(FitProblem("trafficking", data, [ParameterSpec("k_recycling", 0.1, 0.001, 10.0)]), n_starts=2,
              profiles=False, progress=False)
    assert "svg" in _check(shell, res, res.estimates, "<FitResult trafficking: 1 parameters").tags  # key figure
    # the views agree with each other: residual = observed - predicted, vcov = SE² for one parameter
    np.testing.assert_allclose(res.residuals, data.table["response"].to_numpy() - res.predict(), rtol=0, atol=1e-12)
    assert res.vcov.loc["k_recycling", "k_recycling"] == pytest.approx(res.se["k_recycling"] ** 2)


def test_posterior_sample(shell):
    from receptorkin.estimation.sampling import sample_posterior

    def log_prob(x):  # a standard normal in two dimensions: medians 0, 95% intervals ±1.96
        return -0.5 * float(x @ x)

    sample = sample_posterior(log_prob, np.zeros(2), ["a", "b"], lambda z: z, n_draws=4000, seed=1)
    med = sample.median()
    checker = _check(shell, sample, med, "<PosteriorSample: ")
    assert "walkers" in repr(sample) and "credible interval" in " ".join(checker.text)
    lo, hi = sample.credible_interval()["a"]
    assert -2.4 < lo < -1.6 and 1.6 < hi < 2.4
    # the table's interval columns are the sample's own
    cells = {row[0]: row[1:] for row in checker.rows}
    assert cells["parameter"][:3] == ["median", "ci_low", "ci_high"]
    assert [float(v) for v in cells["a"][1:3]] == pytest.approx([lo, hi], rel=5e-4)


def test_regimen_comparison_and_optimization(shell):
    from receptorkin.design import compare, optimize
    from receptorkin.simulation import Simulator

    sim = Simulator("turnover_tolerance")
    cmp = compare(sim, {"continuous": "exposure:100nM@0-", "none": "none"}, "2d")
    assert repr(cmp) == "<ComparisonResult turnover_tolerance: 2 regimens over 48 h>"
    assert "continuous" in " ".join(notebook_html(shell, cmp).text)
    opt = optimize(sim, family="holiday", objective="mean_response", constraints=["surface_receptor_final>=0.5"],
                   bounds={"holiday": ("1h", "20h")}, fixed={"dose": "100nM"}, horizon="2d", n_samples=4, polish=2,
                   progress=False)
    assert re.fullmatch(r"<OptimizeResult turnover_tolerance holiday: (feasible|infeasible), \d+ evaluations>", repr(opt))
    notebook_html(shell, opt)


def test_population_and_petab_fit_results(shell, tmp_path):
    from receptorkin.petab import PetabProblem, fit_petab
    from receptorkin.population import LogNormal, Population, simulate
    from test_petab import write_two_state

    res = simulate(Population("turnover_tolerance", {"k_degradation": LogNormal(cv=0.5)}, n=8, seed=3),
                   "exposure:50nM@0-", ["response@6h"], progress=False)
    assert repr(res) == "<PopulationResult turnover_tolerance: 8 individuals, 1 readouts>"
    notebook_html(shell, res)
    problem = PetabProblem.from_yaml(write_two_state(tmp_path / "p"))
    pf = fit_petab(problem, n_starts=2, seed=1, uncertainty=False)
    _check(shell, pf, pf.values, f"<PetabFitResult {pf.problem_name}: llh=")


def test_results_have_no_html_method_of_their_own():
    """The display is registered from above: no result class reaches up to the report layer itself."""
    from receptorkin.curves import CurveFitResult
    from receptorkin.design import ComparisonResult, OptimizeResult
    from receptorkin.estimation.sampling import PosteriorSample
    from receptorkin.fitting import FitResult
    from receptorkin.petab import PetabFitResult
    from receptorkin.population import PopulationResult

    for cls in (CurveFitResult, FitResult, PosteriorSample, ComparisonResult, OptimizeResult, PopulationResult,
                PetabFitResult):
        assert not hasattr(cls, "_repr_html_"), cls


def _python(code: str, ipython_dir) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "IPYTHONDIR": str(ipython_dir)}
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_import_inside_a_running_shell_registers_and_a_plain_import_loads_no_ipython(tmp_path):
    # a notebook kernel: the shell runs first, then the user imports receptorkin
    out = _python(
        "from traitlets.config import Config\n"
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "c = Config(); c.HistoryManager.enabled = False\n"
        "ip = InteractiveShell.instance(config=c)\n"
        "import receptorkin\n"
        "from receptorkin.display import NotebookDisplay\n"
        "from receptorkin.notebook import html\n"
        "print(ip.display_formatter.formatters['text/html'].lookup_by_type(NotebookDisplay) is html)\n", tmp_path)
    assert out == "True"
    # a script: importing receptorkin neither imports IPython nor the notebook module
    out = _python("import sys, receptorkin\nprint(sorted(m for m in ('IPython', 'receptorkin.notebook') "
                  "if m in sys.modules))", tmp_path)
    assert out == "[]"
