"""The run database's tables and the event log's schema.

Every table of ``run.duckdb`` is declared here, once; writers and readers (report, replay,
interop, Monte Carlo) use these names. Units are SI and radians, as inside the simulator;
latitude/longitude are degrees (WGS-84) because that is what every map expects.
Time ``t`` is seconds since scenario start.
"""

from __future__ import annotations

from enum import StrEnum


class EventKind(StrEnum):
    """Kinds of events in the log (ARCHITECTURE.md, 'Events')."""

    LAUNCH = "launch"  # a threat launched / a civil flight entered the picture
    FIRST_DETECTION = "first_detection"  # first plot of an object by any sensor
    DETECTION = "detection"  # reserved: plots live in the detections table
    TRACK_CONFIRMED = "track_confirmed"
    TRACK_DROPPED = "track_dropped"
    IDENTIFIED = "identified"
    ENGAGEMENT_PLANNED = "engagement_planned"
    INTERCEPT = "intercept"
    KILL = "kill"
    MISS = "miss"
    LEAK = "leak"  # a threat reached its aim point alive
    ASSET_HIT = "asset_hit"  # ... inside a defended asset's radius
    END = "end"  # an object's trajectory ended for another reason (landing, end of record)


#: DDL of every table, in creation order. Columns are documented inline.
TABLES: dict[str, str] = {
    "meta": """
        key VARCHAR NOT NULL,        -- scenario, seed, trial, version, frame origin, ...
        value VARCHAR NOT NULL
    """,
    "assets": """
        asset_id INTEGER NOT NULL,
        name VARCHAR NOT NULL,
        x DOUBLE, y DOUBLE, z DOUBLE,        -- ENU m
        lat_deg DOUBLE, lon_deg DOUBLE, alt_m DOUBLE,
        radius_m DOUBLE, value DOUBLE
    """,
    "sensors": """
        sensor_id INTEGER NOT NULL,
        name VARCHAR NOT NULL,
        preset VARCHAR NOT NULL,
        role VARCHAR, scan VARCHAR,
        x DOUBLE, y DOUBLE, z DOUBLE,        -- ENU m of the antenna phase centre
        lat_deg DOUBLE, lon_deg DOUBLE, alt_m DOUBLE,
        antenna_height_m DOUBLE,
        boresight_rad DOUBLE, sector_width_rad DOUBLE,
        scan_period_s DOUBLE, max_range_m DOUBLE,
        min_elevation_rad DOUBLE, max_elevation_rad DOUBLE
    """,
    "coverage": """
        sensor_id INTEGER NOT NULL,
        rcs_m2 DOUBLE NOT NULL,              -- reference target of the diagram
        ground_range_m DOUBLE NOT NULL,
        height_m DOUBLE NOT NULL,            -- target height above the ellipsoid
        snr_db DOUBLE, pd DOUBLE,            -- single-scan Pd, 0 where masked
        visible BOOLEAN                      -- line of sight over the 4/3 Earth and in elevation limits
    """,
    "objects": """
        object_id INTEGER NOT NULL,
        name VARCHAR NOT NULL,
        category VARCHAR NOT NULL,           -- ballistic | cruise | drone | aircraft | civil
        preset VARCHAR NOT NULL,
        raid INTEGER,                        -- index into scenario raids, -1 for civil traffic
        hostile BOOLEAN,
        rcs_m2 DOUBLE, swerling INTEGER,
        start_s DOUBLE, end_s DOUBLE,
        end_reason VARCHAR,                  -- impact | landed | record_end | killed | duration
        aim_asset INTEGER,                   -- asset_id aimed at, -1 for none
        aim_x DOUBLE, aim_y DOUBLE, aim_z DOUBLE,
        cost_usd DOUBLE
    """,
    "truth": """
        t DOUBLE NOT NULL,
        object_id INTEGER NOT NULL,
        x DOUBLE, y DOUBLE, z DOUBLE,        -- ENU m
        vx DOUBLE, vy DOUBLE, vz DOUBLE,     -- ENU m/s
        lat_deg DOUBLE, lon_deg DOUBLE, alt_m DOUBLE
    """,
    "detections": """
        t DOUBLE NOT NULL,
        sensor_id INTEGER NOT NULL,
        scan INTEGER NOT NULL,               -- scan number of that sensor
        range_m DOUBLE, azimuth_rad DOUBLE, elevation_rad DOUBLE,   -- measured, sensor-local
        sigma_range_m DOUBLE, sigma_azimuth_rad DOUBLE, sigma_elevation_rad DOUBLE,
        snr_db DOUBLE,
        x DOUBLE, y DOUBLE, z DOUBLE,        -- measured position in the scenario ENU frame
        truth_id INTEGER NOT NULL            -- object_id, -1 for a false alarm (scoring only)
    """,
    "tracks": """
        t DOUBLE NOT NULL,                   -- one row per track per update or missed revisit
        track_id INTEGER NOT NULL,
        x DOUBLE, y DOUBLE, z DOUBLE, vx DOUBLE, vy DOUBLE, vz DOUBLE,   -- ENU m, m/s
        status VARCHAR NOT NULL,             -- tentative | confirmed | coasting
        sx DOUBLE, sy DOUBLE, sz DOUBLE,     -- position standard deviations (m)
        quality DOUBLE,                      -- 0..1, recent hit ratio
        truth_id INTEGER                     -- object_id of the updating plot, -1 none (scoring only)
    """,
    "track_metrics": """
        t DOUBLE NOT NULL,                   -- evaluation time (the truth grid)
        gospa_m DOUBLE,                      -- GOSPA (c = 2 km, p = 2, alpha = 2)
        localisation_m2 DOUBLE, missed_m2 DOUBLE, false_m2 DOUBLE,   -- its parts, GOSPA^2 = sum
        truths INTEGER, tracks INTEGER       -- objects in the picture, confirmed tracks
    """,
    "events": """
        t DOUBLE NOT NULL,
        kind VARCHAR NOT NULL,               -- an EventKind
        object_id INTEGER,                   -- -1 where none
        sensor_id INTEGER,                   -- -1 where none
        track_id INTEGER,                    -- -1 where none
        x DOUBLE, y DOUBLE, z DOUBLE,        -- where it happened (ENU m), NULL if not spatial
        value DOUBLE,                        -- kind-specific number (e.g. range of first detection)
        detail VARCHAR                       -- kind-specific text
    """,
    "engagements": """
        t DOUBLE NOT NULL,                   -- launch time; one row per interceptor
        battery VARCHAR, missile VARCHAR,
        track_id INTEGER, object_id INTEGER, -- the track fired at, and the object behind it
        outcome VARCHAR,                     -- kill | miss | timeout | ground | target_gone | destroyed | flying
        cost_usd DOUBLE                      -- the interceptor's price
    """,
    "batteries": """
        battery_id INTEGER NOT NULL,         -- one row per battery and missile type it carries
        battery VARCHAR NOT NULL,            -- the scenario's name for it
        preset VARCHAR NOT NULL,             -- BatteryPreset
        missile VARCHAR NOT NULL,            -- MissilePreset
        x DOUBLE, y DOUBLE, z DOUBLE,        -- ENU m of the launchers
        lat_deg DOUBLE, lon_deg DOUBLE, alt_m DOUBLE,
        rounds_loaded INTEGER, rounds_left INTEGER,
        min_range_m DOUBLE, max_range_m DOUBLE,
        min_altitude_m DOUBLE, max_altitude_m DOUBLE,
        cost_usd DOUBLE,                     -- price of one round
        launchers INTEGER, target_channels INTEGER, missile_channels INTEGER,
        launch_interval_s DOUBLE, reaction_time_s DOUBLE
    """,
    "flyout": """
        missile VARCHAR NOT NULL,            -- missile preset
        ground_range_m DOUBLE NOT NULL,
        height_m DOUBLE NOT NULL,            -- intercept height above the ellipsoid
        time_s DOUBLE,                       -- flyout time to that point (NULL: unreachable)
        speed_mps DOUBLE                     -- speed on arrival
    """,
    "first_detections": """
        object_id INTEGER NOT NULL,
        t DOUBLE NOT NULL,                   -- time of the first plot of the object
        sensor_id INTEGER NOT NULL,
        range_m DOUBLE,                      -- slant range from that sensor
        height_m DOUBLE                      -- object height then
    """,
}

