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

from .tables import CONDITION, DOSE, OBSERVABLE, REPLICATE, RESPONSE, SD, TIME, Problem, read_table, validate_table
from ..dosing import Exposure
from ..dosing import parse_exposures as _parse_exposures
from ..errors import DataError, RegimenError
from ..units import CONCENTRATION_UNITS, TIME_UNITS, UnitError, concentration_factor, parse_time

__all__ = ["Measurements", "Exposure", "Condition", "load_measurements", "load_conditions", "parse_exposures",
           "DEFAULT_CONDITION", "DEFAULT_OBSERVABLE"]

DEFAULT_CONDITION = "control"
DEFAULT_OBSERVABLE = "response"
_TIME_STORE = "min"  # canonical unit of times held by Measurements and Condition
_TO_NM = {u: concentration_factor(u, "nM") for u in CONCENTRATION_UNITS}
_MAX_WASHOUT_MIN = 1e10  # the largest time a regimen may mention (dosing.regimen.MAX_TIME_MIN)


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
    units = pd.Series(values, dtype=object).astype(str).str.strip()
    factors = units.map(table).to_numpy(dtype=float)
    for i in np.flatnonzero(np.isnan(factors)):
        problems.append(Problem(source, int(lines[i]), column, f"unknown unit (got {units.iloc[i]!r}; "
                                                               f"expected one of {', '.join(sorted(set(table)))})"))
        factors[i] = 1.0
    return factors


def _text_numbers(cells: pd.Series, lines, column: str, source: str, problems: list[Problem], *, empty: tuple[str, ...],
                  check, expected: str, hint: str = "") -> np.ndarray:
    """Numbers of a text column: ``empty`` cells give NaN, others must parse and pass ``check``."""
    text = pd.Series(cells, dtype=object).astype(str).str.strip()
    blank = text.str.lower().isin(empty).to_numpy()
    values = np.array(pd.to_numeric(text.where(~blank, "nan"), errors="coerce"), dtype=float)
    unreadable = (np.isnan(values) | text.str.contains("_", regex=False).to_numpy()) & ~blank
    with np.errstate(invalid="ignore"):
        wrong = ~blank & ~unreadable & ~check(values)
    for i in np.flatnonzero(unreadable | wrong):
        s = text.iloc[i]
        if unreadable[i] or "_" in s:
            problems.append(Problem(source, int(lines[i]), column, f"not a number (got {s!r}{hint})"))
        else:
            problems.append(Problem(source, int(lines[i]), column, f"{expected} (got {s!r})"))
    values[unreadable | wrong] = np.nan
    return values


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
        times = _text_numbers(df[TIME], lines, TIME, source, problems, empty=("", "steady", "ss", "nan"),
                              check=lambda t: np.isfinite(t) & (t >= 0), expected="must be a finite time >= 0",
                              hint="; leave empty for steady state")
        if "time_unit" in df.columns:
            times = times * _unit_factor(df["time_unit"], lines, "time_unit", TIME_UNITS, source, problems) / TIME_UNITS[_TIME_STORE]
        else:
            if time_unit not in TIME_UNITS:
                raise DataError(f"{source}: unknown time unit {time_unit!r} (expected s, min, h or d)")
            times = times * TIME_UNITS[time_unit] / TIME_UNITS[_TIME_STORE]
        out["time"] = times
    else:
        out["time"] = np.nan
    for column, default in ((CONDITION, DEFAULT_CONDITION), (OBSERVABLE, DEFAULT_OBSERVABLE)):
        if column in df.columns:
            labels = pd.Series(df[column].to_numpy(), dtype=object).astype(str)
            out[column] = labels.where(labels.str.strip() != "", default).to_numpy()
        else:
            out[column] = default
    out["replicate"] = df[REPLICATE].to_numpy() if REPLICATE in df.columns else ""
    if SD in df.columns:  # an empty sd: the noise of that row is estimated
        out["sd"] = _text_numbers(df[SD], lines, SD, source, problems, empty=("",),
                                  check=lambda v: np.isfinite(v) & (v > 0), expected="must be a positive number")
    else:
        out["sd"] = np.nan
    for column, values in (("dose", out["dose"].to_numpy()), ("time", out["time"].to_numpy())):
        overflow = np.isinf(values)  # a finite cell that its unit pushed beyond the float range
        for line in out["line"].to_numpy()[overflow][:10]:
            problems.append(Problem(source, int(line), column, "too large once converted to nM / min"))
    if problems:
        raise DataError("\n".join(str(p) for p in problems))
    out.attrs["source"] = source
    return Measurements(out, source)


def load_measurements(path: str | os.PathLike, *, dose_unit: str | None = None, time_unit: str = "min",
                      rename: Mapping[str, str] | None = None, sheet: str | None = None,
                      replicates: str | Sequence[str] | None = None,
                      log_dose: str | bool | None = None) -> Measurements:
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
        ``dose_unit``/``time_unit`` columns.  The dose unit defaults to the
        one in the dose column's title (``dose [uM]``, ``dose_uM``, a Prism X
        title ``conc [nM]``), else nM.
    log_dose
        The dose column holds log10 concentrations in this unit (``'M'`` for
        Prism's ``log[agonist]``); ``None``: when its title starts with
        ``log``; ``False``: never (see :func:`receptorkin.data.readers.convert_log_doses`).
    rename
        File column -> standard column (e.g. ``{'conc': 'dose'}``).

    Raises
    ------
    DataError
        Every problem of the file at once, one per line, with line and column.
    """
    df = read_table(path, required=[DOSE, RESPONSE], numeric=[DOSE, RESPONSE], nonnegative=[DOSE], rename=rename,
                    sheet=sheet, replicates=replicates, log_dose=log_dose, dose_unit=dose_unit)
    source = df.attrs.get("source", str(path))
    if dose_unit is None:
        dose_unit = dict(df.attrs.get("units") or {}).get(DOSE) or "nM"
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
                from ..models.sbml import closest

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
            if not math.isfinite(washout) or washout > _MAX_WASHOUT_MIN:
                problems.append(Problem(source, int(line), "washout",
                                        f"must be a finite time of at most {_MAX_WASHOUT_MIN:g} min (got {w!r})"))
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
                value = float(cell)
            except ValueError:
                problems.append(Problem(source, int(line), col, f"not a number (got {cell!r})"))
                continue
            if not math.isfinite(value):
                problems.append(Problem(source, int(line), col, f"not a finite number (got {cell!r}; "
                                                                f"leave the cell empty to keep the model's value)"))
                continue
            overrides[col] = value
        end = exposures[-1].stop if exposures else 0.0
        out[name] = Condition(name, exposures, end + washout, overrides)
    if problems:
        raise DataError("\n".join(str(p) for p in problems))
    return out

