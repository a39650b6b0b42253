"""FitResult: estimates with intervals, the start table, information criteria,
a report, JSON save/load and the fitted model as SBML.

The layers above take a result as an argument: its figure is
:func:`receptorkin.plots.plot_fit`, its PEtab problem
:func:`receptorkin.petab.fit_problem_to_petab`, its HTML report
:func:`receptorkin.report.html.report_for`."""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..display import NotebookDisplay, deprecated_call, values_text
from ..errors import FitError
from ..io import atomic_write_text
from ..jsonout import dumps
from .chi2 import CHI2_DEFINITION

__all__ = ["FitResult", "information_criteria", "compare_fits", "f_test"]


def information_criteria(chi2: float, n: int, k: int, noise: str, log_sd_sum: float = 0.0,
                         loglik: float | None = None) -> dict[str, float]:
    """Gaussian log-likelihood, AIC, AICc and BIC.

    Parameters
    ----------
    chi2
        Weighted residual sum of squares (RSS when the noise is estimated).
    n, k
        Number of data and of estimated quantities (noise levels included).
    noise
        ``'sd'``: the likelihood uses the given standard deviations
        (``log_sd_sum`` = Σ ln sd); ``'estimate'``: σ² = RSS/n (ML).
    loglik
        The log-likelihood when already known (several observables with
        their own estimated noise levels); ``chi2`` is then not used.
    """
    if loglik is not None:
        pass
    elif noise == "sd":
        loglik = -0.5 * chi2 - log_sd_sum - 0.5 * n * math.log(2 * math.pi)
    else:
        loglik = -0.5 * n * (math.log(2 * math.pi * chi2 / n) + 1.0)
    aic = -2 * loglik + 2 * k
    aicc = aic + (2 * k * (k + 1) / (n - k - 1) if n - k - 1 > 0 else math.inf)
    bic = -2 * loglik + k * math.log(n)
    return {"loglik": loglik, "aic": aic, "aicc": aicc, "bic": bic}


