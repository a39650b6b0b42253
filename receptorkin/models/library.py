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

from dataclasses import dataclass

from .files import MODEL_IDS, available, path_of, sbml_dir
from .sbml import load_bundled as load

__all__ = ["MODEL_IDS", "sbml_dir", "available", "load", "path_of", "catalogue"]


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
