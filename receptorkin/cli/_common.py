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
    """``['k=1', 'a=2,b=3']`` -> ``{'k': '1', 'a': '2', 'b': '3'}`` (values still text)."""
    from ..errors import ReceptorkinError

    out: dict[str, str] = {}
    for item in items or []:
        for part in item.split(","):
            part = part.strip()
            if not part:
                continue
            key, sep, value = part.partition("=")
            if not sep or not key.strip() or not value.strip():
                raise ReceptorkinError(f"{what} {part!r}: expected ID=VALUE")
            out[key.strip()] = value.strip()
    return out


def parse_numbers(assignments: dict[str, str], what: str = "--set") -> dict[str, float]:
    from ..errors import ReceptorkinError

    out = {}
    for k, v in assignments.items():
        try:
            out[k] = float(v)
        except ValueError:
            raise ReceptorkinError(f"{what} {k}={v}: {v!r} is not a number") from None
    return out
