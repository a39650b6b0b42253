"""PEtab v1 problems in and out, evaluated with the model compiled once.

A :class:`PetabProblem` reads a PEtab v1 problem (YAML, SBML, condition,
measurement, observable and parameter tables), checks it completely before
anything is simulated, and evaluates the PEtab log-likelihood exactly as the
PEtab specification (and ``petab.calculate_llh``) defines it:

* the model is compiled once into a :class:`~receptorkin.simulation.Simulator`;
* a condition sets parameters (numbers or parameter-table ids), compartment
  sizes and species initial values (concentrations unless the species has
  only substance units; ``NaN`` keeps the pre-equilibrated value);
* a pre-equilibration condition is simulated to steady state, then the
  simulation condition's changes are applied and time restarts at 0;
* observables and noise models are PEtab formulas with
  ``observableParameter{n}_{observableId}`` / ``noiseParameter{n}_{observableId}``
  symbols, overridden per measurement row;
* ``lin``/``log``/``log10`` observable transformations with ``normal`` or
  ``laplace`` noise.

The objective over the estimated parameters (on their PEtab scales) is a
plain function of a vector (:meth:`PetabProblem.objective`), so any optimizer
can minimise it; :meth:`PetabProblem.nll_and_gradient` adds its exact
gradient (forward sensitivities), and :func:`fit_petab` is a seeded
multistart on the estimation engine (:mod:`receptorkin.estimation`).  :func:`to_petab` writes a problem from plain pandas tables in PEtab
column conventions and checks it with the ``petab`` linter.

Formulas are parsed with ``petab``'s own PEtab-math parser, so the
``petab`` package (extra ``interop``) is needed here.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from ..errors import DataError, FitError, ModelError, ReceptorkinError, SimulationError
from ..models.sbml import Model, closest, load_model
from ..models.mathml import walk
from .columns import (OBSERVABLE_ID, PREEQUILIBRATION_CONDITION_ID, SIMULATION_CONDITION_ID, MEASUREMENT,
                      SIMULATION, TIME, OBSERVABLE_PARAMETERS, NOISE_PARAMETERS,
                      CONDITION_ID, CONDITION_NAME, OBSERVABLE_NAME, OBSERVABLE_FORMULA, NOISE_FORMULA,
                      OBSERVABLE_TRANSFORMATION, NOISE_DISTRIBUTION, PARAMETER_ID, PARAMETER_SCALE,
                      LOWER_BOUND, UPPER_BOUND, NOMINAL_VALUE, ESTIMATE, OBJECTIVE_PRIOR_TYPE,
                      OBJECTIVE_PRIOR_PARAMETERS, MEASUREMENT_REQUIRED, OBSERVABLE_REQUIRED, PARAMETER_REQUIRED,
                      SCALES, TRANSFORMATIONS, DISTRIBUTIONS)
from .scales import scale_value, unscale_value

__all__ = ["PetabProblem"]

_LOG10 = math.log(10.0)
_TABLE_KEYS = {
    "conditions": "condition_files",
    "measurements": "measurement_files",
    "observables": "observable_files",
}


# --------------------------------------------------------------------------- table reading
@dataclass
class _Table:
    """A PEtab table as text cells, with the file and line of every row."""

    name: str  #: file path or "<... table>"
    columns: list[str]
    rows: list[dict[str, str]]
    origins: list[tuple[str, int]]  #: (file, line) per row

    def where(self, i: int) -> str:
        f, line = self.origins[i]
        return f"{f}:{line}"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "1" if value else "0"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if math.isnan(v):
            return ""
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    text = str(value).strip()
    return "" if text.lower() in ("none", "<na>") else text


def _read_tsv(path: Path) -> _Table:
    """A PEtab TSV table as text cells; malformed input names the file, line and column.

    No cell or header of the file is quoted back in a message: a table given
    by mistake (or on purpose) may be anything.
    """
    import csv
    import io

    if not path.exists():
        raise DataError(f"{path}: no such file")
    if path.is_dir():
        raise DataError(f"{path}: is a directory, expected a tab-separated PEtab table")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        line = exc.object[:exc.start].count(b"\n") + 1
        raise DataError(f"{path}:{line}: not UTF-8 text (byte {exc.start}); expected a tab-separated PEtab table") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read it ({exc.strerror or type(exc).__name__})") from None
    reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t", strict=True)
    records: list[tuple[int, list[str]]] = []
    try:
        for cells in reader:
            if cells and any(c.strip() for c in cells):
                records.append((reader.line_num, cells))
    except csv.Error as exc:
        raise DataError(f"{path}:{max(reader.line_num, 1)}: not a readable tab-separated table "
                        f"({str(exc).split(':')[0]}, e.g. an unbalanced quote)") from None
    if not records:
        raise DataError(f"{path}: empty; expected a tab-separated PEtab table with a header line")
    header_line, header = records[0]
    columns = [c.strip() for c in header]
    for k, c in enumerate(columns, start=1):
        if c == "":
            raise DataError(f"{path}:{header_line}: column {k}: empty column name in the header")
        if columns.index(c) != k - 1:
            raise DataError(f"{path}:{header_line}: column {k}: the same column name as column {columns.index(c) + 1}")
    rows, origins = [], []
    for line, cells in records[1:]:
        if len(cells) > len(columns):
            extra = [k for k in range(len(columns), len(cells)) if cells[k].strip()]
            if extra:
                raise DataError(f"{path}:{line}: column {extra[0] + 1}: a value beyond the header's "
                                f"{len(columns)} column(s)")
        cells = cells + [""] * (len(columns) - len(cells))
        rows.append({c: v.strip() for c, v in zip(columns, cells)})
        origins.append((str(path), line))
    return _Table(str(path), columns, rows, origins)


def _from_frame(df: Any, name: str, id_column: str | None) -> _Table:
    import pandas as pd

    if isinstance(df, (str, os.PathLike)):
        return _read_tsv(Path(df))
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"{name}: expected a pandas DataFrame or a TSV path (got {type(df).__name__})")
    frame = df
    if id_column is not None and id_column not in frame.columns and frame.index.name == id_column:
        frame = frame.reset_index()
    columns = [str(c).strip() for c in frame.columns]
    rows = [{c: _cell(v) for c, v in zip(columns, rec)} for rec in frame.itertuples(index=False, name=None)]
    return _Table(name, columns, rows, [(name, i + 2) for i in range(len(rows))])


def _concat(tables: list[_Table], name: str) -> _Table:
    if len(tables) == 1:
        return tables[0]
    columns: list[str] = []
    for t in tables:
        columns += [c for c in t.columns if c not in columns]
    rows, origins = [], []
    for t in tables:
        for r, o in zip(t.rows, t.origins):
            rows.append({c: r.get(c, "") for c in columns})
            origins.append(o)
    return _Table(name, columns, rows, origins)


def _number(text: str) -> float | None:
    """A PEtab numeric cell: None if empty, float (nan/inf allowed) otherwise; raises ValueError."""
    if text == "":
        return None
    return float(text)


def _is_identifier(text: str) -> bool:
    return bool(text) and (text[0].isalpha() or text[0] == "_") and all(ch.isalnum() or ch == "_" for ch in text) and text.isascii()


class _Problems:
    """Collects every problem of one kind, then raises them together."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, line: str) -> None:
        self.lines.append(line)

    def raise_if_any(self, cls: type[ReceptorkinError], what: str) -> None:
        if self.lines:
            if len(self.lines) == 1:
                raise cls(self.lines[0])
            raise cls(f"{what}: {len(self.lines)} problems\n" + "\n".join(self.lines))


