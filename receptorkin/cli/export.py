"""``receptorkin export MODEL -o model.xml``: validated SBML (or an OMEX experiment), fitted values written in."""

from __future__ import annotations

import argparse

from ._common import parse_assignments, parse_numbers, points
from ._outputs import log as _log


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export", help="write a model as validated SBML (fitted values, regimen) or as an OMEX experiment",
        description="Write a bundled or loaded model as SBML Level 3 Version 2, validated with libsbml, with fitted "
        "values (and their intervals, in the notes) from a fit.json and a dosing regimen as events. With an "
        "output ending in .omex, write a COMBINE archive with a SED-ML time course (--t-end) or dose-response "
        "(--doses) instead.")
    p.add_argument("model", metavar="MODEL", help="bundled model id or path to an SBML/Antimony file")
    p.add_argument("--fit", metavar="FIT.json", help="fit result whose estimates are written into the parameters")
    p.add_argument("--regimen", metavar="TEXT", help="dosing regimen (one-line form) written into the model as events")
    p.add_argument("--until", metavar="T", help="end of the events of an open-ended regimen, with a unit (e.g. 14d)")
    p.add_argument("--set", action="append", metavar="ID=VALUE", help="other parameter / initial values (repeat, or comma-separate)")
    p.add_argument("-o", "--output", required=True, metavar="PATH", help="output .xml (SBML) or .omex (COMBINE archive)")
    p.add_argument("--force", action="store_true", help="overwrite an existing output file")
    g = p.add_argument_group("OMEX experiment (output ending in .omex)")
    g.add_argument("--t-end", metavar="T", help="time course end, with a unit (e.g. 24h) or in the model's time unit")
    g.add_argument("--points", type=points, default=101, metavar="N", help="time course output times (default 101)")
    g.add_argument("--dose", metavar="C", help="ligand concentration for the time course (e.g. 10nM)")
    g.add_argument("--doses", metavar="LO:HI:N or D1,D2,...", help="dose-response scan instead of a time course")
    g.add_argument("--readout", default="steady", metavar="steady|TIME", help="dose-response readout (default steady)")
    g.add_argument("--ligand", metavar="ID", help="dose input (default: the model's ligand)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..errors import ReceptorkinError
    from ..io import check_writable

    check_writable(args.output, args.force)
    values = parse_numbers(parse_assignments(args.set))
    if args.output.lower().endswith(".omex"):
        return _omex(args, values)
    for name in ("t_end", "doses", "dose"):
        if getattr(args, name) is not None:
            raise ReceptorkinError(f"--{name.replace('_', '-')} is for an .omex output; {args.output} is SBML")
    from ..export import export_sbml

    result = export_sbml(args.model, args.output, fit=args.fit, regimen=args.regimen, until=args.until,
                         values=values or None, force=args.force)
    for w in result.warnings:
        _log.warning(str(w))
    msg = f"wrote {result.path}"
    if result.written:
        msg += f" ({len(result.written)} fitted value{'s' if len(result.written) != 1 else ''} written)"
    _log.info(msg)
    if result.skipped:
        _log.warning(f"not model quantities, not written: {', '.join(result.skipped)}")
    return 0


def _omex(args: argparse.Namespace, values: dict[str, float]) -> int:
    from ..errors import ReceptorkinError
    from ..models.sbml import load_model
    from ..export.sedml import dose_response_omex, timecourse_omex
    from ..units import parse_concentration, parse_time

    model = load_model(args.model)
    if args.fit:
        from ..export import apply_fit

        model, written, skipped = apply_fit(model, args.fit)
        if skipped:
            _log.warning(f"not model quantities, not written: {', '.join(skipped)}")
    if args.doses is not None:
        from .dose_response import parse_doses

        readout: str | float = args.readout
        if readout.strip().lower() not in ("steady", "steady_state", "ss", "steady-state"):
            readout = parse_time(readout, model.time_unit, "--readout")
        path = dose_response_omex(args.output, model, parse_doses(args.doses), readout, ligand=args.ligand,
                                  values=values or None, regimen=args.regimen, force=args.force)
    else:
        if args.t_end is None:
            raise ReceptorkinError("an .omex output needs --t-end (time course) or --doses (dose-response)")
        if args.dose is not None:
            lig = args.ligand or model.ligand
            if lig is None:
                raise ReceptorkinError(f"model {model.id!r} declares no ligand: name it with --ligand ID")
            values[lig] = parse_concentration(args.dose, model.dose_unit, "--dose")
        path = timecourse_omex(args.output, model, parse_time(args.t_end, model.time_unit, "--t-end"), args.points,
                               values=values or None, regimen=args.regimen, force=args.force)
    _log.info(f"wrote {path}")
    return 0
