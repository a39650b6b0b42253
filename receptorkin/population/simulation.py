"""Simulating a virtual population under a regimen: one experiment per individual on the runner,
serial, on a process pool or on Dask, streamed to a tidy table."""

from __future__ import annotations

import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from ..errors import PopulationError, SimulationError
from ..models.sbml import Model, load_model
from .criterion import Criterion, Readout, check_output, grid_label, parse_criterion, parse_readout
from .distributions import Population, Uniform
from .result import PopulationResult

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ..dosing import Regimen
    from ..dosing.experiment import Experiment
    from ..simulation import Simulator

__all__ = ["simulate", "simulate_population", "time_grid"]


# =============================================================== simulation
@dataclass(frozen=True)
class _Plan:
    """Everything a worker needs, computed once in the parent (small, picklable): the
    population's experiment (one per individual, differing only in the drawn parameters,
    run by THE runner) and where each readout sits in its output."""

    model: Model
    options: tuple[float, float, int]
    names: tuple[str, ...]
    experiment: "Experiment"
    time_index: np.ndarray
    column_index: np.ndarray
    n_readouts: int


def _build_plan(sim: "Simulator", pop: Population, regimen: "Regimen | None", readouts: Sequence[Readout],
                equilibrate: bool) -> _Plan:
    from ..dosing.experiment import Experiment, Readouts, Start

    selections = tuple(dict.fromkeys(r.observable for r in readouts))
    col_of = {s: i for i, s in enumerate(selections)}
    times = np.array([r.time for r in readouts], dtype=float)
    grid = np.unique(times)
    experiment = Experiment(
        start=Start(equilibrate=bool(equilibrate)),
        regimen=None if regimen is None or regimen.kind == "none" else regimen,
        overrides=dict(pop.values),
        readouts=Readouts(selections, times=tuple(grid.tolist())),
        horizon=float(grid[-1]) if grid.size else 0.0,
    )
    from ..dosing.run import prepare

    prepare(sim, experiment)  # refuse an incompatible regimen here, before any worker starts
    return _Plan(model=sim.model, options=pop.solver_options, names=pop.names, experiment=experiment,
                 time_index=np.searchsorted(grid, times), column_index=np.array([col_of[r.observable] for r in readouts], dtype=int),
                 n_readouts=len(readouts))


class _Worker:
    """Per-process state: the model compiled once, and the experiment prepared for it."""

    def __init__(self, plan: _Plan) -> None:
        from ..dosing.run import prepare
        from ..simulation import Simulator

        rtol, atol, max_steps = plan.options
        self.sim = Simulator(plan.model, rtol=rtol, atol=atol, max_steps=max_steps)
        self.plan = plan
        self.prepared = prepare(self.sim, plan.experiment)

    def run(self, rows: np.ndarray) -> tuple[np.ndarray, list[tuple[int, str]]]:
        plan, prepared = self.plan, self.prepared
        out = np.full((rows.shape[0], plan.n_readouts), np.nan)
        failures: list[tuple[int, str]] = []
        names = plan.names
        ti, ci = plan.time_index, plan.column_index
        for j in range(rows.shape[0]):
            try:
                values = prepared.values(dict(zip(names, rows[j].tolist())))
            except SimulationError as exc:
                failures.append((j, " ".join(str(exc).split())[:500]))
                continue
            out[j] = values[ti, ci]
        return out, failures


def _make_worker(plan: _Plan) -> _Worker:
    return _Worker(plan)


def _simulate_chunk(worker: _Worker, item: tuple[int, np.ndarray]) -> tuple[int, np.ndarray, list[tuple[int, str]]]:
    start, rows = item
    values, failures = worker.run(rows)
    return start, values, [(start + j, msg) for j, msg in failures]


