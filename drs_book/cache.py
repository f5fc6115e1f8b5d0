"""On-disk cache of trained models, keyed by everything that determines them.

An entry is one file, ``<name>-<key digest>.pt``, holding a JSON header line and a
``torch.save`` payload. The header records the full key (the configuration plus the library
version and the cache format) and the SHA-256 of the payload bytes. On load:

* the stored key must equal the requested key, else the entry is *stale*;
* the payload's digest must match the header, else the entry is *corrupt*;

and either way the model is rebuilt and the entry rewritten, never loaded. Entries are
written atomically (:func:`drs_lib.io.atomic_write_bytes`), so an interrupted training run
leaves no entry rather than half of one.
"""

from __future__ import annotations

import hashlib
import io
import json
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import torch

import drs_lib
from drs_lib.io import atomic_write_bytes

CACHE_FORMAT = 1


def _canonical(value: Any) -> Any:
    """JSON-able canonical form; refuses values whose text form would be ambiguous."""
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, (bool, int, str)) or value is None:
        return value
    if isinstance(value, float):
        return repr(value)  # exact round-trip text, and NaN/inf stay distinct
    if isinstance(value, torch.device):
        return str(value)
    raise TypeError(f"cache key values must be JSON-like (dict, list, str, int, float, bool, None); got {type(value).__name__}")


class ModelCache:
    """Get-or-build store of trained models.

    ``directory=None`` or ``enabled=False`` turns the cache off: every call builds.
    """

    def __init__(self, directory: str | Path | None, enabled: bool = True) -> None:
        self.directory = Path(directory) if directory is not None else None
        self.enabled = bool(enabled) and directory is not None
        self.hits = 0
        self.misses = 0
        self.rebuilt_invalid = 0

    def key(self, name: str, config: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "name": name,
            "config": _canonical(config),
            "library_version": drs_lib.__version__,
            "cache_format": CACHE_FORMAT,
        }

    def path(self, name: str, config: Mapping[str, Any]) -> Path:
        if self.directory is None:
            raise ValueError("this cache has no directory")
        text = json.dumps(self.key(name, config), sort_keys=True)
        digest = hashlib.sha256(text.encode()).hexdigest()[:20]
        return self.directory / f"{name}-{digest}.pt"

    def get_or_create(self, name: str, config: Mapping[str, Any], build: Callable[[], dict]) -> dict:
        """Return the cached payload for ``(name, config)``, building and storing it if needed."""
        if not name or not all(c.isalnum() or c in "-_" for c in name):
            raise ValueError(f"cache entry name must be letters, digits, '-' or '_'; got {name!r}")
        key = self.key(name, config)
        if self.enabled:
            path = self.path(name, config)
            payload = self._load(path, key)
            if payload is not None:
                self.hits += 1
                return payload
        self.misses += 1
        payload = build()
        if not isinstance(payload, dict):
            raise TypeError(f"build() must return a dict; got {type(payload).__name__}")
        if self.enabled:
            self._store(self.path(name, config), key, payload)
        return payload

    def _store(self, path: Path, key: dict, payload: dict) -> None:
        buffer = io.BytesIO()
        torch.save(payload, buffer)
        body = buffer.getvalue()
        header = {"key": key, "sha256": hashlib.sha256(body).hexdigest(), "size": len(body)}
        atomic_write_bytes(path, json.dumps(header, sort_keys=True).encode() + b"\n" + body)

    def _load(self, path: Path, key: dict) -> dict | None:
        if not path.exists():
            return None
        try:
            raw = path.read_bytes()
            header_line, _, body = raw.partition(b"\n")
            header = json.loads(header_line)
            if header.get("key") != key:
                reason = "stale (its key differs from the requested one)"
            elif header.get("size") != len(body) or header.get("sha256") != hashlib.sha256(body).hexdigest():
                reason = "corrupt (payload checksum mismatch)"
            else:
                return torch.load(io.BytesIO(body), map_location="cpu", weights_only=True)
        except Exception as error:  # unreadable header or payload: same remedy as corruption
            reason = f"unreadable ({type(error).__name__}: {error})"
        self.rebuilt_invalid += 1
        warnings.warn(f"model cache entry {path.name} is {reason}; rebuilding it", stacklevel=3)
        return None
