"""SBML in and out: read, validate, inspect, edit and write models.

A :class:`Model` is an immutable value holding SBML text and what receptorkin
knows about it (its ligand input, observables, units and the source of every
parameter value).  Edits return a new :class:`Model`; nothing is changed in
place.  libsbml does not raise on bad input, it logs: :func:`validate`
collects every issue with its line and severity and :func:`check_supported`
refuses constructs the simulator cannot honour, before any simulation.
"""

from __future__ import annotations

import html
import os
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Mapping

from ..errors import ModelError, SBMLError, closest
from ..io import atomic_write_text, sbml_without_doctype
from .build import RK_NS, antimony_to_sbml, build, reference_uri
from .files import path_of

__all__ = [
    "Model",
    "Element",
    "Reference",
    "ValidationIssue",
    "ValidationReport",
    "validate",
    "check_supported",
    "flatten",
    "load_model",
    "read_sbml",
    "from_antimony",
    "closest",
    "validate_source",
    "validation_input",
]

_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")


@dataclass(frozen=True)
class ValidationIssue:
    """One libsbml diagnostic."""

    severity: str  #: "fatal", "error" or "warning"
    category: str  #: e.g. "units", "SBML", "modeling practice"
    line: int
    code: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.severity} {self.code} ({self.category}): {self.message}"


