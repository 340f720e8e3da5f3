"""The run database's tables and views, declared once.

Every table of ``run.duckdb`` is declared here; the writer (:mod:`.rundir`) creates them and
the one reader (:mod:`.reader`) serves them to the report, the replay, the exports and the
Python API. Units are SI and radians, as inside the simulator; latitude/longitude are
degrees (WGS-84) because that is what every map expects. Time ``t`` is seconds since the
scenario's start; positions ``x, y, z`` are ENU metres in the scenario's frame (its origin
is in ``meta``). The events table's columns come from
:data:`airdefense.types.events.EVENT_COLUMNS`, one view ``events_<kind>`` per kind.

:data:`RUN_FORMAT` is the version of this layout, written to ``meta`` as ``run_format``;
a reader refuses a database of another format with one line naming the version that
wrote it.
"""

from __future__ import annotations

from airdefense.types.events import EVENT_COLUMNS, EventKind, kind_columns

#: Version of the run database's layout (1: before typed events and the interceptor
#: record; 2: typed events, interceptors, interceptor paths, objects' sides).
RUN_FORMAT = 2


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
        side VARCHAR NOT NULL,               -- hostile | friend | neutral
        hostile BOOLEAN,                     -- side = 'hostile'
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
    "events": "\n".join(
        f"{name} {sql}{',' if i < len(EVENT_COLUMNS) - 1 else ''}  -- {meaning}"
        for i, (name, (sql, meaning)) in enumerate(EVENT_COLUMNS.items())
    )
    + "\n",
    "interceptors": """
        interceptor_id INTEGER NOT NULL,     -- from 0, in launch order
        battery_id INTEGER NOT NULL,         -- batteries.battery_id
        battery VARCHAR NOT NULL,            -- its name
        launcher INTEGER NOT NULL,           -- the battery's launcher that carried it, from 0
        missile VARCHAR NOT NULL,            -- missile preset
        plan_t DOUBLE NOT NULL,              -- decision cycle that planned it
        launch_t DOUBLE NOT NULL,
        launch_x DOUBLE, launch_y DOUBLE, launch_z DOUBLE,  -- ENU m of the launcher
        track_id INTEGER NOT NULL,           -- track fired at
        object_id INTEGER NOT NULL,          -- object behind that track at launch, -1 none
        pip_t DOUBLE,                        -- predicted intercept time
        pip_x DOUBLE, pip_y DOUBLE, pip_z DOUBLE,  -- predicted intercept point (ENU m)
        pk_planned DOUBLE,                   -- planned kill probability
        retargets INTEGER NOT NULL,          -- times given another track
        end_track_id INTEGER,                -- the track it was guided on at its end
        end_object_id INTEGER,               -- the object it flew at at its end
        end_t DOUBLE,                        -- NULL: still flying when the run ended
        end_reason VARCHAR NOT NULL,         -- kill | miss | arrived_destroyed | target_gone | timeout | ground | destroyed | flying
        miss_m DOUBLE,                       -- miss distance at its closest approach, NULL: no pass
        end_x DOUBLE, end_y DOUBLE, end_z DOUBLE,  -- where it ended (ENU m)
        cost_usd DOUBLE NOT NULL             -- its price
    """,
    "interceptor_paths": """
        interceptor_id INTEGER NOT NULL,
        t DOUBLE NOT NULL,                   -- launch, every 0.5 s of flight, and its end
        x DOUBLE, y DOUBLE, z DOUBLE         -- ENU m
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
        first_launcher INTEGER,              -- the type's launchers are first_launcher ..
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

#: Views: one row per interceptor as the engagements of the first format named them, and
#: one view per event kind with only that kind's columns.
VIEWS: dict[str, str] = {
    "engagements": """
        SELECT interceptor_id, launch_t AS t, battery, missile, track_id, object_id,
               end_reason AS outcome, end_t, miss_m, cost_usd
        FROM interceptors
    """,
    **{
        f"events_{kind.value}": f"SELECT {', '.join(kind_columns(kind))} FROM events "
        f"WHERE kind = '{kind.value}'"
        for kind in EventKind
    },
}
