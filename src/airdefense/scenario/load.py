"""Loading a scenario file: YAML (safe_load only), validation, and one clear line per error.

Every error is a :class:`ScenarioError` whose text is ``FILE: path.to.field: what is wrong
(what is allowed or what was given)``, the line the CLI prints after ``error:``. Structural
errors come from the pydantic models; the checks that need the preset catalogue or several
fields at once (preset names, overrides, aim assets, the area, ballistic ranges, the size of
the time grid) are made here with the same field paths.
"""

from __future__ import annotations

import functools
import math
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from airdefense.errors import AirdefenseError
from airdefense.geo import Frame
from airdefense.scenario import yamlfile
from airdefense.scenario.models import Position, Raid, Scenario, Sensor
from airdefense.systems import catalog
from airdefense.systems.models import BatteryPreset, RadarPreset, ThreatPreset

#: Truth memory allowed for one run (positions, velocities, heights on the time grid).
MAX_TRUTH_BYTES = 2 * 1024**3
#: Bytes of truth per object per time step: pos (3) + vel (3) + height (1) float64.
TRUTH_BYTES_PER_SAMPLE = 7 * 8
#: Flights per recorded collection, used to size the time grid before loading them.
COLLECTION_FLIGHTS = {"quickstart": 240, "switzerland": 1250}
#: Preset fields a scenario may not override (they identify the preset).
_FIXED_FIELDS = {"name", "description", "sources"}


class ScenarioError(AirdefenseError):
    """A scenario that cannot run: the file, the field's path in it and what is wrong."""

    def __init__(self, source: str, path: str, message: str) -> None:
        super().__init__(message, source=source, field=path)

    @property
    def path(self) -> str:
        """The field's dotted path (``raids[0].count``), empty for the whole file."""
        return self.field


def load_scenario(path: str | Path) -> Scenario:
    """Read, parse and check a scenario file; raise ScenarioError with one clear line."""
    return parse_scenario(_read_text(path, "a scenario"), str(path))


def parse_scenario(text: str, source: str = "<scenario>") -> Scenario:
    """Parse and check scenario YAML text; ``source`` names it in error messages."""
    return scenario_from_mapping(_parse_mapping(text, source, "scenario fields"), source)


M = TypeVar("M", bound=BaseModel)


def load_model(path: str | Path, model: type[M], what: str = "settings") -> M:
    """Read a YAML file of ``model``'s fields (e.g. the tracker's ``--config``), with the
    same guards and one-line errors as a scenario file; an empty file is the defaults."""
    source = str(path)
    text = _read_text(path, f"a file of {what}")
    data = _parse_mapping(text, source, what, empty_ok=True)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = _first_error(exc)
        raise ScenarioError(source, _loc_path(err["loc"]), _describe(err, model)) from None


def _read_text(path: str | Path, what: str) -> str:
    """A YAML file's text (a regular UTF-8 file of bounded size: :mod:`.yamlfile`);
    ScenarioError for anything else, and for a file that cannot be read."""
    source = str(path)
    try:
        return yamlfile.read_text(path, what)
    except yamlfile.YamlProblem as exc:
        raise ScenarioError(source, exc.where, exc.message) from None
    except FileNotFoundError:
        raise ScenarioError(source, "", "no such file") from None
    except OSError as exc:
        raise ScenarioError(source, "", f"cannot read ({exc.strerror or exc})") from None


def _parse_mapping(text: str, source: str, what: str, empty_ok: bool = False) -> dict[str, Any]:
    """YAML text (bounded and safe: :mod:`.yamlfile`) that must be a mapping of ``what``."""
    try:
        data = yamlfile.load(text)
    except yamlfile.YamlProblem as exc:
        raise ScenarioError(source, exc.where, exc.message) from None
    if data is None:
        if empty_ok:
            return {}
        raise ScenarioError(source, "", f"file is empty (a YAML mapping of {what})")
    if not isinstance(data, dict):
        raise ScenarioError(
            source, "", f"must be a YAML mapping of {what} (got {type(data).__name__})"
        )
    return data


