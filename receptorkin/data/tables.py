"""Validated reading of tidy measurement tables (CSV).

Every reader here streams the file, checks it :data:`CHUNK_ROWS` rows at a
time, and raises one :class:`~receptorkin.errors.DataError` that lists the
problems of the first chunk that has any, one per line, in the form
``file.csv:12: column 'dose': not a number (got '1e-3 nM')`` (so an error
near the top of a huge file is reported at once, and memory holds only the
converted columns).  No other exception escapes: a file that is not UTF-8,
holds NUL bytes or a quote that is never closed is a ``DataError`` at its
line.  Rows identical in every column are kept with a
:class:`~receptorkin.errors.DuplicateRowWarning` naming their lines.
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
import itertools
import math
import operator
import os
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import DataError, DuplicateRowWarning
from .readers import (EXCEL_SUFFIXES, PRISM_SUFFIXES, convert_log_doses, melt_replicates, needs_reader, read_excel,
                      read_pzfx)

__all__ = [
    "read_frame",
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
    "warn_duplicate_rows",
    "CHUNK_ROWS",
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
    if "_" in s:
        return None, f"not a number (got {text!r})"
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


#: rows validated at a time: the first bad chunk stops the reading, so a problem on
#: line 2 of a huge file is reported at once and memory stays proportional to what is kept
CHUNK_ROWS = 20_000
#: most problems listed for one file (the message says how many more were found)
MAX_PROBLEMS = 50


def _unit_columns(header: list[str], wanted: Sequence[str], rename: Mapping[str, str] | None,
                  units: Mapping[str, str] | None = None) -> tuple[dict[str, str], dict[str, str]]:
    """``rename`` completed for wanted columns written with a unit (``dose [nM]`` for ``dose``), and their units.

    A wanted column missing from the header is taken from the one header
    cell that is its name plus a concentration unit (``dose [nM]``,
    ``dose (nM)``, ``dose_nM``); the unit is returned by column name
    (``{'dose': 'nM'}``), with ``units`` (already known units) kept.
    """
    from .readers import canonical_unit, split_unit

    rename = dict(rename or {})
    units = dict(units or {})
    final = {rename.get(h, h) for h in header}
    for name in wanted:
        if name in final:
            continue
        hits = [h for h in header if h not in rename and split_unit(h)[1] is not None and split_unit(h)[0] == name]
        if len(hits) == 1:
            rename[hits[0]] = name
            units.setdefault(name, canonical_unit(str(split_unit(hits[0])[1])))
    return rename, units


def _header_problems(header: list[str], source: str, wanted: Sequence[str], required: Sequence[str],
                     rename: Mapping[str, str]) -> list[Problem]:
    problems: list[Problem] = []
    final_names = [rename.get(h, h) for h in header]
    seen: set[str] = set()
    for f, h in zip(final_names, header):
        if f in seen:
            problems.append(Problem(source, 1, None, f"column {h!r} appears more than once in the header"))
        seen.add(f)
    inverse = {new: old for old, new in rename.items()}
    have = ", ".join(header) or "no columns"
    for name in wanted:
        if name in final_names:
            continue
        if name in required or name in inverse:
            shown = inverse.get(name, name)
            problems.append(Problem(source, 1, None, f"missing column {shown!r} (the file has: {have})"))
    return problems


class _Chunks:
    """Validate rows chunk by chunk and keep only the converted columns."""

    def __init__(self, header: list[str], source: str, *, required: Sequence[str], numeric: Sequence[str],
                 nonnegative: Sequence[str], positive: Sequence[str], rename: Mapping[str, str]) -> None:
        self.source = source
        self.width = len(header)
        self.final = [rename.get(h, h) for h in header]
        self.original = dict(zip(self.final, header))
        self.numeric = {f for f in self.final if f in numeric or f in nonnegative or f in positive}
        self.nonnegative = set(nonnegative)
        self.positive = set(positive)
        self.required = set(required)
        self.parts: dict[str, list] = {f: [] for f in self.final}
        self.lines: list[np.ndarray] = []
        self.n = 0

    def add(self, rows: list[list[str]], lines: list[int]) -> list[Problem]:
        """Validate one chunk; keep it when it has no problem, else return the problems."""
        problems: list[Problem] = []
        good_rows, good_lines = rows, lines
        if set(map(len, rows)) - {self.width}:
            good_rows, good_lines = [], []
            for row, line in zip(rows, lines):
                if len(row) != self.width:
                    problems.append(Problem(self.source, line, None,
                                            f"expected {self.width} fields as in the header, got {len(row)}"))
                else:
                    good_rows.append(row)
                    good_lines.append(line)
        converted: dict[str, object] = {}
        for i, f in enumerate(self.final):
            raw = list(map(operator.itemgetter(i), good_rows))
            if f in self.numeric:
                values = self._fast_numbers(raw, f)
                if values is None:
                    values = np.empty(len(raw))
                    for k, (cell, line) in enumerate(zip(raw, good_lines)):
                        v, msg = _check_number(cell, nonnegative=f in self.nonnegative, positive=f in self.positive)
                        if msg is not None:
                            problems.append(Problem(self.source, line, self.original[f], msg))
                            values[k] = np.nan
                        else:
                            values[k] = v
                converted[f] = values
            else:
                out = list(map(sys.intern, map(str.strip, raw)))  # repeated labels share one string
                if "\x00" in "".join(out):
                    problems.extend(Problem(self.source, line, self.original[f], "contains a NUL byte (a binary file?)")
                                    for c, line in zip(out, good_lines) if "\x00" in c)
                if f in self.required and "" in out:
                    problems.extend(Problem(self.source, line, self.original[f], "empty value")
                                    for c, line in zip(out, good_lines) if c == "")
                converted[f] = out
        if problems:
            return problems
        for f in self.final:
            self.parts[f].append(converted[f])
        self.lines.append(np.asarray(good_lines, dtype=np.int64))
        self.n += len(good_lines)
        return []

    def _fast_numbers(self, raw: list[str], f: str) -> np.ndarray | None:
        """Convert a clean column in one call; ``None`` sends it to the cell-by-cell check."""
        if "_" in "".join(raw):  # float() reads '1_0' as 10; _check_number refuses it
            return None
        try:
            values = np.fromiter(map(float, raw), dtype=float, count=len(raw))
        except (ValueError, OverflowError):
            return None
        if not np.isfinite(values).all():
            return None
        if f in self.positive and (values <= 0).any():
            return None
        if f in self.nonnegative and (values < 0).any():
            return None
        return values

    def frame(self) -> pd.DataFrame:
        lines = np.concatenate(self.lines) if self.lines else np.empty(0, dtype=np.int64)
        index = pd.Index(lines, name="line")
        out: dict[str, object] = {}
        for f in self.final:
            if f in self.numeric:
                out[f] = np.concatenate(self.parts[f]) if self.parts[f] else np.empty(0)
            else:  # Python strings as they are (no conversion of a million labels to another string type)
                cells = np.empty(self.n, dtype=object)
                at = 0
                for part in self.parts[f]:
                    cells[at:at + len(part)] = part
                    at += len(part)
                out[f] = pd.Series(cells, index=index, dtype=object)
        return pd.DataFrame(out, index=index)


def _finish(problems: list[Problem], source: str, stopped_at: int | None) -> None:
    problems = sorted(problems, key=lambda p: (p.line or 0))
    shown = problems[:MAX_PROBLEMS]
    text = "\n".join(str(p) for p in shown)
    if len(problems) > MAX_PROBLEMS:
        text += f"\n{source}: ... and {len(problems) - MAX_PROBLEMS} more problems"
    if stopped_at is not None:
        text += f"\n{source}: reading stopped after line {stopped_at}; later lines were not checked"
    raise DataError(text)


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
    units: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    wanted = list(dict.fromkeys([*required, *numeric, *nonnegative, *positive]))
    rename, units = _unit_columns(header, wanted, rename, units)
    _raise(_header_problems(header, source, wanted, required, rename))
    chunks = _Chunks(header, source, required=required, numeric=numeric, nonnegative=nonnegative,
                     positive=positive, rename=rename)
    problems = chunks.add(rows, lines)
    if problems:
        _finish(problems, source, None)
    return _finished_frame(chunks, source, units)


def _finished_frame(chunks: "_Chunks", source: str, units: "Mapping[str, str] | None") -> pd.DataFrame:
    """The table the chunks hold, with its source (and column units) in ``attrs``; no rows is an error."""
    if not chunks.n:
        _raise([Problem(source, None, None, "no data rows below the header")])
    df = chunks.frame()
    df.attrs["source"] = source
    if units:
        df.attrs["units"] = units
    return df


def _physical_lines(fh, comment: str | None):
    """The file's lines with blank and comment lines emptied (they still count)."""
    plain = set("0123456789.-+\"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") - set(comment or "")
    for line in fh:
        if line[:1] in plain:  # the common case, decided on the first character
            yield line
            continue
        stripped = line.strip()
        if not stripped or (comment and stripped.startswith(comment)):
            yield "\n"
        else:
            yield line


