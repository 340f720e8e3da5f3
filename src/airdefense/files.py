"""Writing a file so that a reader never sees it half-written; where derived data is cached."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_atomic(target: Path, data: bytes, mode: int = 0o644) -> Path:
    """Write ``data`` to a temporary file beside ``target``, flush it to disk, then rename it
    over ``target`` (an atomic replace on POSIX): a crash leaves the old file or none, never
    a partial one. Returns ``target``."""
    target = Path(target)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{target.stem}-", suffix=f"{target.suffix}.tmp", dir=target.parent
    )
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp_name, mode)
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    return target


def cache_dir(beside: str, name: str) -> Path:
    """The folder of one of airdefense's on-disk caches of derived data (flyout tables,
    parsed traffic): ``$NUMBA_CACHE_DIR/airdefense-<name>`` when that variable is set, so
    the one variable that moves numba's compiled kernels moves (or empties) every cache a
    run fills; else the ``__pycache__`` beside the module ``beside``, as numba's own."""
    numba_dir = os.environ.get("NUMBA_CACHE_DIR")
    if numba_dir:
        return Path(numba_dir) / f"airdefense-{name}"
    return Path(beside).parent / "__pycache__"
