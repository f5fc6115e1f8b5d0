"""Claims the book checks against the papers, with verdicts computed from per-seed numbers.

A *claim* is one statement of a paper that a chapter checks (for instance "DRS raises the share
of high-quality samples from 70 % to 90 %", Table 1 of Azadi et al. 2019). Its *verdict* is never
typed: a small pure rule below turns our per-seed numbers into one of

* ``reproduced``      the rule holds: the interval lies on the paper's side (or, for a level,
  contains the paper's value and is narrow enough to call a match);
* ``contradicted``    the data say the paper is wrong here: the interval excludes the paper's
  value, or the effect goes the other way (its interval lies on the other side);
* ``inconclusive``    the interval contains both the paper's value (or direction) and a
  meaningful miss; the finding says, from the observed mean and spread, about how many models
  would decide;
* ``partly``          only for a claim with a direction and a size (:func:`direction_and_size`):
  the direction is reproduced and the size is not;
* ``not comparable``  nothing we measure is the paper's quantity, or too few models have a value
  (:func:`not_comparable`, with the reason in words).

Seeds with a missing (non-finite) value, e.g. a sampler with no high-quality sample on one model
so that the std of its HQ samples does not exist, are left out and the finding says how many
models the verdict rests on; with fewer than two left the claim is not comparable.

Every rule returns a :class:`Check`: the verdict, the rule in words with its numbers filled in,
our numbers (mean ± std over seeds) and a generated sentence saying what the numbers show. The
sentence and the verdict come from the same comparison, so they cannot disagree.

Intervals are Student-t intervals of the mean over seeds, mean ± t_{(1+c)/2, n−1} · s/√n with the
sample std s (ddof = 1). "Seeds" are the independent repetitions a chapter has (independently
trained models, say); ``over="models"`` names them in the generated text. A difference is called "above" or "below" only when that interval
excludes the reference; otherwise the sentence says the two cannot be told apart. Never the
sign of a difference smaller than its spread.

A notebook collects its claims in a :class:`ClaimLedger` and writes them as a tidy CSV,
``<results_dir>/claims/<notebook stem>.csv`` (one row per claim, written atomically); the
landing page and the claims summary read those files back with :func:`read_claims`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from drs_lib._optional import optional_imports
from drs_lib.io import write_csv_atomic

with optional_imports("metrics"):
    import pandas as pd
    from scipy import stats

REPRODUCED = "reproduced"
PARTLY = "partly"
INCONCLUSIVE = "inconclusive"
CONTRADICTED = "contradicted"
NOT_COMPARABLE = "not comparable"
VERDICTS = (REPRODUCED, PARTLY, INCONCLUSIVE, CONTRADICTED, NOT_COMPARABLE)
NOT_YET_CHECKED = "not yet checked"
"""Status of a chapter that has not written its claims file (yet)."""

CLAIMS_FOLDER = "claims"
#: Which paper a claim is from: the DRS paper (Azadi et al. 2019) or DDLS (Che et al. 2020).
SOURCES = ("DRS", "DDLS")
COLUMNS = ("chapter", "claim_id", "source", "claim", "paper", "ours", "verdict", "rule", "finding", "evidence",
           "n_seeds", "estimate", "low", "high")
_TEXT_COLUMNS = ("chapter", "claim_id", "source", "claim", "paper", "ours", "verdict", "rule", "finding", "evidence")
_NAME = re.compile(r"^[A-Za-z0-9_]+$")
_CLAIM_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")

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


def _too_few(p: Present, over: str, what: str) -> Check | None:
    """A not-comparable check when fewer than two seeds have a value, else None."""
    n = p.n_total - len(p.missing)
    if n >= 2:
        return None
    return not_comparable(f"{what} has a value on {n} of {p.n_total} {over}; a verdict needs at least 2"
                          + (f" (no value at position(s) {', '.join(map(str, p.missing))})" if p.missing else ""))


def _present_one(values: Iterable[float], name: str, over: str) -> "tuple[np.ndarray, Present] | Check":
    """One quantity's per-seed values with missing seeds left out, or a not-comparable check if < 2 remain."""
    kept = present((values, name))
    too_few = _too_few(kept, over, name)
    return too_few if too_few is not None else (kept.arrays[0], kept)


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


