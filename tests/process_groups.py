"""Test helpers for commands started in a process group of their own (a driver and its
workers, as a terminal starts them): wait for the whole group to end, or end it."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time


def group_gone(pgid: int, timeout_s: float) -> bool:
    """Whether every process of group ``pgid`` has ended within ``timeout_s``."""
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def stop(proc: subprocess.Popen[str]) -> None:
    """Kill a started command's process group and reap it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(Exception):
        proc.communicate(timeout=10)
