"""Markdown report of a curve fit."""

from __future__ import annotations

import math
from typing import Iterable, Protocol, Sequence

import pandas as pd

from ..errors import FitError
from .ftests import TestResult
from .protocol import CurveFit

__all__ = ["ReportedFit", "render_report", "markdown_table"]


class ReportedFit(CurveFit, Protocol):
    """What the report reads from a curve fit beyond :class:`~receptorkin.curves.protocol.CurveFit`:
    column names, units, fit statistics and the derived tables (see
    :class:`~receptorkin.curves.CurveFitResult`, which satisfies it, for each)."""

    dose_column: str
    response_column: str
    curve_column: str | None
    dose_unit: str | None
    converged: bool
    message: str
    notes: list[str]

    @property
    def p_scale(self) -> str: ...

    @property
    def table(self) -> pd.DataFrame: ...

    @property
    def rse(self) -> float: ...

    @property
    def loglik(self) -> float: ...

    @property
    def aic(self) -> float: ...

    @property
    def aicc(self) -> float: ...

    @property
    def bic(self) -> float: ...

    def ed(self, p: float | Iterable[float] = 50, curve: str | int | None = None, *,
           type: str = "relative") -> pd.DataFrame: ...

    def profile_ed(self, p: float = 50, curve: str | int | None = None, *,
                   level: float | None = None) -> tuple[float, float]: ...

    def potency(self, level: float | None = None) -> pd.DataFrame: ...

    def shift_table(self, reference: str | None = None, p: float = 50) -> pd.DataFrame: ...

    def parameter_ratio(self, parameter: str, reference: str | None = None) -> pd.DataFrame: ...

    def ed_ratio(self, p: float = 50, p2: float | None = None, *, reference: str | None = None) -> pd.DataFrame: ...

    def lack_of_fit(self) -> TestResult | None: ...


def _cell(v: object) -> str:
    if v is None:
        return "NA"
    if isinstance(v, float):
        if not math.isfinite(v):
            return "NA"
        return f"{v:.5g}"
    return str(v)


def markdown_table(df: pd.DataFrame, columns: Sequence[str] | None = None) -> str:
    """A DataFrame as a Markdown (GitHub) table, numbers to 5 significant digits."""
    cols = list(columns or df.columns)
    out = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for _, row in df[cols].iterrows():
        out.append("| " + " | ".join(_cell(row[c]) for c in cols) + " |")
    return "\n".join(out)


def render_report(result: ReportedFit, *, ed: Sequence[float] = (10, 50, 90), ed_type: str = "relative",
                  reference: str | None = None, shift: bool | None = None, profile: bool = True,
                  comparison: pd.DataFrame | None = None, figure: str | None = None) -> str:
    """Markdown text: data, model, parameter table, ED values, ratios/shifts, fit statistics, notes; then the
    model comparison table and a link to the figure file, when given."""
    d = result.design
    lines = [f"# Dose-response fit: {result.model.name}", ""]
    lines += [f"- data: `{d.source}` ({result.n} observations, {d.m} curve{'s' if d.m != 1 else ''}"
              + (f" by column `{result.curve_column}`" if result.curve_column else "") + ")",
              f"- dose column `{result.dose_column}`, response column `{result.response_column}`"
              + (" (weighted by 1/sd)" if d.weighted else ""),
              f"- model: {result.model.description}: `{result.model.formula}`"]
    lines.append(f"- dose unit: {result.dose_unit or 'not given'}; p-values (pEC50, pA2) are {result.p_scale}")
    if d.shared:
        lines.append(f"- shared by all curves: {', '.join(d.shared)}")
    extra_fixed = {k: v for k, v in d.fixed.items() if k not in result.model.fixed}
    if extra_fixed:
        lines.append("- fixed: " + ", ".join(f"{k} = {v:g}" for k, v in extra_fixed.items()))
    lines += ["", "## Parameters", "",
              f"Estimates with standard errors from the Hessian of the residual sum of squares (as drc) "
              f"and {100 * result.level:g} % Wald t-intervals (df = {result.df}).", ""]
    lines.append(markdown_table(result.table))
    if len(ed):
        eds = result.ed(list(ed), type=ed_type)
        lines += ["", f"## Effective doses ({ed_type})", ""]
        if profile:
            prof = []
            for r in eds.itertuples():
                if ed_type == "relative" and r.p == 50:
                    try:
                        lo, hi = result.profile_ed(r.p, r.curve)
                    except (FitError, ValueError, RuntimeError):
                        lo = hi = float("nan")
                else:
                    lo = hi = float("nan")
                prof.append((lo, hi))
            eds = eds.assign(profile_low=[p[0] for p in prof], profile_high=[p[1] for p in prof])
        lines.append("Delta-method standard errors and intervals"
                     + ("; profile-likelihood interval of the EC50 (ED50) in the last two columns."
                        if profile else "."))
        lines += ["", markdown_table(eds)]
    potency = result.potency()
    if len(potency):
        lines += ["", "## Potency (molar)", "",
                  "pEC50 = -log10(EC50 in mol/L) from the relative ED50; pKA likewise from KA; pA2 from the "
                  "Schild fit (pKB only with the Schild slope fixed at 1). Delta-method SEs, "
                  f"{100 * result.level:g} % t-intervals.", "",
                  markdown_table(potency.drop(columns=["molar"]))]
    if d.m > 1:
        show_shift = shift if shift is not None else True
        try:
            if show_shift:
                st = result.shift_table(reference=reference)
                ref = reference or d.curves[0]
                lines += ["", f"## EC50 shift and Emax change versus `{ref}`", "",
                          "Fold shift = EC50 / EC50(reference); Emax = asymptote - control level; "
                          "delta-method SEs.", "", markdown_table(st)]
            if d.family.name == "operational" and "tau" not in d.shared and "tau" not in d.fixed:
                ref = reference or d.curves[0]
                lines += ["", f"## Functional receptors left (tau / tau of `{ref}`)", "",
                          "tau is proportional to the receptor density (Furchgott analysis).", "",
                          markdown_table(result.parameter_ratio("tau", reference))]
            ratios = result.ed_ratio(50, reference=reference or d.curves[0])
            lines += ["", "## Relative potency (ratio of ED50 values, drc's EDcomp)", "",
                      markdown_table(ratios)]
        except (FitError, ValueError) as exc:
            lines += ["", f"(shift and potency tables not available: {exc})"]
    lines += ["", "## Fit", "",
              f"- residual standard error {_cell(result.rse)} on {result.df} degrees of freedom "
              f"(RSS {_cell(result.rss)})",
              f"- logLik {_cell(result.loglik)}, AIC {_cell(result.aic)}, AICc {_cell(result.aicc)}, "
              f"BIC {_cell(result.bic)}",
              f"- optimizer: {'converged' if result.converged else 'NOT converged'} ({result.message})"]
    lof = result.lack_of_fit()
    if lof is not None:
        lines.append(f"- lack-of-fit test against one-way ANOVA: F({lof.df1}, {lof.df2}) = "
                     f"{_cell(lof.statistic)}, p = {_cell(lof.p_value)}")
    else:
        lines.append("- lack-of-fit test: not available (no replicated doses)")
    if result.notes:
        lines += ["", "## Notes", ""] + [f"- {n}" for n in result.notes]
    text = "\n".join(lines) + "\n"
    if comparison is not None:
        text += "\n## Model comparison\n\n" + markdown_table(comparison.dropna(axis=1, how="all")) + "\n"
    if figure is not None:
        text += f"\n![data and fitted curves]({figure})\n"
    return text
