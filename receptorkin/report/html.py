"""Self-contained HTML reports of results, and their notebook display.

One :class:`Report` per job: a title, a few summary sentences, parameter (or
metric) tables with units and a note saying how the intervals were computed,
the figures inlined as SVG (vector, text searchable), the warnings in plain words and a methods
paragraph that a paper can quote (model and data checksums, software
versions, seed, tolerances, optimizer, starts reaching the best).  The page
loads nothing from the network.

:func:`report_for` builds the report of any result type; a notebook shows a
result as :meth:`Report.fragment` (summary, first table, first figure), through
the formatter that :mod:`receptorkin.notebook` registers with IPython.

Example
-------
>>> from receptorkin.report.html import Report
>>> import pandas as pd
>>> r = Report("Demo", summary=["Two numbers."], tables=[("Values", pd.DataFrame({"x": [1.0, 2.5]}), "")])
>>> "<table" in r.html() and r.html().startswith("<!DOCTYPE html>")
True
"""

from __future__ import annotations

import base64
import hashlib
import html
import math
import os
import platform
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

from ..plots.curves import plot_curve_fit
from ..plots.figures import figure_png, figure_svg, plot_pareto, plot_regimens
from ..plots.fitting import plot_fit
from ..plots.population import plot_bands

__all__ = ["Report", "report_for", "write_report", "figure_png", "figure_svg", "sha256_file", "sha256_text",
           "software_versions"]

_CSS = """
body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;max-width:62rem;margin:2rem auto;padding:0 1rem;
color:#1a1a1a;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.3rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.6rem 0;font-size:.92rem}
th,td{padding:.25rem .6rem;border-bottom:1px solid #e2e2e2;text-align:right}
th:first-child,td:first-child{text-align:left}th{background:#f4f4f4}
.note{color:#555;font-size:.88rem}.warn{background:#fff6e0;border-left:4px solid #e69f00;padding:.4rem .8rem;margin:.3rem 0}
figure{margin:1rem 0}figure img,figure svg{max-width:100%;height:auto;border:1px solid #eee}
figcaption{color:#444;font-size:.9rem}.methods{background:#f7f9fc;padding:.8rem 1rem;border-radius:4px}
"""


# --------------------------------------------------------------------------- helpers

def sha256_text(text: str) -> str:
    """SHA-256 of a text (UTF-8), as hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sha256_file(path: str | os.PathLike) -> str | None:
    """SHA-256 of a file's bytes, or ``None`` if it cannot be read."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


