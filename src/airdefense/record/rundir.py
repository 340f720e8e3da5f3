"""The run directory: ``scenario.yaml``, ``run.duckdb`` and ``report.html``, written whole.

Everything is written into a hidden temporary directory beside the destination and renamed
into place when complete, so a crash or a Ctrl-C never leaves a directory that looks like a
finished run. Tables are built as Arrow tables with deterministic row order, so the same
scenario, seed and trial give identical tables.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from airdefense._version import __version__
from airdefense.errors import AirdefenseError
from airdefense.record.schema import RUN_FORMAT, SUMMARY_COLUMNS, TABLES, VIEWS
from airdefense.tracking.measurements import STATUS_NAMES

if TYPE_CHECKING:
    from airdefense.sim.loop import RunResult


class RunDirError(AirdefenseError):
    """The run directory cannot be written (exists, not writable, no space left)."""


def default_run_dir(scenario_name: str, root: Path = Path("runs")) -> Path:
    """``runs/<scenario>-<UTC timestamp>`` (``-2``, ``-3``, ... when taken)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = root / f"{scenario_name}-{stamp}"
    n = 1
    while path.exists() or _lock_path(path).exists():
        n += 1
        path = root / f"{scenario_name}-{stamp}-{n}"
    return path


#: The kernel's own file systems: nothing a run writes belongs under them (``/dev/shm``, an
#: ordinary tmpfs, excepted).
SYSTEM_DIRS = ("/proc", "/sys", "/dev")
SYSTEM_DIR_EXCEPTIONS = ("/dev/shm",)
#: Less free space than this where an output would go is refused before anything runs (a
#: bundled scenario's run directory is 8 to 16 MB).
MIN_FREE_BYTES = 16_000_000

#: What to do about an error of the file system, by errno (``{option}``: the option that
#: chose the destination).
_ADVICE = {
    errno.ENOSPC: "free some space on that disk or choose another {option}",
    errno.EDQUOT: "free some of your disk quota or choose another {option}",
    errno.EFBIG: "a file would pass this shell's file-size limit (ulimit -f): raise it or "
    "choose another {option}",
    errno.EROFS: "choose another {option} (that file system is mounted read-only)",
    errno.EACCES: "you may not write there: choose another {option}",
    errno.EPERM: "you may not write there: choose another {option}",
    errno.ENOTDIR: "a part of the path is a file, not a directory: choose another {option}",
    errno.ENAMETOOLONG: "choose a shorter {option}",
    errno.ENOTEMPTY: "another program wrote there meanwhile: choose another {option}",
    errno.EEXIST: "another program wrote there meanwhile: choose another {option}",
    errno.EMFILE: "too many open files: raise the limit (ulimit -n) and run it again",
    errno.EIO: "check that disk, or choose another {option}",
}
#: The errors of a write that say the destination (not the data) is the problem.
WRITE_ERRNOS = frozenset(
    {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES, errno.EPERM}
)
#: How DuckDB (whose errors are not OSError) words the same errors.
_DUCKDB_TEXT = {
    "no space left on device": errno.ENOSPC,
    "disk quota exceeded": errno.EDQUOT,
    "file too large": errno.EFBIG,
    "read-only file system": errno.EROFS,
    "permission denied": errno.EACCES,
}


_ERRNO_FIELD = re.compile(r'"errno"\s*:\s*"?(\d+)')


def _errno_in_text(text: str) -> int | None:
    """The errno a message names (DuckDB's ``"errno":"28"``, or the system's words)."""
    m = _ERRNO_FIELD.search(text)
    if m and int(m[1]) in errno.errorcode:
        return int(m[1])
    low = text.lower()
    for words, code in _DUCKDB_TEXT.items():
        if words in low:
            return code
    return None


