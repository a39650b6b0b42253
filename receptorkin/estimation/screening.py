"""Screen then search: short local runs from many seeded points, full searches from the best of them."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..errors import FitError
from .multistart import MultistartResult, StartRecord, multistart
from .optimize import LocalResult

__all__ = ["screened_multistart"]


def screened_multistart(objective: Any, candidates: np.ndarray, lower: np.ndarray, upper: np.ndarray, n_searches: int, *,
                        screen_options: dict[str, Any], n_forced: int = 0, kind: str = "least_squares", jobs: int = 1,
                        scheduler: Any = None, progress: bool | None = None, desc: str = "multistart",
                        seed: int | None = None,
                        screen_local: Callable[..., tuple[LocalResult, dict]] | None = None,
                        local: Callable[..., tuple[LocalResult, dict]] | None = None,
                        **options: Any) -> MultistartResult:
    """A multistart whose full local searches start from the best ends of a cheap screen.

    Every candidate first gets a short local run (``screen_local`` with
    ``screen_options``, e.g. a few trust-region iterations); the
    ``n_searches`` candidates whose short runs ended lowest (ties by index,
    so the choice is the same on every backend) are then continued by the
    full ``local`` search from those end points.  The budget that a plain
    multistart spends on full searches from points that lead nowhere goes to
    looking at more of the space: on a sloppy ODE model the first few
    iterations already separate starts that head for a plateau from those
    that head for the well-fitting region.

    Parameters
    ----------
    objective
        As in :func:`~receptorkin.estimation.multistart`.
    candidates
        ``n_candidates × n_parameters`` points (estimation scale), e.g. a
        seeded :func:`~receptorkin.estimation.latin_hypercube` of several
        times ``n_searches`` points.
    lower, upper
        Bounds (estimation scale).
    n_searches
        Full local searches (at most the number of candidates).
    screen_options
        Options of the short run (e.g. ``{"max_iter": 40}``).
    n_forced
        The first ``n_forced`` candidates (e.g. user-given starts) are searched
        whatever their screen, in addition to the ``n_searches`` best of the rest.
    kind, jobs, scheduler, progress, desc, seed
        As in :func:`~receptorkin.estimation.multistart`.
    screen_local, local
        Local optimizers of the screen and of the search (module-level
        functions as in :func:`~receptorkin.estimation.multistart`; None: the
        default local optimizer of ``kind``).
    options
        Options of the full search.

    Returns
    -------
    MultistartResult
        Every candidate in candidate order.  A searched one carries its
        screen end in ``extra["screen_objective"]`` and the evaluations of
        both runs; the others keep their screen end with status
        ``'screened'``.  ``extra["phase"]`` is ``'search'`` or ``'screened'``.

    Raises
    ------
    FitError
        ``n_searches`` or ``n_forced`` out of range.
    """
    candidates = np.atleast_2d(np.asarray(candidates, dtype=float))
    n = len(candidates)
    if not 0 <= n_forced <= n:
        raise FitError(f"n_forced must lie in [0, {n}] (got {n_forced})")
    if not 0 <= n_searches <= n - n_forced:
        raise FitError(f"n_searches must lie in [0, {n - n_forced}], the candidates left to choose from (got {n_searches})")
    screen = multistart(objective, candidates, lower, upper, kind=kind, jobs=jobs, scheduler=scheduler,
                        progress=progress, desc=f"{desc}: screen", seed=seed, local=screen_local, **screen_options)
    rest = sorted((s for s in screen.starts[n_forced:] if s.status != "failed"), key=lambda s: (s.objective, s.index))
    chosen = screen.starts[:n_forced] + rest[:n_searches]
    chosen = [s for s in chosen if s.status != "failed"]
    merged = {s.index: StartRecord(s.index, s.x0, s.x, s.objective, s.nfev, s.njev,
                                   "screened" if s.status != "failed" else "failed", s.reason,
                                   {**s.extra, "phase": "screened"}) for s in screen.starts}
    if chosen:
        search = multistart(objective, np.array([s.x for s in chosen]), lower, upper, kind=kind, jobs=jobs,
                            scheduler=scheduler, progress=progress, desc=f"{desc}: search", seed=seed, local=local,
                            **options)
        for before, after in zip(chosen, search.starts):
            seconds = before.extra.get("seconds", 0.0) + after.extra.get("seconds", 0.0)
            merged[before.index] = StartRecord(before.index, before.x0, after.x, after.objective,
                                               before.nfev + after.nfev, before.njev + after.njev, after.status,
                                               after.reason, {**after.extra, "seconds": seconds, "phase": "search",
                                                              "screen_objective": before.objective})
    return MultistartResult([merged[i] for i in range(n)], kind, seed)
