"""Read tables as labs keep them: CSV/TSV, Excel workbooks and GraphPad Prism files.

Every reader returns the same thing: a :class:`pandas.DataFrame` of *text*
cells (nothing converted yet), whose index holds the row's location in the
file (named ``'line'``) and whose ``attrs['source']`` names the file (and the
sheet or Prism table).  The checks of :func:`receptorkin.data.validate_table`
then run on it unchanged, so a bad cell in a workbook is reported as
``plate.xlsx[Sheet1]:12: column 'dose': not a number (got '1e-3 nM')``.

Formats
-------
``.csv``, ``.tsv``, ``.txt``
    Delimited text, read by :func:`receptorkin.data.read_table` (comma,
    semicolon or tab, detected from the header).
``.xlsx``, ``.xlsm``
    One sheet of a workbook (``sheet=`` its name; default the first sheet),
    read with openpyxl.  The first non-empty row is the header; row numbers in
    messages are Excel's row numbers.  Formulas are read as their last saved
    values.
``.pzfx``
    A GraphPad Prism XY data table (``sheet=`` the table's title; default the
    first XY table).  The X column is the dose, each Y data set is one curve
    (its title becomes the ``condition``) and each replicate sub-column one
    ``replicate``.  Tables entered as mean/SD (``SD``/``SDN`` formats) give
    ``response`` and ``sd``.  Empty and excluded (struck-out) values are left
    out.  Row numbers in messages are the rows of the Prism table (first row
    = 1).  A unit in the X column's title (``dose [nM]``) is the dose unit
    (``attrs['units']``).

Log doses
---------
Prism users often enter X as log10 of the concentration (``log[agonist], M``
with values -10 .. -5).  A ``.pzfx`` file does not record this in its data
(Prism keeps "X is log(dose)" in the analysis, stored as binary), so the X
column's *title* decides: a title starting with ``log`` (``log[agonist] (M)``,
``log10 dose_nM``, ``Log(Agonist), M``) holds log10 doses in the unit it
names.  The same holds for the dose column of a CSV/Excel table read here.
``log_dose=`` settles it explicitly: a unit (``'M'``: the values are log10 of
molar concentrations) or ``False`` (plain doses).  A log title without a
unit, or negative values under a title that does not say ``log``, are
refused with a message saying which option to give, never guessed.  Log
doses become concentrations (``10**x``) in ``dose_unit`` (default: the log's
own unit), recorded in ``attrs['units']``.

Wide replicates
---------------
Replicates side by side (``dose, rep1, rep2, rep3``) become one row per
replicate with ``replicates=["rep1", "rep2", "rep3"]`` or a pattern such as
``"rep*"`` (shell-style, matched against the header): the values go to one
column (``response`` unless told otherwise), the column name to
``replicate``.  An empty replicate cell is a missing replicate and is left
out; the other columns are repeated on every row.
"""

from __future__ import annotations

import fnmatch
import math
import os
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import pandas as pd

from ..errors import DataError
from ..units import CONCENTRATION_UNITS, concentration_factor

__all__ = [
    "EXCEL_SUFFIXES",
    "PRISM_SUFFIXES",
    "READER_SUFFIXES",
    "PrismTable",
    "needs_reader",
    "read_frame",
    "read_excel",
    "read_pzfx",
    "prism_tables",
    "replicate_columns",
    "melt_replicates",
    "log_dose_title",
    "log_dose_option",
    "split_unit",
    "canonical_unit",
    "unit_in_title",
    "convert_log_doses",
]

EXCEL_SUFFIXES = (".xlsx", ".xlsm")
PRISM_SUFFIXES = (".pzfx",)
#: file suffixes read here rather than as delimited text
READER_SUFFIXES = EXCEL_SUFFIXES + PRISM_SUFFIXES


def needs_reader(path: str | os.PathLike, sheet: str | None = None, replicates: str | Sequence[str] | None = None,
                 log_dose: str | bool | None = None) -> bool:
    """True when ``path`` is a workbook/Prism file or a sheet/replicates/log-dose option is given."""
    return (Path(path).suffix.lower() in READER_SUFFIXES or sheet is not None or bool(replicates)
            or log_dose not in (None, False))