def io_errno(exc: BaseException) -> int | None:
    """The errno of a failed write: an OSError's own (or, for an I/O error passed on from
    DuckDB, the one its text names), or the one a DuckDB error names; None when ``exc`` is no
    error of the file system."""
    if isinstance(exc, OSError):
        if exc.errno in (None, errno.EIO):
            return _errno_in_text(str(exc)) or exc.errno
        return exc.errno
    if isinstance(exc, duckdb.Error):
        code = _errno_in_text(str(exc))
        if code is None and isinstance(exc, duckdb.IOException):
            return errno.EIO
        return code
    return None


def output_error(exc: BaseException, where: object, option: str = "--out") -> RunDirError:
    """A failed write (OSError, or DuckDB's I/O error) as one line naming ``where`` (what the
    user chose, not a temporary name), the system's reason and what to free or change."""
    code = io_errno(exc)
    if isinstance(exc, OSError) and exc.strerror and exc.errno == code:
        reason = exc.strerror
    elif code is not None and code != errno.EIO:
        reason = os.strerror(code)
    else:
        reason = " ".join(str(exc).split())[:200] or type(exc).__name__
    advice = _ADVICE.get(code or 0, "choose another {option}").format(option=option)
    return RunDirError(f"cannot write ({reason}): {advice}", source=str(where))


def _system_dir(path: Path) -> str | None:
    """The kernel file system ``path`` (resolved) lies in, if any."""
    for root in SYSTEM_DIRS:
        if path == Path(root) or Path(root) in path.parents:
            if any(path == Path(e) or Path(e) in path.parents for e in SYSTEM_DIR_EXCEPTIONS):
                return None
            return root
    return None


def check_output_file(out: Path, option: str = "--out") -> Path:
    """:func:`check_output_dir` for a file to write: the same refusals, and a directory (or
    anything but a regular file) where the file would go. Whether an existing file may be
    replaced is the caller's to say."""
    return _check_output(Path(out), option, directory=False)


def check_output_dir(out: Path, option: str = "--out") -> Path:
    """Refuse, before anything runs, a directory an output cannot be written to: one under
    ``/proc``, ``/sys`` or ``/dev``, a path that is a file (or passes through one), a
    directory this process may not write to, a disk with less than ``MIN_FREE_BYTES`` free.
    Returns the nearest existing directory above ``out`` (where writing starts).
    Whether ``out`` may hold something already is the caller's to say."""
    return _check_output(Path(out), option, directory=True)


def _check_output(out: Path, option: str, directory: bool) -> Path:
    text = str(out)
    if "\0" in text:
        raise RunDirError(f"{option}: a path cannot hold a NUL character")
    try:
        kernel = _system_dir(Path(os.path.realpath(out)))
        if kernel is not None:
            raise RunDirError(
                f"is under {kernel}, a file system of the kernel's (choose another {option})",
                source=text,
            )
        if out.is_symlink() and not out.exists():
            raise RunDirError(f"is a broken symbolic link (choose another {option})", source=text)
        if directory and out.exists() and not out.is_dir():
            raise RunDirError(
                f"exists and is not a directory (choose another {option})", source=text
            )
        if not directory and out.exists() and not out.is_file():
            what = "a directory" if out.is_dir() else "not a regular file"
            raise RunDirError(
                f"is {what} (give the name of a file to write for {option})", source=text
            )
        # where writing happens: the nearest existing directory above it, named as given
        base = out.parent
        while not base.exists() and not base.is_symlink() and base != base.parent:
            base = base.parent
        if not base.is_dir():
            raise RunDirError(
                f"{base} is a file, not a directory (choose another {option})", source=text
            )
        if not os.access(base, os.W_OK | os.X_OK):
            code = errno.EROFS if _read_only(base) else errno.EACCES
            raise output_error(OSError(code, os.strerror(code)), base, option)
        st = os.statvfs(base)
    except OSError as exc:
        raise output_error(exc, text, option) from None
    if st.f_blocks > 0:  # a file system that counts its blocks (not every virtual one does)
        free = st.f_bavail * st.f_frsize
        if free < MIN_FREE_BYTES:
            raise RunDirError(
                f"cannot write: only {free / 1e6:.1f} MB free on that disk (at least "
                f"{MIN_FREE_BYTES / 1e6:.0f} MB needed): free some space or choose another "
                f"{option}",
                source=text,
            )
    if st.f_files > 0 and st.f_favail == 0:
        raise RunDirError(
            f"cannot write: no free inodes on that disk: delete some files or choose another "
            f"{option}",
            source=text,
        )
    return base


