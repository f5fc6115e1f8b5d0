"""Claims the book checks against the papers, with verdicts computed from per-seed numbers.

A *record* is one statement a chapter checks, of one of three kinds (``kind``):

* ``claim``        an empirical statement of the paper (e.g. "DRS raises the share of
  high-quality samples from 70 % to 90 %", Table 1 of Azadi et al. 2019), tested. Only these make
  the landing page's answer and the per-paper counts.
* ``check``        our code against a known answer or an identity (acceptance = 1/M, the exact
  ratio passing a KS test): it tests the code, not the paper.
* ``calibration``  a value our setting was chosen to sit near (the baseline GAN's modes and % HQ,
  selected by the appendix's rule): evidence that the setting is comparable, matched by
  construction.

Its *verdict* is never typed: a small pure rule turns our per-seed numbers into one word of the
one vocabulary, :data:`VERDICTS` (what each means: :data:`MEANING`):

* ``reproduced``             the effect is there (interval on the paper's side of 0) and reaches
  the paper's size within a tolerance fixed in advance; or, for a level, our interval contains
  the paper's value and is narrow enough to call a match;
* ``smaller than reported``  our interval excludes the paper's effect on the small side (it may
  or may not exclude 0): the effect, if any, is smaller than reported;
* ``larger than reported``   our interval lies beyond the paper's effect;
* ``partly``                 one part of a two-part claim holds, the other does not;
* ``inconclusive``           the interval holds both the paper's value (or effect) and a
  meaningful miss (or no effect); the finding says about how many models would decide;
* ``contradicted``           the effect goes the other way, or the interval excludes a level;
* ``not comparable``         nothing we measure is the paper's quantity (a property of SAGAN on
  ImageNet, a "std" the paper does not define), or too few models have a value.

Wherever the paper gives a number, the rule tests its size (:func:`effect`, :func:`matches`) and
the record keeps it as ``paper_value``, in the units of ``estimate``; an interval that excludes
it is never called inconclusive. A rule whose measure or margin is ours (the paper gives none)
is marked ``test="ours"``: a contradiction under it is ours, not the paper's.

Seeds with a missing (non-finite) value are left out and the finding says how many models the
verdict rests on; with fewer than two left the claim is not comparable. Intervals are Student-t
intervals of the mean over seeds (independently trained models, never rows of one model). Every
rule over models is also run without each model in turn; a verdict that one model changes is
marked (``Check.one_decides``).

The package: :mod:`drs_book.claims.statistics` (numbers over seeds, intervals, the vocabulary),
:mod:`drs_book.claims.check` (:class:`Check`, a rule's outcome, and its verdicts with each model
left out), :mod:`drs_book.claims.rules` (the verdict rules) and
:mod:`drs_book.claims.ledger` (records, the CSV, chapter statuses and the landing page's
answers, all derived from the vocabulary) and :mod:`drs_book.claims.pages` (how records look on
the pages: links, tables, the legend, the verdicts that moved under other CPU kernels).
"""

from __future__ import annotations

from drs_book.claims.statistics import (
    CALIBRATION, CHECK, CLAIM, CONTRADICTED, EXTENSION, INCONCLUSIVE, KINDS, LARGER, MEANING, NOT_COMPARABLE, NOT_YET_CHECKED,
    PARTLY, REPRODUCED, SIZE_TOLERANCE, SMALLER, VERDICTS, ClaimError, Interval, Present, interval, models_to_decide,
    present, seed_values,
)
from drs_book.claims.rules import (
    Check, both_parts, effect, every_measure, matches, not_comparable, on_seeds, paired, readings, versus,
)
from drs_book.claims.ledger import (
    CHECKS_ONLY, CLAIMS_FOLDER, COLUMNS, MIXED, SOURCES, TESTS, ClaimLedger, ClaimRecord, answer, chapter_status,
    chapter_statuses, claim_rows, counts_by_source, find_upwards, read_claims, records, status_text, toc_chapters,
    verdict_counts,
)
from drs_book.claims.pages import (
    REACH_FACTOR, chapter_link, claims_markdown_table, describe_moves, kernel_moves, legend, link, markdown_table,
    moved_under_other_kernels, resting_on_one, undecided_table, verdict_label,
)

__all__ = [
    "CALIBRATION", "CHECK", "CLAIM", "CONTRADICTED", "EXTENSION", "INCONCLUSIVE", "KINDS", "LARGER", "MEANING", "NOT_COMPARABLE",
    "NOT_YET_CHECKED", "PARTLY", "REPRODUCED", "SIZE_TOLERANCE", "SMALLER", "VERDICTS", "ClaimError", "Interval",
    "Present", "interval", "models_to_decide", "present", "seed_values",
    "Check", "both_parts", "effect", "every_measure", "matches", "not_comparable", "on_seeds", "paired", "readings", "versus",
    "CHECKS_ONLY", "CLAIMS_FOLDER", "COLUMNS", "MIXED", "SOURCES", "TESTS", "ClaimLedger", "ClaimRecord", "answer",
    "chapter_link", "chapter_status", "chapter_statuses", "claim_rows", "claims_markdown_table", "counts_by_source",
    "find_upwards", "describe_moves", "kernel_moves", "legend", "link", "markdown_table", "moved_under_other_kernels",
    "read_claims", "records", "resting_on_one",
    "status_text", "toc_chapters", "verdict_counts", "verdict_label", "REACH_FACTOR", "undecided_table",
]
