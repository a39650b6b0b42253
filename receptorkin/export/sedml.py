"""Simulation experiments as SED-ML in COMBINE archives (OMEX).

:func:`timecourse_omex` and :func:`dose_response_omex` write a model and a
SED-ML (Level 1 Version 3) description of what to do with it -- a uniform
time course, or a dose-response scan over the ligand (a repeated task, each
dose from the initial state, read at steady state or at a time) -- into one
``.omex`` file that other tools execute.  :func:`run_omex` executes an
archive with tellurium's SED-ML engine (offline), which is how the tests
check that the archive reproduces receptorkin's own simulation.

Solver settings go into the SED-ML algorithm (CVODE, KISAO:0000019, with
relative tolerance KISAO:0000209 and absolute tolerance KISAO:0000211).
Species are reported by SED-ML targets, which tellurium reads as
concentrations (amount / compartment size); receptorkin's bundled models
have unit compartments, so the two agree.
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Mapping, Sequence

from ..errors import ModelError, SBMLError
from ..io import atomic_path, check_writable, sbml_without_doctype
from ..models.sbml import Model, load_model

__all__ = ["timecourse_omex", "dose_response_omex", "run_omex"]

_SBML_LANGUAGE = "urn:sedml:language:sbml.level-3.version-2"
_KISAO_CVODE = "KISAO:0000019"
_KISAO_STEADY = "KISAO:0000407"
_KISAO_RTOL = "KISAO:0000209"
_KISAO_ATOL = "KISAO:0000211"
_TIME_SYMBOL = "urn:sedml:symbol:time"


def _target(model: Model, ident: str) -> str:
    """The SED-ML XPath target of a species, parameter or compartment."""
    el = model.element(ident)
    kind = {"species": "species", "compartment": "compartment"}.get(el.kind, "parameter")
    plural = {"species": "listOfSpecies", "compartment": "listOfCompartments", "parameter": "listOfParameters"}[kind]
    return f"/sbml:sbml/sbml:model/sbml:{plural}/sbml:{kind}[@id='{ident}']"


def _check(doc: Any, what: str) -> None:
    import libsedml

    if doc.getNumErrors(libsedml.LIBSEDML_SEV_ERROR) or doc.getNumErrors(libsedml.LIBSEDML_SEV_FATAL):
        raise SBMLError(f"{what}: libsedml reports errors: {doc.getErrorLog().toString().strip()}")


def _prepare(model: "Model | str | os.PathLike", values: Mapping[str, float] | None, regimen: Any,
             until: float | None = None) -> Model:
    m = load_model(model)
    if values:
        m = m.with_values(dict(values))
    if regimen is not None:
        from .sbml import apply_regimen

        m = apply_regimen(m, regimen, None if until is None else f"{until!r}{m.time_unit}")
    return m


def _add_report(doc: Any, task_id: str, model: Model, columns: Sequence[str], with_time: bool, dose: str | None = None) -> None:
    import libsedml

    rep = doc.createReport()
    rep.setId("report")
    rep.setName("receptorkin report")
    cols: list[tuple[str, str | None]] = []
    if with_time:
        cols.append(("time", None))
    if dose is not None:
        cols.append((dose, _target(model, dose)))
    cols += [(c, _target(model, c)) for c in columns if c != dose]
    for name, target in cols:
        dg = doc.createDataGenerator()
        dg.setId(f"dg_{name}")
        dg.setName(name)
        var = dg.createVariable()
        var.setId(f"var_{name}")
        var.setTaskReference(task_id)
        if target is None:
            var.setSymbol(_TIME_SYMBOL)
        else:
            var.setTarget(target)
        dg.setMath(libsedml.parseL3Formula(f"var_{name}"))
        ds = rep.createDataSet()
        ds.setId(f"ds_{name}")
        ds.setLabel(name)
        ds.setDataReference(f"dg_{name}")


def _cvode(sim: Any, rtol: float, atol: float) -> None:
    alg = sim.createAlgorithm()
    alg.setKisaoID(_KISAO_CVODE)
    for kisao, value in ((_KISAO_RTOL, rtol), (_KISAO_ATOL, atol)):
        p = alg.createAlgorithmParameter()
        p.setKisaoID(kisao)
        p.setValue(repr(float(value)))


def _tellurium_runner() -> Any:
    """tellurium's archive executor, imported here only: tellurium is an optional
    extra (it pulls in IPython and plotly and takes seconds to import)."""
    try:
        import tellurium  # noqa: F401  (tellurium needs six, which it does not declare)
        from tellurium.sedml.tesedml import executeCombineArchive
    except ImportError as exc:
        from ..errors import MissingDependencyError

        raise MissingDependencyError(f"running SED-ML/OMEX archives needs tellurium ({exc.name or exc} is missing): "
                                     "pip install 'receptorkin[tellurium]'") from None
    return executeCombineArchive


def _new_document(model: Model) -> Any:
    import libsedml

    doc = libsedml.SedDocument(1, 3)
    mod = doc.createModel()
    mod.setId("model")
    mod.setName(model.title or model.id)
    mod.setSource("model.xml")
    mod.setLanguage(_SBML_LANGUAGE)
    return doc


def _write_archive(path: Path, model: Model, doc: Any, force: bool, description: str) -> Path:
    import libcombine
    import libsedml

    _check(doc, str(path))
    work = Path(tempfile.mkdtemp(prefix="receptorkin-omex-"))
    try:
        (work / "model.xml").write_text(sbml_without_doctype(model.sbml, str(path)), encoding="utf-8")
        sedml_path = work / "simulation.sedml"
        if libsedml.writeSedMLToFile(doc, str(sedml_path)) != 1:
            raise SBMLError(f"{path}: libsedml could not write the SED-ML document")
        archive = libcombine.CombineArchive()
        ok = archive.addFile(str(work / "model.xml"), "./model.xml", libcombine.KnownFormats.lookupFormat("sbml"), False)
        ok = ok and archive.addFile(str(sedml_path), "./simulation.sedml", libcombine.KnownFormats.lookupFormat("sedml"), True)
        desc = libcombine.OmexDescription()
        desc.setAbout(".")
        desc.setDescription(description)
        desc.setCreated(libcombine.OmexDescription.getCurrentDateAndTime())
        archive.addMetadata(".", desc)
        if not ok:
            raise SBMLError(f"{path}: libcombine could not add the files to the archive")
        with atomic_path(path, force=force, suffix=".omex") as tmp:
            tmp.unlink()
            if not archive.writeToFile(str(tmp)):
                raise SBMLError(f"{path}: libcombine could not write the archive")
            archive.cleanUp()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return path


def _columns(model: Model, selections: Sequence[str] | None) -> list[str]:
    cols = list(selections) if selections is not None else list(dict.fromkeys(list(model.observables) + model.species))
    for c in cols:
        model.element(c)
    return cols


def timecourse_omex(
    path: "str | os.PathLike",
    model: "Model | str | os.PathLike",
    t_end: float,
    n_points: int = 101,
    *,
    values: Mapping[str, float] | None = None,
    selections: Sequence[str] | None = None,
    regimen: Any = None,
    rtol: float = 1e-10,
    atol: float = 1e-12,
    force: bool = False,
) -> Path:
    """Write a time course experiment as a COMBINE archive.

    Parameters
    ----------
    path
        Output ``.omex`` file.
    model
        A bundled id, file, text or :class:`~receptorkin.models.Model`.
    t_end
        End time [model time unit].
    n_points
        Output times from 0 to ``t_end``, both included.
    values
        Parameter / initial values written into the model (e.g. the ligand dose).
    selections
        Reported quantities (default: the model's observables and species).
    regimen
        A dosing regimen written into the model as events (up to ``t_end``
        for an open-ended one).
    rtol, atol
        CVODE tolerances recorded in the SED-ML algorithm.
    force
        Overwrite an existing file.

    Returns
    -------
    pathlib.Path
    """
    target = check_writable(path, force)
    if not (isinstance(t_end, (int, float)) and math.isfinite(t_end) and t_end > 0):
        raise ModelError(f"t_end must be a positive number in the model's time unit (got {t_end!r})")
    if int(n_points) < 2:
        raise ModelError(f"n_points must be at least 2 (got {n_points})")
    m = _prepare(model, values, regimen, float(t_end))
    cols = _columns(m, selections)
    doc = _new_document(m)
    sim = doc.createUniformTimeCourse()
    sim.setId("timecourse")
    sim.setInitialTime(0.0)
    sim.setOutputStartTime(0.0)
    sim.setOutputEndTime(float(t_end))
    sim.setNumberOfPoints(int(n_points) - 1)
    _cvode(sim, rtol, atol)
    task = doc.createTask()
    task.setId("task")
    task.setModelReference("model")
    task.setSimulationReference("timecourse")
    _add_report(doc, "task", m, cols, with_time=True)
    return _write_archive(target, m, doc, force, f"receptorkin time course of {m.id}: 0 to {t_end:g} {m.time_unit}")


def dose_response_omex(
    path: "str | os.PathLike",
    model: "Model | str | os.PathLike",
    doses: Sequence[float],
    readout: "str | float" = "steady",
    *,
    observables: Sequence[str] | None = None,
    ligand: str | None = None,
    values: Mapping[str, float] | None = None,
    regimen: Any = None,
    rtol: float = 1e-10,
    atol: float = 1e-12,
    force: bool = False,
) -> Path:
    """Write a dose-response experiment as a COMBINE archive.

    A SED-ML repeated task sets the ligand to each dose (from the model's
    initial state) and reads the observables at steady state
    (``readout='steady'``, KISAO:0000407) or at time ``readout`` [model
    time unit] of a time course.

    Parameters
    ----------
    path
        Output ``.omex`` file.
    model
        A bundled id, file, text or :class:`~receptorkin.models.Model`.
    doses
        Ligand concentrations [model dose unit], non-negative.
    readout
        ``'steady'`` or a positive time.
    observables
        Reported quantities (default: the model's default observable).
    ligand
        The dose input (default: the model's ligand).
    values, regimen, rtol, atol, force
        As for :func:`timecourse_omex`.
    """
    import libsedml

    target = check_writable(path, force)
    m = _prepare(model, values, regimen, None if isinstance(readout, str) else float(readout))
    lig = ligand or m.ligand
    if lig is None:
        raise ModelError(f"model {m.id!r} declares no ligand input: name one with dose_response_omex(..., ligand='ID')")
    m.element(lig)
    dose_list = [float(d) for d in doses]
    if not dose_list or any(not (math.isfinite(d) and d >= 0) for d in dose_list):
        raise ModelError(f"doses must be finite and non-negative (got {list(doses)!r})")
    obs = list(observables) if observables is not None else ([m.default_observable] if m.default_observable else [])
    if not obs:
        raise ModelError(f"model {m.id!r} has no default observable: name observables=...")
    doc = _new_document(m)
    steady = isinstance(readout, str)
    if steady:
        if readout.strip().lower() not in ("steady", "steady_state", "ss", "steady-state"):
            raise ModelError(f"readout must be 'steady' or a positive time (got {readout!r})")
        sim = doc.createSteadyState()
        sim.setId("readout")
        sim.createAlgorithm().setKisaoID(_KISAO_STEADY)
    else:
        t = float(readout)
        if not (math.isfinite(t) and t > 0):
            raise ModelError(f"readout time must be positive (got {readout!r})")
        sim = doc.createUniformTimeCourse()
        sim.setId("readout")
        sim.setInitialTime(0.0)
        sim.setOutputStartTime(0.0)
        sim.setOutputEndTime(t)
        sim.setNumberOfPoints(1)
        _cvode(sim, rtol, atol)
    task = doc.createTask()
    task.setId("task")
    task.setModelReference("model")
    task.setSimulationReference("readout")
    rt = doc.createRepeatedTask()
    rt.setId("doses")
    rt.setRangeId("dose_range")
    rt.setResetModel(True)
    vr = rt.createVectorRange()
    vr.setId("dose_range")
    for d in dose_list:
        vr.addValue(d)
    change = rt.createTaskChange()
    change.setModelReference("model")
    change.setTarget(_target(m, lig))
    change.setRange("dose_range")
    change.setMath(libsedml.parseL3Formula("dose_range"))
    sub = rt.createSubTask()
    sub.setOrder(1)
    sub.setTask("task")
    _add_report(doc, "doses", m, obs, with_time=False, dose=lig)
    what = "steady state" if steady else f"t = {readout} {m.time_unit}"
    return _write_archive(target, m, doc, force, f"receptorkin dose-response of {m.id}: {lig} at {len(dose_list)} doses, read at {what}")


def run_omex(path: "str | os.PathLike"):
    """Execute a COMBINE archive with tellurium's SED-ML engine.

    Returns
    -------
    pandas.DataFrame
        One column per data generator of the archive's report (named as the
        reported quantity).  A time course gives one row per output time; a
        dose-response gives one row per dose (the last output of each
        repetition).

    Raises
    ------
    ModelError
        The file is missing or tellurium cannot execute it.
    """
    import numpy as np
    import pandas as pd

    p = Path(path)
    if not p.exists():
        raise ModelError(f"{p}: no such file")
    executeCombineArchive = _tellurium_runner()

    try:
        results = executeCombineArchive(str(p), createOutputs=False)
    except Exception as exc:  # tellurium raises bare exceptions of many kinds
        raise ModelError(f"{p}: tellurium could not execute the archive: {' '.join(str(exc).split())}") from None
    frames = []
    for _, res in sorted(results.items()):
        gens = res.get("dataGenerators", {})
        cols = {}
        timecourse = "dg_time" in gens
        for gid, arr in gens.items():
            a = np.asarray(arr, dtype=float).reshape(len(arr), -1)
            name = gid[3:] if gid.startswith("dg_") else gid
            # shape (points, repeats): a time course has one repeat; a scan keeps the last point of each
            cols[name] = a[:, 0] if timecourse else a[-1, :]
        frames.append(pd.DataFrame(cols))
    if not frames:
        raise ModelError(f"{p}: the archive has no SED-ML report")
    return frames[0] if len(frames) == 1 else pd.concat(frames, axis=1)
