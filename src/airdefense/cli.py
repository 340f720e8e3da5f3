"""The ``airdefense`` command line (typer + rich). The only module that knows the terminal.

Every user error (a bad scenario, a missing data package, an occupied or unwritable output
directory, a full disk, a bad option) is printed as one line ``error: ...`` on stderr with
exit code 2, no traceback, and nothing written; Ctrl-C is one line ``interrupted: ...`` and
exit code 130. What is printed of a file name is shown with its control characters escaped
(an ANSI escape sequence in a name never reaches the terminal).
"""

from __future__ import annotations

import contextlib
import errno
import functools
import gc
import os
import re
import signal
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from typer.core import TyperGroup

from airdefense._version import __version__
from airdefense.errors import AirdefenseError

if TYPE_CHECKING:
    from airdefense.scenario import Scenario
    from airdefense.sim.ahead import CompileAhead

#: Seeds and trial numbers: 64-bit signed integers in every database.
MAX_SEED = 2**63 - 1
#: Most trials of a Monte Carlo study (``airdefense.montecarlo.runner.MAX_TRIALS``).
MAX_TRIALS = 1_000_000
#: Longest distance a score option takes (m): 10,000 km, a quarter of the Earth around.
MAX_DISTANCE_M = 1e7

#: Characters never printed as they are: C0 and C1 controls (ESC starts a terminal escape
#: sequence, a newline would forge a second line) and the bidirectional overrides.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def shown(text: object) -> str:
    """``text`` safe for the terminal: each control character as a visible escape
    (``\\x1b``, ``\\u202e``). Every message that names a file goes through it."""
    return _CONTROL.sub(
        lambda m: f"\\x{ord(m[0]):02x}" if ord(m[0]) < 0x100 else f"\\u{ord(m[0]):04x}",
        str(text),
    )


def _path(path: object) -> str:
    """A file name for a message printed with rich markup: shown, and escaped for rich."""
    return escape(shown(path))


def _usage_error_types() -> tuple[type[BaseException], ...]:
    """Typer's usage errors: click's, or those of the copy of click newer typers carry."""
    types: list[type[BaseException]] = []
    try:
        from typer._click.exceptions import ClickException as Vendored

        types.append(Vendored)
    except ImportError:
        pass
    try:
        from click.exceptions import ClickException

        types.append(ClickException)
    except ImportError:  # pragma: no cover - typer without click
        pass
    return tuple(types)


def _abort_types() -> tuple[type[BaseException], ...]:
    types: list[type[BaseException]] = [typer.Abort]
    try:
        from click.exceptions import Abort

        types.append(Abort)
    except ImportError:  # pragma: no cover
        pass
    return tuple(types)


class _OneLineGroup(TyperGroup):
    """The command group, whose usage errors (an unknown option, a missing argument, a value
    that is not a number or out of its range) are one line ``error: ...`` and exit code 2,
    not typer's framed box."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            code = super().main(
                args=args,
                prog_name=prog_name,
                complete_var=complete_var,
                standalone_mode=False,
                **extra,
            )
        except _usage_error_types() as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":  # `airdefense` alone: help, shown
                sys.exit(getattr(exc, "exit_code", 2))
            message = " ".join(exc.format_message().split())  # type: ignore[attr-defined]
            ctx = getattr(exc, "ctx", None)
            where = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
            err_console.print(f"error: {shown(message + where)}", markup=False)
            sys.exit(getattr(exc, "exit_code", 2))
        except _abort_types():
            err_console.print("interrupted", markup=False)
            sys.exit(130)
        except KeyboardInterrupt:
            err_console.print("interrupted", markup=False)
            sys.exit(130)
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    name="airdefense",
    help="Simulate a layered ground-based air defence: scenarios, radars, tracks, engagements.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=_OneLineGroup,
)
console = Console()
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def _fail(message: str) -> typer.Exit:
    err_console.print(f"error: {shown(message)}", markup=False)
    return typer.Exit(code=2)


def _interrupted(what: str = "nothing was written") -> typer.Exit:
    err_console.print(f"interrupted: {shown(what)}", markup=False)
    return typer.Exit(code=130)


#: What to do about an error of the system, by errno, for a file the command read or wrote.
_OS_ADVICE = {
    errno.ENOSPC: "free some space on that disk",
    errno.EDQUOT: "free some of your disk quota",
    errno.EFBIG: "raise the file-size limit (ulimit -f)",
    errno.EROFS: "that file system is read-only",
    errno.EMFILE: "raise the open-files limit (ulimit -n)",
    errno.ENFILE: "the system has too many files open",
}


def _os_error_line(exc: OSError) -> str:
    where = exc.filename if exc.filename is not None else ""
    reason = exc.strerror or " ".join(str(exc).split()) or type(exc).__name__
    advice = _OS_ADVICE.get(exc.errno or 0)
    return f"{where}: " * bool(where) + reason + (f" ({advice})" if advice else "")


def _io_error_line(exc: BaseException) -> str | None:
    """DuckDB's error of the file system (a full disk under a database), as one line."""
    if not type(exc).__module__.lstrip("_").startswith("duckdb"):
        return None
    from airdefense.record.rundir import io_errno

    code = io_errno(exc)
    if code is None:
        return None
    advice = _OS_ADVICE.get(code)
    return " ".join(str(exc).split())[:300] + (f" ({advice})" if advice else "")


