"""The Pareto front of a trade-off (both objectives maximized)."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["pareto_front"]


def pareto_front(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Mask of the points not dominated when both ``x`` and ``y`` are maximized (NaN never on the front)."""
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    ok = np.isfinite(x) & np.isfinite(y)
    mask = np.zeros(x.size, bool)
    idx = np.flatnonzero(ok)
    if idx.size == 0:
        return mask
    # sort by x descending, then y descending; a point is on the front if its y beats every y before it
    order = idx[np.lexsort((-y[idx], -x[idx]))]
    best_y = -math.inf
    for i in order:
        if y[i] > best_y:
            mask[i] = True
            best_y = y[i]
    # equal points: keep duplicates of front points on the front
    for i in idx:
        if not mask[i]:
            dup = mask & (x == x[i]) & (y == y[i])
            if dup.any():
                mask[i] = True
    return mask
