"""``receptorkin curve``: fit classic dose-response curves (drc/Prism compatible)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ._outputs import log as _log

_EPILOG = """\
models: LL.2 LL.3 LL.4 LL.5 W1.3 W1.4 W2.3 W2.4 EXD.2 EXD.3 BC.4 BC.5 (drc),
        Emax sigEmax Hill sigEmax.p Hill.p, operational, schild (4PL = LL.4)

examples:
  receptorkin curve spinach.csv --dose DOSE --response SLOPE --curve-id CURVE -o out/
  receptorkin curve pretreatment.csv --model sigEmax -o out/      # 'condition' column: EC50 shift, Emax loss
  receptorkin curve schild.csv --model schild --antagonist antagonist -o out/
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``curve`` subcommand."""
    p = subparsers.add_parser(
        "curve",
        help="fit 4PL/LL/Weibull/Emax/operational/Schild curves; EC50s with SEs, as drc",
        description="Fit empirical dose-response curves with drc's parametrizations and standard errors. "
        "Writes OUTDIR/curve.json, OUTDIR/curve.png and OUTDIR/report.md.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("data", metavar="DATA", help="table, one row per observation: .csv, .tsv, .xlsx or Prism .pzfx ('-': stdin)")
    p.add_argument("--sheet", default=None, metavar="NAME", help="Excel sheet or Prism table title (default: the first)")
    p.add_argument("--replicates", default=None, metavar="C1,C2|PATTERN",
                   help="wide replicate columns (names or a pattern such as 'rep*') read as one response row each")
    p.add_argument("--model", default="LL.4", help="curve model (default LL.4, the 4PL)")
    p.add_argument("--dose", default="dose", metavar="COL", help="dose column (default 'dose'; 0 = control)")
    p.add_argument("--response", default="response", metavar="COL",
                   help="response column (default 'response'); several (rep1,rep2,rep3) or a pattern ('rep*') "
                   "are replicate columns, as --replicates")
    p.add_argument("--curve-id", default=None, metavar="COL",
                   help="column naming the curve of each row (default: 'condition' if the file has it)")
    p.add_argument("--dose-unit", default=None, metavar="UNIT",
                   help="concentration unit of the doses (M, mM, uM, nM, pM); default: from the dose column's "
                   "header ('conc [nM]', 'conc_nM'). Makes pEC50, pKA, pA2 and pKB molar (10 nM -> 8.0)")
    p.add_argument("--log-dose", default=None, metavar="UNIT|no",
                   help="the dose column holds log10 concentrations in UNIT (M: Prism's log[agonist], -9 = 1 nM); "
                   "'no': plain doses. Default: a title starting with 'log' says so ('log[agonist] (M)'); "
                   "the doses become --dose-unit (default: UNIT)")
    p.add_argument("--antagonist-unit", default=None, metavar="UNIT",
                   help="unit of the Schild antagonist column (default: from its header, else the dose unit)")
    p.add_argument("--sd", default=None, metavar="COL", help="column of standard deviations: weights 1/sd")
    p.add_argument("--antagonist", default="antagonist", metavar="COL",
                   help="antagonist concentration column for --model schild (default 'antagonist')")
    p.add_argument("--shared", default=None, metavar="P,Q",
                   help="parameters shared by all curves, e.g. b,c ('all' or 'none'; default: model's own)")
    p.add_argument("--fixed", default=None, metavar="P=V,...", help="parameters held fixed, e.g. c=0")
    p.add_argument("--ed", default="50", metavar="P,...", help="ED levels to report (default 50)")
    p.add_argument("--ed-type", default="relative", choices=["relative", "absolute"],
                   help="ED levels as percent of the curve's span (relative) or as response levels (absolute)")
    p.add_argument("--reference", default=None, metavar="CURVE",
                   help="reference curve for EC50 shifts and potency ratios (default: the first)")
    p.add_argument("--compare", default=None, metavar="M1,M2",
                   help="also fit these models and compare (AICc, BIC, F test for nested ones)")
    p.add_argument("--level", type=float, default=0.95, help="confidence level (default 0.95)")
    p.add_argument("--no-profile", action="store_true", help="skip profile-likelihood intervals of the EC50")
    p.add_argument("-o", "--outdir", required=True, metavar="OUTDIR", help="output directory")
    p.add_argument("--force", action="store_true", help="replace files in an existing OUTDIR")
    p.set_defaults(func=run)


def _usage(message: str) -> int:
    print(f"receptorkin curve: error: {message}", file=sys.stderr)
    return 2


def _floats(text: str, what: str) -> list[float]:
    out = []
    for part in text.split(","):
        part = part.strip()
        if part:
            out.append(float(part))
            if out[-1] != out[-1] or out[-1] in (float("inf"), float("-inf")):
                raise ValueError(f"{what}: {part!r} is not a finite number")
    if not out:
        raise ValueError(f"{what}: no values")
    return out


def _header(path: str) -> list[str]:
    """Column names of a CSV file (first non-comment line), or [] if unreadable."""
    import csv

    try:
        with open(path, encoding="utf-8-sig") as fh:
            for line in fh:
                if line.strip() and not line.lstrip().startswith("#"):
                    delim = max((",", ";", "\t"), key=line.count)
                    return [h.strip() for h in next(csv.reader([line], delimiter=delim))]
    except (OSError, UnicodeDecodeError, csv.Error):  # the table reader reports these with their line
        return []
    return []


def run(args: argparse.Namespace) -> int:
    """Fit, then write curve.json, curve.png and report.md into OUTDIR."""
    import math

    from .. import __version__
    from ..curves import MODELS, compare_models, fit_curve, fit_schild, get_model
    from ..curves.report import markdown_table
    from ..jsonout import dumps
    from ..errors import FitError
    from ..io import atomic_write_text, check_outdir, staged_outdir
    from ..plots.curves import plot_curve_fit

    # ---------------------------------------------------------------- arguments
    try:
        model = get_model(args.model)
    except FitError:
        return _usage(f"unknown model {args.model!r} (known: {', '.join(MODELS)}, 4PL, 5PL)")
    try:
        ed_levels = _floats(args.ed, "--ed")
    except ValueError:
        return _usage(f"--ed: expected numbers separated by commas (got {args.ed!r})")
    if args.ed_type == "relative" and any(not 0 < v < 100 for v in ed_levels):
        return _usage(f"--ed: relative levels must be between 0 and 100 (got {args.ed})")
    fixed: dict[str, float] = {}
    if args.fixed:
        for item in args.fixed.split(","):
            name, sep, value = item.partition("=")
            try:
                fixed[name.strip()] = float(value)
            except ValueError:
                return _usage(f"--fixed: expected NAME=NUMBER items (got {item!r})")
            if not sep:
                return _usage(f"--fixed: expected NAME=NUMBER items (got {item!r})")
            if not math.isfinite(fixed[name.strip()]):
                return _usage(f"--fixed: {item.strip()!r} is not a finite number")
            if [n.partition("=")[0].strip() for n in args.fixed.split(",")].count(name.strip()) > 1:
                return _usage(f"--fixed: {name.strip()!r} is given more than once")
    shared = None
    if args.shared is not None:
        shared = [] if args.shared.strip().lower() == "none" else [s.strip() for s in args.shared.split(",") if s.strip()]
        if shared and shared != ["all"]:
            bad = [s for s in shared if s not in model.parameters]
            if bad:
                return _usage(f"--shared: {model.name} has no free parameter {', '.join(map(repr, bad))} "
                              f"(parameters: {', '.join(model.parameters)})")
    for name in fixed:
        if name not in model.family.parameters:
            return _usage(f"--fixed: {model.name} has no parameter {name!r} "
                          f"(parameters: {', '.join(model.family.parameters)})")
    if not 0 < args.level < 1:
        return _usage(f"--level must be between 0 and 1 (got {args.level})")
    from ..curves.doseunits import parse_dose_unit

    for option, value in (("--dose-unit", args.dose_unit), ("--antagonist-unit", args.antagonist_unit)):
        if value is not None:
            try:
                parse_dose_unit(value, what=option)
            except FitError as exc:
                return _usage(str(exc))
    compare = [m.strip() for m in args.compare.split(",") if m.strip()] if args.compare else []
    for name in compare:
        if name not in MODELS and name not in ("4PL", "5PL"):
            return _usage(f"--compare: unknown model {name!r} (known: {', '.join(MODELS)})")

    outdir = Path(args.outdir)
    check_outdir(outdir, args.force)  # refuses a non-empty OUTDIR without --force, before any work

    from ..data.readers import log_dose_option, needs_reader, read_frame

    if args.replicates is None and ("," in args.response or any(ch in args.response for ch in "*?[")):
        # '--response rep1,rep2,rep3': replicate columns side by side, as labs keep them
        args.replicates, args.response = args.response, "response"
    data = args.data
    log_dose = log_dose_option(args.log_dose)
    if needs_reader(args.data, args.sheet, args.replicates, log_dose):
        data = read_frame(args.data, sheet=args.sheet, replicates=args.replicates, value=args.response,
                          dose=args.dose, log_dose=log_dose, dose_unit=args.dose_unit)
    header = [str(c) for c in data.columns] if not isinstance(data, str) else _header(args.data)
    curve_col = args.curve_id
    if model.name == "schild":
        curve_col = args.antagonist
    elif curve_col is None and "condition" in header:
        curve_col = "condition"

    # ---------------------------------------------------------------- fit
    if model.name == "schild":
        result = fit_schild(data, dose=args.dose, response=args.response, antagonist=args.antagonist,
                            fixed=fixed or None, level=args.level, dose_unit=args.dose_unit,
                            antagonist_unit=args.antagonist_unit)
    else:
        result = fit_curve(data, model, dose=args.dose, response=args.response, curve=curve_col,
                           sd=args.sd, shared=shared, fixed=fixed or None, level=args.level,
                           dose_unit=args.dose_unit)

    reference = args.reference
    if reference is not None and reference not in result.curves:
        raise FitError(f"--reference: no curve {reference!r} (curves: {', '.join(result.curves)})")
    summary = result.to_dict(ed=ed_levels, ed_type=args.ed_type, profile=not args.no_profile)
    summary = {"receptorkin_version": __version__, "input": str(args.data), **summary}
    if result.design.m > 1:
        summary["reference"] = reference or result.curves[0]
        summary["ed_ratios"] = result.ed_ratio(50, reference=reference or result.curves[0]).to_dict("records")
        summary["shift"] = result.shift_table(reference=reference).to_dict("records")
        if model.family.name == "operational" and "tau" not in result.design.shared and "tau" not in result.design.fixed:
            summary["receptor_fraction"] = result.parameter_ratio("tau", reference).to_dict("records")
    comparison = None
    if compare:
        names = [model.name] + [m for m in compare if m != model.name]
        comparison = compare_models(data, names, dose=args.dose, response=args.response,
                                    curve=curve_col, sd=args.sd, shared=shared, fixed=fixed or None,
                                    level=args.level, dose_unit=args.dose_unit)
        summary["comparison"] = comparison.to_dict("records")

    report = result.report(ed=ed_levels, ed_type=args.ed_type, reference=reference, profile=not args.no_profile)
    if comparison is not None:
        report += "\n## Model comparison\n\n" + markdown_table(comparison.dropna(axis=1, how="all")) + "\n"
    report += "\n![data and fitted curves](curve.png)\n"

    # ---------------------------------------------------------------- write
    from ..report.html import curve_report

    extra = [("Model comparison", comparison, "AICc, BIC and F tests for nested models.")] if comparison is not None else []
    with staged_outdir(outdir, args.force) as staged:  # the folder appears complete, or not at all
        atomic_write_text(staged / "curve.json", dumps(summary, indent=2) + "\n", force=True)
        plot_curve_fit(result, staged / "curve.png", force=True)
        atomic_write_text(staged / "report.md", report, force=True)
        curve_report(result, data_path=str(args.data), extra=extra).write(staged / "report.html", force=True)

    # ---------------------------------------------------------------- stdout
    eds = result.ed(50)
    print(f"{result.model.name}: {result.n} points, {len(result.curves)} curve(s), "
          f"rse {result.rse:.4g} on {result.df} df")
    for row in eds.itertuples():
        label = f"  {row.curve}: " if result.design.m > 1 else "  "
        unit = f" {result.dose_unit}" if result.dose_unit else ""
        print(f"{label}EC50 {row.estimate:.4g}{unit} (SE {row.se:.3g})")
    for row in result.potency().itertuples():
        label = f"  {row.curve}: " if result.design.m > 1 else "  "
        print(f"{label}{row.quantity} {row.estimate:.3f} (SE {row.se:.3g})")
    _log.info(f"wrote {outdir / 'curve.json'}, {outdir / 'curve.png'}, {outdir / 'report.md'}, {outdir / 'report.html'}")
    return 0
