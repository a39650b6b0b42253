"""A regimen written into the SBML as events, for tools that simulate SBML alone.

receptorkin itself simulates regimens in segments (:mod:`receptorkin.dosing.simulate`);
:func:`regimen_to_events` writes the same inputs as SBML events so that
COPASI, tellurium or AMICI reproduce the run from the file.  Every change
time becomes one event whose trigger ``time >= t`` has ``initialValue="false"``
(so a dose at time 0 fires at the start instead of being skipped because its
trigger is already true) and ``persistent="true"``, with
``useValuesFromTriggerTime="true"`` and no delay.  Changes at the same time
are merged into one event, so the order of simultaneous events never matters.
"""

from __future__ import annotations

import math

from ..errors import ModelError, RegimenError, SBMLError
from ..models.sbml import Model, load_model, read_sbml, validate
from ..units import time_factor
from .pk import check_libsbml, rk_attributes, set_math, write_annotation, xhtml_notes, drug_input
from .regimen import Regimen, as_regimen

__all__ = ["regimen_to_events"]


def _unit_of(sbml_model, ident: str) -> str:
    p = sbml_model.getParameter(ident)
    if p is not None and p.isSetUnits():
        return p.getUnits()
    s = sbml_model.getSpecies(ident)
    if s is not None and s.isSetSubstanceUnits():
        return s.getSubstanceUnits()
    return "dimensionless"


def regimen_to_events(model: "Model | str", regimen: "Regimen | str", until: "float | str | None" = None) -> Model:
    """A copy of ``model`` whose SBML applies ``regimen`` through events.

    Parameters
    ----------
    model
        A model with a ligand (in vitro) or a PK link (:func:`~receptorkin.dosing.attach_pk`).
    regimen
        A :class:`~receptorkin.dosing.Regimen` or its text form.
    until
        Last time to write events for [min] or text with a unit; needed when
        the regimen is open-ended (pulses without a count, an exposure without
        a stop).  Default: the end of the last input.

    Returns
    -------
    Model
        A new, validated model.  Its ligand (in vitro) or PK infusion rate
        becomes a non-constant parameter; the regimen's text form is kept in
        the model notes and the receptorkin annotation (``regimen``).

    Raises
    ------
    RegimenError
        An open-ended regimen without ``until``, or a regimen whose kind does
        not fit the model (concentrations on a PK model, amounts in vitro).
    ModelError, SBMLError
        The model has no drug input, or the result does not validate.
    """
    import libsbml

    from .regimen import parse_time_minutes
    from .pk import check_compatible

    base = load_model(model)
    reg = as_regimen(regimen)
    drug = drug_input(base)
    check_compatible(reg, drug, base.id)
    if until is None:
        end = reg.end
        if not math.isfinite(end):
            raise RegimenError(f"regimen {reg.label!r} is open-ended: give until= (e.g. until='14d') to write it as events")
        until_min = end + 1.0
    else:
        until_min = parse_time_minutes(until, "until")
        if until_min <= 0:
            raise RegimenError(f"until must be a positive time (got {until!r})")
    sched = reg.schedule(until_min)
    f = time_factor("min", base.time_unit)

    doc = libsbml.readSBMLFromString(base.sbml)
    m = doc.getModel()
    time_uid = m.getTimeUnits() if m.isSetTimeUnits() else "dimensionless"
    if drug.kind == "concentration":
        target = drug.concentration
        p = m.getParameter(target)
        if p is not None:
            p.setConstant(False)
            current = p.getValue() if p.isSetValue() else 0.0
        else:
            s = m.getSpecies(target)
            if s is None:
                raise ModelError(f"model {base.id!r}: ligand {target!r} is not a parameter or species")
            current = s.getInitialConcentration() if s.isSetInitialConcentration() else s.getInitialAmount()
        scale = drug.concentration_factor
    else:
        target = str(drug.infusion)
        p = m.getParameter(target)
        if p is None:
            raise ModelError(f"model {base.id!r}: PK infusion parameter {target!r} is missing")
        p.setConstant(False)
        current = p.getValue()
        scale = 1.0 / f  # nmol/min -> nmol per model time unit
    target_units = _unit_of(m, target)

    n_events = 0
    previous = current
    for i, t in enumerate(sched.times.tolist()):
        assignments: list[tuple[str, str, str]] = []
        level = float(sched.level[i]) * scale
        if level != previous:
            assignments.append((target, repr(level), target_units))
            previous = level
        for route, amounts in sched.bolus.items():
            amount = float(amounts[i])
            if amount == 0:
                continue
            species = drug.species_for(route, base.id)
            assignments.append((species, f"{species} + {amount!r}", _unit_of(m, species)))
        if not assignments:
            continue
        merged: dict[str, tuple[str, str]] = {}
        for var, formula, units in assignments:
            if var in merged:  # two routes into the same species: add the amounts
                prev_formula, _ = merged[var]
                formula = f"{prev_formula} + {formula.split(' + ', 1)[1]}"
            merged[var] = (formula, units)
        ev = m.createEvent()
        check_libsbml(ev.setId(f"rk_dose_{n_events}"), "create an event")
        ev.setName(f"regimen change at {t * f:g} {base.time_unit}")
        ev.setUseValuesFromTriggerTime(True)
        trig = ev.createTrigger()
        trig.setInitialValue(False)
        trig.setPersistent(True)
        set_math(trig, f"time >= {t * f!r}", literal_units=time_uid)
        for var, (formula, units) in merged.items():
            ea = ev.createEventAssignment()
            check_libsbml(ea.setVariable(var), f"assign {var} in an event")
            set_math(ea, formula, literal_units=units)
        n_events += 1
    attrs = rk_attributes(base.sbml)
    if attrs:
        attrs["regimen"] = reg.to_text()
        write_annotation(m, attrs)
    m.appendNotes(xhtml_notes(f"Dosing regimen written as {n_events} SBML events by receptorkin.regimen_to_events: {reg.to_text()}"))
    out = libsbml.writeSBMLToString(doc)
    report = validate(out, name=f"{base.id} + events")
    report.raise_for_errors()
    if base.source.startswith("bundled:") and report.unit_warnings:
        raise SBMLError(f"{base.id} + events: unit warnings:\n" + "\n".join(str(i) for i in report.unit_warnings))
    result = read_sbml(out, name=f"{base.id} + events", source=f"{base.source} + events")
    if drug.kind == "pk":
        from dataclasses import replace

        result = replace(result, ligand=None)
    return result