def _bad_utf8_line(path: Path) -> tuple[int, int, str]:
    """Line number, byte position in the line and reason of the first invalid UTF-8 byte."""
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                return number, exc.start + 1, exc.reason
    return 0, 0, "invalid byte"


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
    dose: str = DOSE,
    log_dose: str | bool | None = None,
    dose_unit: str | None = None,
) -> pd.DataFrame:
    """Read a tidy CSV table, validating all of it before returning.

    The file is read as a stream and checked :data:`CHUNK_ROWS` rows at a
    time: the first chunk with a problem ends the reading (every problem of
    that chunk is listed, at most :data:`MAX_PROBLEMS`), so an error near
    the top of a huge file is reported at once, and memory holds only the
    converted columns, not the file's text.

    Excel (``.xlsx``) and GraphPad Prism (``.pzfx``) files and wide replicate
    columns are read by :mod:`receptorkin.data.readers` (``sheet``: sheet or Prism
    table; ``replicates``: columns or a pattern such as ``'rep*'`` melted into
    ``replicates_into``) and then checked by the same rules.  There the
    ``dose`` column may hold log10 doses (a title such as ``log[agonist] (M)``,
    or ``log_dose='M'``): they become doses in ``dose_unit`` (see
    :func:`receptorkin.data.readers.convert_log_doses`).  A column written with a
    unit (``dose [nM]``, ``dose_nM``) stands for a wanted column of that name
    (``dose``); the unit is in ``df.attrs['units']``.

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
        Listing the problems found, one per line:
        ``file.csv:12: column 'dose': not a number (got '1e-3 nM')``; also for
        a file that is not UTF-8 text, contains NUL bytes, has a quote that
        is never closed or is not a file at all.

    Warns
    -----
    DuplicateRowWarning
        When rows are identical in every column (naming their lines); they
        are kept as separate observations.
    """
    p = Path(path)
    if needs_reader(p, sheet, replicates, log_dose):
        frame = read_frame(p, sheet=sheet, replicates=replicates, value=replicates_into, comment=comment,
                           dose=dose, log_dose=log_dose, dose_unit=dose_unit)
        return validate_table(frame, required=required, numeric=numeric, nonnegative=nonnegative,
                              positive=positive, rename=rename)
    source = str(p)
    rename = dict(rename or {})
    try:
        fh = open(p, encoding="utf-8-sig", newline="")
    except FileNotFoundError:
        raise DataError(f"{source}: file not found") from None
    except IsADirectoryError:
        raise DataError(f"{source}: is a directory, expected a CSV file") from None
    except OSError as exc:
        raise DataError(f"{source}: cannot read ({exc.strerror or exc})") from None
    with fh:
        try:
            df = _read_stream(fh, source, required=required, numeric=numeric, nonnegative=nonnegative,
                              positive=positive, rename=rename, delimiter=delimiter, comment=comment)
        except UnicodeDecodeError:
            line, byte, reason = _bad_utf8_line(p)
            raise DataError(f"{source}:{line}: not a UTF-8 text file ({reason} at byte {byte} of the line); "
                            f"save the table as CSV UTF-8") from None
        except OSError as exc:
            raise DataError(f"{source}: cannot read ({exc.strerror or exc})") from None
        except _CsvFault as fault:
            line, why = _locate_csv_error(p, fault.delimiter, comment, str(fault))
            raise DataError(f"{source}:{line}: {why}") from None
    warn_duplicate_rows(df)
    return df


