"""Writing a file so that a reader never sees it half-written."""

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
