"""How the claims look on the pages: links to their evidence, pipe tables with the verdict labelled
by its kind, the legend of those labels, and the verdicts that moved under other CPU kernels.
Part of :mod:`drs_book.claims`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import pandas as pd

from drs_book.claims.ledger import ClaimRecord, find_upwards, records
from drs_book.claims.statistics import CONTRADICTED, INCONCLUSIVE, REPRODUCED, ClaimError


def link(record: ClaimRecord, docs_folder: str = "/book/executed", text: str | None = None) -> str:
    """MyST link to a claim's evidence: its section label if recorded, else its chapter.

    ``text`` replaces the target's own title as the link text (e.g. "ch. 02").
    """
    target = record.evidence if record.evidence else f"{docs_folder}/{record.chapter}"
    role = "ref" if record.evidence else "doc"
    return f"{{{role}}}`{target}`" if text is None else f"{{{role}}}`{text} <{target}>`"


def chapter_link(chapter: str, docs_folder: str = "/book/executed") -> str:
    return f"{{doc}}`{docs_folder}/{chapter}`"


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A MyST/GFM pipe table ('|' inside cells escaped)."""
    lines = ["| " + " | ".join(_cell(h) for h in header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def verdict_label(record: ClaimRecord, moved: "set[tuple[str, str]] | None" = None) -> str:
    """The verdict as the tables print it: bold, the kind when it is not a claim, "our test" when the
    rule is ours, and a dagger when the verdict moved under other CPU kernels (``moved``)."""
    label = f"**{record.verdict}**"
    if not record.is_claim:
        label += f" ({record.kind})"
    if record.ours_test and record.kind != "extension":  # an extension's test is ours by definition
        label += " (our test)"
    if moved and (record.chapter, record.claim_id) in moved:
        label += " †"
    if record.check.one_decides:
        label += " ‡"
    return label


def legend(shown: Sequence[ClaimRecord], moved: "set[tuple[str, str]]", label: str) -> str:
    """A line under a claims table saying what its marks mean ('' when it uses none)."""
    notes = []
    if any(r.kind == "check" for r in shown):
        notes.append("*check*: our code against a known answer or identity, not a claim of the paper")
    if any(r.kind == "calibration" for r in shown):
        notes.append("*calibration*: a value our setting was chosen to sit near, so it is matched by construction")
    if any(r.kind == "extension" for r in shown):
        notes.append("*extension*: a question of ours that the paper does not state for this setting, so never "
                     "counted as the paper's claim")
    if any(r.ours_test for r in shown):
        notes.append("*our test*: the measure or margin is ours; the paper states no number for it")
    if any((r.chapter, r.claim_id) in moved for r in shown):
        notes.append(f"†: this verdict differed when the whole book was rebuilt under other CPU kernels ({label})")
    if any(r.check.one_decides for r in shown):
        notes.append("‡: leaving out one of the models (or seeds) it rests on changes this verdict")
    return ("\n\n" + "; ".join(notes) + ".") if notes else ""


def moved_under_other_kernels(chapters: Sequence[str] | None = None) -> "tuple[set[tuple[str, str]], str, int]":
    """The (chapter, claim_id) pairs whose verdict differed when the book was built under other CPU
    kernels (``book/data/verdicts_other_kernels.csv``, written by ``tools/compare_verdicts.py``),
    those kernels in words, and how many records were compared; nothing when the file is absent."""
    other = _compared_records(chapters)
    moved = other[~other.same.astype(bool)]
    label = str(other["other_kernels"].iloc[0]) if len(other) else ""
    return {(r.chapter, r.claim_id) for r in moved.itertuples()}, label, len(other)


def _compared_records(chapters: Sequence[str] | None) -> pd.DataFrame:
    """The rows of ``book/data/verdicts_other_kernels.csv`` present in both builds (none without the file)."""
    try:
        path = find_upwards("book/data/verdicts_other_kernels.csv")
    except ClaimError:
        return pd.DataFrame(columns=["chapter", "claim_id", "verdict_native", "verdict_other", "same", "other_kernels"])
    other = pd.read_csv(path)
    if chapters is not None:
        other = other[other.chapter.isin(list(chapters))]
    return other[(other.verdict_native != "missing") & (other.verdict_other != "missing")]


def describe_moves(moves: pd.DataFrame, kinds: "dict[tuple[str, str], str]") -> str:
    """One sentence on where the moved verdicts went (rows of ``verdicts_other_kernels.csv`` with
    ``same`` False; ``kinds``: (chapter, claim_id) -> the record's kind). The severe move, between
    reproduced and contradicted, is named whenever it happens."""
    if moves.empty:
        return ""
    counts: dict[str, int] = {}
    for r in moves.itertuples():
        kind = kinds.get((r.chapter, r.claim_id), "record")
        counts[kind] = counts.get(kind, 0) + 1
    what = " and ".join(f"{n} {kind}{'s' if n > 1 else ''}" for kind, n in sorted(counts.items()))
    pairs = [{r.verdict_native, r.verdict_other} for r in moves.itertuples()]
    severe = sum(pair == {REPRODUCED, CONTRADICTED} for pair in pairs)
    to_inconclusive = sum(INCONCLUSIVE in pair for pair in pairs)
    if to_inconclusive == len(pairs):
        where = "each between a decided verdict and inconclusive, none between reproduced and contradicted"
    elif severe:
        where = f"{severe} of them between reproduced and contradicted"
    else:
        where = "none between reproduced and contradicted"
    return f"the moves are {what}, {where}"


def resting_on_one(shown: Sequence[ClaimRecord], moved: "set[tuple[str, str]]") -> str:
    """How many verdicts over several models change when one model is left out (‡), and how many of
    the verdicts that moved under other CPU kernels (†) are among them: one sentence ('' if none has
    leave-one-out verdicts)."""
    judged = [r for r in shown if r.check.without_one]
    if not judged:
        return ""
    resting = [r for r in judged if r.check.one_decides]
    text = (f"Left out one at a time, a single model (or seed) changes {len(resting)} of the {len(judged)} verdicts "
            "that rest on several (marked ‡)")
    flagged = [r for r in shown if (r.chapter, r.claim_id) in moved]
    if flagged:
        among = sum(r.check.one_decides for r in flagged)
        text += f"; {among} of the {len(flagged)} verdicts that moved under other CPU kernels (†) are among them"
    return text + "."


def kernel_moves(chapters: Sequence[str] | None = None) -> pd.DataFrame:
    """The rows of ``book/data/verdicts_other_kernels.csv`` whose verdict moved (both builds present);
    empty when the file is absent."""
    other = _compared_records(chapters)
    return other[~other.same.astype(bool)]


def claims_markdown_table(frame: pd.DataFrame, docs_folder: str = "/book/executed", with_rule: bool = True,
                          moved: "set[tuple[str, str]] | None" = None) -> str:
    """Every record: verdict (with its kind and a † when CPU-sensitive), the paper's claim and value, ours,
    the rule (optional), and a link to its evidence."""
    header = ["verdict", "claim", "paper", "ours (mean ± std)"] + (["rule"] if with_rule else []) + ["evidence"]
    rows = [[verdict_label(r, moved), r.claim, r.paper, r.check.ours] + ([r.check.rule] if with_rule else [])
            + [link(r, docs_folder)] for r in records(frame)]
    return markdown_table(header, rows)


#: A build that trains more than this many times a chapter's models is out of reach here: the cold
#: build must stay within 25 minutes on 2 cores, and GAN training, which grows linearly with the
#: models, is already most of it (README, "Where the time goes").
REACH_FACTOR = 1.5


def undecided_table(frame: pd.DataFrame, docs_folder: str = "/book/executed") -> str:
    """The inconclusive claims of the papers: what they rest on, about how many models would decide
    each at the observed mean and spread (``models_needed``), and whether that is within reach of
    this book's build (at most :data:`REACH_FACTOR` times the models it trains). '' when there are none."""
    rows = []
    for r in records(frame):
        if not (r.is_claim and r.verdict == INCONCLUSIVE):
            continue
        needed, n = r.check.models_needed, r.check.n_seeds
        if math.isnan(needed):  # a rule without a power estimate (a count of seeds, k of n)
            decide, reach = "not estimated by its rule", "—"
        elif math.isinf(needed):
            decide, reach = "none: the mean sits on the rule's edge", "no"
        else:
            factor = needed / n if n else math.inf
            decide = f"about {int(needed)} ({factor:.1f}× the models trained)"
            reach = ("yes: a longer build" if factor <= REACH_FACTOR else
                     f"no: {factor:.1f}× the chapter's GAN training, beyond the {REACH_FACTOR:g}× a 25-minute build allows")
        rows.append([r.claim + (" (our test)" if r.ours_test else ""), r.replicates(), decide, reach, link(r, docs_folder, text="ch. " + r.chapter[:2])])
    if not rows:
        return ""
    return markdown_table(["claim", "rests on", "models that would decide it", "within reach here", "evidence"], rows)