def read_frame(path: str | os.PathLike, *, sheet: str | None = None, replicates: str | Sequence[str] | None = None,
               value: str = "response", comment: str | None = "#", dose: str = "dose",
               log_dose: str | bool | None = None, dose_unit: str | None = None) -> pd.DataFrame:
    """Read any supported file into a table of text cells (formats: :mod:`receptorkin.data.readers`).

    Parameters
    ----------
    path
        ``.csv``/``.tsv``/``.txt``, ``.xlsx``/``.xlsm`` or ``.pzfx``.
    sheet
        Sheet name (Excel) or table title (Prism); ``None`` for the first.
    replicates
        Wide replicate columns to melt into ``value`` (names or a pattern).
    value
        Column receiving the melted replicate values (default ``response``).
    comment
        Comment marker for text files and workbooks.
    dose
        The dose column (for the units and log doses of its title).
    log_dose, dose_unit
        Whether the dose column holds log10 doses, and the unit of the doses
        returned (see :func:`~receptorkin.data.readers.convert_log_doses`).

    Returns
    -------
    pandas.DataFrame
        Text cells, index = file line/row (``'line'``), ``attrs['source']``;
        ``attrs['units']`` maps the dose column to its unit when one is known.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in EXCEL_SUFFIXES:
        df = read_excel(p, sheet, comment=comment)
    elif suffix in PRISM_SUFFIXES:
        df = read_pzfx(p, sheet)
    else:
        if sheet is not None:
            raise DataError(f"{p}: a sheet ({sheet!r}) is given but the file is delimited text, not a workbook")
        df = read_table(p, comment=comment)
        df = df.astype(object)
    if replicates:
        df = melt_replicates(df, replicates, value=value)
    return convert_log_doses(df, dose, log_dose=log_dose, dose_unit=dose_unit)


class _CsvFault(Exception):
    """The csv module gave up on the file (located afterwards by :func:`_locate_csv_error`)."""

    def __init__(self, message: str, delimiter: str = ",") -> None:
        super().__init__(message)
        self.delimiter = delimiter


def _locate_csv_error(path: Path, delimiter: str, comment: str | None, message: str) -> tuple[int, str]:
    """Re-read the file record by record up to the csv module's error: (line where the record starts, why)."""
    if "NUL" in message:
        why = "contains a NUL byte; expected a CSV text file"
    elif "field larger" in message or "unexpected end" in message or "EOF" in message:
        why = "a quoted field starts here and is not closed (a stray '\"'?)"
    else:
        why = f"cannot read this line as CSV ({message})"
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(_physical_lines(fh, comment), delimiter=delimiter, strict=False)
        while True:
            start = reader.line_num + 1
            try:
                next(reader)
            except StopIteration:
                return start, why
            except csv.Error:
                return start, why


