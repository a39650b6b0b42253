"""Writing CLI outputs atomically, never overwriting without --force.

Standard output carries only the data asked for (a table, a number, a
report); "wrote FILE" notes and other progress go to :func:`log`, which the
CLI sends to stderr (``--quiet`` silences them).
"""

from __future__ import annotations

import sys
from typing import Any, Iterable


class _Logger:
    """``logging.getLogger('receptorkin.cli')``, looked up on first use: the
    subcommand modules import this module while ``--help`` is built, and
    importing :mod:`logging` there would slow every start-up."""

    def __getattr__(self, name: str) -> Any:
        import logging

        return getattr(logging.getLogger("receptorkin.cli"), name)


#: the CLI's logger: INFO notes on stderr unless --quiet
log = _Logger()

#: the output path that means standard output
STDOUT = "-"


def check_free(paths: Iterable[str | None], force: bool) -> None:
    """Refuse before any work if an output exists (so nothing is half-written)."""
    from ..io import check_writable

    for p in paths:
        if p and p != STDOUT:
            check_writable(p, force)


def wrote(path) -> None:
    """Note an output file on stderr (not stdout, which may carry data)."""
    log.info("wrote %s", path)


def write_table(df, path: str | None, force: bool, index: bool = True) -> None:
    """Write a DataFrame as CSV to ``path`` (atomically), or to stdout for ``None`` or ``'-'``."""
    from ..io import write_csv

    if path is None or path == STDOUT:
        df.to_csv(sys.stdout, index=index, float_format="%.10g")
        sys.stdout.flush()
        return
    write_csv(df, path, force, index=index)
    wrote(path)


def save_figure(fig, path: str, force: bool) -> None:
    from ..plots import save_figure as save

    save(fig, path, force)