def _command(**kwargs: Any) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register a command whose user errors (any :class:`AirdefenseError`, from whichever
    stage raises it), and any error of the system on a file (a full disk, a file-size limit,
    a read-only file system) end as one line ``error: ...`` and exit code 2, and whose Ctrl-C
    (where the command has no word of its own for it) is one line and exit code 130."""

    def register(func: Callable[..., None]) -> Callable[..., None]:
        @functools.wraps(func)
        def run(*args: Any, **kw: Any) -> None:
            pressed = _CtrlC()
            with pressed, _hushed(bool(kw.get("quiet"))):
                try:
                    func(*args, **kw)
                except typer.Exit:
                    raise
                except KeyboardInterrupt:
                    raise _interrupted() from None
                except BrokenPipeError:
                    raise  # stdout closed by a pager: typer ends quietly
                except Exception as exc:
                    if pressed.pressed:  # a Ctrl-C a library made its own error (DuckDB does)
                        raise _interrupted() from None
                    if isinstance(exc, AirdefenseError):
                        raise _fail(str(exc)) from None
                    line = _os_error_line(exc) if isinstance(exc, OSError) else _io_error_line(exc)
                    if line is None:
                        raise
                    raise _fail(line) from None

        return app.command(**kwargs)(run)

    return register


class _CtrlC:
    """While a command runs: Ctrl-C raises KeyboardInterrupt as always, and is remembered,
    so that one a library turns into an error of its own is still an interruption."""

    def __init__(self) -> None:
        self.pressed = False
        self._previous: Any = None

    def _handler(self, signum: int, frame: Any) -> None:
        self.pressed = True
        raise KeyboardInterrupt

    def __enter__(self) -> _CtrlC:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handler)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


@contextlib.contextmanager
def _hushed(quiet: bool) -> Iterator[None]:
    """--quiet: no warnings of the libraries (matplotlib, numpy, numba) either, here and in
    the worker processes started meanwhile."""
    if not quiet:
        yield
        return
    before = os.environ.get("PYTHONWARNINGS")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        os.environ["PYTHONWARNINGS"] = "ignore"
        try:
            yield
        finally:
            if before is None:
                os.environ.pop("PYTHONWARNINGS", None)
            else:
                os.environ["PYTHONWARNINGS"] = before


def _load(arg: str | None):
    from airdefense.scenario import library
    from airdefense.scenario.load import load_scenario

    try:
        path = library.resolve(arg)
    except FileNotFoundError as exc:
        raise _fail(str(exc)) from None
    return path, load_scenario(path)


def _progress(disable: bool = False) -> Progress:
    """The commands' progress bar: what is being done, the bar, percent, time elapsed."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=disable,
    )