def _read_only(path: Path) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def check_destination(out: Path) -> None:
    """Refuse a destination a run cannot be written to (:func:`check_output_dir`), or one
    that exists and is not an empty directory."""
    check_output_dir(out)
    try:
        busy = out.exists() and any(out.iterdir())
    except OSError as exc:
        raise output_error(exc, out) from None
    if busy:
        raise RunDirError(
            f"{out}: already exists and is not empty (choose another --out or remove it)"
        )


def _lock_path(out: Path) -> Path:
    return out.parent / f".{out.name}.lock"


class FileLock:
    """An advisory lock on the file ``path`` (created if missing), held by this process
    until :meth:`release`, which removes the file; the system drops it when the process
    dies, so a lock file a killed process left is taken over. :meth:`acquire` does not wait:
    a lock held elsewhere is ``busy`` raised as RunDirError (one line)."""

    def __init__(self, path: Path, busy: str) -> None:
        self.path = Path(path)
        self.busy = busy
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock, or raise RunDirError(``busy``) at once."""
        for _ in range(10):
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise RunDirError(self.busy) from None
            except BaseException:
                os.close(fd)
                raise
            try:
                same = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                self._fd = fd
                return
            os.close(fd)  # its holder removed it as it let go: lock the one there now
        raise RunDirError(self.busy)

    def release(self) -> None:
        """Remove the lock file and let go (the file first: whoever opened it meanwhile sees
        it is gone once it has the lock, and takes the next one)."""
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.unlink(self.path)
            os.close(self._fd)
            self._fd = None


def _staging_prefix(out: Path) -> str:
    return f".{out.name}."


class RunDirSlot:
    """A run directory reserved before the run, written whole after it.

    :meth:`reserve` checks the destination (:func:`check_destination`), creates its missing
    parents, takes a lock beside it (``.NAME.lock``, an advisory ``flock`` the system drops
    when the process dies: a second run into the same ``--out`` is refused at once, in one
    line, instead of after its simulation) and creates the hidden temporary directory the run
    is written into (so that a directory that cannot be written is found before the
    simulation, not after). :meth:`write` fills it and renames it into place; :meth:`release`
    (or leaving the ``with`` block) removes whatever of it is left, the lock and the parents
    it created: a failure or a Ctrl-C leaves nothing.
    """

    def __init__(self, out: Path) -> None:
        self.out = Path(out)
        self._lock: FileLock | None = None
        self._staging: Path | None = None
        self._created: list[Path] = []  # parents made here, innermost first
        self._done = False

    def __enter__(self) -> RunDirSlot:
        self.reserve()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def reserve(self) -> None:
        """Check the destination, lock it and create the temporary directory (RunDirError,
        one line, when any of it fails; nothing is left behind then)."""
        out = self.out
        if not out.name or out.name in (".", ".."):
            raise RunDirError(f"{out}: name a directory to create (choose another --out)")
        check_destination(out)
        try:
            self._make_parents()
            self._take_lock()
            check_destination(out)  # again, now that no other airdefense run can change it
            self._remove_stale_staging()
            tmp = tempfile.mkdtemp(prefix=_staging_prefix(out), suffix=".tmp", dir=out.parent)
            self._staging = Path(tmp)
            os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes it private; a run dir is not
        except BaseException as exc:
            self.release()
            if isinstance(exc, OSError):
                raise output_error(exc, out) from None
            raise

    def _make_parents(self) -> None:
        missing = []
        d = self.out.parent
        while not d.exists():
            missing.append(d)
            d = d.parent
        for d in reversed(missing):
            d.mkdir()
            self._created.insert(0, d)

    def _take_lock(self) -> None:
        self._lock = FileLock(
            _lock_path(self.out),
            f"{self.out}: another airdefense run is writing it now (wait for it to end, or "
            "choose another --out)",
        )
        self._lock.acquire()

    def _remove_stale_staging(self) -> None:
        """Temporary directories of a run into the same place that was killed (SIGKILL): no
        living run owns them while the lock is held. Only this name's (``.NAME.XXXXXXXX.tmp``,
        as :func:`tempfile.mkdtemp` names them), never another's that starts alike."""
        mine = re.compile(re.escape(_staging_prefix(self.out)) + r"[a-z0-9_]{8}\.tmp")
        for p in self.out.parent.iterdir():
            if mine.fullmatch(p.name) and p.is_dir() and not p.is_symlink():
                shutil.rmtree(p, ignore_errors=True)

    def write(self, result: RunResult, finishers: Sequence[Callable[[Path], object]] = ()) -> Path:
        """Write the run into the temporary directory, run ``finishers`` on it (e.g.
        ``airdefense.report.write_report``: what they write is part of the atomic run
        directory), and rename it into place. A write that fails (a full disk, a file-size
        limit) is RunDirError, one line, and nothing of the run is left."""
        if self._staging is None or self._done:
            raise RuntimeError("RunDirSlot.write: reserve() first, and once")
        tmp = self._staging
        try:
            write_scenario_yaml(result, tmp / "scenario.yaml")
            write_database(result, tmp / "run.duckdb")
            for finish in finishers:
                finish(tmp)
            if self.out.exists():
                self.out.rmdir()  # checked empty, under the lock
            os.replace(tmp, self.out)
        except BaseException as exc:
            self.release()
            if io_errno(exc) is not None:  # a full disk, a file-size limit, ...
                raise output_error(exc, self.out) from None
            raise
        self._staging = None
        self._done = True
        return self.out

    def release(self) -> None:
        """Remove the temporary directory (if the run was not written), the lock and the
        parents created for a run that was not written."""
        if self._staging is not None:
            shutil.rmtree(self._staging, ignore_errors=True)
            self._staging = None
        if self._lock is not None:
            self._lock.release()
            self._lock = None
        if not self._done:
            for d in self._created:
                with contextlib.suppress(OSError):
                    d.rmdir()  # only if still empty
        self._created = []


