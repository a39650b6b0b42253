"""The bundled model library.

Every bundled model is package data of ``receptorkin.models`` (folder
``bundled/``, also reachable as ``sbml/`` at the top of a source checkout):
a readable Antimony source (``<id>.ant``) and the annotated SBML L3V2 built
from it (``<id>.xml``).  Both are committed and a test keeps them in sync
(``make models`` rebuilds the SBML).  The files are found with
:mod:`importlib.resources`, so an installed wheel finds them as well as an
editable install.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from ..errors import ModelError
from .sbml import Model, closest, read_sbml

__all__ = ["MODEL_IDS", "sbml_dir", "available", "load", "path_of", "catalogue"]

#: the bundled models, simplest first
MODEL_IDS: tuple[str, ...] = (
    "trafficking",
    "turnover_tolerance",
    "precursor_pool",
    "moderator_feedback",
    "transcriptional_feedback",
    "gpcr_desensitization",
    "gnrh_pulsatile",
    "ampa_ltp",
    "noradrenergic_calcium",
)


def sbml_dir() -> Path:
    """Folder of the bundled models (``$RECEPTORKIN_SBML_DIR`` overrides it).

    The package-data folder ``receptorkin/models/bundled``, located with
    :mod:`importlib.resources` (a real folder on disk for a wheel or an
    editable install; receptorkin is not zip-safe).
    """
    env = os.environ.get("RECEPTORKIN_SBML_DIR")
    if env:
        return Path(env)
    return Path(str(resources.files("receptorkin.models").joinpath("bundled")))


def available() -> list[str]:
    """Ids of the bundled models present on disk, in library order."""
    folder = sbml_dir()
    return [m for m in MODEL_IDS if (folder / f"{m}.xml").exists()]


def path_of(model_id: str, kind: str = "xml") -> Path:
    """Path of a bundled model's SBML (``kind='xml'``) or Antimony (``'ant'``) file."""
    if model_id not in MODEL_IDS:
        raise ModelError(f"unknown bundled model {model_id!r}{closest(model_id, MODEL_IDS)}; "
                         f"known: {', '.join(MODEL_IDS)}")
    return sbml_dir() / f"{model_id}.{kind}"


@lru_cache(maxsize=None)
def load(model_id: str) -> Model:
    """Load a bundled model by id (validated once, then cached)."""
    path = path_of(model_id)
    if not path.exists():
        raise ModelError(f"bundled model {model_id!r}: {path} is missing (run 'make models')")
    return read_sbml(path.read_text(encoding="utf-8"), name=str(path), source=f"bundled:{model_id}")


@dataclass(frozen=True)
class CatalogueEntry:
    """One row of the model catalogue."""

    id: str
    title: str
    ligand: str | None
    observables: tuple[str, ...]
    time_unit: str


def catalogue() -> list[CatalogueEntry]:
    """The bundled models with title, ligand input, observables and time unit."""
    rows = []
    for mid in available():
        m = load(mid)
        rows.append(CatalogueEntry(m.id, m.title, m.ligand, m.observables, m.time_unit))
    return rows