def _frame(columns: Sequence[str], rows: list[list[str]], lines: list[int], source: str) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=list(columns), index=pd.Index(lines, name="line"), dtype=object)
    df.attrs["source"] = source
    return df


def _open(path: Path) -> None:
    if not path.exists():
        raise DataError(f"{path}: file not found")
    if path.is_dir():
        raise DataError(f"{path}: is a directory, expected a data file")


# --------------------------------------------------------------------------- Excel

def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    return str(value).strip()


def read_excel(path: str | os.PathLike, sheet: str | None = None, *, comment: str | None = "#") -> pd.DataFrame:
    """One sheet of an ``.xlsx`` workbook as a table of text cells.

    Parameters
    ----------
    path
        The workbook.
    sheet
        Sheet name; ``None`` for the first sheet.
    comment
        Rows whose first non-empty cell starts with this text are skipped.

    Returns
    -------
    pandas.DataFrame
        Text cells; index = Excel row numbers (``'line'``); ``attrs['source']``
        is ``'book.xlsx[Sheet]'``.

    Raises
    ------
    DataError
        The file is missing or not a workbook, the sheet does not exist, or the
        sheet is empty.
    """
    p = Path(path)
    _open(p)
    try:
        import openpyxl
    except ImportError:  # pragma: no cover - declared dependency
        raise DataError(f"{p}: reading Excel files needs openpyxl (pip install openpyxl)") from None
    try:
        book = openpyxl.load_workbook(p, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile/KeyError/InvalidFileException for non-workbooks
        raise DataError(f"{p}: not an Excel .xlsx workbook ({type(exc).__name__}: {exc})") from None
    try:
        names = list(book.sheetnames)
        if sheet is None:
            sheet = names[0]
        elif sheet not in names:
            raise DataError(f"{p}: no sheet {sheet!r} (sheets: {', '.join(names)})")
        ws = book[sheet]
        raw = [(i, [_cell_text(v) for v in row]) for i, row in enumerate(ws.iter_rows(values_only=True), start=1)]
    finally:
        book.close()
    source = f"{p}[{sheet}]"
    kept = [(i, r) for i, r in raw if any(c != "" for c in r)]
    if comment:
        kept = [(i, r) for i, r in kept if not next(c for c in r if c != "").startswith(comment)]
    if not kept:
        raise DataError(f"{source}: empty sheet (no header row)")
    width = max(len(r) for _, r in kept)
    kept = [(i, r + [""] * (width - len(r))) for i, r in kept]
    header_line, header = kept[0]
    body = kept[1:]
    # drop trailing/blank columns that have neither a header nor any value
    used = [j for j in range(width) if header[j] != "" or any(r[j] != "" for _, r in body)]
    for j in used:
        if header[j] == "":
            col = openpyxl.utils.get_column_letter(j + 1)
            raise DataError(f"{source}:{header_line}: column {col} has values but no header")
    return _frame([header[j] for j in used], [[r[j] for j in used] for _, r in body], [i for i, _ in body], source)


# --------------------------------------------------------------------------- Prism

@dataclass(frozen=True)
class PrismTable:
    """Summary of one data table of a Prism file.

    Attributes
    ----------
    title
        The table's title as shown in Prism.
    table_type
        Prism's ``TableType`` (``'XY'``, ``'OneWay'``, ...).
    y_format
        ``'replicates'``, ``'SD'``, ``'SDN'``, ...
    data_sets
        Titles of the Y data sets.
    """

    title: str
    table_type: str
    y_format: str
    data_sets: tuple[str, ...]


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(el: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in el if _local(c.tag) == name]


def _text(el: ET.Element | None) -> str:
    return "" if el is None else "".join(el.itertext()).strip()


def _parse_prism(path: Path) -> ET.Element:
    _open(path)
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise DataError(f"{path}: not a Prism .pzfx file (XML error: {exc})") from None
    if _local(root.tag) != "GraphPadPrismFile":
        raise DataError(f"{path}: not a Prism .pzfx file (root element <{_local(root.tag)}>, "
                        "expected <GraphPadPrismFile>)")
    return root


def _tables(root: ET.Element) -> list[ET.Element]:
    return [t for t in root.iter() if _local(t.tag) in ("Table", "HugeTable")]


def _describe(table: ET.Element) -> PrismTable:
    titles = []
    for y in _children(table, "YColumn"):
        first = _children(y, "Title")
        titles.append(_text(first[0]) if first else "")
    title = _children(table, "Title")
    return PrismTable(_text(title[0]) if title else "", table.get("TableType", ""), table.get("YFormat", ""),
                      tuple(titles))


def prism_tables(path: str | os.PathLike) -> list[PrismTable]:
    """The data tables of a GraphPad Prism ``.pzfx`` file, in file order."""
    return [_describe(t) for t in _tables(_parse_prism(Path(path)))]


_COMMA_DECIMAL = re.compile(r"^[+-]?\d+,\d*$")


def _subcolumn_values(sub: ET.Element) -> list[tuple[str, bool]]:
    """(text, excluded) for each ``<d>`` of a sub-column."""
    out = []
    for d in _children(sub, "d"):
        text = _text(d)
        excluded = d.get("Excluded") == "1"
        if text.endswith("*"):  # EVFormat="AsteriskAfterNumber"
            text, excluded = text[:-1].strip(), True
        if _COMMA_DECIMAL.match(text):
            text = text.replace(",", ".")
        out.append((text, excluded))
    return out


def read_pzfx(path: str | os.PathLike, table: str | None = None) -> pd.DataFrame:
    """One XY table of a GraphPad Prism ``.pzfx`` file in long format.

    Parameters
    ----------
    path
        The Prism file (XML ``.pzfx``; the binary ``.prism`` format is not read).
    table
        Title of the data table; ``None`` for the first XY table.

    Returns
    -------
    pandas.DataFrame
        Text columns ``dose`` (the X column as entered; its title in
        ``attrs['titles']['dose']``), ``condition`` (the Y data set's title),
        ``replicate`` (``'1'``, ``'2'``, ... = sub-column) and ``response``;
        tables in mean/SD format have ``sd`` instead of ``replicate``.  Index
        = row of the Prism table (first row 1), ``attrs['source']`` =
        ``'file.pzfx[table]'``.

    Raises
    ------
    DataError
        Not a Prism file, no such table, not an XY table with an X column,
        an unsupported Y format, or no values.
    """
    p = Path(path)
    root = _parse_prism(p)
    tables = _tables(root)
    if not tables:
        raise DataError(f"{p}: no data tables")
    described = [_describe(t) for t in tables]
    if table is None:
        xy = [i for i, d in enumerate(described) if d.table_type == "XY"]
        if not xy:
            raise DataError(f"{p}: no XY data table (tables: {', '.join(repr(d.title) for d in described)})")
        index = xy[0]
    else:
        matches = [i for i, d in enumerate(described) if d.title == table]
        if not matches:
            raise DataError(f"{p}: no table {table!r} (tables: {', '.join(repr(d.title) for d in described)})")
        index = matches[0]
    el, info = tables[index], described[index]
    source = f"{p}[{info.title}]"
    if info.table_type and info.table_type != "XY":
        raise DataError(f"{source}: a {info.table_type} table; dose-response data need an XY table")
    xcols = _children(el, "XColumn")
    if not xcols or not _children(xcols[0], "Subcolumn"):
        raise DataError(f"{source}: the table has no X column (the doses)")
    x = [t for t, _ in _subcolumn_values(_children(xcols[0], "Subcolumn")[0])]
    x_title = _text(_children(xcols[0], "Title")[0]) if _children(xcols[0], "Title") else ""
    fmt = info.y_format or "replicates"
    if fmt not in ("replicates", "SD", "SDN"):
        raise DataError(f"{source}: Y format {fmt!r} is not read (enter replicates, mean/SD or mean/SD/N)")
    rows: list[list[str]] = []
    lines: list[int] = []
    for k, ycol in enumerate(_children(el, "YColumn")):
        name = info.data_sets[k] or f"Data set {k + 1}"
        subs = [_subcolumn_values(s) for s in _children(ycol, "Subcolumn")]
        if fmt == "replicates":
            for r, values in enumerate(subs, start=1):
                for i, (text, excluded) in enumerate(values):
                    if excluded or text == "":
                        continue
                    dose = x[i] if i < len(x) else ""
                    rows.append([dose, name, str(r), text])
                    lines.append(i + 1)
        else:
            if len(subs) < 2:
                raise DataError(f"{source}: data set {name!r}: mean/SD format needs two sub-columns")
            means, sds = subs[0], subs[1]
            for i, (text, excluded) in enumerate(means):
                if excluded or text == "":
                    continue
                dose = x[i] if i < len(x) else ""
                sd = sds[i][0] if i < len(sds) else ""
                rows.append([dose, name, text, sd])
                lines.append(i + 1)
    if not rows:
        raise DataError(f"{source}: no values in the table")
    columns = ["dose", "condition", "replicate", "response"] if fmt == "replicates" else ["dose", "condition", "response", "sd"]
    # keep data sets in file order, rows in table order within each
    order = sorted(range(len(rows)), key=lambda j: ([r[1] for r in rows].index(rows[j][1]), lines[j]))
    df = _frame(columns, [rows[j] for j in order], [lines[j] for j in order], source)
    df.attrs["titles"] = {"dose": x_title}  # the X title: its unit, or that it holds log doses
    return df


# --------------------------------------------------------------------------- units and log doses

_MOLAR_SYNONYMS = {"mol/L": "M", "mol/l": "M"}
_UNIT_RE = "|".join(re.escape(u) for u in sorted([*CONCENTRATION_UNITS, *_MOLAR_SYNONYMS], key=len, reverse=True))
_BRACKETED = re.compile(rf"[\[(]\s*({_UNIT_RE})\s*[\])]\s*$")
_SUFFIX = re.compile(rf"(?:^|[_\s.,\-])({_UNIT_RE})$")
_LOG_TITLE = re.compile(r"^\s*(?:log(?:10)?|lg)(?=$|[\s_\[(,.\-])", re.IGNORECASE)


def unit_in_title(title: str) -> str | None:
    """The concentration unit a column title ends with, as written, or ``None``.

    ``'conc [nM]'``, ``'conc (nM)'``, ``'conc_nM'``, ``'conc nM'`` and
    ``'log[agonist], M'`` give ``'nM'``, ``'nM'``, ``'nM'``, ``'nM'`` and
    ``'M'``; case matters (``'conc_NM'`` names no unit).
    """
    return split_unit(title)[1]


def split_unit(title: str) -> tuple[str, str | None]:
    """A column title without its trailing unit, and the unit: ``'dose [nM]'`` -> ``('dose', 'nM')``."""
    text = str(title).strip()
    m = _BRACKETED.search(text) or _SUFFIX.search(text)
    if m is None:
        return text, None
    return text[:m.start()].rstrip(" _.,-"), m.group(1)


def log_dose_title(title: str) -> bool:
    """True when a column title says its values are log10 doses (``log[agonist]``, ``Log(dose), M``, ``log10 conc_nM``)."""
    return bool(_LOG_TITLE.match(str(title)))


def canonical_unit(unit: str, what: str = "unit") -> str:
    """``unit`` in the spelling of :data:`receptorkin.units.CONCENTRATION_UNITS` (``'mol/L'`` -> ``'M'``)."""
    unit = _MOLAR_SYNONYMS.get(unit.strip(), unit.strip())
    if unit not in CONCENTRATION_UNITS:
        raise DataError(f"{what}: unknown concentration unit {unit!r} (accepted: M, mM, uM, nM, pM, fM)")
    return unit


def convert_log_doses(df: pd.DataFrame, column: str = "dose", *, log_dose: str | bool | None = None,
                      dose_unit: str | None = None, title: str | None = None) -> pd.DataFrame:
    """Settle whether ``column`` holds doses or log10 doses and return plain doses (see "Log doses" above).

    Parameters
    ----------
    df
        Table of text cells as returned by the readers here.
    column
        The dose column.
    log_dose
        ``None``: decide from the column's title; a unit (``'M'``, ``'nM'``, ...):
        the values are log10 of concentrations in that unit; ``True``: log10
        doses in the unit the title names; ``False``: plain doses.
    dose_unit
        Unit of the doses returned (default: the log's own unit).  Plain
        doses are returned unchanged.
    title
        The column's title (default ``attrs['titles'][column]``, else ``column``).

    Returns
    -------
    pandas.DataFrame
        ``df`` with ``column`` as plain doses (text); ``attrs['units'][column]``
        holds their unit when one is known, ``attrs['log_dose']`` says what was
        converted.

    Raises
    ------
    DataError
        A log title without a unit (and no ``log_dose`` unit), negative values
        under a title that does not say ``log`` (and no ``log_dose``), or a
        log value that is not a number -- naming the file, row and column.
    """
    source = str(df.attrs.get("source", "<DataFrame>"))
    if column not in df.columns:
        return df
    title = str(title if title is not None else df.attrs.get("titles", {}).get(column, column))
    where = f"{source}: column {column!r}" + (f" (titled {title!r})" if title != column else "")
    titled_unit = unit_in_title(title)
    out = df.copy()
    out.attrs = {k: (dict(v) if isinstance(v, dict) else v) for k, v in df.attrs.items()}
    units = out.attrs.setdefault("units", {})
    if log_dose is False or (log_dose is None and not log_dose_title(title)):
        if log_dose is None:
            negative = [(line, text) for line, text in zip(df.index, df[column]) if _is_negative(text)]
            if negative:
                line, text = negative[0]
                titled = f" (titled {title!r})" if title != column else ""
                raise DataError(f"{source}:{line}: column {column!r}{titled}: negative dose {str(text).strip()!r}: if the "
                                f"doses are log10 concentrations (as Prism's log(dose) X), say so with "
                                f"--log-dose UNIT (log_dose='M' for log10 of molar) or title the column "
                                f"'log[agonist] (M)'; doses must be >= 0")
        if titled_unit is not None and dose_unit is None:
            units[column] = canonical_unit(titled_unit, where)
        return out
    if isinstance(log_dose, str):
        log_unit = canonical_unit(log_dose, "log_dose")
    elif titled_unit is not None:
        log_unit = canonical_unit(titled_unit, where)
    else:
        raise DataError(f"{where} holds log10 doses but names no unit: say which with --log-dose UNIT "
                        f"(log_dose='M' if the values are log10 of molar concentrations, e.g. -9 for 1 nM) "
                        f"or add it to the title ('log[agonist] (M)')")
    target = canonical_unit(dose_unit, "dose_unit") if dose_unit is not None else log_unit
    shift = round(math.log10(concentration_factor(log_unit, target)))  # an exact power of ten
    cells = []
    for line, text in zip(df.index, df[column]):
        raw = "" if text is None else str(text).strip()
        if raw == "":
            cells.append(raw)
            continue
        try:
            value = float(raw)
        except ValueError:
            raise DataError(f"{source}:{line}: column {column!r}: not a number (got {raw!r}; "
                            f"log10 doses are plain numbers such as -8.5)") from None
        if not math.isfinite(value) or abs(value + shift) > 300:
            raise DataError(f"{source}:{line}: column {column!r}: {raw!r} is not a usable log10 dose")
        cells.append(repr(10.0 ** (value + shift)))
    out[column] = pd.Series(cells, index=df.index, dtype=object)
    units[column] = target
    out.attrs["log_dose"] = f"column {column!r} held log10 doses in {log_unit}; converted to {target}"
    return out


def log_dose_option(text: str | None) -> str | bool | None:
    """The ``log_dose`` of a ``--log-dose`` option: ``None`` (decide from the title), ``'no'`` -> ``False``, else a unit.

    Raises
    ------
    DataError
        Neither ``no`` nor a concentration unit.
    """
    if text is None:
        return None
    if text.strip().lower() in ("no", "none", "false", "linear"):
        return False
    return canonical_unit(text, "--log-dose")


def _is_negative(text: object) -> bool:
    try:
        return float(str(text).strip()) < 0
    except ValueError:
        return False


# --------------------------------------------------------------------------- wide -> long

def replicate_columns(header: Sequence[str], replicates: str | Sequence[str], source: str = "<data>") -> list[str]:
    """Resolve ``replicates`` (names, comma-separated names or one shell pattern) against a header.

    Raises
    ------
    DataError
        A named column is missing or a pattern matches nothing.
    """
    if isinstance(replicates, str):
        items = [s.strip() for s in replicates.split(",") if s.strip()]
    else:
        items = [str(s).strip() for s in replicates]
    out: list[str] = []
    have = ", ".join(header)
    for item in items:
        if any(ch in item for ch in "*?["):
            hits = [h for h in header if fnmatch.fnmatchcase(h, item)]
            if not hits:
                raise DataError(f"{source}: no column matches the replicate pattern {item!r} (the file has: {have})")
            out.extend(h for h in hits if h not in out)
        elif item in header:
            if item not in out:
                out.append(item)
        else:
            raise DataError(f"{source}: missing replicate column {item!r} (the file has: {have})")
    if not out:
        raise DataError(f"{source}: no replicate columns given")
    return out


def melt_replicates(df: pd.DataFrame, replicates: str | Sequence[str], *, value: str = "response",
                    replicate: str = "replicate") -> pd.DataFrame:
    """Wide replicate columns -> one row per replicate (see the module docstring).

    Parameters
    ----------
    df
        Table of text cells as returned by the readers here.
    replicates
        Replicate column names, comma-separated names or a shell pattern (``'rep*'``).
    value, replicate
        Names of the value and replicate-id columns of the result.

    Returns
    -------
    pandas.DataFrame
        The other columns, then ``replicate`` and ``value``; rows ordered by
        file line, then replicate; the index keeps each row's file line.
    """
    source = str(df.attrs.get("source", "<DataFrame>"))
    header = [str(c) for c in df.columns]
    reps = replicate_columns(header, replicates, source)
    for name in (value, replicate):
        if name in header and name not in reps:
            raise DataError(f"{source}: the table already has a column {name!r}; "
                            f"it cannot also receive the replicates {', '.join(reps)}")
    keep = [h for h in header if h not in reps]
    rows: list[list[str]] = []
    lines: list[int] = []
    for line, record in zip(df.index, df.itertuples(index=False, name=None)):
        cells = dict(zip(header, record))
        for r in reps:
            text = "" if cells[r] is None else str(cells[r]).strip()
            if text == "":
                continue
            rows.append([cells[h] for h in keep] + [r, text])
            lines.append(int(line))
    if not rows:
        raise DataError(f"{source}: the replicate columns {', '.join(reps)} hold no values")
    out = _frame(keep + [replicate, value], rows, lines, source)
    out.attrs.update({k: v for k, v in df.attrs.items() if k != "source"})  # titles and units of the kept columns
    return out


def read_frame(path: str | os.PathLike, *, sheet: str | None = None, replicates: str | Sequence[str] | None = None,
               value: str = "response", comment: str | None = "#", dose: str = "dose",
               log_dose: str | bool | None = None, dose_unit: str | None = None) -> pd.DataFrame:
    """Read any supported file into a table of text cells (see the module docstring).

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
        returned (see :func:`convert_log_doses`).

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
        from .tables import read_table

        df = read_table(p, comment=comment)
        df = df.astype(object)
    if replicates:
        df = melt_replicates(df, replicates, value=value)
    return convert_log_doses(df, dose, log_dose=log_dose, dose_unit=dose_unit)
