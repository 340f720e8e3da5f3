"""The bundled scenarios in ``scenario/library/`` and how a command-line argument names one."""

from __future__ import annotations

from pathlib import Path

from airdefense.scenario import yamlfile

LIBRARY_DIR = Path(__file__).parent / "library"
#: What ``airdefense run`` runs with no argument.
DEFAULT_SCENARIO = "vessa-shield"


def bundled() -> dict[str, Path]:
    """Bundled scenario names (file stems) -> files, sorted by name."""
    return {p.stem: p for p in sorted(LIBRARY_DIR.glob("*.yaml"))}


def describe(path: Path) -> str:
    """The first line of a bundled scenario's description."""
    data = yamlfile.load(path.read_text(encoding="utf-8")) or {}
    text = str(data.get("description", "")).strip()
    return text.splitlines()[0] if text else ""


def resolve(arg: str | None) -> Path:
    """A scenario argument as a file: an existing path, or the name of a bundled scenario.

    Raises FileNotFoundError with the known names when it is neither.
    """
    if arg is None:
        return bundled()[DEFAULT_SCENARIO]
    p = Path(arg)
    if p.exists():
        return p
    lib = bundled()
    if arg in lib:
        return lib[arg]
    raise FileNotFoundError(f"{arg}: no such file or bundled scenario (bundled: {', '.join(lib)})")
