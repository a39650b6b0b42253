"""PEtab files read into plain values: the YAML's files resolved and read (:func:`read_yaml`), tables as text
cells with the file and line of every row (TSV files or DataFrames), and the collector that reports every
problem of a table at once.  No PEtab semantics beyond the header: :mod:`.parse` checks the cells."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from ..errors import DataError, ReceptorkinError
from ..models.sbml import closest

__all__ = ["Table", "read_yaml", "read_tsv", "from_frame", "concat", "number", "is_identifier", "Problems", "require_columns"]


@dataclass
class Table:
    """A PEtab table as text cells, with the file and line of every row."""

    name: str  #: file path or "<... table>"
    columns: list[str]
    rows: list[dict[str, str]]
    origins: list[tuple[str, int]]  #: (file, line) per row

    def where(self, i: int) -> str:
        f, line = self.origins[i]
        return f"{f}:{line}"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "1" if value else "0"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if math.isnan(v):
            return ""
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    text = str(value).strip()
    return "" if text.lower() in ("none", "<na>") else text


def read_tsv(path: Path) -> Table:
    """A PEtab TSV table as text cells; malformed input names the file, line and column.

    No cell or header of the file is quoted back in a message: a table given
    by mistake (or on purpose) may be anything.
    """
    import csv
    import io

    if not path.exists():
        raise DataError(f"{path}: no such file")
    if path.is_dir():
        raise DataError(f"{path}: is a directory, expected a tab-separated PEtab table")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        line = exc.object[:exc.start].count(b"\n") + 1
        raise DataError(f"{path}:{line}: not UTF-8 text (byte {exc.start}); expected a tab-separated PEtab table") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read it ({exc.strerror or type(exc).__name__})") from None
    reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t", strict=True)
    records: list[tuple[int, list[str]]] = []
    try:
        for cells in reader:
            if cells and any(c.strip() for c in cells):
                records.append((reader.line_num, cells))
    except csv.Error as exc:
        raise DataError(f"{path}:{max(reader.line_num, 1)}: not a readable tab-separated table "
                        f"({str(exc).split(':')[0]}, e.g. an unbalanced quote)") from None
    if not records:
        raise DataError(f"{path}: empty; expected a tab-separated PEtab table with a header line")
    header_line, header = records[0]
    columns = [c.strip() for c in header]
    for k, c in enumerate(columns, start=1):
        if c == "":
            raise DataError(f"{path}:{header_line}: column {k}: empty column name in the header")
        if columns.index(c) != k - 1:
            raise DataError(f"{path}:{header_line}: column {k}: the same column name as column {columns.index(c) + 1}")
    rows, origins = [], []
    for line, cells in records[1:]:
        if len(cells) > len(columns):
            extra = [k for k in range(len(columns), len(cells)) if cells[k].strip()]
            if extra:
                raise DataError(f"{path}:{line}: column {extra[0] + 1}: a value beyond the header's "
                                f"{len(columns)} column(s)")
        cells = cells + [""] * (len(columns) - len(cells))
        rows.append({c: v.strip() for c, v in zip(columns, cells)})
        origins.append((str(path), line))
    return Table(str(path), columns, rows, origins)


def from_frame(df: Any, name: str, id_column: str | None) -> Table:
    import pandas as pd

    if isinstance(df, (str, os.PathLike)):
        return read_tsv(Path(df))
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"{name}: expected a pandas DataFrame or a TSV path (got {type(df).__name__})")
    frame = df
    if id_column is not None and id_column not in frame.columns and frame.index.name == id_column:
        frame = frame.reset_index()
    columns = [str(c).strip() for c in frame.columns]
    rows = [{c: _cell(v) for c, v in zip(columns, rec)} for rec in frame.itertuples(index=False, name=None)]
    return Table(name, columns, rows, [(name, i + 2) for i in range(len(rows))])


def concat(tables: list[Table], name: str) -> Table:
    if len(tables) == 1:
        return tables[0]
    columns: list[str] = []
    for t in tables:
        columns += [c for c in t.columns if c not in columns]
    rows, origins = [], []
    for t in tables:
        for r, o in zip(t.rows, t.origins):
            rows.append({c: r.get(c, "") for c in columns})
            origins.append(o)
    return Table(name, columns, rows, origins)


def number(text: str) -> float | None:
    """A PEtab numeric cell: None if empty, float (nan/inf allowed) otherwise; raises ValueError."""
    if text == "":
        return None
    return float(text)


def is_identifier(text: str) -> bool:
    return bool(text) and (text[0].isalpha() or text[0] == "_") and all(ch.isalnum() or ch == "_" for ch in text) and text.isascii()


class Problems:
    """Collects every problem of one kind, then raises them together."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, line: str) -> None:
        self.lines.append(line)

    def raise_if_any(self, cls: type[ReceptorkinError], what: str) -> None:
        if self.lines:
            if len(self.lines) == 1:
                raise cls(self.lines[0])
            raise cls(f"{what}: {len(self.lines)} problems\n" + "\n".join(self.lines))


