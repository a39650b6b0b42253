"""SBML export: any bundled or loaded model, with fitted values written in.

:func:`export_sbml` writes a model as SBML Level 3 Version 2 after
validating it with libsbml (zero errors required).  Fitted values from a
``fit.json`` go into the parameters' values, and each estimate's standard
error and confidence interval into that parameter's notes, so the file
carries its own provenance.  Units, SBO terms and MIRIAM references of the
source model are kept (the document is edited with libsbml, never rebuilt).
A dosing regimen can be written in as SBML events (through
:mod:`receptorkin.dosing`).  Unit warnings are returned in the report, not
hidden; the file is written atomically and never overwrites an existing one
without ``force``.

The ``fit.json`` format::

    {"model": "trafficking",
     "parameters": {"k_internalization": {"estimate": 0.15, "se": 0.01,
                                          "ci_low": 0.13, "ci_high": 0.17, "unit": "1/min"}},
     "objective": 12.3, "aicc": 40.1}
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from ..errors import DataError, ModelError
from ..io import atomic_write_text, check_writable, sbml_without_doctype
from ..models.sbml import Model, ValidationReport, closest, load_model, validate

__all__ = ["ExportResult", "Fit", "FitValue", "load_fit", "apply_fit", "apply_regimen", "export_sbml"]


@dataclass(frozen=True)
class FitValue:
    """One fitted parameter of a ``fit.json``: estimate [its unit], SE and confidence interval."""

    id: str
    estimate: float
    se: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    unit: str = ""

    def note(self, objective: float | None = None, aicc: float | None = None, source: str = "") -> str:
        """The text written into the parameter's SBML notes."""
        unit = f" {self.unit}" if self.unit else ""
        parts = [f"Fitted value: {self.estimate:.6g}{unit}"]
        extra = []
        if self.se is not None:
            extra.append(f"SE {self.se:.3g}")
        if self.ci_low is not None and self.ci_high is not None:
            extra.append(f"95% CI {self.ci_low:.6g} to {self.ci_high:.6g}")
        if extra:
            parts[0] += f" ({'; '.join(extra)})"
        fit = []
        if objective is not None:
            fit.append(f"objective {objective:.6g}")
        if aicc is not None:
            fit.append(f"AICc {aicc:.6g}")
        if source:
            fit.append(f"from {source}")
        if fit:
            parts.append("fit: " + ", ".join(fit))
        return "; ".join(parts) + "."


@dataclass(frozen=True)
class Fit:
    """The content of a ``fit.json``."""

    model: str
    values: tuple[FitValue, ...]
    objective: float | None = None
    aicc: float | None = None
    source: str = ""

    @property
    def estimates(self) -> dict[str, float]:
        return {v.id: v.estimate for v in self.values}


@dataclass(frozen=True)
class ExportResult:
    """What :func:`export_sbml` wrote.

    Attributes
    ----------
    path
        The SBML file.
    model
        The exported :class:`~receptorkin.models.Model`.
    report
        libsbml validation of the written document (zero errors; warnings,
        unit warnings included, are listed here).
    written
        Fitted values written into the model (id -> value).
    skipped
        Fit parameters that are not model quantities (e.g. noise or scaling
        parameters of a PEtab fit): not written.
    """

    path: Path
    model: Model
    report: ValidationReport
    written: dict[str, float]
    skipped: tuple[str, ...] = ()

    @property
    def warnings(self) -> list[str]:
        return [str(i) for i in self.report.warnings]


