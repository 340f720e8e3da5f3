"""The tracker's configuration: the scenario's tracker settings plus sensor sites.

The settings themselves (filter, gates, M-of-N, ...) are declared once, in
:class:`airdefense.types.settings.TrackerSettings`, so a scenario's ``tracking:`` section and
``airdefense track --config`` accept the same fields (read by
:func:`airdefense.scenario.load.load_model`, the YAML edge).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from airdefense.strict import StrictModel
from airdefense.types.settings import Origin, TrackerSettings


class SensorSite(StrictModel):
    """Where a polar sensor stands: ENU metres in the tracker's frame, or geodetic degrees
    (then the config needs an ``origin``). Angles are measured in the sensor's local
    east-north-up axes when an origin is given, in the frame's axes otherwise."""

    east_m: float | None = Field(default=None, ge=-1e7, le=1e7)
    north_m: float | None = Field(default=None, ge=-1e7, le=1e7)
    up_m: float | None = Field(default=None, ge=-1e5, le=1e6)
    lat_deg: float | None = Field(default=None, ge=-90, le=90)
    lon_deg: float | None = Field(default=None, ge=-180, le=180)
    alt_m: float | None = Field(default=None, ge=-500.0, le=100_000.0)
    revisit_s: float | None = Field(
        default=None, gt=0, le=3_600.0, description="Scan period; default: measured from the data."
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
    sensors: dict[Annotated[int, Field(ge=0, le=65_535)], SensorSite] = Field(
        default_factory=dict,
        description="Polar sensors by id (an ASTERIX source: SAC x 256 + SIC).",
    )

    @model_validator(mode="after")
    def _check(self) -> TrackerConfig:
        geodetic = [k for k, s in self.sensors.items() if s.lat_deg is not None]
        if geodetic and self.origin is None:
            raise ValueError(f"sensors {geodetic} are geodetic: the config needs an origin")
        return self
