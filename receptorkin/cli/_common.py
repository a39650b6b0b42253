"""Helpers shared by the CLI subcommands (argument parsing only, no science)."""

from __future__ import annotations

import argparse


def add_model_arguments(p: argparse.ArgumentParser) -> None:
    """MODEL, --ligand and --observable, as every model-driven command takes them."""
    p.add_argument("model", metavar="MODEL", help="bundled model id (see 'receptorkin models') or path to an SBML/Antimony file")
    p.add_argument("--ligand", metavar="ID", help="species or parameter that a dose sets (default: the model's declared ligand)")
    p.add_argument("--observable", metavar="ID", help="species, parameter or rule variable to read out (default: the model's)")


def add_output_arguments(p: argparse.ArgumentParser, what: str = "output file") -> None:
    p.add_argument("-o", "--output", metavar="PATH", help=f"{what} (refuses to overwrite without --force)")
    p.add_argument("--force", action="store_true", help="overwrite existing output")


def parse_assignments(items: list[str] | None, what: str = "--set") -> dict[str, str]:
    """``['k=1', 'a=2,b=3']`` -> ``{'k': '1', 'a': '2', 'b': '3'}`` (values still text).

    A name given twice (``--set k=1 --set k=2``) is an error, not "the last wins".
    """
    from ..errors import ReceptorkinError

    out: dict[str, str] = {}
    for item in items or []:
        for part in item.split(","):
            part = part.strip()
            if not part:
                continue
            key, sep, value = part.partition("=")
            key, value = key.strip(), value.strip()
            if not sep or not key or not value:
                raise ReceptorkinError(f"{what} {part!r}: expected ID=VALUE")
            if key in out:
                raise ReceptorkinError(f"{what} {key}: given twice ({key}={out[key]} and {key}={value}); give it once")
            out[key] = value
    return out


def parse_number(text: str, what: str) -> float:
    """One finite number from an option value (``nan``, ``inf``, ``1e999`` are refused)."""
    import math

    from ..errors import ReceptorkinError

    try:
        value = float(text)
    except ValueError:
        raise ReceptorkinError(f"{what}: {text!r} is not a number") from None
    if not math.isfinite(value):
        raise ReceptorkinError(f"{what}: {text!r} is not a finite number")
    return value


def parse_numbers(assignments: dict[str, str], what: str = "--set") -> dict[str, float]:
    """``{'k': '1'}`` -> ``{'k': 1.0}``; every value must be a finite number."""
    return {k: parse_number(v, f"{what} {k}={v}") for k, v in assignments.items()}


def parse_range(text: str, what: str) -> tuple[str, str]:
    """``'LO:HI'`` -> ``('LO', 'HI')`` (still text); anything else, such as a third
    ``:part``, is an error rather than silently dropped."""
    from ..errors import ReceptorkinError

    parts = text.split(":")
    if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
        raise ReceptorkinError(f"{what}: expected LO:HI with two values (got {text!r})")
    return parts[0].strip(), parts[1].strip()


def _int_at_least(text: str, least: int) -> int:
    """``text`` as a whole number >= ``least``, or argparse's one-line error."""
    try:
        value = int(text)
    except ValueError:
        value = least - 1
    if value < least:
        raise argparse.ArgumentTypeError(f"expected a whole number >= {least} (got {text!r})")
    return value


def non_negative_int(text: str) -> int:
    """argparse type of a seed or a count that may be 0: a whole number >= 0."""
    return _int_at_least(text, 0)


#: most output times or doses one command may generate (each costs a simulation row)
MAX_POINTS = 100_000


def points(text: str) -> int:
    """argparse type of ``--points``: a whole number from 0 to :data:`MAX_POINTS`."""
    value = non_negative_int(text)
    if value > MAX_POINTS:
        raise argparse.ArgumentTypeError(f"at most {MAX_POINTS} output times (got {text})")
    return value


def finite_float(text: str) -> float:
    """argparse type of a finite number (``nan``/``inf`` refused)."""
    import math

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number (got {text!r})") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number (got {text!r})")
    return value


def positive_int(text: str) -> int:
    """argparse type of a count: a whole number >= 1."""
    return _int_at_least(text, 1)
