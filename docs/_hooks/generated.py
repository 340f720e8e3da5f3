"""mkdocs hook: the parts of the documentation that are generated from the code.

A page asks for a generated part with a line of its own, ``<!-- generated: NAME [ARG] -->``,
which the hook replaces before the page is rendered, so these parts cannot drift from the
code they describe:

- ``scenario-reference``: every section and field of the scenario format (the pydantic models
  of :mod:`airdefense.scenario.models` and :mod:`airdefense.types.settings`): field paths,
  types with units, defaults, bounds and meanings;
- ``preset-fields KIND``: the fields of one preset model (radar, threat, missile, battery),
  what a scenario's ``overrides`` may set;
- ``presets``: every preset of the catalogue with each parameter's value and public source;
- ``bundled-scenarios``: the bundled scenarios, a line each;
- ``cli COMMAND``: the output of ``airdefense COMMAND --help``;
- ``record-tables``, ``record-views``, ``record-summary``, ``record-events``: the run database
  (:mod:`airdefense.record.schema`, :mod:`airdefense.types.events`).

An unknown name fails the build.

It also keeps ``mkdocs build --strict --quiet`` strict: ``--quiet`` raises mkdocs' log level
to ERROR, so warnings (a broken link, a missing anchor) would never reach the counter that
``--strict`` fails on. The hook puts the level back to WARNING: quiet still hides the INFO
lines, and a warning is shown and fails the build.
"""

from __future__ import annotations

import dataclasses
import inspect
import logging
import re
import types
import typing
from typing import Any

import annotated_types
from pydantic import BaseModel

MARKER = re.compile(r"^<!-- generated: ([a-z-]+)(?: ([A-Za-z0-9_-]+))? -->$", re.M)

#: Unit of a field, from the end of its name (the code's naming rule: units in names).
UNITS = (
    ("_per_million_usd", "per US$1M"),
    ("_kg_m2", "kg/m²"),
    ("_per_m3", "per m³"),
    ("_m2ps3", "m²/s³"),
    ("_mps2", "m/s²"),
    ("_deg_s", "deg/s"),
    ("_mps", "m/s"),
    ("_m2", "m²"),
    ("_km", "km"),
    ("_deg", "degrees"),
    ("_usd", "US$"),
    ("_hz", "Hz"),
    ("_db", "dB"),
    ("_kg", "kg"),
    ("_m", "m"),
    ("_s", "s"),
    ("_w", "W"),
    ("_k", "K"),
    ("_g", "g"),
)


def on_startup(command: str, dirty: bool) -> None:
    """Keep warnings counted under ``--quiet`` (see the module's docstring)."""
    log = logging.getLogger("mkdocs")
    if log.level > logging.WARNING:
        log.setLevel(logging.WARNING)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Replace every ``<!-- generated: ... -->`` line of a page with its part."""

    def part(match: re.Match[str]) -> str:
        name, arg = match.group(1), match.group(2)
        if name not in GENERATORS:
            raise ValueError(f"{page.file.src_path}: unknown generated part '{name}'")
        return GENERATORS[name](arg)

    return MARKER.sub(part, markdown)


# --- small formatting helpers -----------------------------------------------------------


def _cell(text: str) -> str:
    """Text fit for a Markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _code(value: Any) -> str:
    return f"`{value}`"


def _number(value: float | int) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if abs(value) >= 1e6 and float(f"{value:g}") == value:  # 1e6, 3e9: short and exact
        return f"{value:g}".replace("e+0", "e").replace("e+", "e")
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10_000 else str(value)
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}" if abs(value) >= 10_000 else f"{int(value)}"
    return f"{value:g}"


