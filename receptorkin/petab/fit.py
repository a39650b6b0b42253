"""Fitting a PEtab problem: the objective of the estimation engine over its search space, the multistart
fit and its result (estimates, standard errors, profiles, the starts that reached the best)."""

from __future__ import annotations

import json
import math
import os
import re
import time as _time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..display import NotebookDisplay, values_text
from ..errors import FitError, ModelError, SimulationError
from ..io import atomic_write_text
from ..models.sbml import closest
from .problem import PetabProblem
from .scales import unscale_value

__all__ = ["PetabFitResult", "PetabObjective", "fit_petab"]


@dataclass
class PetabFitResult(NotebookDisplay):
    """Result of :func:`fit_petab`.

    Attributes
    ----------
    x_ids, x_scales
        Estimated parameters and their PEtab scales.
    x
        Best parameters on their scales.
    llh
        Log-likelihood at ``x``.
    starts
        One row per point (kept also when it failed): start, phase
        (``'search'``: a full local search; ``'screened'``: only the short
        screen run, see :func:`fit_petab`), status, llh, evaluations,
        seconds, message, x0 and x on the parameter scales.
    """

    problem_name: str
    model_id: str
    x_ids: list[str]
    x_scales: list[str]
    x: np.ndarray
    llh: float
    log_prior: float
    n_measurements: int
    starts: Any  # pandas.DataFrame
    seed: int | None
    method: str
    elapsed: float
    units: dict[str, str] = field(default_factory=dict)
    inner_ids: list[str] = field(default_factory=list)
    standard_errors: dict[str, Any] = field(default_factory=dict)  # id -> {"se" (parameter scale), "estimable"}
    profiles: dict[str, Any] = field(default_factory=dict)  # id -> profile-likelihood 95% interval (parameter scale)

    @property
    def n_starts(self) -> int:
        """Full local searches (screened points not counted)."""
        return int((self.starts["phase"] != "screened").sum())

    @property
    def n_screened(self) -> int:
        """Points screened, given starts included (0: no screen)."""
        return int(len(self.starts)) if (self.starts["phase"] == "screened").any() else 0

    @property
    def n_failed(self) -> int:
        """Full searches that failed (a screened point that failed is in ``starts`` only)."""
        return int(((self.starts["status"] == "failed") & (self.starts["phase"] != "screened")).sum())

    @property
    def values(self) -> dict[str, float]:
        """Best estimates on linear scale."""
        return {pid: float(unscale_value(v, s)) for pid, v, s in zip(self.x_ids, self.x, self.x_scales)}

    @property
    def aicc(self) -> float:
        k, n = len(self.x_ids), self.n_measurements
        aic = 2 * k - 2 * self.llh
        return aic + (2 * k * (k + 1) / (n - k - 1) if n - k - 1 > 0 else math.inf)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the ``fit.json`` format that ``receptorkin export --fit`` reads)."""
        params = {}
        for pid, xv, sc in zip(self.x_ids, self.x, self.x_scales):
            se = self.standard_errors.get(pid, {})
            pr = self.profiles.get(pid, {})
            lo, hi = pr.get("ci_low"), pr.get("ci_high")
            params[pid] = {"estimate": float(unscale_value(xv, sc)), "scaled": float(xv), "scale": sc,
                           "se": se.get("se"), "se_scale": sc, "estimable": se.get("estimable"),
                           "ci_low": None if lo is None else float(unscale_value(lo, sc)),
                           "ci_high": None if hi is None else float(unscale_value(hi, sc)),
                           "ci_kind": "profile likelihood 95%" if pr else None, "unit": self.units.get(pid, "")}
        starts = []
        for rec in self.starts.to_dict(orient="records"):
            starts.append({k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in rec.items()})
        return {
            "model": self.model_id,
            "problem": self.problem_name,
            "parameters": params,
            "llh": self.llh,
            "log_prior": self.log_prior,
            "objective": -(self.llh + self.log_prior),
            "objective_kind": "negative log-likelihood" + (" plus negative log-prior" if self.log_prior else ""),
            "aicc": self.aicc if math.isfinite(self.aicc) else None,
            "n_measurements": self.n_measurements,
            "n_starts": self.n_starts,
            "n_screened": self.n_screened,
            "n_failed": self.n_failed,
            "n_at_best": self.n_at_best(),
            "seed": self.seed,
            "method": self.method,
            "hierarchical": bool(self.inner_ids),
            "inner_parameters": list(self.inner_ids),
            "elapsed_s": self.elapsed,
            "not_estimable": [pid for pid in self.x_ids if self.standard_errors.get(pid, {}).get("estimable") is False],
            "flat_directions": list(self.standard_errors.get("_flat", [])),
            "profiles": self.profiles,
            "starts": starts,
        }

    def write(self, outdir: "str | os.PathLike", force: bool = False) -> Path:
        """Write ``OUTDIR/fit.json`` (atomically; an existing file needs ``force``)."""
        out = Path(outdir)
        if not out.exists():
            out.mkdir(parents=True)
        from ..jsonout import dumps

        return atomic_write_text(out / "fit.json", dumps(self.to_dict(), indent=2) + "\n", force=force)

    def n_at_best(self, tol: float = 1e-3) -> int:
        """Full searches that ended within ``tol`` of the best log-likelihood (the usual multistart convergence count)."""
        llh = self.starts.loc[self.starts["phase"] != "screened", "llh"].to_numpy(dtype=float)
        return int(np.sum(np.isfinite(llh) & (llh >= self.llh - tol)))

    def __str__(self) -> str:
        how = f"{self.method}, hierarchical ({len(self.inner_ids)} in closed form)" if self.inner_ids else self.method
        lines = [f"PEtab fit of {self.problem_name} ({self.model_id}): llh = {self.llh:.6f}, "
                 f"{self.starts_text} ({self.n_failed} failed, {self.n_at_best()} within 1e-3 of "
                 "the best), "
                 f"{how}, {self.elapsed:.1f} s"]
        for pid, v in self.values.items():
            se = self.standard_errors.get(pid, {})
            note = ""
            if se.get("estimable") is False:
                note += "  SE: not estimable"
            elif se.get("se") is not None:
                note += f"  SE {se['se']:.3g} (on its scale)"
            pr = self.profiles.get(pid)
            if pr:
                lo = "open" if pr["ci_low"] is None else f"{unscale_value(pr['ci_low'], self.x_scales[self.x_ids.index(pid)]):.4g}"
                hi = "open" if pr["ci_high"] is None else f"{unscale_value(pr['ci_high'], self.x_scales[self.x_ids.index(pid)]):.4g}"
                note += f"  profile 95% [{lo}, {hi}]"
            lines.append(f"  {pid:24s} {v:.6g}" + ("  (closed form)" if pid in self.inner_ids else "") + note)
        return "\n".join(lines)

    @property
    def starts_text(self) -> str:
        """What the starts were, in words ("20 Latin-hypercube starts chosen from 80 screened points")."""
        text = f"{self.n_starts} Latin-hypercube starts"
        return text + (f" chosen from {self.n_screened} screened points" if self.n_screened else "")

    def __repr__(self) -> str:
        try:
            return (f"<PetabFitResult {self.problem_name}: llh={self.llh:.6g}, {self.n_starts} starts; "
                    f"{values_text(self.values)}>")
        except Exception:  # noqa: BLE001 - a repr must never raise
            return "<PetabFitResult>"


class PetabObjective:
    """A PEtab problem as an objective of the estimation engine, over its search space.

    The search space is every estimated parameter, or, for a hierarchical
    fit, the outer parameters only: scaling factors and noise levels are then
    solved in closed form at every evaluation (:mod:`receptorkin.petab.hierarchical`)
    and, by the envelope theorem, the gradient with respect to the outer
    parameters at the inner optimum is the partial derivative at fixed inner
    values.

    Parameters
    ----------
    problem
        The problem; end points are scored at its tolerances.
    hierarchical
        Solve the problem's inner parameters in closed form.
    search_rtol
        Relative solver tolerance of the search (absolute tolerance scaled
        alike) when looser than the problem's; None: the problem's own.
    """

    def __init__(self, problem: PetabProblem, hierarchical: bool, search_rtol: float | None = None) -> None:
        self.problem = problem
        self.search = problem
        rtol, atol = problem.tolerances
        if search_rtol is not None and search_rtol > rtol:
            self.search = problem.with_tolerances(float(search_rtol), atol * float(search_rtol) / rtol)
        self.plan = problem.inner_plan() if hierarchical else None
        self.free = self.plan.outer if self.plan is not None else np.arange(len(problem.x_ids))
        self.offset = problem.least_squares_offset()

    def full(self, z: np.ndarray, problem: PetabProblem | None = None) -> np.ndarray:
        """The full parameter vector (inner parameters at their optimum) of search point ``z``."""
        pr = problem or self.search
        if self.plan is None:
            return np.asarray(z, dtype=float).copy()
        return self.plan.solve(pr, np.asarray(z, dtype=float))[0]

    def _values(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self.plan is None:
            return (np.asarray(z, dtype=float), *self.search.evaluate(np.asarray(z, dtype=float)))
        return self.plan.solve(self.search, np.asarray(z, dtype=float))

    def _derivatives(self, z: np.ndarray):
        z = np.asarray(z, dtype=float)
        if self.plan is None:
            return (z, *self.search.evaluate_gradient(z))
        return self.plan.solve_with_gradient(self.search, z)

    def nll(self, z: np.ndarray) -> float:
        try:
            xs, y, sigma = self._values(z)
        except SimulationError:
            return math.inf
        v = float(np.sum(self.search.nllh_terms(y, sigma))) - self.search.log_prior(xs)
        return v if math.isfinite(v) else math.inf

    def nll_and_gradient(self, z: np.ndarray) -> tuple[float, np.ndarray]:
        try:
            xs, y, sigma, dy, dsigma = self._derivatives(z)
        except SimulationError:
            return math.inf, np.zeros(len(z))
        pr = self.search
        v = float(np.sum(pr.nllh_terms(y, sigma))) - pr.log_prior(xs)
        if not math.isfinite(v):
            return math.inf, np.zeros(len(z))
        g = pr.nllh_gradient(y, sigma, dy, dsigma) - pr.log_prior_gradient(xs)
        return v, g[self.free]

    def _check_ls(self) -> float:
        if self.offset is None:
            raise FitError("least_squares needs normal noise with constant or bounded-parameter sigma and no priors")
        return self.offset

    def residuals(self, z: np.ndarray) -> np.ndarray:
        """Least-squares form: ``(t(y) − t(m))/σ`` and ``sqrt(2(log σ + K))`` (½Σ of their squares = nllh + const)."""
        offset = self._check_ls()
        try:
            v = self.search.least_squares_residuals(*self._values(z)[1:], offset)
        except SimulationError:
            return np.full(2 * self.problem.n_measurements, np.inf)
        return v

    def residuals_and_jacobian(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        offset = self._check_ls()
        n = self.problem.n_measurements
        try:
            xs, y, sigma, dy, dsigma = self._derivatives(z)
        except SimulationError:
            return np.full(2 * n, np.inf), np.zeros((2 * n, len(z)))
        pr = self.search
        r = pr.least_squares_residuals(y, sigma, offset)
        res, s = r[:n], r[n:]
        trans = pr.transformations
        with np.errstate(divide="ignore", invalid="ignore"):
            dty = np.where(trans == "log", 1.0 / y, np.where(trans == "log10", 1.0 / (y * math.log(10.0)), 1.0))
            J = np.vstack([(dty[:, None] * dy - res[:, None] * dsigma) / sigma[:, None],
                           dsigma / (sigma * s)[:, None]])
        return r, J[:, self.free]


_LBFGSB_RESTARTS = 20
#: Fides iterations per start by default: a budget that keeps a 20-start Brannmark fit near the 510 s of
#: the method before the engine on 2 cores (about 0.04 s of CPU per iteration there)
_FIDES_ITERATIONS = 500
#: L-BFGS-B evaluations after Fides (its restarts together; the budget is checked between restarts).
#: Measured on Brannmark (seed 0, start 12 of 20): from Fides' end point (llh -144.67) L-BFGS-B takes
#: 570 evaluations to the optimum; starts in other basins stop after 70-670 (median ~200).
_FIDES_POLISH = 1500
#: Latin-hypercube points screened per local search by default (screen then search).  Measured on
#: Brannmark, 20 searches, 2 processes: the same CPU as 20 unscreened starts (799 and 800 s vs 796 s),
#: no search ending below -152.4 on seeds 0 and 1 (unscreened seed 0: seven below -150), but 1/20 and
#: 0/20 at the optimum (unscreened seed 0: 1/20)
_SCREEN = 4
#: Fides iterations (or L-BFGS-B iterations, least-squares evaluations) of a screen run.  Measured on
#: Brannmark (seed 0, 20 starts, Fides traces): after 40 iterations the one start that went on to the
#: optimum had the lowest objective of the 20; after 20 it was 6th
_SCREEN_ITERATIONS = 40
#: L-BFGS-B evaluations of the final polish at the problem's own tolerances (best starts only)
_POLISH_EVALUATIONS = 300
#: fraction of the starts (at least _POLISH_MIN) polished at the problem's tolerances after the search
_POLISH_FRACTION = 0.2
_POLISH_MIN = 4


def _restarted_lbfgsb(objective: PetabObjective, res: Any, lower: np.ndarray, upper: np.ndarray,
                      budget: float, per_run: int = 2000) -> tuple[Any, int]:
    """L-BFGS-B from ``res.x``, restarted from its end point while that improves (at most ``budget`` evaluations)."""
    from ..estimation import minimize_likelihood

    used = 0
    for _ in range(_LBFGSB_RESTARTS):
        if used >= budget:
            break
        again = minimize_likelihood(objective, res.x, lower, upper, max_iter=int(min(per_run, budget - used)), tol=1e-12)
        used += again.nfev
        better = again.objective < res.objective - 1e-6
        if again.objective <= res.objective:
            res = again
        if not better:
            break
    return res, used


def _first_run(objective: PetabObjective, x0: np.ndarray, lower: np.ndarray, upper: np.ndarray, method: str,
               max_iter: int) -> Any:
    """The first optimizer of ``method`` from ``x0`` (Fides, trust-region least squares or L-BFGS-B), at most
    ``max_iter`` iterations (least squares: evaluations); the search and the screen both start with it."""
    from ..estimation import fit_least_squares, minimize_likelihood
    from ..estimation.optimize import minimize_trust_region

    if method == "fides":
        # measured on Brannmark (same start): scipy's trust region with x_scale='jac' takes huge steps
        # along insensitive directions onto the plateau where insulin has no effect (llh -207.12 after
        # 15 evaluations, as L-BFGS-B); Fides with the Gauss-Newton Hessian went on to -149.5
        return minimize_trust_region(objective, x0, lower, upper, max_iter=max_iter, tol=1e-10, hessian="fim")
    if method == "least_squares":
        return fit_least_squares(objective, x0, lower, upper, max_nfev=max_iter, tol=1e-12)
    return minimize_likelihood(objective, x0, lower, upper, max_iter=max_iter, tol=1e-12)


def _petab_local(objective: PetabObjective, x0: np.ndarray, lower: np.ndarray, upper: np.ndarray, *,
                 method: str, max_iter: int) -> tuple[Any, dict[str, Any]]:
    """One local search with the exact derivatives; the end point scored at the problem's tolerances."""
    from ..estimation.optimize import LocalResult

    t0 = _time.perf_counter()
    # L-BFGS-B stops early on the plateaus of sloppy models (Brannmark: after ~12 evaluations at
    # llh ~ -205 from random starts, with a correct gradient); a restart drops its stale curvature
    # pairs, so it restarts from its end point while that still improves the objective.  After a
    # trust-region search (which stops short in the flat valley near the optimum, where several
    # parameters sit at their bounds: an interior method approaches a bound only geometrically) the
    # same L-BFGS-B runs continue from its end point; its projected steps put parameters on their bounds.
    first = _first_run(objective, x0, lower, upper, method, max_iter)
    if method in ("least_squares", "fides"):
        # the least-squares objective is χ² = 2·nll + const: compare on the nll scale from here on
        res = LocalResult(first.x, objective.nll(first.x), first.nfev, first.njev, first.success, first.message)
    else:
        res = first
    first_nfev = res.nfev
    # after Fides, L-BFGS-B finishes (at most _FIDES_POLISH evaluations): the budget is Fides'
    res, used = _restarted_lbfgsb(objective, res, lower, upper, _FIDES_POLISH if method == "fides" else math.inf,
                                   max_iter)
    nfev = first_nfev + used
    return _scored(objective, LocalResult(res.x, res.objective, nfev, nfev, res.success, res.message), t0)


