"""Writing CLI outputs atomically, never overwriting without --force."""

from __future__ import annotations

import sys
from typing import Iterable

from ..io import atomic_path, check_writable


def check_free(paths: Iterable[str | None], force: bool) -> None:
    """Refuse before any work if an output exists (so nothing is half-written)."""
    for p in paths:
        if p:
            check_writable(p, force)


def write_table(df, path: str | None, force: bool, index: bool = True) -> None:
    """Write a DataFrame as CSV to ``path`` (atomically) or to stdout."""
    if path is None:
        df.to_csv(sys.stdout, index=index, float_format="%.10g")
        return
    with atomic_path(path, force) as tmp:
        df.to_csv(tmp, index=index, float_format="%.10g")
    print(f"wrote {path}")


def save_figure(fig, path: str, force: bool) -> None:
    import matplotlib.pyplot as plt

    with atomic_path(path, force) as tmp:
        fig.savefig(tmp, dpi=120, bbox_inches="tight", format=str(path).rsplit(".", 1)[-1].lower() if "." in str(path) else "png")
    plt.close(fig)
