"""``python -m receptorkin.models [ID ...]`` (``make models``): rebuild the bundled SBML from its Antimony sources."""

from __future__ import annotations

import sys

from ..errors import ModelError, SBMLError
from .build import build_file
from .files import sbml_dir
from .sbml import validate


def main(argv: "list[str] | None" = None) -> int:
    """``python -m receptorkin.models [ID ...]``: rebuild bundled SBML from Antimony.

    With no ids every ``sbml/*.ant`` is rebuilt.  Each SBML file is validated
    (zero errors and zero unit warnings) before it replaces the old one.
    """
    folder = sbml_dir()
    ids = list(argv if argv is not None else sys.argv[1:]) or sorted(p.stem for p in folder.glob("*.ant"))
    status = 0
    for mid in ids:
        ant = folder / f"{mid}.ant"
        try:
            sbml = build_file(ant)
            report = validate(sbml, name=str(ant))
            if report.errors or report.unit_warnings:
                raise SBMLError(str(report))
        except (ModelError, SBMLError, OSError) as exc:
            print(f"{ant}: FAILED: {exc}", file=sys.stderr)
            status = 1
            continue
        out = folder / f"{mid}.xml"
        tmp = out.with_suffix(".xml.tmp")
        tmp.write_text(sbml, encoding="utf-8")
        tmp.replace(out)
        print(f"{out}: {len(report.warnings)} warnings")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
