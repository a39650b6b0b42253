"""``receptorkin regimen compare|optimize``: dosing regimens side by side, and the best one.

``compare`` simulates each ``--regimen`` on the model and writes
``metrics.csv`` (one row per regimen), ``timecourse.csv`` (tidy time courses)
and ``regimens.png``.  ``optimize`` searches a regimen family and writes
``best.json`` (the best regimen, its parameters and metrics), ``pareto.csv``
(every regimen evaluated, the Pareto front flagged) and ``pareto.png``.
"""

from __future__ import annotations

import argparse

from ._common import add_model_arguments, finite_float, non_negative_int, parse_assignments, parse_numbers, parse_range
from ._outputs import log as _log

_REGIMEN_HELP = ("a regimen in the one-line form, e.g. 'pulses:every=90min,width=6min,dose=10nM', "
                 "'exposure:1000nM@0-4h', 'infusion:rate=2nmol/h,from=0,to=7d', 'bolus:10nmol@0,12h,24h', "
                 "'holiday:2d-3d'; join parts with ';' (or '+' to add overlapping inputs); prefix NAME= to label it")


def _add_common(p: argparse.ArgumentParser) -> None:
    add_model_arguments(p)
    p.add_argument("--receptor", metavar="ID", help="surface-receptor observable (default: the model's)")
    p.add_argument("--horizon", default="14d", metavar="T", help="simulated time per regimen (default 14d)")
    p.add_argument("--pk", metavar="volume=V,k_elim=K[,k_abs=KA]",
                   help="attach a one-compartment PK link, e.g. volume=5L,k_elim=0.1/h,k_abs=1/h")
    p.add_argument("--set", action="append", metavar="ID=VALUE", help="parameter value (repeat, or comma-separate)")
    p.add_argument("--threshold", type=finite_float, metavar="E", help="effect threshold for time_above_threshold (response units)")
    p.add_argument("--readout", default="peak", metavar="peak|T",
                   help="response to a dose: its peak (default) or the response a time T after it (e.g. 30min)")
    p.add_argument("-o", "--outdir", required=True, metavar="OUTDIR", help="output directory (refuses a non-empty one without --force)")
    p.add_argument("--force", action="store_true", help="write into an existing directory, replacing these files")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("regimen", help="compare dosing regimens or find the best one",
                       description="Compare dosing regimens on a model (sustained effect, tolerance, receptor loss, "
                                   "recovery), or optimize a regimen family under constraints.")
    rsub = p.add_subparsers(dest="regimen_command", metavar="ACTION")
    rsub.required = True

    c = rsub.add_parser("compare", help="simulate regimens side by side",
                        description="Simulate each regimen and write metrics.csv, timecourse.csv and regimens.png.")
    _add_common(c)
    c.add_argument("--regimen", action="append", required=True, metavar="TEXT", help=_REGIMEN_HELP)
    c.set_defaults(func=run_compare)

    o = rsub.add_parser("optimize", help="find the best regimen of a family",
                        description="Search a regimen family (pulses, holiday, continuous, boluses) for the best "
                                    "objective under constraints; write best.json, pareto.csv and pareto.png.")
    _add_common(o)
    o.add_argument("--family", default="pulses", choices=["pulses", "holiday", "continuous", "boluses"],
                   help="regimen family (default pulses)")
    o.add_argument("--vary", action="append", required=True, metavar="NAME=LOW:HIGH",
                   help="parameters to search, e.g. period=30min:8h,width=1min:60min")
    o.add_argument("--fixed", action="append", metavar="NAME=VALUE", help="parameters held fixed, e.g. dose=10nM")
    o.add_argument("--objective", default="mean_response", metavar="METRIC", help="metric to optimize (default mean_response)")
    o.add_argument("--constraint", action="append", metavar="METRIC>=VALUE",
                   help="a constraint such as 'surface_receptor_final>=0.8' (repeatable)")
    o.add_argument("--preservation", default="surface_receptor_final", metavar="METRIC",
                   help="receptor metric of the Pareto front (default surface_receptor_final)")
    o.add_argument("--method", default="sobol", choices=["sobol", "differential_evolution"], help="global search (default sobol)")
    o.add_argument("--samples", type=int, metavar="N", help="global-stage evaluations for sobol (default 32 per parameter)")
    o.add_argument("--polish", type=int, metavar="N", help="Nelder-Mead evaluations (default 30 per parameter)")
    o.add_argument("--seed", type=non_negative_int, default=0, help="random seed (default 0)")
    o.add_argument("--workers", "--jobs", dest="workers", type=int, default=1, metavar="N",
                   help="processes for the global stage (default 1)")
    o.add_argument("--scheduler", metavar="ADDR", help="run the evaluations on a Dask scheduler (tcp://host:8786)")
    o.add_argument("--no-progress", action="store_true", help="no progress bar")
    o.set_defaults(func=run_optimize)