def _petab_screen(objective: PetabObjective, x0: np.ndarray, lower: np.ndarray, upper: np.ndarray, *,
                  method: str, max_iter: int) -> tuple[Any, dict[str, Any]]:
    """A short run of the search's first optimizer (no L-BFGS-B after it), its end scored at the problem's tolerances."""
    from ..estimation.optimize import LocalResult

    t0 = _time.perf_counter()
    first = _first_run(objective, x0, lower, upper, method, max_iter)
    # ranked on the problem's own tolerances, as every other end point
    return _scored(objective, LocalResult(first.x, math.nan, first.nfev, first.njev, first.success, first.message), t0)


def _petab_polish(objective: PetabObjective, x0: np.ndarray, lower: np.ndarray, upper: np.ndarray, *,
                  max_evaluations: int) -> tuple[Any, dict[str, Any]]:
    """Continue a finished search from its end point with restarted L-BFGS-B at the objective's tolerances.

    The searches run at a looser solver tolerance (``search_rtol``); in the flat valleys of a sloppy
    model the objective's solver noise there is larger than the decrease a step predicts, and
    L-BFGS-B's line search gives up (measured on Brannmark at rtol 1e-8: noise ~5e-6 in ½χ² over a
    1e-6 step, against 1e-8 at rtol 1e-10).  At the problem's tolerances the same method goes on
    (Brannmark start 12: -141.89125 -> -141.88921 in 114 evaluations).
    """
    from ..estimation.optimize import LocalResult

    t0 = _time.perf_counter()
    x0 = np.asarray(x0, dtype=float)
    value, _ = objective.nll_and_gradient(x0)
    start = LocalResult(x0, float(value), 1, 1, True, "")
    res, used = _restarted_lbfgsb(objective, start, lower, upper, max_evaluations)
    return _scored(objective, LocalResult(res.x, res.objective, used + 1, used + 1, res.success, res.message), t0)