def _value(value: Any) -> str:
    """A default as a scenario file writes it (YAML flow style)."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return _number(value)
    if isinstance(value, str):
        return f'"{value}"' if value == "" else value
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_value(v)}" for k, v in value.items()) + "}"
    return str(value)


#: Names that end like a unit and are none (the M of M-of-N).
NO_UNIT = {"confirm_m"}


def _unit(name: str) -> str:
    if name in NO_UNIT:
        return ""
    for suffix, unit in UNITS:
        if name.endswith(suffix):
            return unit
    return ""


def _first_paragraph(doc: str | None) -> str:
    text = inspect.cleandoc(doc or "")
    return " ".join(text.split("\n\n")[0].split())


def _rst_to_md(text: str) -> str:
    """The few reST forms the models' docstrings use, as Markdown."""
    text = re.sub(r":[a-z]+:`~?([^`]+)`", lambda m: _code(m.group(1).split(".")[-1]), text)
    return re.sub(r"``([^`]+)``", r"`\1`", text).replace("*", "")


# --- the scenario format ----------------------------------------------------------------


def _unwrap_optional(annotation: Any) -> tuple[Any, bool]:
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and type(None) in args:
        rest = [a for a in args if a is not type(None)]
        return (rest[0] if len(rest) == 1 else typing.Union[tuple(rest)]), True  # noqa: UP007
    return annotation, False


def _is_model(tp: Any) -> bool:
    return inspect.isclass(tp) and issubclass(tp, BaseModel)


def _type_text(annotation: Any, name: str = "") -> str:
    """A field's type as a reader wants it: 'number (km)', 'one of a, b', a section link."""
    tp, optional = _unwrap_optional(annotation)
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    unit = _unit(name)
    if _is_model(tp):
        text = f"[{tp.__name__}](#{tp.__name__.lower()})"
    elif origin is typing.Literal:
        text = "one of " + ", ".join(_code(a) for a in args)
    elif origin is list:
        inner = _type_text(args[0])
        text = f"list of {inner}"
    elif origin is tuple:
        text = "[" + ", ".join(_type_text(a) for a in args) + "]"
    elif origin is dict:
        key, val = args
        keys = (
            ", ".join(_code(a) for a in typing.get_args(key))
            if typing.get_origin(key) is typing.Literal
            else "name"
        )
        inner = "any value" if val is Any else _type_text(val)
        text = f"mapping {keys} → {inner}"
    elif tp is float:
        text = "number"
    elif tp is int:
        text = "integer"
    elif tp is bool:
        text = "true or false"
    elif tp is str:
        text = "text"
    else:
        text = str(tp)
    if unit:
        text += f" ({unit})"
    return text + (" or none" if optional else "")


def _bounds(field: Any) -> str:
    parts: list[str] = []
    for m in field.metadata:
        if isinstance(m, annotated_types.Ge):
            parts.append(f"≥ {_number(m.ge)}")
        elif isinstance(m, annotated_types.Gt):
            parts.append(f"> {_number(m.gt)}")
        elif isinstance(m, annotated_types.Le):
            parts.append(f"≤ {_number(m.le)}" if m.le < 2**62 else "")
        elif isinstance(m, annotated_types.Lt):
            parts.append(f"< {_number(m.lt)}")
        elif isinstance(m, annotated_types.MinLen):
            parts.append("not empty" if m.min_length == 1 else f"at least {m.min_length}")
        elif isinstance(m, annotated_types.MaxLen):
            parts.append(f"at most {m.max_length} characters")
        elif getattr(m, "pattern", None):
            parts.append(f"pattern `{m.pattern}`")
    return ", ".join(p for p in parts if p)


def _default(field: Any) -> str:
    if field.is_required():
        return "**required**"
    value = field.default_factory() if field.default_factory is not None else field.default
    if isinstance(value, BaseModel):
        return "all defaults"
    if value in ([], {}):
        return "empty"
    return _code(_value(value))


def _walk(model: type[BaseModel], prefix: str, found: dict[type[BaseModel], list[str]]) -> None:
    """Every model reachable from ``model``, with the field paths where it stands."""
    for name, field in model.model_fields.items():
        tp, _ = _unwrap_optional(field.annotation)
        path = f"{prefix}{name}"
        if typing.get_origin(tp) is list and _is_model(typing.get_args(tp)[0]):
            item = typing.get_args(tp)[0]
            key = "<name>" if "name" in item.model_fields else "<n>"
            tp, path = item, f"{path}.{key}"
        if _is_model(tp):
            found.setdefault(tp, []).append(path)
            _walk(tp, path + ".", found)


