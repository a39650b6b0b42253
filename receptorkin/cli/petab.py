"""``receptorkin petab llh|simulate|fit PROBLEM.yaml``: PEtab problems, evaluated with the model compiled once."""

from __future__ import annotations

import argparse

from ._common import non_negative_int
from ._outputs import log as _log


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("petab", help="PEtab problems: log-likelihood, simulation, multistart fit",
                       description="Evaluate or fit a PEtab v1 problem (YAML).")
    actions = p.add_subparsers(dest="petab_command", metavar="ACTION")
    actions.required = True

    llh = actions.add_parser("llh", help="print the log-likelihood at the nominal parameters",
                             description="Print the PEtab log-likelihood at the parameter table's nominal values.")
    llh.add_argument("problem", metavar="PROBLEM.yaml")
    _allow_outside(llh)
    llh.set_defaults(func=run_llh)

    sim = actions.add_parser("simulate", help="write the PEtab simulation table at the nominal parameters",
                             description="Simulate every measurement at the nominal parameters; write PEtab's simulation table (TSV).")
    sim.add_argument("problem", metavar="PROBLEM.yaml")
    sim.add_argument("-o", "--output", metavar="TSV", help="output file (default: print to stdout)")
    sim.add_argument("--force", action="store_true", help="overwrite an existing output file")
    _allow_outside(sim)
    sim.set_defaults(func=run_simulate)

    fit = actions.add_parser("fit", help="multistart maximum-likelihood fit",
                             description="Fit the estimated parameters (on their PEtab scales, within their bounds) from "
                             "Latin-hypercube starts with exact gradients; write OUTDIR/fit.json (estimates, standard "
                             "errors, not-estimable parameters, profiles) and OUTDIR/report.html.")
    fit.add_argument("problem", metavar="PROBLEM.yaml")
    fit.add_argument("--starts", type=int, default=20, metavar="N",
                     help="full local searches (default 20), chosen from N x --screen Latin-hypercube points")
    fit.add_argument("--screen", type=int, default=4, metavar="K",
                     help="screen then search: K Latin-hypercube points per search each get a short run (40 "
                     "iterations) and the N best ends are searched (default 4; 1: search every point, no screen)")
    fit.add_argument("--seed", type=non_negative_int, default=0, metavar="S", help="random seed (default 0)")
    fit.add_argument("--jobs", type=int, default=1, metavar="J", help="worker processes (default 1)")
    fit.add_argument("--scheduler", metavar="ADDR", help="run the starts on a Dask scheduler (tcp://host:8786) instead")
    fit.add_argument("--profiles", action=argparse.BooleanOptionalAction, default=False,
                     help="profile-likelihood 95%% intervals of every estimated parameter (default: off; each "
                     "parameter costs a series of re-optimizations)")
    fit.add_argument("--nominal-start", action="store_true", help="also start from the nominal values (first start)")
    fit.add_argument("--method", choices=["auto", "fides", "least_squares", "lbfgsb"], default="auto",
                     help="local optimizer, each with exact derivatives and continued by L-BFGS-B: fides (trust region, "
                     "Gauss-Newton Hessian), least_squares (scipy's trust-region least squares) or lbfgsb (default "
                     "auto: fides when the noise model allows it, else lbfgsb)")
    fit.add_argument("--max-iter", type=int, default=None, metavar="N",
                     help="per start: fides iterations (default 500), least-squares evaluations or L-BFGS-B iterations "
                     "(default 2000)")
    fit.add_argument("--no-hierarchical", dest="hierarchical", action="store_false",
                     help="optimize scaling factors and noise levels numerically too (default: solve them in closed form "
                     "when the problem allows it)")
    fit.add_argument("-o", "--output", required=True, metavar="OUTDIR", help="output directory (fit.json, report.html)")
    fit.add_argument("--force", action="store_true", help="write into an existing non-empty OUTDIR, replacing fit.json and report.html")
    _allow_outside(fit)
    fit.set_defaults(func=run_fit)


def _allow_outside(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--allow-outside", action="store_true",
                        help="read files named in the YAML that lie outside its folder (refused by default)")


def run_llh(args: argparse.Namespace) -> int:
    from ..petab.problem import PetabProblem

    problem = PetabProblem.from_yaml(args.problem, allow_outside=args.allow_outside)
    print(f"{problem.llh():.6f}")
    return 0


def run_simulate(args: argparse.Namespace) -> int:
    import sys

    from ..io import atomic_path, check_writable
    from ..petab.problem import PetabProblem

    if args.output and args.output != "-":
        check_writable(args.output, args.force)
    df = PetabProblem.from_yaml(args.problem, allow_outside=args.allow_outside).simulate()
    if args.output in (None, "-"):  # '-o -': stdout, as with no -o
        df.to_csv(sys.stdout, sep="\t", index=False)
        return 0
    with atomic_path(args.output, args.force) as tmp:
        df.to_csv(tmp, sep="\t", index=False)
    _log.info(f"wrote {args.output}")
    return 0


def run_fit(args: argparse.Namespace) -> int:
    from ..errors import FitError
    from ..io import check_outdir
    from ..petab import PetabProblem, fit_petab
    from ..report.folders import write_petab_fit_folder

    check_outdir(args.output, force=args.force)  # refuse before the (long) fit, create nothing yet
    if args.jobs < 1:
        raise FitError(f"--jobs must be at least 1 (got {args.jobs})")
    problem = PetabProblem.from_yaml(args.problem, allow_outside=args.allow_outside)
    starts = [problem.x_nominal] if args.nominal_start else None

    # progress: a live bar in a terminal, one clean line per phase when piped (receptorkin.progress)
    result = fit_petab(problem, args.starts, args.seed, args.jobs, starts=starts, method=args.method,
                       max_iter=args.max_iter, hierarchical=None if args.hierarchical else False,
                       scheduler=args.scheduler, profiles=args.profiles, screen=args.screen)
    print(result)
    for path in write_petab_fit_folder(result, args.output, problem=problem, yaml_path=args.problem, force=True):
        _log.info(f"wrote {path}")
    return 0
