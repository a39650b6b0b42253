"""A receptorkin :class:`~receptorkin.fitting.FitProblem` as a PEtab v1 problem.

PEtab v1 has one model and conditions that set constant values, so the
experiment of every condition (ligand-free equilibration, pre-treatment
exposures, wash-out, challenge with a dose, read-out after it) is written
into the model as a piecewise ligand input driven by condition parameters::

    ligand = piecewise(c_1, s_1 <= t < e_1, ..., c_k, s_k <= t < e_k,
                       dose, t >= challenge_at, 0)

and each (condition, dose) pair of the measurements becomes one PEtab
condition that sets ``rk_exposure<j>_{concentration,start,stop}``,
``rk_challenge_at`` and ``rk_dose``.  The ligand-free equilibration is the
pre-equilibration condition ``rk_baseline``.  Read-out times become
``challenge_at + time`` (steady-state rows: ``inf``).  Observables are
``scale · output + offset``; the noise is the ``sd`` column
(``noiseParameters``) or one estimated σ per observable.

The written problem passes the ``petab`` linter and its log-likelihood at
the exported values equals receptorkin's Gaussian log-likelihood of the same
problem (tested).
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path
from typing import Any, Mapping

from ..errors import DataError, FitError, ModelError
from ..fitting.result import FitResult
from ..io import atomic_path, atomic_write_text, check_writable, prepare_outdir, sbml_without_doctype
from ..models.sbml import Model, load_model
from .lint import lint_petab
from .problem import PetabProblem

__all__ = ["to_petab", "fit_problem_to_petab", "petab_tables"]

BASELINE = "rk_baseline"


def _sid(text: str) -> str:
    s = re.sub(r"[^A-Za-z0-9_]", "_", str(text))
    return s if s and (s[0].isalpha() or s[0] == "_") else f"c_{s}"


def _piecewise_model(problem, n_exposures: int):
    """The model with the ligand driven by condition parameters."""
    import libsbml

    from ..models.sbml import read_sbml

    model = problem.model
    # fixed (not estimated) values of the parameter table go into the SBML
    fixed = {s.name: s.initial for s in problem.specs.values() if not s.estimate and s.name in model.parameters}
    if fixed:
        model = model.with_values(fixed)
    doc = libsbml.readSBMLFromString(model.sbml)
    m = doc.getModel()
    lig = m.getParameter(problem.model.ligand)
    if lig is None:
        raise FitError(f"PEtab export: the ligand {problem.model.ligand!r} must be a parameter of the model")
    conc_unit = lig.getUnits() if lig.isSetUnits() else ""
    time_unit = m.getTimeUnits() if m.isSetTimeUnits() else ""

    def param(pid: str, unit: str) -> None:
        p = m.createParameter()
        p.setId(pid)
        p.setValue(0.0)
        p.setConstant(True)
        if unit:
            p.setUnits(unit)

    pieces = []
    for j in range(1, n_exposures + 1):
        param(f"rk_exposure{j}_concentration", conc_unit)
        param(f"rk_exposure{j}_start", time_unit)
        param(f"rk_exposure{j}_stop", time_unit)
        pieces.append(f"rk_exposure{j}_concentration, time >= rk_exposure{j}_start && time < rk_exposure{j}_stop")
    param("rk_challenge_at", time_unit)
    param("rk_dose", conc_unit)
    pieces.append("rk_dose, time >= rk_challenge_at")
    formula = f"piecewise({', '.join(pieces)}, 0 * rk_dose)"
    lig.setConstant(False)
    rule = m.createAssignmentRule()
    rule.setVariable(lig.getId())
    ast = libsbml.parseL3Formula(formula)
    if ast is None:
        raise FitError(f"PEtab export: could not write the ligand input: {libsbml.getLastParseL3Error()}")
    rule.setMath(ast)
    # the settable input is now rk_dose (the ligand follows the experiment)
    if m.isSetAnnotation():
        text = m.getAnnotationString()
        new = re.sub(r'(receptorkin:model[^>]*?\sligand=")[^"]*(")', r"\1rk_dose\2", text)
        if new != text:
            m.unsetAnnotation()
            m.setAnnotation(new)
    return read_sbml(libsbml.writeSBMLToString(doc), name=f"{problem.model.id} (PEtab export)")


def petab_tables(problem, values: Mapping[str, float] | None = None, noise: Mapping[str, float] | None = None):
    """The model and the four PEtab tables of a FitProblem.

    Parameters
    ----------
    problem
        A :class:`~receptorkin.fitting.FitProblem`.
    values
        Linear values of the estimated quantities to write as nominal values
        (default: the problem's initial values; a fit's estimates for a
        fitted problem).
    noise
        Noise level σ per observable when the noise is estimated (default:
        the problem's current levels).

    Returns
    -------
    model, measurements, conditions, observables, parameters
    """
    import pandas as pd

    table = problem.data.table
    conditions = problem.conditions
    n_exp = max([len(c.exposures) for c in conditions.values()] + [0])
    model = _piecewise_model(problem, n_exp)
    from ..units import time_factor

    f = time_factor("min", problem.model.time_unit)
    values = dict(values) if values is not None else problem.to_linear(problem.initial_vector())
    per_condition = {s.name for s in problem.specs.values() if s.estimate and s.per_condition}
    pid = {name: _sid(name.replace("[", "__").replace("]", "")) for name in problem.names}

    # conditions: per experimental condition a ligand-free baseline (the
    # pre-equilibration, with that condition's overrides and per-condition
    # parameters) and one simulation condition per challenge dose
    override_cols = sorted({k for c in conditions.values() for k in c.overrides} | per_condition)
    cond_rows: list[dict] = []
    cond_id: dict = {}
    baseline_id: dict = {}
    used: set = set()

    def unique(cid: str) -> str:
        base, k = cid, 1
        while cid in used:
            k += 1
            cid = f"{base}_{k}"
        used.add(cid)
        return cid

    def input_row(exposures, challenge_at: float, dose: float) -> dict:
        row = {}
        for j in range(1, n_exp + 1):
            e = exposures[j - 1] if j <= len(exposures) else None
            row[f"rk_exposure{j}_concentration"] = e.concentration if e else 0.0
            row[f"rk_exposure{j}_start"] = e.start * f if e else 0.0
            row[f"rk_exposure{j}_stop"] = e.stop * f if e else 0.0
        row["rk_challenge_at"] = challenge_at
        row["rk_dose"] = dose
        return row

    for cname in problem.condition_names:
        c = conditions.get(cname)
        settings = {}
        for col in override_cols:
            if col in per_condition:
                settings[col] = pid[f"{col}[{cname}]"]
            elif c is not None and col in c.overrides:
                settings[col] = c.overrides[col]
            else:
                settings[col] = problem.model.parameters[col]
        bid = unique(_sid(f"{BASELINE}_{cname}") if override_cols else BASELINE)
        if bid not in baseline_id.values():
            cond_rows.append({"conditionId": bid, "conditionName": f"{cname}: ligand-free equilibration",
                              **input_row((), 0.0, 0.0), **settings})
        baseline_id[cname] = bid
        for dose in sorted(set(table.loc[table["condition"] == cname, "dose"])):
            cid = unique(_sid(f"{cname}_dose_{dose:g}"))
            cond_rows.append({"conditionId": cid, "conditionName": f"{cname}, challenge {dose:g} {problem.model.dose_unit}",
                              **input_row(c.exposures if c is not None else (), (c.challenge_at if c is not None else 0.0) * f,
                                          float(dose)), **settings})
            cond_id[(cname, float(dose))] = cid
        if not override_cols:
            used.add(BASELINE)
    conditions_df = pd.DataFrame(cond_rows)

    # observables
    obs_rows = []
    sd_noise = problem.noise == "sd"
    sigma = dict(noise) if noise is not None else problem.noise_levels
    for name, o in problem.observables.items():
        def term(ref, default):
            if isinstance(ref, str):
                return pid.get(ref, ref)
            return repr(float(ref)) if float(ref) != default else None

        scale, offset = term(o.scale, 1.0), term(o.offset, 0.0)
        formula = o.output if scale is None else f"{scale} * {o.output}"
        if offset is not None:
            formula += f" + {offset}"
        oid = _sid(f"obs_{name}")
        obs_rows.append({"observableId": oid, "observableName": name, "observableFormula": formula,
                         "noiseFormula": f"noiseParameter1_{oid}" if sd_noise else f"sigma_{oid}",
                         "observableTransformation": "lin", "noiseDistribution": "normal"})
    obs_id = {r["observableName"]: r["observableId"] for r in obs_rows}
    observables_df = pd.DataFrame(obs_rows)

    # measurements
    meas_rows = []
    for row in table.itertuples():
        cid = cond_id[(row.condition, float(row.dose))]
        c = conditions.get(row.condition)
        at = (c.challenge_at if c is not None else 0.0) * f
        t = math.inf if math.isnan(row.time) else at + row.time * f
        rec = {"observableId": obs_id[row.observable], "preequilibrationConditionId": baseline_id[row.condition],
               "simulationConditionId": cid, "measurement": row.response, "time": t}
        if sd_noise:
            rec["noiseParameters"] = row.sd
        meas_rows.append(rec)
    measurements_df = pd.DataFrame(meas_rows)
    if not problem.equilibrate:
        measurements_df = measurements_df.drop(columns=["preequilibrationConditionId"])

    # parameters (linear values; PEtab applies the scale)
    par_rows = []
    for name in problem.names:
        spec = problem.specs[name.split("[", 1)[0]]  # a per-condition copy is named "id[condition]"
        par_rows.append({"parameterId": pid[name], "parameterName": name, "parameterScale": spec.scale,
                         "lowerBound": spec.lower, "upperBound": spec.upper, "nominalValue": values[name], "estimate": 1})
    if not sd_noise:
        for name, oid in obs_id.items():
            s = float(sigma[name])
            par_rows.append({"parameterId": f"sigma_{oid}", "parameterName": f"noise of {name}", "parameterScale": "log10",
                             "lowerBound": s / 1000.0, "upperBound": s * 1000.0, "nominalValue": s, "estimate": 1})
    # model parameters that per-condition ids replace still need to exist in the model: they do (unchanged)
    parameters_df = pd.DataFrame(par_rows)
    return model, measurements_df, conditions_df, observables_df, parameters_df


def fit_problem_to_petab(problem_or_result: Any, outdir: "str | os.PathLike", *,
                         values: Mapping[str, float] | None = None, noise: Mapping[str, float] | None = None,
                         name: str | None = None, force: bool = False) -> Path:
    """Write a fitting problem, or a fit, as a PEtab v1 problem (lint-checked); returns the YAML path.

    See the module docstring for how the experiment is encoded.

    Parameters
    ----------
    problem_or_result
        A :class:`~receptorkin.fitting.FitProblem`, or a
        :class:`~receptorkin.fitting.FitResult` fresh from
        :func:`~receptorkin.fitting.fit`: its problem is written with the
        estimates as nominal values (and the estimated noise levels, when the
        fit estimated them), so that the PEtab log-likelihood at the nominal
        values equals the result's ``criteria['loglik']``.
    outdir
        Output directory (created; a non-empty one needs ``force``).
    values, noise
        Nominal values of the estimated parameters and noise levels per
        observable (linear scale); by default the problem's start values (of a
        result: its estimates and noise levels).
    name
        Stem of the file names (default: the model id).
    force
        Allow writing into a non-empty directory (files are replaced).

    Raises
    ------
    FitError
        A result without its problem (loaded from JSON).
    """
    problem = problem_or_result
    if isinstance(problem_or_result, FitResult):
        result = problem_or_result
        if result.problem is None:
            raise FitError("fit_problem_to_petab needs the FitProblem: write a result returned by fit(), "
                           "not one loaded from JSON")
        problem = result.problem
        values = result.estimates if values is None else values
        if noise is None and result.noise == "estimate":
            noise = result.noise_levels
    model, meas, conds, obs, pars = petab_tables(problem, values, noise)
    return to_petab(outdir, model, meas, conds, obs, pars, name=name or problem.model.id, force=force)


def to_petab(
    outdir: "str | os.PathLike",
    sbml: "str | os.PathLike | Model",
    measurements_df: Any,
    conditions: Any,
    observables: Any,
    parameters: Any,
    *,
    name: str = "problem",
    force: bool = False,
    lint: bool = True,
) -> Path:
    """Write a PEtab v1 problem and check it with the ``petab`` linter.

    Parameters
    ----------
    outdir
        Output directory (created; a non-empty one needs ``force``).
    sbml
        The model: a :class:`~receptorkin.models.Model`, a bundled id, a
        path, or SBML text.
    measurements_df
        Measurement table (``observableId``, ``simulationConditionId``,
        ``measurement``, ``time``; optional ``preequilibrationConditionId``,
        ``observableParameters``, ``noiseParameters``, ``datasetId``,
        ``replicateId``).  Times in the model's time unit.
    conditions
        Condition table (``conditionId``, optional ``conditionName``, one
        column per parameter, species or compartment set).
    observables
        Observable table (``observableId``, ``observableFormula``,
        ``noiseFormula``; optional ``observableName``,
        ``observableTransformation``, ``noiseDistribution``).
    parameters
        Parameter table (``parameterId``, ``parameterScale``, ``lowerBound``,
        ``upperBound``, ``nominalValue``, ``estimate``; optional
        ``parameterName`` and prior columns).  Values on linear scale.
    name
        Stem of the file names (``<name>.yaml``, ``<name>_model.xml``, ...).
    force
        Allow writing into a non-empty directory (files are replaced).
    lint
        Run ``petab.lint_problem`` on the written problem.

    Returns
    -------
    pathlib.Path
        The YAML file.

    Raises
    ------
    DataError, ModelError, FitError
        The tables are not a valid problem for this model (checked before
        anything is written), or the ``petab`` linter reports errors.
    """
    model = load_model(sbml)
    problem = PetabProblem(model, conditions, measurements_df, observables, parameters, name=f"{name} (to_petab)")
    out = prepare_outdir(outdir, force=force)
    files = {
        "sbml": f"{name}_model.xml",
        "conditions": f"{name}_conditions.tsv",
        "measurements": f"{name}_measurements.tsv",
        "observables": f"{name}_observables.tsv",
        "parameters": f"{name}_parameters.tsv",
    }
    for fn in list(files.values()) + [f"{name}.yaml"]:
        check_writable(out / fn, force=force)
    atomic_write_text(out / files["sbml"], sbml_without_doctype(model.sbml, str(out / files["sbml"])), force=force)
    for key in ("conditions", "measurements", "observables", "parameters"):
        df = problem.table(key)
        with atomic_path(out / files[key], force=force) as tmp:
            df.to_csv(tmp, sep="\t", index=False)
    spec = {
        "format_version": 1,
        "parameter_file": files["parameters"],
        "problems": [{
            "sbml_files": [files["sbml"]],
            "condition_files": [files["conditions"]],
            "measurement_files": [files["measurements"]],
            "observable_files": [files["observables"]],
        }],
    }
    import yaml

    ypath = atomic_write_text(out / f"{name}.yaml", yaml.safe_dump(spec, sort_keys=False), force=force)
    if lint:
        issues = lint_petab(ypath)
        if issues:
            raise DataError(f"{ypath}: the petab linter reports errors:\n" + "\n".join(issues))
    return ypath
