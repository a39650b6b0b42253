"""The four PEtab tables checked against the SBML model and against each other, into plain values: the
parameter table (:class:`Parameters`), conditions and observables (:mod:`.experiments`' dataclasses) and the
measurement rows (:class:`MeasurementRows`).  Every problem of a table is reported at once, naming the file,
line and id; no cell of a table is echoed unless it is an identifier or a number."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from ..errors import DataError, FitError, ModelError
from ..models.sbml import closest
from .columns import (OBSERVABLE_ID, PREEQUILIBRATION_CONDITION_ID, SIMULATION_CONDITION_ID, MEASUREMENT, TIME,
                      OBSERVABLE_PARAMETERS, NOISE_PARAMETERS, CONDITION_ID, CONDITION_NAME, OBSERVABLE_NAME,
                      OBSERVABLE_FORMULA, NOISE_FORMULA, OBSERVABLE_TRANSFORMATION, NOISE_DISTRIBUTION, PARAMETER_ID,
                      PARAMETER_SCALE, LOWER_BOUND, UPPER_BOUND, NOMINAL_VALUE, ESTIMATE, OBJECTIVE_PRIOR_TYPE,
                      MEASUREMENT_REQUIRED, OBSERVABLE_REQUIRED, PARAMETER_REQUIRED, SCALES, TRANSFORMATIONS,
                      DISTRIBUTIONS)
from .experiments import Condition, Formula, Observable, Source
from .modelfacts import ModelInfo
from .tables import Problems, Table, is_identifier, number, require_columns

__all__ = ["Parameters", "MeasurementRows", "read_parameters", "read_conditions", "read_observables",
           "read_measurements", "check_parameter_usage"]

_LOG10 = math.log(10.0)


@dataclass(frozen=True)
class Parameters:
    """The parameter table, one entry per row (file order); values on linear scale.

    Attributes
    ----------
    ids, index
        Parameter ids, and the row of each id.
    scales
        ``parameterScale`` (lin, log, log10).
    lower, upper, nominal
        Bounds and nominal values (``nan`` where a cell is empty).
    estimate, est_index
        Whether each row is estimated, and the rows that are.
    priors
        ``objectivePriorType`` of an estimated row ('' for none).
    prior_rows
        The rows as text cells (the prior's parameters are read from them).
    """

    ids: list[str]
    index: dict[str, int]
    scales: list[str]
    lower: np.ndarray
    upper: np.ndarray
    nominal: np.ndarray
    estimate: np.ndarray
    est_index: np.ndarray
    priors: list[str]
    prior_rows: list[dict[str, str]]


@dataclass(frozen=True)
class MeasurementRows:
    """The measurement table, one entry per row (file order).

    Attributes
    ----------
    values, times
        Measurements (linear scale) and times (model time units; ``inf``: at steady state).
    obs_ids, preeq, simc
        Observable, pre-equilibration condition (or None) and simulation condition of each row.
    obs_over, noise_over
        Value sources of the observable and noise parameter overrides.
    transformations, distributions
        The observable's transformation and noise distribution.
    transformed, log_jacobian
        t(m), and the log-Jacobian of the transformation at m (0 for lin).
    """

    values: np.ndarray
    times: np.ndarray
    obs_ids: list[str]
    preeq: list[str | None]
    simc: list[str]
    obs_over: list[list[Source | None]]
    noise_over: list[list[Source | None]]
    transformations: np.ndarray
    distributions: np.ndarray
    transformed: np.ndarray
    log_jacobian: np.ndarray


def _id_rows(t: Table, column: str, kind: str, problems: Problems):
    """The rows of ``t`` whose ``column`` holds a valid identifier not given on an earlier row.

    Yields ``(where, id, row)``; every other row is reported to ``problems`` (an invalid identifier, or an id
    listed twice, naming the line of its first row) and skipped.
    """
    first: dict[str, int] = {}
    for i, row in enumerate(t.rows):
        where = t.where(i)
        ident = row[column]
        if not is_identifier(ident):
            problems.add(f"{where}: {column} {ident!r} is not a valid identifier")
            continue
        if ident in first:
            problems.add(f"{where}: {kind} {ident!r} is listed twice (also on line {t.origins[first[ident]][1]})")
            continue
        first[ident] = i
        yield where, ident, row


def read_parameters(t: Table, info: ModelInfo) -> Parameters:
    """The parameter table checked against the model: ids, scales, bounds, nominal values, what is estimated.

    Raises
    ------
    DataError
        Malformed rows (every problem of the table at once, with file and line).
    FitError
        Bounds that cannot hold an estimate.
    """
    problems = Problems()
    if not require_columns(t, PARAMETER_REQUIRED, problems):
        problems.raise_if_any(DataError, t.name)
    bounds = Problems()
    ids, scales, lower, upper, nominal, estimate, priors = [], [], [], [], [], [], []
    for where, pid, row in _id_rows(t, PARAMETER_ID, "parameter", problems):
        if pid in info.rule_targets:
            problems.add(f"{where}: parameter {pid!r} is computed by a rule in model {info.id!r}; PEtab forbids it in the parameter table")
        if pid in info.species or pid in info.compartments:
            problems.add(f"{where}: {pid!r} is a species or compartment of model {info.id!r}, not a parameter")
        scale = row[PARAMETER_SCALE] or "lin"
        if scale not in SCALES:
            problems.add(f"{where}: parameter {pid!r}: parameterScale {scale!r} is not one of lin, log, log10")
        est_text = row[ESTIMATE]
        if est_text not in ("0", "1", "0.0", "1.0", "true", "false", "True", "False"):
            problems.add(f"{where}: parameter {pid!r}: estimate must be 0 or 1 (got {est_text!r})")
            est = False
        else:
            est = est_text in ("1", "1.0", "true", "True")
        vals = {}
        for col in (LOWER_BOUND, UPPER_BOUND, NOMINAL_VALUE):
            try:
                vals[col] = number(row[col])
            except ValueError:
                problems.add(f"{where}: parameter {pid!r}: {col} is not a number (got {row[col]!r})")
                vals[col] = None
        lb, ub, nom = vals[LOWER_BOUND], vals[UPPER_BOUND], vals[NOMINAL_VALUE]
        if est:
            if lb is None or ub is None or math.isnan(lb) or math.isnan(ub):
                bounds.add(f"{where}: parameter {pid!r} is estimated but has no lowerBound/upperBound")
            elif lb > ub:
                bounds.add(f"{where}: parameter {pid!r}: lowerBound {lb:g} > upperBound {ub:g}")
            elif scale in ("log", "log10") and lb <= 0:
                bounds.add(f"{where}: parameter {pid!r}: parameterScale {scale} needs a positive lowerBound (got {lb:g})")
            elif not (math.isfinite(lb) and math.isfinite(ub)):
                bounds.add(f"{where}: parameter {pid!r}: bounds must be finite (got {lb:g}, {ub:g})")
        else:
            if nom is None or math.isnan(nom):
                problems.add(f"{where}: parameter {pid!r} is not estimated and has no nominalValue")
            if lb is not None and ub is not None and lb > ub:
                bounds.add(f"{where}: parameter {pid!r}: lowerBound {lb:g} > upperBound {ub:g}")
        prior = row.get(OBJECTIVE_PRIOR_TYPE, "")
        priors.append(prior if est and prior else "")
        ids.append(pid)
        scales.append(scale)
        lower.append(float("nan") if lb is None else lb)
        upper.append(float("nan") if ub is None else ub)
        nominal.append(float("nan") if nom is None else nom)
        estimate.append(est)
    problems.raise_if_any(DataError, t.name)
    bounds.raise_if_any(FitError, t.name)
    estimated = np.array(estimate, dtype=bool)
    return Parameters(ids, {p: i for i, p in enumerate(ids)}, scales, np.array(lower, dtype=float),
                      np.array(upper, dtype=float), np.array(nominal, dtype=float), estimated,
                      np.flatnonzero(estimated), priors, list(t.rows))


def _source(text: str, where: str, what: str, problems: Problems, pars: Parameters, info: ModelInfo,
            allow_nan: bool = False) -> Source | None:
    """A cell that is a number or a parameter id, resolved to a value source."""
    try:
        v = number(text)
    except ValueError:
        v = None
        if text in pars.index:
            return ("par", pars.index[text])
        if text in info.parameters:
            return ("const", float(info.parameters[text]))
        problems.add(f"{where}: {what}: {text!r} is neither a number nor a parameter of the parameter table or model"
                     f"{closest(text, list(pars.index) + list(info.parameters))}")
        return None
    if v is None or math.isnan(v):
        if allow_nan:
            return None
        problems.add(f"{where}: {what}: a value is required (got {text or 'an empty cell'!r})")
        return None
    return ("const", v)


def read_conditions(t: Table, info: ModelInfo, pars: Parameters) -> dict[str, Condition]:
    """The condition table checked against the model and the parameter table: what each condition sets.

    Raises
    ------
    ModelError
        A column the model cannot be set by (unknown, rule-computed, a boundary species).
    DataError
        Malformed rows.
    """
    problems, unknown = Problems(), Problems()
    if not require_columns(t, (CONDITION_ID,), problems):
        problems.raise_if_any(DataError, t.name)
    targets = [c for c in t.columns if c not in (CONDITION_ID, CONDITION_NAME)]
    for col in targets:
        if col in info.assigned:
            unknown.add(f"{t.name}:1: column {col!r}: computed by an assignment rule in model {info.id!r}; "
                        "a condition cannot set it")
        elif col in info.species and info.species[col][2]:
            unknown.add(f"{t.name}:1: column {col!r}: boundary species cannot be set by a condition here")
        elif (col not in info.parameters and col not in info.species and col not in info.compartments
              and col not in info.rate_parameters):
            unknown.add(f"{t.name}:1: column {col!r}: model {info.id!r} has no parameter, species or compartment "
                        f"{col!r}{closest(col, sorted(info.parameters) + sorted(info.species) + sorted(info.compartments))}")
        elif col in pars.index:
            unknown.add(f"{t.name}:1: column {col!r} is also in the parameter table; PEtab forbids condition "
                        "columns there")
    unknown.raise_if_any(ModelError, t.name)
    conds: dict[str, Condition] = {}
    set_compartments = [c for c in targets if c in info.compartments]
    for where, cid, row in _id_rows(t, CONDITION_ID, "condition", problems):
        cond = Condition(cid, [], [], [])
        for col in targets:
            is_species = col in info.species or col in info.rate_parameters  # initial values
            src = _source(row.get(col, ""), where, f"condition {cid!r}, column {col!r}", problems, pars, info,
                          allow_nan=True)
            if col in info.compartments:
                cond.compartments.append((col, src if src is not None else ("const", float(info.compartments[col]))))
            elif is_species:
                if src is not None:
                    cond.species.append((col, src))
            elif src is not None:
                cond.params.append((col, src))
        conds[cid] = cond
    problems.raise_if_any(DataError, t.name)
    # compartments set anywhere are set explicitly everywhere (the solver keeps sizes across resets)
    for cond in conds.values():
        have = {c for c, _ in cond.compartments}
        cond.compartments += [(c, ("const", float(info.compartments[c]))) for c in set_compartments if c not in have]
    return conds


def _parse_formula(text: str, where: str, what: str, problems: Problems) -> Any:
    from petab.v1.math import sympify_petab

    if text == "":
        problems.add(f"{where}: {what} is empty")
        return None
    try:
        return sympify_petab(text)
    except (ValueError, TypeError, AttributeError) as exc:
        msg = " ".join(str(exc).split())
        problems.add(f"{where}: {what} {text!r} cannot be parsed: {msg}")
        return None


def read_observables(t: Table, info: ModelInfo, pars: Parameters) -> dict[str, Observable]:
    """The observable table: formulas parsed (PEtab math) and compiled, their symbols checked against the model
    and the parameter table.

    Raises
    ------
    DataError
        Malformed rows, unsupported transformations or noise distributions.
    ModelError
        A symbol neither the model nor the parameter table defines.
    """
    import sympy as sp

    problems, unknown = Problems(), Problems()
    if not require_columns(t, OBSERVABLE_REQUIRED, problems):
        problems.raise_if_any(DataError, t.name)
    known = info.ids | {"time"} | set(pars.index)
    observables: dict[str, Observable] = {}
    for where, oid, row in _id_rows(t, OBSERVABLE_ID, "observable", problems):
        if oid in info.ids:
            problems.add(f"{where}: observableId {oid!r} is also an id of model {info.id!r}; choose another")
        transformation = row.get(OBSERVABLE_TRANSFORMATION, "") or "lin"
        distribution = row.get(NOISE_DISTRIBUTION, "") or "normal"
        if transformation not in TRANSFORMATIONS:
            problems.add(f"{where}: observable {oid!r}: observableTransformation {transformation!r} is not supported "
                         "(PEtab v1: lin, log, log10)")
        if distribution not in DISTRIBUTIONS:
            problems.add(f"{where}: observable {oid!r}: noiseDistribution {distribution!r} is not supported "
                         "(PEtab v1: normal, laplace)")
        fexpr = _parse_formula(row[OBSERVABLE_FORMULA], where, f"observable {oid!r}: observableFormula", problems)
        nexpr = _parse_formula(row[NOISE_FORMULA], where, f"observable {oid!r}: noiseFormula", problems)
        if fexpr is None or nexpr is None:
            continue
        obs_pat = re.compile(rf"^observableParameter(\d+)_{re.escape(oid)}$")
        noise_pat = re.compile(rf"^noiseParameter(\d+)_{re.escape(oid)}$")
        n_obs = n_noise = 0
        for col, expr, allow_noise in ((OBSERVABLE_FORMULA, fexpr, False), (NOISE_FORMULA, nexpr, True)):
            for sym in sorted(expr.free_symbols, key=lambda s: s.name):
                nm = sym.name
                mo, mn = obs_pat.match(nm), noise_pat.match(nm)
                if mo:
                    n_obs = max(n_obs, int(mo.group(1)))
                elif mn and allow_noise:
                    n_noise = max(n_noise, int(mn.group(1)))
                elif allow_noise and nm == oid:
                    continue
                elif nm not in known:
                    hint = closest(nm, sorted(known))
                    unknown.add(f"{where}: observable {oid!r}: {col} {row[col]!r}: unknown symbol {nm!r} "
                                f"(not in model {info.id!r} nor in the parameter table){hint}")
        fsyms = sorted(fexpr.free_symbols, key=lambda s: s.name)
        nsyms = sorted(nexpr.free_symbols, key=lambda s: s.name)
        formula = Formula(row[OBSERVABLE_FORMULA], sp.lambdify(fsyms, fexpr, modules="numpy"), [s.name for s in fsyms], fexpr)
        noise = Formula(row[NOISE_FORMULA], sp.lambdify(nsyms, nexpr, modules="numpy"), [s.name for s in nsyms], nexpr)
        observables[oid] = Observable(oid, row.get(OBSERVABLE_NAME, "") or oid, formula, noise, transformation,
                                       distribution, n_obs, n_noise)
    problems.raise_if_any(DataError, t.name)
    unknown.raise_if_any(ModelError, t.name)
    return observables


def read_measurements(t: Table, observables: Mapping[str, Observable], conditions: Mapping[str, Condition],
                      pars: Parameters) -> MeasurementRows:
    """The measurement table checked against the observables, conditions and parameters.

    Raises
    ------
    DataError
        Malformed rows (every problem of the table at once, with file and line).
    """
    problems = Problems()
    if not require_columns(t, MEASUREMENT_REQUIRED, problems):
        problems.raise_if_any(DataError, t.name)
    n = len(t.rows)
    if n == 0:
        raise DataError(f"{t.name}: the measurement table has no rows")
    m = np.empty(n)
    times = np.empty(n)
    obs_ids, preeq, simc, obs_over, noise_over = [], [], [], [], []
    for i, row in enumerate(t.rows):
        where = t.where(i)
        oid = row[OBSERVABLE_ID]
        obs = observables.get(oid)
        if obs is None:
            problems.add(f"{where}: observableId {oid!r} is not in the observable table{closest(oid, observables)}")
        pre = row.get(PREEQUILIBRATION_CONDITION_ID, "") or None
        sc = row[SIMULATION_CONDITION_ID]
        for col, cid in ((SIMULATION_CONDITION_ID, sc), (PREEQUILIBRATION_CONDITION_ID, pre)):
            if cid is not None and cid not in conditions:
                problems.add(f"{where}: {col} {cid!r} is not in the condition table{closest(cid, conditions)}")
        try:
            value = number(row[MEASUREMENT])
        except ValueError:
            value = None
        if value is None or not math.isfinite(value):
            problems.add(f"{where}: measurement must be a finite number (got {row[MEASUREMENT]!r})")
            value = float("nan")
        elif obs is not None and obs.transformation != "lin" and value <= 0:
            problems.add(f"{where}: observable {oid!r} is {obs.transformation}-transformed, so the measurement must be "
                         f"positive (got {value:g})")
        try:
            tv = float(row[TIME]) if row[TIME] != "" else None
        except ValueError:
            tv = None
        if tv is None or math.isnan(tv) or tv < 0 or tv == -math.inf:
            problems.add(f"{where}: time must be a non-negative number or inf (got {row[TIME]!r})")
            tv = 0.0
        m[i] = value
        times[i] = tv
        overrides = []
        for col, count, kind in ((OBSERVABLE_PARAMETERS, obs.n_obs_pars if obs else 0, "observableParameter"),
                                 (NOISE_PARAMETERS, obs.n_noise_pars if obs else 0, "noiseParameter")):
            text = row.get(col, "")
            parts = [p.strip() for p in text.split(";")] if text != "" else []
            if obs is not None and len(parts) != count:
                problems.add(f"{where}: observable {oid!r}: {col} has {len(parts)} value(s) {text!r} but the "
                             f"observable's formulas have {count} {kind} parameter symbol(s)")
                overrides.append([])
                continue
            srcs = []
            for k, part in enumerate(parts):
                src = _override_source(part, where, f"{col} entry {k + 1}", problems, pars)
                srcs.append(src)
            overrides.append(srcs)
        obs_ids.append(oid)
        preeq.append(pre)
        simc.append(sc)
        obs_over.append(overrides[0])
        noise_over.append(overrides[1])
    problems.raise_if_any(DataError, t.name)
    trans = np.array([observables[o].transformation for o in obs_ids])
    dist = np.array([observables[o].distribution for o in obs_ids])
    with np.errstate(divide="ignore", invalid="ignore"):
        tm = np.where(trans == "log", np.log(m), np.where(trans == "log10", np.log10(m), m))
        # log-Jacobian of the transformation: log m (log) or log(m ln 10) (log10)
        jac = np.where(trans == "log", np.log(m), np.where(trans == "log10", np.log(m * _LOG10), 0.0))
    for shared in (trans, tm):  # handed out (PetabProblem.transformations, the inner plan): never written
        shared.setflags(write=False)
    return MeasurementRows(m, times, obs_ids, preeq, simc, obs_over, noise_over, trans, dist, tm, jac)


def _override_source(text: str, where: str, what: str, problems: Problems, pars: Parameters) -> Source | None:
    try:
        v = float(text)
    except ValueError:
        if text in pars.index:
            return ("par", pars.index[text])
        problems.add(f"{where}: {what}: {text!r} is neither a number nor a parameter of the parameter table"
                     f"{closest(text, pars.index)}")
        return None
    if math.isnan(v):
        problems.add(f"{where}: {what}: NaN is not a value")
        return None
    return ("const", v)


def check_parameter_usage(t: Table, info: ModelInfo, pars: Parameters, observables: Mapping[str, Observable],
                          conditions: Mapping[str, Condition], rows: MeasurementRows) -> None:
    """Every parameter-table row must be used by the model, a condition or a measurement (PEtab rule).

    Raises
    ------
    DataError
        The unused rows, with file and line.
    """
    used = set(info.parameters)
    for obs in observables.values():
        used |= set(obs.formula.args) | set(obs.noise.args)
    idx_used = {i for lst in (rows.obs_over, rows.noise_over) for srcs in lst for s in srcs if s and s[0] == "par" for i in [s[1]]}
    for cond in conditions.values():
        for _, src in cond.params + cond.compartments + cond.species:
            if src[0] == "par":
                idx_used.add(src[1])
    extra = [f"{t.where(i)}: parameter {pid!r} is not used by the model, the conditions or the measurements"
             for i, pid in enumerate(pars.ids) if pid not in used and i not in idx_used]
    if extra:
        problems = Problems()
        for line in extra:
            problems.add(line)
        problems.raise_if_any(DataError, t.name)