def _scored(objective: PetabObjective, res: Any, t0: float) -> tuple[Any, dict[str, Any]]:
    """A search's end point scored at the problem's own tolerances."""
    from ..estimation.optimize import LocalResult

    problem = objective.problem
    try:
        xs = objective.full(res.x, problem)
        llh = problem.llh(xs)
    except SimulationError as exc:
        raise SimulationError(f"the search ended where the model cannot be simulated at rtol {problem.tolerances[0]:g}: {exc}") from None
    if not math.isfinite(llh):
        raise FitError("the likelihood is undefined at the end point")
    value = -(llh + problem.log_prior(xs))
    return (LocalResult(res.x, value, res.nfev, res.njev, res.success, res.message),
            {"x": [float(v) for v in xs], "llh": float(llh), "seconds": _time.perf_counter() - t0})


def _fisher(problem: PetabProblem, x: np.ndarray) -> np.ndarray:
    """Fisher information of the negative log-likelihood at ``x`` (all estimated
    parameters, parameter scales): JᵀJ of the exact Jacobian of the
    least-squares form, or, for other noise models or priors, the Gauss–Newton
    information Σ ∇ℓᵢ ∇ℓᵢᵀ of the per-measurement terms (outer products of
    exact gradients)."""
    xs = np.asarray(x, dtype=float)
    y, sigma, dy, dsigma = problem.evaluate_gradient(xs)
    offset = problem.least_squares_offset()
    if offset is not None:
        obj = PetabObjective(problem, hierarchical=False)
        _, J = obj.residuals_and_jacobian(xs)
        return J.T @ J
    G = problem.nllh_row_gradients(y, sigma, dy, dsigma)
    return G.T @ G