def write_run(
    result: RunResult, out: Path, finishers: Sequence[Callable[[Path], object]] = ()
) -> Path:
    """Write the run directory at ``out`` atomically and return its path.

    ``finishers`` run on the complete temporary directory before it is renamed into place
    (e.g. ``airdefense.report.write_report``), so what they write is part of the atomic run
    directory; record itself knows nothing of the stages that read it. (The command line
    reserves the directory before the simulation instead: :class:`RunDirSlot`.)
    """
    with RunDirSlot(out) as slot:
        return slot.write(result, finishers)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_scenario_yaml(result: RunResult, path: Path) -> None:
    """The scenario as run (defaults filled in, seed and trial recorded)."""
    header = f"# airdefense {__version__}: scenario as run (trial {result.trial})\n"
    path.write_text(header + result.theatre.document, encoding="utf-8")


def write_database(result: RunResult, path: Path) -> None:
    """Create every table of the schema in a database file and fill it with the run."""
    con = duckdb.connect(str(path))
    try:
        fill_database(con, build_tables(result))
        con.execute("CHECKPOINT")
    finally:
        con.close()
    with contextlib.suppress(FileNotFoundError):
        Path(str(path) + ".wal").unlink()


def memory_database(result: RunResult) -> duckdb.DuckDBPyConnection:
    """The run's database in memory, as :func:`write_database` would write it (the Python
    API reads an unsaved run through it)."""
    con = duckdb.connect(":memory:")
    fill_database(con, build_tables(result))
    return con