# --------------------------------------------------------------------------- verdict rules


@dataclass(frozen=True)
class Check:
    """The outcome of one rule: verdict, the rule in words, our numbers, and what they show.

    ``estimate``, ``low`` and ``high`` are the number the rule decided on and its interval
    (NaN where the rule has none, e.g. a seed count or a claim that is not comparable).
    """

    verdict: str
    rule: str
    ours: str
    finding: str
    n_seeds: int = 0
    estimate: float = math.nan
    low: float = math.nan
    high: float = math.nan

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ClaimError(f"verdict: got {self.verdict!r}; allowed: " + ", ".join(map(repr, VERDICTS)))
        for name in ("rule", "ours", "finding"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name).strip():
                raise ClaimError(f"{name}: a non-empty text is required")

    @property
    def holds(self) -> bool:
        return self.verdict == REPRODUCED


_OTHER_SIDE = {"above": "below", "below": "above"}


def paired(a: Iterable[float], b: Iterable[float], *, a_name: str, b_name: str, expect: Side = "above",
           min_seeds: int | None = None, confidence: float = 0.95, digits: int = 2, unit: str = "",
           over: str = "seeds") -> Check:
    """Is A above (or below) B, seed by seed? ``a[i]`` and ``b[i]`` come from the same seed.

    Default rule: the ``confidence`` t-interval of the paired difference A − B over seeds lies
    entirely above 0 (``expect="above"``): reproduced; entirely below 0: contradicted (the effect
    goes the other way); contains 0: inconclusive. With ``min_seeds=k`` the rule is instead "A
    above B on at least k of the n seeds": reproduced when it is, contradicted when A is above B
    on at most n − k seeds (the other way as often as the rule asked for), else inconclusive.
    Seeds missing a value in A or B are left out (said in the finding).
    """
    expect = _check_side(expect)
    kept = present((a, a_name), (b, b_name))
    too_few = _too_few(kept, over, f"{a_name} − {b_name}")
    if too_few is not None:
        return too_few
    x, y = kept.arrays
    note = kept.note(over)
    d = x - y
    n = d.size
    ours = f"{a_name} {_mean_std(x, digits, unit)}, {b_name} {_mean_std(y, digits, unit)}"
    # a difference of two percentages is in percentage points (and may be negative)
    d_unit = " points" if unit.strip() == "%" else unit
    difference = f"the paired difference ({a_name} − {b_name}) is {_mean_std(d, digits, d_unit)} over {n} {over}"
    if min_seeds is not None:
        if isinstance(min_seeds, bool) or not isinstance(min_seeds, int) or not 1 <= min_seeds <= n:
            raise ClaimError(f"min_seeds: got {min_seeds!r}; allowed: an integer in [1, {n}] (the number of seeds)")
        count = int((d > 0).sum() if expect == "above" else (d < 0).sum())
        verdict = REPRODUCED if count >= min_seeds else CONTRADICTED if count <= n - min_seeds else INCONCLUSIVE
        return Check(
            verdict,
            rule=f"{a_name} {expect} {b_name} on at least {min_seeds} of {n} {over} (contradicted at {n - min_seeds} or fewer)",
            ours=ours,
            finding=f"Ours: {ours}; {a_name} is {expect} {b_name} on {count} of {n} {over} ({difference}).{note}",
            n_seeds=n, estimate=float(d.mean()),
        )
    iv = interval(d, confidence, f"{a_name} − {b_name}")
    side = iv.side(0.0)
    where = {"above": "lies above 0", "below": "lies below 0",
             "overlaps": f"contains 0: {a_name} and {b_name} cannot be told apart"}[side]
    verdict = REPRODUCED if side == expect else CONTRADICTED if side == _OTHER_SIDE[expect] else INCONCLUSIVE
    decide = _decide_text(models_to_decide(iv.std, iv.mean, n, confidence), over) if verdict == INCONCLUSIVE else ""
    return Check(
        verdict,
        rule=f"{a_name} {expect} {b_name}: the {_pct(confidence)} t-interval of the paired difference over {over} lies {expect} 0 "
             f"(contradicted if it lies {_OTHER_SIDE[expect]} 0, inconclusive if it contains 0)",
        ours=ours,
        finding=f"Ours: {ours}; {difference}, and its {_pct(confidence)} interval {_range(iv, digits, d_unit)} {where}.{decide}{note}",
        n_seeds=n, estimate=iv.mean, low=iv.low, high=iv.high,
    )