def _read_stream(fh, source: str, *, required: Sequence[str], numeric: Sequence[str],
                 nonnegative: Sequence[str], positive: Sequence[str], rename: Mapping[str, str],
                 delimiter: str | None, comment: str | None) -> pd.DataFrame:
    lines_iter = _physical_lines(fh, comment)
    # the header: the first line that is neither blank nor a comment
    skipped = 0
    head = None
    for line in lines_iter:
        if line != "\n":
            head = line
            break
        skipped += 1
    if head is None:
        raise DataError(f"{source}: empty file (no header line)")
    if "\x00" in head:
        raise DataError(f"{source}:{skipped + 1}: contains a NUL byte; expected a CSV text file")
    if delimiter is None:
        counts = {d: head.count(d) for d in (",", ";", "\t")}
        delimiter = max(counts, key=lambda d: counts[d]) if max(counts.values()) > 0 else ","

    def stream():
        yield head
        yield from lines_iter

    reader = csv.reader(stream(), delimiter=delimiter, skipinitialspace=False, strict=False)
    wanted = list(dict.fromkeys([*required, *numeric, *nonnegative, *positive]))
    base = skipped  # physical lines before the csv reader's first line
    try:
        header = [h.strip() for h in next(reader)]
    except csv.Error as exc:
        raise _CsvFault(str(exc), delimiter) from None
    rename, units = _unit_columns(header, wanted, rename)
    _raise(_header_problems(header, source, wanted, required, rename))
    chunks = _Chunks(header, source, required=required, numeric=numeric, nonnegative=nonnegative,
                     positive=positive, rename=rename)
    while True:
        before = reader.line_num
        try:
            batch = list(itertools.islice(reader, CHUNK_ROWS))
        except csv.Error as exc:
            raise _CsvFault(str(exc), delimiter) from None
        if not batch:
            break
        first = base + before + 1
        full = len(batch) == CHUNK_ROWS  # more may follow
        if reader.line_num - before == len(batch):  # one line per record: numbers follow
            numbers: list[int] = list(range(first, first + len(batch)))
        else:  # a quoted field spans lines: count the line breaks inside the fields
            numbers, n = [], first
            for record in batch:
                numbers.append(n)
                n += 1 + sum(f.count("\n") + f.count("\r") - f.count("\r\n") for f in record)
        if [] in batch:  # blank and comment lines
            kept = [(r, k) for r, k in zip(batch, numbers) if r]
            batch, numbers = [r for r, _ in kept], [k for _, k in kept]
            if not batch:
                continue
        problems = chunks.add(batch, numbers)
        if problems:
            _finish(problems, source, numbers[-1] if full else None)
    return _finished_frame(chunks, source, units)


