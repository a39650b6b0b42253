"""Multistart on the parallel backends, keeping every start."""

from __future__ import annotations

import math
import pickle
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..errors import FitError, ReceptorkinError
from ..parallel import run_tasks
from .optimize import LocalResult, fit_least_squares, minimize_likelihood

__all__ = ["StartRecord", "MultistartResult", "multistart", "refine"]


@dataclass
class StartRecord:
    """One start: where it began, where it ended and how."""

    index: int
    x0: np.ndarray
    x: np.ndarray
    objective: float
    nfev: int
    njev: int
    status: str  # 'converged', 'stopped', 'failed' or 'screened' (a short run only: screened_multistart)
    reason: str = ""
    extra: dict = field(default_factory=dict)


@dataclass
class MultistartResult:
    """Every start of a multistart, best first by objective.

    Attributes
    ----------
    starts
        :class:`StartRecord` of every start, in start order.
    kind
        ``'least_squares'`` (objective χ²) or ``'likelihood'`` (objective −log L).
    seed
        Seed of the starts, if known.
    """

    starts: list[StartRecord]
    kind: str
    seed: int | None = None

    @property
    def ok(self) -> list[StartRecord]:
        return [s for s in self.starts if s.status != "failed"]

    @property
    def searched(self) -> list[StartRecord]:
        """The starts that ran a full local search (not failed, not only screened)."""
        return [s for s in self.starts if s.status not in ("failed", "screened")]

    @property
    def best(self) -> StartRecord:
        ok = self.ok
        if not ok:
            raise FitError(f"all {len(self.starts)} starts failed: " + "; ".join(
                f"start {s.index}: {s.reason}" for s in self.starts[:5]))
        return min(ok, key=lambda s: (s.objective, s.index))

    def n_at_best(self, tol: float) -> int:
        """Starts whose objective is within ``tol`` of the best."""
        b = self.best.objective
        return sum(1 for s in self.ok if s.objective - b <= tol)

    def table(self, names: list[str] | None = None):
        """A pandas table, one row per start."""
        import pandas as pd

        rows = []
        for s in self.starts:
            row = {"start": s.index, "status": s.status, "objective": s.objective, "nfev": s.nfev, "njev": s.njev,
                   "reason": s.reason}
            for j, name in enumerate(names or [f"x{j}" for j in range(len(s.x0))]):
                row[f"start:{name}"] = float(s.x0[j])
                row[f"end:{name}"] = float(s.x[j])
            rows.append(row)
        return pd.DataFrame(rows)


def _setup(payload: bytes) -> Any:
    obj = pickle.loads(payload)
    prepare = getattr(obj, "prepare", None)
    if callable(prepare):
        prepare()
    return obj


def _same(obj: Any) -> Any:
    return obj


def _run(objective: Any, task: tuple) -> StartRecord:
    index, x0, lower, upper, kind, local, options = task
    try:
        if local is not None:
            res, extra = local(objective, x0, lower, upper, **options)
        elif kind == "least_squares":
            res, extra = fit_least_squares(objective, x0, lower, upper, **options), {}
        else:
            res, extra = minimize_likelihood(objective, x0, lower, upper, **options), {}
        if not math.isfinite(res.objective):
            raise FitError("objective is not finite at the end point")
        return StartRecord(index, np.asarray(x0), res.x, res.objective, res.nfev, res.njev,
                           "converged" if res.success else "stopped", "" if res.success else res.message, extra)
    except (ReceptorkinError, FloatingPointError, ValueError, ArithmeticError, np.linalg.LinAlgError) as exc:
        return StartRecord(index, np.asarray(x0), np.full(len(x0), math.nan), math.inf, 0, 0, "failed",
                           " ".join(str(exc).split())[:300])