def _require_columns(table: _Table, required: Sequence[str], problems: _Problems) -> bool:
    missing = [c for c in required if c not in table.columns]
    if missing:
        # header cells are named only when they are identifiers (the closest one), never echoed as they are
        names = [c for c in table.columns if _is_identifier(c) and len(c) <= 64]
        hints = "".join(closest(c, names) for c in missing)
        problems.add(f"{table.name}:1: missing required column(s) {', '.join(repr(c) for c in missing)}{hints} "
                     f"(the header has {len(table.columns)} tab-separated column(s))")
        return False
    return True


# --------------------------------------------------------------------------- model facts
@dataclass
class _ModelInfo:
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


def _model_info(sbml: str) -> _ModelInfo:
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
    return _ModelInfo(m.getId() or "model", params, rule_targets, species, comps, reactions, referenced,
                      assigned, rate_parameters, by_concentration)


# --------------------------------------------------------------------------- compiled pieces
# A value source: ("const", float) or ("par", index into the parameter vector)
_Source = tuple


@dataclass
class _Formula:
    text: str
    fn: Callable[..., Any]
    args: list[str]  # symbol names, in the order fn takes them
    expr: Any


@dataclass
class _Observable:
    id: str
    name: str
    formula: _Formula
    noise: _Formula
    transformation: str
    distribution: str
    n_obs_pars: int
    n_noise_pars: int


@dataclass
class _Group:
    """Measurement rows of one experiment sharing an observable and its overrides."""

    obs: _Observable
    rows: np.ndarray  # measurement row indices
    tidx: np.ndarray  # row index into the experiment output
    obs_args: list[tuple[str, Any]]  # per formula arg: ("model", col) | ("par", idx) | ("const", v)
    noise_args: list[tuple[str, Any]]  # same, plus ("self", None)
    sigma_source: tuple[str, Any]  # ("const", v) | ("par", idx) | ("other", None): for least squares


@dataclass
class _Experiment:
    preeq: str | None
    sim: str
    times: np.ndarray  # output times, starting at 0 (added if no measurement is at 0)
    steady: bool  # an extra steady-state row (time = inf)
    selections: list[str]
    groups: list[_Group] = field(default_factory=list)


@dataclass
class _Condition:
    id: str
    params: list[tuple[str, _Source]]  # SBML parameter overrides
    compartments: list[tuple[str, _Source]]
    species: list[tuple[str, _Source]]  # non-NaN initial values of species (SBML meaning) and rate-rule parameters


@dataclass
class _GradientModel:
    """The augmented (sensitivity) model of a problem, compiled once."""

    sens: Any  # receptorkin.simulation.sensitivities.Sensitivities (the runner's sensitivity mode)
    theta_k: np.ndarray  # position in x of each differentiated model parameter


