"""The hostile-input corpus: every command run as a user runs it, in a subprocess capped in
time and memory, on input an adversary wrote. A hostile case passes when the command exits
with 2, prints exactly one line (``error: ...``) and no traceback, and has written nothing.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

#: Caps of one command: what a user would wait for, and memory far above a run's needs.
TIME_CAP_S = 120.0
MEMORY_CAP_BYTES = 3 * 1024**3


@dataclass(frozen=True)
class Outcome:
    """What a command did: its exit code, its standard output and error."""

    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        """Its non-empty lines of standard error."""
        return [line for line in self.err.splitlines() if line.strip()]


def _caps() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP_BYTES, MEMORY_CAP_BYTES))


def airdefense(*args: str | Path, cwd: Path, timeout: float = TIME_CAP_S) -> Outcome:
    """Run ``airdefense ARGS`` in ``cwd`` as a console script would, under the caps."""
    env = {**os.environ, "PYTHONWARNINGS": "default", "COLUMNS": "200"}
    proc = subprocess.run(
        [sys.executable, "-c", "from airdefense.cli import main; main()", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=_caps,
        env=env,
    )
    return Outcome(proc.returncode, proc.stdout, proc.stderr)


def listing(root: Path) -> set[str]:
    """Every path below ``root`` (hidden ones too), relative to it."""
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def assert_refused(outcome: Outcome, starts: str = "error: ", contains: str = "") -> str:
    """One line, ``error: ...``, exit code 2, no traceback; return the line."""
    assert outcome.code == 2, (outcome.code, outcome.err[-2000:])
    assert len(outcome.lines) == 1, outcome.err[-2000:]
    line = outcome.lines[0]
    assert line.startswith(starts), line
    assert contains in line, line
    assert "Traceback" not in outcome.err
    return line


def start(
    *args: str | Path, cwd: Path, prelude: str = "", new_session: bool = False
) -> subprocess.Popen[str]:
    """``airdefense ARGS`` started, not waited for, under the memory cap; ``prelude`` is
    Python run before the command (a patch); ``new_session``: in a process group of its own
    (the driver and its workers), as a terminal starts it, so Ctrl-C goes to the group."""
    code = prelude + "\nfrom airdefense.cli import main\nmain()\n"
    env = {**os.environ, "PYTHONWARNINGS": "default", "COLUMNS": "200"}
    return subprocess.Popen(
        [sys.executable, "-c", code, *map(str, args)],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_caps,
        start_new_session=new_session,
        env=env,
    )