def _uncertainty(problem: PetabProblem, x: np.ndarray, profiles: "bool | Sequence[str]", search_rtol: float | None,
                 level: float = 0.95) -> tuple[dict[str, Any], dict[str, Any]]:
    """Standard errors (engine, not-estimable flagged) and profile-likelihood intervals at the optimum ``x``."""
    from scipy.stats import chi2 as chi2_dist

    from ..estimation import profile, standard_errors

    ids = problem.x_ids
    se_info: dict[str, Any] = {}
    try:
        se = standard_errors(_fisher(problem, x))
    except (SimulationError, FitError, np.linalg.LinAlgError) as exc:
        return {"error": " ".join(str(exc).split())[:300]}, {}
    for k, pid in enumerate(ids):
        se_info[pid] = {"se": float(se.se[k]) if se.estimable[k] and math.isfinite(se.se[k]) else None,
                        "estimable": bool(se.estimable[k])}
    se_info["_flat"] = se.combinations(ids)
    prof_info: dict[str, Any] = {}
    wanted = list(ids) if profiles is True else [p for p in (profiles or [])]
    unknown = [p for p in wanted if p not in ids]
    if unknown:
        raise FitError(f"{problem.name}: cannot profile {unknown[0]!r}: not an estimated parameter{closest(unknown[0], ids)}")
    if not wanted:
        return se_info, prof_info
    if problem.least_squares_offset() is None:
        raise FitError(f"{problem.name}: profiles need the least-squares form (normal noise, no priors)")
    obj = PetabObjective(problem, hierarchical=False, search_rtol=search_rtol)
    r = obj.residuals(x)
    best = float(r @ r)
    threshold = best + float(chi2_dist.ppf(level, 1))
    lower, upper = problem.x_lower, problem.x_upper
    for pid in wanted:
        j = ids.index(pid)
        step = se.se[j] if se.estimable[j] and math.isfinite(se.se[j]) else 0.1
        pr = profile(obj, np.asarray(x, dtype=float), best, j, lower, upper, threshold, float(step), name=pid)
        prof_info[pid] = {"ci_low": None if pr.open_low else float(pr.ci[0]),
                          "ci_high": None if pr.open_high else float(pr.ci[1]),
                          "open_low": bool(pr.open_low), "open_high": bool(pr.open_high),
                          "values": [float(v) for v in pr.values],
                          "delta_chi2": [float(v - best) for v in pr.objective]}
    return se_info, prof_info