def versus(values: Iterable[float], reference: float, *, name: str, expect: Side, reference_name: str | None = None,
           confidence: float = 0.95, digits: int = 2, unit: str = "", over: str = "seeds",
           bounds: tuple[float, float] | None = None) -> Check:
    """Does our per-seed quantity lie above (or below) a fixed reference value?

    Rule: the ``confidence`` t-interval of the mean over seeds lies entirely above (below)
    ``reference`` (e.g. a critical value, or the value a theory predicts): reproduced; entirely
    on the other side: contradicted; containing it: inconclusive. ``reference_name`` names it in
    the text ("the 5 % critical value"); without one the number itself is used.
    """
    expect = _check_side(expect)
    if isinstance(reference, bool) or not isinstance(reference, (int, float, np.number)) or not math.isfinite(float(reference)):
        raise ClaimError(f"reference: got {reference!r}; allowed: a finite number")
    got = _present_one(values, name, over)
    if isinstance(got, Check):
        return got
    array, kept = got
    iv = interval(array, confidence, name, bounds)
    side = iv.side(float(reference))
    number = f"{_num(reference, digits)}{unit}"
    ref = f"{reference_name} ({number})" if reference_name else number
    reference_name = reference_name or number
    where = {"above": f"lies above {ref}", "below": f"lies below {ref}", "overlaps": f"contains {ref}"}[side]
    verdict = REPRODUCED if side == expect else CONTRADICTED if side == _OTHER_SIDE[expect] else INCONCLUSIVE
    decide = (_decide_text(models_to_decide(iv.std, iv.mean - float(reference), iv.n, confidence), over)
              if verdict == INCONCLUSIVE else "")
    value = _mean_std(array, digits, unit)
    return Check(
        verdict,
        rule=f"{name} {expect} {reference_name}: its {_pct(confidence)} t-interval over {over} lies {expect} it "
             f"(contradicted if it lies {_OTHER_SIDE[expect]} it, inconclusive if it contains it)",
        ours=f"{name} {value}",
        finding=f"Ours: {name} is {value} over {iv.n} {over}; its {_pct(confidence)} interval {_range(iv, digits, unit)} "
                f"{where}.{decide}{kept.note(over)}",
        n_seeds=iv.n, estimate=iv.mean, low=iv.low, high=iv.high,
    )