def _version(value: bool) -> None:
    if value:
        console.print(f"airdefense {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """airdefense: simulate, score and report air-defence scenarios."""


@_command()
def run(
    scenario: Annotated[
        str | None,
        typer.Argument(
            help="Scenario file, or a bundled scenario's name. Default: the bundled default."
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Run directory (default runs/<scenario>-<UTC time>)."),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(help="Override the scenario's seed (0 to 2**63-1).", min=0, max=MAX_SEED),
    ] = None,
    trial: Annotated[
        int,
        typer.Option(
            help="Trial number: its own random stream (0 to 2**63-1).", min=0, max=MAX_SEED
        ),
    ] = 0,
    quiet: Annotated[
        bool,
        typer.Option("--quiet", "-q", help="Print only the run directory (and no warnings)."),
    ] = False,
    no_report: Annotated[
        bool, typer.Option("--no-report", help="Skip report.html and replay.html.")
    ] = False,
) -> None:
    """Run a scenario: simulate, write the run directory and its report, print a summary."""
    from airdefense.sim.ahead import CompileAhead

    path, sc = _load(scenario)
    if seed is not None:
        sc = sc.model_copy(update={"seed": seed})
    # the first run (numba's cache lacks the tracker's kernels): a helper process starts
    # compiling them now, on the other core, while this one imports, resolves and runs
    ahead = CompileAhead.start()
    try:
        _run(path, sc, out, trial, quiet, no_report, ahead)
    finally:
        if ahead is not None:
            ahead.close()


def _run(
    path: Path,
    sc: Scenario,
    out: Path | None,
    trial: int,
    quiet: bool,
    no_report: bool,
    ahead: CompileAhead | None,
) -> None:
    """``run`` once its scenario is read (and the compile-ahead helper started, if any)."""
    from airdefense.record.rundir import RunDirSlot, default_run_dir
    from airdefense.report import write_report
    from airdefense.report.replay import write_replay
    from airdefense.scenario import resolve
    from airdefense.sim.loop import simulate
    from airdefense.world.adsb import TrafficDataMissing
    from airdefense.world.build import CivilTrafficError

    finishers = () if no_report else (write_report, write_replay)
    theatre = resolve(sc, str(path))
    dest = out if out is not None else default_run_dir(sc.name)
    show = not quiet and console.is_terminal
    start = time.perf_counter()
    try:
        # the destination is checked, locked and its temporary directory made before the
        # simulation: one that cannot be written is one line now, not after the run
        with RunDirSlot(dest) as slot:
            if show:
                with _progress() as bar:
                    task = bar.add_task(f"simulating {sc.name}", total=1.0)
                    result = simulate(
                        theatre,
                        trial=trial,
                        progress=lambda f: bar.update(task, completed=f),
                        compile_ahead=ahead,
                    )
                    bar.update(task, description="writing run directory")
                    written = slot.write(result, finishers)
            else:
                result = simulate(theatre, trial=trial, compile_ahead=ahead)
                written = slot.write(result, finishers)
    except TrafficDataMissing as exc:
        raise _fail(f"{path}: civil_traffic: {exc}") from None
    except CivilTrafficError as exc:
        raise _fail(f"{path}: {exc}") from None
    except KeyboardInterrupt:
        raise _interrupted() from None
    elapsed = time.perf_counter() - start
    if quiet:
        console.print(shown(written), markup=False, highlight=False)
        return
    _print_summary(result.summary, elapsed)
    report = written / "report.html"
    console.print(f"run directory: [bold]{_path(written)}[/bold]")
    if report.exists():
        console.print(f"report:        [bold]{_path(report)}[/bold]")
    if (written / "replay.html").exists():
        console.print(f"replay:        [bold]{_path(written / 'replay.html')}[/bold]")


def _print_summary(summary: dict[str, object], elapsed: float) -> None:
    from airdefense.record.schema import SUMMARY_COLUMNS

    table = Table(title=f"{summary['scenario']} (seed {summary['seed']}, trial {summary['trial']})")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_column("meaning", style="dim")
    for key, (_, meaning) in SUMMARY_COLUMNS.items():
        if key in ("scenario", "seed", "trial"):
            continue
        value = summary.get(key)
        text = (
            "-" if value is None else f"{value:,.1f}" if isinstance(value, float) else f"{value:,}"
        )
        table.add_row(key, text, meaning)
    table.add_row("wall_time_s", f"{elapsed:.2f}", "wall-clock seconds, simulation and writing")
    console.print(table)


@_command()
def validate(
    scenario: Annotated[str, typer.Argument(help="Scenario file, or a bundled scenario's name.")],
) -> None:
    """Check a scenario file and say what it holds; exit 2 with one line if it is wrong."""
    path, sc = _load(scenario)
    threats = sum(r.count for r in sc.raids)
    console.print(
        f"ok: {shown(path)}: {sc.name}: {len(sc.sensors)} sensors, {len(sc.raids)} raids ({threats} threats), "
        f"{len(sc.civil_traffic)} civil traffic collections, {len(sc.batteries)} batteries, "
        f"{sc.duration_s:g} s at {sc.time_step_s:g} s steps",
        markup=False,
        highlight=False,
    )


@_command()
def scenarios() -> None:
    """List the bundled scenarios, a line each."""
    from airdefense.scenario import library

    table = Table(show_header=True, box=None)
    table.add_column("name", style="bold")
    table.add_column("description")
    for name, path in library.bundled().items():
        mark = " (default)" if name == library.DEFAULT_SCENARIO else ""
        table.add_row(name + mark, library.describe(path))
    console.print(table)


@_command()
def presets(
    name: Annotated[
        str | None, typer.Argument(help="A preset's name: print its parameters and their sources.")
    ] = None,
) -> None:
    """List the system presets, or show one preset's parameters with the public source of each."""
    from airdefense.systems import catalog

    if name is None:
        table = Table(show_header=True, box=None)
        table.add_column("kind", style="dim")
        table.add_column("name", style="bold")
        table.add_column("description")
        for kind, presets_of_kind in catalog.KINDS.items():
            for key in sorted(presets_of_kind):
                table.add_row(kind, key, presets_of_kind[key].description)
        console.print(table)
        return
    found = [(k, p[name]) for k, p in catalog.KINDS.items() if name in p]
    if not found:
        known = ", ".join(sorted(n for p in catalog.KINDS.values() for n in p))
        raise _fail(f"{name}: unknown preset (known: {known})")
    kind, preset = found[0]
    table = Table(title=f"{preset.name} ({kind}): {preset.description}", title_justify="left")
    table.add_column("parameter")
    table.add_column("value", justify="right")
    table.add_column("source", style="dim", overflow="fold")
    for field, value in preset.model_dump(exclude={"name", "description", "sources"}).items():
        text = (
            ", ".join(map(str, value))
            if isinstance(value, list)
            else f"{value:g}"
            if isinstance(value, float)
            else str(value)
        )
        table.add_row(
            field, text, preset.sources.get(field, "model default (no preset-specific figure)")
        )
    console.print(table)


@_command()
def schema(
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write here instead of stdout.")
    ] = None,
) -> None:
    """Write the JSON Schema of the scenario format (for editors' YAML language servers)."""
    from airdefense.scenario.schema import schema_text

    text = schema_text()
    if out is None:
        sys.stdout.write(text)
        return
    from airdefense.files import write_atomic
    from airdefense.record.rundir import check_output_file, output_error

    check_output_file(out)
    try:
        write_atomic(out, text.encode("utf-8"))
    except OSError as exc:
        raise output_error(exc, out) from None
    console.print(f"wrote {shown(out)}", markup=False, highlight=False)