def fill_database(con: duckdb.DuckDBPyConnection, tables: dict[str, pa.Table]) -> None:
    """Create every table and view of the schema on ``con`` and insert ``tables``."""
    for name, ddl in TABLES.items():
        con.execute(f"CREATE TABLE {name} ({ddl})")
    for name, sql in VIEWS.items():
        con.execute(f"CREATE VIEW {name} AS {sql}")
    con.execute(
        "CREATE TABLE summary ("
        + ", ".join(f"{col} {typ}" for col, (typ, _) in SUMMARY_COLUMNS.items())
        + ")"
    )
    for name, table in tables.items():
        con.register("_src", table)
        cols = ", ".join(table.column_names)
        con.execute(f"INSERT INTO {name} ({cols}) SELECT {cols} FROM _src")
        con.unregister("_src")


def build_tables(result: RunResult) -> dict[str, pa.Table]:
    """The run's tables as Arrow tables, in a deterministic row order."""
    th = result.theatre
    frame = result.frame
    truth = result.truth
    out: dict[str, pa.Table] = {}
    meta = {
        "scenario": th.name,
        "description": th.description,
        "seed": str(th.seed),
        "trial": str(result.trial),
        "duration_s": repr(float(th.duration_s)),
        "dt_s": repr(float(th.time_step_s)),
        "origin_lat_deg": repr(th.origin[0]),
        "origin_lon_deg": repr(th.origin[1]),
        "origin_alt_m": repr(th.origin[2]),
        "area_radius_km": repr(th.area_radius_m / 1000.0),
        "airdefense_version": __version__,
        "run_format": str(RUN_FORMAT),
    }
    out["meta"] = pa.table({"key": list(meta), "value": list(meta.values())})

    rows = []
    for a in th.assets:
        pl = a.place
        x, y, z = pl.enu
        rows.append(
            (a.asset_id, a.name, x, y, z, pl.lat_deg, pl.lon_deg, pl.height_m, a.radius_m, a.value)
        )
    out["assets"] = _rows(
        rows,
        ["asset_id", "name", "x", "y", "z", "lat_deg", "lon_deg", "alt_m", "radius_m", "value"],
    )

    rows = []
    for site in th.radars:
        p = site.preset
        x, y, z = site.antenna_enu
        rows.append(
            (
                site.sensor_id,
                site.name,
                p.name,
                p.role,
                p.scan,
                x,
                y,
                z,
                site.ground.lat_deg,
                site.ground.lon_deg,
                site.ground.height_m + p.antenna_height_m,
                p.antenna_height_m,
                site.boresight_rad,
                np.radians(p.sector_width_deg),
                p.scan_period_s,
                p.max_range_km * 1000.0,
                np.radians(p.min_elevation_deg),
                np.radians(p.max_elevation_deg),
            )
        )
    out["sensors"] = _rows(
        rows,
        [
            "sensor_id", "name", "preset", "role", "scan", "x", "y", "z", "lat_deg", "lon_deg", "alt_m",
            "antenna_height_m", "boresight_rad", "sector_width_rad", "scan_period_s", "max_range_m",
            "min_elevation_rad", "max_elevation_rad",
        ],
    )  # fmt: skip

    cov = []
    for sid, (rcs, rr, hh, snr, pd, vis) in sorted(result.coverage.items()):
        cov.append(
            pa.table(
                {
                    "sensor_id": pa.array(np.full(rr.shape[0], sid, np.int32)),
                    "rcs_m2": pa.array(np.full(rr.shape[0], rcs)),
                    "ground_range_m": pa.array(rr),
                    "height_m": pa.array(hh),
                    "snr_db": pa.array(np.where(np.isfinite(snr), snr, np.nan)),
                    "pd": pa.array(pd),
                    "visible": pa.array(vis.astype(bool)),
                }
            )
        )
    if cov:
        out["coverage"] = pa.concat_tables(cov)

    out["objects"] = pa.table(
        {
            "object_id": pa.array(np.arange(truth.n, dtype=np.int32)),
            "name": pa.array(truth.name.astype(str)),
            "category": pa.array(truth.category.astype(str)),
            "preset": pa.array(truth.preset.astype(str)),
            "raid": pa.array(truth.raid.astype(np.int32)),
            "side": pa.array(truth.side.astype(str)),
            "hostile": pa.array(truth.hostile),
            "rcs_m2": pa.array(truth.rcs_m2),
            "swerling": pa.array(truth.swerling.astype(np.int32)),
            "start_s": pa.array(truth.start_s),
            "end_s": pa.array(truth.end_s),
            "end_reason": pa.array(truth.end_reason.astype(str)),
            "aim_asset": pa.array(truth.aim_asset.astype(np.int32)),
            "aim_x": pa.array(truth.aim_enu[:, 0]),
            "aim_y": pa.array(truth.aim_enu[:, 1]),
            "aim_z": pa.array(truth.aim_enu[:, 2]),
            "cost_usd": pa.array(truth.cost_usd),
        }
    )
    out["truth"] = truth_table(result)

    p = result.plots
    out["detections"] = pa.table(
        {
            "t": pa.array(p.t),
            "sensor_id": pa.array(p.sensor_id.astype(np.int32)),
            "scan": pa.array(p.scan.astype(np.int32)),
            "range_m": pa.array(p.range_m),
            "azimuth_rad": pa.array(p.azimuth_rad),
            "elevation_rad": pa.array(p.elevation_rad),
            "sigma_range_m": pa.array(p.sigma_range_m),
            "sigma_azimuth_rad": pa.array(p.sigma_azimuth_rad),
            "sigma_elevation_rad": pa.array(p.sigma_elevation_rad),
            "snr_db": pa.array(p.snr_db),
            "x": pa.array(p.x),
            "y": pa.array(p.y),
            "z": pa.array(p.z),
            "truth_id": pa.array(p.truth_id.astype(np.int32)),
        }
    )
    tr = result.tracks
    out["tracks"] = pa.table(
        {
            "t": pa.array(tr.t),
            "track_id": pa.array(tr.track_id.astype(np.int32)),
            "x": pa.array(tr.x),
            "y": pa.array(tr.y),
            "z": pa.array(tr.z),
            "vx": pa.array(tr.vx),
            "vy": pa.array(tr.vy),
            "vz": pa.array(tr.vz),
            "status": pa.array(np.asarray(STATUS_NAMES, dtype=object)[tr.status]),
            "sx": pa.array(tr.sx),
            "sy": pa.array(tr.sy),
            "sz": pa.array(tr.sz),
            "quality": pa.array(tr.quality),
            "truth_id": pa.array(tr.truth_id.astype(np.int32)),
        }
    )
    sc = result.track_score
    # a run simulated without its analysis (a Monte Carlo trial) has no track score
    if sc is not None:
        out["track_metrics"] = pa.table(
            {
                "t": pa.array(sc.times),
                "gospa_m": pa.array(sc.gospa),
                "localisation_m2": pa.array(sc.localisation),
                "missed_m2": pa.array(sc.missed),
                "false_m2": pa.array(sc.false),
                "truths": pa.array(np.asarray(sc.truth_count, dtype=np.int32)),
                "tracks": pa.array(np.asarray(sc.track_count, dtype=np.int32)),
            }
        )
    bats = result.batteries
    if bats is not None:
        shooter = np.arange(bats.n_shooters)
        b = bats.shooter_battery
        m = [bats.missile_types[k] for k in bats.shooter_missile]
        site = bats.site[b]
        lat, lon, alt = frame.enu_to_geodetic(site)
        out["batteries"] = pa.table(
            {
                "battery_id": pa.array(b.astype(np.int32)),
                "battery": pa.array([bats.names[k] for k in b], pa.string()),
                "preset": pa.array([bats.presets[k].name for k in b], pa.string()),
                "missile": pa.array([x.name for x in m], pa.string()),
                "x": pa.array(site[:, 0]),
                "y": pa.array(site[:, 1]),
                "z": pa.array(site[:, 2]),
                "lat_deg": pa.array(np.degrees(np.atleast_1d(lat))),
                "lon_deg": pa.array(np.degrees(np.atleast_1d(lon))),
                "alt_m": pa.array(np.atleast_1d(alt)),
                "rounds_loaded": pa.array(bats.rounds0[shooter].astype(np.int32)),
                "rounds_left": pa.array(bats.rounds[shooter].astype(np.int32)),
                "min_range_m": pa.array([x.min_range_km * 1000.0 for x in m], pa.float64()),
                "max_range_m": pa.array([x.max_range_km * 1000.0 for x in m], pa.float64()),
                "min_altitude_m": pa.array([x.min_altitude_m for x in m], pa.float64()),
                "max_altitude_m": pa.array([x.max_altitude_km * 1000.0 for x in m], pa.float64()),
                "cost_usd": pa.array([x.cost_usd for x in m], pa.float64()),
                "first_launcher": pa.array(bats.first_launcher.astype(np.int32)),
                "launchers": pa.array(bats.launchers[b].astype(np.int32)),
                "target_channels": pa.array(bats.target_channels[b].astype(np.int32)),
                "missile_channels": pa.array(bats.missile_channels[b].astype(np.int32)),
                "launch_interval_s": pa.array(bats.launch_interval_s[b].astype(np.float64)),
                "reaction_time_s": pa.array(bats.reaction_time_s[b].astype(np.float64)),
            }
        )
    out["interceptors"] = interceptors_table(result)
    ids, t, pos = result.interceptor_paths
    out["interceptor_paths"] = pa.table(
        {
            "interceptor_id": pa.array(ids.astype(np.int32)),
            "t": pa.array(t),
            "x": pa.array(pos[:, 0]),
            "y": pa.array(pos[:, 1]),
            "z": pa.array(pos[:, 2]),
        }
    )
    fly: dict[str, list] = {
        k: [] for k in ("missile", "ground_range_m", "height_m", "time_s", "speed_mps")
    }
    for tab in result.flyout_tables:
        rr, hh = np.meshgrid(tab.ground_range_m, tab.height_m, indexing="ij")
        fly["missile"].extend([tab.preset] * rr.size)
        fly["ground_range_m"].extend(rr.ravel().tolist())
        fly["height_m"].extend(hh.ravel().tolist())
        fly["time_s"].extend(tab.time_s.ravel().tolist())
        fly["speed_mps"].extend(tab.speed_mps.ravel().tolist())
    out["flyout"] = pa.table(
        {
            "missile": pa.array(fly["missile"], type=pa.string()),
            "ground_range_m": pa.array(fly["ground_range_m"], type=pa.float64()),
            "height_m": pa.array(fly["height_m"], type=pa.float64()),
            "time_s": pa.array(fly["time_s"], type=pa.float64()),
            "speed_mps": pa.array(fly["speed_mps"], type=pa.float64()),
        }
    )
    out["events"] = result.events.table()
    f = result.first
    ids = np.flatnonzero(f.detected)
    out["first_detections"] = pa.table(
        {
            "object_id": pa.array(ids.astype(np.int32)),
            "t": pa.array(f.t[ids]),
            "sensor_id": pa.array(f.sensor_id[ids].astype(np.int32)),
            "range_m": pa.array(f.range_m[ids]),
            "height_m": pa.array(f.height_m[ids]),
        }
    )
    out["summary"] = pa.table({k: [result.summary.get(k)] for k in SUMMARY_COLUMNS})
    return {name: _nan_to_null(table) for name, table in out.items()}


