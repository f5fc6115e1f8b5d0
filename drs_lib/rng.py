"""Random-number generators for the samplers: one explicit ``torch.Generator`` per run, no global state."""

from __future__ import annotations

import numbers

import torch

__all__ = ["make_rng"]


def make_rng(rng: torch.Generator | int | None, device: torch.device | str) -> torch.Generator:
    """A torch.Generator on ``device``: ``rng`` itself, or a fresh one seeded with the int (``None``: 0)."""
    if isinstance(rng, torch.Generator):
        return rng
    if isinstance(rng, bool) or not (rng is None or isinstance(rng, numbers.Integral)):
        raise ValueError(f"rng must be a torch.Generator, an int seed or None; got {rng!r}")
    generator = torch.Generator(device=torch.device(device))
    generator.manual_seed(0 if rng is None else int(rng))
    return generator
