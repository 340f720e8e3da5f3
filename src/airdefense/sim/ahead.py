"""Compiling ahead: a cold first run compiles the tracker's kernels on the second core.

The first run after installation compiles every kernel it calls (numba, ``cache=True``)
and the numbers it computes wait for it: about nine tenths of a cold run is compiling, on
one core. The tracker's kernels are about half of that, and the loop needs them only after
the world and the sensors. So ``airdefense run``, when numba's cache lacks the tracker's
kernels, starts a helper process (:meth:`CompileAhead.start`, ``python -m
airdefense.sim.warmup``) before it reads the rest of the scenario; :func:`~airdefense.sim.
loop.simulate` sends it the theatre, and it runs the run's own tracker over a few synthetic
sweeps of one radar (:func:`~airdefense.sim.warmup.warm_tracker`): numba compiles what the
run will call, for the types the run will call it with, and writes it to its cache.
Meanwhile the run compiles the world and the sensors by running them; when the loop first
needs the tracker (:meth:`CompileAhead.wait`) it compiles the engage stage's kernels by
running that stage on a synthetic raid (:func:`~airdefense.sim.warmup.warm_engagement`)
while the helper is still busy, then waits for the helper. The tracker's first call then
loads its kernels from the cache instead of compiling them (numba's dispatcher looks in the
cache when a signature is first called).

Nothing here changes a number: the warm-ups run on their own synthetic inputs with their own
random generators; the helper writes nothing but numba's cache (the files the run would
write), into the cache folder it inherits (``NUMBA_CACHE_DIR``); the two processes compile
disjoint sets of functions (the tracker's modules call no other stage's kernels, and the run
calls no tracker kernel before the helper has ended). A helper that fails, dies or hangs
costs nothing but its time: the run compiles whatever is missing when it calls it, as it
always did. The helper exits when the run goes away (its stdin closes) and is killed and
reaped when the run ends early (an error, Ctrl-C).

Only ``airdefense run`` starts one: a Monte Carlo worker, a test or a script calls
``simulate`` without it and compiles in its own process, as before. This module imports
little (numba and one tracker kernel, to look in the cache) so that the command can start
the helper early.
"""

from __future__ import annotations

import contextlib
import pickle
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from airdefense.tracking import _management

if TYPE_CHECKING:
    from airdefense.types.theatre import Theatre

#: A kernel every tracker calls on every batch, whichever its filter and association: the
#: tracker's kernels are taken as cached once numba's cache holds it for this machine.
TRACKER_SENTINEL = _management.lost_tracks
#: The helper's command line.
HELPER = [sys.executable, "-B", "-m", "airdefense.sim.warmup"]
#: Longest wait for the helper (s), far beyond the ~20 s it takes: a helper that hangs is
#: killed and the run compiles what it lacks.
WAIT_LIMIT_S = 300.0


def cached(dispatcher: object) -> bool | None:
    """Whether numba's on-disk cache holds a compiled version of ``dispatcher`` (a ``@njit``
    function) for this machine and its current source: True or False; None when that cannot
    be told (no disk cache for it, or numba's cache layout not the one this reads)."""
    try:
        cache = dispatcher._cache  # type: ignore[attr-defined]
        index = cache._cache_file._load_index()
        magic = dispatcher.targetctx.codegen().magic_tuple()  # type: ignore[attr-defined]
    except (AttributeError, OSError, EOFError, pickle.UnpicklingError, ValueError):
        return None
    return any(key[1] == magic for key in index)


class CompileAhead:
    """The helper process of a cold first run (see the module docstring): start it with
    :meth:`start`, give it the theatre with :meth:`send`, wait for it where the tracker is
    first needed with :meth:`wait`, end it with :meth:`close` (a context manager does)."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc

    @classmethod
    def start(cls, command: list[str] | None = None) -> CompileAhead | None:
        """Start the helper if the tracker's kernels are not in numba's cache; None
        (nothing started) otherwise, or if it cannot start. It imports what it needs, then
        waits for the theatre (:meth:`send`). ``command`` replaces its command line (tests)."""
        if cached(TRACKER_SENTINEL) is not False:
            return None
        try:
            proc = subprocess.Popen(
                command or HELPER,
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                close_fds=True,
            )
        except OSError:
            return None
        return cls(proc)

    def send(self, theatre: Theatre) -> None:
        """Give the helper the run's theatre (pickled down its stdin, from a thread: the run
        does not wait for the helper to read it). The pipe stays open: the helper watches
        it to know when the run is gone."""
        threading.Thread(target=self._send, args=(theatre,), daemon=True).start()

    def _send(self, theatre: Theatre) -> None:
        stdin = self.proc.stdin
        assert stdin is not None
        with contextlib.suppress(OSError, ValueError):  # a helper already gone
            stdin.write(pickle.dumps(theatre, protocol=pickle.HIGHEST_PROTOCOL))
            stdin.flush()

    @property
    def running(self) -> bool:
        return self.proc.poll() is None

    def wait(self, meanwhile: Callable[[], None] | None = None) -> None:
        """Wait for the helper to finish; first, if it still runs, call ``meanwhile`` (work
        for this process in the meantime; its errors are swallowed: it only compiles
        ahead). The helper is then reaped (and killed if it outlived the wait limit)."""
        if meanwhile is not None and self.running:
            with contextlib.suppress(Exception):
                meanwhile()
        try:
            self.proc.wait(timeout=WAIT_LIMIT_S)
        except subprocess.TimeoutExpired:
            pass
        self.close()

    def close(self) -> None:
        """End the helper if it still runs and reap it (idempotent)."""
        if self.running:
            self.proc.kill()
        self.proc.wait()
        if self.proc.stdin is not None:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()

    def __enter__(self) -> CompileAhead:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