@_command()
def track(
    detections: Annotated[
        Path,
        typer.Argument(
            help="Detections file, Parquet or CSV (by extension), rows in time order, or raw "
            "ASTERIX CAT048 (.ast, .asterix; sensor_id = SAC * 256 + SIC). Cartesian "
            "columns: t, x, y, z, sx, sy, sz (seconds; ENU metres; noise std per axis, m). Polar "
            "columns: t, sensor_id, range, azimuth, elevation, sigma_range, sigma_azimuth, "
            "sigma_elevation (metres and radians, azimuth clockwise from north, elevation up "
            "from the horizontal; the sensors' sites in --config). Optional: truth_id (-1 unknown).",
            show_default=False,
        ),
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="Tracks Parquet file to write: t, track_id, x, y, z, vx, vy, vz, status, sx, sy, "
            "sz, quality, truth_id.",
            show_default=False,
        ),
    ],
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="Tracker YAML (filter, association, confirmation, ..., origin, sensors by id). "
            "Default: the built-in settings.",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite --out if it exists (refused otherwise).")
    ] = False,
    quiet: Annotated[
        bool,
        typer.Option("--quiet", "-q", help="Print only the tracks file's path (and no warnings)."),
    ] = False,
) -> None:
    """Track a detections file and write the tracks to Parquet, streamed (memory stays flat).

    A bad file gets one line `error: FILE: column: ...`, exit code 2, and nothing is written.
    """
    from airdefense.geo import Frame
    from airdefense.record.rundir import WRITE_ERRNOS, check_output_file, io_errno, output_error
    from airdefense.scenario.load import load_model
    from airdefense.tracking.config import TrackerConfig
    from airdefense.tracking.readers import (
        ASTERIX_SUFFIXES,
        DetectionsReader,
        DetectionsSource,
    )
    from airdefense.tracking.tracker import Tracker
    from airdefense.tracking.writer import TrackWriter, check_output

    cfg = load_model(config, TrackerConfig, "tracker settings") if config else TrackerConfig()
    frame = (
        Frame.from_degrees(cfg.origin.lat_deg, cfg.origin.lon_deg, cfg.origin.alt_m)
        if cfg.origin is not None
        else None
    )
    if out.resolve() == detections.resolve():
        raise _fail(f"{out}: is the detections file (choose another --out)")
    show = not quiet and console.is_terminal
    start = time.perf_counter()
    try:
        check_output_file(out)
        check_output(out, force=force)
        open_reader: type[DetectionsSource] = DetectionsReader
        if detections.name.lower().endswith(ASTERIX_SUFFIXES):  # raw CAT048 plots
            from airdefense.interop.asterix.plots import AsterixPlotsReader

            open_reader = AsterixPlotsReader
        with (
            open_reader(detections, sensors=cfg.sensors.keys(), config=cfg) as reader,
            TrackWriter(out, force=force) as writer,
            _progress(disable=not show) as bar,
        ):
            task = bar.add_task(f"tracking {_path(detections.name)}", total=1.0)
            tracker = Tracker(cfg, frame)
            for chunk in reader:
                for updates in tracker.run(chunk):
                    writer.write(updates)
                bar.update(task, completed=reader.fraction)
    except KeyboardInterrupt:
        raise _interrupted() from None
    except OSError as exc:
        if io_errno(exc) in WRITE_ERRNOS and exc.filename != str(detections):
            raise output_error(exc, out) from None
        raise
    elapsed = time.perf_counter() - start
    for note in reader.notes:  # what an ASTERIX file held that could not be used
        err_console.print(
            f"warning: {shown(detections)}: {shown(note)}", markup=False, highlight=False
        )
    if quiet:
        console.print(shown(out), markup=False, highlight=False)
        return
    table = Table(title=f"tracked {_path(detections)}", title_justify="left")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_row(f"detections read ({reader.kind})", f"{reader.rows_read:,}")
    table.add_row("tracks", f"{writer.tracks:,}")
    table.add_row("tracks confirmed", f"{writer.confirmed_tracks:,}")
    table.add_row("rows written", f"{writer.rows:,}")
    table.add_row("seconds", f"{elapsed:.2f}")
    console.print(table)
    console.print(f"tracks: [bold]{_path(out)}[/bold]")


