"""Numbers over seeds: the values a claim rests on, their Student-t intervals and how many models
would decide; the verdict names. Part of :mod:`drs_book.claims`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import numpy as np


from scipy import stats


REPRODUCED = "reproduced"
PARTLY = "partly"
SMALLER = "smaller than reported"
LARGER = "larger than reported"
INCONCLUSIVE = "inconclusive"
CONTRADICTED = "contradicted"
NOT_COMPARABLE = "not comparable"
VERDICTS = (REPRODUCED, PARTLY, SMALLER, LARGER, INCONCLUSIVE, CONTRADICTED, NOT_COMPARABLE)
"""The one verdict vocabulary: every rule returns one of these, and the chapter status and the
landing page's answers are derived from them (:data:`MEANING` says what each one means)."""
MEANING = {
    REPRODUCED: "the effect is there and its size (or the level) is consistent with the paper's",
    PARTLY: "one part of a two-part claim holds, the other does not",
    SMALLER: "our interval excludes the paper's effect on the small side: the effect, if any, is smaller than reported",
    LARGER: "our interval excludes the paper's effect on the large side",
    INCONCLUSIVE: "our interval holds both the paper's value (or effect) and a meaningful miss (or no effect)",
    CONTRADICTED: "the effect goes the other way, or our interval excludes the paper's level",
    NOT_COMPARABLE: "nothing we measure is the paper's quantity (the reason is given)",
}
NOT_YET_CHECKED = "not yet checked"
"""Status of a chapter that has not written its claims file (yet)."""

CLAIM = "claim"
CHECK = "check"
CALIBRATION = "calibration"
EXTENSION = "extension"
KINDS = (CLAIM, CHECK, CALIBRATION, EXTENSION)
"""What a record is. ``claim``: an empirical statement of the paper, tested; only these make the
bottom line and the per-paper counts. ``check``: our code against a known answer or an identity
(a theorem checked numerically tests the code, not the paper). ``calibration``: matched by
construction, a number our setting was chosen or tuned to sit near (evidence that the setting is
comparable, not a reproduced claim). ``extension``: a question of ours that the paper does not
state for the setting tested (e.g. the class mix under DRS, or a 25-Gaussian finding carried to
images, which stand in for the paper's ImageNet); its record's ``paper`` field says so, its test
is necessarily ours, and it is reported beside the paper's claims, never counted among them."""

SIZE_TOLERANCE = 0.25
"""Book-wide tolerance of the size test (:func:`drs_book.claims.rules.effect`): an effect whose
interval lies above 0 and comes within this fraction of the paper's effect counts as the
reported size. Fixed before any verdict was computed, the same for every claim."""

Side = Literal["above", "below"]
Comparison = Literal[">=", "<=", ">", "<"]


class ClaimError(ValueError):
    """Numbers or records a claim cannot be decided from (the message says what is wrong)."""


# --------------------------------------------------------------------------- numbers over seeds


def seed_values(values: Iterable[float], name: str = "values") -> np.ndarray:
    """``values`` as a 1-D float array of at least two finite per-seed numbers, or ClaimError."""
    array = _as_float_array(values, name)
    if array.size == 0:
        raise ClaimError(f"{name}: no values; a claim needs per-seed numbers from at least 2 seeds")
    if array.size < 2:
        raise ClaimError(
            f"{name}: 1 value; a claim needs per-seed numbers from at least 2 seeds "
            "(a single run has no spread to compare a difference with)"
        )
    bad = np.flatnonzero(~np.isfinite(array))
    if bad.size:
        raise ClaimError(f"{name}: non-finite value(s) {array[bad].tolist()} at position(s) {bad.tolist()}; "
                         "every seed must give a finite number")
    return array


def _as_float_array(values: Iterable[float], name: str) -> np.ndarray:
    try:
        array = np.asarray(list(values) if not isinstance(values, np.ndarray) else values, dtype=float)
    except (TypeError, ValueError) as error:
        raise ClaimError(f"{name}: expected per-seed numbers; got {values!r} ({error})") from None
    if array.ndim != 1:
        raise ClaimError(f"{name}: expected one number per seed (1-D); got shape {array.shape}")
    return array


@dataclass(frozen=True)


class Present:
    """Per-seed arrays with the seeds that lack a value in any of them left out."""

    arrays: tuple[np.ndarray, ...]
    n_total: int
    missing: tuple[int, ...]

    def note(self, over: str) -> str:
        """'' when nothing is missing, else a sentence saying what the verdict rests on."""
        if not self.missing:
            return ""
        where = ", ".join(str(i) for i in self.missing)
        return (f" Computed over the {self.n_total - len(self.missing)} of {self.n_total} {over} that have a value "
                f"(no value at position(s) {where}).")


