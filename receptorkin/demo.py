"""``make demo``: the main job of receptorkin on the bundled models and data.

``python -m receptorkin.demo OUTDIR [--force]`` runs, in order:

1. the model library (table of the bundled models);
2. chronic agonist exposure on ``gpcr_desensitization``: surface receptors and
   response over 24 h (CSV + PNG);
3. the dose-response curve of naive cells and after 1, 4 and 24 h of agonist
   pre-treatment (CSV + PNG): EC50 shifts right, then Emax falls;
4. a fit of the model's internalization, recycling and degradation rates to
   the bundled desensitization dataset, with profile-likelihood intervals
   (fit.json, report.md, report.html, fit.png);
5. posterior draws of the fitted rates (emcee) with their diagnostics, and
   credible intervals for the receptor half-life (a cycloheximide chase),
   the EC50 shift after 24 h of agonist and the tolerance ratio of a day of
   continuous agonist;
6. the fitted model exported as validated SBML;
7. continuous versus pulsatile GnRH and the optimized pulse interval (:func:`demo_gnrh`).

Every file goes into OUTDIR; the paths are printed at the end.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

MODEL = "gpcr_desensitization"


def _step(title: str) -> None:
    print(f"\n== {title}", flush=True)


def run(outdir: str | Path, force: bool = False) -> list[Path]:
    """Run the demo into ``outdir``; returns the files written."""
    import numpy as np

    from .io import atomic_path, prepare_outdir, write_csv
    from .plots import plot_dose_response, plot_timecourse, save_figure
    from .report import model_table
    from .simulation import Simulator

    out = prepare_outdir(outdir, force=force)
    written: list[Path] = []

    def csv(df, name: str, index: bool = True) -> None:
        written.append(write_csv(df, out / name, force=True, index=index))

    def png(fig, name: str) -> None:
        written.append(save_figure(fig, out / name, force=True))

    _step("1. The bundled model library")
    print(model_table())

    _step(f"2. Chronic agonist on {MODEL}")
    sim = Simulator(MODEL)
    ligand, receptor, response = sim.ligand, sim.model.receptor or "surface_receptor", sim.observable
    dose = 1000.0  # nM, a saturating agonist concentration
    tc = sim.timecourse("24h", 289, values={ligand: dose}, selections=[receptor, response])
    csv(tc, "chronic_agonist_timecourse.csv")
    png(plot_timecourse(tc, title=f"{MODEL}: {dose:g} nM {ligand} for 24 h"), "chronic_agonist_timecourse.png")
    r0 = tc[receptor].iloc[0]
    for hours in (1, 4, 24):
        row = tc.loc[tc.index[np.argmin(np.abs(tc.index.to_numpy() - sim.model_time(f"{hours}h", "t")))]]
        print(f"  after {hours:2d} h: {receptor} = {row[receptor] / r0:6.1%} of baseline, {response} = {row[response]:.3f}")

    _step("3. Dose-response after agonist pre-treatment")
    doses = np.concatenate([[0.0], np.logspace(-1, 4, 16)])
    curves = {}
    for hours in (0, 1, 4, 24):
        initial = None
        if hours:
            pre = sim.timecourse(f"{hours}h", 2, values={ligand: dose})
            initial = pre.iloc[-1]
        label = "naive" if hours == 0 else f"{hours} h pre-treatment"
        curves[label] = sim.dose_response(doses, readout="10min", observable=response, initial=initial)
    import pandas as pd

    table = pd.concat([df.assign(pretreatment=label) for label, df in curves.items()], ignore_index=True)
    csv(table, "dose_response_after_pretreatment.csv", index=False)
    png(plot_dose_response(curves, title=f"{MODEL}: response 10 min after challenge"), "dose_response_after_pretreatment.png")
    for label, df in curves.items():
        y = df[response].to_numpy()
        x = df["dose"].to_numpy()
        top = y.max()
        half = np.interp(0.5 * (top + y[0]), y[1:], x[1:]) if np.all(np.diff(y[1:]) >= 0) else float("nan")
        print(f"  {label:22s} Emax = {top:.3f}   EC50 ~ {half:9.3g} nM")

    _step("4. Fit to the bundled desensitization dataset")
    from .fitting import FitProblem, fit
    from .plots.fitting import plot_fit
    from .data.measurements import load_conditions, load_measurements

    from .examples import data_dir

    root = data_dir()
    data = load_measurements(root / "desensitization.csv")
    conditions = load_conditions(root / "desensitization_conditions.csv")
    problem = FitProblem(MODEL, data, ["k_internalization", "k_recycling", "k_degradation", "K_E"], conditions=conditions)
    result = fit(problem, n_starts=8, seed=1, jobs=2)
    print(result.table[["estimate", "se", "ci_low", "ci_high", "unit"]].to_string(float_format=lambda v: f"{v:.4g}"))
    import json

    truth = json.loads((root / "desensitization_truth.json").read_text(encoding="utf-8"))["parameters"]
    inside = [n for n, v in truth.items() if result.ci[n][0] <= v <= result.ci[n][1]]
    print(f"  generating values inside the 95% profile intervals: {len(inside)} of {len(truth)}")
    print(f"  {result.n_converged} of {result.n_starts} starts reached the best objective")
    fit_dir = out / "fit"
    fit_dir.mkdir(exist_ok=True)
    result.to_json(fit_dir / "fit.json", force=True)
    plot_fit(result, fit_dir / "fit.png", force=True)
    with atomic_path(fit_dir / "report.md", force=True) as tmp:
        tmp.write_text(result.report(), encoding="utf-8")
    written += [fit_dir / "fit.json", fit_dir / "fit.png", fit_dir / "report.md"]
    from .report.html import write_report

    written.append(write_report(result, fit_dir / "report.html", force=True))

    _step("5. Posterior of the fitted rates (emcee) and derived quantities")
    from .fitting.derived import ec50_shift, receptor_half_life, tolerance_ratio

    post = result.posterior(n_draws=2000, seed=1, jobs=2)
    summary = post.summary()
    csv(summary, "fit/posterior_summary.csv")
    print(summary.to_string(float_format=lambda v: f"{v:.4g}"))
    print(f"  {post.n_walkers} walkers x {post.n_steps} steps after {post.burn} of burn-in ({post.moves}); "
          f"acceptance fraction {post.acceptance_fraction:.2f}; autocorrelation time up to "
          f"{max(post.autocorr_time):.1f} steps (chain = {post.n_steps / max(post.autocorr_time):.0f} tau); "
          f"effective samples per parameter {int(min(post.ess))}-{int(max(post.ess))}")
    quantities = [receptor_half_life(result), ec50_shift(result, conditions["24h"], readout="5min"),
                  tolerance_ratio(result, "exposure: 1000nM@0-", "24h")]
    derived = post.derived_table(quantities, every=20)  # one draw in 20: these simulate
    point = [result.derived(q) for q in quantities]
    derived["fit"] = [d["value"] for d in point]
    derived["delta_low"] = [d["ci"][0] for d in point]
    derived["delta_high"] = [d["ci"][1] for d in point]
    csv(derived, "fit/derived_quantities.csv")
    for name, row in derived.iterrows():
        unit = "" if row["unit"] == "1" else f" {row['unit']}"
        print(f"  {name}: {row['median']:.4g}{unit} (95% credible interval {row['ci_low']:.4g}-"
              f"{row['ci_high']:.4g}; fit {row['fit']:.4g}, delta method {row['delta_low']:.4g}-{row['delta_high']:.4g})")

    _step("6. SBML export of the fitted model")
    path = out / f"{MODEL}_fitted.xml"
    result.to_sbml(path, force=True)
    written.append(path)
    print(f"  {path} (validated with libsbml; fitted values and intervals in the parameters' notes)")

    _step("7. Continuous versus pulsatile GnRH, and the optimized pulse interval")
    written += demo_gnrh(out / "gnrh", force=True)

    _step("Files written")
    for p in written:
        print(f"  {p}")
    return written


def demo_gnrh(outdir: str | os.PathLike, force: bool = False, *, horizon: str = "7d", quick: bool = False,
              workers: int = 1, verbose: bool = True) -> list[Path]:
    """Continuous versus pulsatile GnRH on ``gnrh_pulsatile``, and the best pulse interval.

    Writes into ``outdir``: ``gnrh_metrics.csv``, ``gnrh_timecourse.csv``,
    ``gnrh_regimens.png`` (continuous 10 nM against 6-min pulses of 10 nM
    every 20 min, 90 min and 4 h), and ``gnrh_pareto.csv``,
    ``gnrh_pareto.png``, ``gnrh_best.json`` (the pulse period, 8 min to 8 h,
    that maximizes the mean response while each pulse still gets at least
    75 % of the first pulse's response).

    Parameters
    ----------
    outdir
        Output directory (created; an existing non-empty one needs ``force``).
    force
        Replace the demo's files in an existing directory.
    horizon
        Simulated time per regimen.
    quick
        Fewer optimizer evaluations (for tests).
    workers
        Processes for the optimizer's global stage.
    verbose
        Print a short table.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    from .design import compare, optimize
    from .io import atomic_write_text, prepare_outdir, write_csv
    from .plots import plot_pareto, plot_regimens, save_figure
    from .simulation import Simulator

    out = prepare_outdir(outdir, force=force)
    sim = Simulator("gnrh_pulsatile")
    regimens = {
        "continuous": "exposure:10nM@0-",
        "pulses every 20 min": "pulses:every=20min,width=6min,dose=10nM",
        "pulses every 90 min": "pulses:every=90min,width=6min,dose=10nM",
        "pulses every 4 h": "pulses:every=4h,width=6min,dose=10nM",
    }
    comp = compare(sim, regimens, horizon)
    written: list[Path] = []

    def csv(df, name: str, index: bool = True) -> None:
        written.append(write_csv(df, out / name, force=True, index=index))

    def png(fig, name: str) -> None:
        written.append(save_figure(fig, out / name, force=True))

    csv(comp.table, "gnrh_metrics.csv")
    csv(comp.timecourse, "gnrh_timecourse.csv", index=False)
    png(plot_regimens(comp, title=f"gnrh_pulsatile: continuous vs pulsatile GnRH, {horizon}"), "gnrh_regimens.png")
    opt = optimize(sim, "pulses", "mean_response", ["tolerance_ratio>=0.75"], {"period": ("8min", "8h")},
                   fixed={"width": "6min", "dose": "10nM"}, horizon=horizon, n_samples=8 if quick else 16,
                   polish=6 if quick else 14, seed=0, progress=False, workers=workers)
    ev = opt.evaluations.sort_values("period")
    csv(ev, "gnrh_pareto.csv", index=False)
    png(plot_pareto(opt, title="gnrh_pulsatile: 6-min pulses of 10 nM, period 8 min to 8 h"), "gnrh_pareto.png")
    path = out / "gnrh_best.json"
    atomic_write_text(path, opt.to_json(), force=True)
    written.append(path)
    if verbose:
        cols = ["mean_response", "tolerance_ratio", "surface_receptor_final", "recovery_time"]
        print(comp.table[cols].to_string(float_format=lambda v: f"{v:.3g}"))
        print(f"optimized pulse interval: {opt.message}")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m receptorkin.demo", description=__doc__.splitlines()[0])
    parser.add_argument("outdir", nargs="?", default="demo-output")
    parser.add_argument("--force", action="store_true", help="reuse a non-empty OUTDIR, replacing the demo's files")
    args = parser.parse_args(argv)
    from .errors import ReceptorkinError

    try:
        run(args.outdir, force=args.force)
    except ReceptorkinError as exc:
        print(f"receptorkin demo: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
