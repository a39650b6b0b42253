"""Command-line interface: ``receptorkin COMMAND ...``.

Each subcommand lives in its own module of this package with two functions,
``register(subparsers)`` and ``run(args)``.  The CLI only parses arguments,
calls the library and prints; library imports happen inside ``run`` so that
``receptorkin --help`` stays instant.  Errors the library raises on purpose
(:class:`receptorkin.errors.ReceptorkinError`) are printed on one line with
exit status 1; usage errors exit with status 2 (argparse's convention).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Sequence

from .. import __version__

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


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``receptorkin`` console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    import warnings

    from ..errors import ReceptorkinError, ReceptorkinWarning

    show = warnings.showwarning

    def one_line_warning(message, category, filename, lineno, file=None, line=None):  # type: ignore[no-untyped-def]
        if issubclass(category, ReceptorkinWarning):
            print(f"receptorkin: warning: {one_line(message)}", file=sys.stderr)
        else:
            show(message, category, filename, lineno, file, line)

    warnings.showwarning = one_line_warning
    try:
        return int(args.func(args) or 0)
    except ReceptorkinError as exc:
        print(f"receptorkin: error: {one_line(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("receptorkin: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:  # a file the library does not wrap (a directory, a full disk, no permission)
        where = f"{exc.filename}: " if exc.filename is not None else ""
        print(f"receptorkin: error: {where}{exc.strerror or one_line(exc)}", file=sys.stderr)
        return 1
    finally:
        warnings.showwarning = show
        io = sys.modules.get("receptorkin.io")
        if io is not None:  # output folders staged by a command that failed: remove them now
            io.discard_uncommitted()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
