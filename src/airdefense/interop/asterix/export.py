"""A run's ASTERIX: every plot of a run database as CAT048 and every track update as CAT062
(:mod:`airdefense.interop.asterix.encode`), written as files or handed out as datagrams.

- :func:`write_asterix` is the export format ``asterix`` (``airdefense export RUN_DIR
  --format asterix``): ``plots.cat048.ast`` and ``tracks.cat062.ast`` (data blocks back to
  back) and ``tracker-sites.yaml``, a tracker config placing each radar under the sensor id
  its CAT048 records carry, to track the plots file with (``airdefense track``).
- :func:`asterix_datagrams` hands the same blocks out one per UDP datagram, in time order
  (``airdefense stream``).

The run is read through :class:`~airdefense.record.reader.RunReader` only: ``meta`` (the
frame origin), ``sensors``, ``detections`` and ``tracks`` (a table the run does not hold reads
as empty).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from airdefense.geo import Frame
from airdefense.interop.asterix._edition import DEFAULT_SAC
from airdefense.interop.asterix.encode import (
    DATAGRAM_BYTES,
    DEFAULT_BLOCK_S,
    MAX_BLOCK_BYTES,
    Encoded,
    encode_plots,
    encode_tracks,
)

if TYPE_CHECKING:  # the record is imported on use: `airdefense track` reads CAT048 through
    # this package and needs no run database (nor DuckDB)
    from airdefense.record.reader import RunReader

_STATUS_CODES = {"tentative": 0, "confirmed": 1, "coasting": 2}

#: File names written by :func:`write_asterix`.
PLOTS_NAME = "plots.cat048.ast"
TRACKS_NAME = "tracks.cat062.ast"
SITES_NAME = "tracker-sites.yaml"


@dataclass(frozen=True)
class RunAsterix:
    """A run encoded: its plots (CAT048), its tracks (CAT062), and what a tracker needs to
    read the plots back (the frame origin and each radar's antenna site, ENU m, and scan
    period)."""

    plots: Encoded
    tracks: Encoded
    origin: tuple[float, float, float]
    sites: dict[int, tuple[float, float, float, float]]


def _meta_origin(run: RunReader) -> tuple[float, float, float]:
    """The frame origin (latitude, longitude in degrees, height in m) the run recorded."""
    meta = run.meta
    out = []
    for key, default in (("origin_lat_deg", None), ("origin_lon_deg", None), ("origin_alt_m", 0.0)):
        try:
            value = float(meta[key])
        except (KeyError, ValueError):
            value = math.nan
        if not math.isfinite(value):
            if default is None:
                from airdefense.record.export import ExportError

                raise ExportError(
                    f"meta has no usable {key} (the frame origin)", source=_label(run)
                )
            value = default
        out.append(value)
    return out[0], out[1], out[2]


def _label(run: RunReader) -> str:
    """The run's database, for an error message."""
    return str(run.db_path) if run.db_path is not None else "run database"


def encode_run(
    run: RunReader | str | Path,
    *,
    sac: int = DEFAULT_SAC,
    max_bytes: int = MAX_BLOCK_BYTES,
    block_s: float = DEFAULT_BLOCK_S,
    special: bool = True,
) -> RunAsterix:
    """Encode every plot (``detections``) of a run (its directory, or a reader already open)
    as CAT048 and every track update (``tracks``) as CAT062. ``special``: write the CAT048 SP
    field."""
    from airdefense.record.export import ExportError
    from airdefense.record.reader import reading

    with reading(run) as reader:
        origin = _meta_origin(reader)
        frame = Frame.from_degrees(*origin)
        sensors = reader.columns("SELECT sensor_id, x, y, z, scan_period_s FROM sensors")
        bad = [int(s) for s in sensors["sensor_id"] if not 0 <= int(s) <= 255]
        if bad:
            raise ExportError(
                f"sensor ids {bad} do not fit the 8-bit SIC of ASTERIX (0..255)",
                source=_label(reader),
            )
        det = reader.columns(
            "SELECT t, sensor_id, range_m, azimuth_rad, elevation_rad, sigma_range_m, "
            "sigma_azimuth_rad, sigma_elevation_rad, snr_db, x, y, z, truth_id "
            "FROM detections ORDER BY t, sensor_id",
        )
        trk = reader.columns(
            "SELECT t, track_id, x, y, z, vx, vy, vz, status, sx, sy, sz "
            "FROM tracks ORDER BY t, track_id",
        )
    f64 = {k: np.asarray(v, dtype=np.float64) for k, v in det.items() if k != "sensor_id"}
    height = (
        frame.height_m(np.column_stack([f64["x"], f64["y"], f64["z"]]))
        if f64["t"].shape[0]
        else np.zeros(0)
    )
    extra: dict[str, Any] = {}
    if special:
        extra = {
            "elevation_rad": f64["elevation_rad"],
            "sigma_range_m": f64["sigma_range_m"],
            "sigma_azimuth_rad": f64["sigma_azimuth_rad"],
            "sigma_elevation_rad": f64["sigma_elevation_rad"],
            "truth_id": np.asarray(det["truth_id"], dtype=np.int64),
        }
    plots = encode_plots(
        f64["t"],
        np.asarray(det["sensor_id"], dtype=np.int64),
        f64["range_m"],
        f64["azimuth_rad"],
        height_m=height,
        snr_db=f64["snr_db"],
        sac=sac,
        max_bytes=max_bytes,
        block_s=block_s,
        **extra,
    )
    status = np.array([_STATUS_CODES.get(str(s), 1) for s in trk["status"]], dtype=np.int64)
    col = {k: np.asarray(trk[k], dtype=np.float64) for k in trk if k != "status"}
    tracks = encode_tracks(
        col["t"],
        col["track_id"].astype(np.int64),
        np.column_stack([col["x"], col["y"], col["z"]]),
        np.column_stack([col["vx"], col["vy"], col["vz"]]),
        status,
        np.column_stack([col["sx"], col["sy"], col["sz"]]),
        frame,
        monosensor=len(sensors["sensor_id"]) == 1,
        sac=sac,
        max_bytes=max_bytes,
        block_s=block_s,
    )
    sites = {
        int(s): (float(x), float(y), float(z), float(p))
        for s, x, y, z, p in zip(
            sensors["sensor_id"],
            sensors["x"],
            sensors["y"],
            sensors["z"],
            sensors["scan_period_s"],
            strict=True,
        )
    }
    return RunAsterix(plots, tracks, origin, sites)


