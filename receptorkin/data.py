"""Validated reading of tidy measurement tables (CSV).

Every reader here looks at the *whole* file and raises one
:class:`~receptorkin.errors.DataError` that lists every problem, one per
line, in the form ``file.csv:12: column 'dose': not a number (got '1e-3 nM')``.
Line numbers are those of the file (the header is line 1, blank lines and
comment lines still count).  Column names in messages are the names written
in the file, even when they are renamed on reading.

A dose of 0 is a vehicle control: it is kept as 0.0 and nothing here takes
its logarithm.  Negative doses, empty or NaN responses, missing columns and
text in numeric columns are errors.

The column names of the measurement format are constants in one
place: :data:`DOSE`, :data:`RESPONSE`, :data:`TIME`, :data:`CONDITION`,
:data:`REPLICATE`, :data:`SD`, :data:`OBSERVABLE`.
"""

from __future__ import annotations

import csv
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from .errors import DataError

__all__ = [
    "DOSE",
    "RESPONSE",
    "TIME",
    "CONDITION",
    "REPLICATE",
    "SD",
    "OBSERVABLE",
    "Problem",
    "read_table",
    "validate_table",
    "check_enough_points",
    "line_span",
    "table_source",
    "table_lines",
]

#: concentration of the challenge (column name in the measurement format)
DOSE = "dose"
#: measured response
RESPONSE = "response"
#: time of the read-out
TIME = "time"
#: experimental condition (e.g. pre-treatment)
CONDITION = "condition"
#: replicate id
REPLICATE = "replicate"
#: standard deviation of a response, for weighting
SD = "sd"
#: model output a row refers to
OBSERVABLE = "observable"

_NONFINITE = {"nan", "+nan", "-nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity", "na", "n/a", "null", "none"}


@dataclass(frozen=True)
class Problem:
    """One problem found in a table.

    Attributes
    ----------
    source
        File name (or a description such as ``'<DataFrame>'``).
    line
        Line number in the file (header = 1), or ``None`` for file-level problems.
    column
        Column name as written in the file, or ``None``.
    message
        What is wrong, including the offending value.
    """

    source: str
    line: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        if self.column is not None:
            return f"{where}: column {self.column!r}: {self.message}"
        return f"{where}: {self.message}"


def _raise(problems: Sequence[Problem]) -> None:
    if problems:
        raise DataError("\n".join(str(p) for p in problems))


def line_span(lines: Iterable[int]) -> str:
    """Describe a set of file line numbers compactly: ``'line 4'``, ``'lines 2-12'``
    or ``'lines 2-5, 9, 11-12'``."""
    values = sorted({int(v) for v in lines})
    if not values:
        return "no lines"
    if len(values) == 1:
        return f"line {values[0]}"
    runs: list[str] = []
    start = prev = values[0]
    for v in values[1:] + [None]:  # type: ignore[list-item]
        if v is not None and v == prev + 1:
            prev = v
            continue
        runs.append(f"{start}" if start == prev else f"{start}-{prev}")
        if v is not None:
            start = prev = v
    return "lines " + ", ".join(runs)


def table_source(df: pd.DataFrame) -> str:
    """The file a table was read from (``df.attrs['source']``) or ``'<DataFrame>'``."""
    return str(df.attrs.get("source", "<DataFrame>"))


def table_lines(df: pd.DataFrame) -> np.ndarray:
    """File line numbers of the rows of ``df``.

    Tables returned by :func:`read_table` carry them as their index (named
    ``'line'``); for any other DataFrame the rows are numbered as if it were
    written to CSV with a header (first row = line 2).
    """
    if df.index.name == "line":
        return np.asarray(df.index, dtype=int)
    return np.arange(2, len(df) + 2)


def _check_number(text: str, *, nonnegative: bool, positive: bool) -> tuple[float | None, str | None]:
    """Parse one cell; return (value, None) or (None, problem message)."""
    s = text.strip()
    if s == "":
        return None, "empty value"
    if s.lower() in _NONFINITE:
        return None, f"not a finite number (got {text!r})"
    try:
        value = float(s)
    except ValueError:
        return None, f"not a number (got {text!r})"
    if not math.isfinite(value):
        return None, f"not a finite number (got {text!r})"
    if positive and value <= 0:
        return None, f"must be positive (got {text!r})"
    if nonnegative and value < 0:
        return None, f"must not be negative (got {text!r})"
    return value, None