def _resolve_readouts(sim: "Simulator", readouts: Any, times: Any, criterion: Criterion | None) -> list[Readout]:
    grid: np.ndarray | None = None
    if times is not None:
        grid = np.array([sim.model_time(t, "times") for t in times], dtype=float)
        if grid.size == 0 or np.any(np.diff(grid) <= 0):
            raise PopulationError("times must be one or more increasing, non-negative times")
    if isinstance(readouts, (str, Readout)):
        readouts = [readouts]
    items = list(readouts) if readouts is not None else []
    if readouts is None and grid is not None:
        if sim.observable is None:
            raise PopulationError(f"model {sim.id!r} has no default observable: name readouts=[...]")
        items = [sim.observable]
    out: list[Readout] = []
    generated: set[tuple[str, float]] = set()  # labels made from ``times``: written labels replace them
    for item in items:
        if isinstance(item, Readout):
            check_output(sim, item.observable, f"readout {item.label!r}")
            out.append(item)
        elif isinstance(item, str) and "@" in item:
            out.append(parse_readout(item, sim))
        elif isinstance(item, str):
            if grid is None:
                raise PopulationError(f"readout {item!r} has no time: write {item}@TIME (e.g. {item}@14d) or give "
                                      "times=[...] for a time course")
            check_output(sim, item, f"readout {item!r}")
            out.extend(Readout(item, float(t), grid_label(item, float(t), sim.time_unit)) for t in grid)
            generated.update((item, float(t)) for t in grid)
        else:
            raise PopulationError(f"readout: expected 'OBSERVABLE@TIME' or an observable id (got {item!r})")
    if criterion is not None:
        out.extend(criterion.readouts(sim))
    if not out:
        raise PopulationError("nothing to record: give readouts (e.g. ['response@14d']), times=[...] or a criterion")
    unique: dict[tuple[str, float], Readout] = {}
    for r in out:
        if r.time < 0 or not math.isfinite(r.time):
            raise PopulationError(f"readout {r.label!r}: time must be non-negative")
        key = (r.observable, r.time)
        if key not in unique:
            unique[key] = r
        elif key in generated and r.label != unique[key].label:
            unique[key] = r  # 'response@1d' as written, not the grid's 'response@24h'
            generated.discard(key)
    return list(unique.values())


