"""Antimony source -> annotated SBML Level 3 Version 2.

A bundled model is written once, readably, in Antimony (``sbml/<id>.ant``),
with its metadata in structured comments:

.. code-block:: text

    // @id: trafficking
    // @title: Receptor trafficking core
    // @description: One paragraph ... (several @description lines are joined)
    // @reference: doi:10.xxxx/yyyy | Author et al. (year) Journal vol:page
    // @time_unit: min
    // @substance_unit: receptors
    // @ligand: ligand
    // @observables: surface_receptor, total_receptor, occupancy, response
    // @default_observable: response
    model trafficking()
      k_internalization = 0.03;  // [1/min] Herbst et al. 1994: 0.02-0.03 /min
      ...
    end

Every compartment, species, parameter and assignment-rule variable carries a
``// [unit] source`` comment on the line that gives its value.  :func:`build`
converts the Antimony text with the ``antimony`` package, then with libsbml
declares the units, writes the source of every value into the element's
notes, adds the references as MIRIAM ``bqmodel:isDescribedBy`` terms, marks
every literal number as dimensionless (so unit checking is complete) and
stores the receptorkin metadata (ligand, observables) in a model annotation.
The result must validate with zero errors and zero unit warnings.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ModelError, SBMLError

__all__ = [
    "RK_NS",
    "RK_PREFIX",
    "AntimonySource",
    "parse_antimony_source",
    "antimony_to_sbml",
    "build",
    "unit_definition_parts",
    "unit_id",
    "reference_uri",
    "build_file",
]

RK_NS = "https://receptorkin.readthedocs.io/sbml/1"
RK_PREFIX = "receptorkin"

# base unit -> (SBML unit kind name, factor to that kind, exponent of the kind)
_BASE_UNITS: dict[str, list[tuple[str, float, int]]] = {
    "receptors": [("item", 1.0, 1)],
    "item": [("item", 1.0, 1)],
    "molecules": [("item", 1.0, 1)],
    "mol": [("mole", 1.0, 1)],
    "mmol": [("mole", 1e-3, 1)],
    "umol": [("mole", 1e-6, 1)],
    "nmol": [("mole", 1e-9, 1)],
    "pmol": [("mole", 1e-12, 1)],
    "M": [("mole", 1.0, 1), ("litre", 1.0, -1)],
    "mM": [("mole", 1e-3, 1), ("litre", 1.0, -1)],
    "uM": [("mole", 1e-6, 1), ("litre", 1.0, -1)],
    "nM": [("mole", 1e-9, 1), ("litre", 1.0, -1)],
    "pM": [("mole", 1e-12, 1), ("litre", 1.0, -1)],
    "L": [("litre", 1.0, 1)],
    "mL": [("litre", 1e-3, 1)],
    "pL": [("litre", 1e-12, 1)],
    "s": [("second", 1.0, 1)],
    "min": [("second", 60.0, 1)],
    "h": [("second", 3600.0, 1)],
    "d": [("second", 86400.0, 1)],
    "dimensionless": [],
    "1": [],
}

_TIME_UNIT_SECONDS = {"s": 1.0, "min": 60.0, "h": 3600.0, "d": 86400.0}


def _tokenize(text: str) -> list[str]:
    tokens = re.findall(r"[A-Za-z_][A-Za-z_0-9]*|\d+|[*/^()-]", text.replace(" ", ""))
    if "".join(tokens) != text.replace(" ", ""):
        raise ModelError(f"unit {text!r}: cannot read it (use e.g. 1/min, nM, receptors/min, 1/(nM*min))")
    return tokens


def unit_definition_parts(text: str) -> tuple[dict[str, int], float]:
    """Reduce a unit string to SBML base kinds with exponents and one factor.

    ``'1/(nM*min)'`` gives ``({'mole': -1, 'litre': 1, 'second': -1}, 1/(1e-9*60))``.

    Returns
    -------
    kinds, factor
        Exponent of each SBML unit kind, and the numeric factor that converts
        the unit into the product of the kinds.
    """
    tokens = _tokenize(text)
    pos = 0

    def peek() -> str | None:
        return tokens[pos] if pos < len(tokens) else None

    def take() -> str:
        nonlocal pos
        if pos >= len(tokens):
            raise ModelError(f"unit {text!r}: ends unexpectedly")
        pos += 1
        return tokens[pos - 1]

    def atom() -> tuple[dict[str, int], float]:
        tok = take()
        if tok == "(":
            kinds, factor = term()
            if take() != ")":
                raise ModelError(f"unit {text!r}: unbalanced parentheses")
        elif tok in _BASE_UNITS:
            kinds, factor = {}, 1.0
            for kind, f, e in _BASE_UNITS[tok]:
                kinds[kind] = kinds.get(kind, 0) + e
                factor *= f ** e
        else:
            raise ModelError(f"unit {text!r}: unknown unit {tok!r} (known: {', '.join(sorted(_BASE_UNITS))})")
        if peek() == "^":
            take()
            sign = -1 if peek() == "-" else 1
            if sign < 0:
                take()
            power = sign * int(take())
            kinds = {k: v * power for k, v in kinds.items()}
            factor = factor ** power
        return kinds, factor

    def term() -> tuple[dict[str, int], float]:
        kinds, factor = atom()
        while peek() in ("*", "/"):
            op = take()
            k2, f2 = atom()
            sign = 1 if op == "*" else -1
            for k, v in k2.items():
                kinds[k] = kinds.get(k, 0) + sign * v
            factor *= f2 ** sign
        return kinds, factor

    kinds, factor = term()
    if pos != len(tokens):
        raise ModelError(f"unit {text!r}: unexpected {tokens[pos]!r}")
    return {k: v for k, v in kinds.items() if v != 0}, factor


def unit_id(text: str) -> str:
    """An SBML id for a unit string: ``'1/(nM*min)'`` -> ``'per_nM_per_min'``."""
    if text.strip() in ("dimensionless", "1"):
        return "dimensionless"
    s = text.replace(" ", "")
    s = re.sub(r"^1/", "per_", s)
    s = s.replace("/(", "_per_").replace("/", "_per_").replace("*", "_").replace("(", "").replace(")", "")
    s = s.replace("^-", "_pow_minus_").replace("^", "_pow_")
    s = re.sub(r"[^A-Za-z0-9_]", "_", s)
    if s[0].isdigit():
        s = "u_" + s
    return s


def _add_unit_definition(model, text: str) -> str:
    import libsbml

    uid = unit_id(text)
    if uid == "dimensionless" or model.getUnitDefinition(uid) is not None:
        return uid
    kinds, factor = unit_definition_parts(text)
    ud = model.createUnitDefinition()
    ud.setId(uid)
    ud.setName(text)
    if not kinds:
        u = ud.createUnit()
        u.setKind(libsbml.UNIT_KIND_DIMENSIONLESS)
        u.setExponent(1)
        u.setScale(0)
        u.setMultiplier(factor)
        return uid
    first = True
    for kind in sorted(kinds):
        u = ud.createUnit()
        u.setKind(libsbml.UnitKind_forName(kind))
        e = kinds[kind]
        u.setExponent(e)
        u.setScale(0)
        if first:
            # (multiplier * kind)^e = factor * kind^e
            mult = factor ** (1.0 / e)
            u.setMultiplier(float(f"{mult:.15g}"))
            first = False
        else:
            u.setMultiplier(1.0)
    return uid


@dataclass
class AntimonySource:
    """An Antimony model with the receptorkin metadata read from its comments."""

    text: str
    meta: dict[str, str] = field(default_factory=dict)
    references: list[tuple[str, str]] = field(default_factory=list)
    #: element id -> (unit string, source text)
    elements: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.meta.get("id", "")


_META = re.compile(r"^\s*//\s*@(\w+)\s*:\s*(.*?)\s*$")
_ELEMENT = re.compile(
    r"^\s*(?:(?:const|var|species|substanceOnly species|compartment)\s+)?([A-Za-z_]\w*)\s*(?::=|=)\s*[^;]*;\s*//\s*\[([^\]]+)\]\s*(.*?)\s*$"
)


def parse_antimony_source(text: str, name: str = "<antimony>") -> AntimonySource:
    """Read the ``// @key: value`` metadata and ``// [unit] source`` comments."""
    src = AntimonySource(text=text)
    for lineno, line in enumerate(text.splitlines(), start=1):
        m = _META.match(line)
        if m:
            key, value = m.group(1), m.group(2)
            if key == "reference":
                uri, _, citation = value.partition("|")
                src.references.append((uri.strip(), citation.strip()))
            elif key == "description" and "description" in src.meta:
                src.meta["description"] += " " + value
            else:
                src.meta[key] = value
            continue
        m = _ELEMENT.match(line)
        if m:
            ident, unit, source = m.groups()
            if ident in src.elements:
                raise ModelError(f"{name}:{lineno}: {ident!r} has a [unit] comment twice")
            src.elements[ident] = (unit.strip(), source.strip())
    return src


