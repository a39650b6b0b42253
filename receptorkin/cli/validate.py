"""``receptorkin validate FILE``: libsbml validation, units included."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validate", help="validate an SBML or Antimony file (errors, unit warnings, unsupported constructs)")
    p.add_argument("file", metavar="FILE", help="SBML (.xml) or Antimony (.ant) file, or a bundled model id")
    p.add_argument("--strict", action="store_true", help="exit 1 on warnings too")
    p.add_argument("--all", action="store_true", help="every libSBML message in full (default: grouped by kind)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..models.diagnostics import summarize
    from ..models.sbml import validate_source

    report = validate_source(args.file)
    if args.all:
        print(report)
    else:
        sbml, antimony = _sources(Path(args.file))
        print(summarize(report, sbml, antimony))
    if args.strict and report.warnings:
        return 1
    return 0


def _sources(path) -> tuple[str | None, str | None]:
    """(SBML text, Antimony text or None) of what was validated, for placing the messages."""
    from ..models import load_model

    if not path.is_file():
        return load_model(str(path)).sbml, None
    text = path.read_text(encoding="utf-8", errors="replace")
    if text.lstrip().startswith("<"):
        return text, None
    return load_model(str(path)).sbml, text
