"""Atomic writes: write beside the destination, then rename, so that an interrupted run
never leaves a half-written results file or cache entry behind."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only the annotation: writing a frame needs its .to_csv, not pandas itself
    import pandas as pd


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def ordinary_permissions(path: str | Path) -> None:
    """Give a ``mkstemp`` file (created 0600) the permissions an ordinary ``open`` would give it."""
    os.chmod(path, 0o666 & ~_umask())


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (same-folder temporary file + ``os.replace``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        ordinary_permissions(temporary)
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: str | Path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def write_csv_atomic(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write a tidy results table as CSV, atomically."""
    return atomic_write_text(path, frame.to_csv(index=False))