def _pk_options(text: str) -> dict[str, str]:
    from ..errors import ReceptorkinError

    opts = parse_assignments([text], "--pk")
    aliases = {"v": "volume", "volume": "volume", "k": "k_elim", "k_elim": "k_elim", "ke": "k_elim",
               "ka": "k_abs", "k_abs": "k_abs"}
    out = {}
    for k, v in opts.items():
        if k.lower() not in aliases:
            raise ReceptorkinError(f"--pk {k}={v}: unknown field (use volume=, k_elim=, k_abs=)")
        if aliases[k.lower()] in out:
            raise ReceptorkinError(f"--pk {k}={v}: {aliases[k.lower()]} is given twice")
        out[aliases[k.lower()]] = v
    if "volume" not in out or "k_elim" not in out:
        raise ReceptorkinError("--pk needs volume= and k_elim= (e.g. volume=5L,k_elim=0.1/h)")
    return out


def _simulator(args: argparse.Namespace):
    from ..dosing import attach_pk
    from ..models.sbml import load_model
    from ..simulation import Simulator

    model = load_model(args.model)
    if args.ligand or args.observable:
        model = model.with_ligand(args.ligand, args.observable)
    if args.pk:
        model = attach_pk(model, **_pk_options(args.pk))
    sim = Simulator(model)
    values = parse_numbers(parse_assignments(args.set))
    params = {k: v for k, v in values.items() if k in sim.parameters}
    others = {k: v for k, v in values.items() if k not in params}
    sim.set(params)
    return sim, others


def _wrote(outdir, *names: str) -> None:
    from pathlib import Path

    for name in names:
        _log.info(f"wrote {Path(outdir) / name}")


def _write_csv(df, path, index: bool = True) -> None:
    from ..io import atomic_path

    with atomic_path(path, force=True) as tmp:
        df.to_csv(tmp, index=index, float_format="%.10g")


def _write_png(fig, path) -> None:
    from ._outputs import save_figure

    save_figure(fig, str(path), force=True)


def _write_report(result, path, sim) -> None:
    from ..report.html import write_report

    write_report(result, path, force=True, simulator=sim)


def run_compare(args: argparse.Namespace) -> int:
    from ..design import compare
    from ..dosing import as_regimen
    from ..io import check_outdir, staged_outdir
    from ..plots import plot_regimens

    regimens = [as_regimen(text) for text in args.regimen]  # read every regimen before any work
    check_outdir(args.outdir, force=args.force)
    sim, values = _simulator(args)
    result = compare(sim, regimens, args.horizon, receptor=args.receptor, threshold=args.threshold,
                     readout=args.readout, values=values or None)
    cols = ["mean_response", "tolerance_ratio", "time_above_threshold", "surface_receptor_nadir",
            "surface_receptor_final", "recovery_time"]
    print(result.table[cols].to_string(float_format=lambda v: f"{v:.4g}"))
    print(f"(times in h; effect threshold {result.threshold:.4g}; horizon {result.horizon:g} {result.time_unit})")
    with staged_outdir(args.outdir, force=args.force) as out:
        _write_csv(result.table, out / "metrics.csv")
        _write_csv(result.timecourse, out / "timecourse.csv", index=False)
        _write_png(plot_regimens(result, title=f"{sim.id}: {len(regimens)} regimens over {args.horizon}"),
                   out / "regimens.png")
        _write_report(result, out / "report.html", sim)
    _wrote(args.outdir, "metrics.csv", "timecourse.csv", "regimens.png", "report.html")
    return 0


def run_optimize(args: argparse.Namespace) -> int:
    from ..design import optimize, parse_bounds, parse_constraint
    from ..errors import RegimenError
    from ..io import atomic_write_text, check_outdir, staged_outdir
    from ..plots import plot_pareto

    bounds: dict = {}
    for name, text in parse_assignments(args.vary, "--vary").items():
        lo, hi = parse_range(text, f"--vary {name}")
        bounds.update(parse_bounds({name: (lo, hi)}))
    fixed = parse_assignments(args.fixed, "--fixed")
    both = sorted(set(bounds) & set(fixed))
    if both:
        raise RegimenError(f"--vary and --fixed both name {', '.join(both)}; a parameter is searched or fixed, not both")
    constraints = [parse_constraint(c) for c in args.constraint or []]
    check_outdir(args.outdir, force=args.force)
    sim, values = _simulator(args)
    if values:
        raise RegimenError(f"--set {', '.join(values)}: optimize takes parameters only (not initial values)")
    result = optimize(sim, args.family, args.objective, constraints, bounds, fixed=fixed, horizon=args.horizon,
                      preservation=args.preservation, method=args.method, n_samples=args.samples, polish=args.polish,
                      seed=args.seed, workers=args.workers, scheduler=args.scheduler, progress=False if args.no_progress else None,
                      threshold=args.threshold, receptor=args.receptor, readout=args.readout)
    print(result.message)
    if result.best is not None:
        print(f"best regimen: {result.best.to_text()}")
    front = result.evaluations.sort_values([result.preservation, result.objective])
    with staged_outdir(args.outdir, force=args.force) as out:
        atomic_write_text(out / "best.json", result.to_json(), force=True)
        _write_csv(front, out / "pareto.csv", index=False)
        _write_png(plot_pareto(result, title=f"{sim.id}: {args.family}, {args.objective} vs {args.preservation}"),
                   out / "pareto.png")
        _write_report(result, out / "report.html", sim)
    _wrote(args.outdir, "best.json", "pareto.csv", "pareto.png", "report.html")
    if not result.success:
        raise RegimenError(result.message)
    return 0