@_command()
def score(
    tracks: Annotated[
        Path,
        typer.Argument(
            help="Tracks file as `airdefense track` writes it (Parquet or CSV): t, track_id, x, y, "
            "z, vx, vy, vz, status (tentative/confirmed/coasting or 0/1/2).",
            show_default=False,
        ),
    ],
    truth: Annotated[
        Path,
        typer.Option(
            "--truth",
            help="Truth file (Parquet or CSV): t, truth_id, x, y, z (seconds, ENU metres).",
            show_default=False,
        ),
    ],
    c_m: Annotated[
        float,
        typer.Option(
            "--c-m", help="GOSPA cut-off distance c (m), > 0 and at most 1e7 (10,000 km)."
        ),
    ] = 1000.0,
    association_m: Annotated[
        float | None,
        typer.Option(
            "--association-m",
            help="SIAP: a track within this distance (m) of a truth is associated with it, > 0 "
            "and at most 1e7. Default: the GOSPA cut-off c.",
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the figures as one JSON object.")
    ] = False,
) -> None:
    """Score tracks against truth: GOSPA (mean total, localisation, missed, false) and SIAP."""
    import json
    import math

    from airdefense.tracking.metrics import evaluate
    from airdefense.tracking.readers import read_tracks, read_truth

    for name, value in (("--c-m", c_m), ("--association-m", association_m)):
        if value is not None and not (math.isfinite(value) and 0 < value <= MAX_DISTANCE_M):
            raise _fail(
                f"{name}: must be a finite number > 0 and at most {MAX_DISTANCE_M:,.0f} m "
                f"(got {value:g})"
            )
    assoc = c_m if association_m is None else association_m
    truth_data = read_truth(truth)
    track_data = read_tracks(tracks)
    figures = evaluate(truth_data, track_data, c_m=c_m, p=2, association_distance_m=assoc).as_dict()
    if as_json:
        clean = {k: (float(v) if math.isfinite(float(v)) else None) for k, v in figures.items()}
        sys.stdout.write(json.dumps(clean, indent=2) + "\n")
        return
    console.print(f"{shown(tracks)} against {shown(truth)}", markup=False, highlight=False)
    table = Table(title="GOSPA and SIAP", title_justify="left")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_column("meaning")
    for key, value in figures.items():
        v = float(value)
        text = (
            "-"
            if not math.isfinite(v)
            else f"{v:,.0f}"
            if v.is_integer()
            else f"{v:,.3f}"
            if abs(v) >= 1
            else f"{v:.4g}"
        )
        table.add_row(key, text, _SCORE_MEANING.get(key, ""))
    console.print(table)


#: What each figure of `airdefense score` is (GOSPA parts add up to GOSPA squared, p = 2).
_SCORE_MEANING = {
    "gospa_mean": "mean GOSPA over the evaluation times (m)",
    "localisation_mean": "its localisation part: summed squared errors of assigned pairs (m^2)",
    "missed_mean": "its missed part: c^2/2 per missed truth (m^2)",
    "false_mean": "its false part: c^2/2 per false track (m^2)",
    "completeness": "SIAP: share of truth samples held by a track",
    "ambiguity": "SIAP: tracks per held truth (1 is ideal)",
    "spuriousness": "SIAP: share of tracks on no truth",
    "position_accuracy_m": "SIAP: mean position error of associated tracks (m)",
    "velocity_accuracy_mps": "SIAP: mean velocity error (m/s; needs truth velocities)",
    "track_number_change_rate_per_s": "SIAP: track-number changes per second of tracked truth",
    "longest_track_segment": "SIAP: longest single-track share of a truth's life, mean",
    "n_times": "evaluation times",
    "n_truths": "truths",
    "n_tracks": "confirmed tracks",
    "n_track_number_changes": "track-number changes",
    "c_m": "GOSPA cut-off c (m)",
    "p": "GOSPA order p",
    "association_distance_m": "SIAP association distance (m)",
}


@_command()
def export(
    run_dir: Annotated[
        Path, typer.Argument(help="Run directory (holds run.duckdb).", show_default=False)
    ],
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="parquet or csv: one file per table (<table>.parquet / .csv); czml: run.czml, "
            "a CZML document for Cesium (trajectories, tracks, interceptors, sites); asterix: "
            "plots.cat048.ast, tracks.cat062.ast (raw ASTERIX blocks) and tracker-sites.yaml; "
            "dis: run.dis (DIS PDUs back to back) and run-dis.pcap (for Wireshark).",
        ),
    ] = "parquet",
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Directory to write into (default RUN_DIR/export)."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite files that exist (refused otherwise).")
    ] = False,
) -> None:
    """Export a run's tables (Parquet, CSV) or a CZML document; prints the files written."""
    from airdefense.record.export import export_run

    written = export_run(run_dir, fmt, out, force=force)
    for path in written:
        console.print(shown(path), markup=False, highlight=False, soft_wrap=True)


