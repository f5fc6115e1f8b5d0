"""What a notebook run did with the model cache, observed from outside the notebook.

:class:`CacheWatcher` watches the model cache folder while the kernel runs. On Linux it uses
inotify: an entry the kernel *opened* and did not rewrite was read from the cache; an entry
*moved into place* (``drs_lib.io`` writes beside, then renames) was trained during this run.
Elsewhere it compares the folder before and after, which shows what was trained but not what
was read, and says so. Nothing in the notebooks has to change for this.

:func:`describe_entries` reads the training time that cache payloads record (``seconds`` for
the 2D GAN stacks, ``train_seconds`` for the image models), so a page can say honestly
"models read from the cache (trained in N s when first built)".
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import struct
from dataclasses import dataclass, field
from pathlib import Path

IN_OPEN = 0x00000020
IN_MOVED_TO = 0x00000080
IN_CLOSE_WRITE = 0x00000008
IN_Q_OVERFLOW = 0x00004000
_EVENT = struct.Struct("iIII")
ENTRY_SUFFIX = ".pt"


@dataclass
class CacheActivity:
    """Cache entries (file names) read and written during one run."""

    directory: Path | None
    read: list[str] = field(default_factory=list)
    trained: list[str] = field(default_factory=list)
    reads_known: bool = True  # False where reads could not be observed

    def to_json(self) -> dict:
        directory = None
        if self.directory is not None:
            directory = os.path.relpath(self.directory) if self.directory.is_absolute() else str(self.directory)
        return {"directory": directory, "read": self.read,
                "trained": self.trained, "reads_known": self.reads_known}


class CacheWatcher:
    """Context manager: ``with CacheWatcher(dir) as w: run(); activity = w.activity``."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self.activity = CacheActivity(directory)
        self._fd: int | None = None
        self._before: dict[str, float] = {}

    def __enter__(self) -> "CacheWatcher":
        if self.directory is None:
            return self
        self.directory.mkdir(parents=True, exist_ok=True)
        self._before = _listing(self.directory)
        self._fd = _inotify_watch(self.directory)
        return self

    def __exit__(self, *exc) -> None:
        if self.directory is None:
            return
        after = _listing(self.directory)
        trained = sorted(name for name, mtime in after.items() if self._before.get(name) != mtime)
        if self._fd is None:
            self.activity = CacheActivity(self.directory, [], trained, reads_known=False)
            return
        try:
            opened, moved, overflow = _drain(self._fd)
        finally:
            os.close(self._fd)
            self._fd = None
        trained = sorted(set(trained) | {n for n in moved if n.endswith(ENTRY_SUFFIX)})
        read = sorted(n for n in opened if n.endswith(ENTRY_SUFFIX) and n in after and n not in trained)
        self.activity = CacheActivity(self.directory, read, trained, reads_known=not overflow)


def _listing(directory: Path) -> dict[str, float]:
    return {p.name: p.stat().st_mtime for p in directory.glob(f"*{ENTRY_SUFFIX}") if p.is_file()}


def _inotify_watch(directory: Path) -> int | None:
    """An inotify descriptor watching ``directory`` (None where inotify is unavailable)."""
    if not hasattr(os, "O_NONBLOCK"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        init, add = libc.inotify_init1, libc.inotify_add_watch
    except (OSError, AttributeError):
        return None
    fd = init(os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    if fd < 0:
        return None
    if add(fd, os.fsencode(directory), IN_OPEN | IN_MOVED_TO | IN_CLOSE_WRITE) < 0:
        os.close(fd)
        return None
    return fd


def _drain(fd: int) -> tuple[set[str], set[str], bool]:
    """(names opened, names moved/written into place, whether events were lost)."""
    opened: set[str] = set()
    written: set[str] = set()
    overflow = False
    while True:
        try:
            chunk = os.read(fd, 1 << 16)
        except BlockingIOError:
            break
        if not chunk:
            break
        offset = 0
        while offset + _EVENT.size <= len(chunk):
            _, mask, _, length = _EVENT.unpack_from(chunk, offset)
            name = chunk[offset + _EVENT.size : offset + _EVENT.size + length].rstrip(b"\0").decode(errors="replace")
            offset += _EVENT.size + length
            if mask & IN_Q_OVERFLOW:
                overflow = True
            if not name:
                continue
            if mask & (IN_MOVED_TO | IN_CLOSE_WRITE):
                written.add(name)
            elif mask & IN_OPEN:
                opened.add(name)
    return opened, written, overflow


@dataclass
class EntryFacts:
    name: str
    model: str
    seconds: float | None


def describe_entries(directory: Path, names: list[str]) -> list[EntryFacts]:
    """Model name and recorded training seconds of each cache entry (None if not recorded)."""
    facts = []
    for name in names:
        path = directory / name
        model = name.rsplit("-", 1)[0]
        seconds = None
        try:
            raw = path.read_bytes()
            header, _, body = raw.partition(b"\n")
            model = json.loads(header).get("key", {}).get("name", model)
            seconds = _recorded_seconds(body)
        except (OSError, ValueError):
            pass
        facts.append(EntryFacts(name, model, seconds))
    return facts


def _recorded_seconds(body: bytes) -> float | None:
    import io

    import torch

    payload = torch.load(io.BytesIO(body), map_location="cpu", weights_only=True)
    if not isinstance(payload, dict):
        return None
    values = [payload[k] for k in ("seconds", "train_seconds") if isinstance(payload.get(k), (int, float))]
    return float(sum(values)) if values else None


def format_seconds(seconds: float) -> str:
    """'42 s', '3.5 min', '1.2 h'."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def cache_sentence(activity: CacheActivity, read: list[EntryFacts], trained: list[EntryFacts], *,
                   trains: bool = True) -> str:
    """One honest sentence about the trained models: read from the cache or trained in this run,
    with the training time the cache recorded. ``trains=False``: a summary page that trains nothing."""
    if not trains:
        return "This page trains no model: it reads the results the chapters wrote."
    if activity.directory is None:
        return "This run used no model cache: the models on this page were trained during the run."
    parts = []
    if read:
        known = [f.seconds for f in read if f.seconds is not None]
        when = ""
        if known:
            when = f"; training {'it' if len(read) == 1 else 'them'} took {format_seconds(sum(known))} when first built"
            if len(known) < len(read):
                when += f" (not recorded for {len(read) - len(known)})"
        parts.append(f"models read from the cache, not trained in this run: {_names(read)}{when}")
    if trained:
        known = [f.seconds for f in trained if f.seconds is not None]
        took = f", which took {format_seconds(sum(known))} of this run" if known else ""
        parts.append(f"models trained in this run (and stored in the cache): {_names(trained)}{took}")
    if not parts:
        if not activity.reads_known:
            return ("No model was trained in this run; whether models were read from the cache "
                    "could not be observed on this system.")
        return "No trained model was read from or written to the model cache in this run."
    sentence = ". ".join(p[0].upper() + p[1:] for p in parts) + "."
    if not activity.reads_known:
        sentence += " (Reads from the cache could not be observed on this system; the list of models read may be incomplete.)"
    return sentence


def _names(entries: list[EntryFacts]) -> str:
    counts: dict[str, int] = {}
    for entry in entries:
        counts[entry.model] = counts.get(entry.model, 0) + 1
    return ", ".join(f"`{m}`" + (f" ×{n}" if n > 1 else "") for m, n in counts.items())


