"""Run independent tasks serially or on a local process pool, with a progress bar.

Each worker process builds its expensive state once (for receptorkin: compiles
the model from SBML text) through ``setup``; tasks then only carry small
arguments.  RoadRunner objects never cross process boundaries (DESIGN §4).
Results come back in task order, so the same seed gives the same result
whichever backend runs the work.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Callable, Iterable, Sequence

__all__ = ["run_tasks", "resolve_jobs"]

_STATE: Any = None


def _init(setup: Callable[..., Any], setup_args: tuple) -> None:
    global _STATE
    _STATE = setup(*setup_args)


def _call(fn: Callable[[Any, Any], Any], item: Any) -> Any:
    return fn(_STATE, item)


def resolve_jobs(jobs: int | None) -> int:
    """``None``/``0`` -> all cores; negative -> cores + 1 + jobs; at least 1."""
    cores = os.cpu_count() or 1
    if not jobs:
        return cores
    if jobs < 0:
        return max(1, cores + 1 + jobs)
    return int(jobs)


def run_tasks(
    fn: Callable[[Any, Any], Any],
    items: Sequence[Any],
    *,
    setup: Callable[..., Any],
    setup_args: tuple = (),
    jobs: int = 1,
    progress: bool | None = None,
    desc: str = "",
) -> list[Any]:
    """Apply ``fn(state, item)`` to every item; ``state = setup(*setup_args)``
    is built once per process.

    Parameters
    ----------
    fn
        A module-level function (picklable).
    items
        Task arguments.
    setup, setup_args
        Builds the per-process state (e.g. a compiled problem).
    jobs
        1 runs in this process; N > 1 uses N worker processes.
    progress
        Show a tqdm progress bar (default: when stderr is a terminal).
    """
    from tqdm.auto import tqdm

    if progress is None:
        progress = sys.stderr.isatty()
    jobs = resolve_jobs(jobs)
    bar = tqdm(total=len(items), desc=desc, disable=not progress, leave=False)
    try:
        if jobs == 1 or len(items) <= 1:
            state = setup(*setup_args)
            out = []
            for item in items:
                out.append(fn(state, item))
                bar.update(1)
            return out
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor, as_completed

        ctx = mp.get_context("spawn" if sys.platform == "darwin" else "fork")
        results: list[Any] = [None] * len(items)
        with ProcessPoolExecutor(max_workers=min(jobs, len(items)), mp_context=ctx, initializer=_init,
                                 initargs=(setup, setup_args)) as pool:
            futures = {pool.submit(_call, fn, item): i for i, item in enumerate(items)}
            for fut in as_completed(futures):
                results[futures[fut]] = fut.result()
                bar.update(1)
        return results
    finally:
        bar.close()


def chunked(items: Iterable[Any], size: int) -> list[list[Any]]:
    """Split ``items`` into lists of at most ``size``."""
    out: list[list[Any]] = []
    for item in items:
        if not out or len(out[-1]) >= size:
            out.append([])
        out[-1].append(item)
    return out
