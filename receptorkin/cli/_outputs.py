"""Writing CLI outputs atomically, never overwriting without --force."""

from __future__ import annotations

import sys
from typing import Iterable

from ..io import check_writable, write_csv


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
    write_csv(df, path, force, index=index)
    print(f"wrote {path}")


def save_figure(fig, path: str, force: bool) -> None:
    from ..plots import save_figure as save

    save(fig, path, force)
