"""Hostile scenario and tracker files: structure bombs, special files, binary text, NaN and
infinity, booleans for numbers, keys given twice, every bounded number past its bound. Each
command that reads such a file refuses it in one line, exit 2, and writes nothing."""

from __future__ import annotations

import os
import typing
from pathlib import Path

import annotated_types as at
import pytest
import yaml
from hostile_helpers import airdefense, assert_refused, listing
from pydantic import BaseModel

import airdefense as ad
from airdefense.scenario import library

BASE = library.bundled()["airliner-crossing"].read_text(encoding="utf-8")


def _alias_bomb() -> str:
    """439 bytes that stand for 9^9 (387 million) strings once the aliases are expanded."""
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        prev, cur = chr(96 + i), chr(97 + i)
        lines.append(f"{cur}: &{cur} [{', '.join(['*' + prev] * 9)}]")
    return "\n".join(lines) + "\n"


FILES: dict[str, tuple[bytes | None, str]] = {
    # name: (content, None for a special file; what the line says)
    "alias-bomb.yaml": (_alias_bomb().encode(), "a YAML alias bomb?"),
    "deep.yaml": (b"a: " + b"[" * 20_000 + b"]" * 20_000 + b"\n", "nested more than 50 levels"),
    "binary.yaml": (bytes(range(256)) * 4, "binary file"),
    "latin1.yaml": ("name: caf\xe9\n".encode("latin-1"), "not a UTF-8 text file"),
    "twice.yaml": (BASE.encode() + b"\nseed: 3\nseed: 4\n", "is given twice"),
    "fifo.yaml": (None, "is not a regular file"),
}
COMMANDS = {
    "validate": ["validate", "{f}"],
    "run": ["run", "{f}", "--out", "out"],
    "montecarlo": ["montecarlo", "{f}", "-n", "2", "--out", "mc"],
    "track": ["track", "{det}", "--out", "tracks.parquet", "--config", "{f}"],
}


def _make(workdir: Path, name: str) -> Path:
    content, _ = FILES[name]
    path = workdir / name
    if content is None:
        os.mkfifo(path)
    else:
        path.write_bytes(content)
    return path


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("name", list(FILES))
def test_a_hostile_file_is_one_line(workdir: Path, name: str, command: str) -> None:
    path = _make(workdir, name)
    det = workdir / "plots.csv"
    det.write_text("t,x,y,z,sx,sy,sz\n0,0,0,1000,50,50,50\n")
    before = listing(workdir)
    args = [a.format(f=path.name, det=det.name) for a in COMMANDS[command]]
    line = assert_refused(airdefense(*args, cwd=workdir, timeout=60), contains=FILES[name][1])
    assert line.startswith(f"error: {path.name}")
    assert listing(workdir) == before


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ("raids:\n  - {name: x, preset: cruise-tomahawk-class, count: 1, launch: {centre: "
         "{east_km: 100, north_km: 0}}, aim: {asset: Tavel}, launch_window_s: [.nan, .nan]}",
         "raids[0].launch_window_s[0]: must be a finite number (got nan)"),
        ("doctrine: {damage_share: {cruise: .nan}}", "doctrine.damage_share.cruise: must be a finite"),
        ("doctrine: {salvo: {cruise: -1}}", "doctrine.salvo.cruise: must be >= 0 (got -1)"),
        ("doctrine: {value_per_million_usd: .inf}", "value_per_million_usd: must be a finite"),
        ("seed: yes", "seed: must be a number, not true or false"),
        ("tracking: {max_misses: 100000000000000000000}", "tracking.max_misses: must be <= 100"),
        ("doctrine: {salvo: {cruise: 1000000000000000000000000000000}}", "salvo.cruise: must be <= 16"),
        ("duration_s: 1.0e+400", "duration_s: must be a finite number"),
    ],
)  # fmt: skip
def test_nan_infinity_negatives_and_booleans_are_refused(
    workdir: Path, change: str, says: str
) -> None:
    data = yaml.safe_load(BASE)
    for key, value in yaml.safe_load(change).items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    path = workdir / "bad.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    before = listing(workdir)
    assert_refused(airdefense("run", path.name, "--out", "out", cwd=workdir), contains=says)
    assert listing(workdir) == before


def _numbers(model: type[BaseModel], path: str = "") -> typing.Iterator[tuple[str, float, float]]:
    """(field path, lowest allowed, highest allowed) of every bounded scalar number below a
    model, lists of models by their first item's path (``[0]``)."""
    for name, field in model.model_fields.items():
        ann = field.annotation
        args = [a for a in typing.get_args(ann) if a is not type(None)]
        inner = args[0] if typing.get_origin(ann) in (list,) and args else None
        target = ann if not args or typing.get_origin(ann) is not typing.Union else args[0]
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            yield from _numbers(inner, f"{path}{name}[0].")
        elif isinstance(target, type) and issubclass(target, BaseModel):
            yield from _numbers(target, f"{path}{name}.")
        elif target in (int, float) or (args and args[0] in (int, float)):
            lo = next((m for m in field.metadata if isinstance(m, at.Ge | at.Gt)), None)
            hi = next((m for m in field.metadata if isinstance(m, at.Le | at.Lt)), None)
            if lo is not None and hi is not None:
                low = getattr(lo, "ge", getattr(lo, "gt", None))
                high = getattr(hi, "le", getattr(hi, "lt", None))
                yield f"{path}{name}", low, high


def _dotted(path: str, sc: ad.Scenario) -> str:
    """A ``raids[0].count`` path as a change path by name (``raids.srbm.count``)."""
    out: list[str] = []
    node: object = sc
    for part in path.split("."):
        if part.endswith("[0]"):
            node = getattr(node, part[:-3])[0]
            out += [part[:-3], getattr(node, "name", "") or "0"]
        else:
            node = getattr(node, part, None)
            out.append(part)
    return ".".join(out)


SCENARIO = ad.scenario("vessa-shield")
#: every bounded number of the format but places (an area of their own: far places are
#: refused by ``area_radius_km``)
BOUNDED = [
    (p, lo, hi)
    for p, lo, hi in _numbers(type(SCENARIO))
    if not any(w in p for w in ("position", "centre", "point", "route", "origin", "civil_traffic"))
]
assert len(BOUNDED) > 50


@pytest.mark.parametrize(("path", "low", "high"), BOUNDED, ids=[b[0] for b in BOUNDED])
def test_every_bounded_number_is_refused_past_its_bounds(
    path: str, low: float, high: float
) -> None:
    """Past either bound: the one line of the CLI, naming the field (checked in process for
    every field: the CLI prints this same error's text)."""
    change = _dotted(path, SCENARIO)
    for value in (high * 10 + 1 if high > 0 else high + 1, low - abs(low) - 1):
        with pytest.raises(ad.AirdefenseError) as exc:
            SCENARIO.with_changes({change: value})
        text = str(exc.value)
        assert "\n" not in text
        assert path.split(".")[-1] in text, text