@dataclass(frozen=True)
class ValidationReport:
    """Every libsbml diagnostic of a document, split by severity."""

    name: str
    issues: tuple[ValidationIssue, ...]

    @property
    def errors(self) -> list[ValidationIssue]:
        return [i for i in self.issues if i.severity in ("error", "fatal")]

    @property
    def warnings(self) -> list[ValidationIssue]:
        return [i for i in self.issues if i.severity == "warning"]

    @property
    def unit_warnings(self) -> list[ValidationIssue]:
        return [i for i in self.warnings if i.category == "units"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def raise_for_errors(self) -> None:
        """Raise :class:`SBMLError` listing every error (one per line)."""
        if self.errors:
            lines = [f"{self.name}:{i.line}: {i.severity}: {i.message}" for i in self.errors]
            raise SBMLError(f"{self.name}: invalid SBML ({len(self.errors)} errors)\n" + "\n".join(lines))

    def __str__(self) -> str:
        if not self.issues:
            return f"{self.name}: valid SBML, no warnings"
        head = f"{self.name}: {len(self.errors)} errors, {len(self.warnings)} warnings ({len(self.unit_warnings)} on units)"
        return "\n".join([head] + [f"  {i}" for i in self.issues])


_SEVERITY = {0: "info", 1: "warning", 2: "error", 3: "fatal"}


def _category(err) -> str:
    import libsbml

    cat = err.getCategory()
    if cat in (libsbml.LIBSBML_CAT_UNITS_CONSISTENCY,):
        return "units"
    if cat == libsbml.LIBSBML_CAT_MODELING_PRACTICE:
        return "modeling practice"
    return err.getCategoryAsString()


def _specific(message: str) -> str:
    """libsbml's message, preferring its specific part (after 'Reference: ...')."""
    lines = message.strip().splitlines()
    for i, line in enumerate(lines):
        if line.strip().startswith("Reference:") and i + 1 < len(lines):
            tail = " ".join(" ".join(lines[i + 1:]).split())
            if tail:
                return tail
    return " ".join(message.split())


_FILE_SUFFIXES = (".xml", ".sbml", ".ant", ".antimony", ".txt")


def _text_of(source: "str | os.PathLike", name: str, default: str, strict: bool) -> tuple[str, str, bool]:
    """The text of ``source``, a name for messages, and whether it came from a file.

    A ``Path`` is a file to read.  A one-line string that is not markup is a
    file path too when ``strict`` (SBML text always starts with ``<``), else
    only when it names an existing file or ends in a model-file suffix (so
    one-line Antimony stays text).
    """
    if isinstance(source, str):
        one_line = "\n" not in source and source.strip() != "" and not source.lstrip().startswith("<")
        is_path = one_line and (strict or Path(source).suffix.lower() in _FILE_SUFFIXES or Path(source).is_file())
    else:
        is_path = isinstance(source, os.PathLike)
    if not is_path:
        return str(source), name, False
    path = Path(os.fspath(source))
    return _read_model_text(path), (str(path) if name == default else name), True


def _read_model_text(path: Path) -> str:
    """The text of a model file, with one-line errors for a missing file, a folder or a binary file.

    Raises
    ------
    ModelError
        ``path`` does not exist or is a directory.
    SBMLError
        ``path`` is not UTF-8 text.
    """
    if not path.exists():
        raise ModelError(f"{path}: no such file")
    if path.is_dir():
        raise ModelError(f"{path}: is a directory, expected an SBML or Antimony file")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SBMLError(f"{path}: not a text file ({exc.reason} at byte {exc.start})") from None


def validate(sbml: "str | os.PathLike", name: str = "<sbml>", units: bool = True) -> ValidationReport:
    """Validate SBML with libsbml: syntax, consistency and (optionally) units.

    Parameters
    ----------
    sbml
        SBML document text, or the path of an SBML file (a ``Path``, or a
        string that is not XML); an Antimony file is converted first.
    name
        Name for messages (default: the file path, or ``<sbml>`` for text).
    units
        Also run the unit-consistency checks.

    Returns
    -------
    ValidationReport
        All diagnostics; call :meth:`ValidationReport.raise_for_errors`.
    """
    import libsbml

    sbml, name, is_file = _text_of(sbml, name, "<sbml>", strict=True)
    if is_file and not _looks_like_sbml(sbml) and Path(name).suffix.lower() not in (".xml", ".sbml"):
        sbml = build(sbml, name) if re.search(r"^\s*//\s*@id\s*:", sbml, flags=re.M) else antimony_to_sbml(sbml, name)
    doc = libsbml.readSBMLFromString(sbml)
    issues = []

    def collect(d):
        for i in range(d.getNumErrors()):
            e = d.getError(i)
            sev = _SEVERITY.get(e.getSeverity(), "error")
            if sev == "info":
                continue
            msg = _specific(e.getMessage())
            issues.append(ValidationIssue(sev, _category(e), e.getLine(), e.getErrorId(), msg))

    collect(doc)
    if doc.getModel() is not None and not any(i.severity in ("error", "fatal") for i in issues):
        doc.getErrorLog().clearLog()
        doc.setConsistencyChecks(libsbml.LIBSBML_CAT_UNITS_CONSISTENCY, units)
        doc.setConsistencyChecks(libsbml.LIBSBML_CAT_MODELING_PRACTICE, False)
        doc.checkConsistency()
        collect(doc)
    elif doc.getModel() is None and not issues:
        issues.append(ValidationIssue("error", "SBML", 1, 0, "the document has no <model>"))
    return ValidationReport(name, tuple(issues))


def _has_delay(ast) -> bool:
    from .mathml import is_delay, walk

    return any(is_delay(node) for node in walk(ast))


def check_supported(sbml: str, name: str = "<sbml>") -> None:
    """Refuse constructs receptorkin cannot simulate faithfully.

    Raises
    ------
    ModelError
        For algebraic rules, delay functions, fast reactions, and species with
        no initial value (no initial amount/concentration, initial assignment
        or rule).
    """
    import libsbml

    doc = libsbml.readSBMLFromString(sbml)
    model = doc.getModel()
    if model is None:
        raise SBMLError(f"{name}: no <model> in the document")
    problems = []
    for rule in model.getListOfRules():
        if rule.isAlgebraic() and rule.isSetMath():  # an empty one constrains nothing
            problems.append(f"algebraic rule '0 = {libsbml.formulaToL3String(rule.getMath())}' is not supported")
    for r in model.getListOfReactions():
        if r.isSetFast() and r.getFast():
            problems.append(f"reaction {r.getId()!r} is marked fast, which is not supported")
    owners = [(f"rule for {r.getVariable()!r}" if r.getVariable() else "an algebraic rule", r) for r in model.getListOfRules()]
    owners += [(f"initial assignment of {a.getSymbol()!r}", a) for a in model.getListOfInitialAssignments()]
    owners += [(f"rate law of reaction {r.getId()!r}", r.getKineticLaw()) for r in model.getListOfReactions() if r.isSetKineticLaw()]
    for ev in model.getListOfEvents():
        owners += [(f"event {ev.getId()!r}", a) for a in ev.getListOfEventAssignments()]
        if ev.isSetTrigger():
            owners.append((f"trigger of event {ev.getId()!r}", ev.getTrigger()))
    for where, owner in owners:
        if owner.isSetMath() and _has_delay(owner.getMath()):
            problems.append(f"delay() in the {where} is not supported")
    assigned = {ia.getSymbol() for ia in model.getListOfInitialAssignments()}
    assigned |= {r.getVariable() for r in model.getListOfRules() if r.isAssignment()}
    for s in model.getListOfSpecies():
        if not (s.isSetInitialAmount() or s.isSetInitialConcentration()) and s.getId() not in assigned:
            problems.append(f"species {s.getId()!r} has no initial value (expected initialAmount, initialConcentration or an initial assignment)")
    for p in model.getListOfParameters():
        if not p.isSetValue() and p.getId() not in assigned and not any(
            r.getVariable() == p.getId() for r in model.getListOfRules()
        ):
            problems.append(f"parameter {p.getId()!r} has no value")
    if problems:
        raise ModelError(f"{name}: model {model.getId()!r}: " + "; ".join(problems))


@dataclass(frozen=True)
class Element:
    """A named quantity of a model: species, parameter, compartment or rule variable."""

    id: str
    kind: str  #: "species", "parameter", "compartment" or "observable" (assignment rule)
    value: float | None  #: initial value (None for rule-defined quantities)
    unit: str  #: readable unit string, e.g. "1/min"
    name: str = ""  #: display name
    source: str = ""  #: where the value comes from
    formula: str = ""  #: for assignment rules


@dataclass(frozen=True)
class Reference:
    """A literature reference of a model (MIRIAM URI and citation)."""

    uri: str
    citation: str = ""


@dataclass(frozen=True)
class Model:
    """An SBML model and what receptorkin knows about it.

    Build one with :func:`load_model` (file, SBML text, Antimony text or a
    bundled id) rather than directly.

    Attributes
    ----------
    sbml
        SBML Level 3 text.
    id, title, description
        From the SBML model and its receptorkin annotation.
    ligand
        Id of the parameter or species a dose sets (``None`` if unknown).
    dose_unit
        Unit of the ligand (bundled models use nM).
    observables
        Ids of named outputs (species, parameters or assignment-rule variables).
    default_observable
        The observable a dose-response curve reads by default.
    receptor
        The observable that counts surface receptors (for regimen metrics).
    time_unit
        ``'s'``, ``'min'``, ``'h'`` or ``'d'``.
    """

    sbml: str
    id: str
    title: str = ""
    description: str = ""
    ligand: str | None = None
    dose_unit: str = "nM"
    observables: tuple[str, ...] = ()
    default_observable: str | None = None
    receptor: str | None = None
    time_unit: str = "min"
    source: str = ""  #: file path, "bundled:<id>", or "<text>"
    elements: tuple[Element, ...] = field(default=(), repr=False)
    references: tuple[Reference, ...] = field(default=(), repr=False)

    # -- inspection ---------------------------------------------------------
    def element(self, ident: str) -> Element:
        """The element ``ident``; :class:`ModelError` with the closest ids if unknown."""
        for el in self.elements:
            if el.id == ident:
                return el
        raise ModelError(f"model {self.id!r}: no species, parameter or rule variable {ident!r}{closest(ident, self.ids)}")

    @property
    def ids(self) -> list[str]:
        return [e.id for e in self.elements]

    @property
    def parameters(self) -> dict[str, float]:
        """Values of the constant global parameters (what a fit or ``--set`` changes)."""
        return {e.id: e.value for e in self.elements if e.kind == "parameter" and e.value is not None}

    @property
    def species(self) -> list[str]:
        return [e.id for e in self.elements if e.kind == "species"]

    def unit_of(self, ident: str) -> str:
        return self.element(ident).unit

    def with_ligand(self, ligand: str | None = None, observable: str | None = None) -> "Model":
        """A copy with the ligand input and/or default observable named (checked)."""
        changes = {}
        if ligand is not None:
            el = self.element(ligand)
            if el.kind not in ("parameter", "variable", "species"):
                raise ModelError(f"model {self.id!r}: ligand {ligand!r} must be a species or a parameter that no rule computes "
                                 f"(it is {'computed by an assignment rule' if el.kind == 'observable' else 'a ' + el.kind})")
            changes["ligand"] = ligand
        if observable is not None:
            self.element(observable)
            changes["default_observable"] = observable
            if observable not in self.observables:
                changes["observables"] = self.observables + (observable,)
        return replace(self, **changes) if changes else self

    # -- editing ------------------------------------------------------------
    def with_values(self, values: Mapping[str, float], notes: Mapping[str, str] | None = None) -> "Model":
        """A copy whose SBML has new parameter / initial values.

        Parameters
        ----------
        values
            Element id -> new value (constant parameters, species initial
            amounts or concentrations, compartment sizes).
        notes
            Optional element id -> text appended to that element's notes
            (e.g. a fitted value's confidence interval).
        """
        import libsbml

        doc = libsbml.readSBMLFromString(self.sbml)
        model = doc.getModel()
        for ident, value in values.items():
            value = float(value)
            p = model.getParameter(ident)
            s = model.getSpecies(ident)
            c = model.getCompartment(ident)
            if p is not None and any(r.getVariable() == ident for r in model.getListOfRules()):
                raise ModelError(f"model {self.id!r}: {ident!r} is defined by a rule and cannot be set")
            if p is not None:
                p.setValue(value)
            elif s is not None:
                if s.isSetInitialConcentration() and not s.getHasOnlySubstanceUnits():
                    s.setInitialConcentration(value)
                else:
                    s.setInitialAmount(value)
                ia = model.getInitialAssignment(ident)
                if ia is not None:
                    model.removeInitialAssignment(ident)
            elif c is not None:
                c.setSize(value)
            else:
                raise ModelError(f"model {self.id!r}: cannot set {ident!r}: no such parameter, species or compartment{closest(ident, self.ids)}")
        for ident, text in (notes or {}).items():
            el = model.getElementBySId(ident)
            if el is not None:
                el.appendNotes(f'<body xmlns="http://www.w3.org/1999/xhtml"><p>{html.escape(text)}</p></body>')
        new_sbml = libsbml.writeSBMLToString(doc)
        return _describe(new_sbml, self.source, base=self)

    # -- output ---------------------------------------------------------------
    def write(self, path: str | os.PathLike, force: bool = False) -> Path:
        """Validate and write the SBML atomically; refuses to overwrite without ``force``."""
        text = sbml_without_doctype(self.sbml, str(path))  # never copy an input's DOCTYPE / entities
        validate(text, name=str(path)).raise_for_errors()
        return atomic_write_text(path, text, force=force)

    def to_antimony(self) -> str:
        """Antimony text of the model (via the ``antimony`` package)."""
        import antimony

        antimony.clearPreviousLoads()
        if antimony.loadSBMLString(self.sbml) < 0:
            raise SBMLError(f"model {self.id!r}: antimony could not read the SBML: {antimony.getLastError()}")
        return antimony.getAntimonyString(antimony.getMainModuleName())


def _notes_text(el) -> str:
    if not el.isSetNotes():
        return ""
    raw = el.getNotesString()
    text = re.sub(r"<[^>]+>", " ", raw)
    return " ".join(html.unescape(text).split())


def _source_text(el) -> str:
    """The 'Source: ...' part of an element's notes (the whole notes if none)."""
    text = _notes_text(el)
    _, found, after = text.partition("Source: ")
    return after if found else re.sub(r"^Unit: [^.]*\.\s*", "", text)


def _unit_string(model, uid: str) -> str:
    if not uid:
        return ""
    ud = model.getUnitDefinition(uid)
    if ud is not None and ud.isSetName():
        return ud.getName()
    return uid


def rk_annotation(model) -> dict[str, str]:
    """The attributes of receptorkin's own model annotation (ligand, observables, ...) of a libsbml Model."""
    if not model.isSetAnnotation():
        return {}
    try:
        root = ET.fromstring(model.getAnnotationString())
    except ET.ParseError:
        return {}
    node = root.find(f"{{{RK_NS}}}model")
    return dict(node.attrib) if node is not None else {}


_TIME_KINDS = {60.0: "min", 3600.0: "h", 1.0: "s", 86400.0: "d"}


def _time_unit(model, annotated: str | None) -> str:
    if annotated:
        return annotated
    import libsbml

    ud = model.getUnitDefinition(model.getTimeUnits()) if model.isSetTimeUnits() else None
    if model.getTimeUnits() == "second":
        return "s"
    if ud is not None and ud.getNumUnits() == 1 and ud.getUnit(0).getKind() == libsbml.UNIT_KIND_SECOND:
        u = ud.getUnit(0)
        seconds = u.getMultiplier() * 10 ** u.getScale()
        for s, name in _TIME_KINDS.items():
            if abs(seconds - s) < 1e-9 * s:
                return name
    return "s" if model.isSetTimeUnits() else "min"


def _describe(sbml: str, source: str, base: Model | None = None) -> Model:
    import libsbml

    doc = libsbml.readSBMLFromString(sbml)
    model = doc.getModel()
    rules = {r.getVariable(): r for r in model.getListOfRules() if r.isAssignment() or r.isRate()}
    elements = []
    for c in model.getListOfCompartments():
        elements.append(Element(c.getId(), "compartment", c.getSize() if c.isSetSize() else None,
                                _unit_string(model, c.getUnits()), c.getName(), _source_text(c)))
    for s in model.getListOfSpecies():
        if s.isSetInitialAmount():
            value = s.getInitialAmount()
        elif s.isSetInitialConcentration():
            value = s.getInitialConcentration()
        else:
            value = None
        elements.append(Element(s.getId(), "species", value, _unit_string(model, s.getSubstanceUnits()),
                                s.getName(), _source_text(s)))
    for p in model.getListOfParameters():
        rule = rules.get(p.getId())
        if rule is not None and rule.isAssignment():
            elements.append(Element(p.getId(), "observable", None, _unit_string(model, p.getUnits()), p.getName(),
                                    _source_text(p), libsbml.formulaToL3String(rule.getMath())))
        else:
            kind = "parameter" if p.getConstant() else "variable"
            elements.append(Element(p.getId(), kind, p.getValue() if p.isSetValue() else None,
                                    _unit_string(model, p.getUnits()), p.getName(), _source_text(p)))
    refs = []
    for i in range(model.getNumCVTerms()):
        cv = model.getCVTerm(i)
        for j in range(cv.getNumResources()):
            refs.append(Reference(cv.getResourceURI(j)))
    notes = _notes_text(model)
    citations = re.findall(r"Reference: (.*?) \[([^\]]+)\]", notes)
    if citations:
        by_uri = {reference_uri(u): c for c, u in citations}
        refs = [Reference(r.uri, by_uri.get(r.uri, "")) for r in refs]
    description = notes.split(" Reference: ")[0] if notes else ""
    rk = rk_annotation(model)
    observables = tuple(o.strip() for o in rk.get("observables", "").split(",") if o.strip())
    fields = dict(
        sbml=sbml,
        id=model.getId() or "model",
        title=rk.get("title") or model.getName() or model.getId(),
        description=description,
        ligand=rk.get("ligand") or None,
        dose_unit=rk.get("dose_unit", "nM"),
        observables=observables,
        default_observable=rk.get("default_observable") or (observables[0] if observables else None),
        receptor=rk.get("receptor") or None,
        time_unit=_time_unit(model, rk.get("time_unit")),
        source=source,
        elements=tuple(elements),
        references=tuple(refs),
    )
    if base is not None:
        # keep choices made on the base model (with_ligand) that SBML does not store
        for key in ("ligand", "default_observable", "observables", "receptor", "dose_unit"):
            if getattr(base, key) and not rk.get(key):
                fields[key] = getattr(base, key)
    return Model(**fields)


def flatten(sbml: str, name: str = "<sbml>", location: "str | os.PathLike | None" = None) -> str:
    """Flatten a hierarchical (SBML ``comp``) model into one plain model.

    Parameters
    ----------
    sbml
        SBML text; returned unchanged if it does not use the comp package.
    name
        Name for messages.
    location
        The model file: external model definitions (``comp:source``) are
        found relative to its folder (default: the working directory).

    Raises
    ------
    ModelError
        An external model file that does not exist.
    SBMLError
        libsbml could not flatten the model (its errors, one per line).
    """
    if "comp" not in sbml or "http://www.sbml.org/sbml/level3/version1/comp/version1" not in sbml:
        return sbml
    import libsbml

    doc = libsbml.readSBMLFromString(sbml)
    if doc.getModel() is None or not doc.isPackageEnabled("comp"):
        return sbml
    folder = Path(location).resolve().parent if location is not None else Path.cwd()
    doc.setLocationURI(folder.joinpath(Path(location).name if location is not None else "model.xml").as_uri())
    plugin = doc.getPlugin("comp")
    for i in range(plugin.getNumExternalModelDefinitions()):
        ext = plugin.getExternalModelDefinition(i)
        src = ext.getSource()
        if _URL.match(src) and not src.startswith("file:"):
            raise ModelError(f"{name}: external model definition {ext.getId()!r} points to {src}: URLs are not loaded")
        target = Path(src[5:] if src.startswith("file:") else src)
        if not (target if target.is_absolute() else folder / target).exists():
            raise ModelError(f"{name}: external model definition {ext.getId()!r}: file {src!r} not found next to the model")
    doc.getErrorLog().clearLog()
    props = libsbml.ConversionProperties()
    props.addOption("flatten comp", True)
    if doc.convert(props) != libsbml.LIBSBML_OPERATION_SUCCESS:
        errors = [doc.getError(i) for i in range(doc.getNumErrors())]
        lines = [_specific(e.getMessage()) for e in errors if e.getSeverity() >= libsbml.LIBSBML_SEV_ERROR]
        raise SBMLError(f"{name}: the hierarchical (comp) model could not be flattened\n" + "\n".join(lines[:10]))
    return libsbml.writeSBMLToString(doc)


def read_sbml(sbml: "str | os.PathLike", name: str = "<sbml>", source: str | None = None,
              location: "str | os.PathLike | None" = None) -> Model:
    """Validate SBML (text, or the path of a file) and describe it as a :class:`Model`.

    Hierarchical (comp) models are flattened first (:func:`flatten`, external
    files relative to ``location``), then checked.

    Raises
    ------
    SBMLError
        libsbml errors (each with its line).
    ModelError
        Unsupported constructs (see :func:`check_supported`).
    """
    given = sbml
    sbml, name, is_file = _text_of(sbml, name, "<sbml>", strict=True)
    if is_file and location is None:
        location = Path(os.fspath(given))
    sbml = flatten(sbml, name, location)
    report = validate(sbml, name=name, units=False)
    report.raise_for_errors()
    check_supported(sbml, name)
    return _describe(sbml, source or name)


def from_antimony(text: "str | os.PathLike", name: str = "<antimony>", source: str | None = None) -> Model:
    """A :class:`Model` from Antimony text (or the path of an Antimony file).

    Text with receptorkin ``// @id:`` metadata is built with units and
    annotations (:func:`receptorkin.models.build.build`); plain Antimony is
    converted as it is.
    """
    text, name, _ = _text_of(text, name, "<antimony>", strict=False)
    if re.search(r"^\s*//\s*@id\s*:", text, flags=re.M):
        sbml = build(text, name)
    else:
        sbml = antimony_to_sbml(text, name)
    try:
        return read_sbml(sbml, name=name, source=source or name)
    except SBMLError:
        # libSBML's lines point into SBML the author never saw: name the Antimony lines instead
        from .diagnostics import summarize

        report = validate(sbml, name=name, units=False)
        if not report.errors:
            raise
        raise SBMLError(f"{name}: invalid model ({len(report.errors)} errors)\n"
                        + "\n".join(summarize(report, sbml, text).splitlines()[1:-1])) from None


def _looks_like_sbml(text: str) -> bool:
    head = text.lstrip()[:400]
    return head.startswith("<?xml") or head.startswith("<sbml")


def _looks_like_antimony(text: str) -> bool:
    return bool(re.search(r"^\s*(model|module)\s+\*?\w+\s*\(", text, flags=re.M)) or ("->" in text and "\n" in text)


def load_model(source: "str | os.PathLike | Model") -> Model:
    """Load a model from a bundled id, a file (SBML or Antimony), or text.

    Parameters
    ----------
    source
        A bundled model id (``'gpcr_desensitization'``), a path to an SBML
        (``.xml``/``.sbml``) or Antimony (``.ant``/``.txt``) file, SBML text,
        Antimony text, or a :class:`Model` (returned as it is).

    Raises
    ------
    ModelError
        A URL (receptorkin never downloads), a missing file, an unknown
        bundled id (with the closest id suggested), unsupported constructs.
    SBMLError
        Invalid SBML or Antimony.
    """
    if isinstance(source, Model):
        return source
    text = os.fspath(source) if isinstance(source, os.PathLike) else str(source)
    if _URL.match(text.strip()) and "\n" not in text:
        raise ModelError(f"{text}: URLs are not loaded (download the file and give its path)")
    if _looks_like_sbml(text):
        return read_sbml(text, name="<SBML text>", source="<text>")
    if "\n" in text and _looks_like_antimony(text):
        return from_antimony(text, name="<Antimony text>", source="<text>")
    path = Path(text)
    if path.suffix.lower() in (".xml", ".sbml", ".ant", ".antimony", ".txt") or os.sep in text or "/" in text:
        content = _read_model_text(path)
        if _looks_like_sbml(content) or path.suffix.lower() in (".xml", ".sbml"):
            return read_sbml(content, name=str(path), source=str(path), location=path)
        return from_antimony(content, name=str(path), source=str(path))
    return load_bundled(text)


@lru_cache(maxsize=None)
def load_bundled(model_id: str) -> Model:
    """Load a bundled model by id (validated once, then cached); also :func:`receptorkin.models.library.load`."""
    path = path_of(model_id)
    if not path.exists():
        raise ModelError(f"bundled model {model_id!r}: {path} is missing (run 'make models')")
    return read_sbml(path.read_text(encoding="utf-8"), name=str(path), source=f"bundled:{model_id}")


def validate_source(source: "str | os.PathLike") -> ValidationReport:
    """Validate a file, text or bundled model, units included.

    Antimony is converted first; SBML errors and unsupported constructs raise
    (:class:`SBMLError`, :class:`ModelError`); warnings are in the report.
    """
    content, name, _ = validation_input(source)
    report = validate(content, name=name)
    report.raise_for_errors()
    check_supported(content, name)
    return report


def validation_input(source: "str | os.PathLike") -> tuple[str, str, str | None]:
    """What :func:`validate_source` validates: ``(SBML text, name for messages, Antimony source or None)``.

    A file is read (Antimony converted to SBML, its text returned third so
    that messages can name Antimony lines); anything else is a bundled model id.
    """
    text = os.fspath(source)
    path = Path(text)
    if _URL.match(text.strip()):
        raise ModelError(f"{text}: URLs are not loaded (download the file and give its path)")
    if path.suffix.lower() in (".xml", ".sbml", ".ant", ".antimony", ".txt") or os.sep in text:
        if not path.exists():
            raise ModelError(f"{path}: no such file")
        content = path.read_text(encoding="utf-8", errors="replace")
        name = str(path)
        if not _looks_like_sbml(content) and path.suffix.lower() not in (".xml", ".sbml"):
            sbml = build(content, name) if re.search(r"^\s*//\s*@id\s*:", content, flags=re.M) else antimony_to_sbml(content, name)
            return sbml, name, content
        return content, name, None
    model = load_model(text)
    return model.sbml, model.source, None
