"""Seeded starting points: the package's one Latin hypercube."""

from __future__ import annotations

import inspect

import numpy as np

from ..errors import FitError

__all__ = ["latin_hypercube"]


def latin_hypercube(lower: np.ndarray, upper: np.ndarray, n: int, seed: int | None,
                    first: np.ndarray | None = None) -> np.ndarray:
    """``n`` starting vectors spread over the box by a seeded Latin hypercube
    (``scipy.stats.qmc.LatinHypercube`` driven by ``numpy.random.default_rng(seed)``).

    Parameters
    ----------
    lower, upper
        Bounds on the estimation scale (log10 bounds give log-uniform starts).
    n
        Number of starts (≥ 1).
    seed
        Seed; the same seed gives the same starts.
    first
        A vector to use as start 0 (e.g. the problem's initial values); the
        hypercube then fills the other ``n − 1``.
    """
    from scipy.stats import qmc

    lower = np.asarray(lower, dtype=float)
    upper = np.asarray(upper, dtype=float)
    if n < 1:
        raise FitError(f"the number of starts must be at least 1 (got {n})")
    if not (np.all(np.isfinite(lower)) and np.all(np.isfinite(upper))):
        raise FitError("Latin-hypercube starts need finite bounds for every estimated parameter")
    if np.any(lower >= upper):
        bad = int(np.flatnonzero(lower >= upper)[0])
        raise FitError(f"parameter {bad}: lower bound {lower[bad]:g} is not below upper bound {upper[bad]:g}")
    rows = []
    if first is not None:
        rows.append(np.asarray(first, dtype=float))
    m = n - len(rows)
    if m > 0:
        rng = np.random.default_rng(seed)
        kw = {"rng": rng} if "rng" in inspect.signature(qmc.LatinHypercube).parameters else {"seed": rng}
        u = qmc.LatinHypercube(d=lower.size, **kw).random(m)
        rows += list(lower + u * (upper - lower))
    return np.array(rows)
