"""Device selection: ``device="auto"`` picks CUDA when present, else the CPU."""

from __future__ import annotations

import torch

ALLOWED_DEVICES = '"auto", "cpu", "cuda" or "cuda:N"'


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """Turn a user-facing device name into a :class:`torch.device`.

    Raises ``ValueError`` for a name torch does not know, and for CUDA when no CUDA device is
    present, with a message that says what is allowed.
    """
    if isinstance(device, torch.device):
        resolved = device
    elif not isinstance(device, str):
        raise ValueError(f"device must be a string ({ALLOWED_DEVICES}); got {device!r} ({type(device).__name__})")
    elif device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    else:
        try:
            resolved = torch.device(device)
        except RuntimeError as error:
            raise ValueError(f"unknown device {device!r}; allowed: {ALLOWED_DEVICES}") from error
        if resolved.type not in ("cpu", "cuda"):
            raise ValueError(f"unsupported device {device!r}; allowed: {ALLOWED_DEVICES}")
    if resolved.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device {str(device)!r} asked for CUDA, but no CUDA device is present; use \"auto\" or \"cpu\"")
        if resolved.index is not None and resolved.index >= torch.cuda.device_count():
            raise ValueError(
                f"device {str(device)!r}: only {torch.cuda.device_count()} CUDA device(s) present (cuda:0..cuda:{torch.cuda.device_count() - 1})"
            )
    return resolved
