"""Hold a refactor to "no number changed": run a scenario at several seeds with two versions of
airdefense and compare their plots, tracks, engagements and summary, column by column.

    .venv/bin/python bench/same_numbers.py --base REV [--scenario NAME] [--seeds 1,2,3]

``--base REV`` checks the git revision out into a temporary worktree and runs its command
line (``airdefense run --no-report``, then ``airdefense export --format parquet``) beside
this checkout's, with the same interpreter and packages. Both sides go through the command
line a user types, so the script works across refactors of the Python API. A table matches
when every column both versions have is equal row by row (floats bit for bit, NULL where
NULL); columns only the new version has are listed, not compared.

One difference is expected and allowed, and reported apart: an interceptor that reached a
target another interceptor had already killed was credited a second ``kill`` (or, a moment
later, ``target_gone``) before the record issue; it is now ``arrived_destroyed`` (the record
fixed, not the physics).
Exit status 0 when everything else is identical, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
TABLES = ("detections", "tracks", "engagements", "summary")
#: summary figures that measure the computer, not the simulation
NOT_COMPARED = {"wall_time_s"}


def run_cli(src: Path, scenario: str, seed: int, out: Path) -> Path:
    """Run ``airdefense run`` from the package in ``src`` and export Parquet; return the
    export directory."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    cmd = [sys.executable, "-c", "from airdefense.cli import main; main()"]
    run_dir = out / "run"
    subprocess.run(
        [*cmd, "run", scenario, "--seed", str(seed), "--out", str(run_dir), "--no-report", "-q"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    export = out / "parquet"
    subprocess.run(
        [*cmd, "export", str(run_dir), "--format", "parquet", "--out", str(export)],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return export


def _engagement_allowance(old: pa.Table, new: pa.Table) -> tuple[pa.Table, int]:
    """The old engagements with second kills (and ends for want of a target another had
    killed) renamed as the record now names them, and how many were renamed."""
    if "outcome" not in old.column_names or "outcome" not in new.column_names:
        return old, 0
    outcome = old.column("outcome").to_pylist()
    fixed = new.column("outcome").to_pylist()
    renamed = 0
    for i, (a, b) in enumerate(zip(outcome, fixed, strict=False)):
        if a in ("kill", "target_gone") and b == "arrived_destroyed":
            outcome[i] = b
            renamed += 1
    idx = old.column_names.index("outcome")
    return old.set_column(idx, "outcome", pa.array(outcome, pa.string())), renamed


def compare_table(name: str, old: pa.Table, new: pa.Table) -> tuple[list[str], list[str]]:
    """(differences, notes) between two versions of one table."""
    notes: list[str] = []
    if name == "engagements":
        old, renamed = _engagement_allowance(old, new)
        if renamed:
            notes.append(f"{renamed} interceptor(s) now recorded as arrived_destroyed")
    if old.num_rows != new.num_rows:
        return [f"{name}: {old.num_rows} rows before, {new.num_rows} now"], notes
    added = [c for c in new.column_names if c not in old.column_names]
    if added:
        notes.append(f"{name}: new columns {', '.join(added)}")
    diffs = []
    for col in old.column_names:
        if col in NOT_COMPARED:
            continue
        if col not in new.column_names:
            diffs.append(f"{name}.{col}: column gone")
            continue
        a, b = old.column(col), new.column(col)
        if a.type != b.type:
            try:
                b = b.cast(a.type)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                diffs.append(f"{name}.{col}: type {a.type} before, {b.type} now")
                continue
        if not a.equals(b):
            va, vb = a.to_pylist(), b.to_pylist()
            first = next(i for i, (x, y) in enumerate(zip(va, vb, strict=True)) if x != y)
            diffs.append(
                f"{name}.{col}: first differs at row {first}: {va[first]!r} vs {vb[first]!r}"
            )
    return diffs, notes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="git revision to compare against")
    parser.add_argument("--scenario", default="vessa-shield")
    parser.add_argument("--seeds", default="20261125,1,2", help="comma-separated seeds")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    failed = False
    with tempfile.TemporaryDirectory(prefix="same-numbers-") as tmp_name:
        tmp = Path(tmp_name)
        base = tmp / "base"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(base), args.base],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            for seed in seeds:
                old = run_cli(base / "src", args.scenario, seed, tmp / f"old-{seed}")
                new = run_cli(ROOT / "src", args.scenario, seed, tmp / f"new-{seed}")
                for name in TABLES:
                    diffs, notes = compare_table(
                        name,
                        pq.read_table(old / f"{name}.parquet"),
                        pq.read_table(new / f"{name}.parquet"),
                    )
                    state = "DIFFERS" if diffs else "identical"
                    rows = pq.read_metadata(new / f"{name}.parquet").num_rows
                    print(f"seed {seed}: {name:<12} {rows:>7} rows  {state}")
                    for line in diffs + notes:
                        print(f"    {line}")
                    failed |= bool(diffs)
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base)], check=False
            )
    print("no number changed" if not failed else "NUMBERS CHANGED")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
