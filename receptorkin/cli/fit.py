"""``receptorkin fit DATA.csv --model MODEL --estimate k1,k2 -o OUTDIR``."""

from __future__ import annotations

import argparse

from ._common import non_negative_int, positive_int
from ._outputs import log as _log


def add_fit_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("data", metavar="DATA", help="tidy measurements (.csv, .tsv, .xlsx or Prism .pzfx): "
                   "dose, response [, time, condition, replicate, sd, observable] ('-': stdin)")
    p.add_argument("--sheet", default=None, metavar="NAME", help="Excel sheet or Prism table title (default: the first)")
    p.add_argument("--replicates", default=None, metavar="C1,C2|PATTERN",
                   help="wide replicate columns (names or a pattern such as 'rep*') read as one response row each")
    p.add_argument("--ligand", metavar="ID", help="species or parameter that a dose sets (default: the model's)")
    p.add_argument("--observable", metavar="ID", help="model output that the 'response' column measures (default: the model's)")
    p.add_argument("--bounds", action="append", metavar="ID=LO:HI", help="bounds of an estimated parameter (default value/100 : value*100)")
    p.add_argument("--linear", metavar="ID,...", help="estimate these on a linear scale (default log10)")
    p.add_argument("--per-condition", metavar="ID,...", help="estimate one value per condition for these")
    p.add_argument("--conditions", metavar="COND.csv", help="conditions table: condition, pretreatment (e.g. 1000nM@0-4h), washout, parameter overrides")
    p.add_argument("--dose-unit", default=None, metavar="UNIT",
                   help="unit of the dose column when the file has no dose_unit column (default: the unit in its "
                   "header, 'dose [uM]' or a Prism X title, else nM)")
    p.add_argument("--log-dose", default=None, metavar="UNIT|no",
                   help="the dose column holds log10 concentrations in UNIT (M: Prism's log[agonist]); 'no': plain "
                   "doses. Default: a title starting with 'log' says so")
    p.add_argument("--time-unit", default="min", help="unit of the time column when the file has no time_unit column (default min)")
    p.add_argument("--starts", type=positive_int, default=20, metavar="N", help="multistart starts (default 20)")
    p.add_argument("--seed", type=non_negative_int, default=0, metavar="S", help="random seed of the starts (default 0)")
    p.add_argument("--jobs", type=positive_int, default=1, metavar="J", help="worker processes (default 1)")
    p.add_argument("--scheduler", metavar="ADDR", help="run the starts on a Dask scheduler (tcp://host:8786) instead")
    p.add_argument("--no-profiles", action="store_true", help="skip profile likelihood (Wald intervals only; faster)")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("fit", help="fit a mechanistic model to measurements", description=
                       "Fit a receptor model to dose-response / time-course data by multistart least squares; "
                       "writes fit.json, fitted.xml, fit.png, report.md and the problem as PEtab (petab/) into OUTDIR.")
    add_fit_arguments(p)
    p.add_argument("--model", required=True, metavar="MODEL", help="bundled model id or SBML/Antimony file")
    p.add_argument("--estimate", required=True, metavar="ID,...", help="parameters to estimate")
    p.add_argument("-o", "--outdir", required=True, metavar="OUTDIR")
    p.add_argument("--force", action="store_true", help="write into an existing non-empty OUTDIR")
    p.set_defaults(func=run)


def build_problem(args: argparse.Namespace, model: str, estimate: list[str]):
    """A FitProblem from the CLI options (shared with ``receptorkin compare``)."""
    from ..errors import FitError
    from ..fitting import FitProblem, Observable, ParameterSpec
    from ..data.measurements import DEFAULT_OBSERVABLE, load_conditions, load_measurements
    from ..models import load_model
    from ._common import parse_assignments, parse_number, parse_range

    from ..data.readers import log_dose_option

    data = load_measurements(args.data, dose_unit=args.dose_unit, time_unit=args.time_unit,
                             sheet=args.sheet, replicates=args.replicates, log_dose=log_dose_option(args.log_dose))
    m = load_model(model).with_ligand(args.ligand)
    bounds = parse_assignments(args.bounds, "--bounds")
    linear = {s.strip() for s in (args.linear or "").split(",") if s.strip()}
    per_cond = {s.strip() for s in (args.per_condition or "").split(",") if s.strip()}
    twice = sorted({n for n in estimate if estimate.count(n) > 1})
    if twice:
        raise FitError(f"--estimate names {', '.join(twice)} more than once")
    for option, names in (("--linear", linear), ("--per-condition", per_cond)):
        stray = sorted(names - set(estimate))
        if stray:
            raise FitError(f"{option} names parameters that are not estimated: {', '.join(stray)} "
                           f"(estimated: {', '.join(estimate)})")
    specs = []
    params = m.parameters
    for name in estimate:
        if name not in params:
            from ..models.sbml import closest

            raise FitError(f"--estimate {name}: not a parameter of model {m.id!r}{closest(name, params)}")
        v = params[name]
        lo, hi = (v / 100.0, v * 100.0) if v > 0 else (-1.0, 1.0)
        if name in bounds:
            text = bounds.pop(name)
            lo_text, hi_text = parse_range(text, f"--bounds {name}")
            lo = parse_number(lo_text, f"--bounds {name}={text}: LO")
            hi = parse_number(hi_text, f"--bounds {name}={text}: HI")
        scale = "lin" if (name in linear or v <= 0 and name not in bounds) else "log10"
        specs.append(ParameterSpec(name, v, lo, hi, scale=scale, per_condition=name in per_cond))
    if bounds:
        raise FitError(f"--bounds names parameters that are not estimated: {', '.join(bounds)}")
    conditions = load_conditions(args.conditions, params) if args.conditions else None
    observables = None
    if args.observable:
        m.element(args.observable)
        observables = {DEFAULT_OBSERVABLE: Observable(DEFAULT_OBSERVABLE, args.observable)}
    return FitProblem(m, data, specs, conditions=conditions, observables=observables)


def write_outputs(result, outdir, force: bool) -> list[str]:
    """Write the fit's files into ``outdir`` as a whole (staged, then renamed into place)."""
    from pathlib import Path

    from ..report.html import write_report
    from ..io import atomic_write_text, staged_outdir

    names = ["fit.json", "fitted.xml", "fit.png", "report.md", "report.html"]
    with staged_outdir(outdir, force=force) as out:
        result.to_json(out / names[0], force=True)
        result.to_sbml(out / names[1], force=True)
        result.plot(out / names[2], force=True)
        atomic_write_text(out / names[3], result.report(), force=True)
        write_report(result, out / names[4], force=True)
        result.to_petab(out / "petab", force=True)
    return [str(Path(outdir) / n) for n in names] + [str(Path(outdir) / "petab")]


def run(args: argparse.Namespace) -> int:
    from ..fitting import fit
    from ..io import check_outdir

    estimate = [s.strip() for s in args.estimate.split(",") if s.strip()]
    problem = build_problem(args, args.model, estimate)
    check_outdir(args.outdir, force=args.force)  # refuse before the (long) fit, create nothing yet
    result = fit(problem, n_starts=args.starts, seed=args.seed, jobs=args.jobs, profiles=not args.no_profiles,
                 scheduler=args.scheduler)
    print(result.report())
    for p in write_outputs(result, args.outdir, force=True):
        _log.info(f"wrote {p}")
    return 0