def matches(values: Iterable[float], paper_value: float, *, name: str, tolerance: float,
            paper_std: float | None = None, paper_name: str = "the paper's value", confidence: float = 0.95,
            digits: int = 2, unit: str = "", over: str = "seeds", bounds: tuple[float, float] | None = None) -> Check:
    """Does our value match the paper's (or a theory's: ``paper_name="1/M"``)?

    Rule: the paper's value (widened to value ± std when the paper gives a std) overlaps the
    ``confidence`` t-interval of our mean over seeds, and that interval is precise enough to
    call a match: its half-width is at most ``tolerance`` (in the units of ``values``): reproduced.
    An interval that lies wholly beyond the paper's value (± std): contradicted. An interval that
    overlaps it but is wider than the tolerance: inconclusive (two noisy seeds must not "match"
    any value), with about how many models would make it narrow enough.
    """
    if not math.isfinite(float(paper_value)):
        raise ClaimError(f"paper_value: got {paper_value!r}; allowed: a finite number")
    spread = 0.0 if paper_std is None else float(paper_std)
    if not (math.isfinite(spread) and spread >= 0):
        raise ClaimError(f"paper_std: got {paper_std!r}; allowed: None or a finite number >= 0")
    if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) or not (math.isfinite(tolerance) and tolerance > 0):
        raise ClaimError(f"tolerance: got {tolerance!r}; allowed: a finite number > 0 (the widest half-width "
                         "of our interval that still counts as a match, in the units of the values)")
    got = _present_one(values, name, over)
    if isinstance(got, Check):
        return got
    array, kept = got
    iv = interval(array, confidence, name, bounds)
    paper = f"{paper_name} ({_num(paper_value, digits)}" + (f" ± {_num(spread, digits)}" if paper_std is not None else "") + f"{unit})"
    low, high = paper_value - spread, paper_value + spread
    # precision is judged on the uncut half-width: cutting to the range must not make an estimate look sharper
    half = float(stats.t.ppf(0.5 + iv.confidence / 2, iv.n - 1)) * iv.std / math.sqrt(iv.n)
    if iv.high < low:
        where, verdict = f"lies below {paper}", CONTRADICTED
    elif iv.low > high:
        where, verdict = f"lies above {paper}", CONTRADICTED
    else:
        where = f"contains {paper}" if iv.low <= paper_value <= iv.high else f"overlaps {paper}"
        if half <= tolerance:
            verdict = REPRODUCED
        else:
            verdict = INCONCLUSIVE
            needed = models_to_decide(iv.std, tolerance, iv.n, confidence)
            where += (f", but its half-width {_num(half, digits)}{unit} exceeds the tolerance "
                      f"{_num(tolerance, digits)}{unit}: too wide to call a match or a miss"
                      + (f"; at this spread about {needed} {over} would narrow it enough" if needed else ""))
    value = _mean_std(array, digits, unit)
    widened = " (± its std)" if paper_std is not None else ""
    return Check(
        verdict,
        rule=f"{paper_name}{widened} overlaps the {_pct(confidence)} t-interval of our {name} over {over}, "
             f"whose half-width is at most {_num(tolerance, digits)}{unit} (contradicted if the interval excludes it, "
             f"inconclusive if it overlaps but is wider)",
        ours=f"{name} {value}",
        finding=f"Ours: {name} is {value} over {iv.n} {over}; its {_pct(confidence)} interval {_range(iv, digits, unit)} "
                f"{where}.{kept.note(over)}",
        n_seeds=iv.n, estimate=iv.mean, low=iv.low, high=iv.high,
    )


_COMPARE = {">=": (np.greater_equal, "≥"), "<=": (np.less_equal, "≤"), ">": (np.greater, ">"), "<": (np.less, "<")}


def on_seeds(values: Iterable[float], comparison: Comparison, threshold: float, *, k: int, name: str,
             digits: int = 2, unit: str = "", over: str = "seeds") -> Check:
    """Threshold rule: ``name`` compared with ``threshold`` holds on at least ``k`` of the n seeds.

    ``comparison`` is one of '>=', '<=', '>', '<' (e.g. ``on_seeds(p, ">", 0.05, k=4, ...)``:
    "the test passes at 5 % on at least 4 of 5 seeds"). Reproduced when it holds on ≥ k seeds,
    contradicted when it holds on at most n − k (it fails as often as the rule asked it to
    hold), inconclusive in between. ``k`` is checked against the seeds that have a value.
    """
    if comparison not in _COMPARE:
        raise ClaimError(f"comparison: got {comparison!r}; allowed: " + ", ".join(map(repr, _COMPARE)))
    if not math.isfinite(float(threshold)):
        raise ClaimError(f"threshold: got {threshold!r}; allowed: a finite number")
    got = _present_one(values, name, over)
    if isinstance(got, Check):
        return got
    array, kept = got
    n = array.size
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= kept.n_total:
        raise ClaimError(f"k: got {k!r}; allowed: an integer in [1, {kept.n_total}] (the number of seeds)")
    k = min(k, n)
    operation, symbol = _COMPARE[comparison]
    count = int(operation(array, threshold).sum())
    bound = f"{symbol} {_num(threshold, digits)}{unit}"
    value = _mean_std(array, digits, unit)
    verdict = REPRODUCED if count >= k else CONTRADICTED if count <= n - k else INCONCLUSIVE
    return Check(
        verdict,
        rule=f"{name} {bound} on at least {k} of {n} {over} (contradicted on {n - k} or fewer)",
        ours=f"{name} {value}",
        finding=f"Ours: {name} is {bound} on {count} of {n} {over} ({value} over {over}).{kept.note(over)}",
        n_seeds=n, estimate=float(array.mean()),
    )


def _bare(finding: str) -> str:
    return finding[len("Ours: "):] if finding.startswith("Ours: ") else finding


