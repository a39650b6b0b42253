"""``fit_curve``: read, validate and fit one or several dose-response curves."""

from __future__ import annotations

import os
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from ..data import check_enough_points, line_span, read_table, table_lines, table_source, validate_table
from ..errors import DataError, FitError
from .doseunits import P_PARAMETERS, log10_factor, molar_family, parse_dose_unit, unit_from_header
from .engine import Design, Solution, build_design, hessian_half, solve
from .models import CurveModel, get_model
from .result import CurveFitResult
from .starters import global_starts

__all__ = ["fit_curve", "load_curve_data"]


def _as_list(value: Sequence[str] | str | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return [str(v) for v in value]


def load_curve_data(
    data: pd.DataFrame | str | os.PathLike,
    *,
    dose: str = "dose",
    response: str = "response",
    curve: str | None = None,
    covariates: Sequence[str] = (),
    sd: str | None = None,
) -> pd.DataFrame:
    """Read (or check) a dose-response table with the rules of :func:`receptorkin.data.read_table`.

    Parameters
    ----------
    data
        A CSV path or a DataFrame.
    dose, response
        Column names of the doses (>= 0; 0 is a control) and responses.
    curve
        Column naming the curve each row belongs to (any text), or ``None``.
    covariates
        Further numeric, non-negative columns (an antagonist concentration).
    sd
        Column of standard deviations (> 0) for weighting, or ``None``.

    Returns
    -------
    pandas.DataFrame
        Validated table; its index holds file line numbers.
    """
    required = [dose, response, *covariates]
    if curve is not None:
        required.append(curve)
    if sd is not None:
        required.append(sd)
    kwargs = dict(required=required, numeric=[dose, response, *covariates, *([sd] if sd else [])],
                  nonnegative=[dose, *covariates], positive=[sd] if sd else [])
    if isinstance(data, pd.DataFrame):
        return validate_table(data, **kwargs)
    return read_table(data, dose=dose, **kwargs)


def _check_names(model: CurveModel, shared: Sequence[str], fixed: Mapping[str, float],
                 start: Mapping[str, float]) -> None:
    fam = model.family
    known = ", ".join(model.parameters)
    for name in shared:
        if name not in fam.parameters:
            raise FitError(f"model {model.name}: cannot share {name!r}: no such parameter (parameters: {known})")
    for name, value in fixed.items():
        if name not in fam.parameters:
            raise FitError(f"model {model.name}: cannot fix {name!r}: no such parameter (parameters: {known})")
        if not np.isfinite(float(value)):
            raise FitError(f"model {model.name}: fixed value of {name!r} is not a finite number ({value!r})")
        if name in fam.positive and float(value) <= 0:
            raise FitError(f"model {model.name}: {name!r} must be positive (fixed at {value!r})")
    for name, value in start.items():
        if name not in fam.parameters:
            raise FitError(f"model {model.name}: start value for {name!r}: no such parameter (parameters: {known})")
        if name in fam.positive and float(value) <= 0:
            raise FitError(f"model {model.name}: start value of {name!r} must be positive (got {value!r})")


# Least squares squares the residuals: responses (and their spread) must
# stay where a square is a normal double; doses enter through log(x) and
# x / scale, and a scale must stay within exp(+-700).
_RESPONSE_RANGE = (1e-100, 1e100)
_DOSE_RANGE = (1e-250, 1e250)


def _check_ranges(design: Design, response_name: str, dose_name: str) -> None:
    """Refuse numbers the engine cannot represent with a message that says how to rescale."""
    src = design.source
    y = design.y
    big = float(np.max(np.abs(y))) if len(y) else 0.0
    lo, hi = _RESPONSE_RANGE
    if big > hi:
        k = int(np.argmax(np.abs(y)))
        raise DataError(
            f"{src}: line {design.lines[k]}: column {response_name!r}: {y[k]:g} is too large for least squares "
            f"(responses must stay within +-{hi:g}); express the responses in a larger unit"
        )
    spread = float(np.ptp(y)) if len(y) else 0.0
    if 0 < spread < lo:
        raise DataError(
            f"{src}: {line_span(design.lines)}: column {response_name!r}: the responses vary by only {spread:g} "
            f"(less than {lo:g}), too little for least squares; express them in a smaller unit"
        )
    if spread > 0 and spread < 1e-12 * big:
        raise DataError(
            f"{src}: {line_span(design.lines)}: column {response_name!r}: the responses vary by {spread:g} "
            f"around {big:g}, below the resolution of double precision; subtract a baseline first"
        )
    pos = design.x[design.x > 0]
    if len(pos):
        dlo, dhi = _DOSE_RANGE
        for k in np.flatnonzero((design.x > 0) & ((design.x < dlo) | (design.x > dhi))):
            raise DataError(
                f"{src}: line {design.lines[k]}: column {dose_name!r}: dose {design.x[k]:g} is outside "
                f"{dlo:g}..{dhi:g}; express the doses in another unit"
            )


def _check_curves(design: Design, response_name: str) -> None:
    """Refuse data that cannot determine the parameters (before any optimizer runs)."""
    src = design.source
    for c, label in enumerate(design.curves):
        rows = design.g == c
        yc = design.y[rows]
        lines = design.lines[rows]
        what = f"curve {label!r}" if design.m > 1 else ""
        where = f"{src}: {line_span(lines)}" + (f" ({what})" if what else "")
        if len(yc) and np.ptp(yc) == 0:
            raise DataError(
                f"{where}: column {response_name!r}: no variation (every value is {yc[0]:g}); "
                "a dose-response curve cannot be fitted to a constant response"
            )
        own = [design.theta_param[k] for k in range(design.p) if design.theta_curve[k] == label]
        points = np.column_stack([design.x[rows], design.Z[rows]])
        distinct = len(np.unique(points, axis=0)) if len(points) else 0
        if design.m > 1 and len(own) and distinct < len(own):
            raise DataError(
                f"{where}: {distinct} distinct dose{'s' if distinct != 1 else ''} for {len(own)} parameters "
                f"of its own ({', '.join(own)}); at least {len(own)} distinct doses are needed"
            )
    check_enough_points(design.n, design.p, source=src, lines=design.lines, parameter_names=design.names)
    points = np.column_stack([design.g, design.x, design.Z])
    distinct = len(np.unique(points, axis=0))
    if distinct < design.p:
        raise DataError(
            f"{src}: {line_span(design.lines)}: only {distinct} distinct dose{'s' if distinct != 1 else ''} "
            f"for {design.p} parameters "
            f"({', '.join(design.names)}); the parameters are not determined"
        )


def _variants(design: Design, theta: np.ndarray) -> list[np.ndarray]:
    """Perturbed starts tried when the optimizer fails from the self-start."""
    out = []
    fam = design.family
    scale_name = fam.dose_scale
    slope_name = next((s for s in ("b", "hill", "n") if s in fam.parameters), None)
    for factor in (0.1, 10.0, 0.5, 2.0):
        t = theta.copy()
        hit = False
        for k, name in enumerate(design.theta_param):
            if name == scale_name:
                t[k] *= factor
                hit = True
        if hit:
            out.append(t)
    for factor in (-1.0, 0.3, 3.0):
        t = theta.copy()
        hit = False
        for k, name in enumerate(design.theta_param):
            if name == slope_name and not (name in fam.positive and factor < 0):
                t[k] *= factor
                hit = True
        if hit:
            out.append(t)
    return out


def fit_curve(
    data: pd.DataFrame | str | os.PathLike,
    model: str | CurveModel = "LL.4",
    *,
    dose: str = "dose",
    response: str = "response",
    curve: str | None = None,
    covariates: Mapping[str, str] | None = None,
    sd: str | None = None,
    shared: Sequence[str] | str | None = None,
    fixed: Mapping[str, float] | None = None,
    start: Mapping[str, float] | None = None,
    level: float = 0.95,
    dose_unit: str | None = None,
    antagonist_unit: str | None = None,
) -> CurveFitResult:
    """Fit a dose-response model to one curve or to several curves jointly.

    Ordinary (or, with ``sd``, weighted) least squares with drc's
    parametrizations.  With a curve column every curve gets its own value of
    each parameter except those in ``shared``; the residual variance is
    pooled over all curves (drc's ``curveid``, Prism's shared parameters).

    Parameters
    ----------
    data
        CSV path or DataFrame, one row per observation.
    model
        Model name (see :data:`receptorkin.curves.MODELS`: ``'LL.4'``,
        ``'W1.4'``, ``'sigEmax'``, ``'operational'``, ``'schild'``, ...) or a
        :class:`CurveModel`.
    dose, response
        Column names (as in the file: drc data use ``'DOSE'``, ``'SLOPE'``...).
        Doses are in any unit >= 0; 0 marks controls.
    curve
        Column identifying the curve of each row (e.g. ``'condition'``,
        ``'HERBICIDE'``), or ``None`` for a single curve.
    covariates
        For models with covariates, family covariate name -> column
        (the Schild model needs ``{'antagonist': 'antagonist_nM'}``; by
        default a column with the covariate's own name is used).
    sd
        Column of response standard deviations (weights 1/sd), or ``None``.
    shared
        Parameters shared by all curves (a list or ``'b,c'``); ``None`` uses
        the model's default (none for the empirical curves; Em, KA, n and
        basal for the operational model; all for Schild).
    fixed
        Parameters held at given values, e.g. ``{'c': 0}``.
    start
        Starting values overriding the self-starter (same for every curve).
    level
        Confidence level of the intervals (t-based, df = n - p).
    dose_unit
        Concentration unit of the doses: ``'M'``, ``'mM'``, ``'µM'`` (or
        ``'uM'``), ``'nM'``, ``'pM'``, ``'fM'``.  Default: the unit named in
        the dose column's header (``'conc [nM]'``, ``'conc_nM'``), if any.
        With a unit, ``pEC50`` (``sigEmax.p``, ``Hill.p``) and the reported
        pEC50 of every model are molar (``-log10`` of mol/L: 10 nM -> 8.0);
        without one, p-values are ``-log10`` of the dose in its own unit and
        labelled so.  Doses, EC50 values and plots stay in the data's unit.
    antagonist_unit
        Unit of the Schild antagonist column (default: from its header,
        else the dose unit); makes ``pA2`` (and pKB) molar.

    Returns
    -------
    CurveFitResult

    Raises
    ------
    DataError
        Bad input (missing columns, text in numbers, negative doses, a
        constant curve, too few points for the parameters), naming file,
        line, column and value.
    FitError
        Unknown parameter names, or the optimizer failed from every start.
    """
    mdl = get_model(model)
    units_notes: list[str] = []
    unit = parse_dose_unit(dose_unit) if dose_unit is not None else unit_from_header(dose)
    if antagonist_unit is not None:
        parse_dose_unit(antagonist_unit, what="antagonist_unit")
    cov_cols = [(covariates or {}).get(name, name) for name in mdl.family.covariates]
    df = load_curve_data(data, dose=dose, response=response, curve=curve, covariates=cov_cols, sd=sd)
    read_units = dict(df.attrs.get("units") or {})  # a unit named in the file (Prism X title, 'dose [nM]')
    if unit is None and read_units.get(dose):
        unit = parse_dose_unit(read_units[dose])
    cov_units: dict[str, str | None] = {}
    for name in mdl.family.covariates:
        column = (covariates or {}).get(name, name)
        if antagonist_unit is not None:
            cov_units[name] = parse_dose_unit(antagonist_unit, what="antagonist_unit")
        else:
            cov_units[name] = unit_from_header(column)
            if cov_units[name] is None and unit is not None:
                cov_units[name] = unit
                units_notes.append(f"the {name} concentrations (column {column!r}) name no unit: taken to be "
                                   f"in {unit}, like the doses; give antagonist_unit= otherwise")
    molar = molar_family(mdl.family, unit, cov_units)
    if molar is not mdl.family:
        mdl = CurveModel(mdl.name, molar, mdl.fixed, mdl.description)
    fam = mdl.family
    shared_list = list(fam.default_shared) if shared is None else _as_list(shared)
    if shared is not None and [s.lower() for s in shared_list] == ["all"]:
        shared_list = list(mdl.parameters)
    fixed = dict(fixed or {})
    start = dict(start or {})
    _check_names(mdl, shared_list, fixed, start)
    if not 0 < level < 1:
        raise FitError(f"confidence level must be between 0 and 1 (got {level})")
    source = table_source(df)
    lines = table_lines(df)
    if curve is not None:
        column = df[curve]
        if pd.api.types.is_float_dtype(column):  # a numeric column (e.g. antagonist concentration)
            labels = np.array([f"{v:g}" for v in column], dtype=object)
        else:
            labels = column.astype(str).to_numpy()
        curves = list(pd.unique(labels))
        lookup = {c: i for i, c in enumerate(curves)}
        g = np.array([lookup[v] for v in labels], dtype=int)
    else:
        curves = ["all"]
        g = np.zeros(len(df), dtype=int)
    x = df[dose].to_numpy(float)
    y = df[response].to_numpy(float)
    Z = df[cov_cols].to_numpy(float) if cov_cols else None
    sdv = df[sd].to_numpy(float) if sd else None
    design = build_design(mdl, x, y, g, curves, Z=Z, sd=sdv, shared=shared_list, fixed=fixed,
                          lines=lines, source=source)
    _check_ranges(design, response, dose)
    _check_curves(design, response)

    per_curve = []
    for c in range(design.m):
        rows = design.g == c
        per_curve.append((design.x[rows], design.y[rows], design.curve_covariates[c]))
    candidates = global_starts(fam, per_curve, design.fixed, shared_list if design.m > 1 else [])
    shifts = _molar_start_shifts(fam, unit, cov_units)
    thetas = []
    for Q0 in candidates:
        Q0 = Q0.copy()
        for j, shift in shifts:  # starters work in the data's units; the p-parameter is molar
            Q0[:, j] -= shift
        for name, value in start.items():
            Q0[:, fam.parameters.index(name)] = float(value)
        thetas.append(design.theta_from_Q(Q0))

    best: Solution | None = None
    tried: list[Solution] = []

    def consider(sol: Solution) -> None:
        nonlocal best
        tried.append(sol)
        if sol.success and (best is None or sol.rss < best.rss):
            best = sol

    for t0 in thetas:
        consider(solve(design, t0))
    if best is None:
        for t0 in _variants(design, thetas[0]):
            consider(solve(design, t0))
    notes: list[str] = []
    if best is None:
        usable = [s for s in tried if np.isfinite(s.rss) and s.rss < 1e199]
        if not usable:
            last = tried[-1]
            start_text = ", ".join(f"{n}={v:.4g}" for n, v in zip(design.names, thetas[0]))
            raise FitError(
                f"{source}: model {mdl.name}: the optimizer failed from {len(tried)} starts "
                f"({last.message}); self-start values were {start_text}; try start= values or another model"
            )
        best = min(usable, key=lambda s: s.rss)
        notes.append(
            f"the optimizer stopped before converging ({best.message.rstrip('.')}): the data may not "
            "determine every parameter (for example a plateau the doses never reach); treat the "
            "estimates and standard errors with caution, or fix or share a parameter"
        )
    Hh = hessian_half(design, best.theta)
    result = CurveFitResult.from_solution(design, best, Hh, level=level, dose_column=dose,
                                          response_column=response, curve_column=curve,
                                          dose_unit=unit, covariate_units=cov_units)
    result.n_starts = len(tried)
    result.n_at_best = sum(1 for t in tried if t.success and t.rss <= best.rss * (1 + 1e-6) + 1e-300)
    if df.attrs.get("log_dose"):
        units_notes.append(f"the doses were entered as log10 concentrations ({df.attrs['log_dose']}); "
                           "check that this is what the table holds")
    result.notes[:0] = notes + units_notes
    return result


def _molar_start_shifts(fam, unit: str | None, cov_units: Mapping[str, str | None]) -> list[tuple[int, float]]:
    """(column, log10 mol/L per unit) of the family's molar p-parameter, if any."""
    spec = P_PARAMETERS.get(fam.name)
    if spec is None:
        return []
    over, pname = spec
    u = unit if over == "dose" else cov_units.get(over)
    if u is None:
        return []
    return [(fam.parameters.index(pname), log10_factor(u))]