def fit_petab(
    problem: PetabProblem,
    n_starts: int = 20,
    seed: int | None = 0,
    jobs: int = 1,
    *,
    starts: "Sequence[Sequence[float]] | np.ndarray | None" = None,
    method: str = "auto",
    max_iter: int | None = None,
    hierarchical: bool | None = None,
    search_rtol: float | None = 1e-8,
    scheduler: Any = None,
    progress: bool | None = None,
    uncertainty: bool = True,
    profiles: "bool | Sequence[str]" = False,
    screen: int = _SCREEN,
    screen_iter: int = _SCREEN_ITERATIONS,
) -> PetabFitResult:
    """Multistart maximum-likelihood fit of a PEtab problem on the estimation engine.

    Every local search uses exact derivatives (forward sensitivities,
    :meth:`PetabProblem.nll_and_gradient`); starts come from the engine's
    seeded Latin hypercube and run on :mod:`receptorkin.parallel`'s serial,
    process-pool or Dask backends.

    Parameters
    ----------
    problem
        The problem; its objective is minimised over the estimated
        parameters on their PEtab scales, within their bounds.
    n_starts
        Full local searches from Latin-hypercube points in the bounds
        (parameter scales; :func:`receptorkin.estimation.latin_hypercube`),
        chosen by the screen (``screen``).  With a hierarchical fit the
        inner parameters of a point are ignored.
    seed
        Seed of the starts: the same seed gives the same result on every backend.
    jobs, scheduler
        Worker processes, or a Dask scheduler address/client.
    starts
        Extra starting points (rows on the parameter scales) run before the
        Latin-hypercube ones; they must lie within the bounds.
    method
        ``'fides'`` (Fides' interior trust-region reflective search on the
        weighted residuals with the Gauss–Newton Hessian ``JᵀJ`` of the exact
        Jacobian, estimated normal σ folded in exactly), ``'least_squares'``
        (scipy's trust-region reflective least squares, same residuals),
        ``'lbfgsb'`` (L-BFGS-B on −llh − log-prior with the exact gradient),
        or ``'auto'`` (Fides when the problem has the least-squares form:
        normal noise, no priors; else L-BFGS-B).  Each is continued by
        L-BFGS-B from its end point, restarted while it improves (it walks
        the flat valleys and active bounds where a trust region stops short;
        after Fides at most 1500 evaluations).  When the search tolerance is
        looser than the problem's, the best fifth of the starts (at least 4)
        are then continued by the same L-BFGS-B at the problem's tolerances
        (at most 300 evaluations each), where solver noise no longer stops
        its line search; a start keeps the better of its two end points.
    max_iter
        Per start: iterations of Fides (each one sensitivity run; default
        500, about 25 s on Brannmark), function evaluations of least squares
        or iterations of L-BFGS-B (default 2000).
    hierarchical
        Solve scaling factors and noise levels in closed form
        (:mod:`receptorkin.petab.hierarchical`).  Default: whenever the problem has such parameters.
    search_rtol
        Relative solver tolerance of the searches, when looser than the
        problem's own; every end point is scored at the problem's tolerances and the
        best starts are continued there (see ``method``).
        None: search at the problem's tolerances.
    progress
        Progress bar (:mod:`receptorkin.progress`; None: when stderr is a terminal).
    uncertainty
        Standard errors at the best point (Fisher information of the exact
        Jacobian; not-estimable parameters flagged, no number).
    profiles
        Profile-likelihood 95% intervals: True for every estimated parameter,
        or a list of ids (each costs a series of re-optimizations).
    screen, screen_iter
        Screen then search (:func:`receptorkin.estimation.screened_multistart`):
        ``screen × n_starts`` seeded Latin-hypercube points each get a short
        run of the method (``screen_iter`` Fides or L-BFGS-B iterations,
        least-squares evaluations; default 40), and the full searches
        continue from the ``n_starts`` lowest ends (their iterations count
        against ``max_iter``).  Default 4: 20 searches chosen from 80
        screened points.  ``screen=1``: every point is searched, no screen.
        Starts given in ``starts`` are always searched (after their own screen run).
        Every screened point stays in ``result.starts`` (``phase``
        ``'screened'``, its short run's end).

    Returns
    -------
    PetabFitResult

    Raises
    ------
    FitError
        A start outside the bounds, no starts, every start failed, or a
        problem the exact gradient does not support.
    """
    import pandas as pd

    from ..estimation import latin_hypercube, multistart, refine, screened_multistart

    lower, upper = problem.x_lower, problem.x_upper
    if problem.x_ids == []:
        raise FitError(f"{problem.name}: no parameter is estimated (estimate = 1 in the parameter table)")
    if method == "auto":
        # measured on Brannmark: L-BFGS-B alone stops at once on ill-conditioned points (±0.05 and ±0.1
        # from the nominal values: -142.21 and -143.03); a trust region then L-BFGS-B from its end point
        # reaches the optimum; of the trust regions, Fides (Gauss-Newton Hessian) leaves random starts
        # that scipy's trf walks onto plateaus (see _petab_local)
        method = "fides" if problem.least_squares_offset() is not None else "lbfgsb"
    if method not in ("least_squares", "lbfgsb", "fides"):
        raise FitError(f"unknown method {method!r} (least_squares, fides, lbfgsb, auto)")
    if method in ("least_squares", "fides") and problem.least_squares_offset() is None:
        raise FitError(f"{problem.name}: {method} needs normal noise with constant or bounded-parameter sigma and no priors")
    if max_iter is None:
        max_iter = _FIDES_ITERATIONS if method == "fides" else 2000
    x0s = []
    if starts is not None:
        extra = np.atleast_2d(np.asarray(starts, dtype=float))
        if extra.shape[1] != lower.size:
            raise FitError(f"starts have {extra.shape[1]} columns, expected {lower.size} ({', '.join(problem.x_ids)})")
        for k, row in enumerate(extra):
            bad = [(pid, v, lo, hi) for pid, v, lo, hi in zip(problem.x_ids, row, lower, upper) if not (lo <= v <= hi)]
            if bad:
                pid, v, lo, hi = bad[0]
                raise FitError(f"start {k}: {pid} = {v:g} is outside its bounds [{lo:g}, {hi:g}] (on its parameter scale)")
            x0s.append(row)
    if n_starts < 0:
        raise FitError(f"n_starts must be non-negative (got {n_starts})")
    if screen < 1 or screen_iter < 1:
        raise FitError(f"screen and screen_iter must be at least 1 (got {screen}, {screen_iter})")
    n_forced = len(x0s)
    if n_starts:
        x0s += list(latin_hypercube(lower, upper, int(n_starts) * int(screen), seed))
    if not x0s:
        raise FitError("no starts: give n_starts > 0 or starts")
    plan = problem.inner_plan()
    if hierarchical is None:
        hierarchical = plan is not None
    inner_ids = list(plan.inner_ids) if hierarchical and plan is not None else []
    problem.prepare_gradient()  # unsupported features fail here, once, with their reason
    objective = PetabObjective(problem, bool(inner_ids), search_rtol)
    free = objective.free
    X0 = np.array(x0s, dtype=float)
    t0 = _time.perf_counter()
    if screen > 1 and n_starts:
        ms = screened_multistart(objective, X0[:, free], lower[free], upper[free], int(n_starts), n_forced=n_forced,
                                 screen_options={"method": method, "max_iter": int(min(screen_iter, max_iter))},
                                 kind="likelihood", jobs=jobs, scheduler=scheduler, progress=progress,
                                 desc="petab fit", seed=seed, screen_local=_petab_screen, local=_petab_local,
                                 method=method, max_iter=int(max(1, max_iter - screen_iter)))
    else:
        ms = multistart(objective, X0[:, free], lower[free], upper[free], kind="likelihood", jobs=jobs,
                        scheduler=scheduler, progress=progress, desc="petab fit: starts", seed=seed, local=_petab_local,
                        method=method, max_iter=int(max_iter))
    if objective.search is not problem:
        # loose then tight: the best starts continue at the problem's own tolerances, where the solver
        # noise no longer stops L-BFGS-B's line search in the flat valleys (see _petab_polish)
        tight = PetabObjective(problem, bool(inner_ids), None)
        n_best = max(_POLISH_MIN, math.ceil(_POLISH_FRACTION * len(ms.searched)))
        ms = refine(tight, ms, lower[free], upper[free], n_best, local=_petab_polish, jobs=jobs, scheduler=scheduler,
                    progress=progress, desc="petab fit: polish", max_evaluations=_POLISH_EVALUATIONS)
    rows = []
    for rec, x0 in zip(ms.starts, X0):
        ok = rec.status != "failed"
        row = {"start": rec.index, "phase": rec.extra.get("phase", "search"), "status": rec.status, "llh": rec.extra.get("llh", math.nan) if ok else math.nan,
               "evaluations": rec.nfev, "seconds": rec.extra.get("seconds", math.nan), "message": rec.reason}
        x_end = rec.extra.get("x", [math.nan] * x0.size)
        for pid, v in zip(problem.x_ids, x0):
            row[f"x0:{pid}"] = float(v)
        for pid, v in zip(problem.x_ids, x_end):
            row[f"x:{pid}"] = float(v)
        rows.append(row)
    table = pd.DataFrame(rows)
    ok = [r for r in ms.starts if r.status != "failed"]
    if not ok:
        msgs = "; ".join(f"start {r.index}: {r.reason}" for r in ms.starts[:3])
        raise FitError(f"{problem.name}: every start failed ({len(ms.starts)}): {msgs}")
    best = max(ok, key=lambda r: (r.extra["llh"], -r.index))
    x = np.array(best.extra["x"], dtype=float)
    elapsed = _time.perf_counter() - t0
    se_info, prof_info = (_uncertainty(problem, x, profiles, search_rtol) if uncertainty or profiles else ({}, {}))
    units = {}
    for pid in problem.x_ids:
        try:
            units[pid] = problem.model.unit_of(pid)
        except ModelError:
            units[pid] = ""
    return PetabFitResult(problem.name, problem.model.id, problem.x_ids, problem.x_scales, x, float(best.extra["llh"]),
                          problem.log_prior(x), problem.n_measurements, table, seed, method, elapsed, units, inner_ids,
                          se_info, prof_info)