@dataclass
class FitResult(NotebookDisplay):
    """The outcome of :func:`receptorkin.fitting.fit`.

    Attributes
    ----------
    model
        The fitted :class:`~receptorkin.models.Model` (values as in the problem).
    names
        Estimated quantities (``name[condition]`` when per condition).
    estimates, se
        Linear-scale estimates and standard errors (delta method from the
        Hessian covariance on the estimation scale).
    ci
        95% intervals (linear scale), computed as :attr:`ci_method` says:
        profile likelihood, or Wald from the Hessian when profiles were skipped.
    wald_ci
        95% Wald intervals (on the estimation scale, transformed back).
    scales, units, bounds
        Per estimated quantity.
    chi2
        χ² at the optimum: Σ ((y − f)/σ)² with σ the given sd or the
        estimated noise level (:data:`receptorkin.fitting.chi2.CHI2_DEFINITION`;
        equal to ``n_data`` when the noise is estimated).
    n_data, n_parameters
        Data points and estimated parameters (noise levels not counted).
    criteria
        ``loglik``, ``aic``, ``aicc``, ``bic``.
    starts
        One row per multistart start: start values, final objective, status,
        reason for failures.
    correlation
        Correlation matrix of the estimates (estimation scale).
    warnings
        Identifiability and numerical warnings in plain language.
    rss
        Residual sum of squares (weighted by the given sd, the least-squares
        objective; plain when the noise is estimated).
    ci_method
        How :attr:`ci` was computed: ``'profile'`` or ``'Wald'``.
    """

    model: Any
    names: list[str]
    estimates: dict[str, float]
    se: dict[str, float]
    ci: dict[str, tuple[float, float]]
    wald_ci: dict[str, tuple[float, float]]
    scales: dict[str, str]
    units: dict[str, str]
    bounds: dict[str, tuple[float, float]]
    chi2: float
    n_data: int
    n_parameters: int
    noise: str
    noise_levels: dict[str, float]
    criteria: dict[str, float]
    starts: Any  # pandas.DataFrame
    correlation: np.ndarray
    warnings: list[str] = field(default_factory=list)
    profiles: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    seed: int | None = None
    data_source: str = ""
    problem: Any = field(default=None, repr=False, compare=False)
    rss: float = math.nan
    ci_method: str = "profile"

    # ----------------------------------------------------------------- views
    def plot(self, path: str | os.PathLike | None = None, force: bool = False, band: bool = True,
             ax: Any = None) -> Any:
        """Deprecated: use :func:`receptorkin.plot` (``receptorkin.plot(result, path)``)."""
        return deprecated_call("FitResult.plot()", "receptorkin.plot(result, path)", "plots.plot_fit",
                               self, path, force=force, band=band, ax=ax)

    def to_petab(self, outdir: str | os.PathLike, force: bool = False) -> Path:
        """Deprecated: use :func:`receptorkin.petab.fit_problem_to_petab` (``fit_problem_to_petab(result, outdir)``)."""
        return deprecated_call("FitResult.to_petab()", "receptorkin.petab.fit_problem_to_petab(result, outdir)",
                               "petab.fit_problem_to_petab", self, outdir, force=force)

    @property
    def objective(self) -> float:
        """The residual sum of squares (χ² itself when the data give standard deviations)."""
        return self.rss if math.isfinite(self.rss) else self.chi2

    @property
    def aicc(self) -> float:
        return self.criteria["aicc"]

    @property
    def n_starts(self) -> int:
        return len(self.starts)

    @property
    def n_failed(self) -> int:
        return int((self.starts["status"] == "failed").sum())

    @property
    def chi2_unit(self) -> float:
        """Unit of :attr:`chi2` and of the start table's ``chi2`` column: 1, since
        both are in units of σ (the given sd or the estimated noise level)."""
        return 1.0

    @property
    def n_converged(self) -> int:
        """Starts whose final objective is within 0.1 of the best (in χ² units)."""
        ok = self.starts["status"] != "failed"
        return int((ok & (self.starts["chi2"] <= self.chi2 + 0.1 * self.chi2_unit)).sum())

    def at_bound(self, name: str) -> bool:
        lo, hi = self.bounds[name]
        v = self.estimates[name]
        tol = 1e-6 * max(abs(lo), abs(hi), 1e-12)
        if self.scales[name] == "log10":
            return abs(math.log10(v) - math.log10(lo)) < 1e-6 or abs(math.log10(v) - math.log10(hi)) < 1e-6
        return abs(v - lo) < tol or abs(v - hi) < tol

    @property
    def not_estimable(self) -> list[str]:
        """Parameters the data do not determine (standard error NaN: a flat
        direction of the Fisher information)."""
        return [n for n in self.names if not math.isfinite(self.se.get(n, math.nan))]

    def posterior(self, n_draws: int = 10_000, *, seed: int | None = 0, jobs: int = 1,
                  n_walkers: int | None = None, burn: int | None = None, progress: bool = False):
        """Posterior draws with emcee and their diagnostics
        (:func:`receptorkin.fitting.uncertainty.sample_fit_posterior`)."""
        from .uncertainty import sample_fit_posterior

        return sample_fit_posterior(self, n_draws=n_draws, seed=seed, jobs=jobs, n_walkers=n_walkers, burn=burn,
                                    progress=progress)

    def derived(self, quantity, level: float = 0.95):
        """A derived quantity at the estimates with its delta-method interval.

        Parameters
        ----------
        quantity
            A :class:`~receptorkin.fitting.derived.DerivedQuantity` (or any
            ``{name: linear value} -> number``).
        level
            Interval level.

        Returns
        -------
        dict
            ``name``, ``unit``, ``value``, ``se``, ``ci`` (delta method on the
            estimation scale, log-scale interval for a positive quantity) and
            ``method``; for a monotone function of one parameter with a profile
            interval (``rate_half_life``), ``ci`` is that interval carried
            through the function and ``method`` says so.
        """
        from ..estimation import delta_method
        from .uncertainty import scaled_covariance

        x = np.array([math.log10(self.estimates[n]) if self.scales[n] == "log10" else self.estimates[n]
                      for n in self.names])

        def on_scale(z: np.ndarray) -> float:
            return quantity({n: (10.0 ** v if self.scales[n] == "log10" else float(v)) for n, v in zip(self.names, z)})

        est = delta_method(on_scale, x, scaled_covariance(self), level=level)
        out = {"name": getattr(quantity, "name", "derived"), "unit": getattr(quantity, "unit", ""),
               "value": est.value, "se": est.se, "ci": est.ci, "method": "delta method"}
        single = getattr(quantity, "monotone_in", None)
        if single in self.names and self.ci_method == "profile" and abs(level - 0.95) < 1e-12:
            ends = [quantity({**self.estimates, single: v}) for v in self.ci[single]]
            if all(math.isfinite(e) for e in ends):
                out["ci"] = (min(ends), max(ends))
                out["method"] = f"profile likelihood of {single}"
        return out

    @property
    def table(self):
        """Parameter table: estimate, se, ci_low, ci_high, ci_method (profile or Wald), unit, at_bound."""
        import pandas as pd

        rows = []
        for n in self.names:
            lo, hi = self.ci[n]
            rows.append({"parameter": n, "estimate": self.estimates[n], "se": self.se[n], "ci_low": lo, "ci_high": hi,
                         "ci_method": self.ci_method, "unit": self.units.get(n, ""), "scale": self.scales[n], "at_bound": self.at_bound(n)})
        return pd.DataFrame(rows).set_index("parameter")

    def correlation_frame(self):
        import pandas as pd

        return pd.DataFrame(self.correlation, index=self.names, columns=self.names)

    @property
    def vcov(self):
        """Covariance of the linear-scale estimates (delta method: correlation x SE x SE),
        as a DataFrame labelled by :attr:`names`; units are the products of the parameters' units."""
        import pandas as pd

        se = np.array([self.se[n] for n in self.names], dtype=float)
        return pd.DataFrame(self.correlation * np.outer(se, se), index=self.names, columns=self.names)

    def _require_problem(self, what: str):
        if self.problem is None:
            raise FitError(f"{what}() needs the FitProblem: use a result returned by fit(), not one loaded from JSON")
        return self.problem

    @property
    def fitted(self) -> np.ndarray:
        """Model prediction at every measurement row (in the data's response units)."""
        problem = self._require_problem("fitted")
        return problem.predict(problem.to_scaled(self.estimates))

    @property
    def residuals(self) -> np.ndarray:
        """Observed minus fitted response at every measurement row (unweighted, response units)."""
        problem = self._require_problem("residuals")
        return problem.data.table["response"].to_numpy(dtype=float) - self.fitted

    def predict(self, data=None):
        """Model predictions at the estimates.

        Parameters
        ----------
        data
            ``None``: the measurement rows of the fit (same as :attr:`fitted`).
            Otherwise new rows: a :class:`~receptorkin.data.measurements.Measurements`
            or a DataFrame with ``dose`` (nM) and optionally ``time`` (min),
            ``condition`` and ``observable`` (a ``response`` column is not needed).
            Conditions and per-condition estimates must be those of the fit.

        Returns
        -------
        numpy.ndarray or pandas.DataFrame
            The predictions; for new rows, the rows with a ``prediction`` column.
        """
        self._require_problem("predict")
        if data is None:
            return self.fitted
        new, frame, rows = self.prediction_problem(data)
        out = frame.drop(columns="response").reset_index(drop=True)
        out["prediction"] = new.predict(new.to_scaled({n: self.estimates[n] for n in new.names}))[:rows]
        return out

    def prediction_problem(self, data):
        """A :class:`FitProblem` whose rows are ``data`` (see :meth:`predict`), for predicting at
        other parameter vectors (e.g. draws for a band); returns ``(problem, frame, n_rows)`` --
        the problem's first ``n_rows`` rows are the rows of ``frame``."""
        problem = self._require_problem("predict")
        import pandas as pd

        from ..data.measurements import Measurements
        from .problem import FitProblem

        if isinstance(data, Measurements):
            keep = [c for c in ("dose", "time", "condition", "observable") if c in data.table.columns]
            frame = data.table[keep].copy()
        else:
            frame = pd.DataFrame(data).copy()
        frame["response"] = 0.0  # not used: only the model is evaluated
        rows = len(frame)
        # a FitProblem refuses fewer rows than parameters + 1; repeated rows do not change a prediction
        repeats = 1 + len(problem.names) // max(rows, 1)
        data = Measurements.from_frame(pd.concat([frame] * repeats, ignore_index=True))
        missing = sorted(set(data.conditions) - set(problem.condition_names))
        if missing and any(s.per_condition for s in problem.specs.values()):
            raise FitError(f"predict: conditions {', '.join(missing)} were not fitted (per-condition estimates exist "
                           f"only for {', '.join(problem.condition_names)})")
        new = FitProblem(problem.model, data, list(problem.specs.values()), conditions=problem.conditions,
                         observables=problem.observables, equilibrate=problem.equilibrate, noise="estimate")
        return new, frame, rows

    # ---------------------------------------------------------------- report
    def report(self) -> str:
        """A Markdown report: parameters with intervals, fit quality, starts, warnings."""
        lines = [f"# Fit of `{self.model.id}`", ""]
        if self.data_source:
            lines.append(f"Data: `{self.data_source}` ({self.n_data} measurements); noise: "
                         + ("given standard deviations" if self.noise == "sd" else
                            ", ".join(f"σ({k}) = {v:.4g} (estimated)" for k, v in self.noise_levels.items())))
            lines.append("")
        lines += [f"| parameter | estimate | SE | 95% CI ({_ci_label(self.ci_method)}) | unit | note |",
                  "|---|---|---|---|---|---|"]
        for n in self.names:
            lo, hi = self.ci[n]
            note = "at bound" if self.at_bound(n) else ""
            se_text = f"{self.se[n]:.3g}" if math.isfinite(self.se[n]) else "not estimable"
            lines.append(f"| {n} | {self.estimates[n]:.5g} | {se_text} | [{lo:.4g}, {hi:.4g}] | {self.units.get(n, '')} | {note} |")
        c = self.criteria
        lines += ["", f"χ² = {self.chi2:.6g}; RSS = {self.objective:.6g}; log-likelihood = {c['loglik']:.6g}; "
                  f"AIC = {c['aic']:.5g}; AICc = {c['aicc']:.5g}; BIC = {c['bic']:.5g}", "",
                  f"{CHI2_DEFINITION}; RSS = Σ (y − f)²" + (" / sd²" if self.noise == "sd" else "") + ".", ""]
        lines.append(f"Multistart: {self.n_starts} starts (seed {self.seed}), {self.n_failed} failed, "
                     f"{self.n_converged} reached the best objective (within 0.1 in χ²).")
        if len(self.names) > 1:
            lines += ["", "Correlation of the estimates (estimation scale):", ""]
            lines.append("| | " + " | ".join(self.names) + " |")
            lines.append("|---" * (len(self.names) + 1) + "|")
            for i, n in enumerate(self.names):
                lines.append(f"| {n} | " + " | ".join(f"{self.correlation[i, j]:.3f}" for j in range(len(self.names))) + " |")
        if self.warnings:
            lines += ["", "## Identifiability and warnings", ""]
            lines += [f"- {w}" for w in self.warnings]
        else:
            lines += ["", "No identifiability problem found: every profile is closed and no correlation exceeds 0.99."
                      if self.ci_method == "profile" else
                      "No correlation exceeds 0.99. Profiles were not computed (Wald intervals from the Hessian), "
                      "so whether every profile is closed was not checked."]
        return "\n".join(lines) + "\n"

    def __str__(self) -> str:
        return self.report()

    def __repr__(self) -> str:
        try:
            return (f"<FitResult {self.model.id}: {len(self.names)} parameters, χ²={self.chi2:.5g}, "
                    f"{self.n_converged}/{self.n_starts} starts at best, {len(self.warnings)} warnings; "
                    f"{values_text(self.estimates)}>")
        except Exception:  # noqa: BLE001 - a repr must never raise
            return "<FitResult>"

    # ------------------------------------------------------------------ I/O
    def to_dict(self) -> dict:
        return {
            "model": self.model.id,
            "data": self.data_source,
            "parameters": {n: {"estimate": self.estimates[n], "se": self.se[n], "ci_low": self.ci[n][0],
                               "ci_high": self.ci[n][1], "wald_low": self.wald_ci[n][0], "wald_high": self.wald_ci[n][1],
                               "unit": self.units.get(n, ""), "scale": self.scales[n], "lower": self.bounds[n][0],
                               "upper": self.bounds[n][1], "at_bound": self.at_bound(n)} for n in self.names},
            "ci_method": self.ci_method,
            "objective": self.objective,
            "chi2": self.chi2,
            "rss": self.objective,
            "chi2_definition": CHI2_DEFINITION,
            "loglik": self.criteria["loglik"],
            "aic": self.criteria["aic"],
            "aicc": self.criteria["aicc"],
            "bic": self.criteria["bic"],
            "n_data": self.n_data,
            "n_parameters": self.n_parameters,
            "noise": self.noise,
            "noise_levels": self.noise_levels,
            "n_starts": self.n_starts,
            "n_failed": self.n_failed,
            "n_converged": self.n_converged,
            "seed": self.seed,
            "correlation": self.correlation.tolist(),
            "warnings": self.warnings,
            "starts": json.loads(self.starts.to_json(orient="records")),
            "profiles": self.profiles,
            "sbml": self.model.sbml,
        }

    def to_json(self, path: str | os.PathLike, force: bool = False) -> Path:
        """Save as JSON (atomic; refuses to overwrite without ``force``)."""
        return atomic_write_text(path, dumps(self.to_dict(), indent=2) + "\n", force=force)

    @classmethod
    def from_json(cls, path: str | os.PathLike) -> "FitResult":
        """Load a result written by :meth:`to_json`."""
        import pandas as pd

        from ..models.sbml import read_sbml

        try:
            d = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise FitError(f"{path}: not a receptorkin fit result ({exc})") from None
        try:
            model = read_sbml(d["sbml"], name=str(path))
            names = list(d["parameters"])
            P = d["parameters"]
            num = lambda v: math.nan if v is None else float(v)  # noqa: E731
            return cls(
                model=model, names=names,
                estimates={n: num(P[n]["estimate"]) for n in names}, se={n: num(P[n]["se"]) for n in names},
                ci={n: (num(P[n]["ci_low"]), num(P[n]["ci_high"])) for n in names},
                wald_ci={n: (num(P[n]["wald_low"]), num(P[n]["wald_high"])) for n in names},
                scales={n: P[n]["scale"] for n in names}, units={n: P[n]["unit"] for n in names},
                bounds={n: (num(P[n]["lower"]), num(P[n]["upper"])) for n in names},
                chi2=float(d.get("chi2", d["objective"])), rss=num(d.get("rss")),
                ci_method=str(d.get("ci_method", "profile")), n_data=int(d["n_data"]), n_parameters=int(d["n_parameters"]),
                noise=d["noise"], noise_levels=d["noise_levels"],
                criteria={k: num(d[k]) for k in ("loglik", "aic", "aicc", "bic")},
                starts=pd.DataFrame(d["starts"]), correlation=np.array(d["correlation"], dtype=float),
                warnings=list(d["warnings"]), profiles=d.get("profiles", {}), seed=d.get("seed"), data_source=d.get("data", ""),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise FitError(f"{path}: not a receptorkin fit result (missing or bad field: {exc})") from None

    def fitted_model(self):
        """The model with the estimates written into its parameters (per-condition
        estimates: the first condition's value, the others in the notes)."""
        values, notes = {}, {}
        for n in self.names:
            base = n.split("[", 1)[0]
            lo, hi = self.ci[n]
            text = (f"receptorkin fit: {n} = {self.estimates[n]:.6g} (SE {self.se[n]:.3g}; "
                    f"95% {_ci_label(self.ci_method)} CI [{lo:.4g}, {hi:.4g}])")
            notes[base] = (notes[base] + " " + text) if base in notes else text
            if base in self.model.parameters and base not in values:
                values[base] = self.estimates[n]
        return self.model.with_values(values, notes=notes)

    def to_sbml(self, path: str | os.PathLike, force: bool = False) -> Path:
        """Write the fitted model as validated SBML (atomic, no overwrite without ``force``)."""
        return self.fitted_model().write(path, force=force)


def _ci_label(method: str) -> str:
    return "profile" if method == "profile" else "Wald, from the Hessian"


def f_test(simple: FitResult, complex_: FitResult) -> tuple[float, float]:
    """F test of nested models fitted to the same data: F and its p-value.

    ``F = ((RSS₁ − RSS₂)/(p₂ − p₁)) / (RSS₂/(n − p₂))``.
    """
    from scipy import stats

    if simple.n_data != complex_.n_data:
        raise FitError("F test: the fits use different data")
    p1, p2 = simple.n_parameters, complex_.n_parameters
    if p2 <= p1:
        raise FitError(f"F test: the second model must have more parameters ({p2} <= {p1})")
    n = complex_.n_data
    F = ((simple.objective - complex_.objective) / (p2 - p1)) / (complex_.objective / (n - p2))
    return float(F), float(stats.f.sf(F, p2 - p1, n - p2))


def compare_fits(results: Sequence[FitResult], labels: Sequence[str] | None = None):
    """Rank fits of the same data by AICc: table with χ², k, AICc, ΔAICc, Akaike
    weight, BIC, and the F test against the simplest fit when nested."""
    import pandas as pd

    if not results:
        raise FitError("compare: no fits given")
    n = {r.n_data for r in results}
    if len(n) != 1:
        raise FitError(f"compare: the fits use different numbers of data points ({sorted(n)})")
    labels = list(labels) if labels is not None else [r.model.id for r in results]
    rows = []
    for label, r in zip(labels, results):
        rows.append({"model": label, "n_parameters": r.n_parameters, "chi2": r.chi2, "rss": r.objective, "loglik": r.criteria["loglik"],
                     "aicc": r.criteria["aicc"], "bic": r.criteria["bic"]})
    df = pd.DataFrame(rows)
    best = df["aicc"].min()
    df["delta_aicc"] = df["aicc"] - best
    w = np.exp(-0.5 * df["delta_aicc"].to_numpy())
    df["weight"] = w / w.sum()
    simplest = min(range(len(results)), key=lambda i: results[i].n_parameters)
    ps = []
    for i, r in enumerate(results):
        if r.n_parameters > results[simplest].n_parameters:
            ps.append(f_test(results[simplest], r)[1])
        else:
            ps.append(math.nan)
    df["f_test_p_vs_simplest"] = ps
    return df.sort_values("aicc").reset_index(drop=True)
