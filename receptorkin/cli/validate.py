"""``receptorkin validate FILE``: libsbml validation, units included."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validate", help="validate an SBML or Antimony file (errors, unit warnings, unsupported constructs)",
                       description="Validate a model with libSBML, units included.  Problems are grouped by kind, one "
                       "line each with a count, and placed on the Antimony line that defines each element; "
                       "exit 1 on errors (and with --strict on warnings).")
    p.add_argument("file", metavar="FILE", help="SBML (.xml) or Antimony (.ant) file, or a bundled model id")
    p.add_argument("--strict", action="store_true", help="exit 1 on warnings too")
    p.add_argument("--all", "--verbose", dest="all", action="store_true",
                   help="every libSBML message in full, with its SBML line (default: grouped by kind)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..errors import SBMLError
    from ..models.diagnostics import summarize
    from ..models.sbml import check_supported, validate, validation_input

    sbml, name, antimony = validation_input(args.file)
    report = validate(sbml, name=name)
    full = args.all or getattr(args, "verbose", False)  # 'validate --verbose' or the global 'receptorkin -v validate'
    if report.errors and not full:  # an invalid model is an error: one line on stderr, exit 1
        raise SBMLError("\n".join(summarize(report, sbml, antimony).splitlines()))
    print(report if full else summarize(report, sbml, antimony))
    if report.errors:
        return 1
    check_supported(sbml, name)
    if args.strict and report.warnings:
        return 1
    return 0
