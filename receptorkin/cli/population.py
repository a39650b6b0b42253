"""``receptorkin population MODEL --n N --cv ID=CV,... --regimen TEXT --criterion TEXT -o OUTDIR``.

Simulates a virtual population under a regimen and writes ``individuals.csv``
(``--format parquet`` for Parquet, which needs pyarrow; one row per individual and criterion
readout, with the sampled parameters, the criterion margin and the verdict),
``summary.json`` (the responder fraction with its binomial interval, the
drivers of non-response, the population, the bands) and ``bands.png``
(percentile bands of an observable over time, on a grid that resolves the
regimen; that time course stays in memory and is summarised, not written per
individual).  ``--jobs N`` runs on local processes,
``--scheduler tcp://host:8786`` on a Dask cluster; the numbers are the same.
"""

from __future__ import annotations

import argparse

from ._common import add_model_arguments, non_negative_int, parse_assignments, parse_numbers, points
from ._outputs import log as _log


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "population", help="simulate a virtual population: fraction of responders, percentile bands",
        description="Draw a virtual population (log-normal variability of the parameters given with --cv), "
                    "simulate every individual under a regimen, and report the fraction meeting a criterion "
                    "with its binomial confidence interval, the parameters driving non-response, and "
                    "percentile bands over time.  Writes individuals.csv, summary.json and bands.png.")
    add_model_arguments(p)
    p.add_argument("--n", type=int, default=1000, metavar="N", help="number of individuals (default 1000)")
    p.add_argument("--cv", action="append", metavar="ID=CV",
                   help="log-normal variability: coefficient of variation of a parameter around its model value, "
                        "e.g. k_internalization=0.3,k_synthesis=0.2 (repeat, or comma-separate)")
    p.add_argument("--set", action="append", metavar="ID=VALUE", help="fixed parameter value for everybody")
    p.add_argument("--regimen", metavar="TEXT",
                   help="dosing regimen in the one-line form, e.g. 'exposure:50nM@0-' or "
                        "'pulses:every=24h,width=12h,dose=100nM' (default: no drug)")
    p.add_argument("--pk", metavar="volume=V,k_elim=K[,k_abs=KA]",
                   help="attach a one-compartment PK link (for regimens of amounts), e.g. volume=5L,k_elim=0.1/h")
    p.add_argument("--criterion", metavar="TEXT",
                   help="responder criterion, e.g. 'response@14d/response@1d>=0.5': readouts OBS@TIME, "
                        "+ - * / ( ), numbers (50%%), one comparison >= > <= <")
    p.add_argument("--band", metavar="OBS", help="observable of the percentile bands (default: the criterion's "
                                                  "first, else the model's default observable)")
    p.add_argument("--horizon", metavar="T", help="end of the band time course (default: the criterion's last time)")
    p.add_argument("--points", type=points, default=49, metavar="K",
                   help="equally spaced times of the band time course, to which the regimen's input changes are "
                        "added (default 49; 0 = bands of the criterion readouts only)")
    p.add_argument("--equilibrate", action="store_true",
                   help="start each individual at its own drug-free steady state")
    p.add_argument("--seed", type=non_negative_int, default=0, metavar="S", help="random seed (default 0)")
    backend = p.add_mutually_exclusive_group()
    backend.add_argument("--jobs", type=int, default=1, metavar="N", help="local worker processes (default 1)")
    backend.add_argument("--scheduler", metavar="ADDR", help="run on a Dask cluster, e.g. tcp://10.0.0.5:8786")
    p.add_argument("--connect-timeout", type=float, default=5.0, metavar="S",
                   help="seconds to wait for the Dask scheduler (default 5)")
    p.add_argument("--format", choices=["csv", "parquet"], default="csv",
                   help="individuals file format (default csv; parquet needs pyarrow)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("-o", "--outdir", required=True, metavar="OUTDIR",
                   help="output directory (refuses a non-empty one without --force)")
    p.add_argument("--force", action="store_true", help="write into an existing directory, replacing these files")
    p.set_defaults(func=run)


def _pk_options(text: str) -> dict[str, str]:
    from ..errors import ReceptorkinError

    aliases = {"v": "volume", "volume": "volume", "k": "k_elim", "k_elim": "k_elim", "ke": "k_elim",
               "ka": "k_abs", "k_abs": "k_abs"}
    out = {}
    for k, v in parse_assignments([text], "--pk").items():
        if k.lower() not in aliases:
            raise ReceptorkinError(f"--pk {k}={v}: unknown field (use volume=, k_elim=, k_abs=)")
        out[aliases[k.lower()]] = v
    if "volume" not in out or "k_elim" not in out:
        raise ReceptorkinError("--pk needs volume= and k_elim= (e.g. volume=5L,k_elim=0.1/h)")
    return out


