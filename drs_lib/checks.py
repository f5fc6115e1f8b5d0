"""The library's argument checks, in one place: each checks one value (an integer, a finite
number, a fraction, a percentile, a device, a folder) and raises :class:`ArgumentError` with a
message that names the value, what was given and what is allowed, e.g.::

    parameter 'n_seeds': got 0 (int); allowed: an integer >= 1

The samplers, the ``DRS`` API, the shard writer and the training code check their arguments with
these; the book's notebook parameter schemas (``drs_book.params``) are built on them.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from pathlib import Path

import torch

from drs_lib.device import resolve_device

__all__ = ["ArgumentError", "ParameterError", "check_int", "check_float", "check_fraction", "check_bool", "check_choice",
           "check_percentile", "check_device", "check_directory"]


class ArgumentError(ValueError):
    """An argument (of a library function, or a notebook parameter) has a value the code cannot run with."""


#: The name ``drs_book.params`` gives the error of a notebook parameter: the same type.
ParameterError = ArgumentError


def _fail(name: str, value: object, allowed: str) -> ArgumentError:
    return ArgumentError(f"parameter {name!r}: got {value!r} ({type(value).__name__}); allowed: {allowed}")


def _range_text(kind: str, minimum, maximum) -> str:
    if minimum is not None and maximum is not None:
        return f"{kind} in [{minimum}, {maximum}]"
    if minimum is not None:
        return f"{kind} >= {minimum}"
    if maximum is not None:
        return f"{kind} <= {maximum}"
    return kind


def check_int(name: str, value: object, minimum: int | None = None, maximum: int | None = None) -> int:
    """An integer (bools refused) within the optional bounds."""
    allowed = _range_text("an integer", minimum, maximum)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise _fail(name, value, allowed)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise _fail(name, value, allowed)
    return int(value)


def check_float(name: str, value: object, minimum: float | None = None, maximum: float | None = None) -> float:
    """A finite real number (ints accepted, bools refused) within the optional bounds."""
    allowed = _range_text("a finite number", minimum, maximum)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise _fail(name, value, allowed)
    value_f = float(value)
    if value_f != value_f or value_f in (float("inf"), float("-inf")):
        raise _fail(name, value, allowed)
    if (minimum is not None and value_f < minimum) or (maximum is not None and value_f > maximum):
        raise _fail(name, value, allowed)
    return value_f


def check_bool(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise _fail(name, value, "True or False")
    return value


def check_choice(name: str, value: object, choices: Iterable[object]):
    choices = list(choices)
    if value not in choices:
        raise _fail(name, value, "one of " + ", ".join(repr(c) for c in choices))
    return value


def check_fraction(name: str, value: object) -> float:
    """A finite number in (0, 1] (e.g. an acceptance rate: zero would never finish)."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool) and value == 0:
        raise _fail(name, value, "a finite number in (0, 1]")
    try:
        return check_float(name, value, minimum=0.0, maximum=1.0)
    except ArgumentError:
        raise _fail(name, value, "a finite number in (0, 1]") from None


def check_percentile(name: str, value: object) -> float:
    """A percentile on the 0..100 scale (the 95th percentile is 95, not 0.95)."""
    try:
        return check_float(name, value, minimum=0.0, maximum=100.0)
    except ArgumentError:
        raise _fail(name, value, "a finite number in [0.0, 100.0] (a percentile: the 95th is 95, not 0.95)") from None


def check_device(name: str, value: object) -> torch.device:
    try:
        return resolve_device(value)  # type: ignore[arg-type]
    except ValueError as error:
        raise ArgumentError(f"parameter {name!r}: {error}") from None


def check_directory(name: str, value: object) -> Path:
    """A path for a folder that is created if missing; a path naming an existing file is refused."""
    if not isinstance(value, (str, Path)) or str(value) == "":
        raise _fail(name, value, "a non-empty folder path (string)")
    path = Path(value)
    if path.exists() and not path.is_dir():
        raise _fail(name, value, "a folder path; this one names an existing file")
    return path