def _validate_cells(
    header: list[str],
    rows: list[list[str]],
    lines: list[int],
    source: str,
    *,
    required: Sequence[str],
    numeric: Sequence[str],
    nonnegative: Sequence[str],
    positive: Sequence[str],
    rename: Mapping[str, str] | None,
) -> pd.DataFrame:
    problems: list[Problem] = []
    rename = dict(rename or {})
    # file name -> final name; final name -> file name
    final_names = [rename.get(h, h) for h in header]
    original = {f: h for f, h in zip(final_names, header)}
    seen: dict[str, int] = {}
    for f, h in zip(final_names, header):
        if f in seen:
            problems.append(Problem(source, 1, None, f"column {h!r} appears more than once in the header"))
        seen[f] = 1
    wanted = list(dict.fromkeys([*required, *numeric, *nonnegative, *positive]))
    inverse = {new: old for old, new in rename.items()}
    have = ", ".join(header) or "no columns"
    for name in wanted:
        if name in final_names:
            continue
        if name in required or name in inverse:
            shown = inverse.get(name, name)
            problems.append(Problem(source, 1, None, f"missing column {shown!r} (the file has: {have})"))
    _raise(problems)

    width = len(header)
    good_rows: list[list[str]] = []
    good_lines: list[int] = []
    for row, line in zip(rows, lines):
        if len(row) != width:
            problems.append(Problem(source, line, None, f"expected {width} fields as in the header, got {len(row)}"))
            continue
        good_rows.append(row)
        good_lines.append(line)

    columns: dict[str, list] = {f: [r[i] for r in good_rows] for i, f in enumerate(final_names)}
    out: dict[str, object] = {}
    for f in final_names:
        raw = columns[f]
        if f in numeric or f in nonnegative or f in positive:
            values = np.empty(len(raw))
            for k, (cell, line) in enumerate(zip(raw, good_lines)):
                v, msg = _check_number(cell, nonnegative=f in nonnegative, positive=f in positive)
                if msg is not None:
                    problems.append(Problem(source, line, original[f], msg))
                    values[k] = np.nan
                else:
                    values[k] = v
            out[f] = values
        else:
            if f in required:
                for cell, line in zip(raw, good_lines):
                    if cell.strip() == "":
                        problems.append(Problem(source, line, original[f], "empty value"))
            out[f] = [c.strip() for c in raw]
    problems.sort(key=lambda p: (p.line or 0))
    _raise(problems)
    if not good_rows:
        _raise([Problem(source, None, None, "no data rows below the header")])
    df = pd.DataFrame(out, index=pd.Index(good_lines, name="line"))
    df.attrs["source"] = source
    return df


