"""Drug input of a model: an in-vitro ligand, or a one-compartment PK link.

:func:`attach_pk` adds a one-compartment pharmacokinetic model to any model
with a ligand input, without editing its SBML by hand: an amount of drug in a
central compartment (volume V, first-order elimination k), optionally fed by
first-order absorption (ka) from a depot, plus a zero-order infusion input.
The ligand becomes an assignment rule ``C = A_central / V`` (nmol/L = nM), so
every receptor reaction sees the plasma concentration.  The new species,
parameters and reactions carry units and SBO terms, and the result validates
with libsbml (zero errors; zero unit warnings for the bundled models).

:func:`drug_input` tells how the doses of a regimen reach a model: by setting
the ligand concentration directly (in vitro), or by adding amounts and
infusion rates to the PK compartments.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING

from ..errors import ModelError, RegimenError, SBMLError
from ..models.build import RK_NS, RK_PREFIX, unit_id
from ..models.sbml import Model, closest, load_model, read_sbml, validate

if TYPE_CHECKING:
    from .regimen import Regimen

__all__ = ["DrugInput", "drug_input", "attach_pk", "AVOGADRO", "concentration_factor"]

#: Avogadro constant [1/mol] (exact, SI 2019)
AVOGADRO = 6.02214076e23

_MOLAR = {"M": 1e9, "mM": 1e6, "uM": 1e3, "µM": 1e3, "nM": 1.0, "pM": 1e-3, "fM": 1e-6}  # nM per unit
_TIME_MIN = {"s": 1 / 60, "min": 1.0, "h": 60.0, "d": 1440.0}
_SBO_DEGRADATION = 179
_SBO_TRANSPORT = 185
_SBO_PRODUCTION = 393


@dataclass(frozen=True)
class DrugInput:
    """How the doses of a regimen reach a model.

    Attributes
    ----------
    kind
        ``'concentration'`` (the ligand is set directly: in vitro) or ``'pk'``.
    concentration
        Id of the drug concentration at the receptor (the ligand parameter,
        or the assignment-rule variable of a PK-linked model).
    concentration_factor
        Model dose units per nM (1 for models in nM).
    depot, central
        PK species ids (amounts in nmol); ``depot`` is None without absorption.
    infusion
        Id of the PK infusion-rate parameter [nmol per model time unit].
    volume
        Id of the central-volume parameter [L].
    """

    kind: str
    concentration: str
    concentration_factor: float = 1.0
    depot: str | None = None
    central: str | None = None
    infusion: str | None = None
    volume: str | None = None

    def species_for(self, route: str, model_id: str = "model") -> str:
        """The PK species a bolus by ``route`` (``'auto'``, ``'depot'``, ``'central'``) goes into."""
        if self.kind != "pk" or self.central is None:
            raise RegimenError(f"model {model_id!r}: amounts need a PK link (attach_pk(model, volume, k_elim))")
        if route == "central" or (route == "auto" and self.depot is None):
            return self.central
        if self.depot is None:
            raise RegimenError(f"model {model_id!r}: a dose into the depot needs a PK link with absorption "
                               "(attach_pk(..., k_abs=...))")
        return self.depot


def concentration_factor(dose_unit: str) -> float:
    """Model dose units per nM (``'nM'`` -> 1, ``'uM'`` -> 1e-3)."""
    if dose_unit not in _MOLAR:
        raise ModelError(f"dose unit {dose_unit!r} is not a concentration receptorkin can convert (known: {', '.join(_MOLAR)})")
    return 1.0 / _MOLAR[dose_unit]


_TAG = re.compile(r"<(\w+):model\b([^>]*)>")
_ATTR = re.compile(r"([\w:.-]+)\s*=\s*\"([^\"]*)\"")


def rk_attributes(sbml: str) -> dict[str, str]:
    """Attributes of the receptorkin model annotation (empty if none)."""
    for m in _TAG.finditer(sbml):
        prefix, body = m.group(1), m.group(2)
        attrs = {k: html.unescape(v) for k, v in _ATTR.findall(body)}
        if attrs.get(f"xmlns:{prefix}") == RK_NS:
            return {k: v for k, v in attrs.items() if not k.startswith("xmlns")}
    return {}


@lru_cache(maxsize=64)
def _drug_input_cached(sbml: str, ligand: str | None, dose_unit: str, model_id: str) -> DrugInput:
    attrs = rk_attributes(sbml)
    if attrs.get("pk_central"):
        return DrugInput(
            kind="pk",
            concentration=attrs.get("pk_concentration", ""),
            concentration_factor=concentration_factor(dose_unit),
            depot=attrs.get("pk_depot") or None,
            central=attrs["pk_central"],
            infusion=attrs.get("pk_infusion") or None,
            volume=attrs.get("pk_volume") or None,
        )
    if ligand is None:
        raise ModelError(f"model {model_id!r} declares no ligand input: name one with Simulator(model, ligand='ID') "
                         "or model.with_ligand('ID') (CLI: --ligand ID), or attach a PK link (attach_pk)")
    return DrugInput(kind="concentration", concentration=ligand, concentration_factor=concentration_factor(dose_unit))


def drug_input(model: Model) -> DrugInput:
    """The drug input of a model: its PK link if it has one, else its ligand.

    Raises
    ------
    ModelError
        The model has neither a ligand nor a PK link.
    """
    return _drug_input_cached(model.sbml, model.ligand, model.dose_unit, model.id)


# ------------------------------------------------------------------ attach_pk
def _volume_litres(value: "float | str") -> float:
    if isinstance(value, str):
        m = re.match(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(L|l|mL|ml|uL|µL)?\s*$", value)
        if not m:
            raise ModelError(f"attach_pk: volume: cannot read {value!r} (expected e.g. 5L or 500mL)")
        v = float(m.group(1)) * {"L": 1.0, "l": 1.0, "mL": 1e-3, "ml": 1e-3, "uL": 1e-6, "µL": 1e-6, None: 1.0}[m.group(2)]
    else:
        v = float(value)
    if not math.isfinite(v) or v <= 0:
        raise ModelError(f"attach_pk: volume must be a positive volume in L (got {value!r})")
    return v


def _rate_constant(value: "float | str | None", time_unit: str, what: str) -> float | None:
    """A first-order rate constant in 1/(model time unit): a number, or text such as '0.1/h'."""
    if value is None:
        return None
    if isinstance(value, str):
        m = re.match(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(?:(?:1\s*)?/\s*(s|min|h|d))?\s*$", value)
        if not m:
            raise ModelError(f"attach_pk: {what}: cannot read {value!r} (expected a rate constant such as 0.1/h)")
        k = float(m.group(1))
        if m.group(2):
            k = k * _TIME_MIN[time_unit] / _TIME_MIN[m.group(2)]
    else:
        k = float(value)
    if not math.isfinite(k) or k <= 0:
        raise ModelError(f"attach_pk: {what} must be a positive rate constant (got {value!r})")
    return k


def _unit_definition(sbml_model, uid: str, name: str, units: list[tuple[int, float, int]]) -> str:
    """Create a unit definition from (kind, multiplier, exponent) triples, unless it exists."""
    import libsbml

    if sbml_model.getUnitDefinition(uid) is not None:
        return uid
    ud = sbml_model.createUnitDefinition()
    ud.setId(uid)
    ud.setName(name)
    for kind, mult, exp in units:
        u = ud.createUnit()
        u.setKind(kind)
        u.setExponent(exp)
        u.setScale(0)
        u.setMultiplier(mult)
    if not units:
        u = ud.createUnit()
        u.setKind(libsbml.UNIT_KIND_DIMENSIONLESS)
        u.setExponent(1)
        u.setScale(0)
        u.setMultiplier(1.0)
    return uid


def _extent_in_nmol(sbml_model) -> tuple[float | None, list[tuple[int, float, int]]]:
    """nmol per unit of reaction extent, and the extent's (kind, multiplier, exponent) units.

    Returns ``(None, [])`` when the model declares no usable extent units.
    """
    import libsbml

    ext = sbml_model.getExtentUnits() if sbml_model.isSetExtentUnits() else ""
    if not ext:
        return None, []
    ud = sbml_model.getUnitDefinition(ext)
    if ud is None:
        kind = libsbml.UnitKind_forName(ext)
        if kind in (libsbml.UNIT_KIND_MOLE, libsbml.UNIT_KIND_ITEM):
            units = [(kind, 1.0, 1)]
        else:
            return None, []
    else:
        units = []
        for i in range(ud.getNumUnits()):
            u = ud.getUnit(i)
            units.append((u.getKind(), u.getMultiplier() * 10.0 ** u.getScale(), u.getExponent()))
    if len(units) != 1 or units[0][2] != 1:
        return None, []
    kind, mult, _ = units[0]
    if kind == libsbml.UNIT_KIND_MOLE:
        return mult * 1e9, units
    if kind == libsbml.UNIT_KIND_ITEM:
        return mult * 1e9 / AVOGADRO, units
    return None, []


def set_math(owner, formula: str, literal_units: str | None = None) -> None:
    import libsbml

    ast = libsbml.parseL3Formula(formula)
    if ast is None:
        raise SBMLError(f"could not parse {formula!r}: {libsbml.getLastParseL3Error()}")

    def mark(node) -> None:
        if node.isNumber() and not node.hasUnits():
            node.setUnits(literal_units or "dimensionless")
        for i in range(node.getNumChildren()):
            mark(node.getChild(i))

    mark(ast)
    if owner.setMath(ast) != libsbml.LIBSBML_OPERATION_SUCCESS:
        raise SBMLError(f"could not set the math {formula!r}")


def xhtml_notes(text: str) -> str:
    return f'<body xmlns="http://www.w3.org/1999/xhtml"><p>{html.escape(text)}</p></body>'


def check_libsbml(code: int, what: str) -> None:
    import libsbml

    if code != libsbml.LIBSBML_OPERATION_SUCCESS:
        raise SBMLError(f"attach_pk: libsbml could not {what} (code {code})")


def write_annotation(sbml_model, attrs: dict[str, str]) -> None:
    sbml_model.removeTopLevelAnnotationElement("model", RK_NS)
    text = " ".join(f'{k}="{html.escape(v, quote=True)}"' for k, v in attrs.items())
    check_libsbml(sbml_model.appendAnnotation(f'<{RK_PREFIX}:model xmlns:{RK_PREFIX}="{RK_NS}" {text}/>'), "write the receptorkin annotation")


def _model_attributes(model: Model, sbml: str) -> dict[str, str]:
    """The receptorkin annotation attributes, completed from the Model's metadata."""
    attrs = rk_attributes(sbml)
    attrs.setdefault("title", model.title or model.id)
    attrs.setdefault("time_unit", model.time_unit)
    attrs["dose_unit"] = model.dose_unit
    if model.observables:
        attrs["observables"] = ", ".join(model.observables)
    if model.default_observable:
        attrs["default_observable"] = model.default_observable
    if model.receptor:
        attrs["receptor"] = model.receptor
    if model.ligand:
        attrs["ligand"] = model.ligand
    return attrs