def _nan_to_null(table: pa.Table) -> pa.Table:
    """NaN (no aim point, no SNR at the radar's own position) stored as SQL NULL: unknown is
    NULL in SQL, and NaN != NaN would make identical runs compare unequal."""
    for i, field in enumerate(table.schema):
        if pa.types.is_floating(field.type):
            col = table.column(i)
            if pc.any(pc.is_nan(col)).as_py():
                table = table.set_column(i, field, pc.if_else(pc.is_nan(col), None, col))
    return table


def interceptors_table(result: RunResult) -> pa.Table:
    """One row per interceptor (the ``interceptors`` table), by id."""
    log = result.interceptors
    n = log.n
    bats = result.batteries
    names = bats.names if bats is not None else []
    types = bats.missile_types if bats is not None else []
    b = log.battery_id[:n]
    m = log.missile_type[:n]
    cols = {
        "interceptor_id": np.arange(n, dtype=np.int32),
        "battery_id": b.astype(np.int32),
        "battery": pa.array([names[k] for k in b], pa.string()),
        "launcher": log.launcher[:n].astype(np.int32),
        "missile": pa.array([types[k].name for k in m], pa.string()),
        "plan_t": log.plan_t[:n],
        "launch_t": log.launch_t[:n],
        "launch_x": log.site[:n, 0],
        "launch_y": log.site[:n, 1],
        "launch_z": log.site[:n, 2],
        "track_id": log.track0[:n].astype(np.int32),
        "object_id": log.object0[:n].astype(np.int32),
        "pip_t": log.intercept_t[:n],
        "pip_x": log.pip[:n, 0],
        "pip_y": log.pip[:n, 1],
        "pip_z": log.pip[:n, 2],
        "pk_planned": log.pk[:n],
        "retargets": log.retargets[:n].astype(np.int32),
        "end_track_id": log.track[:n].astype(np.int32),
        "end_object_id": log.object[:n].astype(np.int32),
        "end_t": log.end_t[:n],
        "end_reason": pa.array(log.end_reason().astype(str), pa.string()),
        "miss_m": log.miss_m[:n],
        "end_x": log.end_pos[:n, 0],
        "end_y": log.end_pos[:n, 1],
        "end_z": log.end_pos[:n, 2],
        "cost_usd": pa.array([types[k].cost_usd for k in m], pa.float64()),
    }
    return pa.table({k: v if isinstance(v, pa.Array) else pa.array(v) for k, v in cols.items()})


