"""The compiled form of a PEtab problem's conditions, observables and measurements: value sources, formulas,
observables, condition changes and experiments (one simulation per (pre-equilibration, simulation) condition
pair) with their groups of measurement rows.  Plain dataclasses and the one function that builds the experiments;
the problem (:mod:`.problem`) evaluates them and the hierarchical planner (:mod:`.hierarchical`) reads them."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from .modelfacts import ModelInfo

__all__ = ["Source", "Formula", "Observable", "Group", "Experiment", "Condition", "compile_experiments"]

# A value source: ("const", float) or ("par", index into the parameter vector)
Source = tuple


@dataclass
class Formula:
    """A PEtab formula (observable or noise), parsed and compiled to a numpy function."""

    text: str
    fn: Callable[..., Any]
    args: list[str]  # symbol names, in the order fn takes them
    expr: Any


@dataclass
class Observable:
    """A row of the observable table, compiled."""

    id: str
    name: str
    formula: Formula
    noise: Formula
    transformation: str
    distribution: str
    n_obs_pars: int
    n_noise_pars: int


@dataclass
class Group:
    """Measurement rows of one experiment sharing an observable and its overrides."""

    obs: Observable
    rows: np.ndarray  # measurement row indices
    tidx: np.ndarray  # row index into the experiment output
    obs_args: list[tuple[str, Any]]  # per formula arg: ("model", col) | ("par", idx) | ("const", v)
    noise_args: list[tuple[str, Any]]  # same, plus ("self", None)
    sigma_source: tuple[str, Any]  # ("const", v) | ("par", idx) | ("other", None): for least squares


@dataclass
class Experiment:
    """One simulation: a (pre-equilibration, simulation) condition pair and the measurement groups it serves."""

    preeq: str | None
    sim: str
    times: np.ndarray  # output times, starting at 0 (added if no measurement is at 0)
    steady: bool  # an extra steady-state row (time = inf)
    selections: list[str]
    groups: list[Group] = field(default_factory=list)


@dataclass
class Condition:
    """A row of the condition table: what it sets, each from a value source."""

    id: str
    params: list[tuple[str, Source]]  # SBML parameter overrides
    compartments: list[tuple[str, Source]]
    species: list[tuple[str, Source]]  # non-NaN initial values of species (SBML meaning) and rate-rule parameters


def compile_experiments(info: ModelInfo, observables: Mapping[str, Observable], par_index: Mapping[str, int],
                        obs_ids: Sequence[str], preeq: Sequence[str | None], simc: Sequence[str], times: np.ndarray,
                        obs_over: Sequence[Sequence[Source]], noise_over: Sequence[Sequence[Source]]
                        ) -> list[Experiment]:
    """One experiment per (pre-equilibration, simulation) condition pair, in measurement-table order.

    Parameters
    ----------
    info
        Facts of the SBML model.
    observables
        The compiled observable table, by id.
    par_index
        Row of each parameter-table id.
    obs_ids, preeq, simc, times, obs_over, noise_over
        Per measurement row: observable id, pre-equilibration and simulation condition ids, time (model
        time units; ``inf``: steady state) and the value sources of the observable and noise parameter overrides.

    Returns
    -------
    list of Experiment
        Each with its output times (0 first), model selections and groups of measurement rows that share an
        observable and its overrides.
    """
    order: dict[tuple[str | None, str], list[int]] = {}
    for i, key in enumerate(zip(preeq, simc)):
        order.setdefault(key, []).append(i)
    experiments = []
    for (pre, sc), rows in order.items():
        rows_arr = np.array(rows)
        tv = times[rows_arr]
        finite = np.unique(tv[np.isfinite(tv)])
        steady = bool(np.any(np.isinf(tv)))
        grid = finite if finite.size and finite[0] == 0 else np.concatenate([[0.0], finite])
        # model symbols needed by this experiment's observables
        needed: list[str] = []
        for r in rows:
            obs = observables[obs_ids[r]]
            for nm in obs.formula.args + obs.noise.args:
                if (nm in info.ids or nm == "time") and nm not in needed:
                    needed.append(nm)
        sel = [info.selection(s) for s in needed]
        col_of = {s: k for k, s in enumerate(needed)}
        exp = Experiment(pre, sc, grid, steady, sel)
        # output row of each measurement
        pos = {float(t): k for k, t in enumerate(grid)}
        n_out = grid.size
        groups: dict[tuple, list[int]] = {}
        for r in rows:
            key = (obs_ids[r], tuple(obs_over[r]), tuple(noise_over[r]))
            groups.setdefault(key, []).append(r)
        for (oid, oo, no), grows in groups.items():
            obs = observables[oid]
            tidx = np.array([n_out if math.isinf(times[r]) else pos[float(times[r])] for r in grows])
            obs_args = [_arg(nm, obs, oo, no, col_of, par_index, noise=False) for nm in obs.formula.args]
            noise_args = [_arg(nm, obs, oo, no, col_of, par_index, noise=True) for nm in obs.noise.args]
            exp.groups.append(Group(obs, np.array(grows), tidx, obs_args, noise_args, _sigma_source(obs, noise_args)))
        experiments.append(exp)
    return experiments


def _arg(nm: str, obs: Observable, oo: tuple, no: tuple, col_of: Mapping[str, int], par_index: Mapping[str, int],
         noise: bool) -> tuple[str, Any]:
    prefix_o = "observableParameter"
    prefix_n = "noiseParameter"
    suffix = f"_{obs.id}"
    if nm.startswith(prefix_o) and nm.endswith(suffix) and nm[len(prefix_o):-len(suffix)].isdigit():
        return oo[int(nm[len(prefix_o):-len(suffix)]) - 1]
    if noise and nm.startswith(prefix_n) and nm.endswith(suffix) and nm[len(prefix_n):-len(suffix)].isdigit():
        return no[int(nm[len(prefix_n):-len(suffix)]) - 1]
    if noise and nm == obs.id:
        return ("self", None)
    if nm in col_of:
        return ("model", col_of[nm])
    return ("par", par_index[nm])


def _sigma_source(obs: Observable, noise_args: list[tuple[str, Any]]) -> tuple[str, Any]:
    expr = obs.noise.expr
    if not expr.free_symbols:
        return ("const", float(expr))
    if expr.is_Symbol and noise_args[0][0] in ("const", "par"):
        return noise_args[0]
    return ("other", None)