def _field_rows(
    model: type[BaseModel], extra: dict[str, str] | None = None, skip: tuple[str, ...] = ()
) -> list[str]:
    rows = [
        "| field | type | default | allowed | meaning |",
        "|---|---|---|---|---|",
    ]
    for name, field in model.model_fields.items():
        if name in skip:
            continue
        meaning = _cell(field.description or "")
        if extra and name in extra:
            meaning = (meaning + " " + extra[name]).strip()
        rows.append(
            f"| `{name}` | {_cell(_type_text(field.annotation, name))} | {_cell(_default(field))} "
            f"| {_cell(_bounds(field))} | {meaning} |"
        )
    return rows


#: Fields whose meaning is a preset's model (what `preset` names, what `overrides` may set).
_PRESET_OF = {"Sensor": "radar", "Raid": "threat", "Battery": "battery", "CivilTraffic": "threat"}


def scenario_reference(_: str | None) -> str:
    from airdefense.scenario.models import Scenario

    found: dict[type[BaseModel], list[str]] = {Scenario: [""]}
    _walk(Scenario, "", found)
    out: list[str] = []
    for model, paths in found.items():
        out.append(f"### {model.__name__} {{#{model.__name__.lower()}}}\n")
        out.append(_rst_to_md(_first_paragraph(model.__doc__)) + "\n")
        if paths != [""]:
            shown = ", ".join(f"`{p}.FIELD`" for p in paths)
            out.append(f"Field paths: {shown}.\n")
        extra = {}
        kind = _PRESET_OF.get(model.__name__)
        if kind:
            link = f"[{kind} preset](presets.md#{kind}-fields)"
            extra = {"preset": f"A {link}'s name.", "overrides": f"Fields of the {link}."}
        out.extend(_field_rows(model, extra))
        out.append("")
    return "\n".join(out)


# --- presets ------------------------------------------------------------------------------


def preset_fields(kind: str | None) -> str:
    from airdefense.systems import catalog

    presets = catalog.KINDS[str(kind)]
    model = type(next(iter(presets.values())))
    return "\n".join(_field_rows(model, skip=("name", "description", "sources"))) + "\n"


def presets(_: str | None) -> str:
    from airdefense.systems import catalog

    out: list[str] = []
    for kind, of_kind in catalog.KINDS.items():
        for key in sorted(of_kind):
            p = of_kind[key]
            out.append(f"### {p.name} {{#{p.name}}}\n")
            out.append(f"*{kind}*: {_cell(p.description)}\n")
            out.append("| parameter | value | source |")
            out.append("|---|---|---|")
            for field, value in p.model_dump(exclude={"name", "description", "sources"}).items():
                source = p.sources.get(field, "model default (no preset-specific figure)")
                out.append(f"| `{field}` | {_cell(_value(value))} | {_cell(source)} |")
            out.append("")
    return "\n".join(out)


def bundled_scenarios(_: str | None) -> str:
    from airdefense.scenario import library

    rows = ["| name | what it is for |", "|---|---|"]
    for name, path in library.bundled().items():
        mark = " (default)" if name == library.DEFAULT_SCENARIO else ""
        rows.append(f"| `{name}`{mark} | {_cell(library.describe(path))} |")
    return "\n".join(rows) + "\n"


# --- the command line ---------------------------------------------------------------------