# --------------------------------------------------------------------------- the problem
class PetabProblem:
    """A PEtab v1 parameter-estimation problem, compiled once for fast evaluation.

    Build one with :meth:`from_yaml` or :meth:`from_tables`.  Every table is
    checked at construction; problems raise :class:`~receptorkin.errors.DataError`
    (malformed tables, unsupported features), :class:`~receptorkin.errors.ModelError`
    (ids or symbols the model does not define) or
    :class:`~receptorkin.errors.FitError` (bounds), naming the file, the line
    and the id.

    Parameters
    ----------
    sbml
        SBML text, a path, or a :class:`~receptorkin.models.Model`.
    conditions, measurements, observables, parameters
        The PEtab tables, as pandas DataFrames in PEtab column conventions
        (or paths of TSV files).
    name
        Name used in messages.
    rtol, atol
        Solver tolerances (defaults 1e-10, 1e-12: tighter than the
        Simulator's so that finite-difference gradients are not noise).
    max_steps
        Solver steps allowed between two output times.

    Attributes
    ----------
    model
        The receptorkin :class:`~receptorkin.models.Model`.
    x_ids
        Ids of the estimated parameters, in parameter-table order.
    x_scales
        Their ``parameterScale``.
    x_nominal, x_lower, x_upper
        Nominal values and bounds on the parameter scales.
    """

    def __init__(
        self,
        sbml: "str | os.PathLike | Model",
        conditions: Any,
        measurements: Any,
        observables: Any,
        parameters: Any,
        *,
        name: str = "<petab problem>",
        rtol: float = 1e-10,
        atol: float = 1e-12,
        max_steps: int = 100_000,
    ) -> None:
        tables = {
            "conditions": conditions if isinstance(conditions, _Table) else _from_frame(conditions, "<condition table>", CONDITION_ID),
            "measurements": measurements if isinstance(measurements, _Table) else _from_frame(measurements, "<measurement table>", None),
            "observables": observables if isinstance(observables, _Table) else _from_frame(observables, "<observable table>", OBSERVABLE_ID),
            "parameters": parameters if isinstance(parameters, _Table) else _from_frame(parameters, "<parameter table>", PARAMETER_ID),
        }
        self._init(sbml, tables, name, rtol, atol, max_steps)

    # ------------------------------------------------------------------ construction
    @property
    def tolerances(self) -> tuple[float, float]:
        """The integrator's (rtol, atol) for every simulation of this problem."""
        return self._rtol, self._atol

    def _init(self, sbml: Any, tables: dict[str, _Table], name: str, rtol: float, atol: float,
              max_steps: int = 100_000) -> None:
        self.name = name
        self.yaml_path: Path | None = None
        self._max_steps = int(max_steps)
        self.model: Model = load_model(sbml)
        self._tables = tables
        self._rtol, self._atol = float(rtol), float(atol)
        self._info = _model_info(self.model.sbml)
        self._breaks = _time_switches(self.model.sbml)
        self._read_parameters(tables["parameters"])
        self._read_conditions(tables["conditions"])
        self._read_observables(tables["observables"])
        self._read_measurements(tables["measurements"])
        self._check_parameter_usage()
        self._compile_experiments()
        self._sim = None
        self._grad: _GradientModel | None = None
        self._formula_partials: dict[int, list] = {}
        self._runs: dict[tuple, Any] = {}  # the runner's compiled experiments
        self._steady_state_events = "refuse"

    @classmethod
    def from_tables(
        cls,
        sbml: "str | os.PathLike | Model",
        conditions: Any,
        measurements: Any,
        observables: Any,
        parameters: Any,
        **kwargs: Any,
    ) -> "PetabProblem":
        """A problem from an SBML model and four tables (DataFrames or TSV paths)."""
        return cls(sbml, conditions, measurements, observables, parameters, **kwargs)

    @classmethod
    def from_yaml(cls, path: "str | os.PathLike", *, rtol: float = 1e-10, atol: float = 1e-12,
                  max_steps: int = 100_000, allow_outside: bool = False) -> "PetabProblem":
        """Read a PEtab v1 problem from its YAML file.

        File names in the YAML are resolved relative to the YAML's folder.

        Parameters
        ----------
        path
            The PEtab YAML file.
        rtol, atol, max_steps
            Solver settings (see the class).
        allow_outside
            Read files that lie outside the YAML's folder (after following
            ``..`` and symbolic links).  Off by default: a problem received
            from elsewhere cannot make receptorkin read arbitrary files.

        Raises
        ------
        DataError
            Missing or unreadable files, files outside the YAML's folder
            (unless ``allow_outside``), a PEtab version other than 1, several
            models, unsupported extensions.  Messages name the file, line and
            column; they never quote a file's contents.
        """
        import yaml

        ypath = Path(path)
        if not ypath.exists():
            raise DataError(f"{ypath}: no such file")
        if ypath.is_dir():
            raise DataError(f"{ypath}: is a directory, expected a PEtab YAML file")
        try:
            spec = yaml.safe_load(ypath.read_text(encoding="utf-8"))
        except UnicodeDecodeError as exc:
            raise DataError(f"{ypath}: not UTF-8 text (byte {exc.start}); expected a PEtab YAML file") from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            at = f":{mark.line + 1}: column {mark.column + 1}" if mark is not None else ""
            problem = getattr(exc, "problem", None) or "syntax error"
            raise DataError(f"{ypath}{at}: not valid YAML ({problem})") from None
        if not isinstance(spec, dict):
            raise DataError(f"{ypath}: expected a PEtab problem (a mapping with format_version, parameter_file, problems)")
        version = str(spec.get("format_version", "")).strip()
        if version not in ("1", "1.0", "1.0.0"):
            raise DataError(f"{ypath}: format_version {version or '(missing)'!s}: only PEtab version 1 is supported")
        if spec.get("extensions"):
            raise DataError(f"{ypath}: PEtab extensions are not supported ({', '.join(map(str, spec['extensions']))})")
        problems = spec.get("problems")
        if not isinstance(problems, list) or not problems:
            raise DataError(f"{ypath}: 'problems' must be a list with one problem")
        if len(problems) > 1:
            raise DataError(f"{ypath}: {len(problems)} problems in one file: only one is supported")
        prob = problems[0] or {}
        if not isinstance(prob, dict):
            raise DataError(f"{ypath}: 'problems' must be a list with one mapping (sbml_files, condition_files, ...)")
        base = ypath.parent
        root = base.resolve()

        def files(key: str, where: Mapping[str, Any], required: bool = True) -> list[Path]:
            raw = where.get(key)
            if raw is None or raw == [] or raw == "":
                if required:
                    raise DataError(f"{ypath}: '{key}' is missing")
                return []
            items = raw if isinstance(raw, list) else [raw]
            out = []
            for item in items:
                if not isinstance(item, (str, os.PathLike)) or str(item).strip() == "":
                    raise DataError(f"{ypath}: {key}: expected a file name (got {type(item).__name__})")
                p = Path(str(item))
                p = p if p.is_absolute() else base / p
                if not allow_outside and not p.resolve().is_relative_to(root):
                    raise DataError(f"{ypath}: {key}: {item!s} lies outside the folder of {ypath.name}; "
                                    "pass allow_outside=True (CLI: --allow-outside) to read it")
                if not p.exists():
                    raise DataError(f"{ypath}: {key}: {item!s} -> {p}: no such file")
                if not p.is_file():
                    raise DataError(f"{ypath}: {key}: {item!s} -> {p}: not a file")
                out.append(p)
            return out

        if prob.get("mapping_files"):
            raise DataError(f"{ypath}: mapping_files are not supported")
        sbml_files = files("sbml_files", prob)
        if len(sbml_files) != 1:
            raise DataError(f"{ypath}: sbml_files: exactly one SBML model is supported (got {len(sbml_files)})")
        param_files = files("parameter_file", spec)
        tables = {"parameters": _concat([_read_tsv(p) for p in param_files], str(param_files[0]))}
        for key, ykey in _TABLE_KEYS.items():
            paths = files(ykey, prob)
            tables[key] = _concat([_read_tsv(p) for p in paths], str(paths[0]))
        sbml_path = sbml_files[0]
        try:
            sbml_text = sbml_path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise DataError(f"{sbml_path}: not a text file ({exc.reason} at byte {exc.start})") from None
        from ..models.sbml import read_sbml

        model = read_sbml(sbml_text, name=str(sbml_path), source=str(sbml_path))
        obj = cls.__new__(cls)
        obj._init(model, tables, str(ypath), rtol, atol, max_steps)
        obj.yaml_path = ypath
        return obj

    # -- parameter table
    def _read_parameters(self, t: _Table) -> None:
        problems = _Problems()
        if not _require_columns(t, PARAMETER_REQUIRED, problems):
            problems.raise_if_any(DataError, t.name)
        bounds = _Problems()
        info = self._info
        ids, scales, lower, upper, nominal, estimate, priors = [], [], [], [], [], [], []
        seen: dict[str, int] = {}
        for i, row in enumerate(t.rows):
            where = t.where(i)
            pid = row[PARAMETER_ID]
            if not _is_identifier(pid):
                problems.add(f"{where}: parameterId {pid!r} is not a valid identifier")
                continue
            if pid in seen:
                problems.add(f"{where}: parameter {pid!r} is listed twice (also on line {t.origins[seen[pid]][1]})")
                continue
            seen[pid] = i
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
                    vals[col] = _number(row[col])
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
        self._par_ids = ids
        self._par_index = {p: i for i, p in enumerate(ids)}
        self._par_scales = scales
        self._par_lower = np.array(lower, dtype=float)
        self._par_upper = np.array(upper, dtype=float)
        self._par_nominal = np.array(nominal, dtype=float)
        self._par_estimate = np.array(estimate, dtype=bool)
        self._est_index = np.flatnonzero(self._par_estimate)
        self._priors = priors
        self._prior_rows = list(t.rows)

    # -- condition table
    def _source(self, text: str, where: str, what: str, problems: _Problems, allow_nan: bool = False) -> _Source | None:
        """A cell that is a number or a parameter id, resolved to a value source."""
        try:
            v = _number(text)
        except ValueError:
            v = None
            if text in self._par_index:
                return ("par", self._par_index[text])
            if text in self._info.parameters:
                return ("const", float(self._info.parameters[text]))
            problems.add(f"{where}: {what}: {text!r} is neither a number nor a parameter of the parameter table or model"
                         f"{closest(text, list(self._par_index) + list(self._info.parameters))}")
            return None
        if v is None or math.isnan(v):
            if allow_nan:
                return None
            problems.add(f"{where}: {what}: a value is required (got {text or 'an empty cell'!r})")
            return None
        return ("const", v)

    def _read_conditions(self, t: _Table) -> None:
        problems, unknown = _Problems(), _Problems()
        info = self._info
        if not _require_columns(t, (CONDITION_ID,), problems):
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
            elif col in self._par_index:
                unknown.add(f"{t.name}:1: column {col!r} is also in the parameter table; PEtab forbids condition "
                            "columns there")
        unknown.raise_if_any(ModelError, t.name)
        conds: dict[str, _Condition] = {}
        set_compartments = [c for c in targets if c in info.compartments]
        for i, row in enumerate(t.rows):
            where = t.where(i)
            cid = row[CONDITION_ID]
            if not _is_identifier(cid):
                problems.add(f"{where}: conditionId {cid!r} is not a valid identifier")
                continue
            if cid in conds:
                problems.add(f"{where}: condition {cid!r} is listed twice")
                continue
            cond = _Condition(cid, [], [], [])
            for col in targets:
                is_species = col in info.species or col in info.rate_parameters  # initial values
                src = self._source(row.get(col, ""), where, f"condition {cid!r}, column {col!r}", problems,
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
        self._conditions = conds

    # -- observable table
    def _parse_formula(self, text: str, where: str, what: str, problems: _Problems) -> Any:
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

    def _read_observables(self, t: _Table) -> None:
        import sympy as sp

        problems, unknown = _Problems(), _Problems()
        if not _require_columns(t, OBSERVABLE_REQUIRED, problems):
            problems.raise_if_any(DataError, t.name)
        info = self._info
        known = info.ids | {"time"} | set(self._par_index)
        observables: dict[str, _Observable] = {}
        for i, row in enumerate(t.rows):
            where = t.where(i)
            oid = row[OBSERVABLE_ID]
            if not _is_identifier(oid):
                problems.add(f"{where}: observableId {oid!r} is not a valid identifier")
                continue
            if oid in observables:
                problems.add(f"{where}: observable {oid!r} is listed twice")
                continue
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
            fexpr = self._parse_formula(row[OBSERVABLE_FORMULA], where, f"observable {oid!r}: observableFormula", problems)
            nexpr = self._parse_formula(row[NOISE_FORMULA], where, f"observable {oid!r}: noiseFormula", problems)
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
            formula = _Formula(row[OBSERVABLE_FORMULA], sp.lambdify(fsyms, fexpr, modules="numpy"), [s.name for s in fsyms], fexpr)
            noise = _Formula(row[NOISE_FORMULA], sp.lambdify(nsyms, nexpr, modules="numpy"), [s.name for s in nsyms], nexpr)
            observables[oid] = _Observable(oid, row.get(OBSERVABLE_NAME, "") or oid, formula, noise, transformation,
                                           distribution, n_obs, n_noise)
        problems.raise_if_any(DataError, t.name)
        unknown.raise_if_any(ModelError, t.name)
        self._observables = observables

    # -- measurement table
    def _read_measurements(self, t: _Table) -> None:
        problems = _Problems()
        if not _require_columns(t, MEASUREMENT_REQUIRED, problems):
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
            obs = self._observables.get(oid)
            if obs is None:
                problems.add(f"{where}: observableId {oid!r} is not in the observable table{closest(oid, self._observables)}")
            pre = row.get(PREEQUILIBRATION_CONDITION_ID, "") or None
            sc = row[SIMULATION_CONDITION_ID]
            for col, cid in ((SIMULATION_CONDITION_ID, sc), (PREEQUILIBRATION_CONDITION_ID, pre)):
                if cid is not None and cid not in self._conditions:
                    problems.add(f"{where}: {col} {cid!r} is not in the condition table{closest(cid, self._conditions)}")
            try:
                value = _number(row[MEASUREMENT])
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
                    src = self._override_source(part, where, f"{col} entry {k + 1}", problems)
                    srcs.append(src)
                overrides.append(srcs)
            obs_ids.append(oid)
            preeq.append(pre)
            simc.append(sc)
            obs_over.append(overrides[0])
            noise_over.append(overrides[1])
        problems.raise_if_any(DataError, t.name)
        self._m = m
        self._t = times
        self._obs_ids = obs_ids
        self._preeq = preeq
        self._simc = simc
        self._obs_over = obs_over
        self._noise_over = noise_over
        trans = np.array([self._observables[o].transformation for o in obs_ids])
        dist = np.array([self._observables[o].distribution for o in obs_ids])
        self._trans = trans
        self._dist = dist
        with np.errstate(divide="ignore", invalid="ignore"):
            self._tm = np.where(trans == "log", np.log(m), np.where(trans == "log10", np.log10(m), m))
            # log-Jacobian of the transformation: log m (log) or log(m ln 10) (log10)
            self._jac = np.where(trans == "log", np.log(m), np.where(trans == "log10", np.log(m * _LOG10), 0.0))

    def _override_source(self, text: str, where: str, what: str, problems: _Problems) -> _Source | None:
        try:
            v = float(text)
        except ValueError:
            if text in self._par_index:
                return ("par", self._par_index[text])
            problems.add(f"{where}: {what}: {text!r} is neither a number nor a parameter of the parameter table"
                         f"{closest(text, self._par_index)}")
            return None
        if math.isnan(v):
            problems.add(f"{where}: {what}: NaN is not a value")
            return None
        return ("const", v)

    def _check_parameter_usage(self) -> None:
        """Parameter-table rows must be used by the model, a condition or a measurement (PEtab rule)."""
        used = set(self._info.parameters)
        for obs in self._observables.values():
            used |= set(obs.formula.args) | set(obs.noise.args)
        idx_used = {i for lst in (self._obs_over, self._noise_over) for srcs in lst for s in srcs if s and s[0] == "par" for i in [s[1]]}
        for cond in self._conditions.values():
            for _, src in cond.params + cond.compartments + cond.species:
                if src[0] == "par":
                    idx_used.add(src[1])
        t = self._tables["parameters"]
        extra = [f"{t.where(i)}: parameter {pid!r} is not used by the model, the conditions or the measurements"
                 for i, pid in enumerate(self._par_ids) if pid not in used and i not in idx_used]
        if extra:
            problems = _Problems()
            for line in extra:
                problems.add(line)
            problems.raise_if_any(DataError, t.name)

    # -- experiments: one simulation per (preequilibration, simulation) condition pair
    def _compile_experiments(self) -> None:
        info = self._info
        order: dict[tuple[str | None, str], list[int]] = {}
        for i, key in enumerate(zip(self._preeq, self._simc)):
            order.setdefault(key, []).append(i)
        experiments = []
        for (pre, sc), rows in order.items():
            rows_arr = np.array(rows)
            tv = self._t[rows_arr]
            finite = np.unique(tv[np.isfinite(tv)])
            steady = bool(np.any(np.isinf(tv)))
            grid = finite if finite.size and finite[0] == 0 else np.concatenate([[0.0], finite])
            # model symbols needed by this experiment's observables
            needed: list[str] = []
            for r in rows:
                obs = self._observables[self._obs_ids[r]]
                for nm in obs.formula.args + obs.noise.args:
                    if (nm in info.ids or nm == "time") and nm not in needed:
                        needed.append(nm)
            sel = [info.selection(s) for s in needed]
            col_of = {s: k for k, s in enumerate(needed)}
            exp = _Experiment(pre, sc, grid, steady, sel)
            # output row of each measurement
            pos = {float(t): k for k, t in enumerate(grid)}
            n_out = grid.size
            groups: dict[tuple, list[int]] = {}
            for r in rows:
                key = (self._obs_ids[r], tuple(self._obs_over[r]), tuple(self._noise_over[r]))
                groups.setdefault(key, []).append(r)
            for (oid, oo, no), grows in groups.items():
                obs = self._observables[oid]
                tidx = np.array([n_out if math.isinf(self._t[r]) else pos[float(self._t[r])] for r in grows])
                obs_args = [self._arg(nm, obs, oo, no, col_of, noise=False) for nm in obs.formula.args]
                noise_args = [self._arg(nm, obs, oo, no, col_of, noise=True) for nm in obs.noise.args]
                exp.groups.append(_Group(obs, np.array(grows), tidx, obs_args, noise_args,
                                         self._sigma_source(obs, noise_args)))
            experiments.append(exp)
        self._experiments = experiments

    def _arg(self, nm: str, obs: _Observable, oo: tuple, no: tuple, col_of: Mapping[str, int], noise: bool) -> tuple[str, Any]:
        prefix_o = "observableParameter"
        prefix_n = "noiseParameter"
        suffix = f"_{obs.id}"
        if nm.startswith(prefix_o) and nm.endswith(suffix) and nm[len(prefix_o):-len(suffix)].isdigit():
            return oo[int(nm[len(prefix_o):-len(suffix)]) - 1]
        if noise and nm.startswith(prefix_n) and nm.endswith(suffix) and nm[len(prefix_n):-len(suffix)].isdigit():
            return no[int(nm[len(prefix_n):-len(suffix)]) - 1]
        if noise and nm == obs.id:
            return ("self", None)
        if nm in col_of:
            return ("model", col_of[nm])
        return ("par", self._par_index[nm])

    def _sigma_source(self, obs: _Observable, noise_args: list[tuple[str, Any]]) -> tuple[str, Any]:
        expr = obs.noise.expr
        if not expr.free_symbols:
            return ("const", float(expr))
        if expr.is_Symbol and noise_args[0][0] in ("const", "par"):
            return noise_args[0]
        return ("other", None)

    # ------------------------------------------------------------------ pickling (for worker processes)
    def __getstate__(self) -> dict[str, Any]:
        return {"sbml": self.model.sbml, "source": self.model.source, "tables": self._tables, "name": self.name,
                "rtol": self._rtol, "atol": self._atol, "max_steps": self._max_steps, "yaml_path": self.yaml_path,
                "steady_state_events": self._steady_state_events}

    def __setstate__(self, state: dict[str, Any]) -> None:
        from ..models.sbml import read_sbml

        model = read_sbml(state["sbml"], name=state["name"], source=state["source"])
        self._init(model, state["tables"], state["name"], state["rtol"], state["atol"], state["max_steps"])
        self.yaml_path = state["yaml_path"]
        self.steady_state_events = state.get("steady_state_events", "refuse")

    # ------------------------------------------------------------------ parameters
    @property
    def simulator(self):
        """The :class:`~receptorkin.simulation.Simulator` (compiled on first use, then reused)."""
        if self._sim is None:
            from ..simulation import Simulator

            # moiety analysis recompiles the model and only speeds up steady states: leave it off
            # when no condition is pre-equilibrated and no measurement is at steady state
            needs_steady = any(exp.preeq is not None or exp.steady for exp in self._experiments)
            self._sim = Simulator(self.model, rtol=self._rtol, atol=self._atol, max_steps=self._max_steps,
                                  moiety_analysis=None if needs_steady else False)
            self._runs = {}
        return self._sim

    @property
    def steady_state_events(self) -> str:
        """What a steady state (pre-equilibration, or a measurement at ``time = inf``) does with the model's events.

        PEtab's pre-equilibration is a steady state; integrating a model with
        events "to steady state" would run through timed events and return a
        post-event state.  ``'refuse'`` (default): such a condition raises
        :class:`~receptorkin.errors.SimulationError` naming it; ``'disable'``:
        the steady state is solved with the events switched off (the events
        act again in the time course that follows).
        """
        return self._steady_state_events

    @steady_state_events.setter
    def steady_state_events(self, policy: str) -> None:
        if policy not in ("refuse", "disable"):
            raise ModelError(f"{self.name}: steady_state_events must be 'refuse' or 'disable' (got {policy!r})")
        if policy != self._steady_state_events:
            self._steady_state_events = policy
            self._runs = {}

    def with_tolerances(self, rtol: float, atol: float) -> "PetabProblem":
        """The same problem simulated at other solver tolerances (the model is compiled anew)."""
        state = dict(self.__getstate__(), rtol=float(rtol), atol=float(atol))
        other = PetabProblem.__new__(PetabProblem)
        other.__setstate__(state)
        return other

    @property
    def parameter_table(self):
        """The parameter table: id, scale, lower, upper, nominal (linear scale) and estimate."""
        import pandas as pd

        return pd.DataFrame({
            "id": self._par_ids,
            "scale": self._par_scales,
            "lower": self._par_lower,
            "upper": self._par_upper,
            "nominal": self._par_nominal,
            "estimate": self._par_estimate,
        })

    @property
    def x_ids(self) -> list[str]:
        return [self._par_ids[i] for i in self._est_index]

    @property
    def x_scales(self) -> list[str]:
        return [self._par_scales[i] for i in self._est_index]

    def _scaled(self, values: np.ndarray) -> np.ndarray:
        out = np.empty(self._est_index.size)
        with np.errstate(divide="ignore", invalid="ignore"):
            for k, i in enumerate(self._est_index):
                out[k] = scale_value(values[i], self._par_scales[i])
        return out

    @property
    def x_nominal(self) -> np.ndarray:
        """Nominal values of the estimated parameters, on their scales."""
        return self._scaled(self._par_nominal)

    @property
    def x_lower(self) -> np.ndarray:
        return self._scaled(self._par_lower)

    @property
    def x_upper(self) -> np.ndarray:
        return self._scaled(self._par_upper)

    @property
    def n_measurements(self) -> int:
        return int(self._m.size)

    @property
    def measurements(self):
        """The measurement table (a copy, in file order)."""
        return self._frame(self._tables["measurements"])

    def _frame(self, table: _Table):
        import pandas as pd

        return pd.DataFrame([dict(r) for r in table.rows], columns=table.columns)

    def table(self, which: str):
        """One of the problem's tables as text cells: 'conditions', 'measurements', 'observables', 'parameters'."""
        if which not in self._tables:
            raise DataError(f"unknown table {which!r} (known: {', '.join(self._tables)})")
        return self._frame(self._tables[which])

    def _check_x(self, x: "Sequence[float] | Mapping[str, float] | np.ndarray | None") -> np.ndarray:
        if x is None:
            xs = self.x_nominal
            if np.any(~np.isfinite(xs)):
                bad = [pid for pid, v in zip(self.x_ids, xs) if not math.isfinite(v)]
                raise FitError(f"{self.name}: no usable nominalValue for estimated parameter(s) {', '.join(bad)}: give x")
            return xs
        if isinstance(x, Mapping):
            unknown = [k for k in x if k not in self.x_ids]
            if unknown:
                raise FitError(f"{self.name}: {unknown[0]!r} is not an estimated parameter{closest(unknown[0], self.x_ids)}")
            xs = self.x_nominal.copy()
            for k, v in x.items():
                xs[self.x_ids.index(k)] = float(v)
            return xs
        xs = np.asarray(x, dtype=float).ravel()
        if xs.size != self._est_index.size:
            raise FitError(f"{self.name}: x has {xs.size} values, expected {self._est_index.size} ({', '.join(self.x_ids)})")
        return xs

    def parameter_values(self, x: "Sequence[float] | Mapping[str, float] | None" = None) -> dict[str, float]:
        """Every parameter-table value on linear scale, estimated ones from ``x`` (on their scales)."""
        p = self._p(self._check_x(x))
        return {pid: float(v) for pid, v in zip(self._par_ids, p)}

    def _p(self, xs: np.ndarray) -> np.ndarray:
        p = self._par_nominal.copy()
        for k, i in enumerate(self._est_index):
            p[i] = unscale_value(xs[k], self._par_scales[i])
        return p

    # ------------------------------------------------------------------ simulation
    @staticmethod
    def _value(src: _Source, p: np.ndarray) -> float:
        return float(p[src[1]]) if src[0] == "par" else float(src[1])

    def _condition_values(self, cid: str, p: np.ndarray) -> tuple[dict[str, float], dict[str, float]]:
        """(parameters and compartment sizes, species amounts) that a condition sets."""
        cond = self._conditions[cid]
        info = self._info
        values: dict[str, float] = {}
        for i, pid in enumerate(self._par_ids):
            if pid in info.parameters:
                values[pid] = float(p[i])
        for pid, src in cond.params:
            values[pid] = self._value(src, p)
        sizes = dict(info.compartments)
        for cmp, src in cond.compartments:
            values[cmp] = sizes[cmp] = self._value(src, p)
        species: dict[str, float] = {}
        for sid, src in cond.species:
            v = self._value(src, p)
            if sid in info.rate_parameters:
                species[sid] = v
                continue
            comp, only_substance, _ = info.species[sid]
            species[sid] = v if only_substance else v * sizes[comp]
        return values, species

    def _rescaled(self, sim, values: Mapping[str, float], species: Mapping[str, float]) -> dict[str, float]:
        """Amounts of the species a condition's compartment resize rescales (PEtab, no pre-equilibration).

        A species given as a concentration keeps its concentration when the
        condition resizes its compartment, so its amount scales with the size.
        The runner takes amounts, so they are computed here: the initial
        concentrations come from a start at the model's sizes (initial
        assignments may depend on parameters), the amounts at the new sizes.
        """
        info = self._info
        resized = {c: float(values[c]) for c in info.compartments
                   if c in values and values[c] != info.compartments[c] and info.compartments[c] > 0}
        if not resized:
            return {}
        rescale = [sid for sid in sim.species if sid in info.by_concentration and sid not in species
                   and info.species[sid][0] in resized]
        if not rescale:
            return {}
        sim.reset(values={**values, **{c: info.compartments[c] for c in resized}})
        at_model_size = dict(zip(sim.species, sim.state()))
        return {sid: at_model_size[sid] / info.compartments[info.species[sid][0]] * resized[info.species[sid][0]]
                for sid in rescale}

    def _prepared(self, exp: "_Experiment | None", values: Mapping[str, float], sens: Any = None):
        """The runner's compiled form of an experiment (``None``: a pre-equilibration), cached.

        The segment plan depends on the readouts and on the times where a
        ``time``-dependent piecewise input switches (resolved from the
        condition's values: they may be parameters), not on other overrides.
        With ``sens`` (a :class:`~receptorkin.simulation.sensitivities.Sensitivities`),
        the runner's sensitivity mode on the augmented model.
        """
        from ..dosing import Experiment, Readouts, Start, prepare

        sim = self.simulator if sens is None else sens.simulator
        mode: tuple = () if sens is None else ("gradient",)
        if exp is None:  # a pre-equilibration: the steady state, reading the rate-rule parameters (state too)
            key: tuple = ("preeq", *mode)
            if key not in self._runs:
                self._runs[key] = prepare(sim, Experiment(
                    start=Start.preequilibrated(events=self.steady_state_events),
                    readouts=Readouts(tuple(sorted(self._info.rate_parameters)), times=(0.0,))), sensitivities=sens)
            return self._runs[key]
        cuts: tuple[float, ...] = ()
        if self._breaks:
            defaults = sim.default_parameters
            cuts = tuple(sorted({float(values.get(b, defaults.get(b, math.nan))) if isinstance(b, str) else float(b)
                                 for b in self._breaks}))
        key = (id(exp), cuts, *mode)
        hit = self._runs.get(key)
        if hit is None:
            if len(self._runs) > 512:
                self._runs.clear()
            hit = self._runs[key] = prepare(sim, Experiment(
                start=Start(events=self.steady_state_events),
                readouts=Readouts(tuple(exp.selections), times=tuple(exp.times), steady=exp.steady),
                breaks=tuple(c for c in cuts if math.isfinite(c))), sensitivities=sens)
        return hit

    def _simulate_experiment(self, exp: _Experiment, p: np.ndarray,
                             preeq_cache: dict[str, tuple[np.ndarray, dict[str, float]]], sens: Any = None
                             ) -> "np.ndarray | tuple[np.ndarray, np.ndarray]":
        """Run one (pre-equilibration, simulation) condition pair on the package's Experiment runner.

        A pre-equilibration is solved once per condition and evaluation
        (``preeq_cache``) and its steady state (species amounts and rate-rule
        parameters) starts every simulation condition that names it.  Returns
        the outputs (times × selections, a steady-state row last); with
        ``sens``, also their sensitivities (times × selections × θ) from the
        runner's sensitivity mode.
        """
        sim = self.simulator if sens is None else sens.simulator
        values, species = self._condition_values(exp.sim, p)
        try:
            if exp.preeq is not None:
                cached = preeq_cache.get(exp.preeq)
                if cached is None:
                    pv, ps = self._condition_values(exp.preeq, p)
                    res = self._prepared(None, pv, sens).run({**pv, **ps, **self._rescaled(sim, pv, ps)})
                    carried = dict(zip(res.selections, res.values[0].tolist()))
                    cached = preeq_cache[exp.preeq] = (res.final_state, carried)
                state, carried = cached
                res = self._prepared(exp, values, sens).run({**values, **carried, **species}, start_state=state)
            else:
                res = self._prepared(exp, values, sens).run(
                    {**values, **species, **self._rescaled(sim, values, species)})
        except SimulationError as exc:
            pre = f"preequilibration {exp.preeq!r}, " if exp.preeq else ""
            raise SimulationError(f"{self.name}: {pre}condition {exp.sim!r}: {exc}") from None
        out = res.values if not exp.steady else np.vstack([res.values, res.steady.reshape(1, -1)])
        if sens is None:
            return out
        dout = res.sensitivities if not exp.steady else np.concatenate([res.sensitivities, res.steady_sensitivities[None]])
        return out, dout

    def _evaluate(self, xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Simulated observables and noise values of every measurement row."""
        p = self._p(xs)
        n = self._m.size
        y = np.empty(n)
        sigma = np.empty(n)
        cache: dict[str, np.ndarray] = {}
        for exp in self._experiments:
            out = self._simulate_experiment(exp, p, cache)
            for g in exp.groups:
                rows_out = out[g.tidx]
                args = [self._arg_value(a, rows_out, p, None) for a in g.obs_args]
                yv = np.asarray(g.obs.formula.fn(*args), dtype=float)
                if yv.shape != g.rows.shape:  # a constant formula
                    yv = np.broadcast_to(yv, g.rows.shape)
                y[g.rows] = yv
                nargs = [self._arg_value(a, rows_out, p, yv) for a in g.noise_args]
                sigma[g.rows] = g.obs.noise.fn(*nargs)  # (a constant noise broadcasts)
        return y, sigma

    @staticmethod
    def _arg_value(a: tuple[str, Any], rows_out: np.ndarray, p: np.ndarray, y: np.ndarray | None) -> Any:
        kind, payload = a
        if kind == "model":
            return rows_out[:, payload]
        if kind == "par":
            return p[payload]
        if kind == "self":
            return y
        return payload

    def simulate(self, x: "Sequence[float] | Mapping[str, float] | None" = None):
        """The PEtab simulation table: the measurement table with ``simulation`` instead of ``measurement``.

        Parameters
        ----------
        x
            Estimated parameters on their scales (default: nominal values).

        Returns
        -------
        pandas.DataFrame
            Same rows and columns as the measurement table; ``simulation``
            holds the simulated observable (linear scale, model units).
        """
        y, _ = self._evaluate(self._check_x(x))
        df = self.measurements
        df.insert(list(df.columns).index(MEASUREMENT), SIMULATION, y)
        df = df.drop(columns=[MEASUREMENT])
        df[TIME] = self._t
        return df

    def _nllh_terms(self, y: np.ndarray, sigma: np.ndarray) -> np.ndarray:
        trans, dist = self._trans, self._dist
        with np.errstate(divide="ignore", invalid="ignore"):
            ty = np.where(trans == "log", np.log(y), np.where(trans == "log10", np.log10(y), y))
            r = ty - self._tm
            normal = 0.5 * np.log(2 * np.pi * sigma ** 2) + 0.5 * (r / sigma) ** 2
            laplace = np.log(2 * sigma) + np.abs(r / sigma)
            terms = np.where(dist == "normal", normal, laplace) + self._jac
        terms[~(sigma > 0)] = np.nan
        return terms

    def llh(self, x: "Sequence[float] | Mapping[str, float] | None" = None) -> float:
        """The PEtab log-likelihood of the measurements (priors not included).

        Parameters
        ----------
        x
            Estimated parameters on their PEtab scales (default: nominal values).

        Returns
        -------
        float
            log-likelihood; ``nan`` where it is undefined (a non-positive
            noise value, or a non-positive simulation of a log-transformed
            observable).
        """
        y, sigma = self._evaluate(self._check_x(x))
        return -float(np.sum(self._nllh_terms(y, sigma)))

    def chi2(self, x: "Sequence[float] | Mapping[str, float] | None" = None) -> float:
        """χ²: the sum of squared weighted residuals (t(m) − t(y)) / σ (PEtab's definition).

        Parameters
        ----------
        x
            Estimated parameters on their PEtab scales (default: nominal values).
        """
        return float(np.sum(self.residuals(x) ** 2))

    def log_prior(self, x: "Sequence[float] | Mapping[str, float] | None" = None) -> float:
        """Log-density of the objective priors (``objectivePriorType``), 0 if there are none."""
        xs = self._check_x(x)
        if not any(self._priors[i] for i in self._est_index):
            return 0.0
        from petab.v1.priors import Prior

        total = 0.0
        for k, i in enumerate(self._est_index):
            if not self._priors[i]:
                continue
            row = dict(self._prior_rows[i])
            d = {OBJECTIVE_PRIOR_TYPE: row.get(OBJECTIVE_PRIOR_TYPE),
                 OBJECTIVE_PRIOR_PARAMETERS: row.get(OBJECTIVE_PRIOR_PARAMETERS) or float("nan"),
                 PARAMETER_SCALE: self._par_scales[i], LOWER_BOUND: self._par_lower[i], UPPER_BOUND: self._par_upper[i]}
            try:
                prior = Prior.from_par_dict(d, type_="objective")
            except (ValueError, TypeError) as exc:
                raise DataError(f"{self._tables['parameters'].where(i)}: parameter {self._par_ids[i]!r}: "
                                f"objective prior: {exc}") from None
            total -= float(prior.neglogprior(xs[k], x_scaled=True))
        return total

    def inner_plan(self):
        """The parameters a hierarchical fit solves in closed form (:func:`receptorkin.petab.hierarchical.plan_inner`).

        Returns
        -------
        receptorkin.petab.hierarchical.InnerPlan or None
            None when no estimated parameter is a plain scaling factor or
            noise level.
        """
        if not hasattr(self, "_inner"):
            from .hierarchical import plan_inner

            self._inner = plan_inner(self)
        return self._inner

    @property
    def has_priors(self) -> bool:
        return any(self._priors[i] for i in self._est_index)

    def objective(self, x: "Sequence[float] | np.ndarray") -> float:
        """What a fit minimises: −(log-likelihood + log-prior), at ``x`` on the parameter scales.

        A solver failure or an undefined likelihood gives ``inf`` (so an
        optimizer backs off), never an exception.
        """
        try:
            value = -(self.llh(x) + self.log_prior(x))
        except SimulationError:
            return math.inf
        return value if math.isfinite(value) else math.inf

    def residuals(self, x: "Sequence[float] | Mapping[str, float] | None" = None) -> np.ndarray:
        """Weighted residuals (t(m) − t(y)) / σ, one per measurement row (t: the observable transformation).

        For normal noise whose σ does not depend on the estimated
        parameters, ½·Σr² is −llh up to a constant, so these are the
        residuals to give a least-squares solver.
        """
        y, sigma = self._evaluate(self._check_x(x))
        with np.errstate(divide="ignore", invalid="ignore"):
            ty = np.where(self._trans == "log", np.log(y), np.where(self._trans == "log10", np.log10(y), y))
            return (self._tm - ty) / sigma

    # -- least squares with estimated σ: ½Σ(r² + s²) = nllh + const, s = sqrt(2(log σ + K))
    def _least_squares_offset(self) -> float | None:
        """K for the least-squares form, or None when the problem has no such form."""
        if self.has_priors or np.any(self._dist != "normal"):
            return None
        floor = math.inf
        for exp in self._experiments:
            for g in exp.groups:
                kind, payload = g.sigma_source
                if kind == "other":
                    return None
                if kind == "const":
                    if payload <= 0:
                        return None
                    floor = min(floor, payload)
                else:
                    i = payload
                    low = self._par_lower[i] if self._par_estimate[i] else self._par_nominal[i]
                    if not (low > 0):
                        return None
                    floor = min(floor, low)
        return 1.0 - math.log(floor) if math.isfinite(floor) else 1.0

    def _ls_vector(self, xs: np.ndarray, offset: float) -> np.ndarray:
        return self._ls_from(*self._evaluate(xs), offset)

    def _ls_from(self, y: np.ndarray, sigma: np.ndarray, offset: float) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            ty = np.where(self._trans == "log", np.log(y), np.where(self._trans == "log10", np.log10(y), y))
            r = (ty - self._tm) / sigma
            s = np.sqrt(2.0 * (np.log(sigma) + offset))
        return np.concatenate([r, s])

    # ------------------------------------------------------------------ exact gradient
    def _gradient_model(self) -> "_GradientModel":
        """The model augmented with its sensitivity equations for the estimated
        model parameters (built on first use; see :meth:`nll_and_gradient`)."""
        if self._grad is not None:
            return self._grad
        from ..simulation.sensitivities import Sensitivities

        info = self._info
        est = {int(i): k for k, i in enumerate(self._est_index)}
        if info.rate_parameters:
            raise FitError(f"{self.name}: exact gradients do not support parameters driven by rate rules "
                           f"({', '.join(sorted(info.rate_parameters))})")
        overridden: set[str] = set()
        for cond in self._conditions.values():
            for pid, src in cond.params + cond.compartments + cond.species:
                if src[0] == "par" and int(src[1]) in est:
                    raise FitError(f"{self.name}: condition {cond.id!r} sets {pid!r} from the estimated parameter "
                                   f"{self._par_ids[src[1]]!r}: exact gradients support estimated parameters in "
                                   f"the model, observable and noise formulas, not in the condition table")
                overridden.add(pid)
            if cond.compartments:
                raise FitError(f"{self.name}: condition {cond.id!r} resizes compartment(s) "
                               f"{', '.join(c for c, _ in cond.compartments)}: not supported by exact gradients")
        event_targets = _event_targets(self.model.sbml)
        theta, theta_k = [], []
        for i, k in est.items():
            pid = self._par_ids[i]
            if pid not in info.parameters:
                continue
            if pid in overridden or pid in event_targets:
                raise FitError(f"{self.name}: the estimated model parameter {pid!r} is also set by a condition or "
                               f"an event: not supported by exact gradients")
            theta.append(pid)
            theta_k.append(k)
        readouts: list[str] = []
        for exp in self._experiments:
            for s in exp.selections:
                r = s[1:-1] if s.startswith("[") else s
                if r != "time" and r not in readouts:
                    readouts.append(r)
        sens = Sensitivities(self.model, theta, readouts, rtol=self._rtol, atol=self._atol,
                             max_steps=self._max_steps, base=self.simulator)
        self._grad = _GradientModel(sens, np.array(theta_k, dtype=int))
        return self._grad

    def _partials(self, formula: _Formula) -> list[Callable[..., Any] | None]:
        """∂formula/∂argument, one function (of the formula's arguments) per argument."""
        key = id(formula)
        cached = self._formula_partials.get(key)
        if cached is None:
            import sympy as sp

            syms = {s.name: s for s in formula.expr.free_symbols}
            args = [syms.get(nm, sp.Symbol(nm)) for nm in formula.args]
            cached = []
            for nm in formula.args:
                d = sp.diff(formula.expr, syms[nm]) if nm in syms else sp.Integer(0)
                cached.append(None if d == 0 else sp.lambdify(args, d, modules="numpy"))
            self._formula_partials[key] = cached
        return cached

    def _evaluate_gradient(self, xs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Simulated observables and σ of every measurement row, with their exact
        derivatives with respect to ``xs`` (rows × estimated parameters, on the
        parameter scales)."""
        gm = self._gradient_model()
        p = self._p(xs)
        nx = self._est_index.size
        n = self._m.size
        y, sigma = np.empty(n), np.empty(n)
        dy, dsigma = np.zeros((n, nx)), np.zeros((n, nx))
        dpdx = np.empty(nx)  # d linear value / d scaled value
        for k, i in enumerate(self._est_index):
            sc = self._par_scales[i]
            dpdx[k] = p[i] * math.log(10.0) if sc == "log10" else (p[i] if sc == "log" else 1.0)
        k_of = {int(i): k for k, i in enumerate(self._est_index)}
        cache: dict[str, np.ndarray] = {}
        for exp in self._experiments:
            out, dout = self._simulate_experiment(exp, p, cache, gm.sens)
            for g in exp.groups:
                rows_out, drows = out[g.tidx], dout[g.tidx]
                m = g.rows.size

                def darg(a: tuple[str, Any], dself: np.ndarray | None) -> np.ndarray | None:
                    kind, payload = a
                    if kind == "model":
                        d = np.zeros((m, nx))
                        d[:, gm.theta_k] = drows[:, payload, :] * dpdx[gm.theta_k]
                        return d
                    if kind == "par" and int(payload) in k_of:
                        d = np.zeros((m, nx))
                        d[:, k_of[int(payload)]] = dpdx[k_of[int(payload)]]
                        return d
                    if kind == "self":
                        return dself
                    return None

                args = [self._arg_value(a, rows_out, p, None) for a in g.obs_args]
                yv = np.broadcast_to(np.asarray(g.obs.formula.fn(*args), dtype=float), g.rows.shape)
                y[g.rows] = yv
                dyv = np.zeros((m, nx))
                for a, f in zip(g.obs_args, self._partials(g.obs.formula)):
                    da = darg(a, None) if f is not None else None
                    if da is not None:
                        dyv += np.broadcast_to(np.asarray(f(*args), dtype=float), (m,))[:, None] * da
                dy[g.rows] = dyv
                nargs = [self._arg_value(a, rows_out, p, yv) for a in g.noise_args]
                sigma[g.rows] = np.broadcast_to(np.asarray(g.obs.noise.fn(*nargs), dtype=float), g.rows.shape)
                dsv = np.zeros((m, nx))
                for a, f in zip(g.noise_args, self._partials(g.obs.noise)):
                    da = darg(a, dyv) if f is not None else None
                    if da is not None:
                        dsv += np.broadcast_to(np.asarray(f(*nargs), dtype=float), (m,))[:, None] * da
                dsigma[g.rows] = dsv
        return y, sigma, dy, dsigma

    def _nllh_row_gradients(self, y: np.ndarray, sigma: np.ndarray, dy: np.ndarray, dsigma: np.ndarray) -> np.ndarray:
        """Gradient of each measurement's negative log-likelihood term (rows × parameters)."""
        trans, dist = self._trans, self._dist
        with np.errstate(divide="ignore", invalid="ignore"):
            ty = np.where(trans == "log", np.log(y), np.where(trans == "log10", np.log10(y), y))
            dty = np.where(trans == "log", 1.0 / y, np.where(trans == "log10", 1.0 / (y * math.log(10.0)), 1.0))
            r = ty - self._tm
            normal = dist == "normal"
            d_y = np.where(normal, r / sigma ** 2, np.sign(r) / sigma) * dty
            d_s = np.where(normal, 1.0 / sigma - r ** 2 / sigma ** 3, 1.0 / sigma - np.abs(r) / sigma ** 2)
        return dy * d_y[:, None] + dsigma * d_s[:, None]

    def _nllh_gradient(self, y: np.ndarray, sigma: np.ndarray, dy: np.ndarray, dsigma: np.ndarray) -> np.ndarray:
        """Gradient of Σ negative log-likelihood terms from the derivatives of y and σ."""
        return self._nllh_row_gradients(y, sigma, dy, dsigma).sum(axis=0)

    def _log_prior_gradient(self, xs: np.ndarray) -> np.ndarray:
        """Gradient of :meth:`log_prior` (closed-form densities: central differences
        at step 1e-6 on the scale, exact to ~1e-10 relative; no simulation)."""
        g = np.zeros(xs.size)
        if not self.has_priors:
            return g
        for k, i in enumerate(self._est_index):
            if not self._priors[i]:
                continue
            h = 1e-6 * max(1.0, abs(xs[k]))
            up, down = xs.copy(), xs.copy()
            up[k] += h
            down[k] -= h
            g[k] = (self.log_prior(up) - self.log_prior(down)) / (2 * h)
        return g

    def nll(self, x: "Sequence[float] | np.ndarray") -> float:
        """Negative log-likelihood plus negative log-prior (the engine's objective protocol).

        ``x``: the estimated parameters on their PEtab scales.  ``inf`` where
        the model cannot be simulated or the likelihood is undefined.
        """
        return self.objective(x)

    def nll_and_gradient(self, x: "Sequence[float] | np.ndarray") -> tuple[float, np.ndarray]:
        """:meth:`nll` and its exact gradient on the parameter scales.

        The gradient comes from forward sensitivities of the model
        (:mod:`receptorkin.simulation.sensitivities`: through pre-equilibration by the
        implicit function theorem, initial assignments, events), chained through
        the observable and noise formulas and the parameter scales.  Where the
        model cannot be simulated: ``(inf, zeros)``.

        Raises
        ------
        FitError
            The problem uses a feature the exact gradient does not support
            (an estimated parameter in the condition table, a compartment a
            condition resizes, rate rules).
        """
        xs = self._check_x(x)
        try:
            y, sigma, dy, dsigma = self._evaluate_gradient(xs)
        except SimulationError:
            return math.inf, np.zeros(xs.size)
        value = float(np.sum(self._nllh_terms(y, sigma))) - self.log_prior(xs)
        if not math.isfinite(value):
            return math.inf, np.zeros(xs.size)
        return value, self._nllh_gradient(y, sigma, dy, dsigma) - self._log_prior_gradient(xs)

    def __repr__(self) -> str:
        return (f"PetabProblem({self.name!r}, model={self.model.id!r}, {self._m.size} measurements, "
                f"{len(self._conditions)} conditions, {len(self._observables)} observables, "
                f"{self._est_index.size} estimated parameters)")


def _event_targets(sbml: str) -> set[str]:
    """Parameters and compartments that the model's events change."""
    import libsbml

    m = libsbml.readSBMLFromString(sbml).getModel()
    found = {a.getVariable() for e in m.getListOfEvents() for a in e.getListOfEventAssignments()}
    return {v for v in found if m.getParameter(v) is not None or m.getCompartment(v) is not None}


def _time_switches(sbml: str) -> list:
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
