"""Measurements and experimental conditions for fitting mechanistic models.

A measurement table is a tidy CSV, one row per observation:

=============  ========  =====================================================
column         required  meaning
=============  ========  =====================================================
dose           yes       concentration of the challenge (0 = vehicle control)
response       yes       measured value
time           no        read-out time after the challenge; empty = steady state
condition      no        experimental condition, e.g. a pre-treatment
replicate      no        replicate id (kept, not used by the objective)
sd             no        standard deviation of the response (weights)
observable     no        model output the row measures (default ``response``)
dose_unit      no        unit of ``dose`` per row (M, mM, uM, nM, pM)
time_unit      no        unit of ``time`` per row (s, min, h, d)
=============  ========  =====================================================

Doses are converted to nM and times to minutes on reading; nothing is
guessed: a table without unit columns uses the units given by the caller
(CLI ``--dose-unit``/``--time-unit``, default nM and min).

A conditions table maps each condition to a pre-treatment (a sequence of
exposures ``concentration@start-stop``, e.g. ``1000nM@0-4h``), a wash-out
period before the challenge, and fixed parameter overrides (any other column
named after a model parameter).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from .data import CONDITION, DOSE, OBSERVABLE, REPLICATE, RESPONSE, SD, TIME, Problem, read_table, validate_table
from .dosing import Exposure
from .dosing import parse_exposures as _parse_exposures
from .errors import DataError, RegimenError
from .units import CONCENTRATION_UNITS, TIME_UNITS, UnitError, concentration_factor, parse_time

__all__ = ["Measurements", "Exposure", "Condition", "load_measurements", "load_conditions", "parse_exposures",
           "DEFAULT_CONDITION", "DEFAULT_OBSERVABLE"]

DEFAULT_CONDITION = "control"
DEFAULT_OBSERVABLE = "response"
_TIME_STORE = "min"  # canonical unit of times held by Measurements and Condition
_TO_NM = {u: concentration_factor(u, "nM") for u in CONCENTRATION_UNITS}


@dataclass(frozen=True)
class Measurements:
    """A validated measurement table.

    Attributes
    ----------
    table
        Columns ``dose`` [nM], ``response``, ``time`` [min] (NaN = steady
        state), ``condition``, ``observable``, ``replicate``, ``sd`` (NaN when
        not given), ``line`` (line in the source file).
    source
        File the table was read from.
    """

    table: pd.DataFrame
    source: str = "<DataFrame>"

    def __len__(self) -> int:
        return len(self.table)

    @property
    def conditions(self) -> list[str]:
        return list(dict.fromkeys(self.table["condition"]))

    @property
    def observables(self) -> list[str]:
        return list(dict.fromkeys(self.table["observable"]))

    @property
    def has_sd(self) -> bool:
        return bool(self.table["sd"].notna().all())

    @classmethod
    def from_frame(cls, df: pd.DataFrame, source: str = "<DataFrame>", dose_unit: str = "nM", time_unit: str = "min") -> "Measurements":
        """Validate an in-memory table with the rules of :func:`load_measurements`."""
        text = df.copy()
        for col in text.columns:
            text[col] = ["" if (isinstance(v, float) and math.isnan(v)) or v is None else str(v) for v in text[col]]
        return _normalise(validate_table(text, required=[DOSE, RESPONSE], numeric=[DOSE, RESPONSE],
                                         nonnegative=[DOSE], source=source), source, dose_unit, time_unit)


@dataclass(frozen=True)
class Condition:
    """What happens to the cells before the challenge.

    Attributes
    ----------
    name
        Condition id as used in the measurement table.
    exposures
        Pre-treatment exposures (:class:`~receptorkin.dosing.Exposure`, times
        in minutes from the start of the pre-treatment, concentrations in nM);
        between and after them the ligand is washed out.
    challenge_at
        Time of the challenge [min] (end of the last exposure plus wash-out).
    overrides
        Fixed parameter values for this condition (model parameter id -> value).
    """

    name: str
    exposures: tuple[Exposure, ...] = ()
    challenge_at: float = 0.0
    overrides: Mapping[str, float] = field(default_factory=dict)


def parse_exposures(text: str, what: str = "pretreatment") -> tuple[Exposure, ...]:
    """``'1000nM@0-4h; 10nM@4h-5h'`` -> :class:`~receptorkin.dosing.Exposure` values
    (nM, minutes) for a pre-treatment.

    ``none``, ``-`` or an empty text mean no pre-treatment.  Every exposure
    needs a stop (the cells are washed before the challenge) and exposures
    may not overlap.

    Raises
    ------
    DataError
        Naming ``what`` (e.g. the file, line and column) and the problem.
    """
    s = (text or "").strip()
    if s.lower() in ("", "none", "-", "naive", "0"):
        return ()
    try:
        out = sorted(_parse_exposures(s), key=lambda e: e.start)
    except RegimenError as exc:
        raise DataError(f"{what}: {s!r}: {exc} (expected CONCENTRATION@START-STOP, e.g. 1000nM@0-4h)") from None
    for e in out:
        if e.stop is None:
            raise DataError(f"{what}: {s!r}: a pre-treatment exposure needs a stop (e.g. 1000nM@0-4h)")
    for a, b in zip(out, out[1:]):
        if b.start < a.stop:
            raise DataError(f"{what}: exposures overlap ({a.concentration:g} nM until {a.stop:g} min and "
                            f"{b.concentration:g} nM from {b.start:g} min)")
    return tuple(out)


def _unit_factor(values: pd.Series, lines, column: str, table: Mapping[str, float], source: str, problems: list[Problem]) -> np.ndarray:
    factors = np.ones(len(values))
    for i, (u, line) in enumerate(zip(values, lines)):
        u = str(u).strip()
        if u not in table:
            problems.append(Problem(source, int(line), column, f"unknown unit (got {u!r}; expected one of {', '.join(sorted(set(table)))})"))
        else:
            factors[i] = table[u]
    return factors


def _normalise(df: pd.DataFrame, source: str, dose_unit: str, time_unit: str) -> Measurements:
    """Convert units, fill optional columns, check the time column."""
    problems: list[Problem] = []
    lines = df.index.to_numpy() if df.index.name == "line" else np.arange(2, len(df) + 2)
    out = pd.DataFrame({"line": lines})
    dose = df[DOSE].to_numpy(dtype=float)
    if "dose_unit" in df.columns:
        dose = dose * _unit_factor(df["dose_unit"], lines, "dose_unit", _TO_NM, source, problems)
    else:
        if dose_unit not in CONCENTRATION_UNITS:
            raise DataError(f"{source}: unknown dose unit {dose_unit!r} (expected M, mM, uM, nM or pM)")
        dose = dose * _TO_NM[dose_unit]
    out["dose"] = dose
    out["response"] = df[RESPONSE].to_numpy(dtype=float)
    if TIME in df.columns:
        times = np.full(len(df), np.nan)
        for i, (cell, line) in enumerate(zip(df[TIME], lines)):
            s = str(cell).strip()
            if s == "" or s.lower() in ("steady", "ss", "nan"):
                continue
            try:
                t = float(s)
            except ValueError:
                problems.append(Problem(source, int(line), TIME, f"not a number (got {s!r}; leave empty for steady state)"))
                continue
            if not math.isfinite(t) or t < 0:
                problems.append(Problem(source, int(line), TIME, f"must be a finite time >= 0 (got {s!r})"))
                continue
            times[i] = t
        if "time_unit" in df.columns:
            times = times * _unit_factor(df["time_unit"], lines, "time_unit", TIME_UNITS, source, problems) / TIME_UNITS[_TIME_STORE]
        else:
            if time_unit not in TIME_UNITS:
                raise DataError(f"{source}: unknown time unit {time_unit!r} (expected s, min, h or d)")
            times = times * TIME_UNITS[time_unit] / TIME_UNITS[_TIME_STORE]
        out["time"] = times
    else:
        out["time"] = np.nan
    out["condition"] = [str(c) if str(c).strip() else DEFAULT_CONDITION for c in df[CONDITION]] if CONDITION in df.columns else DEFAULT_CONDITION
    out["observable"] = [str(c) if str(c).strip() else DEFAULT_OBSERVABLE for c in df[OBSERVABLE]] if OBSERVABLE in df.columns else DEFAULT_OBSERVABLE
    out["replicate"] = df[REPLICATE].to_numpy() if REPLICATE in df.columns else ""
    if SD in df.columns:
        sd = np.full(len(df), np.nan)
        for i, (cell, line) in enumerate(zip(df[SD], lines)):
            s = str(cell).strip()
            if s == "":  # no sd for this row: the noise is then estimated
                continue
            try:
                v = float(s)
            except ValueError:
                problems.append(Problem(source, int(line), SD, f"not a number (got {s!r})"))
                continue
            if not (math.isfinite(v) and v > 0):
                problems.append(Problem(source, int(line), SD, f"must be a positive number (got {s!r})"))
                continue
            sd[i] = v
        out["sd"] = sd
    else:
        out["sd"] = np.nan
    if problems:
        raise DataError("\n".join(str(p) for p in problems))
    out.attrs["source"] = source
    return Measurements(out, source)


def load_measurements(path: str | os.PathLike, *, dose_unit: str = "nM", time_unit: str = "min",
                      rename: Mapping[str, str] | None = None, sheet: str | None = None,
                      replicates: str | Sequence[str] | None = None) -> Measurements:
    """Read and validate a measurement table (see the module docstring).

    Parameters
    ----------
    path
        CSV/TSV file, Excel workbook (``.xlsx``) or GraphPad Prism file (``.pzfx``).
    sheet
        Excel sheet or Prism table title (default: the first).
    replicates
        Wide replicate columns (names or a pattern such as ``'rep*'``) to
        read as one ``response`` row per replicate.
    dose_unit, time_unit
        Units of the ``dose`` and ``time`` columns when the file has no
        ``dose_unit``/``time_unit`` columns.
    rename
        File column -> standard column (e.g. ``{'conc': 'dose'}``).

    Raises
    ------
    DataError
        Every problem of the file at once, one per line, with line and column.
    """
    df = read_table(path, required=[DOSE, RESPONSE], numeric=[DOSE, RESPONSE], nonnegative=[DOSE], rename=rename,
                    sheet=sheet, replicates=replicates)
    source = df.attrs.get("source", str(path))
    return _normalise(df, source, dose_unit, time_unit)


def load_conditions(path: str | os.PathLike, parameters: Mapping[str, float] | None = None) -> dict[str, Condition]:
    """Read a conditions table: ``condition``, ``pretreatment``, optional ``washout``,
    and fixed parameter overrides (other columns, named after model parameters).

    Parameters
    ----------
    path
        The CSV file.
    parameters
        The model's parameters, to check override column names against.

    Raises
    ------
    DataError
        Naming the file, line and column of every problem.
    """
    df = read_table(path, required=[CONDITION])
    source = df.attrs.get("source", str(path))
    problems: list[Problem] = []
    extra = [c for c in df.columns if c not in (CONDITION, "pretreatment", "washout")]
    if parameters is not None:
        for col in extra:
            if col not in parameters:
                from .models.sbml import closest

                problems.append(Problem(source, 1, col, f"not a parameter of the model{closest(col, parameters)}"))
    out: dict[str, Condition] = {}
    for line, row in df.iterrows():
        name = str(row[CONDITION]).strip()
        if not name:
            problems.append(Problem(source, int(line), CONDITION, "empty condition name"))
            continue
        if name in out:
            problems.append(Problem(source, int(line), CONDITION, f"condition {name!r} is defined twice"))
            continue
        try:
            exposures = parse_exposures(str(row.get("pretreatment", "")), what=f"{source}:{line}: column 'pretreatment'")
        except DataError as exc:
            problems.append(Problem(source, int(line), "pretreatment", str(exc).split(": ", 2)[-1]))
            continue
        washout = 0.0
        w = str(row.get("washout", "")).strip()
        if w:
            try:
                washout = parse_time(w, _TIME_STORE, "washout")
            except UnitError as exc:
                problems.append(Problem(source, int(line), "washout", str(exc)))
                continue
            if washout < 0:
                problems.append(Problem(source, int(line), "washout", f"must be >= 0 (got {w!r})"))
                continue
        overrides = {}
        for col in extra:
            cell = str(row[col]).strip()
            if cell == "":
                continue
            try:
                overrides[col] = float(cell)
            except ValueError:
                problems.append(Problem(source, int(line), col, f"not a number (got {cell!r})"))
        end = exposures[-1].stop if exposures else 0.0
        out[name] = Condition(name, exposures, end + washout, overrides)
    if problems:
        raise DataError("\n".join(str(p) for p in problems))
    return out