def _format(choice: str) -> str:
    from ..errors import ReceptorkinError

    if choice == "csv":
        return "csv"
    try:
        import pyarrow  # noqa: F401
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        raise ReceptorkinError("--format parquet needs pyarrow, which receptorkin does not depend on "
                               "(pip install pyarrow), or use --format csv") from None
    return "parquet"


def run(args: argparse.Namespace) -> int:
    from ..dosing import as_regimen, attach_pk
    from ..errors import ReceptorkinError
    from ..io import check_outdir, staged_outdir
    from ..models.sbml import load_model
    from ..population import LogNormal, Population, parse_criterion, simulate, time_grid
    from ..report.folders import write_population_files
    from ..units import parse_time

    # read every option before any work
    cvs = parse_numbers(parse_assignments(args.cv, "--cv"), "--cv")
    fixed = parse_numbers(parse_assignments(args.set), "--set")
    criterion = parse_criterion(args.criterion) if args.criterion else None
    regimen = as_regimen(args.regimen) if args.regimen else None
    if args.points < 0 or args.points == 1:
        raise ReceptorkinError(f"--points must be 0 or at least 2 (got {args.points})")
    if args.jobs is not None and args.jobs < 1:
        raise ReceptorkinError(f"--jobs must be at least 1 (got {args.jobs})")
    fmt = _format(args.format)
    model = load_model(args.model)
    if args.ligand or args.observable:
        model = model.with_ligand(args.ligand, args.observable)
    if args.pk:
        model = attach_pk(model, **_pk_options(args.pk))
    variability = {k: LogNormal(cv=v) for k, v in cvs.items()}
    population = Population(model, variability, n=args.n, seed=args.seed, values=fixed)
    time_unit = model.time_unit
    ends = [parse_time(when, time_unit, "--criterion") for _, when in criterion.refs] if criterion else []
    horizon = parse_time(args.horizon, time_unit, "--horizon") if args.horizon else (max(ends) if ends else None)
    if criterion is not None:
        criterion.check(model)
    band = args.band or (criterion.refs[0][0] if criterion else model.default_observable)
    if band is None:
        raise ReceptorkinError(f"model {model.id!r} has no default observable: name one with --band")
    model.element(band)
    times = None
    readouts: list[str] = []
    if args.points:
        if horizon is None or not horizon > 0:
            raise ReceptorkinError("the band time course needs a positive --horizon (or a criterion with a time > 0)")
        times = time_grid(model, regimen, horizon, points=args.points)
        readouts = [band]
    elif criterion is None:
        raise ReceptorkinError("nothing to record: give --criterion, or --points > 0 with --horizon")
    elif band not in {obs for obs, _ in criterion.refs}:
        raise ReceptorkinError(f"--band {band}: with --points 0 only the criterion's readouts are recorded "
                               f"({', '.join(sorted({obs for obs, _ in criterion.refs}))})")
    # the individuals file: the criterion's readouts (the time course only without a criterion)
    written = [f"{obs}@{when}" for obs, when in criterion.refs] if criterion is not None else None
    check_outdir(args.outdir, force=args.force)
    staged = staged_outdir(args.outdir, force=args.force)  # renamed into place once complete
    out = staged.path
    individuals = out / f"individuals.{fmt}"
    if args.scheduler:
        from ..parallel import connect

        client, _ = connect(args.scheduler, args.connect_timeout)  # fail fast, before any work
        scheduler = client
    else:
        client, scheduler = None, None
    try:
        result = simulate(population, regimen, readouts or None, times=times, criterion=criterion,
                          equilibrate=args.equilibrate, jobs=args.jobs, scheduler=scheduler, out=individuals,
                          out_readouts=written, force=True, progress=False if args.no_progress else None)
    finally:
        if client is not None:
            client.close()
    if result.failures:
        first = sorted(result.failures.items())[:5]
        _log.warning(f"{len(result.failures)} of {population.n} simulations failed (values NaN, not counted); "
                     f"first: individual {first[0][0]}: {first[0][1][:200]}")
    if criterion is not None:
        print(result.responders())
        table = result.drivers()
        if len(table):
            print("drivers of response (Spearman rho with the criterion margin; + favours response):")
            print(table.to_string(float_format=lambda v: f"{v:.3g}"))
    files = [individuals] + write_population_files(result, out, band=band, horizon=horizon)
    target = staged.commit()
    for path in files:
        _log.info(f"wrote {target / path.name}")
    return 0