def scenario_from_mapping(data: dict[str, Any], source: str = "<scenario>") -> Scenario:
    """Validate and check a scenario given as plain data (a parsed file, or a scenario's dict
    form with changes made); ``source`` names it in error messages."""
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        err = _first_error(exc)
        raise ScenarioError(source, _loc_path(err["loc"]), _describe(err, Scenario)) from None
    check_scenario(scenario, source)
    return scenario


# --- semantic checks -----------------------------------------------------------------------


def check_scenario(s: Scenario, source: str) -> None:
    """Checks that span fields or need the catalogue; raise ScenarioError on the first."""
    frame = Frame.from_degrees(s.origin.lat_deg, s.origin.lon_deg, s.origin.alt_m)

    fail = functools.partial(_raise, source)

    def inside(path: str, pos: Position) -> None:
        d_km = math.hypot(*position_to_map(frame, pos)[:2]) / 1000.0
        if d_km > s.area_radius_km:
            fail(
                path, f"{d_km:.0f} km from the origin, outside area_radius_km {s.area_radius_km:g}"
            )

    _unique(fail, "assets", [a.name for a in s.assets])
    _unique(fail, "sensors", [x.name for x in s.sensors])
    _unique(fail, "batteries", [b.name for b in s.batteries])
    for i, a in enumerate(s.assets):
        inside(f"assets[{i}].position", a.position)
    for i, sen in enumerate(s.sensors):
        inside(f"sensors[{i}].position", sen.position)
        sensor_preset(sen, source, f"sensors[{i}]")
    asset_names = [a.name for a in s.assets]
    for i, r in enumerate(s.raids):
        where = f"raids[{i}]"
        preset = raid_preset(r, source, where)
        inside(f"{where}.launch.centre", r.launch.centre)
        if r.aim.asset is not None and r.aim.asset not in asset_names:
            known = ", ".join(asset_names) or "none defined"
            fail(f"{where}.aim.asset", f"unknown asset '{r.aim.asset}' (known: {known})")
        if r.aim.point is not None:
            inside(f"{where}.aim.point", r.aim.point)
        for j, wp in enumerate(r.route):
            inside(f"{where}.route[{j}]", wp)
        if r.launch_window_s[1] > s.duration_s:
            fail(
                f"{where}.launch_window_s",
                f"last launch {r.launch_window_s[1]:g} s is after the end of the run "
                f"(duration_s {s.duration_s:g})",
            )
        if preset.motion == "ballistic":
            if r.route:
                fail(f"{where}.route", "a ballistic threat flies no route (remove it)")
            launch = position_to_map(frame, r.launch.centre)
            aim = _aim_map(frame, s, r)
            dist_km = math.hypot(aim[0] - launch[0], aim[1] - launch[1]) / 1000.0
            reach = r.launch.radius_km + r.aim.spread_km
            if dist_km + reach > preset.max_range_km:
                fail(
                    where,
                    f"launch-to-aim distance up to {dist_km + reach:.0f} km exceeds "
                    f"{preset.name} max_range_km {preset.max_range_km:g}",
                )
            if dist_km - reach < max(preset.min_range_km, 1.0):
                fail(
                    where,
                    f"launch-to-aim distance {max(dist_km - reach, 0):.0f} km is below "
                    f"{preset.name} min_range_km {max(preset.min_range_km, 1.0):g}",
                )
    for i, c in enumerate(s.civil_traffic):
        _preset_name(source, f"civil_traffic[{i}].preset", "threat", c.preset)
        if c.centre is not None:
            inside(f"civil_traffic[{i}].centre", c.centre)
    for i, b in enumerate(s.batteries):
        where = f"batteries[{i}]"
        inside(f"{where}.position", b.position)
        bp = _preset_name(source, f"{where}.preset", "battery", b.preset)
        assert isinstance(bp, BatteryPreset)
        merged = _merge(source, f"{where}.overrides", bp, b.overrides)
        assert isinstance(merged, BatteryPreset)
        for name, n in b.loads.items():
            if name not in merged.missiles:
                fail(
                    f"{where}.loads.{name}",
                    f"not carried by {bp.name} (carries: {', '.join(merged.missiles)})",
                )
            if n < 0:
                fail(f"{where}.loads.{name}", f"must be >= 0 (got {n})")
    if not s.raids and not s.civil_traffic:
        fail("raids", "no raids and no civil traffic: nothing flies in this scenario")
    _check_grid(fail, s)