def multistart(objective: Any, starts: np.ndarray, lower: np.ndarray, upper: np.ndarray, *,
               kind: str = "least_squares", jobs: int = 1, scheduler: Any = None, progress: bool | None = None,
               desc: str = "multistart", seed: int | None = None,
               local: Callable[..., tuple[LocalResult, dict]] | None = None, **options: Any) -> MultistartResult:
    """Run a local optimization from every start.

    Parameters
    ----------
    objective
        A picklable :class:`~receptorkin.estimation.LeastSquaresObjective` or
        :class:`~receptorkin.estimation.LikelihoodObjective`; if it has a
        ``prepare()`` method, each worker process calls it once (e.g. to
        compile a model).
    starts
        ``n_starts × n_parameters`` (estimation scale), e.g. from
        :func:`~receptorkin.estimation.latin_hypercube`.
    lower, upper
        Bounds (estimation scale).
    kind
        ``'least_squares'`` or ``'likelihood'``.
    jobs, scheduler
        1 = in this process; N = N worker processes; ``scheduler`` = a Dask
        address or client (:mod:`receptorkin.parallel`).  The same starts
        give the same result on every backend.
    progress
        tqdm progress bar (default: when stderr is a terminal).
    local
        A module-level function ``(objective, x0, lower, upper, **options) ->
        (LocalResult, extra dict)`` replacing the default local optimizer.
    options
        Passed to the local optimizer (``max_nfev``, ``tol``, ...).
    """
    if kind not in ("least_squares", "likelihood"):
        raise FitError(f"kind must be 'least_squares' or 'likelihood' (got {kind!r})")
    starts = np.atleast_2d(np.asarray(starts, dtype=float))
    lower = np.asarray(lower, dtype=float)
    upper = np.asarray(upper, dtype=float)
    tasks = [(i, s, lower, upper, kind, local, options) for i, s in enumerate(starts)]
    try:
        setup, args = _setup, (pickle.dumps(objective),)  # each run works on its own copy
    except (pickle.PicklingError, AttributeError, TypeError):
        if jobs != 1 or scheduler is not None:
            raise FitError("a parallel multistart needs a picklable objective (defined at module level)") from None
        setup, args = _same, (objective,)
    records = run_tasks(_run, tasks, setup=setup, setup_args=args, jobs=jobs,
                        progress=progress, desc=desc, scheduler=scheduler)
    return MultistartResult(list(records), kind, seed)


def refine(objective: Any, result: MultistartResult, lower: np.ndarray, upper: np.ndarray, n_best: int, *,
           local: Callable[..., tuple[LocalResult, dict]], jobs: int = 1, scheduler: Any = None,
           progress: bool | None = None, desc: str = "refine", **options: Any) -> MultistartResult:
    """Continue the ``n_best`` best starts of a multistart from their end points.

    A loose-then-tight scheme: the searches run cheaply (e.g. at a loose
    solver tolerance), and only the best ends are continued with ``local``
    on ``objective`` (e.g. the same problem at its own tolerances).  Each
    continued start keeps the better of its two ends, with the evaluations
    (and the ``seconds`` in ``extra``) of both runs; the others are returned
    unchanged.

    Parameters
    ----------
    objective
        Picklable objective of the continuation (same parameter space as
        ``result``; its objective values must be comparable with the
        records', e.g. both scored at the problem's tolerances).
    result
        The multistart to continue.
    lower, upper
        Bounds (estimation scale).
    n_best
        How many of the best successful full searches to continue (screened
        points of :func:`~receptorkin.estimation.screened_multistart` are not continued).
    local, jobs, scheduler, progress, options
        As in :func:`multistart`.

    Returns
    -------
    MultistartResult
        Every start, in start order.
    """
    ok = sorted(result.searched, key=lambda s: (s.objective, s.index))[:max(0, int(n_best))]
    if not ok:
        return result
    again = multistart(objective, np.array([s.x for s in ok]), lower, upper, kind=result.kind, jobs=jobs,
                       scheduler=scheduler, progress=progress, desc=desc, seed=result.seed, local=local, **options)
    merged = {s.index: s for s in result.starts}
    for before, after in zip(ok, again.starts):
        nfev, njev = before.nfev + after.nfev, before.njev + after.njev
        seconds = before.extra.get("seconds", 0.0) + after.extra.get("seconds", 0.0)
        kept = after if after.status != "failed" and after.objective <= before.objective else before
        merged[before.index] = StartRecord(before.index, before.x0, kept.x, kept.objective, nfev, njev,
                                           kept.status, kept.reason, {**kept.extra, "seconds": seconds})
    return MultistartResult([merged[s.index] for s in result.starts], result.kind, result.seed)
