"""Validation messages for people writing their own model.

libSBML reports every unit inconsistency separately, in long paragraphs, with
line numbers of the SBML document.  For a model written in Antimony those
lines point into SBML the author never saw.  :func:`summarize` groups the
warnings by kind (one line per kind with a count) and names, for each kind,
the model elements concerned and the line of the Antimony source defining
them.

Example
-------
>>> from receptorkin.models.diagnostics import antimony_definitions
>>> antimony_definitions("model m()\\n  k1 = 0.1;\\n  J0: A -> B; k1*A\\nend")["J0"]
3
"""

from __future__ import annotations

import re
from collections import OrderedDict
from typing import Any

__all__ = ["antimony_definitions", "sbml_element_at", "summarize"]

_DEF = re.compile(r"^\s*(?:(?:const|var|species|compartment|substanceOnly|unit|function)\s+)*"
                  r"(?P<id>[A-Za-z_]\w*)\s*(?::=|=|:(?!=)|\s+in\s|\s+has\s)")
_ID = re.compile(r'\bid="([^"]+)"')


def antimony_definitions(text: str) -> dict[str, int]:
    """Element id -> line number (1-based) of its first definition in Antimony source.

    Definitions are assignments (``k1 = 0.1``, ``x := ...``), reaction labels
    (``J0: A -> B; ...``), declarations (``species A in cell``) and unit
    annotations (``k1 has per_min``)."""
    out: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        code = line.split("//", 1)[0].split("#", 1)[0]
        header = re.match(r"^\s*model\s+\*?([A-Za-z_]\w*)", code)
        if header:
            out.setdefault(header.group(1), number)
            continue
        for stmt in code.split(";"):
            m = _DEF.match(stmt)
            if m and m.group("id") not in out and m.group("id") not in ("model", "end"):
                out[m.group("id")] = number
            decl = re.match(r"^\s*(?:const\s+)?(species|compartment|var|const)\s+(.+)$", stmt)
            if decl:
                for name in re.findall(r"([A-Za-z_]\w*)(?:\s+in\s+\w+)?\s*(?:,|$)", decl.group(2)):
                    out.setdefault(name, number)
    return out


def sbml_element_at(sbml: str, line: int) -> str | None:
    """Id of the SBML element a diagnostic on ``line`` belongs to (the nearest ``id=`` at or above it)."""
    lines = sbml.splitlines()
    for k in range(min(line, len(lines)) - 1, -1, -1):
        ids = _ID.findall(lines[k])
        if ids:
            return ids[-1]
    return None


def _kind(message: str) -> str:
    """The message without the element-specific parts, so that one kind of problem groups together."""
    text = re.sub(r"'[^']*'", "'…'", message)
    text = re.sub(r"<[^>]*>", "<…>", text)
    text = re.sub(r"\d+(\.\d+)?", "N", text)
    return text


#: libSBML unit diagnostics in plain words (the full text is in ``validate --all``)
PLAIN: dict[int, str] = {
    10501: "the units of an expression do not match (e.g. a rate law that is not substance/time)",
    10511: "the units of an assignment rule do not match the variable's units",
    10512: "the units of an assignment rule do not match the variable's units",
    10513: "the units of an assignment rule do not match the variable's units",
    10521: "the units of an initial assignment do not match the variable's units",
    10522: "the units of an initial assignment do not match the variable's units",
    10523: "the units of an initial assignment do not match the variable's units",
    10531: "the units of a rate rule do not match variable units per time",
    10532: "the units of a rate rule do not match variable units per time",
    10533: "the units of a rate rule do not match variable units per time",
    10541: "the units of a rate law are not substance per time",
    10551: "the units of an event delay are not time",
    10561: "the units of an event assignment do not match the variable's units",
    20702: "a parameter has no unit (add e.g. 'k1 has per_min' in Antimony)",
    99505: "an expression uses numbers or parameters without units, so its units cannot be checked",
    99506: "the model declares no time unit (timeUnits), so expressions with time cannot be unit-checked",
    99507: "the model declares no extent unit (extentUnits), so reaction rates cannot be unit-checked",
    99508: "an element without units is used in an expression, so the expression cannot be unit-checked",
}

_DERIVED = re.compile(r"'([A-Za-z_]\w*)_volume'")


def _plain(issue: Any, antimony: bool) -> str:
    """One sentence for a diagnostic: the plain words for its kind, else libSBML's text."""
    m = _DERIVED.search(issue.message)
    if antimony and issue.code == 10313 and m:
        return (f"Antimony made the substance unit {m.group(0)} (the concentration unit {m.group(1)!r} times a "
                f"volume) without defining it, because the species' compartment has no unit: give the compartment "
                f"one ('cell has litre;'), or give the species amounts ('substanceOnly species ...')")
    return PLAIN.get(issue.code, issue.message)


def summarize(report: Any, sbml: str | None = None, antimony: str | None = None, *, width: int = 150) -> str:
    """A short text of a :class:`~receptorkin.models.sbml.ValidationReport`.

    Errors and warnings are grouped by kind (libSBML's error id and message
    pattern), one line each: ``N x error|warning [category id]: what it
    means`` in plain words where the kind is known (:data:`PLAIN`), followed
    by the elements concerned and, for Antimony input, the Antimony line that
    defines each (never the line of the generated SBML).

    Parameters
    ----------
    report
        The validation report (``name``, ``errors``, ``warnings``, ``unit_warnings``).
    sbml
        The validated SBML text (to find the element of each diagnostic).
    antimony
        The Antimony source, when the model was written in Antimony.
    width
        Messages longer than this are shortened.
    """
    defs = antimony_definitions(antimony) if antimony else {}
    name = report.name
    head = (f"{name}: {len(report.errors)} errors, {len(report.warnings)} warnings "
            f"({len(report.unit_warnings)} on units)")
    if not report.errors and not report.warnings:
        return f"{name}: valid SBML, no warnings"
    lines = [head]

    def where(issue: Any) -> str:
        element = sbml_element_at(sbml, issue.line) if sbml else None
        if element is None:
            return "" if antimony else f"{name}:{issue.line}"
        if antimony and element in defs:
            return f"{element} ({name}:{defs[element]})"
        return element if antimony else f"{element} ({name}:{issue.line})"

    for severity, issues_of in (("error", report.errors), ("warning", report.warnings)):
        groups: "OrderedDict[tuple, list]" = OrderedDict()
        for issue in issues_of:
            groups.setdefault((issue.category, issue.code, _kind(issue.message)), []).append(issue)
        for (category, code, _), issues in groups.items():
            message = _plain(issues[0], bool(antimony))
            if len(message) > width and message == issues[0].message:  # libSBML's paragraph, not our plain words
                message = message[: width - 1].rstrip() + "…"
            places = list(dict.fromkeys(w for w in (where(i) for i in issues) if w))
            shown = ", ".join(places[:6]) + (f", … ({len(places) - 6} more)" if len(places) > 6 else "")
            lines.append(f"  {len(issues)} x {category} {severity} {code}: {message}"
                         + (f"\n      at: {shown}" if shown else ""))
    if report.issues:
        lines.append("  (every message in full, with SBML lines: receptorkin validate --verbose)")
    return "\n".join(lines)