def antimony_to_sbml(text: str, name: str = "<antimony>") -> str:
    """Convert Antimony text to SBML L3V2 text with the ``antimony`` package.

    Raises
    ------
    SBMLError
        With Antimony's own message (which names the line).
    """
    import antimony

    antimony.clearPreviousLoads()
    if antimony.loadAntimonyString(text) < 0:
        message = " ".join(antimony.getLastError().split())
        raise SBMLError(f"{name}: Antimony: {message}")
    module = antimony.getMainModuleName()
    sbml = antimony.getSBMLString(module)
    if not sbml:
        raise SBMLError(f"{name}: Antimony produced no SBML: {antimony.getLastError()}")
    return sbml


def _xhtml(paragraphs: list[str]) -> str:
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs if p)
    return f'<body xmlns="http://www.w3.org/1999/xhtml">{body}</body>'


def reference_uri(ref: str) -> str:
    ref = ref.strip()
    if ref.startswith("http"):
        return ref
    prefix, _, local = ref.partition(":")
    return f"https://identifiers.org/{prefix.lower()}:{local}"


def _mark_literals_dimensionless(ast) -> None:
    """Give every literal number without units the unit 'dimensionless'."""
    if ast is None:
        return
    if ast.isNumber() and not ast.hasUnits():
        ast.setUnits("dimensionless")
    for i in range(ast.getNumChildren()):
        _mark_literals_dimensionless(ast.getChild(i))


