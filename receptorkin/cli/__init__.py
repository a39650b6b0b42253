"""Command-line interface: ``receptorkin COMMAND ...``.

Each subcommand lives in its own module of this package with two functions,
``register(subparsers)`` and ``run(args)``.  The CLI only parses arguments,
calls the library and prints; library imports happen inside ``run`` so that
``receptorkin --help`` stays instant.  Errors the library raises on purpose
(:class:`receptorkin.errors.ReceptorkinError`) are printed on one line with
exit status 1; usage errors exit with status 2 (argparse's convention).

Standard output carries only the data asked for (a CSV table with no
``-o`` or with ``-o -``, a number, a report); notes such as "wrote FILE",
warnings and solver diagnostics go through :mod:`logging` to stderr
(``--quiet``: warnings and errors only; ``--verbose``: debug detail, the
solver's captured messages included).  A data file given as ``-`` is read
from stdin.  Figures are drawn with matplotlib's non-interactive Agg
backend, chosen here and nowhere in the library.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    from pathlib import Path

from ..version import __version__

#: subcommand modules, in the order ``--help`` lists them
COMMANDS = ["models", "simulate", "dose_response", "validate", "curve", "fit", "compare",
            "regimen", "export", "petab", "population"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="receptorkin",
        description="Receptor kinetics: simulate receptor regulation, fit models to "
        "dose-response data, design dosing that avoids desensitization, export SBML.",
    )
    parser.add_argument("--version", action="version", version=f"receptorkin {__version__}")
    noise = parser.add_mutually_exclusive_group()
    noise.add_argument("-q", "--quiet", action="store_true", help="print only results, warnings and errors")
    noise.add_argument("-v", "--verbose", action="store_true", help="also print debug detail (solver messages)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMANDS:
        try:
            module = importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError as exc:  # a command whose module is not part of this build
            if exc.name == f"{__name__}.{name}":
                continue
            raise
        module.register(sub)
    return parser


def one_line(exc: BaseException, most: int = 5) -> str:
    """An error message on one line: several problems are joined with '; '."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    if not lines:
        return type(exc).__name__
    shown = "; ".join(lines[:most])
    if len(lines) > most:
        shown += f"; ... and {len(lines) - most} more"
    return shown


def _spool_stdin(args: argparse.Namespace) -> "Path | None":
    """A data file given as ``-``: copy stdin into a temporary file and use that.

    Returns the temporary folder to remove afterwards (None if stdin is not used).
    """
    if getattr(args, "data", None) != "-":
        return None
    import shutil
    import tempfile
    from pathlib import Path

    folder = Path(tempfile.mkdtemp(prefix="receptorkin-stdin-"))
    target = folder / "stdin.csv"
    with open(target, "wb") as fh:
        shutil.copyfileobj(sys.stdin.buffer, fh)
    args.data = str(target)
    return folder


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``receptorkin`` console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    import os
    import shutil
    import warnings

    from ._logging import configure_logging

    configure_logging(quiet=args.quiet, verbose=args.verbose)
    os.environ["MPLBACKEND"] = "Agg"  # the CLI only saves figures; set before matplotlib is imported
    from ..errors import ReceptorkinError, ReceptorkinWarning
    from ..progress import set_quiet

    set_quiet(bool(getattr(args, "quiet", False)))  # global --quiet: no progress lines or bars
    show = warnings.showwarning

    def one_line_warning(message, category, filename, lineno, file=None, line=None):  # type: ignore[no-untyped-def]
        if issubclass(category, ReceptorkinWarning):  # the library's warnings: one line, like the log
            import logging

            logging.getLogger("receptorkin").warning(one_line(message))
        else:
            show(message, category, filename, lineno, file, line)

    warnings.showwarning = one_line_warning
    spooled = None
    try:
        spooled = _spool_stdin(args)
        return int(args.func(args) or 0)
    except ReceptorkinError as exc:
        message = one_line(exc)
        if spooled is not None:
            message = message.replace(str(spooled / "stdin.csv"), "<stdin>")
        print(f"receptorkin: error: {message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("receptorkin: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader of stdout went away (e.g. '| head'): stop quietly, like cat
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return 141  # 128 + SIGPIPE, as a shell reports a process killed by SIGPIPE
    except OSError as exc:  # a file the library does not wrap (a directory, a full disk, no permission)
        where = f"{exc.filename}: " if exc.filename is not None else ""
        print(f"receptorkin: error: {where}{exc.strerror or one_line(exc)}", file=sys.stderr)
        return 1
    finally:
        warnings.showwarning = show
        io = sys.modules.get("receptorkin.io")
        if io is not None:  # output folders staged by a command that failed: remove them now
            io.discard_uncommitted()
        if spooled is not None:
            shutil.rmtree(spooled, ignore_errors=True)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
