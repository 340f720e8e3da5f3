"""Shared behaviour of the frozen structure-of-arrays dataclasses (plots, measurements, tracks)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from typing import Any, ClassVar, Self

import numpy as np
from numpy.typing import NDArray


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


class Columns:
    """Base of a frozen dataclass whose fields are equal-length 1-D arrays, one row each:
    checked and made contiguous on construction (int64 for ``INT_FIELDS``, float64 for the
    rest), with row count, row selection and concatenation."""

    INT_FIELDS: ClassVar[tuple[str, ...]] = ()

    def __post_init__(self) -> None:
        coerce_columns(self, self.INT_FIELDS, type(self).__name__)

    def __len__(self) -> int:
        return int(getattr(self, fields(self)[0].name).shape[0])  # type: ignore[arg-type]

    @classmethod
    def empty(cls) -> Self:
        """No rows."""
        return cls(**{f.name: np.zeros(0) for f in fields(cls)})  # type: ignore[arg-type]

    def take(self, index: NDArray[np.intp] | NDArray[np.bool_] | slice) -> Self:
        """Rows selected by an index, a boolean mask or a slice."""
        return type(self)(**{f.name: getattr(self, f.name)[index] for f in fields(self)})  # type: ignore[arg-type]

    @classmethod
    def join(cls, parts: Sequence[Self]) -> Self:
        """The rows of several tables, in the given order."""
        if not parts:
            return cls.empty()
        return cls(
            **{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)}  # type: ignore[arg-type]
        )
