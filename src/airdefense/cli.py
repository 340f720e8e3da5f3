"""The ``airdefense`` command line (typer + rich). The only module that knows the terminal.

Every user error (a bad scenario, a missing data package, an occupied output directory)
is printed as one line ``error: ...`` on stderr with exit code 2, no traceback, and nothing
written.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from airdefense import __version__

app = typer.Typer(
    name="airdefense",
    help="Simulate a layered ground-based air defence: scenarios, radars, tracks, engagements.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


class UserError(Exception):
    """An error the user can fix; printed as one line, exit code 2."""


def _fail(message: str) -> typer.Exit:
    err_console.print(f"error: {message}", markup=False)
    return typer.Exit(code=2)


def _load(arg: str | None):
    from airdefense.scenario import library
    from airdefense.scenario.load import ScenarioError, load_scenario

    try:
        path = library.resolve(arg)
    except FileNotFoundError as exc:
        raise _fail(str(exc)) from None
    try:
        return path, load_scenario(path)
    except ScenarioError as exc:
        raise _fail(str(exc)) from None


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


@app.command()
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
    no_report: Annotated[bool, typer.Option("--no-report", help="Skip report.html.")] = False,
) -> None:
    """Run a scenario: simulate, write the run directory and its report, print a summary."""
    from airdefense.record.rundir import RunDirError, check_destination, default_run_dir, write_run
    from airdefense.report import write_report
    from airdefense.sim.loop import simulate
    from airdefense.world.adsb import TrafficDataMissing
    from airdefense.world.build import CivilTrafficError

    finishers = () if no_report else (write_report,)
    path, sc = _load(scenario)
    if seed is not None:
        sc = sc.model_copy(update={"seed": seed})
    dest = out if out is not None else default_run_dir(sc.name)
    try:
        check_destination(dest)
    except RunDirError as exc:
        raise _fail(str(exc)) from None
    show = not quiet and console.is_terminal
    start = time.perf_counter()
    try:
        if show:
            with Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                TextColumn("{task.percentage:>3.0f}%"),
                TimeElapsedColumn(),
                console=console,
                transient=True,
            ) as bar:
                task = bar.add_task(f"simulating {sc.name}", total=1.0)
                result = simulate(sc, trial=trial, progress=lambda f: bar.update(task, completed=f))
                bar.update(task, description="writing run directory")
                written = write_run(result, dest, finishers)
        else:
            result = simulate(sc, trial=trial)
            written = write_run(result, dest, finishers)
    except TrafficDataMissing as exc:
        raise _fail(f"{path}: civil_traffic: {exc}") from None
    except CivilTrafficError as exc:
        raise _fail(f"{path}: {exc.path}: {exc}") from None
    except RunDirError as exc:
        raise _fail(str(exc)) from None
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


@app.command()
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


@app.command()
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


@app.command()
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


@app.command()
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


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