def truth_table(result: RunResult) -> pa.Table:
    """Truth on the time grid, one row per living object per step, time-major."""
    truth = result.truth
    t = truth.t
    alive = (truth.start_s[None, :] <= t[:, None] + 1e-9) & (
        t[:, None] <= truth.end_s[None, :] + 1e-9
    )
    k, i = np.nonzero(alive)
    pos = truth.pos[k, i]
    vel = truth.vel[k, i]
    lat, lon, h = result.frame.enu_to_geodetic(pos)
    return pa.table(
        {
            "t": pa.array(t[k]),
            "object_id": pa.array(i.astype(np.int32)),
            "x": pa.array(pos[:, 0]),
            "y": pa.array(pos[:, 1]),
            "z": pa.array(pos[:, 2]),
            "vx": pa.array(vel[:, 0]),
            "vy": pa.array(vel[:, 1]),
            "vz": pa.array(vel[:, 2]),
            "lat_deg": pa.array(np.degrees(lat)),
            "lon_deg": pa.array(np.degrees(lon)),
            "alt_m": pa.array(h),
        }
    )


def _rows(rows: list[tuple], names: list[str]) -> pa.Table:
    cols = list(zip(*rows, strict=True)) if rows else [[] for _ in names]
    return pa.table({n: pa.array([_py(v) for v in c]) for n, c in zip(names, cols, strict=True)})


def _py(v: object) -> object:
    return v.item() if isinstance(v, np.generic) else float(v) if isinstance(v, np.ndarray) else v