#: Columns of the one-row summary table, with their SQL types and meaning.
SUMMARY_COLUMNS: dict[str, tuple[str, str]] = {
    "scenario": ("VARCHAR", "scenario name"),
    "seed": ("BIGINT", "scenario seed"),
    "trial": ("INTEGER", "trial number (0 for a single run)"),
    "duration_s": ("DOUBLE", "simulated time"),
    "objects": ("INTEGER", "objects in the world (threats and civil)"),
    "threats": ("INTEGER", "hostile objects launched"),
    "civil": ("INTEGER", "civil flights"),
    "sensors": ("INTEGER", "radars"),
    "detections": ("BIGINT", "plots of real objects"),
    "false_alarms": ("BIGINT", "plots of noise"),
    "threats_detected": ("INTEGER", "threats with at least one plot"),
    "civil_detected": ("INTEGER", "civil flights with at least one plot"),
    "mean_warning_s": ("DOUBLE", "mean time from first detection to a threat's end"),
    "leakers": ("INTEGER", "threats that reached their aim point"),
    "assets_hit": ("INTEGER", "threats that hit inside a defended asset"),
    "civil_engaged": ("INTEGER", "civil flights engaged (must be 0)"),
    "interceptors_used": ("INTEGER", "interceptors launched"),
    "tracks_confirmed": ("INTEGER", "tracks confirmed (M-of-N)"),
    "gospa_mean_m": ("DOUBLE", "mean GOSPA (c = 2 km, p = 2) of the confirmed tracks"),
    "track_completeness": ("DOUBLE", "SIAP completeness: share of seen objects held by a track"),
    "kills": ("INTEGER", "threats killed by interceptors"),
    "interceptor_cost_usd": ("DOUBLE", "cost of the interceptors launched"),
    "cost_exchange_ratio": ("DOUBLE", "interceptor cost / cost of the threats killed"),
    "threats_identified": ("INTEGER", "threats whose track was identified hostile"),
    "civil_identified_hostile": ("INTEGER", "civil flights whose track was called hostile"),
}
