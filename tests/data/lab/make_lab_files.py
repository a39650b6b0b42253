"""Write the same dose-response data as long CSV, wide Excel and GraphPad Prism .pzfx.

Run once from this folder (``python make_lab_files.py``); the outputs are committed.
The responses are a 4-parameter logistic (bottom 5, top 100 / 70, EC50 10 / 40 nM,
Hill slope 1) plus seeded normal noise (sd 3), rounded to 0.1.  One replicate is
missing (empty cell) and one is an outlier struck out in Prism (left out of the CSV
and blank in the workbook).
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

    def cell(name, i, r):
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
    text = f"""<?xml version="1.0" encoding="UTF-8"?>
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
<Ref ID="Table0" Selected="1"/>
</TableSequence>
<Table ID="Table0" XFormat="numbers" YFormat="replicates" Replicates="3" TableType="XY" EVFormat="AsteriskAfterNumber">
<Title>cAMP plate 1</Title>
<XColumn Width="81" Decimals="1" Subcolumns="1">
<Title>dose [nM]</Title>
<Subcolumn>{x}</Subcolumn>
</XColumn>
{''.join(ycols)}</Table>
</GraphPadPrismFile>
"""
    with open("doses.pzfx", "w") as fh:
        fh.write(text)


if __name__ == "__main__":
    main()