def software_versions() -> dict[str, str]:
    """Versions of receptorkin and the numerical libraries it ran on."""
    from importlib import metadata

    out = {"python": platform.python_version()}
    for dist in ("receptorkin", "libroadrunner", "numpy", "scipy", "pandas", "lmfit", "matplotlib"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    if "receptorkin" not in out:
        from ..version import __version__

        out["receptorkin"] = __version__
    return out


def _versions_text() -> str:
    return ", ".join(f"{k} {v}" for k, v in software_versions().items())


def _fmt(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "yes" if v else ""
    if isinstance(v, float):
        if math.isnan(v):
            return "–"
        if math.isinf(v):
            return "∞" if v > 0 else "−∞"
        return f"{v:.4g}"
    return str(v)


def _table_html(df: Any, max_rows: int = 60) -> str:
    shown = df.head(max_rows)
    index = shown.index.name is not None or not _default_index(shown)
    head = ([html.escape(str(shown.index.name or ""))] if index else []) + [html.escape(str(c)) for c in shown.columns]
    rows = []
    for idx, rec in zip(shown.index, shown.itertuples(index=False, name=None)):
        cells = ([html.escape(_fmt(idx))] if index else []) + [html.escape(_fmt(v)) for v in rec]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    more = f'<p class="note">{len(df) - max_rows} more rows not shown.</p>' if len(df) > max_rows else ""
    return ("<table><thead><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>" + more)


def _default_index(df: Any) -> bool:
    import pandas as pd

    return isinstance(df.index, pd.RangeIndex) and df.index.start == 0 and df.index.step == 1


# --------------------------------------------------------------------------- the report

@dataclass
class Report:
    """An HTML report: what a PI reads.

    Attributes
    ----------
    title
        Heading of the page.
    summary
        Short sentences shown under the title.
    tables
        ``(caption, DataFrame, note)``: the note says how the numbers (e.g.
        intervals) were computed.
    figures
        ``(caption, figure)``: an SVG document (``str``, from
        :func:`figure_svg`; inlined as an ``<svg>`` element) or PNG bytes
        (from :func:`figure_png`; inlined as a data URI).
    warnings
        Plain-language warnings.
    methods
        A paragraph to quote in a paper's methods section.
    """

    title: str
    summary: list[str] = field(default_factory=list)
    tables: list[tuple[str, Any, str]] = field(default_factory=list)
    figures: list[tuple[str, str | bytes]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    methods: str = ""

    def _figure_html(self, caption: str, image: str | bytes) -> str:
        alt = html.escape(caption, quote=True)
        if isinstance(image, str):  # an SVG document: inline, labelled for screen readers
            svg = image[image.index("<svg"):]
            body = svg.replace("<svg", f'<svg role="img" aria-label="{alt}"', 1)
        else:
            data = base64.b64encode(image).decode("ascii")
            body = f'<img alt="{alt}" src="data:image/png;base64,{data}">'
        return f"<figure>{body}<figcaption>{html.escape(caption)}</figcaption></figure>"

    def _tables_html(self, tables: Iterable[tuple[str, Any, str]]) -> str:
        parts = []
        for caption, df, note in tables:
            parts.append(f"<h2>{html.escape(caption)}</h2>")
            parts.append(_table_html(df))
            if note:
                parts.append(f'<p class="note">{html.escape(note)}</p>')
        return "".join(parts)

    def fragment(self, n_tables: int = 1, n_figures: int = 1) -> str:
        """A compact HTML block (notebook display): summary, first table(s) and figure(s)."""
        parts = [f'<div class="receptorkin-result"><strong>{html.escape(self.title)}</strong>']
        parts += [f"<p>{html.escape(s)}</p>" for s in self.summary[:3]]
        for caption, df, note in self.tables[:n_tables]:
            parts.append(_table_html(df, max_rows=25))
            if note:
                parts.append(f"<p><small>{html.escape(note)}</small></p>")
        for caption, image in self.figures[:n_figures]:
            parts.append(self._figure_html(caption, image))
        if self.warnings:
            parts.append(f"<p><small>{len(self.warnings)} warning(s): {html.escape(self.warnings[0])}</small></p>")
        parts.append("</div>")
        return "".join(parts)

    def html(self) -> str:
        """The whole self-contained page."""
        parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
                 '<meta name="viewport" content="width=device-width, initial-scale=1">',
                 f"<title>{html.escape(self.title)}</title><style>{_CSS}</style>",
                 # no network: forbid every external load, images only from data: URIs
                 '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
                 "img-src data:; style-src 'unsafe-inline'\">",
                 "</head><body>", f"<h1>{html.escape(self.title)}</h1>"]
        parts += [f"<p>{html.escape(s)}</p>" for s in self.summary]
        parts.append(self._tables_html(self.tables))
        if self.figures:
            parts.append("<h2>Figures</h2>")
            parts += [self._figure_html(c, image) for c, image in self.figures]
        parts.append("<h2>Warnings</h2>")
        if self.warnings:
            parts += [f'<div class="warn">{html.escape(w)}</div>' for w in self.warnings]
        else:
            parts.append("<p>None.</p>")
        if self.methods:
            parts.append(f'<h2>Methods</h2><p class="methods">{html.escape(self.methods)}</p>')
        parts.append("</body></html>\n")
        return "\n".join(parts)

    def write(self, path: str | os.PathLike, force: bool = False) -> Path:
        """Write the page atomically (an existing file needs ``force``)."""
        from ..io import atomic_write_text

        return atomic_write_text(path, self.html(), force=force)


# --------------------------------------------------------------------------- builders

def _data_sentence(source: str) -> str:
    if not source:
        return ""
    digest = sha256_file(source)
    return f"data {Path(source).name}" + (f" (SHA-256 {digest[:16]})" if digest else "")


def _model_sentence(model_id: str, sbml: str | None, tolerances: tuple[float, float] | None) -> str:
    """``the model M (SBML SHA-256 ...)``, and the solver sentence (CVODE with its tolerances)."""
    model = f"the model {model_id}" + (f" (SBML SHA-256 {sha256_text(sbml)[:16]})" if sbml else "")
    solver = "libRoadRunner CVODE" + (f", rtol {tolerances[0]:g}, atol {tolerances[1]:g}" if tolerances else "")
    return f"{model}|{solver}"


def fit_report(result: Any, *, figures: bool = True) -> Report:
    """Report of a mechanistic :class:`~receptorkin.fitting.FitResult`."""
    import pandas as pd

    from ..fitting.chi2 import CHI2_DEFINITION

    profiled = bool(result.profiles)
    rows = []
    for n in result.names:
        lo, hi = result.ci[n]
        rows.append({"parameter": n, "estimate": result.estimates[n], "SE": result.se[n], "95% CI low": lo,
                     "95% CI high": hi, "unit": result.units.get(n, "") or "–", "scale": result.scales[n],
                     "at bound": result.at_bound(n)})
    table = pd.DataFrame(rows).set_index("parameter")
    how = ("Intervals: 95% profile likelihood (the parameter is fixed on a grid, the others re-optimized; "
           "the interval is where the objective rises by the χ² quantile)." if profiled else
           "Intervals: 95% Wald intervals from the Hessian covariance on the estimation scale, transformed back "
           "(profiles were not computed).") + " SE: delta method from the same covariance."
    c = result.criteria
    quality = pd.DataFrame([{"χ²": result.chi2, "RSS": result.objective, "log-likelihood": c["loglik"], "AIC": c["aic"],
                             "AICc": c["aicc"], "BIC": c["bic"], "data points": result.n_data,
                             "parameters": result.n_parameters}])
    summary = [f"{result.model.id} fitted to {result.n_data} measurements"
               + (f" from {Path(result.data_source).name}" if result.data_source else "") + ".",
               f"{result.n_converged} of {result.n_starts} starts reached the best objective"
               f" ({result.n_failed} failed)."]
    figs: list[tuple[str, str | bytes]] = []
    if figures and result.problem is not None:
        figs.append(("Data (points, error bars = given SD) and the fitted model (lines) with its 95% prediction "
                     "band from the parameter covariance; lower panels: residuals.", figure_svg(plot_fit(result))))
    problem = result.problem
    tol = f"rtol {problem.rtol:g}, atol {problem.atol:g}" if problem is not None else "the problem's tolerances"
    noise = ("weighted by the given standard deviations" if result.noise == "sd"
             else "with the noise level estimated per observable")
    data = _data_sentence(result.data_source)
    methods = (f"The model {result.model.id} (SBML SHA-256 {sha256_text(result.model.sbml)[:16]}) was fitted to "
               f"{result.n_data} measurements ({data or 'given as a table'}) by least squares {noise}, using "
               f"scipy.optimize.least_squares (trust-region reflective, bounds on the estimation scale) from "
               f"{result.n_starts} Latin-hypercube starts (seed {result.seed}); {result.n_converged} starts reached the "
               f"best objective within 0.1 χ² units. Simulations: libRoadRunner CVODE, {tol}. "
               + ("Intervals are 95% profile-likelihood intervals. " if profiled else "Intervals are 95% Wald intervals. ")
               + f"Software: {_versions_text()}.")
    return Report(f"Fit of {result.model.id}", summary,
                  [("Parameters", table, how), ("Fit quality", quality, CHI2_DEFINITION + ".")], figs,
                  list(result.warnings), methods)


_RESPONSE_PARAMS = {"c", "d", "E0", "Emax", "basal", "Em", "bottom", "top"}
_DOSE_PARAMS = {"e", "EC50", "KA"}
_LOG_DOSE_PARAMS = {"pEC50", "pA2", "pKB"}


def _curve_unit(parameter: str, dose: str, response: str, family: str = "") -> str:
    """Unit of a classic-curve parameter, in words tied to the data's columns."""
    if parameter in _RESPONSE_PARAMS:
        return f"as {response}"
    if parameter in _DOSE_PARAMS:
        return f"as {dose}"
    if parameter in _LOG_DOSE_PARAMS:
        return f"−log10 of {dose}"
    if parameter == "f" and family == "BC":
        return f"{response} per {dose}"
    return "dimensionless"


def curve_report(result: Any, *, data_path: str | None = None, extra: Sequence[tuple[str, Any, str]] = (),
                 figures: bool = True) -> Report:
    """Report of a classic :class:`~receptorkin.curves.CurveFitResult`."""
    import pandas as pd

    from ..curves.engine import TOLERANCES

    table = result.table.copy()
    if "parameter" in table.columns:
        table["unit"] = [_curve_unit(str(p), result.dose_column, result.response_column,
                                    getattr(getattr(result.model, "family", None), "name", "")) for p in table["parameter"]]
        if getattr(result, "dose_unit", None):  # p-values are molar with a known dose unit
            table["unit"] = [("−log10 M" if str(p) in _LOG_DOSE_PARAMS else result.dose_unit if str(p) in _DOSE_PARAMS
                              else u) for p, u in zip(table["parameter"], table["unit"])]
    level = int(round(100 * result.level))
    how = (f"Intervals: {level}% Wald intervals, estimate ± t({result.df} df) × SE; SE from the full Hessian of the "
           "residual sum of squares (as R's drc).")
    ed = result.ed(50)
    ed.insert(ed.columns.get_loc("estimate") + 1, "unit", result.dose_unit or f"as {result.dose_column}")
    quality = pd.DataFrame([{"RSE": result.rse, "df": result.df, "log-likelihood": result.loglik, "AIC": result.aic,
                             "AICc": result.aicc, "BIC": result.bic, "points": result.n}])
    summary = [f"{result.model.name} ({result.model.description}) fitted to {result.n} points, "
               f"{len(result.curves)} curve(s)."]
    figs = []
    if figures:
        figs.append(("Data and fitted curves on a log dose axis (vehicle controls left of the axis break).",
                     figure_svg(plot_curve_fit(result))))
    source = data_path or getattr(result.design, "source", "")
    data = _data_sentence(source) if source and Path(source).exists() else ""
    methods = (f"Dose-response curves were fitted with the {result.model.name} model ({result.model.formula}) by "
               f"least squares{' weighted by 1/SD²' if result.design.weighted else ''} to {result.n} observations"
               f"{' (' + data + ')' if data else ''}; standard errors from the Hessian of the residual sum of squares "
               f"(drc's definition), {level}% intervals from the t distribution with {result.df} df. "
               + (f"Doses in {result.dose_unit}; pEC50, pKA and pA2 are −log10 of the molar concentration. "
                  if result.dose_unit else "No dose unit was given: p-values are −log10 of the dose in the data's "
                  "own unit, not molar. ")
               + f"Optimizer: MINPACK Levenberg–Marquardt (scipy.optimize.least_squares, method 'lm', "
               f"{', '.join(f'{k} {v:g}' for k, v in TOLERANCES.items())}) from data-driven self-starts "
               f"(deterministic, no random seed); {result.n_at_best} of {result.n_starts} starts reached the best "
               f"residual sum of squares; converged: {'yes' if result.converged else 'no'} ({result.message}). "
               f"Software: {_versions_text()}.")
    tables = [("Parameters", table, how), ("EC50 (ED50)", ed, "ED50 with delta-method SE and Wald interval.")]
    potency = result.potency()
    if len(potency):
        tables.append(("Potency (molar)", potency.drop(columns=["molar"]),
                       "pEC50 = −log10(EC50 in mol/L), delta-method SE; pKA from KA; pA2 from the Schild fit "
                       "(pKB only with the Schild slope fixed at 1)."))
    tables += [("Fit quality", quality, ""), *extra]
    return Report(f"Dose-response fit: {result.model.name}", summary, tables, figs, list(result.notes), methods)


def fit_comparison_report(results: Sequence[Any], labels: Sequence[str], table: Any, *, figures: bool = True) -> Report:
    """Report of ``receptorkin compare``: the ranking, then each model's parameters."""
    rep = Report("Model comparison", [f"{len(results)} models fitted to the same {results[0].n_data} measurements; "
                                      f"best by AICc: {table.iloc[0]['model']}."])
    rep.tables.append(("Ranking", table, "ΔAICc against the best; Akaike weights; F test against the simplest model "
                                         "where nested."))
    for label, r in zip(labels, results):
        sub = fit_report(r, figures=figures)
        rep.tables.append((f"{label}: parameters", sub.tables[0][1], sub.tables[0][2]))
        rep.figures += [(f"{label}: {c}", image) for c, image in sub.figures]
        rep.warnings += [f"{label}: {w}" for w in sub.warnings]
    rep.methods = " ".join(fit_report(r, figures=False).methods.split(" Software:")[0] for r in results) \
        + f" Software: {_versions_text()}."
    return rep


def _simulator_context(simulator: Any) -> tuple[str | None, tuple[float, float] | None]:
    if simulator is None:
        return None, None
    return simulator.model.sbml, (simulator.options.rtol, simulator.options.atol)


def regimen_comparison_report(cmp: Any, *, figures: bool = True, simulator: Any = None) -> Report:
    """Report of :func:`receptorkin.design.compare` (``simulator``: the one used, for its model checksum and tolerances)."""
    units = dict(cmp.table.attrs.get("units", {}))
    table = cmp.table.copy()
    table.columns = [f"{c} [{units[c]}]" if units.get(c) else str(c) for c in table.columns]
    figs = [("Drug input, response and surface receptors over time, one line per regimen.", figure_svg(plot_regimens(cmp)))] \
        if figures else []
    model, solver = _model_sentence(cmp.model_id, *_simulator_context(simulator)).split("|")
    regimens = "; ".join(str(text) for label, text in cmp.table["regimen"].items() if label != text) \
        if "regimen" in cmp.table.columns else ""
    methods = (f"Regimens were simulated on {model} over {cmp.horizon:g} {cmp.time_unit} with exact "
               f"segment simulation ({solver}); deterministic, no random numbers"
               + (f" ({regimens})" if regimens else "") + f"; the effect threshold was {cmp.threshold:.4g}. "
               f"Software: {_versions_text()}.")
    warnings = []
    if "recovery_time" in cmp.table.columns:  # NaN: still outside the band of baseline at the end of the window
        for label in cmp.table.index[cmp.table["recovery_time"].isna()]:
            warnings.append(f"{label}: the surface receptors had not come back to baseline by the end of the "
                            f"simulation (no recovery time); a longer horizon would show whether and when they do.")
    return Report(f"Regimen comparison on {cmp.model_id}",
                  [f"{len(cmp.table)} regimens over {cmp.horizon:g} {cmp.time_unit}."],
                  [("Metrics", table, "Units in brackets; time-integrated metrics are solver-integrated AUCs; "
                    "receptor values are fractions of their value at time 0.")], figs, warnings, methods)


def optimize_report(opt: Any, *, figures: bool = True, simulator: Any = None) -> Report:
    """Report of :func:`receptorkin.design.optimize` (``simulator``: the one used, for its model checksum and tolerances)."""
    import pandas as pd

    units = opt.parameter_units()
    best = pd.DataFrame([{"parameter": k, "value": v, "unit": units.get(k, "")} for k, v in opt.best_parameters.items()])
    from ..dosing.metrics import METRICS

    dose_unit = simulator.model.dose_unit if simulator is not None else None
    metrics = pd.DataFrame([{"metric": k, "value": v,
                             "unit": (getattr(METRICS.get(k), "unit", "") or "–").replace("dose unit", dose_unit or "dose unit")}
                            for k, v in opt.best_metrics.items()])
    figs = [("Evaluated regimens: objective against receptor preservation; the constraint and the reason a point "
             "fails it are marked.", figure_svg(plot_pareto(opt)))] if figures else []
    warnings = [] if opt.success else [f"No regimen met every constraint: {opt.message}"]
    n_feasible = int(opt.evaluations["feasible"].sum()) if "feasible" in opt.evaluations else 0
    model, solver = _model_sentence(opt.model_id, *_simulator_context(simulator)).split("|")
    methods = (f"The {opt.family} regimen family was optimized on {model} for {opt.objective} "
               f"({'maximized' if opt.maximize else 'minimized'}) subject to "
               f"{', '.join(str(c) for c in opt.constraints) or 'no constraint'} over {opt.horizon:g} {opt.time_unit}: "
               f"{len(opt.evaluations)} regimens evaluated (scrambled Sobol global stage and local polish, seed "
               f"{opt.seed}), {n_feasible} feasible; each regimen simulated exactly ({solver}). "
               f"Software: {_versions_text()}.")
    return Report(f"Regimen optimization on {opt.model_id}", [opt.message],
                  [("Best regimen", best, opt.best.to_text() if opt.best is not None else ""),
                   ("Its metrics", metrics, "")], figs, warnings, methods)


def _distribution_text(dist: Any) -> str:
    """``lognormal (cv 0.5, median 0.0578)`` from a population's variability entry."""
    if not isinstance(dist, dict):
        return str(dist)
    rest = ", ".join(f"{k} {_fmt(v)}" for k, v in dist.items() if k != "distribution")
    return f"{dist.get('distribution', '')} ({rest})" if rest else str(dist.get("distribution", ""))


def population_report(res: Any, *, figures: bool = True) -> Report:
    """Report of a :class:`~receptorkin.population.PopulationResult`."""
    import pandas as pd

    rows = []
    for j, r in enumerate(res.readouts):
        col = res.values[:, j]
        ok = col[~pd.isna(col)]
        try:
            unit = res.population.model.unit_of(r.observable) or "–"
        except Exception:  # noqa: BLE001 - an expression readout has no declared unit
            unit = "–"
        rows.append({"readout": r.label, "unit": unit,
                     "median": float(pd.Series(ok).median()) if ok.size else math.nan,
                     "5%": float(pd.Series(ok).quantile(0.05)) if ok.size else math.nan,
                     "95%": float(pd.Series(ok).quantile(0.95)) if ok.size else math.nan, "n": int(ok.size)})
    tables = [("Readouts over the population", pd.DataFrame(rows).set_index("readout"),
               "Empirical percentiles over the simulated individuals.")]
    summary = [f"{res.n} individuals of {res.model_id} ({res.backend or 'serial'}); {len(res.failures)} failed."]
    if res.criterion is not None:
        frac = res.responders()
        summary.append(str(frac))
    figs = []
    if figures:
        try:
            figs.append(("The median over time and the bands holding the middle 50 % and 90 % of the individuals.", figure_svg(plot_bands(res))))
        except Exception as exc:  # noqa: BLE001 - a population without time courses has no bands
            summary.append(f"No band figure: {exc}")
    warnings = [f"{len(res.failures)} individuals failed to simulate (left out of the summaries)."] if res.failures else []
    pop = res.population
    regimen = res.regimen.to_text() if getattr(res, "regimen", None) is not None else "no drug"
    options = getattr(pop, "solver_options", None)
    model, solver = _model_sentence(res.model_id, pop.model.sbml, options[:2] if options else None).split("|")
    varied = "; ".join(f"{name} {_distribution_text(dist)}"
                       for name, dist in getattr(pop, "variability", {}).items()) or "nothing"
    methods = (f"A virtual population of {res.n} individuals of {model} was drawn with seed "
               f"{getattr(pop, 'seed', None)} (varied: {varied}) and simulated under {regimen} "
               f"({solver}; {res.backend or 'serial'}). Readouts are summarized by empirical percentiles. "
               f"Software: {_versions_text()}.")
    return Report(f"Population of {res.model_id}", summary, tables, figs, warnings, methods)


def petab_fit_report(res: Any, *, yaml_path: str | None = None, problem: Any = None) -> Report:
    """Report of a :class:`~receptorkin.petab.fit.PetabFitResult` (``problem``: the fitted problem, for its
    model checksum and solver tolerances)."""
    import pandas as pd

    info = res.to_dict()["parameters"]

    def _se(pid: str) -> str:
        d = info[pid]
        return "not estimable" if d.get("estimable") is False else ("–" if d.get("se") is None else f"{d['se']:.3g}")

    def _ci(pid: str) -> str:
        d = info[pid]
        if not d.get("ci_kind"):
            return "–"
        return f"[{'open' if d['ci_low'] is None else format(d['ci_low'], '.4g')}, " \
               f"{'open' if d['ci_high'] is None else format(d['ci_high'], '.4g')}]"

    def _wald(pid: str, value: float, scale: str) -> str:
        """95% Wald interval from the SE on the parameter's scale, back on the linear scale."""
        se = info[pid].get("se")
        if se is None or info[pid].get("estimable") is False or not math.isfinite(float(se)):
            return "–"
        back = {"log10": lambda z: 10.0 ** z, "log": math.exp}.get(scale, lambda z: z)
        on_scale = {"log10": math.log10, "log": math.log}.get(scale, lambda z: z)
        try:
            centre = on_scale(value)
            return f"[{back(centre - 1.96 * float(se)):.4g}, {back(centre + 1.96 * float(se)):.4g}]"
        except (ValueError, OverflowError):
            return "–"

    table = pd.DataFrame([{"parameter": pid, "estimate": v, "scale": s, "unit": res.units.get(pid, "") or "–",
                           "how": "closed form (hierarchical)" if pid in res.inner_ids else "optimized",
                           "SE (on its scale)": _se(pid), "Wald 95% CI": _wald(pid, v, s),
                           "profile 95% CI": _ci(pid)}
                          for (pid, v), s in zip(res.values.items(), res.x_scales)]).set_index("parameter")
    starts = res.starts[[c for c in ("start", "phase", "status", "llh", "evaluations", "seconds")
                         if c in res.starts.columns]]
    digest = sha256_file(yaml_path) if yaml_path else None
    model, solver = _model_sentence(res.model_id, problem.model.sbml if problem is not None else None,
                                    problem.tolerances if problem is not None else None).split("|")
    methods = (f"The PEtab problem {res.problem_name}{f' (YAML SHA-256 {digest[:16]})' if digest else ''} on "
               f"{model} was fitted by maximum likelihood ({res.method}) from {res.starts_text} "
               f"(seed {res.seed}); {res.n_at_best()} reached the best log-likelihood "
               f"within 1e-3. Simulations: {solver}. Software: {_versions_text()}.")
    warnings = []
    flat = [pid for pid in res.values if info[pid].get("estimable") is False]
    if flat:
        warnings.append(f"The data do not determine {', '.join(flat)}: the likelihood is flat along "
                        f"{'its' if len(flat) == 1 else 'their'} direction, so the estimate is one of many equally "
                        f"good values (fix it, or add data that depend on it).")
    if res.n_failed:
        warnings.append(f"{res.n_failed} of {res.n_starts} starts failed (the simulation or the optimizer stopped); "
                        f"see the Starts table.")
    if res.n_starts > 1 and res.n_at_best() < 2:
        warnings.append("Only one start reached the best log-likelihood: the optimum may not be global; "
                        "run more starts (--starts) to check.")
    return Report(f"PEtab fit of {res.problem_name}",
                  [f"Log-likelihood {res.llh:.6g} from {res.n_measurements} measurements; {res.n_starts} starts, "
                   f"{res.n_failed} failed, {res.n_at_best()} within 1e-3 of the best."],
                  [("Parameters", table, "Standard errors from the Fisher information of the exact Jacobian, on "
                    "each parameter's PEtab scale (not estimable: a flat direction of the likelihood); Wald 95% "
                    "intervals = estimate ± 1.96 SE on that scale, transformed back to linear; profile-likelihood "
                    "95% intervals on linear scale where computed (--profiles)."),
                   ("Starts", starts, "")], [], warnings, methods)


def posterior_report(sample: Any) -> Report:
    """Report of a :class:`~receptorkin.estimation.sampling.PosteriorSample`: the draws and their
    diagnostics in one line, and the :meth:`~receptorkin.estimation.sampling.PosteriorSample.summary` table."""
    text = (f"{len(sample.draws)} draws ({sample.n_walkers} walkers x {sample.n_steps} steps after {sample.burn} "
            f"burn-in, seed {sample.seed}); acceptance {sample.acceptance_fraction:.2f}; "
            + ("converged (chains longer than 50 autocorrelation times)." if sample.converged else "not converged."))
    return Report("Posterior sample", [text],
                  [("Posterior", sample.summary(), "median and equal-tailed 95% credible interval per parameter "
                    "(linear scale); tau: integrated autocorrelation time [steps]; ess: effective sample size.")])


def report_for(obj: Any, **context: Any) -> Report:
    """The :class:`Report` of any receptorkin result (see the builders above)."""
    kind = type(obj).__name__
    builders = {"FitResult": fit_report, "CurveFitResult": curve_report, "ComparisonResult": regimen_comparison_report,
                "OptimizeResult": optimize_report, "PopulationResult": population_report,
                "PetabFitResult": petab_fit_report, "PosteriorSample": posterior_report}
    if kind not in builders:
        from ..errors import ReceptorkinError

        raise ReceptorkinError(f"no HTML report for a {kind}")
    return builders[kind](obj, **context)


def write_report(obj: Any, path: str | os.PathLike, *, force: bool = False, **context: Any) -> Path:
    """Write ``report_for(obj).html()`` to ``path`` (atomic; ``force`` to replace)."""
    return report_for(obj, **context).write(path, force=force)
