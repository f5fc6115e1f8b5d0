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

The package: :mod:`drs_book.claims.statistics` (numbers over seeds, intervals), :mod:`drs_book.claims.rules`
(the verdict rules, :class:`Check`) and :mod:`drs_book.claims.ledger` (records, the CSV, summaries); every
name is importable from ``drs_book.claims`` itself, as from the one module it was.
"""

from __future__ import annotations

from drs_book.claims.statistics import (  # noqa: F401
    REPRODUCED, PARTLY, INCONCLUSIVE, CONTRADICTED, NOT_COMPARABLE, VERDICTS, NOT_YET_CHECKED, Side, Comparison, ClaimError, seed_values, _as_float_array, Present, present, models_to_decide, _decide_text, _check_confidence, Interval, interval, _num, _mean_std, _range, _pct, _check_side,
)
from drs_book.claims.rules import (  # noqa: F401
    Check, _too_few, _present_one, _OTHER_SIDE, paired, versus, matches, _COMPARE, on_seeds, _bare, direction_and_size, not_comparable,
)
from drs_book.claims.ledger import (  # noqa: F401
    CLAIMS_FOLDER, SOURCES, COLUMNS, _TEXT_COLUMNS, _NAME, _CLAIM_ID, ClaimRecord, ClaimLedger, read_claims, records, chapter_status, verdict_counts, chapter_statuses, counts_by_source, answer, status_text, link, chapter_link, _cell, markdown_table, claims_markdown_table, toc_chapters, find_upwards, __all__,
)
