"""Placing computed numbers in a notebook's prose (myst-nb ``glue``) and formatting mean ± std.

myst-nb formats ``{glue:text}`key:.2f``` from the stored ``text/plain`` repr, which for NumPy
scalars reads ``np.float64(0.31)`` and cannot be formatted; :func:`glue_value` stores plain
Python numbers instead. :func:`low_outliers` names the models that failed where the others did not.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence

import numpy as np
import torch


def plain(value: object) -> object:
    """Python int/float/str for NumPy or torch scalars; other values unchanged."""
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            raise ValueError(f"only single-element tensors can be placed in text; got shape {tuple(value.shape)}")
        value = value.item()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Number):
        return value
    return int(value) if isinstance(value, numbers.Integral) else float(value)


def glue_value(key: str, value: object) -> object:
    """``myst_nb.glue(key, value, display=False)`` with NumPy/torch scalars made plain."""
    from myst_nb import glue

    value = plain(value)
    glue(key, value, display=False)
    return value


def mean_std(values: Iterable[float], digits: int = 2) -> str:
    """'m ± s' over seeds (sample std, ddof=1; '± nan' would hide a single run, so n ≥ 2 is required)."""
    array = np.asarray(list(values), dtype=float)
    if array.size < 2:
        raise ValueError(f"mean ± std needs at least two values; got {array.size}")
    return f"{array.mean():.{digits}f} ± {array.std(ddof=1):.{digits}f}"


def low_outliers(values: Sequence[float], k: float = 3.0) -> list[int]:
    """Positions of the values more than ``k`` scaled median absolute deviations below the median
    (1.4826 MAD estimates the std of a normal sample): a model that failed where the others did
    not. Reported beside a mean, never removed from the verdicts. Empty when the MAD is 0."""
    array = np.asarray(values, dtype=float)
    if array.ndim != 1 or array.size < 3:
        raise ValueError(f"low_outliers needs a 1D sequence of at least 3 values, got shape {array.shape}")
    median = float(np.median(array))
    spread = 1.4826 * float(np.median(np.abs(array - median)))
    if spread == 0.0:
        return []
    return [int(i) for i in np.flatnonzero(array < median - k * spread)]