def direction_and_size(direction: Check, size: Check) -> Check:
    """A claim with a direction and a size.

    Reproduced if both rules are; *partly* if the direction is reproduced and the size is not
    (contradicted or inconclusive); otherwise the direction's verdict (contradicted or
    inconclusive). Not comparable if either part is.
    """
    for role, check in (("direction", direction), ("size", size)):
        if check.verdict not in (REPRODUCED, CONTRADICTED, INCONCLUSIVE, NOT_COMPARABLE):
            raise ClaimError(f"{role}: expected a check that is reproduced, contradicted, inconclusive or not "
                             f"comparable; got {check.verdict!r}")
    for check in (direction, size):
        if check.verdict == NOT_COMPARABLE:
            return check
    if direction.holds:
        verdict = REPRODUCED if size.holds else PARTLY
    else:
        verdict = direction.verdict
    return Check(
        verdict,
        rule=f"reproduced if both the direction and the size hold, partly if only the direction does, otherwise the "
             f"direction's verdict; direction: {direction.rule}; size: {size.rule}",
        ours=f"{direction.ours}; {size.ours}" if direction.ours != size.ours else direction.ours,
        finding=f"Ours, direction ({direction.verdict}): {_bare(direction.finding)} "
                f"Size ({size.verdict}): {_bare(size.finding)}",
        n_seeds=direction.n_seeds, estimate=direction.estimate, low=direction.low, high=direction.high,
    )


def not_comparable(reason: str, ours: str = "—") -> Check:
    """No number of ours measures the paper's quantity; ``reason`` says why, in words."""
    if not isinstance(reason, str) or not reason.strip():
        raise ClaimError("reason: a non-empty text saying why the claim cannot be compared is required")
    text = reason.strip()
    return Check(NOT_COMPARABLE, rule="not comparable: " + text.rstrip("."), ours=ours or "—",
                 finding=text if text.endswith(".") else text + ".")


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class ClaimRecord:
    """One claim of a paper, checked in one chapter.

    ``chapter`` is the notebook stem; ``claim`` the paper's statement in words; ``paper`` the
    paper's value as printed (e.g. "90 ± 2 %", "qualitative"); ``evidence`` the MyST label of
    the section holding the evidence (empty: the chapter as a whole); ``source`` the paper that
    makes the claim (one of :data:`SOURCES`: "DRS", the default, or "DDLS").
    """

    chapter: str
    claim_id: str
    claim: str
    paper: str
    check: Check
    evidence: str = ""
    source: str = "DRS"

    def __post_init__(self) -> None:
        if not isinstance(self.chapter, str) or not _NAME.match(self.chapter):
            raise ClaimError(f"chapter: got {self.chapter!r}; allowed: a notebook stem (letters, digits, _)")
        if not isinstance(self.claim_id, str) or not _CLAIM_ID.match(self.claim_id):
            raise ClaimError(f"claim_id: got {self.claim_id!r}; allowed: lower-case letters, digits and '-'")
        for name in ("claim", "paper"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name).strip():
                raise ClaimError(f"{name}: a non-empty text is required (claim {self.claim_id!r})")
        if not isinstance(self.check, Check):
            raise ClaimError(f"check: expected a Check from one of the rules; got {type(self.check).__name__}")
        if not isinstance(self.evidence, str) or (self.evidence and not re.match(r"^[A-Za-z0-9_-]+$", self.evidence)):
            raise ClaimError(f"evidence: got {self.evidence!r}; allowed: '' or a MyST label (letters, digits, '-', '_')")
        if self.source not in SOURCES:
            raise ClaimError(f"source: got {self.source!r}; allowed: " + ", ".join(map(repr, SOURCES)))

    @property
    def verdict(self) -> str:
        return self.check.verdict

    def sentence(self) -> str:
        """The claim, its verdict and what our numbers show, as one Markdown paragraph."""
        claim = self.claim.strip().rstrip(".")
        return (f"**{self.verdict.capitalize()}.** {claim} (paper: {self.paper.strip()}). "
                f"{self.check.finding} *Rule: {self.check.rule}.*")

    def row(self) -> dict[str, object]:
        c = self.check
        return {"chapter": self.chapter, "claim_id": self.claim_id, "source": self.source, "claim": self.claim,
                "paper": self.paper,
                "ours": c.ours, "verdict": c.verdict, "rule": c.rule, "finding": c.finding,
                "evidence": self.evidence, "n_seeds": c.n_seeds, "estimate": c.estimate, "low": c.low, "high": c.high}

    @classmethod
    def from_row(cls, row: dict) -> "ClaimRecord":
        def text(key: str) -> str:
            value = row.get(key, "")
            return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)

        def number(key: str) -> float:
            value = row.get(key, math.nan)
            return math.nan if value is None or value == "" else float(value)

        n = number("n_seeds")
        check = Check(text("verdict"), text("rule"), text("ours"), text("finding"),
                      0 if math.isnan(n) else int(n), number("estimate"), number("low"), number("high"))
        return cls(text("chapter"), text("claim_id"), text("claim"), text("paper"), check, text("evidence"),
                   text("source") or "DRS")


