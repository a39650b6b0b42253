"""Regimen design: compare regimens side by side (this module), optimize a regimen family
(:mod:`.optimization`).

:func:`compare` simulates several regimens on one compiled model and returns
a table of metrics (see :data:`receptorkin.dosing.METRICS`) with the time
courses; :func:`optimize` searches a regimen *family* -- pulses (period,
width, dose), drug holidays (period, holiday length, dose), continuous input
or repeated boluses -- for the best value of a metric under constraints on
others, and returns every regimen it evaluated with the **Pareto front** of
sustained effect against receptor preservation and the constrained optimum
marked on it (desensitization avoidance is a trade-off: pulses preserve
receptors but give less total effect than continuous input).

The search is seeded and deterministic, serial or parallel: a scrambled
Sobol sample of the (log-scaled) bounds, or scipy's differential evolution,
followed by a bounded Nelder-Mead polish of the best feasible point.  With
``workers > 1`` the evaluations run in processes, each of which compiles the
model once (threads do not speed libRoadRunner up).

Numbers without units are in the canonical units of regimens: minutes, nM,
nmol, nmol/min.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence


from ..dosing.metrics import METRICS, metric
from ..dosing.regimen import Regimen, as_regimen
from ..dosing.simulate import RegimenResult, regimen_simulator, simulate_regimen
from ..display import NotebookDisplay, deprecated_call
from ..errors import RegimenError

__all__ = ["ComparisonResult", "compare"]


# ------------------------------------------------------------------- compare
@dataclass(frozen=True)
class ComparisonResult(NotebookDisplay):
    """Regimens compared on one model.

    Attributes
    ----------
    table
        One row per regimen (index: its label), one column per metric, plus
        ``regimen`` (the text form).  ``table.attrs['units']`` gives units.
    timecourse
        Tidy time courses: ``regimen``, ``time`` [model time unit], the drug
        concentration, the response, the receptor observable and
        ``receptor_fraction`` (of its value at time 0).
    results
        The :class:`~receptorkin.dosing.RegimenResult` of each regimen.
    threshold
        The effect threshold used for every regimen.
    """

    model_id: str
    horizon: float
    time_unit: str
    table: Any = field(repr=False)
    timecourse: Any = field(repr=False)
    results: tuple[RegimenResult, ...] = field(repr=False)
    threshold: float = math.nan

    def plot(self, title: str = "", ax: Any = None) -> Any:
        """Deprecated: use :func:`receptorkin.plot` (``receptorkin.plot(result)``)."""
        return deprecated_call("ComparisonResult.plot()", "receptorkin.plot(result)", "plots.plot_regimens",
                               self, title=title, ax=ax)

    def __repr__(self) -> str:
        try:
            return f"<ComparisonResult {self.model_id}: {len(self.table)} regimens over {self.horizon:g} {self.time_unit}>"
        except Exception:  # noqa: BLE001 - a repr must never raise
            return "<ComparisonResult>"


def _unique_labels(regimens: Sequence[Regimen]) -> list[str]:
    labels: list[str] = []
    for r in regimens:
        label = r.label
        k = 2
        while label in labels:
            label = f"{r.label} ({k})"
            k += 1
        labels.append(label)
    return labels


def _regimen_list(regimens) -> list[Regimen]:
    if isinstance(regimens, (str, Regimen)):
        regimens = [regimens]
    if isinstance(regimens, Mapping):
        out = [as_regimen(v).with_name(str(k)) if not as_regimen(v).name else as_regimen(v) for k, v in regimens.items()]
    else:
        out = [as_regimen(r) for r in regimens]
    if not out:
        raise RegimenError("compare: give at least one regimen")
    return out


def _metric_units(dose_unit: str) -> dict[str, str]:
    return {name: m.unit.replace("dose unit", dose_unit) for name, m in METRICS.items()}


def compare(
    model,
    regimens,
    horizon: "float | str" = "14d",
    *,
    observable: str | None = None,
    receptor: str | None = None,
    threshold: float | None = None,
    readout: "str | float" = "peak",
    recovery_band: float = 0.1,
    values: Mapping[str, float] | None = None,
    resolution: int = 400,
    progress: bool | None = None,
) -> ComparisonResult:
    """Simulate several regimens on one model and tabulate their metrics.

    Parameters
    ----------
    model
        A :class:`~receptorkin.simulation.Simulator` (compiled once), a model,
        a bundled id or a path.
    regimens
        Regimens or their text forms (a list, or a mapping label -> regimen).
    horizon
        How long to simulate each (model time unit, or text such as ``'14d'``).
    observable, receptor
        Response and surface-receptor observables (default: the model's).
    threshold
        Effect threshold for ``time_above_threshold``, the same for every
        regimen; default half of the largest response to a first dose among
        the regimens compared.
    readout
        ``'peak'`` or a time after each dose (see :func:`~receptorkin.dosing.simulate_regimen`).
    recovery_band
        Receptor recovery band (fraction of baseline).
    values
        Temporary parameter overrides for every regimen.
    resolution
        Uniform output points over the horizon (see :func:`~receptorkin.dosing.apply_regimen`).
    progress
        Progress (None: a live bar in a terminal, one line when piped; False: none).

    Returns
    -------
    ComparisonResult
    """
    import pandas as pd

    sim = regimen_simulator(model)
    regs = _regimen_list(regimens)
    labels = _unique_labels(regs)
    H = sim.model_time(horizon, "horizon")
    results: list[RegimenResult] = []
    for reg in _progress(regs, progress, "compare", len(regs)):
        results.append(simulate_regimen(sim, reg, H, observable=observable, receptor=receptor, threshold=threshold,
                                        readout=readout, recovery_band=recovery_band, values=values,
                                        resolution=resolution))
    if threshold is None:
        firsts = [r.metrics["first_dose_response"] for r in results if math.isfinite(r.metrics["first_dose_response"])]
        thr = 0.5 * max(firsts) if firsts else math.nan
        if math.isfinite(thr):
            results = [r.with_threshold(thr) for r in results]
    else:
        thr = float(threshold)
    rows = []
    for label, r in zip(labels, results):
        row = dict(r.metrics)
        row["regimen"] = r.regimen.to_text()
        rows.append(row)
    table = pd.DataFrame(rows, index=pd.Index(labels, name="label"))
    table = table[["regimen"] + list(METRICS)]
    table.attrs["units"] = _metric_units(sim.model.dose_unit)
    table.attrs["model"] = sim.id
    table.attrs["horizon"] = f"{H:g} {sim.time_unit}"
    frames = []
    for label, r in zip(labels, results):
        tc = r.timecourse
        cols = [r.concentration, r.response] + ([r.receptor] if r.receptor else [])
        df = tc[cols].reset_index()
        df.insert(0, "regimen", label)
        if r.receptor:
            df["receptor_fraction"] = df[r.receptor] / float(tc[r.receptor].iloc[0])
        frames.append(df)
    timecourse = pd.concat(frames, ignore_index=True)
    timecourse.attrs["units"] = {**results[0].timecourse.attrs.get("units", {}), "receptor_fraction": "1"}
    timecourse.attrs["model"] = sim.id
    timecourse.attrs["columns"] = {"concentration": results[0].concentration, "response": results[0].response,
                                   "receptor": results[0].receptor}
    return ComparisonResult(sim.id, H, sim.time_unit, table, timecourse, tuple(results), thr)


def _progress(iterable, progress: bool | None, desc: str, total: int):
    from ..progress import progress_iter

    return progress_iter(iterable, desc, total=total, show=progress, unit="regimen")
