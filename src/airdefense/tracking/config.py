"""The tracker's configuration: the scenario's tracker settings plus sensor sites, from YAML.

The settings themselves (filter, gates, M-of-N, ...) are declared once, in
:class:`airdefense.types.settings.TrackerSettings`, so a scenario's ``tracking:`` section and
``airdefense track --config`` accept the same fields.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from airdefense.types.settings import TrackerSettings


class SensorSite(BaseModel):
    """Where a polar sensor stands: ENU metres in the tracker's frame, or geodetic degrees
    (then the config needs an ``origin``). Angles are measured in the sensor's local
    east-north-up axes when an origin is given, in the frame's axes otherwise."""

    model_config = ConfigDict(extra="forbid")

    east_m: float | None = None
    north_m: float | None = None
    up_m: float | None = None
    lat_deg: float | None = Field(default=None, ge=-90, le=90)
    lon_deg: float | None = Field(default=None, ge=-180, le=180)
    alt_m: float | None = None
    revisit_s: float | None = Field(
        default=None, gt=0, description="Scan period; default: measured from the data."
    )

    @model_validator(mode="after")
    def _one_form(self) -> SensorSite:
        enu = [self.east_m, self.north_m, self.up_m]
        geo = [self.lat_deg, self.lon_deg, self.alt_m]
        if all(v is not None for v in enu) and all(v is None for v in geo):
            return self
        if all(v is not None for v in geo) and all(v is None for v in enu):
            return self
        raise ValueError("give either east_m, north_m, up_m or lat_deg, lon_deg, alt_m")


class Origin(BaseModel):
    """The geodetic origin of the tracker's ENU frame."""

    model_config = ConfigDict(extra="forbid")

    lat_deg: float = Field(ge=-90, le=90)
    lon_deg: float = Field(ge=-180, le=180)
    alt_m: float = 0.0


class TrackerConfig(TrackerSettings):
    """Tracker settings plus, for files of polar plots, where the sensors stand."""

    origin: Origin | None = None
    sensors: dict[int, SensorSite] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> TrackerConfig:
        geodetic = [k for k, s in self.sensors.items() if s.lat_deg is not None]
        if geodetic and self.origin is None:
            raise ValueError(f"sensors {geodetic} are geodetic: the config needs an origin")
        return self


def load_config(path: str | Path) -> TrackerConfig:
    """Read a tracker YAML file (``yaml.safe_load``) into a validated config.

    Raises ``airdefense.scenario.load.ScenarioError`` whose text is one line,
    ``FILE: field: what is wrong (what is allowed)``.
    """
    import yaml
    from pydantic import ValidationError

    from airdefense.scenario.load import ScenarioError, _describe, _first_error, _loc_path

    p = Path(path)
    source = str(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScenarioError(source, "", f"cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        raise ScenarioError(source, where, "not valid YAML") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ScenarioError(source, "", "a tracker config is a mapping of settings")
    try:
        return TrackerConfig.model_validate(data)
    except ValidationError as exc:
        err = _first_error(exc)
        raise ScenarioError(source, _loc_path(err["loc"]), _describe(err, TrackerConfig)) from None
