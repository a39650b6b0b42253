"""Hierarchical optimization of PEtab problems: scaling factors and noise levels in closed form.

Many observables are a model quantity times an unknown scaling factor
(``observableFormula = observableParameter1_X * IRp``, the scale of a
western blot) with an unknown noise level (``noiseFormula =
noiseParameter1_X``).  For fixed dynamic parameters the best scaling
factor is a weighted least-squares ratio and the best noise level is the
root mean squared residual; both are exact constrained optima when clipped
to their bounds (the negative log-likelihood is convex in the scaling
factor, and unimodal in σ).  Optimizing the dynamic parameters only, with
these "inner" parameters solved at every evaluation, gives the same
maximum likelihood over a smaller space, which Loos, Krause & Hasenauer
(2018, Bioinformatics 34:4266) found to make multistart fits converge more
often and faster.

A parameter is treated as inner only when it is safe:

* a scaling factor: estimated, no prior, not in the model nor in any
  condition, and everywhere it appears it is an ``observableParameter``
  that multiplies the whole formula (degree-one homogeneous), of a ``lin``
  observable with normal noise whose σ does not involve the observable; at
  most one inner scaling per formula; the σ of its rows is either fixed (a
  number, a fixed or outer parameter: weighted ratio) or one single inner σ
  (the weights cancel);
* a noise level: estimated, no prior, positive lower bound, not in the model
  nor in any condition, and everywhere it appears it is the whole
  ``noiseFormula`` of a normal-noise observable.

Anything else stays an outer parameter, so the result is never an
approximation: the objective at the returned point is the problem's own.

This module sits below the problem (:mod:`.problem`): the planner reads plain
values (:class:`PlanInputs`, built by :meth:`PetabProblem.inner_plan
<receptorkin.petab.PetabProblem.inner_plan>`), and the plan solves with any
:class:`Evaluator` (a :class:`~receptorkin.petab.PetabProblem` is one).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from .experiments import Group
from .scales import scale_value

__all__ = ["Evaluator", "InnerPlan", "PlanInputs", "plan_inner"]


class Evaluator(Protocol):
    """What a plan solves with: the problem's simulated observables and σ per measurement row
    (:meth:`PetabProblem.evaluate <receptorkin.petab.PetabProblem.evaluate>` and
    :meth:`~receptorkin.petab.PetabProblem.evaluate_gradient`)."""

    def evaluate(self, xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...

    def evaluate_gradient(self, xs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]: ...


@dataclass(frozen=True)
class PlanInputs:
    """What the planner reads of a problem: plain values.

    Attributes
    ----------
    x_ids, x_scales
        Ids and ``parameterScale`` of the estimated parameters.
    est_index
        Parameter-table row of each estimated parameter.
    lower, upper
        Bounds of every parameter-table row, on linear scale.
    in_model
        Parameter-table rows that are model parameters some math of the model uses.
    in_conditions
        Parameter-table rows that a condition reads.
    with_prior
        Parameter-table rows with an objective prior.
    groups
        Every experiment's groups of measurement rows, in experiment order.
    transformed
        Per measurement row, the measurement on its observable's transformation t(m).
    transformations
        Per measurement row, the observable's transformation (lin, log, log10).
    """

    x_ids: tuple[str, ...]
    x_scales: tuple[str, ...]
    est_index: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    in_model: frozenset[int]
    in_conditions: frozenset[int]
    with_prior: frozenset[int]
    groups: tuple[Group, ...]
    transformed: np.ndarray
    transformations: np.ndarray


@dataclass(frozen=True)
class _Scaling:
    k: int  # position in the estimated-parameter vector x
    rows: np.ndarray  # measurement rows it scales
    weighted: bool  # σ differs between rows or is fixed: weights 1/σ²
    lower: float  # bounds on linear scale
    upper: float


@dataclass(frozen=True)
class _Sigma:
    k: int
    rows: np.ndarray
    lower: float
    upper: float


@dataclass(frozen=True)
class InnerPlan:
    """Which estimated parameters are solved in closed form, and how.

    Attributes
    ----------
    inner_ids
        Ids of the inner parameters (scaling factors first, then noise levels).
    outer
        Positions, in the problem's ``x_ids``, of the parameters an optimizer
        still has to move.
    x_scales
        ``parameterScale`` of every estimated parameter.
    transformed, transformations
        Per measurement row: t(m) and the observable transformation.
    """

    scalings: tuple[_Scaling, ...]
    sigmas: tuple[_Sigma, ...]
    outer: np.ndarray
    inner_ids: tuple[str, ...]
    n_x: int
    x_scales: tuple[str, ...]
    transformed: np.ndarray
    transformations: np.ndarray

    @property
    def inner(self) -> np.ndarray:
        return np.array(sorted({s.k for s in self.scalings} | {s.k for s in self.sigmas}), dtype=int)

    def solve(self, problem: Evaluator, x_outer: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The full parameter vector, simulated observables and σ at the inner optimum.

        Parameters
        ----------
        problem
            The problem this plan was made for (or the same problem at other
            solver tolerances).
        x_outer
            Outer parameters on their PEtab scales, in the order of ``outer``.

        Returns
        -------
        x, y, sigma
            ``x`` on the parameter scales (inner ones at their optimum), and
            per measurement row the simulated observable and its σ there; one
            simulation of the model, so ``problem.llh(x)`` equals the
            log-likelihood of ``y`` and ``sigma``.
        """
        xs = self._start(x_outer)
        y, sigma = problem.evaluate(xs)
        return self._apply(xs, y, sigma)

    def solve_with_gradient(self, problem: Evaluator, x_outer: np.ndarray):
        """As :meth:`solve`, plus the exact derivatives of ``y`` and σ with respect
        to the full ``x`` at fixed inner values (rows × parameters): by the
        envelope theorem, the gradient of the likelihood at the inner optimum
        with respect to the outer parameters is this partial derivative."""
        xs = self._start(x_outer)
        y, sigma, dy, dsigma = problem.evaluate_gradient(xs)
        return (*self._apply(xs, y, sigma, dy, dsigma), dy, dsigma)

    def _start(self, x_outer: np.ndarray) -> np.ndarray:
        scales = self.x_scales
        xs = np.empty(self.n_x)
        xs[self.outer] = x_outer
        for k in self.inner:
            xs[k] = scale_value(1.0, scales[k])  # y of a scaled row is then the unscaled model quantity
        return xs

    def _apply(self, xs: np.ndarray, y: np.ndarray, sigma: np.ndarray,
               dy: np.ndarray | None = None, dsigma: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        scales = self.x_scales
        tm = self.transformed
        for sc in self.scalings:
            h = y[sc.rows]
            w = 1.0 / sigma[sc.rows] ** 2 if sc.weighted else 1.0
            den = float(np.sum(w * h * h))
            s = float(np.sum(w * tm[sc.rows] * h)) / den if den > 0 and math.isfinite(den) else 1.0
            s = min(max(s, sc.lower), sc.upper) if math.isfinite(s) else s
            y[sc.rows] = s * h
            if dy is not None:
                dy[sc.rows] *= s
            xs[sc.k] = scale_value(s, scales[sc.k])
        trans = self.transformations
        for sg in self.sigmas:
            yy, t = y[sg.rows], trans[sg.rows]
            with np.errstate(divide="ignore", invalid="ignore"):
                ty = np.where(t == "log", np.log(yy), np.where(t == "log10", np.log10(yy), yy))
            v = math.sqrt(float(np.mean((ty - tm[sg.rows]) ** 2)))
            v = min(max(v, sg.lower), sg.upper) if math.isfinite(v) else v
            sigma[sg.rows] = v
            if dsigma is not None:
                dsigma[sg.rows] = 0.0
            with np.errstate(divide="ignore", invalid="ignore"):
                xs[sg.k] = scale_value(v, scales[sg.k])
        return xs, y, sigma


def _is_linear_factor(expr, name: str) -> bool:
    """``expr`` is ``symbol * g`` with ``g`` free of the symbol."""
    import sympy as sp

    sym = next((s for s in expr.free_symbols if s.name == name), None)
    if sym is None:
        return False
    g = sp.diff(expr, sym)
    if sym in g.free_symbols:
        return False
    return sp.simplify(expr - sym * g) == 0


def plan_inner(inputs: PlanInputs) -> InnerPlan | None:
    """The hierarchical plan of a problem (read as plain values), or None when no parameter qualifies.

    See the module docstring for the rules; a parameter that fails any of
    them stays outer.
    """
    est = inputs.est_index
    pos = {int(i): k for k, i in enumerate(est)}
    blocked: set[int] = set(inputs.in_model) | set(inputs.in_conditions) | set(inputs.with_prior)
    scale_rows: dict[int, list[np.ndarray]] = {}
    scale_sigma: dict[int, set] = {}
    sigma_rows: dict[int, list[np.ndarray]] = {}
    linear_cache: dict[tuple[str, str], bool] = {}
    for g in inputs.groups:
        obs = g.obs
        candidates = []
        for a, nm in zip(g.obs_args, obs.formula.args):
            if a[0] != "par":
                continue
            i = a[1]
            ok = (nm.startswith("observableParameter") and obs.transformation == "lin"
                  and obs.distribution == "normal" and g.sigma_source[0] != "other"
                  and sum(1 for b in g.obs_args if b == a) == 1)
            if ok:
                key = (obs.id, nm)
                if key not in linear_cache:
                    linear_cache[key] = _is_linear_factor(obs.formula.expr, nm)
                ok = linear_cache[key]
            if ok:
                candidates.append(i)
            else:
                blocked.add(i)
        if len(candidates) > 1:  # a product of two scalings has no closed form here
            blocked.update(candidates)
        for i in candidates:
            scale_rows.setdefault(i, []).append(g.rows)
            scale_sigma.setdefault(i, set()).add(g.sigma_source)
        for a in g.noise_args:
            if a[0] != "par":
                continue
            i = a[1]
            if obs.distribution == "normal" and g.sigma_source == a:
                sigma_rows.setdefault(i, []).append(g.rows)
            else:
                blocked.add(i)
    both = set(scale_rows) & set(sigma_rows)
    blocked |= both
    sigmas = []
    for i, rows in sigma_rows.items():
        if i in blocked or i not in pos or not (inputs.lower[i] > 0):
            continue
        sigmas.append(_Sigma(pos[i], np.sort(np.concatenate(rows)), float(inputs.lower[i]),
                             float(inputs.upper[i])))
    inner_sigma = {int(est[s.k]) for s in sigmas}
    scalings = []
    for i, rows in scale_rows.items():
        if i in blocked or i not in pos:
            continue
        sources = scale_sigma[i]
        inner_sources = [s for s in sources if s[0] == "par" and s[1] in inner_sigma]
        if inner_sources and len(sources) > 1:
            continue  # rows weighted by different σ, one of them solved too: no closed form
        scalings.append(_Scaling(pos[i], np.sort(np.concatenate(rows)), not inner_sources,
                                 float(inputs.lower[i]), float(inputs.upper[i])))
    if not scalings and not sigmas:
        return None
    inner = {s.k for s in scalings} | {s.k for s in sigmas}
    outer = np.array([k for k in range(est.size) if k not in inner], dtype=int)
    x_ids = inputs.x_ids
    names = tuple(x_ids[s.k] for s in scalings) + tuple(x_ids[s.k] for s in sigmas)
    return InnerPlan(tuple(scalings), tuple(sigmas), outer, names, int(est.size), tuple(inputs.x_scales),
                     inputs.transformed, inputs.transformations)