def read_table(
    path: str | os.PathLike,
    *,
    required: Sequence[str] = (),
    numeric: Sequence[str] = (),
    nonnegative: Sequence[str] = (),
    positive: Sequence[str] = (),
    rename: Mapping[str, str] | None = None,
    delimiter: str | None = None,
    comment: str | None = "#",
    sheet: str | None = None,
    replicates: str | Sequence[str] | None = None,
    replicates_into: str = RESPONSE,
) -> pd.DataFrame:
    """Read a tidy CSV table, validating all of it before returning.

    Excel (``.xlsx``) and GraphPad Prism (``.pzfx``) files and wide replicate
    columns are read by :mod:`receptorkin.readers` (``sheet``: sheet or Prism
    table; ``replicates``: columns or a pattern such as ``'rep*'`` melted into
    ``replicates_into``) and then checked by the same rules.

    Parameters
    ----------
    path
        CSV file (comma, semicolon or tab separated; sniffed unless
        ``delimiter`` is given).  The first non-comment line is the header.
    required
        Column names that must be present (names after ``rename``).
    numeric
        Columns whose every cell must be a finite number (no empty cells,
        no ``NaN``/``inf``, no text such as ``'1e-3 nM'``).
    nonnegative
        Numeric columns that must also be >= 0 (doses: 0 is a vehicle
        control and is kept).
    positive
        Numeric columns that must be > 0.
    rename
        Mapping from a column name in the file to the name used in the
        returned table (e.g. ``{'DOSE': 'dose'}``).  Messages still use the
        file's own name.
    delimiter
        Field separator; ``None`` to detect ``,`` ``;`` or tab from the header.
    comment
        Lines whose first non-blank character is this string are skipped
        (they still count for line numbers); ``None`` to disable.

    Returns
    -------
    pandas.DataFrame
        Numeric columns as float64, all others as stripped strings.  The index
        holds the file line number of each row (named ``'line'``) and
        ``df.attrs['source']`` the file name.

    Raises
    ------
    DataError
        Listing every problem found, one per line:
        ``file.csv:12: column 'dose': not a number (got '1e-3 nM')``.
    """
    p = Path(path)
    from .readers import needs_reader, read_frame

    if needs_reader(p, sheet, replicates):
        frame = read_frame(p, sheet=sheet, replicates=replicates, value=replicates_into, comment=comment)
        return validate_table(frame, required=required, numeric=numeric, nonnegative=nonnegative,
                              positive=positive, rename=rename)
    source = str(p)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise DataError(f"{source}: file not found") from None
    except IsADirectoryError:
        raise DataError(f"{source}: is a directory, expected a CSV file") from None
    except UnicodeDecodeError as exc:
        raise DataError(f"{source}: not a UTF-8 text file ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise DataError(f"{source}: cannot read ({exc.strerror})") from None

    physical = text.splitlines()
    keep: list[tuple[int, str]] = []
    for number, line in enumerate(physical, start=1):
        stripped = line.strip()
        if not stripped:
            continue
        if comment and stripped.startswith(comment):
            continue
        keep.append((number, line))
    if not keep:
        raise DataError(f"{source}: empty file (no header line)")
    if delimiter is None:
        head = keep[0][1]
        counts = {d: head.count(d) for d in (",", ";", "\t")}
        delimiter = max(counts, key=lambda d: counts[d]) if max(counts.values()) > 0 else ","

    # parse line by line so that every row keeps its file line number; a quoted
    # field spanning several lines is joined back before parsing
    records: list[tuple[int, list[str]]] = []
    pending: list[str] = []
    pending_line = 0
    for number, line in keep:
        if not pending:
            pending_line = number
        pending.append(line)
        joined = "\n".join(pending)
        if joined.count('"') % 2 == 1:
            continue
        fields = next(csv.reader([joined], delimiter=delimiter, skipinitialspace=False))
        records.append((pending_line, fields))
        pending = []
    if pending:
        raise DataError(f"{source}:{pending_line}: unterminated quoted field")

    _, header = records[0]
    header = [h.strip() for h in header]
    rows = [r for _, r in records[1:]]
    lines = [n for n, _ in records[1:]]
    return _validate_cells(
        header, rows, lines, source, required=required, numeric=numeric,
        nonnegative=nonnegative, positive=positive, rename=rename,
    )


def validate_table(
    df: pd.DataFrame,
    *,
    required: Sequence[str] = (),
    numeric: Sequence[str] = (),
    nonnegative: Sequence[str] = (),
    positive: Sequence[str] = (),
    rename: Mapping[str, str] | None = None,
    source: str | None = None,
) -> pd.DataFrame:
    """Validate an in-memory table with the rules of :func:`read_table`.

    Cells are checked as text (so ``'1e-3 nM'`` or ``None`` are reported,
    not coerced).  Rows are located by :func:`table_lines` and the source by
    ``source`` or :func:`table_source`.  Returns a new DataFrame in the form
    :func:`read_table` returns.
    """
    src = source if source is not None else table_source(df)
    header = [str(c) for c in df.columns]

    def cell(v: object) -> str:
        if v is None:
            return ""
        if isinstance(v, float) and math.isnan(v):
            return "nan"
        return str(v)

    rows = [[cell(v) for v in row] for row in df.itertuples(index=False, name=None)]
    return _validate_cells(
        header, rows, [int(x) for x in table_lines(df)], src, required=required, numeric=numeric,
        nonnegative=nonnegative, positive=positive, rename=rename,
    )


def check_enough_points(
    n_points: int,
    n_parameters: int,
    *,
    source: str = "<data>",
    lines: Iterable[int] | None = None,
    what: str = "",
    parameter_names: Sequence[str] | None = None,
) -> None:
    """Refuse to fit ``n_parameters`` to fewer than ``n_parameters + 1`` points.

    With exactly as many points as parameters the curve passes through every
    point, the residual variance has zero degrees of freedom and no standard
    error exists.

    Parameters
    ----------
    n_points
        Number of observations.
    n_parameters
        Number of estimated parameters.
    source, lines, what
        Where the points come from, for the message (file, file line numbers,
        e.g. ``"curve 'A'"``).
    parameter_names
        Names of the parameters, listed in the message.

    Raises
    ------
    DataError
        ``file.csv: lines 2-5 (curve 'A'): 4 data points for 4 parameters (b, c, d, e); at least 5 are needed``
    """
    if n_points >= n_parameters + 1:
        return
    where = source
    if lines is not None:
        where += f": {line_span(lines)}"
    if what:
        where += f" ({what})"
    names = f" ({', '.join(parameter_names)})" if parameter_names else ""
    raise DataError(
        f"{where}: {n_points} data point{'s' if n_points != 1 else ''} for {n_parameters} "
        f"parameter{'s' if n_parameters != 1 else ''}{names}; at least {n_parameters + 1} are needed"
    )
