"""Example data shipped with receptorkin (package data, also ``data/`` in a checkout).

The bundled desensitization experiment (see ``data/README.md`` in the source
tree for its provenance) is found with :mod:`importlib.resources`, so an
installed wheel can run the tutorial and the demo without the source tree.

>>> from receptorkin.examples import path
>>> path("desensitization.csv").name
'desensitization.csv'
"""

from __future__ import annotations

import os
import shutil
from importlib import resources
from pathlib import Path

from ..errors import DataError

__all__ = ["data_dir", "names", "path", "copy_to"]


def data_dir() -> Path:
    """Folder of the example data files (a real folder on disk)."""
    return Path(str(resources.files(__name__).joinpath("data")))


def names() -> list[str]:
    """File names of the example data, sorted (``.csv``, ``.json``, ``README.md``)."""
    return sorted(p.name for p in data_dir().iterdir() if p.suffix in (".csv", ".json", ".md"))


def path(name: str) -> Path:
    """Path of one example file, e.g. ``path('desensitization.csv')``.

    Raises
    ------
    DataError
        No example file of that name.
    """
    known = names()
    if name not in known:
        raise DataError(f"no example data file {name!r}; known: {', '.join(known)}")
    return data_dir() / name


def copy_to(dest: str | os.PathLike) -> list[Path]:
    """Copy every example file into the folder ``dest`` (created if needed);
    existing files of the same name are left alone.  Returns the paths written."""
    out = Path(dest)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in names():
        target = out / name
        if not target.exists():
            shutil.copyfile(data_dir() / name, target)
            written.append(target)
    return written
