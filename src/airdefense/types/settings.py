"""The typed parameters of the stages: tracker settings, rules of engagement and doctrine.

They live on the ground floor because both ends use them: a scenario file's ``tracking:``,
``rules_of_engagement:`` and ``doctrine:`` sections are these models (validated once, with
the unit of every field in its name and its default and bounds in the scenario's JSON
Schema), and the stages read them from the :class:`~airdefense.types.theatre.Theatre`. Every
number a decision layer uses is a field here: nothing is a hidden constant.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from airdefense.strict import StrictModel


class _Model(StrictModel):
    """Unknown keys refused, frozen, finite numbers, no true/false for a number."""


class Origin(_Model):
    """The WGS-84 origin of a local ENU frame (a scenario's, or a tracker file's). Latitudes
    within a degree of a pole are refused: the scenario's map (an azimuthal projection about
    the origin) and its east/north axes degenerate there."""

    lat_deg: float = Field(ge=-89.0, le=89.0, description="WGS-84 latitude.")
    lon_deg: float = Field(ge=-180.0, le=180.0, description="WGS-84 longitude.")
    alt_m: float = Field(0.0, ge=-500.0, le=9000.0, description="Height above the ellipsoid.")


ThreatClass = Literal["aircraft", "cruise", "drone", "ballistic"]


class RulesOfEngagement(_Model):
    """Which track identities may be engaged, and the evidence identification works from."""

    engage_identities: list[Literal["hostile", "unknown"]] = Field(
        default_factory=lambda: ["hostile"],
        description="Identities that may be engaged. Civil and friend never may.",
    )
    unknown_inside_km: float | None = Field(
        default=None,
        gt=0.0,
        le=10_000.0,
        description="With 'unknown' listed: only unknowns predicted to reach an asset within "
        "this distance (self-defence); None: any threatening unknown.",
    )
    reply_probability: float = Field(
        0.95, gt=0.0, le=1.0, description="A transponder answers an interrogation."
    )
    silent_interrogations: int = Field(
        3, ge=1, le=100, description="Unanswered interrogations running that make hostile."
    )
    flight_plan_distance_km: float = Field(
        5.0, gt=0.0, le=100.0, description="A track this close to a filed civil flight plan."
    )
    flight_plan_time_scale_mps: float = Field(
        100.0,
        gt=0.0,
        le=10_000.0,
        description="Metres of plan distance one second between a track's time and the plan's "
        "counts as (correlation in space and time).",
    )
    flight_plan_updates: int = Field(
        2, ge=1, le=100, description="Track updates near a flight plan that correlate it."
    )
    ballistic_speed_mps: float = Field(
        1_000.0,
        gt=0.0,
        le=10_000.0,
        description="A track faster than this flies what no aircraft flies (a ballistic arc).",
    )
    ballistic_climb_mps: float = Field(
        300.0,
        gt=0.0,
        le=10_000.0,
        description="A track climbing or diving faster than this flies a ballistic arc.",
    )
    ballistic_updates: int = Field(
        2,
        ge=1,
        le=100,
        description="Updates of a track on an arc that make it ballistic (one wild velocity, "
        "a track jumping to another plot, is no arc).",
    )
    low_level_m: float = Field(
        300.0,
        ge=0.0,
        le=10_000.0,
        description="Below this height a track faster than low_level_speed_mps is noted as "
        "flying low and fast, which airliners do not (they are slow there, on approach).",
    )
    low_level_speed_mps: float = Field(120.0, gt=0.0, le=10_000.0, description="See low_level_m.")


def _default_salvo() -> dict[str, int]:
    return {"aircraft": 2, "cruise": 1, "drone": 1, "ballistic": 2}


def _default_damage() -> dict[str, float]:
    return {"aircraft": 0.1, "cruise": 0.2, "drone": 0.02, "ballistic": 0.3}


class Doctrine(_Model):
    """How the batteries fight: decision cycle, salvo sizes, reserve, what things are worth."""

    decision_cycle_s: float = Field(
        2.0, gt=0.0, le=60.0, description="Period of the decision cycle (evaluate, assign, fire)."
    )
    salvo: dict[ThreatClass, Annotated[int, Field(ge=0, le=16)]] = Field(
        default_factory=_default_salvo,
        description="Most interceptors fired at one threat of a class in one cycle (a class "
        "not listed keeps its default; 0: never fire at that class).",
    )
    shoot_look_shoot: bool = Field(
        True,
        description="While a threat's interceptors fly, fire no more at it if a second "
        "salvo after their outcome would still be in time.",
    )
    reserve_fraction: float = Field(
        0.1, ge=0.0, lt=1.0, description="Share of each battery's rounds kept for later waves."
    )
    damage_share: dict[ThreatClass, Annotated[float, Field(ge=0.0, le=1.0)]] = Field(
        default_factory=_default_damage,
        description="Share of an asset's value one threat of a class destroys (a class not "
        "listed keeps its default).",
    )
    value_per_million_usd: float = Field(
        1.0,
        ge=0.0,
        le=1e6,
        description="What an interceptor's cost weighs against asset value: value units per "
        "US$1M (0: fire whatever is most likely to kill).",
    )
    flyout_fraction: float = Field(
        0.7,
        gt=0.0,
        le=1.0,
        description="Fire only at an intercept reached within this share of the missile's "
        "maximum flight time (inside its no-escape zone: a target turning away from a missile "
        "fired at the edge of its envelope outruns it).",
    )
    covered_survival: float = Field(
        0.05,
        ge=0.0,
        le=1.0,
        description="A threat whose interceptors in flight leave it less than this chance of "
        "surviving is not planned for again until their outcome is known.",
    )
    planning_horizon_s: float = Field(
        600.0, gt=0.0, le=7_200.0, description="Longest look-ahead for an intercept."
    )
    intercept_search_step_s: float = Field(
        2.0,
        gt=0.0,
        le=60.0,
        description="Step of the search for the earliest feasible intercept along a threat's "
        "predicted path (then refined by bisection).",
    )
    intercept_tolerance_s: float = Field(
        0.1, gt=0.0, le=10.0, description="Bisection tolerance of the intercept time."
    )
    retarget_range_km: float = Field(
        15.0,
        ge=0.0,
        le=1_000.0,
        description="An interceptor whose target is reported killed takes a live hostile track "
        "this close to it, or self-destructs.",
    )
    drone_max_speed_mps: float = Field(
        80.0,
        gt=0.0,
        le=10_000.0,
        description="Threat class from kinematics: a track slower than this is a drone.",
    )
    cruise_max_height_m: float = Field(
        1_500.0,
        gt=0.0,
        le=100_000.0,
        description="Threat class from kinematics: a faster track below this height is a "
        "cruise missile, above it an aircraft (a track seen on a ballistic arc is ballistic).",
    )
    solver_time_limit_s: float = Field(
        0.5,
        gt=0.0,
        le=600.0,
        description="Wall-clock limit of the exact assignment's MILP per decision cycle "
        "(reached only where the branch and bound cannot finish).",
    )
    solver: Literal["auto", "exact", "heuristic"] = Field(
        "auto",
        description="Assignment solver per decision cycle: auto (a proven optimum by branch "
        "and bound where it finishes quickly, else the heuristic), exact (a proven optimum, "
        "by MILP where branch and bound cannot finish) or heuristic.",
    )

    @field_validator("salvo", mode="after")
    @classmethod
    def _every_class_salvo(cls, value: dict[str, int]) -> dict[str, int]:
        return {**_default_salvo(), **value}

    @field_validator("damage_share", mode="after")
    @classmethod
    def _every_class_damage(cls, value: dict[str, float]) -> dict[str, float]:
        return {**_default_damage(), **value}


class TrackerSettings(_Model):
    """How the tracker runs: filter, association, gates and track management.

    Defaults follow Blackman and Popoli, *Design and Analysis of Modern Tracking Systems*
    (1999): a 3-of-5 confirmation, deletion after a few missed revisits, a chi-square gate
    at probability 0.9997 on three degrees of freedom. ``airdefense track --config`` reads
    the same settings (plus the sensors' positions) from a YAML file.
    """

    filter: Literal["cv", "imm"] = Field(
        default="imm",
        description="imm: IMM of constant velocity and constant acceleration, for an air "
        "picture where fighters turn and missiles boost and re-enter; cv: one Kalman filter, "
        "constant velocity (faster, for benign traffic).",
    )
    association: Literal["gnn", "jpda"] = Field(
        "gnn",
        description="gnn: global nearest neighbour (one plot a track, an optimal assignment); "
        "jpda: joint probabilistic data association (every plot in the gate, weighted).",
    )
    process_noise_m2ps3: float = Field(
        default=5.0,
        gt=0,
        le=1e6,
        description="Power spectral density q of the continuous white-noise acceleration of "
        "the constant-velocity model (m^2/s^3; Stone Soup's noise_diff_coeff); the IMM's "
        "quiet model uses it too.",
    )
    manoeuvre_model: Literal["singer", "ca"] = Field(
        default="singer",
        description="IMM manoeuvring model: singer (constant acceleration fading with "
        "manoeuvre_time_s; bounded, suits long revisits) or ca (Wiener-process constant "
        "acceleration, q = 2 sigma^2 / tau; suits revisits of a second or two).",
    )
    manoeuvre_acceleration_mps2: float = Field(
        default=30.0,
        gt=0,
        le=2_000.0,
        description="IMM manoeuvring model (Singer): standard deviation of the target's "
        "manoeuvre acceleration (m/s^2; 30 is about 3 g).",
    )
    manoeuvre_time_s: float = Field(
        default=20.0,
        gt=0,
        le=3_600.0,
        description="IMM manoeuvring model (Singer): how long a manoeuvre's acceleration "
        "persists (time constant, s).",
    )
    imm_switch_probability: float = Field(
        default=0.05, gt=0, lt=1, description="IMM: chance per update of switching model."
    )
    gate_probability: float = Field(
        default=0.9997,
        gt=0.5,
        lt=1,
        description="Chance that a track's own plot falls in its (chi-square) gate.",
    )
    detection_probability: float = Field(
        default=0.9, gt=0, le=1, description="JPDA: a target's chance of a plot per scan."
    )
    clutter_density_per_m3: float = Field(
        default=1e-13, gt=0, le=1e-3, description="JPDA: false plots per cubic metre per scan."
    )
    confirm_m: int = Field(default=3, ge=1, le=100, description="M of the M-of-N confirmation.")
    confirm_n: int = Field(default=5, ge=1, le=100, description="N of the M-of-N confirmation.")
    max_misses: int = Field(
        default=3,
        ge=1,
        le=100,
        description="Confirmed track dropped after this many missed revisits.",
    )
    tentative_max_misses: int = Field(
        default=2,
        ge=1,
        le=100,
        description="Tentative track dropped after this many missed revisits.",
    )
    max_position_sigma_m: float = Field(
        default=20_000.0,
        gt=0,
        le=1e7,
        description="Dropped when the position sigma grows past this.",
    )
    max_speed_mps: float = Field(
        default=1_500.0,
        gt=0,
        le=20_000.0,
        description="A new track's velocity prior: zero mean, this as its 1-sigma per axis / 2.",
    )
    revisit_s: float | None = Field(
        default=None,
        gt=0,
        le=3_600.0,
        description="Revisit time of Cartesian measurements; default: measured from the data.",
    )
    batch_window_s: float = Field(
        default=1.0,
        ge=0,
        le=3_600.0,
        description="Plots of one sensor within this time of each other form one batch.",
    )

    @model_validator(mode="after")
    def _m_of_n(self) -> TrackerSettings:
        if self.confirm_m > self.confirm_n:
            raise ValueError(
                f"confirm_m ({self.confirm_m}) must be <= confirm_n ({self.confirm_n})"
            )
        return self