def cli_help(command: str | None) -> str:
    from typer.testing import CliRunner

    from airdefense.cli import app

    args = [command, "--help"] if command else ["--help"]
    env = {"COLUMNS": "100", "TERM": "dumb", "NO_COLOR": "1"}
    result = CliRunner().invoke(app, args, prog_name="airdefense", env=env)
    if result.exit_code != 0:
        raise RuntimeError(f"airdefense {' '.join(args)} failed: {result.output}")
    lines = [line.rstrip() for line in result.output.splitlines()]
    text = "\n".join(lines).strip("\n")
    return f"```text\n$ airdefense {' '.join(args)}\n{text}\n```\n"


# --- the run record -----------------------------------------------------------------------


def _ddl_columns(ddl: str) -> list[tuple[str, str, str]]:
    """(columns, SQL types, meaning) of a declared table, a row per line of its DDL: the
    columns declared on one line share that line's comment (``x DOUBLE, y DOUBLE -- ENU m``)."""
    rows: list[tuple[str, str, str]] = []
    for line in ddl.strip().splitlines():
        code, _, comment = line.partition("--")
        decls = [d.split(maxsplit=1) for d in code.split(",") if d.strip()]
        names = ", ".join(_code(d[0]) for d in decls)
        sqls = list(dict.fromkeys(d[1].strip() for d in decls))
        rows.append((names, ", ".join(sqls), comment.strip()))
    return rows


def record_tables(_: str | None) -> str:
    from airdefense.record.schema import TABLES
    from airdefense.types.events import EVENT_COLUMNS

    out: list[str] = []
    for table, ddl in TABLES.items():
        out.append(f"### `{table}` {{#table-{table.replace('_', '-')}}}\n")
        if table == "events":
            cols = [(_code(n), sql, meaning) for n, (sql, meaning) in EVENT_COLUMNS.items()]
            out.append("One row per event; each kind fills its own columns (see below).\n")
        else:
            cols = _ddl_columns(ddl)
        out.append("| column | type | meaning |")
        out.append("|---|---|---|")
        out.extend(f"| {n} | {sql} | {_cell(m)} |" for n, sql, m in cols)
        out.append("")
    return "\n".join(out)


def record_summary(_: str | None) -> str:
    from airdefense.record.schema import SUMMARY_COLUMNS

    rows = ["| column | type | meaning |", "|---|---|---|"]
    rows.extend(f"| `{n}` | {sql} | {_cell(m)} |" for n, (sql, m) in SUMMARY_COLUMNS.items())
    return "\n".join(rows) + "\n"


def record_views(_: str | None) -> str:
    from airdefense.record.schema import VIEWS

    view = " ".join(VIEWS["engagements"].split())
    return f"```sql\nCREATE VIEW engagements AS {view}\n```\n"


def record_events(_: str | None) -> str:
    from airdefense.types import events as ev

    rows = ["| kind (`events_<kind>` view) | what | columns |", "|---|---|---|"]
    for kind, cls in ev.EVENT_TYPES.items():
        cols = ", ".join(_code(f.name) for f in dataclasses.fields(cls))
        rows.append(
            f"| `{kind.value}` | {_cell(_rst_to_md(_first_paragraph(cls.__doc__)))} | {cols} |"
        )
    vocab = [
        ("reason of `track_dropped`", ev.TRACK_DROP_REASONS),
        ("reason of `interceptor_end`, `interceptors.end_reason`", ev.INTERCEPTOR_ENDS),
        ("identity, previous_identity", ev.IDENTITIES),
        ("rule of `identified`", ev.IDENTIFICATION_RULES),
        ("reason of `leak`", ev.LEAK_REASONS),
        ("reason of `object_end`", ev.OBJECT_END_REASONS),
    ]
    rows += ["", "| column | its values |", "|---|---|"]
    rows.extend(f"| {what} | {', '.join(_code(v) for v in values)} |" for what, values in vocab)
    return "\n".join(rows) + "\n"


GENERATORS = {
    "scenario-reference": scenario_reference,
    "preset-fields": preset_fields,
    "presets": presets,
    "bundled-scenarios": bundled_scenarios,
    "cli": cli_help,
    "record-tables": record_tables,
    "record-summary": record_summary,
    "record-views": record_views,
    "record-events": record_events,
}