def _check_grid(fail: Any, s: Scenario) -> None:
    steps = math.floor(s.duration_s / s.time_step_s) + 1
    objects = sum(r.count for r in s.raids) + sum(
        c.max_flights or COLLECTION_FLIGHTS[c.collection] for c in s.civil_traffic
    )
    need = steps * max(objects, 1) * TRUTH_BYTES_PER_SAMPLE
    if need > MAX_TRUTH_BYTES:
        fail(
            "time_step_s",
            f"time grid of {steps:,} steps x {objects:,} objects needs {need / 1e9:.1f} GB of truth "
            f"(limit {MAX_TRUTH_BYTES / 1e9:.1f} GB); raise time_step_s or shorten duration_s",
        )


def _unique(fail: Any, field: str, names: list[str]) -> None:
    seen: set[str] = set()
    for i, n in enumerate(names):
        if n in seen:
            fail(f"{field}[{i}].name", f"duplicate name '{n}' (names must be unique)")
        seen.add(n)


def _preset_name(source: str, path: str, kind: str, name: str) -> BaseModel:
    """The catalogue's preset of that kind and name, or a ScenarioError listing the known."""
    try:
        return catalog.get(kind, name)
    except KeyError:
        known = ", ".join(catalog.known(kind))
        _raise(source, path, f"unknown {kind} preset '{name}' (known: {known})")


def _merge(source: str, path: str, preset: BaseModel, overrides: dict[str, Any]) -> BaseModel:
    """Validate a preset with overrides applied, reporting errors under ``path``."""
    if not overrides:
        return preset
    cls = type(preset)
    allowed = sorted(set(cls.model_fields) - _FIXED_FIELDS)
    for key in overrides:
        if key not in allowed:
            raise ScenarioError(
                source, f"{path}.{key}", f"unknown parameter (allowed: {', '.join(allowed)})"
            )
    data = preset.model_dump()
    data.update(overrides)
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        err = _first_error(exc)
        loc = err["loc"]
        sub = _loc_path(loc)
        field = f"{path}.{sub}" if sub and loc and loc[0] in overrides else path
        return _raise(source, field, _describe(err, cls))


def _raise(source: str, path: str, message: str) -> typing.NoReturn:
    raise ScenarioError(source, path, message)


def sensor_preset(sensor: Sensor, source: str = "<scenario>", path: str = "sensors") -> RadarPreset:
    """The sensor's radar preset with its overrides applied (validated)."""
    base = _preset_name(source, f"{path}.preset", "radar", sensor.preset)
    merged = _merge(source, f"{path}.overrides", base, sensor.overrides)
    assert isinstance(merged, RadarPreset)
    return merged


def raid_preset(raid: Raid, source: str = "<scenario>", path: str = "raids") -> ThreatPreset:
    """The raid's threat preset with its field overrides (speed, altitude, RCS) applied."""
    base = _preset_name(source, f"{path}.preset", "threat", raid.preset)
    merged = _merge(source, f"{path}.overrides", base, raid.overrides)
    direct = {
        k: v
        for k, v in (
            ("speed_mps", raid.speed_mps),
            ("cruise_altitude_m", raid.cruise_altitude_m),
            ("rcs_m2", raid.rcs_m2),
        )
        if v is not None
    }
    if direct:
        merged = _merge(source, path, merged, direct)
    assert isinstance(merged, ThreatPreset)
    return merged


