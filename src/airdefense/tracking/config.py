"""Tracker settings: one validated pydantic model, loadable from a YAML file.

Defaults follow Blackman and Popoli, *Design and Analysis of Modern Tracking Systems*
(1999): a 3-of-5 confirmation, deletion after a few missed revisits, a chi-square gate at
probability 0.9997 on three degrees of freedom.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


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


class TrackerConfig(BaseModel):
    """Everything the tracker can be told. Units are in the field names."""

    model_config = ConfigDict(extra="forbid")

    filter: Literal["cv", "imm"] = Field(
        default="cv",
        description="cv: Kalman filter, constant velocity; imm: IMM of constant velocity and "
        "constant acceleration (manoeuvring targets).",
    )
    association: Literal["gnn", "jpda"] = "gnn"
    process_noise_m2ps3: float = Field(
        default=1.0,
        gt=0,
        description="Power spectral density q of the continuous white-noise acceleration of "
        "the constant-velocity model (m^2/s^3; Stone Soup's noise_diff_coeff); the IMM's "
        "quiet model uses it too.",
    )
    manoeuvre_noise_m2ps5: float = Field(
        default=1000.0,
        gt=0,
        description="IMM manoeuvring model (Wiener-process acceleration): power spectral "
        "density of the white jerk noise (m^2/s^5).",
    )
    imm_switch_probability: float = Field(default=0.05, gt=0, lt=1)
    gate_probability: float = Field(default=0.9997, gt=0.5, lt=1)
    detection_probability: float = Field(default=0.9, gt=0, le=1)
    clutter_density_per_m3: float = Field(
        default=1e-13, gt=0, description="JPDA: false plots per cubic metre per scan."
    )
    confirm_m: int = Field(default=3, ge=1, description="M of the M-of-N confirmation.")
    confirm_n: int = Field(default=5, ge=1, description="N of the M-of-N confirmation.")
    max_misses: int = Field(
        default=3, ge=1, description="Confirmed track dropped after this many missed revisits."
    )
    tentative_max_misses: int = Field(default=2, ge=1)
    max_position_sigma_m: float = Field(
        default=20_000.0, gt=0, description="Dropped when the position sigma grows past this."
    )
    max_speed_mps: float = Field(
        default=1_500.0,
        gt=0,
        description="A new track's velocity prior: zero mean, this as its 1-sigma per axis / 2.",
    )
    revisit_s: float | None = Field(
        default=None,
        gt=0,
        description="Revisit time of Cartesian measurements; default: measured from the data.",
    )
    batch_window_s: float = Field(
        default=1.0,
        ge=0,
        description="Plots of one sensor within this time of each other form one batch.",
    )
    origin: Origin | None = None
    sensors: dict[int, SensorSite] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> TrackerConfig:
        if self.confirm_m > self.confirm_n:
            raise ValueError(
                f"confirm_m ({self.confirm_m}) must be <= confirm_n ({self.confirm_n})"
            )
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
