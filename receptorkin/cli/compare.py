"""``receptorkin compare DATA.csv --fit MODEL:k1,k2 --fit MODEL2:k3 -o OUTDIR``."""

from __future__ import annotations

import argparse

from .fit import add_fit_arguments
from ._outputs import log as _log


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("compare", help="fit several models to the same data and rank them (AICc, BIC, F test)",
                       description="Fit two or more models to the same measurements and rank them by AICc.")
    add_fit_arguments(p)
    p.add_argument("--fit", action="append", required=True, metavar="MODEL:ID,...",
                   help="a model and the parameters to estimate in it (repeat for each model)")
    p.add_argument("-o", "--outdir", metavar="OUTDIR", help="write comparison.csv and one fit folder per model")
    p.add_argument("--force", action="store_true")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..errors import FitError
    from ..fitting import compare_fits, fit
    from ..io import atomic_path, check_outdir, staged_outdir
    from .fit import build_problem, write_outputs

    specs = []
    for item in args.fit:
        model, sep, names = item.rpartition(":")
        if not sep or not model or not names.strip():
            raise FitError(f"--fit {item!r}: expected MODEL:k1,k2")
        specs.append((model, [n.strip() for n in names.split(",") if n.strip()]))
    if len(specs) < 2:
        raise FitError("compare needs at least two --fit models")
    if args.outdir:
        check_outdir(args.outdir, force=args.force)
    problems = [build_problem(args, model, names) for model, names in specs]
    results = [fit(p, n_starts=args.starts, seed=args.seed, jobs=args.jobs, profiles=not args.no_profiles,
                   scheduler=args.scheduler) for p in problems]
    labels = _unique([f"{m} ({len(n)} par.)" for m, n in specs])
    table = compare_fits(results, labels)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.5g}"))
    if args.outdir:
        from pathlib import Path

        with staged_outdir(args.outdir, force=args.force) as out:
            with atomic_path(out / "comparison.csv", force=True) as tmp:
                table.to_csv(tmp, index=False)
            # one folder per --fit: the same model fitted twice gets two folders, never one overwritten
            for folder, result in zip(_unique([Path(model).stem for model, _ in specs], sep="-"), results):
                write_outputs(result, out / folder, force=True)
            from ..report.html import fit_comparison_report

            fit_comparison_report(results, labels, table).write(out / "report.html", force=True)
        final = Path(args.outdir)
        _log.info(f"wrote {final / 'comparison.csv'}, {final / 'report.html'} and one folder per model")
    return 0


def _unique(names: list[str], sep: str = " #") -> list[str]:
    """``names`` with every repeated entry numbered (``a``, ``b``, ``a`` -> ``a #1``, ``b``, ``a #2``)."""
    counts = {n: names.count(n) for n in names}
    seen: dict[str, int] = {}
    out = []
    for n in names:
        if counts[n] > 1:
            seen[n] = seen.get(n, 0) + 1
            n = f"{n}{sep}{seen[n]}"
        out.append(n)
    return out