def sites_yaml(run: RunAsterix, sac: int = DEFAULT_SAC) -> str:
    """A tracker config (``airdefense track --config``) placing each radar of the run under
    the sensor id its CAT048 records carry (``SAC * 256 + SIC``)."""
    lat, lon, alt = run.origin
    lines = [
        "# Tracker config for the run's CAT048 plots (airdefense track PLOTS.ast --config THIS):",
        "# the frame origin and each radar's antenna in it (ENU m), keyed by SAC * 256 + SIC.",
        f"origin: {{lat_deg: {lat!r}, lon_deg: {lon!r}, alt_m: {alt!r}}}",
        "sensors:",
    ]
    for sid, (x, y, z, period) in sorted(run.sites.items()):
        rev = f", revisit_s: {period!r}" if math.isfinite(period) and period > 0 else ""
        lines.append(f"  {sac * 256 + sid}: {{east_m: {x!r}, north_m: {y!r}, up_m: {z!r}{rev}}}")
    if not run.sites:
        lines[-1] = "sensors: {}"
    return "\n".join(lines) + "\n"


def write_asterix(run: RunReader, out_dir: Path, *, force: bool = False) -> list[Path]:
    """Export writer (``airdefense export RUN_DIR --format asterix``): ``plots.cat048.ast``
    (every plot, CAT048 data blocks back to back), ``tracks.cat062.ast`` (every track update,
    CAT062) and ``tracker-sites.yaml`` (a tracker config to track the plots file with)."""
    from airdefense.record.export import OutputFiles

    files = OutputFiles(out_dir, [PLOTS_NAME, TRACKS_NAME, SITES_NAME], force=force)
    encoded = encode_run(run)
    with files:
        files.tmp(PLOTS_NAME).write_bytes(encoded.plots.to_bytes())
        files.tmp(TRACKS_NAME).write_bytes(encoded.tracks.to_bytes())
        files.tmp(SITES_NAME).write_text(sites_yaml(encoded), encoding="utf-8")
    return files.paths


def asterix_datagrams(
    run: RunReader | str | Path,
    *,
    max_bytes: int = DATAGRAM_BYTES,
    sac: int = DEFAULT_SAC,
) -> Iterator[tuple[float, bytes]]:
    """A run's plots (CAT048) and tracks (CAT062) as UDP payloads in time order: ``(t, data)``
    with ``t`` the scenario time (s) of the latest record in the datagram (when to send it)
    and ``data`` one data block of at most ``max_bytes`` octets. Plots come before tracks of
    the same time. ``run`` is a run directory or a reader already open; it is read and
    encoded when this is called (raising :class:`~airdefense.record.reader.RunReadError` at
    once for a directory that is not a run); the datagrams are then handed out one by one."""
    encoded = encode_run(run, sac=sac, max_bytes=max_bytes)
    enc = [encoded.plots, encoded.tracks]
    t = np.concatenate([e.t for e in enc])
    kind = np.concatenate([np.full(len(e), k) for k, e in enumerate(enc)])
    index = np.concatenate([np.arange(len(e)) for e in enc])
    order = np.lexsort((index, kind, t))

    def datagrams() -> Iterator[tuple[float, bytes]]:
        for i in order.tolist():
            e = enc[int(kind[i])]
            s, n = int(e.start[index[i]]), int(e.length[index[i]])
            yield float(t[i]), e.data[s : s + n].tobytes()

    return datagrams()
