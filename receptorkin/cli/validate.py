"""``receptorkin validate FILE``: libsbml validation, units included."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validate", help="validate an SBML or Antimony file (errors, unit warnings, unsupported constructs)")
    p.add_argument("file", metavar="FILE", help="SBML (.xml) or Antimony (.ant) file, or a bundled model id")
    p.add_argument("--strict", action="store_true", help="exit 1 on warnings too")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..models.sbml import validate_source

    report = validate_source(args.file)
    print(report)
    if args.strict and report.warnings:
        return 1
    return 0