def _optional_number(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise DataError(f"{where}: expected a number or null (got {value!r})")
    v = float(value)
    if not math.isfinite(v):
        raise DataError(f"{where}: expected a finite number (got {value!r})")
    return v


def load_fit(fit: "str | os.PathLike | Mapping[str, Any]") -> Fit:
    """Read and check a ``fit.json`` (a path, or the parsed dict).

    Raises
    ------
    DataError
        Missing file, invalid JSON, missing ``parameters``, a non-numeric
        estimate, SE or interval bound, or an interval not containing the
        estimate.
    """
    if isinstance(fit, Mapping):
        data, name = dict(fit), "<fit>"
    else:
        path = Path(fit)
        name = str(path)
        if not path.exists():
            raise DataError(f"{path}: no such file")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise DataError(f"{path}: not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise DataError(f"{name}: expected a JSON object with 'model' and 'parameters'")
    params = data.get("parameters")
    if not isinstance(params, dict) or not params:
        raise DataError(f"{name}: 'parameters' must be a non-empty object (parameter id -> {{estimate, se, ci_low, ci_high, unit}})")
    values = []
    problems = []
    for pid, entry in params.items():
        where = f"{name}: parameters.{pid}"
        if not isinstance(entry, dict):
            problems.append(f"{where}: expected an object with 'estimate'")
            continue
        try:
            est = _optional_number(entry.get("estimate"), f"{where}.estimate")
            if est is None:
                raise DataError(f"{where}.estimate: missing")
            se = _optional_number(entry.get("se"), f"{where}.se")
            lo = _optional_number(entry.get("ci_low"), f"{where}.ci_low")
            hi = _optional_number(entry.get("ci_high"), f"{where}.ci_high")
        except DataError as exc:
            problems.append(str(exc))
            continue
        if se is not None and se < 0:
            problems.append(f"{where}.se: must be non-negative (got {se:g})")
        if lo is not None and hi is not None and not (lo <= est <= hi):
            problems.append(f"{where}: the interval [{lo:g}, {hi:g}] does not contain the estimate {est:g}")
        unit = entry.get("unit") or ""
        if not isinstance(unit, str):
            problems.append(f"{where}.unit: expected text (got {unit!r})")
            unit = ""
        values.append(FitValue(str(pid), est, se, lo, hi, unit))
    if problems:
        raise DataError("\n".join(problems))
    objective = _optional_number(data.get("objective"), f"{name}: objective")
    aicc = _optional_number(data.get("aicc"), f"{name}: aicc")
    return Fit(str(data.get("model") or ""), tuple(values), objective, aicc, name)


def _same_unit(a: str, b: str) -> bool:
    """True if two unit strings denote the same unit (or one cannot be read: then compare text)."""
    if a.replace(" ", "") == b.replace(" ", ""):
        return True
    from ..models.build import unit_definition_parts

    try:
        ka, fa = unit_definition_parts(a)
        kb, fb = unit_definition_parts(b)
    except ModelError:
        return False
    return ka == kb and math.isclose(fa, fb, rel_tol=1e-12)


def _model_names(model: Model) -> set[str]:
    names = {model.id}
    src = model.source or ""
    if src.startswith("bundled:"):
        names.add(src.split(":", 1)[1])
    elif src and not src.startswith("<"):
        names.add(Path(src).stem)
        names.add(src)
    return names


def apply_fit(model: Model, fit: "Fit | str | os.PathLike | Mapping[str, Any]") -> tuple[Model, dict[str, float], tuple[str, ...]]:
    """Write a fit's estimates into a model's parameters, intervals into their notes.

    Parameters
    ----------
    model
        The model the fit was made with.
    fit
        A :class:`Fit`, a ``fit.json`` path or its parsed dict.

    Returns
    -------
    model, written, skipped
        The new model, the values written (id -> value, in the model's
        units), and the fit parameters that are not model quantities.

    Raises
    ------
    ModelError
        The fit names another model, a fitted id is computed by a rule, or a
        fitted unit differs from the model's unit for that quantity.
    """
    f = fit if isinstance(fit, Fit) else load_fit(fit)
    if f.model and f.model not in _model_names(model):
        raise ModelError(f"{f.source}: the fit is of model {f.model!r}, not of {model.id!r}")
    elements = {e.id: e for e in model.elements}
    written: dict[str, float] = {}
    notes: dict[str, str] = {}
    skipped = []
    for v in f.values:
        el = elements.get(v.id)
        if el is None:
            skipped.append(v.id)
            continue
        if el.kind == "observable":
            raise ModelError(f"{f.source}: {v.id!r} is computed by a rule in model {model.id!r}; it cannot take a fitted value")
        if v.unit and el.unit and not _same_unit(v.unit, el.unit):
            raise ModelError(f"{f.source}: parameters.{v.id}: the fit's unit {v.unit!r} differs from the model's {el.unit!r}")
        written[v.id] = v.estimate
        notes[v.id] = v.note(f.objective, f.aicc, Path(f.source).name if f.source != "<fit>" else "")
    if not written:
        raise ModelError(f"{f.source}: none of the fitted parameters ({', '.join(v.id for v in f.values)}) is in model "
                         f"{model.id!r}{closest(f.values[0].id, model.ids)}")
    return model.with_values(written, notes=notes), written, tuple(skipped)


def apply_regimen(model: Model, regimen: Any, until: "float | str | None" = None) -> Model:
    """The model with a dosing regimen written in as SBML events.

    Uses :func:`receptorkin.dosing.regimen_to_events`; ``regimen`` is a
    regimen object or its one-line text form (:func:`receptorkin.dosing.parse_regimen`);
    ``until`` (minutes, or text with a unit such as ``'14d'``) ends an
    open-ended regimen (pulses without a count).

    Raises
    ------
    ModelError
        When :mod:`receptorkin.dosing` (with ``regimen_to_events``) is not
        available in this installation.
    """
    try:
        from .. import dosing
    except ImportError:
        dosing = None  # type: ignore[assignment]
    if dosing is None or not hasattr(dosing, "regimen_to_events"):
        raise ModelError("writing a regimen into SBML needs receptorkin.dosing.regimen_to_events, which this installation lacks")
    if isinstance(regimen, str):
        regimen = dosing.parse_regimen(regimen)
    out = dosing.regimen_to_events(model, regimen, until) if until is not None else dosing.regimen_to_events(model, regimen)
    if isinstance(out, Model):
        return out
    if isinstance(out, str):
        return load_model(out)
    raise ModelError(f"regimen_to_events returned {type(out).__name__}, expected a Model or SBML text")


def export_sbml(
    model: "Model | str | os.PathLike",
    path: "str | os.PathLike",
    *,
    fit: "Fit | str | os.PathLike | Mapping[str, Any] | None" = None,
    regimen: Any = None,
    until: "float | str | None" = None,
    values: Mapping[str, float] | None = None,
    force: bool = False,
) -> ExportResult:
    """Write a model as validated SBML, optionally with fitted values and a regimen.

    Parameters
    ----------
    model
        A bundled id, a path (SBML or Antimony), SBML/Antimony text, or a
        :class:`~receptorkin.models.Model`.
    path
        Output file (``.xml``).
    fit
        A ``fit.json`` (path or dict) or :class:`Fit`: estimates go into the
        parameters, SE and intervals into their notes.
    regimen
        A dosing regimen (object or one-line text) written as SBML events.
    until
        End of the events for an open-ended regimen [min], or text with a
        unit (``'14d'``).
    values
        Other values to set (parameters, initial amounts, compartment sizes),
        applied after the fit.
    force
        Overwrite an existing file.

    Returns
    -------
    ExportResult
        Path, model, the libsbml report (warnings, unit warnings included) and
        what was written or skipped.

    Raises
    ------
    OutputExistsError
        ``path`` exists and ``force`` is false (checked before any work).
    SBMLError
        libsbml finds errors in the document to be written.
    ModelError, DataError
        Bad fit file, a fit of another model, an unknown id in ``values``.
    """
    target = check_writable(path, force)
    m = load_model(model)
    written: dict[str, float] = {}
    skipped: tuple[str, ...] = ()
    if fit is not None:
        m, written, skipped = apply_fit(m, fit)
    if values:
        m = m.with_values(dict(values))
    if regimen is not None:
        m = apply_regimen(m, regimen, until)
    text = sbml_without_doctype(m.sbml, str(target))  # never copy an input's DOCTYPE / entities
    report = validate(text, name=str(target), units=True)
    report.raise_for_errors()
    atomic_write_text(target, text, force=force)
    return ExportResult(target, m, report, written, skipped)