@dataclass
class ClaimLedger:
    """The claims one notebook checks, in the order recorded; written as one tidy CSV::

        ledger = ClaimLedger("04_figure2_histograms")
        ledger.record("rejected-less-recognisable", "Rejected images are less recognisable",
                      "qualitative (Fig. 2B)",
                      paired(maxp_accepted, maxp_rejected, a_name="accepted", b_name="rejected"),
                      evidence="fig-figure2")
        ledger.write(results_dir)   # results_dir/claims/04_figure2_histograms.csv
    """

    chapter: str
    records: list[ClaimRecord] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not isinstance(self.chapter, str) or not _NAME.match(self.chapter):
            raise ClaimError(f"chapter: got {self.chapter!r}; allowed: a notebook stem (letters, digits, _)")

    def record(self, claim_id: str, claim: str, paper: str, check: Check, evidence: str = "",
               source: str = "DRS") -> ClaimRecord:
        """Add one checked claim (ids are unique within a chapter) and return its record."""
        if any(r.claim_id == claim_id for r in self.records):
            raise ClaimError(f"claim_id {claim_id!r} is already recorded in {self.chapter}; ids must be unique")
        entry = ClaimRecord(self.chapter, claim_id, claim, paper, check, evidence, source)
        self.records.append(entry)
        return entry

    def __getitem__(self, claim_id: str) -> ClaimRecord:
        for entry in self.records:
            if entry.claim_id == claim_id:
                return entry
        raise KeyError(f"no claim {claim_id!r} in {self.chapter}; recorded: {[r.claim_id for r in self.records]}")

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame([r.row() for r in self.records], columns=list(COLUMNS))

    def markdown(self, claim_ids: Sequence[str] | None = None) -> str:
        """A Markdown bullet list with one generated sentence per claim (all, or ``claim_ids``)."""
        chosen = self.records if claim_ids is None else [self[i] for i in claim_ids]
        return "\n".join(f"- {r.sentence()}" for r in chosen)

    def details(self, title: str = "How each verdict was reached: the numbers, intervals and rules") -> str:
        """The generated sentences of :meth:`markdown` folded in a MyST dropdown, so that each claim is
        stated once on the page (in the claims table) and its evidence is one click away."""
        return f"````{{dropdown}} {title}\n{self.markdown()}\n````"

    def table(self) -> pd.DataFrame:
        """Claim, paper, ours and verdict side by side (for a glued table)."""
        return pd.DataFrame({"claim": [r.claim for r in self.records], "paper": [r.paper for r in self.records],
                             "ours": [r.check.ours for r in self.records],
                             "verdict": [r.verdict for r in self.records]})

    def markdown_table(self, with_rule: bool = False) -> str:
        """The claims as a MyST table: verdict, claim, paper, ours, (rule,) link to the evidence."""
        return claims_markdown_table(self.frame(), with_rule=with_rule)

    def path(self, results_dir: str | Path) -> Path:
        return Path(results_dir) / CLAIMS_FOLDER / f"{self.chapter}.csv"

    def write(self, results_dir: str | Path) -> Path:
        """Write ``<results_dir>/claims/<chapter>.csv`` atomically; an empty ledger is refused."""
        if not self.records:
            raise ClaimError(f"{self.chapter}: no claims recorded; record at least one before writing")
        return write_csv_atomic(self.frame(), self.path(results_dir))


