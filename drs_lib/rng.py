"""Random-number generators for the samplers: one explicit ``torch.Generator`` per run, no global state,
and the one recipe that derives a generator's seed from a run's seed and a purpose."""

from __future__ import annotations

import hashlib
import numbers

import torch

__all__ = ["make_rng", "hashed_seed"]


def make_rng(rng: torch.Generator | int | None, device: torch.device | str) -> torch.Generator:
    """A torch.Generator on ``device``: ``rng`` itself, or a fresh one seeded with the int (``None``: 0)."""
    if isinstance(rng, torch.Generator):
        return rng
    if isinstance(rng, bool) or not (rng is None or isinstance(rng, numbers.Integral)):
        raise ValueError(f"rng must be a torch.Generator, an int seed or None; got {rng!r}")
    generator = torch.Generator(device=torch.device(device))
    generator.manual_seed(0 if rng is None else int(rng))
    return generator


def hashed_seed(*parts: object) -> int:
    """A 63-bit ``torch.Generator`` seed from ``parts`` (a namespace, the run's seed, a purpose, ...).

    The first 8 bytes, little-endian, of SHA-256 of the parts' ``str`` joined by ``":"``: seeds of
    different purposes or neighbouring (seed, index) pairs are unrelated (``seed · K + index``
    would make seed 0's batch K the same as seed 1's batch 0), and a seed depends on nothing else
    (no process rank, no earlier draw).
    """
    text = ":".join(map(str, parts))
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little") & ((1 << 63) - 1)