def _math_owners(model):
    for r in model.getListOfReactions():
        if r.isSetKineticLaw():
            yield r.getKineticLaw()
    for rule in model.getListOfRules():
        yield rule
    for ia in model.getListOfInitialAssignments():
        yield ia
    for ev in model.getListOfEvents():
        if ev.isSetTrigger():
            yield ev.getTrigger()
        if ev.isSetDelay():
            yield ev.getDelay()
        for ea in ev.getListOfEventAssignments():
            yield ea
    for fd in model.getListOfFunctionDefinitions():
        yield fd


def build(text: str, name: str = "<antimony>") -> str:
    """Build annotated SBML L3V2 from a receptorkin Antimony source.

    Parameters
    ----------
    text
        Antimony text with ``// @key:`` metadata and ``// [unit] source``
        comments (see the module docstring).
    name
        File name for error messages.

    Returns
    -------
    str
        SBML text.  Call :func:`receptorkin.models.sbml.validate` on it to
        check it.

    Raises
    ------
    ModelError
        Missing metadata, an element without a unit comment, an unknown unit.
    SBMLError
        Antimony could not read the text.
    """
    import libsbml

    src = parse_antimony_source(text, name)
    for key in ("id", "title", "description", "time_unit", "substance_unit"):
        if key not in src.meta:
            raise ModelError(f"{name}: missing '// @{key}: ...' metadata line")
    if src.meta["time_unit"] not in _TIME_UNIT_SECONDS:
        raise ModelError(f"{name}: @time_unit must be one of s, min, h, d (got {src.meta['time_unit']!r})")
    sbml = antimony_to_sbml(text, name)
    doc = libsbml.readSBMLFromString(sbml)
    model = doc.getModel()
    if model.getId() != src.id:
        raise ModelError(f"{name}: @id {src.id!r} differs from the Antimony model name {model.getId()!r}")
    model.setName(src.meta["title"])

    time_uid = _add_unit_definition(model, src.meta["time_unit"])
    model.setTimeUnits(time_uid)
    substance_uid = _add_unit_definition(model, src.meta["substance_unit"])
    model.setSubstanceUnits(substance_uid)
    model.setExtentUnits(substance_uid)
    model.setVolumeUnits(_add_unit_definition(model, src.meta.get("volume_unit", "L")))

    def element(ident: str):
        for getter in (model.getParameter, model.getSpecies, model.getCompartment):
            el = getter(ident)
            if el is not None:
                return el
        return None

    for ident, (unit, source) in src.elements.items():
        el = element(ident)
        if el is None:
            raise ModelError(f"{name}: [unit] comment on {ident!r}, which is not a parameter, species or compartment")
        uid = _add_unit_definition(model, unit)
        if el.getTypeCode() == libsbml.SBML_SPECIES:
            el.setSubstanceUnits(uid)
        else:
            el.setUnits(uid)
        notes = [f"Unit: {unit}."]
        if source:
            notes.append(f"Source: {source}")
        el.setNotes(_xhtml(notes))
    missing = [
        el.getId()
        for coll in (model.getListOfParameters(), model.getListOfSpecies(), model.getListOfCompartments())
        for el in coll
        if el.getId() not in src.elements
    ]
    if missing:
        raise ModelError(f"{name}: no '// [unit] source' comment for {', '.join(missing)}")

    for owner in _math_owners(model):
        if owner.isSetMath():
            math_ast = owner.getMath().deepCopy()
            _mark_literals_dimensionless(math_ast)
            owner.setMath(math_ast)

    for r in model.getListOfReactions():
        if not r.isSetSBOTerm():
            raise ModelError(f"{name}: reaction {r.getId()!r} has no SBO term (add '{r.getId()}.sboTerm = NNN')")

    if not model.isSetMetaId():
        model.setMetaId(f"meta_{src.id}")
    for uri, _citation in src.references:
        cv = libsbml.CVTerm(libsbml.MODEL_QUALIFIER)
        cv.setModelQualifierType(libsbml.BQM_IS_DESCRIBED_BY)
        cv.addResource(reference_uri(uri))
        if model.addCVTerm(cv) != libsbml.LIBSBML_OPERATION_SUCCESS:
            raise SBMLError(f"{name}: could not add the reference {uri!r}")
    paragraphs = [src.meta["description"]]
    paragraphs += [f"Reference: {c} [{u}]" for u, c in src.references]
    model.setNotes(_xhtml(paragraphs))

    attrs = {
        "title": src.meta["title"],
        "time_unit": src.meta["time_unit"],
        "substance_unit": src.meta["substance_unit"],
    }
    for key in ("ligand", "dose_unit", "observables", "default_observable", "receptor"):
        if key in src.meta:
            attrs[key] = src.meta[key]
    for ident in [attrs.get("ligand")] + [o.strip() for o in attrs.get("observables", "").split(",") if o.strip()]:
        if ident and element(ident) is None:
            raise ModelError(f"{name}: metadata names {ident!r}, which is not in the model")
    attr_text = " ".join(f'{k}="{html.escape(v, quote=True)}"' for k, v in attrs.items())
    annotation = f'<{RK_PREFIX}:model xmlns:{RK_PREFIX}="{RK_NS}" {attr_text}/>'
    if model.appendAnnotation(annotation) != libsbml.LIBSBML_OPERATION_SUCCESS:
        raise SBMLError(f"{name}: could not write the receptorkin annotation")

    out = libsbml.writeSBMLToString(doc)
    # drop the tool-version comment so that the committed file does not change
    # with the version of antimony/libsbml that built it
    out = re.sub(r"<!--.*?-->\n?", "", out, flags=re.S)
    return out


def build_file(path: "str | Path") -> str:
    """Build the SBML of one Antimony file (see :func:`build`)."""
    path = Path(path)
    return build(path.read_text(encoding="utf-8"), name=str(path))
