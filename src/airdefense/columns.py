"""Shared checks of the frozen structure-of-arrays dataclasses (plots, measurements, tracks)."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import numpy as np


def coerce_columns(obj: Any, int_fields: tuple[str, ...], name: str) -> None:
    """Make every field of a frozen dataclass a contiguous 1-D array (int64 for
    ``int_fields``, float64 otherwise) of one common length; raise ValueError otherwise."""
    n = None
    for f in fields(obj):
        a = getattr(obj, f.name)
        dtype = np.int64 if f.name in int_fields else np.float64
        a = np.ascontiguousarray(a, dtype=dtype)
        if a.ndim != 1:
            raise ValueError(f"{name}.{f.name} must be 1-D")
        if n is None:
            n = a.shape[0]
        elif a.shape[0] != n:
            raise ValueError(f"{name}.{f.name} has length {a.shape[0]}, expected {n}")
        object.__setattr__(obj, f.name, a)
