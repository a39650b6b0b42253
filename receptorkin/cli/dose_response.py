"""``receptorkin dose-response MODEL --doses LO:HI:N``."""

from __future__ import annotations

import argparse

from ._common import add_model_arguments, add_output_arguments, parse_assignments, parse_numbers


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("dose-response", help="a dose-response curve at steady state or at a time",
                       description="Simulate the response to each dose of the ligand.")
    add_model_arguments(p)
    p.add_argument("--doses", required=True, metavar="LO:HI:N or D1,D2,...",
                   help="log-spaced doses LO:HI:N (e.g. 1e-3:1e3:12) or an increasing list, in the model's dose unit (nM)")
    p.add_argument("--readout", default="steady", metavar="steady|TIME", help="'steady' (default) or a time after dosing, e.g. 30min")
    p.add_argument("--set", action="append", metavar="ID=VALUE", help="parameter value (repeat, or comma-separate)")
    add_output_arguments(p, "CSV file (default or '-': standard output)")
    p.add_argument("--plot", metavar="PNG", help="also plot the curve to this PNG")
    p.set_defaults(func=run)


def parse_doses(text: str, what: str = "--doses") -> list[float]:
    """``'1e-3:1e3:12'`` (log-spaced, inclusive) or ``'0,1,10'``.

    Every dose is finite and there are at most :data:`~receptorkin.cli._common.MAX_POINTS`
    of them (N is checked before anything is generated).
    """
    import math

    import numpy as np

    from ..errors import ReceptorkinError
    from ._common import MAX_POINTS

    text = text.strip()
    if ":" in text:
        parts = text.split(":")
        if len(parts) != 3:
            raise ReceptorkinError(f"{what} {text!r}: expected LO:HI:N, e.g. 1e-3:1e3:12")
        try:
            lo, hi, n = float(parts[0]), float(parts[1]), int(parts[2].strip())
        except ValueError:
            raise ReceptorkinError(f"{what} {text!r}: LO and HI must be numbers and N a whole number") from None
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise ReceptorkinError(f"{what} {text!r}: LO and HI must be finite numbers")
        if n > MAX_POINTS:
            raise ReceptorkinError(f"{what} {text!r}: at most {MAX_POINTS} doses (got N={n})")
        if lo <= 0 or hi <= lo or n < 2:
            raise ReceptorkinError(f"{what} {text!r}: need 0 < LO < HI and N >= 2 for log spacing (got LO={lo:g}, HI={hi:g}, N={n})")
        return [float(x) for x in np.logspace(np.log10(lo), np.log10(hi), n)]
    items = text.split(",")
    if len(items) > MAX_POINTS:
        raise ReceptorkinError(f"{what}: at most {MAX_POINTS} doses (got {len(items)})")
    out = []
    for part in items:
        try:
            value = float(part)
        except ValueError:
            raise ReceptorkinError(f"{what}: {part!r} is not a number") from None
        if not math.isfinite(value):
            raise ReceptorkinError(f"{what}: {part.strip()!r} is not a finite number")
        out.append(value)
    return out


def run(args: argparse.Namespace) -> int:
    from ..simulation import Simulator
    from . import _outputs

    doses = parse_doses(args.doses)
    values = parse_numbers(parse_assignments(args.set))
    _outputs.check_free([args.output, args.plot], args.force)
    sim = Simulator(args.model, ligand=args.ligand, observable=args.observable)
    sim.set(values)
    df = sim.dose_response(doses, readout=args.readout)
    _outputs.write_table(df, args.output, args.force, index=False)
    if args.plot:
        from ..plots import plot_dose_response

        _outputs.save_figure(plot_dose_response({"simulated": df}, title=f"{sim.id} ({df.attrs['readout']})"), args.plot, args.force)
        _outputs.wrote(args.plot)
    return 0