def simulate(
    population: Population,
    regimen: "Regimen | str | None" = None,
    readouts: "Sequence[str | Readout] | str | None" = None,
    *,
    times: Sequence[float | str] | None = None,
    criterion: "str | Criterion | None" = None,
    equilibrate: bool = False,
    jobs: int | None = 1,
    scheduler: Any = None,
    chunk_size: int | None = None,
    out: "str | os.PathLike | None" = None,
    out_readouts: "Sequence[str | Readout] | None" = None,
    force: bool = False,
    progress: bool | None = None,
) -> "PopulationResult":
    """Simulate every individual of a population under a regimen.

    Parameters
    ----------
    population
        The individuals (parameters already drawn).
    regimen
        A :class:`~receptorkin.dosing.Regimen` or its text form
        (``'exposure:50nM@0-'``, ``'pulses:every=24h,width=12h,dose=100nM'``);
        ``None``: no drug.
    readouts
        ``'OBSERVABLE@TIME'`` strings (``'response@14d'``), :class:`Readout`
        values, or observable ids recorded at every time of ``times``.  A
        readout at the time of a dose sees that dose (right-continuous).
    times
        Output times for observable-id readouts (model time unit, or text
        with units such as ``'6h'``): a time course for percentile bands.
    criterion
        A responder criterion (:func:`parse_criterion`); its readouts are
        added, and the result (and ``out``) carries each individual's margin
        and verdict.
    equilibrate
        Start each individual from its own drug-free steady state instead of
        the model's initial values.
    jobs, scheduler
        Backend (:mod:`receptorkin.parallel`): 1 = this process, N = local
        processes, or a Dask scheduler address / ``Client``.  The numbers are
        identical whichever runs them.
    chunk_size
        Individuals per task (default: about eight tasks per worker, at
        most 500 individuals).
    out
        Stream the tidy table to this file chunk by chunk (``.csv``, or
        ``.parquet`` when pyarrow is installed); written atomically, refused
        if it exists unless ``force``.  The table is never built in memory.
    out_readouts
        Which readouts go to ``out`` (``'OBSERVABLE@TIME'`` or
        :class:`Readout`; default all), e.g. the endpoints of a criterion while
        a long time course for percentile bands stays in memory only.
    force
        Overwrite ``out``.
    progress
        Progress bar (default: when stderr is a terminal).

    Returns
    -------
    PopulationResult
        Readout values (``n`` x readouts), failures, and the summaries.
        Individuals whose simulation fails get NaN values and an entry in
        :attr:`PopulationResult.failures` (nothing is dropped silently).
    """
    from ..dosing import as_regimen
    from ..io import check_writable
    from ..parallel import resolve_jobs
    from ..simulation import Simulator

    if not isinstance(population, Population):
        raise PopulationError(f"simulate: expected a Population (got {type(population).__name__})")
    crit = parse_criterion(criterion) if criterion is not None else None
    rtol, atol, max_steps = population.solver_options
    sim = Simulator(population.model, rtol=rtol, atol=atol, max_steps=max_steps)
    reg = as_regimen(regimen) if regimen is not None else None
    rds = _resolve_readouts(sim, readouts, times, crit)
    plan = _build_plan(sim, population, reg, rds, equilibrate)
    target = check_writable(out, force) if out is not None else None
    n = population.n
    if chunk_size is None:
        workers = 8 if scheduler is not None else resolve_jobs(jobs)
        chunk_size = max(1, min(500, math.ceil(n / (8 * workers))))
    elif isinstance(chunk_size, bool) or int(chunk_size) < 1:
        raise PopulationError(f"chunk_size must be at least 1 (got {chunk_size!r})")
    chunk_size = int(chunk_size)
    samples = population.samples
    items = [(s, samples[s:s + chunk_size]) for s in range(0, n, chunk_size)]
    values = np.full((n, len(rds)), np.nan)
    failures: dict[int, str] = {}
    result = PopulationResult(population=population, regimen=reg, readouts=tuple(rds), values=values,
                              failures=failures, time_unit=sim.time_unit, criterion=crit,
                              backend=_backend_name(jobs, scheduler), equilibrate=bool(equilibrate))
    writer = _TableWriter(target, result, _select_readouts(sim, rds, out_readouts)) if target is not None else None
    from ..parallel import iter_tasks

    # ``sim`` stays alive during the run: a worker in this process (jobs=1) then gets the
    # compiled model from roadrunner's cache instead of compiling it again
    try:
        for start, chunk, fails in iter_tasks(_simulate_chunk, items, setup=_make_worker, setup_args=(plan,),
                                              jobs=jobs, scheduler=scheduler, chunk_size=1, progress=progress,
                                              desc=f"{population.model.id}: {n} individuals",
                                              weight=lambda item: len(item[1])):
            values[start:start + chunk.shape[0]] = chunk
            failures.update(fails)
            if writer is not None:
                writer.write(start, chunk)
        if writer is not None:
            writer.commit()
            result.path = target
    finally:
        if writer is not None:
            writer.abort()
    values.setflags(write=False)
    del sim
    return result


#: :func:`simulate` under the name ``receptorkin.simulate_population`` (unambiguous at the package level)
simulate_population = simulate


