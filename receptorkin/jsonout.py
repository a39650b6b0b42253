"""Strict JSON for every file receptorkin writes.

JSON has no NaN or infinity; Python's ``json`` module writes them as the
bare words ``NaN`` and ``Infinity``, which strict parsers (browsers'
``JSON.parse``, jq, Go, Rust) reject.  :func:`dumps` writes them as
``null`` and refuses anything else that is not JSON (``allow_nan=False``
after conversion, so a missed case is an error, never a bad file).
"""

from __future__ import annotations

import json
import math
import os
from pathlib import PurePath
from typing import Any

__all__ = ["jsonable", "dumps"]


def jsonable(value: Any) -> Any:
    """A JSON-ready copy: numpy scalars and arrays to Python, NaN/inf (and pandas NA) to ``None``.

    Dict keys become strings, tuples and sets lists, paths strings.
    """
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (PurePath, os.PathLike)):
        return os.fspath(value)
    import numpy as np

    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (np.floating, np.complexfloating)):
        v = float(np.real(value))
        return v if math.isfinite(v) else None
    try:
        import pandas as pd

        if value is pd.NA or value is pd.NaT:
            return None
        if isinstance(value, pd.Timestamp):
            return value.isoformat()
    except ImportError:  # pragma: no cover - pandas is a dependency
        pass
    return value


def dumps(value: Any, indent: int | None = 2) -> str:
    """Strict JSON text of ``value`` (NaN and infinities as ``null``).

    Raises
    ------
    TypeError, ValueError
        For an object that has no JSON form (a programming error, not bad input).
    """
    return json.dumps(jsonable(value), indent=indent, allow_nan=False)
