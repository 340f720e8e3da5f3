"""The tracker's configuration: the scenario's tracker settings plus sensor sites.

The settings themselves (filter, gates, M-of-N, ...) are declared once, in
:class:`airdefense.types.settings.TrackerSettings`, so a scenario's ``tracking:`` section and
``airdefense track --config`` accept the same fields (read by
:func:`airdefense.scenario.load.load_model`, the YAML edge).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from airdefense.types.settings import Origin, TrackerSettings


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
