"""What a PEtab problem needs to know of its SBML model: settable parameters, species, compartments, rule
and event targets, the names its math uses, and the times where piecewise inputs switch (read with libsbml)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..models.mathml import walk

__all__ = ["ModelInfo", "model_info", "event_targets", "time_switches"]


@dataclass
class ModelInfo:
    id: str
    parameters: dict[str, float]  # settable global parameters -> SBML value
    rule_targets: set[str]
    species: dict[str, tuple[str, bool, bool]]  # id -> (compartment, hasOnlySubstanceUnits, boundary)
    compartments: dict[str, float]
    reactions: set[str]
    referenced: set[str] = field(default_factory=set)  # names that appear in some math of the model
    assigned: set[str] = field(default_factory=set)  # targets of assignment rules (no condition can set them)
    rate_parameters: set[str] = field(default_factory=set)  # parameters driven by rate rules (initial values)
    by_concentration: set[str] = field(default_factory=set)  # species whose initial value is a concentration

    @property
    def ids(self) -> set[str]:
        return set(self.parameters) | self.rule_targets | set(self.species) | set(self.compartments) | self.reactions

    def selection(self, ident: str) -> str:
        """The roadrunner selection string giving the SBML meaning of ``ident``."""
        if ident == "time":
            return "time"
        sp = self.species.get(ident)
        if sp is not None and not sp[1]:
            return f"[{ident}]"
        return ident


def model_info(sbml: str) -> ModelInfo:
    import libsbml

    doc = libsbml.readSBMLFromString(sbml)
    m = doc.getModel()
    rule_targets = {r.getVariable() for r in m.getListOfRules() if r.isAssignment() or r.isRate()}
    assigned = {r.getVariable() for r in m.getListOfRules() if r.isAssignment()}
    params = {p.getId(): (p.getValue() if p.isSetValue() else float("nan")) for p in m.getListOfParameters()
              if p.getId() not in rule_targets}
    species = {s.getId(): (s.getCompartment(), bool(s.getHasOnlySubstanceUnits()), bool(s.getBoundaryCondition()))
               for s in m.getListOfSpecies()}
    comps = {c.getId(): (c.getSize() if c.isSetSize() else 1.0) for c in m.getListOfCompartments()}
    reactions = {r.getId() for r in m.getListOfReactions()}
    referenced: set[str] = set()
    elements = m.getListOfAllElements()
    for k in range(elements.getSize()):
        el = elements.get(k)
        if hasattr(el, "isSetMath") and el.isSetMath():
            referenced.update(n.getName() for n in walk(el.getMath()) if n.isName())
    rate_parameters = {r.getVariable() for r in m.getListOfRules()
                       if r.isRate() and m.getParameter(r.getVariable()) is not None}
    initial_assigned = {a.getSymbol() for a in m.getListOfInitialAssignments()}
    by_concentration = {s.getId() for s in m.getListOfSpecies() if not s.getHasOnlySubstanceUnits()
                        and (s.getId() in initial_assigned or s.isSetInitialConcentration())}
    return ModelInfo(m.getId() or "model", params, rule_targets, species, comps, reactions, referenced,
                      assigned, rate_parameters, by_concentration)


def event_targets(sbml: str) -> set[str]:
    """Parameters and compartments that the model's events change."""
    import libsbml

    m = libsbml.readSBMLFromString(sbml).getModel()
    found = {a.getVariable() for e in m.getListOfEvents() for a in e.getListOfEventAssignments()}
    return {v for v in found if m.getParameter(v) is not None or m.getCompartment(v) is not None}


def time_switches(sbml: str) -> list:
    """Symbols (or numbers) that ``time`` is compared with in the model's math:
    the switching times of piecewise inputs."""
    import libsbml

    doc = libsbml.readSBMLFromString(sbml)
    m = doc.getModel()
    found: list = []
    from ..models.mathml import is_relational, is_time
    from ..models.mathml import walk as nodes

    def walk(ast) -> None:
        for node in nodes(ast):
            if is_relational(node) and node.getNumChildren() == 2:
                a, b = node.getChild(0), node.getChild(1)
                for t, other in ((a, b), (b, a)):
                    if is_time(t):
                        if other.isNumber():
                            if float(other.getValue()) not in found:
                                found.append(float(other.getValue()))
                        elif other.isName() and not is_time(other) and other.getName() not in found:
                            found.append(other.getName())

    owners = list(m.getListOfRules()) + [r.getKineticLaw() for r in m.getListOfReactions() if r.isSetKineticLaw()]
    for owner in owners:
        if owner.isSetMath():
            walk(owner.getMath())
    return found
