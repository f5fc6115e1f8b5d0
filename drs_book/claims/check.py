"""The outcome of a verdict rule (:class:`Check`) and how it is run again without each model in
turn (the ``without_one`` verdicts, a verdict that rests on one model). Part of :mod:`drs_book.claims`;
the rules themselves are in :mod:`drs_book.claims.rules`.
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from drs_book.claims.statistics import NOT_COMPARABLE, REPRODUCED, VERDICTS, ClaimError


@dataclass(frozen=True)
class Check:
    """The outcome of one rule: verdict, the rule in words, our numbers, and what they show.

    ``estimate``, ``low`` and ``high`` are the number the rule decided on and its interval
    (NaN where the rule has none, e.g. a seed count or a claim that is not comparable);
    ``paper_value`` is the paper's number for exactly what ``estimate`` estimates, in the same
    units (NaN where the paper gives none: a direction-only claim).
    """

    verdict: str
    rule: str
    ours: str
    finding: str
    n_seeds: int = 0
    estimate: float = math.nan
    low: float = math.nan
    high: float = math.nan
    paper_value: float = math.nan
    over: str = ""
    """What the ``n_seeds`` replicates are ("models", "seeds", "interpolation rows of one model")."""
    models_needed: float = math.nan
    """For an inconclusive verdict: about how many replicates at this mean and spread would decide it
    (:func:`models_to_decide`; ``inf`` when no number would). NaN for every other verdict."""
    without_one: tuple[str, ...] = ()
    """The verdict the same rule gives with each replicate left out in turn (those with a value, in
    order); empty where the rule has none (a count of k of n, a claim that is not comparable)."""

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ClaimError(f"verdict: got {self.verdict!r}; allowed: " + ", ".join(map(repr, VERDICTS)))
        for name in ("rule", "ours", "finding"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name).strip():
                raise ClaimError(f"{name}: a non-empty text is required")
        unknown = sorted(set(self.without_one) - set(VERDICTS))
        if unknown:
            raise ClaimError(f"without_one: unknown verdict(s) {unknown}; allowed: " + ", ".join(map(repr, VERDICTS)))

    @property
    def holds(self) -> bool:
        return self.verdict == REPRODUCED

    @property
    def one_decides(self) -> bool:
        """Leaving out a single replicate (one model) changes the verdict: it rests on that one."""
        return any(v != self.verdict for v in self.without_one)

    def without_one_text(self) -> str:
        """' Leaving out one of the 10 models at a time, 8 give the same verdict and 2 give inconclusive.'
        ('' unless leaving one out changes the verdict)."""
        if not self.one_decides:
            return ""
        def give(n: int) -> str:
            return f"{n} gives" if n == 1 else f"{n} give"

        others = [v for v in self.without_one if v != self.verdict]
        counts = ", ".join(f"{give(others.count(v))} {v}" for v in VERDICTS if v in others)
        same = len(self.without_one) - len(others)
        return (f" Leaving out one of the {len(self.without_one)} {self.over or 'seeds'} at a time, {give(same)} the same "
                f"verdict and {counts}: it rests on "
                + ("that one." if len(others) == 1 else f"each of those {len(others)} alone."))


def _without_each(n_arrays: int) -> Callable[[Callable[..., Check]], Callable[..., Check]]:
    """Decorate a rule whose first ``n_arrays`` arguments hold one value per replicate: the Check it
    returns also carries the verdict of the same rule with each replicate left out
    (:attr:`Check.without_one`), so a verdict that rests on one model can be seen as such.

    A replicate without a value is not left out (that changes nothing); a count rule (``min_seeds``)
    and a not-comparable verdict carry none.
    """

    def decorate(rule: Callable[..., Check]) -> Callable[..., Check]:
        signature = inspect.signature(rule)
        names = list(signature.parameters)[:n_arrays]

        @functools.wraps(rule)
        def run(*args, **kwargs) -> Check:
            bound = signature.bind(*args, **kwargs)
            try:  # materialised once (an iterator could be read only once); bad input: the rule's own error
                arrays = [np.asarray(list(bound.arguments[name]), dtype=float) for name in names]
            except (TypeError, ValueError):
                return rule(*args, **kwargs)
            arguments = {**bound.arguments, **dict(zip(names, arrays))}
            check = rule(**arguments)
            if check.verdict == NOT_COMPARABLE or arguments.get("min_seeds") is not None:
                return check
            valued = np.logical_and.reduce([np.isfinite(a) for a in arrays])
            verdicts = []
            for i in np.flatnonzero(valued):
                keep = np.arange(arrays[0].size) != i
                try:
                    verdicts.append(rule(**{**arguments, **{n: a[keep] for n, a in zip(names, arrays)}}).verdict)
                except ClaimError:
                    verdicts.append(NOT_COMPARABLE)
            return replace(check, without_one=tuple(verdicts))

        return run

    return decorate


def _combined(checks: Sequence[Check], combine: Callable[[list[str]], str]) -> tuple[str, ...]:
    """Leave-one-out verdicts of a claim made of several checks on the same replicates: ``combine``
    applied to the parts' verdicts with the same replicate left out (none when the parts differ in length)."""
    lengths = {len(c.without_one) for c in checks}
    if len(lengths) != 1 or not lengths.pop():
        return ()
    return tuple(combine(list(parts)) for parts in zip(*(c.without_one for c in checks)))