def present(*named: tuple[Iterable[float], str]) -> Present:
    """Drop the seeds whose value is missing (NaN or infinite) in any of the ``(values, name)`` given.

    All arrays must have one value per seed (the same length).
    """
    arrays = [_as_float_array(values, name) for values, name in named]
    sizes = {a.size for a in arrays}
    if len(sizes) > 1:
        names = " and ".join(name for _, name in named)
        raise ClaimError(f"{names}: a paired comparison needs one value of each per seed; got "
                         + " and ".join(str(a.size) for a in arrays))
    keep = np.logical_and.reduce([np.isfinite(a) for a in arrays]) if arrays else np.array([], bool)
    return Present(tuple(a[keep] for a in arrays), int(arrays[0].size) if arrays else 0,
                   tuple(int(i) for i in np.flatnonzero(~keep)))


def models_to_decide(std: float, distance: float, n: int, confidence: float) -> int | None:
    """About how many seeds a t-interval at this spread needs to exclude a point ``distance`` from its mean.

    Solves t_{(1+c)/2, m−1} · std / √m < |distance| for the smallest m ≥ n (the observed mean and
    spread held fixed); None when the distance is 0 or the spread is 0 (more seeds cannot decide).
    """
    distance = abs(float(distance))
    if distance == 0.0 or not std > 0:
        return None
    for m in range(max(n, 2), 100_000):
        if float(stats.t.ppf(0.5 + confidence / 2, m - 1)) * std / math.sqrt(m) < distance:
            return m
    return None


def _needed(verdict: str, std: float, distance: float, n: int, confidence: float) -> int | None:
    """:func:`models_to_decide` for an inconclusive verdict (None otherwise)."""
    return models_to_decide(std, distance, n, confidence) if verdict == INCONCLUSIVE else None


def _as_needed(verdict: str, needed: int | None) -> float:
    """The ``models_needed`` field: the count, ``inf`` when no number would decide, NaN when decided."""
    if verdict != INCONCLUSIVE:
        return math.nan
    return math.inf if needed is None else float(needed)


def _decide_text(m: int | None, over: str) -> str:
    if m is None:
        return " No number of further " + over + " at this mean would decide it."
    return f" At this mean and spread about {m} {over} would decide it."


def _check_confidence(confidence: float) -> float:
    if not (isinstance(confidence, (int, float)) and 0.5 <= confidence < 1.0):
        raise ClaimError(f"confidence: got {confidence!r}; allowed: a number in [0.5, 1), e.g. 0.95")
    return float(confidence)


@dataclass(frozen=True)


class Interval:
    """Mean over seeds with its Student-t interval: mean ± t_{(1+c)/2, n−1} · std/√n."""

    mean: float
    std: float
    low: float
    high: float
    n: int
    confidence: float

    def side(self, reference: float) -> Literal["above", "below", "overlaps"]:
        """'above' / 'below' when the whole interval lies beyond ``reference``, else 'overlaps'."""
        if self.low > reference:
            return "above"
        if self.high < reference:
            return "below"
        return "overlaps"


def interval(values: Iterable[float], confidence: float = 0.95, name: str = "values",
             bounds: tuple[float, float] | None = None) -> Interval:
    """Student-t interval of the mean of per-seed ``values`` (at least 2, all finite).

    ``bounds``: the range the quantity can take (e.g. (0, 100) for a share in %, (0, 25) for
    modes, (−1, 1) for a correlation). The t-interval is then cut to that range: the
    intersection of a confidence interval with the parameter space has the same coverage, and
    no printed interval claims values the quantity cannot take.
    """
    array = seed_values(values, name)
    confidence = _check_confidence(confidence)
    n = array.size
    mean, std = float(array.mean()), float(array.std(ddof=1))
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * std / math.sqrt(n)
    low, high = mean - half, mean + half
    if bounds is not None:
        lo, hi = (float(b) for b in bounds)
        if not lo < hi:
            raise ClaimError(f"bounds: got {bounds!r}; allowed: (low, high) with low < high")
        low, high = max(low, lo), min(high, hi)
    return Interval(mean, std, low, high, n, confidence)


def _num(value: float, digits: int) -> str:
    return f"{value:.{digits}f}"


def _mean_std(array: np.ndarray, digits: int, unit: str) -> str:
    return f"{_num(array.mean(), digits)} ± {_num(array.std(ddof=1), digits)}{unit}"


def _range(iv: Interval, digits: int, unit: str) -> str:
    return f"[{_num(iv.low, digits)}, {_num(iv.high, digits)}]{unit}"


def _pct(confidence: float) -> str:
    return f"{100 * confidence:g} %"


def _check_side(side: object) -> str:
    if side not in ("above", "below"):
        raise ClaimError(f"expect: got {side!r}; allowed: 'above' or 'below'")
    return str(side)


