"""The base of every model of what a user writes (scenario files, presets, tracker files).

Pydantic's defaults are lenient where a simulator must not be: ``.nan`` and ``.inf`` pass as
floats (a NaN launch window crashes the run, a NaN damage share silently fires nothing), and
YAML's ``yes``/``no``/``on``/``off`` are booleans that pass as the numbers 1 and 0 (``seed:
yes`` ran with seed 1). :class:`StrictModel` refuses both, and unknown keys, and is
immutable; every number is also bounded by its field (``ge``/``le``), which the JSON Schema
and the docs' field reference show.
"""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator


class StrictModel(BaseModel):
    """Unknown keys refused, frozen, finite numbers only, no ``true``/``false`` for a
    number (also inside lists and mappings of numbers)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_boolean_for_a_number(cls, value: Any, info: ValidationInfo) -> Any:
        field = cls.model_fields.get(info.field_name or "")
        if field is not None and _boolean_for_number(field.annotation, value):
            raise ValueError("must be a number, not true or false")
        return value


def _boolean_for_number(annotation: Any, value: Any) -> bool:
    """Whether ``value`` holds a boolean where ``annotation`` wants a number."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _boolean_for_number(args[0], value)
    if origin is typing.Literal:  # Literal[0, 1, 2]: True == 1, but it is no number
        return isinstance(value, bool) and all(type(a) is int for a in args)
    if origin in (typing.Union, types.UnionType):
        members = [a for a in args if a is not type(None)]
        if isinstance(value, bool) and bool in members:
            return False
        return any(_boolean_for_number(a, value) for a in members)
    if isinstance(value, bool):
        return annotation in (int, float)
    if origin is dict and isinstance(value, dict) and len(args) == 2:
        return any(_boolean_for_number(args[1], v) for v in value.values())
    if origin in (list, tuple) and isinstance(value, list | tuple) and args:
        inner = args if origin is tuple and Ellipsis not in args else (args[0],) * len(value)
        return any(_boolean_for_number(a, v) for a, v in zip(inner, value, strict=False))
    return False