def attach_pk(
    model: "Model | str",
    volume: "float | str",
    k_elim: "float | str",
    k_abs: "float | str | None" = None,
    *,
    prefix: str = "pk_",
) -> Model:
    """A copy of ``model`` whose ligand is driven by a one-compartment PK model.

    The model's ligand parameter (or species) becomes the assignment rule
    ``ligand = A_central / V`` [nmol/L = nM]; ``A_central`` [nmol] is
    eliminated with rate constant ``k_elim`` and fed by an infusion-rate
    parameter and, with ``k_abs``, by first-order absorption from a depot.
    Doses of a regimen (:class:`~receptorkin.dosing.Bolus`,
    :class:`~receptorkin.dosing.Infusion`, pulses of an amount or a rate) then
    enter the PK compartments.

    Parameters
    ----------
    model
        A :class:`~receptorkin.models.Model` (or bundled id / path) with a ligand.
    volume
        Central volume of distribution V [L] (or text: ``'5L'``, ``'500mL'``).
    k_elim
        First-order elimination rate constant [1/model time unit] (or text
        with a unit: ``'0.1/h'``).
    k_abs
        First-order absorption rate constant from the depot (same units);
        ``None`` for no depot (doses go straight into the central compartment).
    prefix
        Prefix of the new ids: ``{prefix}central``, ``{prefix}depot``,
        ``{prefix}volume``, ``{prefix}k_elimination``, ``{prefix}k_absorption``,
        ``{prefix}infusion_rate``, ``{prefix}compartment``,
        ``{prefix}nmol_per_extent`` and the reactions ``{prefix}elimination``,
        ``{prefix}absorption``, ``{prefix}infusion``.

    Returns
    -------
    Model
        A new model (the input is not changed) with ``ligand=None`` and the
        PK link recorded in its receptorkin annotation.

    Raises
    ------
    ModelError
        No ligand, a ligand species measured as an amount, a PK link already
        present, an id that clashes, non-positive volume or rate constants.
    SBMLError
        The result does not validate (or, for a bundled model, has unit warnings).

    Notes
    -----
    Reaction rates are in the model's extent units.  When the model counts
    receptors as items, the PK reactions convert with Avogadro's number
    through the species' ``conversionFactor`` (``{prefix}nmol_per_extent``
    = 1e9/N_A nmol per item), so the amounts stay in nmol and the units check.
    """
    import libsbml

    base = load_model(model)
    if base.ligand is None:
        if rk_attributes(base.sbml).get("pk_central"):
            raise ModelError(f"model {base.id!r} already has a PK link")
        raise ModelError(f"model {base.id!r} declares no ligand: name it first (model.with_ligand('ID'))")
    if rk_attributes(base.sbml).get("pk_central"):
        raise ModelError(f"model {base.id!r} already has a PK link")
    time_unit = base.time_unit
    if time_unit not in _TIME_MIN:
        raise ModelError(f"model {base.id!r}: time unit {time_unit!r} is not one of s, min, h, d")
    v = _volume_litres(volume)
    ke = _rate_constant(k_elim, time_unit, "k_elim")
    ka = _rate_constant(k_abs, time_unit, "k_abs")
    conc_factor = concentration_factor(base.dose_unit)

    doc = libsbml.readSBMLFromString(base.sbml)
    m = doc.getModel()
    ids = {
        "central": f"{prefix}central", "depot": f"{prefix}depot", "volume": f"{prefix}volume",
        "k_elimination": f"{prefix}k_elimination", "k_absorption": f"{prefix}k_absorption",
        "infusion_rate": f"{prefix}infusion_rate", "compartment": f"{prefix}compartment",
        "cf": f"{prefix}nmol_per_extent", "r_elim": f"{prefix}elimination", "r_abs": f"{prefix}absorption",
        "r_inf": f"{prefix}infusion", "conc_factor": f"{prefix}nM_per_dose_unit",
    }
    wanted = [k for k in ids if ka is not None or k not in ("depot", "k_absorption", "r_abs")]
    existing = set(base.ids) | {r.getId() for r in m.getListOfReactions()} | {u.getId() for u in m.getListOfUnitDefinitions()}
    clash = [ids[k] for k in wanted if ids[k] in existing or m.getElementBySId(ids[k]) is not None]
    if clash:
        raise ModelError(f"model {base.id!r}: attach_pk would create {', '.join(clash)}, which already exist: choose another prefix=")

    # ---- units
    time_uid = m.getTimeUnits() if m.isSetTimeUnits() else ""
    minutes = _TIME_MIN[time_unit]
    sec = minutes * 60.0
    if not time_uid or (m.getUnitDefinition(time_uid) is None and time_uid != "second"):
        time_uid = _unit_definition(m, unit_id(time_unit), time_unit, [(libsbml.UNIT_KIND_SECOND, sec, 1)])
    nmol = _unit_definition(m, "nmol", "nmol", [(libsbml.UNIT_KIND_MOLE, 1e-9, 1)])
    litre = _unit_definition(m, "L", "L", [(libsbml.UNIT_KIND_LITRE, 1.0, 1)])
    per_time = _unit_definition(m, unit_id(f"1/{time_unit}"), f"1/{time_unit}", [(libsbml.UNIT_KIND_SECOND, sec, -1)])
    nmol_per_time = _unit_definition(m, unit_id(f"nmol/{time_unit}"), f"nmol/{time_unit}",
                                     [(libsbml.UNIT_KIND_MOLE, 1e-9, 1), (libsbml.UNIT_KIND_SECOND, sec, -1)])
    nmol_per_extent, extent_units = _extent_in_nmol(m)
    cf_id: str | None = None
    if nmol_per_extent is not None and nmol_per_extent != 1.0:
        cf_uid = _unit_definition(
            m, f"{prefix}nmol_per_extent_unit", "nmol per unit of reaction extent",
            [(libsbml.UNIT_KIND_MOLE, 1e-9, 1)] + [(k, mult, -e) for k, mult, e in extent_units])
        cf_id = ids["cf"]

    def parameter(pid: str, value: float, units: str, unit_text: str, name: str, note: str):
        p = m.createParameter()
        check_libsbml(p.setId(pid), f"create parameter {pid}")
        p.setName(name)
        p.setValue(value)
        p.setUnits(units)
        p.setConstant(True)
        p.setNotes(xhtml_notes(f"Unit: {unit_text}. Source: {note}"))
        return p

    parameter(ids["volume"], v, litre, "L", "Central volume of distribution [L]", "PK link added by receptorkin.attach_pk (user value)")
    parameter(ids["k_elimination"], float(ke), per_time, f"1/{time_unit}", f"Elimination rate constant [1/{time_unit}]",
              f"PK link added by receptorkin.attach_pk (user value; half-life {math.log(2) / float(ke):g} {time_unit})")
    if ka is not None:
        parameter(ids["k_absorption"], float(ka), per_time, f"1/{time_unit}", f"Absorption rate constant [1/{time_unit}]",
                  "PK link added by receptorkin.attach_pk (user value)")
    parameter(ids["infusion_rate"], 0.0, nmol_per_time, f"nmol/{time_unit}", f"Infusion rate [nmol/{time_unit}]",
              "zero-order input set by the dosing regimen (receptorkin.dosing)")
    if cf_id is not None:
        parameter(cf_id, float(nmol_per_extent), cf_uid, "nmol/extent", "nmol of drug per unit of reaction extent",
                  "1e9/N_A nmol per item (Avogadro constant, SI 2019)" if extent_units and extent_units[0][0] == libsbml.UNIT_KIND_ITEM
                  else "unit conversion of the model's extent units into nmol")

    comp = m.createCompartment()
    check_libsbml(comp.setId(ids["compartment"]), "create the PK compartment")
    comp.setName("PK body compartment (nominal; drug is tracked as an amount, the volume is the parameter "
                  f"{ids['volume']})")
    comp.setSize(1.0)
    comp.setUnits(litre)
    comp.setConstant(True)
    comp.setSpatialDimensions(3)
    comp.setNotes(xhtml_notes(f"Unit: L. Source: nominal size 1; the central volume of distribution is {ids['volume']}"))

    def species(sid: str, name: str):
        s = m.createSpecies()
        check_libsbml(s.setId(sid), f"create species {sid}")
        s.setName(name)
        s.setCompartment(ids["compartment"])
        s.setInitialAmount(0.0)
        s.setSubstanceUnits(nmol)
        s.setHasOnlySubstanceUnits(True)
        s.setBoundaryCondition(False)
        s.setConstant(False)
        if cf_id is not None:
            s.setConversionFactor(cf_id)
        s.setNotes(xhtml_notes("Unit: nmol. Source: PK link added by receptorkin.attach_pk; doses of a regimen add to it"))
        return s

    species(ids["central"], "Drug in the central compartment [nmol]")
    if ka is not None:
        species(ids["depot"], "Drug in the absorption depot [nmol]")

    def reaction(rid: str, name: str, sbo: int, reactant: str | None, product: str | None, formula: str):
        r = m.createReaction()
        check_libsbml(r.setId(rid), f"create reaction {rid}")
        r.setName(name)
        r.setReversible(False)
        r.setSBOTerm(sbo)
        if reactant:
            sr = r.createReactant()
            sr.setSpecies(reactant)
            sr.setStoichiometry(1.0)
            sr.setConstant(True)
        if product:
            sp = r.createProduct()
            sp.setSpecies(product)
            sp.setStoichiometry(1.0)
            sp.setConstant(True)
        kl = r.createKineticLaw()
        full = formula if cf_id is None else f"({formula}) / {cf_id}"
        set_math(kl, full)
        return r

    reaction(ids["r_elim"], "first-order elimination from the central compartment", _SBO_DEGRADATION, ids["central"], None,
             f"{ids['k_elimination']} * {ids['central']}")
    if ka is not None:
        reaction(ids["r_abs"], "first-order absorption from the depot", _SBO_TRANSPORT, ids["depot"], ids["central"],
                 f"{ids['k_absorption']} * {ids['depot']}")
    reaction(ids["r_inf"], "zero-order infusion into the central compartment", _SBO_PRODUCTION, None, ids["central"],
             ids["infusion_rate"])

    # ---- the ligand becomes C = A_central / V (in the model's dose unit)
    ligand = base.ligand
    formula = f"{ids['central']} / {ids['volume']}"
    if conc_factor != 1.0:
        parameter(ids["conc_factor"], conc_factor, _unit_definition(m, f"{prefix}dose_unit_per_nM", f"{base.dose_unit}/nM", []),
                  f"{base.dose_unit}/nM", f"{base.dose_unit} per nM", "unit conversion of nmol/L into the model's dose unit")
        formula = f"{formula} * {ids['conc_factor']}"
    p = m.getParameter(ligand)
    s = m.getSpecies(ligand)
    if p is not None:
        p.setConstant(False)
        p.unsetValue()
    elif s is not None:
        if s.getHasOnlySubstanceUnits():
            raise ModelError(f"model {base.id!r}: ligand species {ligand!r} is an amount (hasOnlySubstanceUnits); "
                             "attach_pk needs a ligand concentration")
        if any(sr.getSpecies() == ligand for r in m.getListOfReactions() for sr in list(r.getListOfReactants()) + list(r.getListOfProducts())):
            s.setBoundaryCondition(True)
        s.unsetInitialConcentration()
        s.unsetInitialAmount()
        if m.getInitialAssignment(ligand) is not None:
            m.removeInitialAssignment(ligand)
    else:
        raise ModelError(f"model {base.id!r}: ligand {ligand!r} is not a parameter or species{closest(ligand, base.ids)}")
    rule = m.createAssignmentRule()
    check_libsbml(rule.setVariable(ligand), "create the concentration rule")
    set_math(rule, formula)

    # ---- metadata: the PK link replaces the ligand as the drug input
    attrs = _model_attributes(base, base.sbml)
    attrs.pop("ligand", None)
    attrs.update({"pk_central": ids["central"], "pk_volume": ids["volume"], "pk_infusion": ids["infusion_rate"],
                  "pk_concentration": ligand, "pk_k_elimination": ids["k_elimination"]})
    if ka is not None:
        attrs["pk_depot"] = ids["depot"]
        attrs["pk_k_absorption"] = ids["k_absorption"]
    write_annotation(m, attrs)
    if not m.isSetMetaId():
        m.setMetaId(f"meta_{m.getId() or 'model'}")
    absorption = f", first-order absorption ka = {ka:g} /{time_unit} from a depot" if ka is not None else ""
    m.appendNotes(xhtml_notes(f"PK link (receptorkin.attach_pk): one compartment, V = {v:g} L, k = {ke:g} /{time_unit}{absorption}; "
                         f"{ligand} = {ids['central']}/{ids['volume']}."))

    new_sbml = libsbml.writeSBMLToString(doc)
    report = validate(new_sbml, name=f"{base.id} + PK")
    report.raise_for_errors()
    if base.source.startswith("bundled:") and report.unit_warnings:
        raise SBMLError(f"{base.id} + PK: unit warnings:\n" + "\n".join(str(i) for i in report.unit_warnings))
    out = read_sbml(new_sbml, name=f"{base.id} + PK", source=f"{base.source} + attach_pk")
    return replace(out, ligand=None)


def check_compatible(regimen: "Regimen", drug: "DrugInput", model_id: str) -> None:
    """Refuse a regimen whose kind of input the model cannot take."""
    if regimen.kind == "concentration" and drug.kind == "pk":
        raise RegimenError(
            f"regimen {regimen.label!r} sets an in-vitro concentration, but the drug of model {model_id!r} enters "
            "through its PK link: give amounts or rates (bolus, infusion, pulses with nmol or nmol/h)")
    if regimen.kind == "amount" and drug.kind != "pk":
        raise RegimenError(
            f"regimen {regimen.label!r} gives amounts or rates, but model {model_id!r} has no PK link: attach one "
            "(attach_pk(model, volume, k_elim)) or give concentrations (exposure, pulses with nM)")
