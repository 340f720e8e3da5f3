"""Shared behaviour of the frozen structure-of-arrays dataclasses (plots, measurements, tracks)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import fields
from typing import Any, ClassVar, Self

import numpy as np
from numpy.typing import NDArray

_INT64 = np.dtype(np.int64)
_FLOAT64 = np.dtype(np.float64)
_BOOL = np.dtype(np.bool_)
_OBJECT = np.dtype(object)


def coerce_columns(obj: Any, int_fields: tuple[str, ...], name: str) -> None:
    """Make every field of a frozen dataclass a contiguous 1-D array (int64 for
    ``int_fields``, float64 otherwise) of one common length; raise ValueError otherwise."""
    spec = tuple((f.name, _INT64 if f.name in int_fields else _FLOAT64) for f in fields(obj))
    _coerce(obj.__dict__, spec, name)


def _coerce(values: dict[str, Any], spec: tuple[tuple[str, np.dtype], ...], name: str) -> None:
    """Check and convert the columns in ``values`` (an instance's ``__dict__``) in place.

    An array that already is a contiguous 1-D array of the column's dtype is kept as it is
    without calling into numpy (the common case, and most of the cost of a small table)."""
    n = -1
    for field, dtype in spec:
        a = values[field]
        if not (
            type(a) is np.ndarray and a.dtype is dtype and a.ndim == 1 and a.flags.c_contiguous
        ):
            a = np.ascontiguousarray(a, dtype=dtype)
            if a.ndim != 1:
                raise ValueError(f"{name}.{field} must be 1-D")
            values[field] = a
        if n < 0:
            n = a.shape[0]
        elif a.shape[0] != n:
            raise ValueError(f"{name}.{field} has length {a.shape[0]}, expected {n}")


class Columns:
    """Base of a frozen dataclass whose fields are equal-length 1-D arrays, one row each:
    checked and made contiguous on construction (int64 for ``INT_FIELDS``, bool for
    ``BOOL_FIELDS``, Python strings in object arrays for ``STR_FIELDS``, float64 for the
    rest), with row count, row selection and concatenation.

    The field names and dtypes of each subclass are looked up once (on its first use), not
    on every construction: tables of a few rows are built thousands of times a run.
    Subclasses are frozen dataclasses with an instance ``__dict__`` (not ``slots=True``).
    """

    INT_FIELDS: ClassVar[tuple[str, ...]] = ()
    BOOL_FIELDS: ClassVar[tuple[str, ...]] = ()
    STR_FIELDS: ClassVar[tuple[str, ...]] = ()
    _column_spec: ClassVar[tuple[tuple[str, np.dtype], ...] | None] = None
    _own_checks: ClassVar[bool] = False

    @classmethod
    def _spec(cls) -> tuple[tuple[str, np.dtype], ...]:
        """(field name, dtype) of every column, in field order (cached on the class)."""
        spec = cls._column_spec
        if spec is None:
            spec = tuple(
                (
                    f.name,
                    _INT64
                    if f.name in cls.INT_FIELDS
                    else _BOOL
                    if f.name in cls.BOOL_FIELDS
                    else _OBJECT
                    if f.name in cls.STR_FIELDS
                    else _FLOAT64,
                )
                for f in fields(cls)  # type: ignore[arg-type]
            )
            cls._column_spec = spec
        return spec

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._column_spec = None  # each class its own, built on first use
        # a subclass with its own __post_init__ gets it run on every construction
        cls._own_checks = cls.__post_init__ is not Columns.__post_init__

    def __post_init__(self) -> None:
        _coerce(self.__dict__, self._spec(), type(self).__name__)

    @classmethod
    def trusted(cls, columns: Mapping[str, NDArray[Any]]) -> Self:
        """A table from columns the caller guarantees already are contiguous 1-D arrays of
        the right dtypes and of one length, one per field (e.g. a compiled kernel's output
        rows): built without the checks. A subclass with its own ``__post_init__`` is
        built the checked way."""
        if cls._own_checks:
            return cls(**columns)
        obj = object.__new__(cls)
        obj.__dict__.update(columns)
        return obj

    def __len__(self) -> int:
        return len(self.__dict__[self._spec()[0][0]])

    @classmethod
    def empty(cls) -> Self:
        """No rows."""
        return cls.trusted({name: np.zeros(0, dtype=dtype) for name, dtype in cls._spec()})

    def take(self, index: NDArray[np.intp] | NDArray[np.bool_] | slice) -> Self:
        """Rows selected by an index, a boolean mask or a slice."""
        d = self.__dict__
        cols = {name: d[name][index] for name, _ in self._spec()}
        if type(index) is np.ndarray and index.ndim == 1:
            # a 1-D integer or boolean index gives fresh contiguous columns of one length
            return type(self).trusted(cols)
        return type(self)(**cols)  # a strided slice is not contiguous: checked

    @classmethod
    def join(cls, parts: Sequence[Self]) -> Self:
        """The rows of several tables, in the given order."""
        if not parts:
            return cls.empty()
        cols = {name: np.concatenate([p.__dict__[name] for p in parts]) for name, _ in cls._spec()}
        if all(type(p) is cls for p in parts):
            # columns of checked tables of this class, joined: already contiguous, typed, even
            return cls.trusted(cols)
        return cls(**cols)
