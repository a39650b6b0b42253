"""Text reports: the model catalogue and a model's full description."""

from __future__ import annotations

import textwrap

from ..models import library
from ..models.sbml import Model, load_model

__all__ = ["model_table", "describe_model"]


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    lines = [fmt.format(*header), fmt.format(*["-" * w for w in widths])]
    lines += [fmt.format(*[str(c) for c in r]) for r in rows]
    return "\n".join(line.rstrip() for line in lines)


def model_table() -> str:
    """The bundled models, one line each: id, ligand, time unit, title."""
    rows = [[e.id, e.ligand or "-", e.time_unit, e.title] for e in library.catalogue()]
    return _table(rows, ["id", "ligand", "time", "title"])


def describe_model(source: "str | Model") -> str:
    """A model in full: description, species, parameters with units and sources,
    observables with formulas, and references."""
    m = load_model(source)
    wrap = lambda s, indent="  ": textwrap.fill(s, 100, initial_indent=indent, subsequent_indent=indent)  # noqa: E731
    out = [f"{m.id}: {m.title}", ""]
    if m.description:
        out += [wrap(m.description, ""), ""]
    out.append(f"time unit: {m.time_unit}    ligand input: {m.ligand or '(none declared: use --ligand)'}"
               f" [{m.dose_unit}]    default observable: {m.default_observable or '-'}")
    out.append("")
    species = [e for e in m.elements if e.kind == "species"]
    params = [e for e in m.elements if e.kind == "parameter"]
    rules = [e for e in m.elements if e.kind == "observable"]
    if species:
        out.append("species:")
        out.append(_table([[e.id, "" if e.value is None else f"{e.value:g}", e.unit, e.name or e.source] for e in species],
                          ["id", "initial", "unit", "description"]))
        out.append("")
    if params:
        out.append("parameters:")
        out.append(_table([[e.id, f"{e.value:g}", e.unit, e.source] for e in params], ["id", "value", "unit", "source"]))
        out.append("")
    if rules:
        obs = set(m.observables)
        out.append("observables and derived quantities (* = declared observable):")
        out.append(_table([[("* " if e.id in obs else "  ") + e.id, e.unit, e.formula] for e in rules], ["id", "unit", "formula"]))
        out.append("")
    if m.references:
        out.append("references:")
        for r in m.references:
            out.append(wrap(f"- {r.citation} <{r.uri}>" if r.citation else f"- <{r.uri}>", "  "))
    return "\n".join(out).rstrip() + "\n"
