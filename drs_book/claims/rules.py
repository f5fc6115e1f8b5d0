"""The verdict rules: each turns per-seed numbers into a :class:`Check` (verdict, rule in words,
our numbers, a generated finding). Part of :mod:`drs_book.claims`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import replace

import numpy as np


from scipy import stats

from drs_book.claims.statistics import (
    CONTRADICTED, INCONCLUSIVE, LARGER, NOT_COMPARABLE, PARTLY, REPRODUCED, SIZE_TOLERANCE, SMALLER, VERDICTS,
    ClaimError, Comparison, Present, Side, _check_side, _decide_text, _mean_std, _num, _pct, _range, interval,
    _as_needed, _needed, models_to_decide, present,
)
from drs_book.claims.check import Check, _combined, _without_each

__all__ = ["Check", "paired", "versus", "matches", "effect", "on_seeds", "both_parts", "every_measure", "readings",
           "not_comparable"]


# --------------------------------------------------------------------------- verdict rules


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


_OTHER_SIDE = {"above": "below", "below": "above"}


@_without_each(2)
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
            n_seeds=n, estimate=float(d.mean()), over=over,
        )
    iv = interval(d, confidence, f"{a_name} − {b_name}")
    side = iv.side(0.0)
    where = {"above": "lies above 0", "below": "lies below 0",
             "overlaps": f"contains 0: {a_name} and {b_name} cannot be told apart"}[side]
    verdict = REPRODUCED if side == expect else CONTRADICTED if side == _OTHER_SIDE[expect] else INCONCLUSIVE
    needed = _needed(verdict, iv.std, iv.mean, n, confidence)
    decide = _decide_text(needed, over) if verdict == INCONCLUSIVE else ""
    return Check(
        verdict,
        rule=f"{a_name} {expect} {b_name}: the {_pct(confidence)} t-interval of the paired difference over {over} lies {expect} 0 "
             f"(contradicted if it lies {_OTHER_SIDE[expect]} 0, inconclusive if it contains 0)",
        ours=ours,
        finding=f"Ours: {ours}; {difference}, and its {_pct(confidence)} interval {_range(iv, digits, d_unit)} {where}.{decide}{note}",
        n_seeds=n, estimate=iv.mean, low=iv.low, high=iv.high, over=over, models_needed=_as_needed(verdict, needed),
    )


@_without_each(1)
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
    needed = _needed(verdict, iv.std, iv.mean - float(reference), iv.n, confidence)
    decide = _decide_text(needed, over) if verdict == INCONCLUSIVE else ""
    value = _mean_std(array, digits, unit)
    return Check(
        verdict,
        rule=f"{name} {expect} {reference_name}: its {_pct(confidence)} t-interval over {over} lies {expect} it "
             f"(contradicted if it lies {_OTHER_SIDE[expect]} it, inconclusive if it contains it)",
        ours=f"{name} {value}",
        finding=f"Ours: {name} is {value} over {iv.n} {over}; its {_pct(confidence)} interval {_range(iv, digits, unit)} "
                f"{where}.{decide}{kept.note(over)}",
        n_seeds=iv.n, estimate=iv.mean, low=iv.low, high=iv.high, over=over, models_needed=_as_needed(verdict, needed),
    )


@_without_each(1)
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
    needed = None
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
        n_seeds=iv.n, estimate=iv.mean, low=iv.low, high=iv.high, paper_value=float(paper_value), over=over,
        models_needed=_as_needed(verdict, needed),
    )


@_without_each(2)
def effect(a: Iterable[float], b: Iterable[float], *, paper_effect: float, a_name: str, b_name: str,
           expect: Side = "above", tolerance: float | None = None, confidence: float = 0.95, digits: int = 2,
           unit: str = "", over: str = "seeds") -> Check:
    """Direction and size of a paired effect A − B, judged against the paper's own effect.

    ``paper_effect`` is the paper's A − B in the units of the values (e.g. +20 for "70 % → 90 %"
    with A the DRS row); its sign must be the expected direction. Direction is the t-interval of
    the paired difference over seeds against 0; size is the same interval against the paper's
    effect e, with a tolerance fixed in advance (default :data:`SIZE_TOLERANCE` · |e|). Read with
    the paper's direction as positive:

    * the interval lies on the other side of 0: **contradicted** (the effect goes the other way);
    * the interval lies below e (when it also contains 0), or below e − tolerance (when it lies
      above 0): **smaller than reported**;
    * the interval lies above e + tolerance: **larger than reported**;
    * the interval lies above 0 and reaches within the tolerance of e: **reproduced**;
    * the interval contains both 0 and e: **inconclusive**, with about how many models would
      exclude one of them.

    An interval that excludes the paper's effect is therefore never inconclusive: "smaller than
    reported" is a finding (replication studies report it so), not a shrug.
    """
    expect = _check_side(expect)
    if isinstance(paper_effect, bool) or not isinstance(paper_effect, (int, float, np.number)) \
            or not math.isfinite(float(paper_effect)) or float(paper_effect) == 0.0:
        raise ClaimError(f"paper_effect: got {paper_effect!r}; allowed: a finite non-zero number (the paper's A − B)")
    sign = 1.0 if expect == "above" else -1.0
    if sign * float(paper_effect) < 0:
        raise ClaimError(f"paper_effect: got {paper_effect!r} with expect={expect!r}; the paper's effect must lie "
                         f"{expect} 0 (it is the direction the claim states)")
    paper_effect = float(paper_effect)
    tolerance = SIZE_TOLERANCE * abs(paper_effect) if tolerance is None else tolerance
    if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) or not (math.isfinite(tolerance) and tolerance >= 0):
        raise ClaimError(f"tolerance: got {tolerance!r}; allowed: a finite number >= 0 (in the units of the values)")
    kept = present((a, a_name), (b, b_name))
    too_few = _too_few(kept, over, f"{a_name} − {b_name}")
    if too_few is not None:
        return too_few
    x, y = kept.arrays
    d = x - y
    iv = interval(d, confidence, f"{a_name} − {b_name}")
    d_unit = " points" if unit.strip() == "%" else unit
    # oriented: the paper's direction positive
    lo, hi = (iv.low, iv.high) if sign > 0 else (-iv.high, -iv.low)
    e = sign * paper_effect
    paper = f"the paper's effect ({_num(paper_effect, digits)}{d_unit})"
    band = f"{paper} ± the tolerance {_num(tolerance, digits)}{d_unit}"
    if hi < 0:
        verdict, where = CONTRADICTED, f"lies {_OTHER_SIDE[expect]} 0: the effect goes the other way"
    elif lo > 0 and hi < e - tolerance:
        verdict, where = SMALLER, f"lies {expect} 0 but short of {band}: the effect is there, smaller than reported"
    elif lo <= 0 and hi < e:
        verdict, where = SMALLER, (f"contains 0 and excludes {paper}: the effect, if there is one, is smaller "
                                   "than reported")
    elif lo > e + tolerance:
        verdict, where = LARGER, f"lies beyond {band}: the effect is larger than reported"
    elif lo > 0:
        verdict, where = REPRODUCED, f"lies {expect} 0 and reaches {band}"
    else:
        verdict, where = INCONCLUSIVE, f"contains both 0 and {paper}"
    decide, needed = "", None
    if verdict == INCONCLUSIVE:
        distance = max(abs(iv.mean), abs(iv.mean - paper_effect))
        needed = models_to_decide(iv.std, distance, iv.n, confidence)
        decide = _decide_text(needed, over)
    ratio = f" Our mean effect is {100 * iv.mean / paper_effect:.0f} % of the paper's."
    ours = f"{a_name} {_mean_std(x, digits, unit)}, {b_name} {_mean_std(y, digits, unit)}"
    return Check(
        verdict,
        rule=f"the {_pct(confidence)} t-interval of the paired difference {a_name} − {b_name} over {over}, against 0 "
             f"(direction) and against the paper's effect {_num(paper_effect, digits)}{d_unit} with a tolerance of "
             f"{_num(tolerance, digits)}{d_unit} fixed in advance (size): reproduced if it lies {expect} 0 and reaches "
             f"the tolerance band, smaller or larger than reported if it excludes the paper's effect, contradicted if "
             f"it lies {_OTHER_SIDE[expect]} 0, inconclusive if it contains both 0 and the paper's effect",
        ours=ours,
        finding=f"Ours: {ours}; the paired difference is {_mean_std(d, digits, d_unit)} over {iv.n} {over}, and its "
                f"{_pct(confidence)} interval {_range(iv, digits, d_unit)} {where}.{ratio}{decide}{kept.note(over)}",
        n_seeds=iv.n, estimate=iv.mean, low=iv.low, high=iv.high, paper_value=paper_effect, over=over,
        models_needed=_as_needed(verdict, needed),
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
        n_seeds=n, estimate=float(array.mean()), over=over,
    )


def _bare(finding: str) -> str:
    return finding[len("Ours: "):] if finding.startswith("Ours: ") else finding


def both_parts(first: Check, second: Check) -> Check:
    """A claim of two parts (e.g. "the score rises, and then stops improving"; "DRS beats the
    threshold, and passes the test against the target").

    Reproduced if both parts are; *partly* if the first is and the second is not (contradicted or
    inconclusive); otherwise the first part's verdict. Not comparable if either part is. A claim
    whose second part is the size of an effect the paper reports uses :func:`effect` instead.
    """
    for role, check in (("first", first), ("second", second)):
        if check.verdict not in (REPRODUCED, CONTRADICTED, INCONCLUSIVE, NOT_COMPARABLE):
            raise ClaimError(f"{role}: expected a check that is reproduced, contradicted, inconclusive or not "
                             f"comparable; got {check.verdict!r}")
    for check in (first, second):
        if check.verdict == NOT_COMPARABLE:
            return check
    verdict = _both_verdict([first.verdict, second.verdict])
    return Check(
        verdict,
        rule=f"reproduced if both parts hold, partly if only the first does, otherwise the first part's verdict; "
             f"first: {first.rule}; second: {second.rule}",
        ours=f"{first.ours}; {second.ours}" if first.ours != second.ours else first.ours,
        finding=f"Ours, first part ({first.verdict}): {_bare(first.finding)} "
                f"Second part ({second.verdict}): {_bare(second.finding)}",
        n_seeds=first.n_seeds, estimate=first.estimate, low=first.low, high=first.high, over=first.over,
        without_one=_combined([first, second], _both_verdict),
    )


def _both_verdict(verdicts: list[str]) -> str:
    """:func:`both_parts`' rule on the two parts' verdicts."""
    first, second = verdicts
    if NOT_COMPARABLE in verdicts:
        return NOT_COMPARABLE
    if first == REPRODUCED:
        return REPRODUCED if second == REPRODUCED else PARTLY
    return first


def _every_verdict(verdicts: list[str]) -> str:
    """:func:`every_measure`'s rule on the measures' verdicts."""
    if NOT_COMPARABLE in verdicts:
        return NOT_COMPARABLE
    held = [v == REPRODUCED for v in verdicts]
    if all(held):
        return REPRODUCED
    if any(held):
        return PARTLY
    return CONTRADICTED if CONTRADICTED in verdicts else INCONCLUSIVE


def every_measure(by_measure: dict[str, Check]) -> Check:
    """One claim judged on several measures at once (e.g. "keeps diversity" as recall and as coverage).

    Reproduced if it holds on every measure; *partly* if it holds on some; otherwise contradicted if any
    measure contradicts it, else inconclusive. Not comparable if any measure is.
    """
    if len(by_measure) < 2:
        raise ClaimError("every_measure: give at least two measures (name -> check)")
    checks = list(by_measure.values())
    for name, check in by_measure.items():
        if check.verdict not in (REPRODUCED, CONTRADICTED, INCONCLUSIVE, NOT_COMPARABLE):
            raise ClaimError(f"{name}: expected a check that is reproduced, contradicted, inconclusive or not "
                             f"comparable; got {check.verdict!r}")
    for check in checks:
        if check.verdict == NOT_COMPARABLE:
            return check
    verdict = _every_verdict([c.verdict for c in checks])
    return Check(
        verdict,
        rule="reproduced if it holds on every measure, partly if on some, else contradicted if any measure "
             "contradicts it, else inconclusive; " + "; ".join(f"{name}: {c.rule}" for name, c in by_measure.items()),
        ours="; ".join(c.ours for c in checks),
        finding=" ".join(f"Ours, {name} ({c.verdict}): {_bare(c.finding)}" for name, c in by_measure.items()),
        n_seeds=min(c.n_seeds for c in checks), over=checks[0].over,
        without_one=_combined(checks, _every_verdict),
    )


def readings(by_reading: dict[str, Check], *, undefined: str) -> Check:
    """One paper number that admits several readings (e.g. a "std" that may be a radial RMS or a
    per-axis std; the paper does not say): each reading's check is computed, and the verdict is
    theirs when all agree; when they disagree it is *not comparable*, and the reason says which
    reading gives which verdict and why the paper cannot decide between them (``undefined``).
    """
    if len(by_reading) < 2:
        raise ClaimError("readings: give at least two readings (name -> check)")
    verdicts = {name: check.verdict for name, check in by_reading.items()}
    findings = " ".join(f"As {name} ({check.verdict}): {_bare(check.finding)}" for name, check in by_reading.items())
    ours = "; ".join(check.ours for check in by_reading.values())
    first = next(iter(by_reading.values()))
    without_one = _combined(list(by_reading.values()), lambda v: v[0] if len(set(v)) == 1 else NOT_COMPARABLE)
    if len(set(verdicts.values())) == 1:
        return replace(first, rule="every reading gives the same verdict; " + "; ".join(
            f"as {name}: {check.rule}" for name, check in by_reading.items()), ours=ours,
            finding=f"Ours, under every reading of the paper's number ({undefined}): {findings}",
            without_one=without_one)
    said = ", ".join(f"{verdict} as {name}" for name, verdict in verdicts.items())
    return Check(NOT_COMPARABLE, rule=f"not comparable: the readings disagree ({said}) and {undefined}", ours=ours,
                 finding=f"{said[0].upper() + said[1:]}; {undefined}, so the paper's number cannot be compared. {findings}",
                 n_seeds=first.n_seeds, over=first.over)


def not_comparable(reason: str, ours: str = "—") -> Check:
    """No number of ours measures the paper's quantity; ``reason`` says why, in words."""
    if not isinstance(reason, str) or not reason.strip():
        raise ClaimError("reason: a non-empty text saying why the claim cannot be compared is required")
    text = reason.strip()
    sentence = text[:1].upper() + text[1:]  # the finding is printed as a sentence of its own: capital first
    return Check(NOT_COMPARABLE, rule="not comparable: " + text.rstrip("."), ours=ours or "—",
                 finding=sentence if sentence.endswith(".") else sentence + ".")
