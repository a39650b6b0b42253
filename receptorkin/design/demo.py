"""The GnRH design demo: continuous against pulsatile input, and the best pulse interval."""


from __future__ import annotations

import os


from .comparison import compare
from .optimization import optimize

__all__ = ["demo_gnrh"]


# ----------------------------------------------------------------------- demo
def demo_gnrh(outdir: "str | os.PathLike", force: bool = False, *, horizon: str = "7d", quick: bool = False,
              workers: int = 1, verbose: bool = True) -> list:
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
    from pathlib import Path

    from ..io import atomic_write_text, prepare_outdir, write_csv
    from ..plots import plot_pareto, plot_regimens, save_figure
    from ..simulation import Simulator

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