def require_columns(table: Table, required: Sequence[str], problems: Problems) -> bool:
    missing = [c for c in required if c not in table.columns]
    if missing:
        # header cells are named only when they are identifiers (the closest one), never echoed as they are
        names = [c for c in table.columns if is_identifier(c) and len(c) <= 64]
        hints = "".join(closest(c, names) for c in missing)
        problems.add(f"{table.name}:1: missing required column(s) {', '.join(repr(c) for c in missing)}{hints} "
                     f"(the header has {len(table.columns)} tab-separated column(s))")
        return False
    return True


#: the YAML keys of the problem's tables other than the parameter table
_TABLE_KEYS = {
    "conditions": "condition_files",
    "measurements": "measurement_files",
    "observables": "observable_files",
}


def read_yaml(path: "str | os.PathLike", *, allow_outside: bool = False) -> tuple[Path, str, dict[str, Table]]:
    """The files a PEtab v1 YAML names, read: the SBML model's path and text and the four tables.

    File names in the YAML are resolved relative to the YAML's folder; several files of one table are
    concatenated.

    Parameters
    ----------
    path
        The PEtab YAML file.
    allow_outside
        Read files that lie outside the YAML's folder (after following ``..`` and symbolic links).

    Returns
    -------
    sbml_path, sbml_text, tables
        ``tables`` by kind: 'parameters', 'conditions', 'measurements', 'observables'.

    Raises
    ------
    DataError
        Missing or unreadable files, files outside the YAML's folder (unless ``allow_outside``), a PEtab
        version other than 1, several models, unsupported extensions.  Messages name the file, line and
        column; they never quote a file's contents.
    """
    import yaml

    ypath = Path(path)
    if not ypath.exists():
        raise DataError(f"{ypath}: no such file")
    if ypath.is_dir():
        raise DataError(f"{ypath}: is a directory, expected a PEtab YAML file")
    try:
        spec = yaml.safe_load(ypath.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise DataError(f"{ypath}: not UTF-8 text (byte {exc.start}); expected a PEtab YAML file") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f":{mark.line + 1}: column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise DataError(f"{ypath}{at}: not valid YAML ({problem})") from None
    if not isinstance(spec, dict):
        raise DataError(f"{ypath}: expected a PEtab problem (a mapping with format_version, parameter_file, problems)")
    version = str(spec.get("format_version", "")).strip()
    if version not in ("1", "1.0", "1.0.0"):
        raise DataError(f"{ypath}: format_version {version or '(missing)'!s}: only PEtab version 1 is supported")
    if spec.get("extensions"):
        raise DataError(f"{ypath}: PEtab extensions are not supported ({', '.join(map(str, spec['extensions']))})")
    problems = spec.get("problems")
    if not isinstance(problems, list) or not problems:
        raise DataError(f"{ypath}: 'problems' must be a list with one problem")
    if len(problems) > 1:
        raise DataError(f"{ypath}: {len(problems)} problems in one file: only one is supported")
    prob = problems[0] or {}
    if not isinstance(prob, dict):
        raise DataError(f"{ypath}: 'problems' must be a list with one mapping (sbml_files, condition_files, ...)")
    base = ypath.parent
    root = base.resolve()

    def files(key: str, where: Mapping[str, Any], required: bool = True) -> list[Path]:
        raw = where.get(key)
        if raw is None or raw == [] or raw == "":
            if required:
                raise DataError(f"{ypath}: '{key}' is missing")
            return []
        items = raw if isinstance(raw, list) else [raw]
        out = []
        for item in items:
            if not isinstance(item, (str, os.PathLike)) or str(item).strip() == "":
                raise DataError(f"{ypath}: {key}: expected a file name (got {type(item).__name__})")
            p = Path(str(item))
            p = p if p.is_absolute() else base / p
            if not allow_outside and not p.resolve().is_relative_to(root):
                raise DataError(f"{ypath}: {key}: {item!s} lies outside the folder of {ypath.name}; "
                                "pass allow_outside=True (CLI: --allow-outside) to read it")
            if not p.exists():
                raise DataError(f"{ypath}: {key}: {item!s} -> {p}: no such file")
            if not p.is_file():
                raise DataError(f"{ypath}: {key}: {item!s} -> {p}: not a file")
            out.append(p)
        return out

    if prob.get("mapping_files"):
        raise DataError(f"{ypath}: mapping_files are not supported")
    sbml_files = files("sbml_files", prob)
    if len(sbml_files) != 1:
        raise DataError(f"{ypath}: sbml_files: exactly one SBML model is supported (got {len(sbml_files)})")
    param_files = files("parameter_file", spec)
    tables = {"parameters": concat([read_tsv(p) for p in param_files], str(param_files[0]))}
    for key, ykey in _TABLE_KEYS.items():
        paths = files(ykey, prob)
        tables[key] = concat([read_tsv(p) for p in paths], str(paths[0]))
    sbml_path = sbml_files[0]
    try:
        sbml_text = sbml_path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"{sbml_path}: not a text file ({exc.reason} at byte {exc.start})") from None
    return sbml_path, sbml_text, tables
