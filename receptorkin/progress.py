"""Progress of long work (multistart starts, profiles, populations, regimen searches).

One behaviour everywhere, decided by :func:`progress_bar`'s ``show``:

``show=None`` (the default everywhere)
    In a terminal (stderr is a TTY) or a Jupyter kernel: a live tqdm bar that
    disappears when the phase ends.  Otherwise (piped, redirected, CI logs):
    *one* clean line per phase on stderr when it ends, e.g.
    ``fit starts: 20/20 done in 12.4 s``, and nothing while it runs.
``show=True``
    Always the live tqdm bar.
``show=False``
    Nothing.

:func:`set_quiet` (the CLI's ``--quiet``) silences every phase whatever
``show`` says.  Progress always goes to stderr, never to stdout.

Example
-------
>>> from receptorkin.progress import progress_bar
>>> with progress_bar(3, "demo", show=False) as bar:
...     for _ in range(3):
...         bar.update()
"""

from __future__ import annotations

import sys
import time
from typing import Any, Iterable, Iterator, TextIO, TypeVar

__all__ = ["Progress", "progress_bar", "progress_iter", "set_quiet", "is_quiet", "interactive"]

T = TypeVar("T")
_QUIET = False


def set_quiet(quiet: bool = True) -> None:
    """Silence (or re-enable) all progress output of this process."""
    global _QUIET
    _QUIET = bool(quiet)


def is_quiet() -> bool:
    """True after ``set_quiet(True)``."""
    return _QUIET


def interactive(stream: TextIO | None = None) -> bool:
    """True when a live bar makes sense: ``stream`` (default stderr) is a terminal or a Jupyter kernel runs."""
    stream = sys.stderr if stream is None else stream
    try:
        if stream.isatty():
            return True
    except (AttributeError, ValueError):
        pass
    return "ipykernel" in sys.modules


class Progress:
    """A phase of work with a known (or unknown) number of steps.

    Use :func:`progress_bar` to make one.  Call :meth:`update` as steps finish
    and :meth:`close` (or use it as a context manager) at the end.

    Attributes
    ----------
    desc
        Name of the phase, shown in front of the counts.
    total
        Number of steps, or ``None`` if unknown.
    n
        Steps done so far.
    mode
        ``'bar'`` (live tqdm bar), ``'line'`` (one line at the end) or ``'off'``.
    """

    def __init__(self, total: int | None, desc: str, mode: str, unit: str = "it", stream: TextIO | None = None) -> None:
        self.total = total
        self.desc = desc
        self.mode = mode
        self.unit = unit
        self.n = 0
        self.postfix = ""
        self._stream = stream
        self._t0 = time.perf_counter()
        self._closed = False
        self._bar: Any = None
        if mode == "bar":
            from tqdm.auto import tqdm

            out = stream if stream is not None else sys.stderr
            self._bar = tqdm(total=total, desc=desc or None, unit=unit, leave=False, file=out, **_size_of(out))

    def update(self, n: int = 1) -> None:
        """Record ``n`` more finished steps."""
        self.n += int(n)
        if self._bar is not None:
            self._bar.update(int(n))

    def set_postfix_str(self, text: str) -> None:
        """Extra text after the counts (e.g. the best objective so far); kept for the final line."""
        self.postfix = str(text)
        if self._bar is not None:
            self._bar.set_postfix_str(self.postfix)

    def close(self) -> None:
        """End the phase: remove the bar, or write the one summary line."""
        if self._closed:
            return
        self._closed = True
        if self._bar is not None:
            self._bar.close()
        if self.mode == "line" and not _QUIET:
            stream = self._stream if self._stream is not None else sys.stderr
            counts = f"{self.n}/{self.total}" if self.total is not None else f"{self.n}"
            state = "done" if self.total is None or self.n >= self.total else "stopped"
            extra = f" ({self.postfix})" if self.postfix else ""
            print(f"{self.desc}: {counts} {self.unit} {state} in {time.perf_counter() - self._t0:.1f} s{extra}",
                  file=stream, flush=True)

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _size_of(stream: TextIO) -> dict[str, int]:
    """tqdm size options for a terminal that reports no size (0 x 0, e.g. a fresh pseudo-terminal).

    tqdm hides every bar when the terminal has 0 rows, so such a terminal
    would show no progress at all; it gets 80 columns and 24 rows instead.
    """
    import os

    try:
        size = os.get_terminal_size(stream.fileno())
    except (AttributeError, OSError, ValueError):
        return {}
    return {"ncols": 80, "nrows": 24} if size.columns == 0 or size.lines == 0 else {}


def progress_bar(total: int | None, desc: str, *, show: bool | None = None, unit: str = "it",
                 stream: TextIO | None = None) -> Progress:
    """Start a phase of work (see the module docstring for ``show``).

    Parameters
    ----------
    total
        Number of steps (``None`` if unknown).
    desc
        Name of the phase, e.g. ``'fit starts'``.
    show
        ``None``: live bar when interactive, one line at the end otherwise;
        ``True``: live bar; ``False``: nothing.
    unit
        What a step is (``'start'``, ``'individual'``, ...).
    stream
        Where to write (default stderr).
    """
    if _QUIET or show is False:
        mode = "off"
    elif show is True or interactive(stream):
        mode = "bar"
    else:
        mode = "line"
    return Progress(total, desc, mode, unit, stream)


def progress_iter(iterable: Iterable[T], desc: str, *, total: int | None = None, show: bool | None = None,
                  unit: str = "it", stream: TextIO | None = None) -> Iterator[T]:
    """Iterate with progress; the phase ends when the iteration does (or is abandoned)."""
    if total is None:
        try:
            total = len(iterable)  # type: ignore[arg-type]
        except TypeError:
            total = None
    with progress_bar(total, desc, show=show, unit=unit, stream=stream) as bar:
        for item in iterable:
            yield item
            bar.update()
