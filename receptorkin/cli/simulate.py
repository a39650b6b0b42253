"""``receptorkin simulate MODEL --t-end T``: a time course to CSV (and PNG)."""

from __future__ import annotations

import argparse

from ._common import add_model_arguments, add_output_arguments, parse_assignments, parse_numbers, points


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("simulate", help="simulate a time course", description="Simulate a model from its initial state and write the time course as CSV.")
    add_model_arguments(p)
    p.add_argument("--t-end", required=True, metavar="T", help="end time, with a unit (e.g. 24h, 90min) or in the model's time unit")
    p.add_argument("--points", type=points, default=101, metavar="N", help="output times (default 101)")
    p.add_argument("--set", action="append", metavar="ID=VALUE", help="parameter or initial value (repeat, or comma-separate)")
    p.add_argument("--dose", metavar="C", help="ligand concentration for the whole run (e.g. 100nM)")
    p.add_argument("--columns", metavar="ID,...", help="columns to output (default: observables and species)")
    add_output_arguments(p, "CSV file (default or '-': standard output)")
    p.add_argument("--plot", metavar="PNG", help="also plot the time course to this PNG")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import sys
    import warnings

    from ..errors import AssumedUnitWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", AssumedUnitWarning)
        code = _run(args)
    for w in caught:  # one line each; other warnings keep their usual route
        if issubclass(w.category, AssumedUnitWarning):
            print(f"receptorkin: warning: {w.message}", file=sys.stderr)
        else:
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)
    return code


def _run(args: argparse.Namespace) -> int:
    from ..models.units import model_units, read_dose, read_time
    from ..simulation import Simulator
    from . import _outputs

    values = parse_numbers(parse_assignments(args.set))
    _outputs.check_free([args.output, args.plot], args.force)
    sim = Simulator(args.model, ligand=args.ligand, observable=args.observable)
    params = {k: v for k, v in values.items() if k in sim.parameters}
    initial = {k: v for k, v in values.items() if k not in params}
    sim.set(params)
    if args.dose is not None:
        if sim.ligand is None:
            from ..errors import ModelError

            raise ModelError(f"model {sim.id!r} declares no ligand: name it with --ligand ID")
    units = model_units(sim.model, sim.ligand)
    t_end = read_time(units, args.t_end, "--t-end")
    if args.dose is not None:
        initial[sim.ligand] = read_dose(units, args.dose, "--dose")
    columns = [c.strip() for c in args.columns.split(",")] if args.columns else None
    df = sim.timecourse(t_end, args.points, values=initial, selections=columns)
    _outputs.write_table(df, args.output, args.force)
    if args.plot:
        from ..plots import plot_timecourse

        _outputs.save_figure(plot_timecourse(df, title=f"{sim.id}"), args.plot, args.force)
        _outputs.wrote(args.plot)
    return 0