# --------------------------------------------------------------------------- reading and summarizing


def read_claims(results_dir: str | Path, chapters: Sequence[str] | None = None) -> pd.DataFrame:
    """Every ``<results_dir>/claims/*.csv`` (only ``chapters`` if given), validated, in one frame.

    A missing folder or file gives no rows (the chapter is "not yet checked"); a file that
    exists but is malformed raises ClaimError naming the file and what is wrong.
    """
    folder = Path(results_dir) / CLAIMS_FOLDER
    paths = sorted(folder.glob("*.csv")) if folder.is_dir() else []
    if chapters is not None:
        paths = [p for p in paths if p.stem in set(chapters)]
    frames = []
    for path in paths:
        try:
            frame = pd.read_csv(path, dtype={c: str for c in _TEXT_COLUMNS}, keep_default_na=False,
                                na_values={c: [""] for c in COLUMNS if c not in _TEXT_COLUMNS})
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
            raise ClaimError(f"{path}: not a readable claims CSV ({error})") from None
        missing = [c for c in COLUMNS if c not in frame.columns]
        if missing:
            raise ClaimError(f"{path}: missing column(s) {missing}; a claims file has {list(COLUMNS)}")
        for row in frame.to_dict("records"):
            try:
                record = ClaimRecord.from_row(row)
            except ClaimError as error:
                raise ClaimError(f"{path}: {error}") from None
            if record.chapter != path.stem:
                raise ClaimError(f"{path}: row for chapter {record.chapter!r} in the file of {path.stem!r}")
        frames.append(frame[list(COLUMNS)])
    if not frames:
        return pd.DataFrame(columns=list(COLUMNS))
    return pd.concat(frames, ignore_index=True)


def records(frame: pd.DataFrame) -> list[ClaimRecord]:
    """The rows of a claims frame (from :func:`read_claims`) as records."""
    return [ClaimRecord.from_row(row) for row in frame.to_dict("records")]


def chapter_status(verdicts: Iterable[str]) -> str:
    """One status for a chapter from its claims' verdicts.

    No claims: "not yet checked". All not comparable: "not comparable". Otherwise, over the
    comparable claims: all of one verdict → that verdict ("reproduced", "contradicted",
    "inconclusive"); a mix → "partly" (the counts beside it say of what).
    """
    verdicts = list(verdicts)
    unknown = sorted(set(verdicts) - set(VERDICTS))
    if unknown:
        raise ClaimError(f"unknown verdict(s) {unknown}; allowed: " + ", ".join(map(repr, VERDICTS)))
    comparable = [v for v in verdicts if v != NOT_COMPARABLE]
    if not verdicts:
        return NOT_YET_CHECKED
    if not comparable:
        return NOT_COMPARABLE
    if len(set(comparable)) == 1:
        return comparable[0]
    return PARTLY


def verdict_counts(verdicts: Iterable[str]) -> str:
    """'2 reproduced, 1 partly, 1 not comparable' (verdicts in their fixed order; '' if none)."""
    verdicts = list(verdicts)
    return ", ".join(f"{verdicts.count(v)} {v}" for v in VERDICTS if verdicts.count(v))


def chapter_statuses(frame: pd.DataFrame, chapters: Sequence[str]) -> pd.DataFrame:
    """Per chapter (in the given order): status, number of claims and the verdict counts."""
    rows = []
    for chapter in chapters:
        verdicts = frame.loc[frame.chapter == chapter, "verdict"].tolist()
        rows.append({"chapter": chapter, "status": chapter_status(verdicts), "n_claims": len(verdicts),
                     "counts": verdict_counts(verdicts)})
    return pd.DataFrame(rows, columns=["chapter", "status", "n_claims", "counts"])


def counts_by_source(frame: pd.DataFrame) -> pd.DataFrame:
    """Claims per paper (rows: :data:`SOURCES` present, plus "all") and verdict (columns, fixed order)."""
    sources = [s for s in SOURCES if (frame["source"] == s).any()] if len(frame) else []
    rows = []
    for source in sources + ["all"]:
        part = frame if source == "all" else frame[frame["source"] == source]
        rows.append({"paper": source, **{v: int((part["verdict"] == v).sum()) for v in VERDICTS}, "claims": len(part)})
    return pd.DataFrame(rows, columns=["paper", *VERDICTS, "claims"])


