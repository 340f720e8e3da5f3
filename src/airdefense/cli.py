"""The ``airdefense`` command line (typer + rich). The only module that knows the terminal.

Every user error (a bad scenario, a missing data package, an occupied output directory)
is printed as one line ``error: ...`` on stderr with exit code 2, no traceback, and nothing
written.
"""

from __future__ import annotations

import functools
import gc
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from airdefense._version import __version__
from airdefense.errors import AirdefenseError

if TYPE_CHECKING:
    from airdefense.scenario import Scenario
    from airdefense.sim.ahead import CompileAhead

app = typer.Typer(
    name="airdefense",
    help="Simulate a layered ground-based air defence: scenarios, radars, tracks, engagements.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def _fail(message: str) -> typer.Exit:
    err_console.print(f"error: {message}", markup=False)
    return typer.Exit(code=2)


def _command(**kwargs: Any) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register a command whose user errors (any :class:`AirdefenseError`, from whichever
    stage raises it) end as one line ``error: ...`` and exit code 2."""

    def register(func: Callable[..., None]) -> Callable[..., None]:
        @functools.wraps(func)
        def run(*args: Any, **kw: Any) -> None:
            try:
                func(*args, **kw)
            except AirdefenseError as exc:
                raise _fail(str(exc)) from None

        return app.command(**kwargs)(run)

    return register


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
    seed: Annotated[int | None, typer.Option(help="Override the scenario's seed.", min=0)] = None,
    trial: Annotated[int, typer.Option(help="Trial number: its own random stream.", min=0)] = 0,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print only the run directory.")
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
    from airdefense.record.rundir import check_destination, default_run_dir, write_run
    from airdefense.report import write_report
    from airdefense.report.replay import write_replay
    from airdefense.scenario import resolve
    from airdefense.sim.loop import simulate
    from airdefense.world.adsb import TrafficDataMissing
    from airdefense.world.build import CivilTrafficError

    finishers = () if no_report else (write_report, write_replay)
    theatre = resolve(sc, str(path))
    dest = out if out is not None else default_run_dir(sc.name)
    check_destination(dest)
    show = not quiet and console.is_terminal
    start = time.perf_counter()
    try:
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
                written = write_run(result, dest, finishers)
        else:
            result = simulate(theatre, trial=trial, compile_ahead=ahead)
            written = write_run(result, dest, finishers)
    except TrafficDataMissing as exc:
        raise _fail(f"{path}: civil_traffic: {exc}") from None
    except CivilTrafficError as exc:
        raise _fail(f"{path}: {exc}") from None
    except KeyboardInterrupt:
        err_console.print("interrupted: nothing was written", markup=False)
        raise typer.Exit(code=130) from None
    elapsed = time.perf_counter() - start
    if quiet:
        console.print(str(written), markup=False, highlight=False)
        return
    _print_summary(result.summary, elapsed)
    report = written / "report.html"
    console.print(f"run directory: [bold]{written}[/bold]")
    if report.exists():
        console.print(f"report:        [bold]{report}[/bold]")
    if (written / "replay.html").exists():
        console.print(f"replay:        [bold]{written / 'replay.html'}[/bold]")


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
        f"ok: {path}: {sc.name}: {len(sc.sensors)} sensors, {len(sc.raids)} raids ({threats} threats), "
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
    tmp = out.with_name(f".{out.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise _fail(f"{out}: cannot write ({exc.strerror})") from None
    console.print(f"wrote {out}", markup=False, highlight=False)


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
        bool, typer.Option("--quiet", "-q", help="Print only the tracks file's path.")
    ] = False,
) -> None:
    """Track a detections file and write the tracks to Parquet, streamed (memory stays flat).

    A bad file gets one line `error: FILE: column: ...`, exit code 2, and nothing is written.
    """
    from airdefense.geo import Frame
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
            task = bar.add_task(f"tracking {detections.name}", total=1.0)
            tracker = Tracker(cfg, frame)
            for chunk in reader:
                for updates in tracker.run(chunk):
                    writer.write(updates)
                bar.update(task, completed=reader.fraction)
    except KeyboardInterrupt:
        err_console.print("interrupted: nothing was written", markup=False)
        raise typer.Exit(code=130) from None
    elapsed = time.perf_counter() - start
    for note in reader.notes:  # what an ASTERIX file held that could not be used
        err_console.print(f"warning: {detections}: {note}", markup=False, highlight=False)
    if quiet:
        console.print(str(out), markup=False, highlight=False)
        return
    table = Table(title=f"tracked {detections}", title_justify="left")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_row(f"detections read ({reader.kind})", f"{reader.rows_read:,}")
    table.add_row("tracks", f"{writer.tracks:,}")
    table.add_row("tracks confirmed", f"{writer.confirmed_tracks:,}")
    table.add_row("rows written", f"{writer.rows:,}")
    table.add_row("seconds", f"{elapsed:.2f}")
    console.print(table)
    console.print(f"tracks: [bold]{out}[/bold]")


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
        float, typer.Option("--c-m", help="GOSPA cut-off distance c (m), > 0.")
    ] = 1000.0,
    association_m: Annotated[
        float | None,
        typer.Option(
            "--association-m",
            help="SIAP: a track within this distance (m) of a truth is associated with it. "
            "Default: the GOSPA cut-off c.",
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
        if value is not None and not (math.isfinite(value) and value > 0):
            raise _fail(f"{name}: must be a finite number > 0 (got {value:g})")
    assoc = c_m if association_m is None else association_m
    truth_data = read_truth(truth)
    track_data = read_tracks(tracks)
    figures = evaluate(truth_data, track_data, c_m=c_m, p=2, association_distance_m=assoc).as_dict()
    if as_json:
        clean = {k: (float(v) if math.isfinite(float(v)) else None) for k, v in figures.items()}
        sys.stdout.write(json.dumps(clean, indent=2) + "\n")
        return
    console.print(f"{tracks} against {truth}", markup=False, highlight=False)
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
        console.print(str(path), markup=False, highlight=False, soft_wrap=True)


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
        err_console.print("interrupted: nothing was written", markup=False)
        raise typer.Exit(code=130) from None
    url = f"http://127.0.0.1:{server.server_address[1]}/{page.name}"
    console.print(
        f"replay of {run_dir} at {url} (Ctrl-C stops)",
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
        bool, typer.Option("--quiet", "-q", help="No progress line and no summary.")
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
                f"note: {st.UNITS[name]} go to {ep}, NOT a loopback address: they leave this "
                "machine",
                markup=False,
            )
    where = ", ".join(f"{st.UNITS[n]} to {ep}" for n, ep in targets.items())
    pace = "as fast as possible" if speed == 0 else f"at {speed:g}x"
    if not quiet:
        console.print(
            f"streaming {run_dir}: {where}, {pace} (Ctrl-C stops)",
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
        typer.Option("--trials", "-n", help="Trials per sweep point.", min=1, show_default=False),
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
        typer.Option(help="Worker processes of the local cluster (default: one per core).", min=1),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(help="Use the existing Dask cluster at this scheduler (tcp://HOST:PORT)."),
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Override the scenario's seed.", min=0)] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print only the output directory.")
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

    path, sc = _load(scenario)
    if workers is not None and scheduler is not None:
        raise _fail("--workers and --scheduler: give one (a local cluster, or an existing one)")
    plan = make_plan(sc, trials, sweep, seed, source=str(path))
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
            err_console.print(
                f"interrupted: every finished trial is saved in {out}; rerun the same command "
                "to run the rest",
                markup=False,
            )
            raise typer.Exit(code=130) from None
    if quiet:
        console.print(str(out), markup=False, highlight=False)
    else:
        rows = summary_rows(results)
        sweep_text = " ".join(results.sweep) or "no sweep"
        table = Table(
            title=f"{sc.name}: seed {plan.identity.seed}, {sweep_text} (95% intervals)",
            title_justify="left",
        )
        for j, head in enumerate(rows[0] if rows else ()):
            table.add_column(head, justify="left" if j == 0 else "right")
        for r in rows:
            table.add_row(*r.values())
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
        console.print(f"report:   [bold]{page}[/bold]")
        console.print(f"database: [bold]{out / 'montecarlo.duckdb'}[/bold]")
    if outcome.errors:
        err_console.print(
            f"warning: {outcome.errors} trials raised; their errors are in the report and the "
            "trials table",
            markup=False,
        )
    if outcome.lost:
        err_console.print(
            f"error: {outcome.lost} trials not run ({outcome.lost_reason}); rerun the same "
            "command to run them",
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
