"""Write the same dose-response data as long CSV, wide Excel and GraphPad Prism .pzfx.

Run once from this folder (``python make_lab_files.py``); the outputs are committed.
The responses are a 4-parameter logistic (bottom 5, top 100 / 70, EC50 10 / 40 nM,
Hill slope 1) plus seeded normal noise (sd 3), rounded to 0.1.  One replicate is
missing (empty cell) and one is an outlier struck out in Prism (left out of the CSV
and blank in the workbook).

``doses_logx.pzfx`` holds the same values with X entered as Prism users often do: log10 of
the molar concentration (title ``Log[Agonist], M``, -10 .. -6; the zero-dose control has no
logarithm and is left out), plus two tables the reader must refuse: a log title without a
unit and negative X values under a title that does not say log.
"""

from __future__ import annotations

import csv
from xml.sax.saxutils import escape

import numpy as np

DOSES = [0, 0.1, 0.3, 1, 3, 10, 30, 100, 300, 1000]  # nM
CURVES = {"control": (5.0, 100.0, 10.0), "desensitized": (5.0, 70.0, 40.0)}
MISSING = ("control", 3, 2)        # (curve, dose index, replicate index): empty cell
EXCLUDED = ("desensitized", 6, 0)  # struck out in Prism


def values():
    rng = np.random.default_rng(15)
    out = {}
    for name, (lo, hi, ec50) in CURVES.items():
        table = []
        for d in DOSES:
            mean = lo + (hi - lo) * d / (d + ec50)
            table.append([round(float(mean + rng.normal(0, 3)), 1) for _ in range(3)])
        out[name] = table
    out[EXCLUDED[0]][EXCLUDED[1]][EXCLUDED[2]] = 160.0  # the outlier
    return out


def main() -> None:
    data = values()
    with open("doses.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["dose", "condition", "replicate", "response"])
        for name, table in data.items():
            for r in range(3):
                for i, d in enumerate(DOSES):
                    if (name, i, r) in (MISSING, EXCLUDED):
                        continue
                    w.writerow([d, name, f"rep{r + 1}", table[i][r]])

    import openpyxl

    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Notes"
    ws.append(["Receptor desensitization, cAMP assay (made-up teaching data)"])
    ws = book.create_sheet("plate1")
    ws.append(["dose", "condition", "rep1", "rep2", "rep3"])
    for name, table in data.items():
        for i, d in enumerate(DOSES):
            row = [None if (name, i, r) in (MISSING, EXCLUDED) else table[i][r] for r in range(3)]
            ws.append([d, name, *row])
    book.save("doses_wide.xlsx")

    def cell(name, i, r):  # noqa: E306
        if (name, i, r) == MISSING:
            return "<d/>"
        if (name, i, r) == EXCLUDED:
            return f'<d Excluded="1">{data[name][i][r]}</d>'
        return f"<d>{data[name][i][r]}</d>"

    ycols = []
    for name in data:
        subs = "".join("<Subcolumn>" + "".join(cell(name, i, r) for i in range(len(DOSES))) + "</Subcolumn>\n"
                       for r in range(3))
        ycols.append(f'<YColumn Width="243" Decimals="1" Subcolumns="3">\n<Title>{escape(name)}</Title>\n{subs}</YColumn>\n')
    x = "".join(f"<d>{d}</d>" for d in DOSES)
    table = f"""<Table ID="Table0" XFormat="numbers" YFormat="replicates" Replicates="3" TableType="XY" EVFormat="AsteriskAfterNumber">
<Title>cAMP plate 1</Title>
<XColumn Width="81" Decimals="1" Subcolumns="1">
<Title>dose [nM]</Title>
<Subcolumn>{x}</Subcolumn>
</XColumn>
{''.join(ycols)}</Table>
"""
    with open("doses.pzfx", "w") as fh:
        fh.write(prism_file([table]))

    # log10 molar X (the zero-dose control left out), as entered for Prism's log(agonist) vs. response
    logs = [repr(float(np.log10(d) - 9)) for d in DOSES if d > 0]
    keep = [i for i, d in enumerate(DOSES) if d > 0]
    ycols_log = []
    for name in data:
        subs = "".join("<Subcolumn>\n" + "".join(cell(name, i, r) + "\n" for i in keep) + "</Subcolumn>\n"
                       for r in range(3))
        ycols_log.append(f'<YColumn Width="243" Decimals="1" Subcolumns="3">\n'
                         f'<Title><TextAlign align="Center">{escape(name)}</TextAlign></Title>\n{subs}</YColumn>\n')
    rows = "".join(f"<d>{chr(65 + k)}</d>\n" for k in range(len(keep)))
    xs = "".join(f"<d>{v}</d>\n" for v in logs)
    tables = []
    for k, (title, xtitle) in enumerate([("cAMP plate 1 (log X)", "Log[Agonist], M"),
                                         ("log X without unit", "log[agonist]"),
                                         ("negative X", "agonist")]):
        tables.append(f"""<Table ID="Table{k}" XFormat="numbers" YFormat="replicates" Replicates="3" TableType="XY" EVFormat="AsteriskAfterNumber">
<Title>{escape(title)}</Title>
<RowTitlesColumn Width="89">
<Subcolumn>
{rows}</Subcolumn>
</RowTitlesColumn>
<XColumn Width="81" Decimals="4" Subcolumns="1">
<Title><TextAlign align="Center">{escape(xtitle)}</TextAlign></Title>
<Subcolumn>
{xs}</Subcolumn>
</XColumn>
{''.join(ycols_log)}</Table>
""")
    with open("doses_logx.pzfx", "w") as fh:
        fh.write(prism_file(tables))


def prism_file(tables: list[str]) -> str:
    """A Prism XML file (the structure of files saved by Prism 5-9) holding ``tables``."""
    selected = ' Selected="1"'
    refs = "".join(f'<Ref ID="Table{k}"{selected if k == 0 else ""}/>\n' for k in range(len(tables)))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<GraphPadPrismFile xmlns="http://graphpad.com/prism/Prism.htm" PrismXMLVersion="5.00">
<Created>
<OriginalVersion CreatedByProgram="receptorkin test data" CreatedByVersion="1" Login="" DateTime="2026-01-01T00:00:00"/>
</Created>
<InfoSequence>
<Ref ID="Info0" Selected="1"/>
</InfoSequence>
<Info ID="Info0">
<Title>Project info 1</Title>
<Notes></Notes>
</Info>
<TableSequence>
{refs}</TableSequence>
{''.join(tables)}</GraphPadPrismFile>
"""


if __name__ == "__main__":
    main()