@_command()
def replay(
    run_dir: Annotated[
        Path, typer.Argument(help="Run directory (holds run.duckdb).", show_default=False)
    ],
    port: Annotated[
        int | None,
        typer.Option(help="Port on 127.0.0.1 (default: a free one).", min=1, max=65535),
    ] = None,
    open_browser: Annotated[
        bool, typer.Option("--open", help="Open the replay in the default browser.")
    ] = False,
) -> None:
    """Serve a run's replay.html on 127.0.0.1 (written first if missing) until Ctrl-C."""
    import webbrowser

    from airdefense.report.replay import ensure_replay, serve

    try:
        page = ensure_replay(run_dir)
        server = serve(run_dir, port)
    except OSError as exc:
        where = f"port {port}: cannot listen on 127.0.0.1" if port else "cannot listen on 127.0.0.1"
        raise _fail(f"{where} ({exc.strerror or exc})") from None
    except KeyboardInterrupt:
        raise _interrupted() from None
    url = f"http://127.0.0.1:{server.server_address[1]}/{page.name}"
    console.print(
        f"replay of {shown(run_dir)} at {shown(url)} (Ctrl-C stops)",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    sys.stdout.flush()
    if open_browser:
        webbrowser.open(url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        console.print("stopped", markup=False, highlight=False)
    finally:
        server.server_close()


@_command()
def stream(
    run_dir: Annotated[
        Path, typer.Argument(help="Run directory (holds run.duckdb).", show_default=False)
    ],
    asterix: Annotated[
        str,
        typer.Option(
            "--asterix",
            metavar="HOST:PORT",
            help="Where the ASTERIX data blocks (CAT048 plots, CAT062 tracks) go; 'off' sends "
            "none. A host other than loopback must be given here explicitly.",
        ),
    ] = "127.0.0.1:8600",
    dis: Annotated[
        str,
        typer.Option(
            "--dis",
            metavar="HOST:PORT",
            help="Where the DIS PDUs (IEEE 1278.1-2012, version 7) go; 'off' sends none.",
        ),
    ] = "127.0.0.1:3000",
    speed: Annotated[
        float,
        typer.Option(help="Replay speed: 1 real time, 10 ten times faster, 0 as fast as possible."),
    ] = 1.0,
    quiet: Annotated[
        bool,
        typer.Option("--quiet", "-q", help="No progress line, no summary and no warnings."),
    ] = False,
) -> None:
    """Send a run's ASTERIX data blocks and DIS PDUs as UDP datagrams in replayed time."""
    import math

    from rich.progress import TaskID

    from airdefense.interop import stream as st

    duration = st.run_duration(run_dir)
    if not (math.isfinite(speed) and speed >= 0):
        raise st.StreamError(f"--speed: must be a number >= 0 (got {speed})")
    targets: dict[str, st.Endpoint] = {}
    for name, text, port in (("asterix", asterix, st.ASTERIX_PORT), ("dis", dis, st.DIS_PORT)):
        if text.strip().lower() != st.OFF:
            targets[name] = st.parse_endpoint(text, port, f"--{name}")
    if not targets:
        raise st.StreamError("--asterix and --dis are both off: nothing to send")
    for name, ep in targets.items():
        if not ep.loopback:
            err_console.print(
                f"note: {st.UNITS[name]} go to {shown(ep)}, NOT a loopback address: they leave "
                "this machine",
                markup=False,
            )
    where = ", ".join(f"{st.UNITS[n]} to {shown(ep)}" for n, ep in targets.items())
    pace = "as fast as possible" if speed == 0 else f"at {speed:g}x"
    if not quiet:
        console.print(
            f"streaming {shown(run_dir)}: {where}, {pace} (Ctrl-C stops)",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )

    def counts(status: st.StreamStatus) -> str:
        return ", ".join(f"{status.sent.get(n, 0)} {st.UNITS[n]}" for n in targets)

    bar = Progress(
        TextColumn("[bold]streaming"),
        BarColumn(),
        TextColumn("t {task.completed:.0f}/{task.total:.0f} s"),
        TextColumn("{task.fields[sent]}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=quiet or not console.is_terminal,
    )
    task = TaskID(0)

    def show(status: st.StreamStatus) -> None:
        bar.update(task, completed=min(status.t, duration), sent=counts(status))

    try:
        with bar:
            task = bar.add_task("streaming", total=max(duration, 1e-9), sent="")
            status = st.stream_run(run_dir, targets, speed, duration_s=duration, progress=show)
    except KeyboardInterrupt:
        status = st.StreamStatus(interrupted=True)
    sent = counts(status) if status.sent else "nothing"
    if status.interrupted:
        err_console.print(
            f"interrupted at scenario time {status.t:.1f} s: sent {sent}", markup=False
        )
        raise typer.Exit(code=130)
    if not quiet:
        console.print(
            f"sent {sent}: scenario time {status.t_first or 0:.0f}-{status.t:.0f} s in "
            f"{status.wall_s:.1f} s",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )


@_command()
def montecarlo(
    scenario: Annotated[
        str, typer.Argument(help="Scenario file, or a bundled scenario's name.", show_default=False)
    ],
    trials: Annotated[
        int,
        typer.Option(
            "--trials",
            "-n",
            help="Trials per sweep point; at most 1,000,000 in all (trials x sweep points).",
            min=1,
            max=MAX_TRIALS,
            show_default=False,
        ),
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="Directory for montecarlo.duckdb and report.html. Rerunning the same command "
            "into it runs only the trials it lacks.",
            show_default=False,
        ),
    ],
    sweep: Annotated[
        list[str] | None,
        typer.Option(
            "--sweep",
            help="PATH=V1,V2,...: a scenario field (dotted, list items by name, e.g. "
            "raids.cruise.count=10,20,40) and its values; repeat for a grid.",
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            help="Worker processes of the local cluster (default: one per core; at most 4 per "
            "core and 256).",
            min=1,
        ),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(help="Use the existing Dask cluster at this scheduler (tcp://HOST:PORT)."),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(help="Override the scenario's seed (0 to 2**63-1).", min=0, max=MAX_SEED),
    ] = None,
    quiet: Annotated[
        bool,
        typer.Option("--quiet", "-q", help="Print only the output directory (and no warnings)."),
    ] = False,
    force: Annotated[
        bool,
        typer.Option("--force", help="Discard a different run (scenario, seed, sweep) in --out."),
    ] = False,
) -> None:
    """Run many trials (over a sweep) on Dask; print and report P(no leak), leakers, cost."""
    from airdefense.montecarlo import (
        Interrupted,
        make_plan,
        run_montecarlo,
    )
    from airdefense.montecarlo import (
        Progress as TrialProgress,
    )
    from airdefense.montecarlo.report import summary_rows
    from airdefense.montecarlo.runner import check_cluster_options
    from airdefense.record.rundir import check_output_dir

    check_cluster_options(workers, scheduler)
    path, sc = _load(scenario)
    plan = make_plan(sc, trials, sweep, seed, source=str(path))
    check_output_dir(out)
    show = not quiet and console.is_terminal
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,.0f}/{task.total:,.0f}"),
        TextColumn("{task.fields[rate]}"),
        TextColumn("{task.fields[estimate]}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not show,
    )
    with bar:
        task = bar.add_task(
            f"trials of {sc.name}", total=plan.total, rate="starting workers", estimate=""
        )

        def report(p: TrialProgress) -> None:
            bar.update(
                task, completed=p.done, rate=f"{p.rate_per_s:.2f} trials/s", estimate=p.estimate
            )

        try:
            outcome, results, page = run_montecarlo(
                plan, out, workers=workers, scheduler=scheduler, force=force, progress=report
            )
        except (Interrupted, KeyboardInterrupt):
            bar.stop()
            raise _interrupted(
                f"every finished trial is saved in {out}; rerun the same command to run the rest"
            ) from None
    if quiet:
        console.print(shown(out), markup=False, highlight=False)
    else:
        rows = summary_rows(results)
        sweep_text = " ".join(results.sweep) or "no sweep"
        table = Table(
            title=f"{sc.name}: seed {plan.identity.seed}, {_path(sweep_text)} (95% intervals)",
            title_justify="left",
        )
        for j, head in enumerate(rows[0] if rows else ()):
            table.add_column(_path(head), justify="left" if j == 0 else "right")
        for r in rows:
            table.add_row(*(_path(v) for v in r.values()))
        console.print(table)
        rate = outcome.ran / outcome.elapsed_s if outcome.elapsed_s > 0 else 0.0
        console.print(
            f"trials: {outcome.ran:,} run now ({rate:.2f}/s on {outcome.workers} workers), "
            f"{outcome.skipped:,} already done, {outcome.errors:,} raised"
            if outcome.ran or outcome.lost
            else f"trials: all {outcome.skipped:,} already done (nothing to run)",
            markup=False,
            highlight=False,
        )
        console.print(f"report:   [bold]{_path(page)}[/bold]")
        console.print(f"database: [bold]{_path(out / 'montecarlo.duckdb')}[/bold]")
    if outcome.errors:
        err_console.print(
            f"warning: {outcome.errors} trials raised; their errors are in the report and the "
            "trials table",
            markup=False,
        )
    if outcome.lost:
        err_console.print(
            f"error: {outcome.lost} trials not run ({shown(outcome.lost_reason)}); rerun the "
            "same command to run them",
            markup=False,
        )
        raise typer.Exit(code=1)


def main() -> None:
    """Console-script entry point."""
    # A command imports ~300k long-lived objects (numpy, scipy, matplotlib, numba, ...) and
    # with the default thresholds each burst of them triggers a full collection over all
    # (6 in a run, ~0.5 s). One fifth as many full collections; young cycles are still
    # collected as usual.
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, 50)
    try:
        app()
    finally:
        # The process ends with the command: the interpreter's shutdown would run cyclic
        # garbage collections over the whole heap (~0.6 s after a run) to free memory the
        # OS takes back anyway. Frozen, they skip it; atexit handlers still run and the
        # standard streams are still flushed (every file a command writes is closed by then).
        gc.freeze()


if __name__ == "__main__":
    main()