def time_grid(model: "Model | Simulator | str", regimen: "Regimen | str | None", horizon: "float | str",
              points: int = 49, max_points: int = 400) -> np.ndarray:
    """Output times for percentile bands that resolve a regimen.

    ``points`` equally spaced times on ``[0, horizon]``, plus every time
    the regimen's input changes and the middle of every interval between
    changes (so that pulses are seen on and off, not aliased), as long as
    that makes no more than ``max_points`` times.

    Parameters
    ----------
    model
        The model (for its time unit), a bundled id or a Simulator.
    regimen
        The regimen (``None``: no drug).
    horizon
        End time (model time unit, or text such as ``'14d'``).
    points, max_points
        Uniform points, and the most times returned.

    Returns
    -------
    numpy.ndarray
        Increasing times [model time unit], from 0 to ``horizon``.
    """
    from ..dosing import as_regimen
    from ..units import parse_time, time_factor

    m = model.model if hasattr(model, "model") and not isinstance(model, Model) else load_model(model)
    end = parse_time(horizon, m.time_unit, "horizon")
    if not (math.isfinite(end) and end > 0):
        raise PopulationError(f"horizon must be a positive time (got {horizon!r})")
    if isinstance(points, bool) or int(points) < 2:
        raise PopulationError(f"points must be at least 2 (got {points!r})")
    grid = np.linspace(0.0, end, int(points))
    if regimen is None:
        return grid
    reg = as_regimen(regimen)
    if reg.kind == "none":
        return grid
    f = time_factor("min", m.time_unit)
    changes = reg.schedule(end / f).times * f
    changes = changes[changes <= end]
    middles = (changes[:-1] + changes[1:]) / 2.0
    finer = np.unique(np.concatenate([grid, changes, middles, [end]]))
    return finer if finer.size <= max_points else grid


def _backend_name(jobs: int | None, scheduler: Any) -> str:
    from ..parallel import resolve_jobs

    if scheduler is not None:
        return f"dask ({scheduler})" if isinstance(scheduler, str) else "dask"
    workers = resolve_jobs(jobs)
    return "serial" if workers == 1 else f"{workers} processes"


# =================================================================== output
def _select_readouts(sim: "Simulator", readouts: Sequence[Readout], wanted: Any) -> np.ndarray | None:
    """Column indices of the ``wanted`` readouts among ``readouts`` (``None``: all)."""
    if wanted is None:
        return None
    if isinstance(wanted, (str, Readout)):
        wanted = [wanted]
    keys = {(r.observable, r.time): j for j, r in enumerate(readouts)}
    cols = []
    for item in wanted:
        r = item if isinstance(item, Readout) else parse_readout(str(item), sim)
        if (r.observable, r.time) not in keys:
            raise PopulationError(f"out_readouts: {r.label!r} is not among the readouts simulated")
        cols.append(keys[(r.observable, r.time)])
    if not cols:
        raise PopulationError("out_readouts: name at least one readout")
    return np.array(sorted(set(cols)), dtype=int)


class _TableWriter:
    """Append tidy chunks to a temporary file next to the target; move it into place at the end."""

    def __init__(self, target: Path, result: "PopulationResult", columns: np.ndarray | None = None) -> None:
        self.target = target
        self.result = result
        self.columns = columns
        self.parquet = target.suffix.lower() == ".parquet"
        if self.parquet:
            try:
                import pyarrow  # noqa: F401
                import pyarrow.parquet  # noqa: F401
            except ImportError:
                raise PopulationError(f"{target}: writing Parquet needs pyarrow, which receptorkin does not depend on: "
                                      "install it, or write .csv") from None
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=target.suffix, dir=target.parent)
        os.close(fd)
        self.tmp = Path(tmp)
        self._fh: Any = None
        self._pq: Any = None
        self._done = False

    def write(self, start: int, chunk: np.ndarray) -> None:
        df = self.result.tidy_chunk(start, chunk, plain=self.parquet, columns=self.columns)
        if self.parquet:
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pandas(df, preserve_index=False)
            if self._pq is None:
                self._pq = pq.ParquetWriter(str(self.tmp), table.schema)
            self._pq.write_table(table)
        else:
            first = self._fh is None
            if first:
                self._fh = open(self.tmp, "w", newline="", encoding="utf-8")
            df.to_csv(self._fh, header=first, index=False)

    def commit(self) -> None:
        if self._fh is None and self._pq is None:
            self.write(0, np.empty((0, len(self.result.readouts))))  # header only
        self._close()
        from ..io import publish

        publish(self.tmp, self.target)  # umask permissions, atomic
        self._done = True

    def _close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
        if self._pq is not None:
            self._pq.close()
            self._pq = None

    def abort(self) -> None:
        self._close()
        if not self._done and self.tmp.exists():
            self.tmp.unlink()
