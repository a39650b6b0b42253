"""Where the bundled models are: their ids and the package-data folder of their files.

The folder is ``receptorkin/models/bundled`` (``$RECEPTORKIN_SBML_DIR`` overrides it),
located with :mod:`importlib.resources`.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from ..errors import ModelError, closest

__all__ = ["MODEL_IDS", "sbml_dir", "available", "path_of"]

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