def answer(frame: pd.DataFrame, keys: Sequence[tuple[str, str]]) -> tuple[str, list[ClaimRecord]]:
    """The answer to one question from the claims ``keys`` ((chapter, claim_id) pairs) that were recorded.

    Rule: "yes" when every comparable claim is reproduced; "no" when every one is contradicted;
    "not decided" when none is reproduced or contradicted (inconclusive or partly only); "partly"
    otherwise; "not checked" when none was recorded or none is comparable. Returns the word and
    the records it rests on.
    """
    wanted = set(keys)
    found = [r for r in records(frame) if (r.chapter, r.claim_id) in wanted]
    verdicts = [r.verdict for r in found if r.verdict != NOT_COMPARABLE]
    if not verdicts:
        return "not checked", found
    if all(v == REPRODUCED for v in verdicts):
        return "yes", found
    if all(v == CONTRADICTED for v in verdicts):
        return "no", found
    if not any(v in (REPRODUCED, CONTRADICTED) for v in verdicts):
        return "not decided", found
    return "partly", found


def status_text(status: str, counts: str) -> str:
    """'partly (2 reproduced, 1 not reproduced)' or just the status when there is nothing to count."""
    return f"{status} ({counts})" if counts else status


def link(record: ClaimRecord, docs_folder: str = "/book/executed") -> str:
    """MyST link to a claim's evidence: its section label if recorded, else its chapter."""
    if record.evidence:
        return f"{{ref}}`{record.evidence}`"
    return f"{{doc}}`{docs_folder}/{record.chapter}`"


def chapter_link(chapter: str, docs_folder: str = "/book/executed") -> str:
    return f"{{doc}}`{docs_folder}/{chapter}`"


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A MyST/GFM pipe table ('|' inside cells escaped)."""
    lines = ["| " + " | ".join(_cell(h) for h in header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def claims_markdown_table(frame: pd.DataFrame, docs_folder: str = "/book/executed", with_rule: bool = True) -> str:
    """Every claim: verdict, the paper's claim and value, ours, the rule (optional), and a link to its evidence."""
    header = ["verdict", "claim", "paper", "ours (mean ± std)"] + (["rule"] if with_rule else []) + ["evidence"]
    rows = [[f"**{r.verdict}**", r.claim, r.paper, r.check.ours] + ([r.check.rule] if with_rule else [])
            + [link(r, docs_folder)] for r in records(frame)]
    return markdown_table(header, rows)


def toc_chapters(toc: str | Path, folder: str = "book/executed") -> list[str]:
    """Notebook stems listed in a Jupyter Book ``_toc.yml`` as ``<folder>/<name>`` (root first)."""
    path = Path(toc)
    if not path.is_file():
        raise ClaimError(f"table of contents {path} does not exist")
    pattern = re.compile(rf"^\s*(?:-\s*file|root):\s*{re.escape(folder)}/([A-Za-z0-9_]+)\s*$")
    return [m.group(1) for line in path.read_text().splitlines() if (m := pattern.match(line))]


def find_upwards(name: str, start: str | Path = ".") -> Path:
    """The first ``name`` in ``start`` or one of its parents (notebooks run with different cwds)."""
    here = Path(start).resolve()
    for folder in (here, *here.parents):
        if (folder / name).is_file():
            return folder / name
    raise ClaimError(f"no {name} in {here} or any folder above it")


__all__ = [
    "CLAIMS_FOLDER", "COLUMNS", "SOURCES", "answer", "counts_by_source", "CONTRADICTED", "INCONCLUSIVE", "NOT_COMPARABLE", "NOT_YET_CHECKED", "PARTLY",
    "Present", "REPRODUCED", "models_to_decide", "present",
    "VERDICTS", "Check", "ClaimError", "ClaimLedger", "ClaimRecord", "Interval", "chapter_link", "chapter_status",
    "chapter_statuses", "claims_markdown_table", "direction_and_size", "find_upwards", "interval", "link",
    "markdown_table", "matches", "not_comparable", "on_seeds", "paired", "read_claims", "records", "seed_values",
    "status_text", "toc_chapters", "verdict_counts", "versus",
]