def position_to_map(frame: Frame, pos: Position) -> tuple[float, float, float]:
    """A scenario position as map east, north (m) and height above the ellipsoid (m)."""
    if pos.east_km is not None and pos.north_km is not None:
        return pos.east_km * 1000.0, pos.north_km * 1000.0, pos.alt_m
    assert pos.lat_deg is not None and pos.lon_deg is not None
    e, n = frame.geodetic_to_map(math.radians(pos.lat_deg), math.radians(pos.lon_deg))
    return float(e), float(n), pos.alt_m


def _aim_map(frame: Frame, s: Scenario, r: Raid) -> tuple[float, float, float]:
    if r.aim.point is not None:
        return position_to_map(frame, r.aim.point)
    asset = next(a for a in s.assets if a.name == r.aim.asset)
    return position_to_map(frame, asset.position)


# --- pydantic errors as one line --------------------------------------------------------------


def _first_error(exc: ValidationError) -> dict[str, Any]:
    errors = exc.errors(include_url=False)
    # prefer a deeper, more specific error over a union's umbrella one
    return dict(errors[0])


def _loc_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _short(value: Any) -> str:
    """What was given, in a few words (never the whole of a big value)."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if value is None:
        return "nothing"
    text = repr(value[:60]) if isinstance(value, str) else str(value)[:60]
    return text if len(text) <= 40 else text[:37] + "..."


def _describe(err: dict[str, Any], root: type[BaseModel]) -> str:
    """One readable phrase for a pydantic error, with what is allowed and what was given."""
    kind = err["type"]
    ctx = err.get("ctx") or {}
    got = f" (got {_short(err.get('input'))})"
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        allowed = _allowed_fields(root, err["loc"][:-1])
        return f"unknown field (allowed: {', '.join(allowed)})" if allowed else "unknown field"
    limits = {
        "greater_than": ">",
        "greater_than_equal": ">=",
        "less_than": "<",
        "less_than_equal": "<=",
    }
    if kind in limits:
        bound = next(iter(ctx.values()))
        return (
            f"must be {limits[kind]} {bound:g}{got}"
            if isinstance(bound, float)
            else f"must be {limits[kind]} {bound}{got}"
        )
    if kind == "finite_number":
        return f"must be a finite number{got}"
    if kind in ("float_parsing", "float_type"):
        return f"must be a number{got}"
    if kind in ("int_parsing", "int_type"):
        return f"must be a whole number{got}"
    if kind == "int_from_float":
        return f"must be a whole number, not a fraction{got}"
    if kind in ("string_type", "string_sub_type"):
        return f"must be text{got}"
    if kind == "bool_parsing" or kind == "bool_type":
        return f"must be true or false{got}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"must be a mapping of fields{got}"
    if kind in ("list_type", "tuple_type"):
        return f"must be a list{got}"
    if kind == "too_short":
        if ctx.get("min_length", 1) == 1 and isinstance(err.get("input"), list | dict):
            return "must not be empty"
        return f"must have at least {ctx.get('min_length')} {'characters' if isinstance(err.get('input'), str) else 'items'}{got}"
    if kind == "too_long":
        return f"must have at most {ctx.get('max_length')} items{got}"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected')}{got}"
    if kind == "string_pattern_mismatch":
        return f"must be letters, digits, '.', '_' or '-' starting with a letter or digit{got}"
    if kind == "value_error":
        msg = str(ctx.get("error", err.get("msg", "")))
        return msg.removeprefix("Value error, ")
    return f"{err.get('msg', kind)}{got}"


def _allowed_fields(root: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Field names of the model found at ``loc`` below ``root`` (for 'unknown field')."""
    model: Any = root
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return []
        field = model.model_fields.get(part)
        if field is None:
            return []
        model = _unwrap(field.annotation)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return []


def _unwrap(annotation: Any) -> Any:
    """The model class inside list[X], X | None, tuple[...] annotations."""
    origin = typing.get_origin(annotation)
    if origin in (list, tuple):
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            if arg is not type(None):
                return _unwrap(arg)
    return annotation