def warn_duplicate_rows(df: pd.DataFrame, columns: Sequence[str] | None = None, most: int = 5) -> list[list[int]]:
    """Warn (:class:`~receptorkin.errors.DuplicateRowWarning`) about rows identical in ``columns``.

    The rows are kept: identical replicates are possible, but they are also
    what a copy-paste slip looks like.  Returns the first ``most`` groups of file
    line numbers (each group one set of identical rows).
    """
    if len(df) < 2:
        return []
    cols = list(columns) if columns is not None else list(df.columns)
    dup = df.duplicated(subset=cols, keep=False).to_numpy()
    if not dup.any():
        return []
    lines = table_lines(df)[dup]
    ids = df.loc[dup, cols].groupby(cols, sort=False, dropna=False).ngroup().to_numpy()  # in order of appearance
    n_groups = int(ids.max()) + 1
    found = [[int(x) for x in lines[ids == g]] for g in range(min(n_groups, most))]
    shown = "; ".join(", ".join(str(x) for x in g[:10]) + (" ..." if len(g) > 10 else "") for g in found)
    more = f"; and {n_groups - most} more groups" if n_groups > most else ""
    warnings.warn(
        f"{table_source(df)}: identical rows (lines {shown}{more}) are kept as separate observations; "
        f"give them a replicate column if they are replicates, or remove the copies",
        DuplicateRowWarning, stacklevel=3)
    return found


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
    known = {(rename or {}).get(c, c): u for c, u in dict(df.attrs.get("units") or {}).items()}
    out = _validate_cells(
        header, rows, [int(x) for x in table_lines(df)], src, required=required, numeric=numeric,
        nonnegative=nonnegative, positive=positive, rename=rename, units=known,
    )
    if df.attrs.get("log_dose"):  # what the reader converted, for the reports
        out.attrs["log_dose"] = df.attrs["log_dose"]
    warn_duplicate_rows(out)
    return out


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
