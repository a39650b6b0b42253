"""PEtab ``parameterScale`` transforms (lin, log, log10), shared by the problem and its hierarchical inner solve."""

from __future__ import annotations

import numpy as np

from ..errors import DataError

__all__ = ["scale_value", "unscale_value"]


def scale_value(value: "float | np.ndarray", scale: str) -> "float | np.ndarray":
    """A value on linear scale mapped to a PEtab ``parameterScale`` (lin, log, log10)."""
    if scale == "lin":
        return value
    if scale == "log":
        return np.log(value)
    if scale == "log10":
        return np.log10(value)
    raise DataError(f"unknown parameterScale {scale!r} (PEtab v1: lin, log, log10)")


def unscale_value(value: "float | np.ndarray", scale: str) -> "float | np.ndarray":
    """A value on a PEtab ``parameterScale`` mapped back to linear scale."""
    if scale == "lin":
        return value
    if scale == "log":
        return np.exp(value)
    if scale == "log10":
        return np.power(10.0, value)
    raise DataError(f"unknown parameterScale {scale!r} (PEtab v1: lin, log, log10)")
