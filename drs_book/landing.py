"""The landing page's answer and the claims page's tables, generated from the chapters' records.

Every word and number here comes from the records the chapters wrote (:mod:`drs_book.claims`);
this module only selects, counts and phrases them, by rules stated in the docstrings (and on
the pages). Only records of kind ``claim`` make the answer; checks and calibrations are listed
apart, as are the extensions (questions of ours the paper does not ask), and a claim judged by a
test of ours (``test == "ours"``) is never counted among the paper's contradictions.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from drs_book import claims
from drs_book.claims import ClaimRecord

#: A group of records the answer states together: its label and which records belong to it.
Selector = Callable[[ClaimRecord], bool]


@dataclass(frozen=True)
class Group:
    label: str
    select: Selector


#: The claims page's heading for the extensions (:data:`drs_book.claims.EXTENSION`).
EXTENSIONS_TITLE = "Questions of ours beyond the papers"


def paper_claims(records: Sequence[ClaimRecord]) -> list[ClaimRecord]:
    """The papers' claims judged by the papers' own tests (kind claim, test paper): what the answer counts."""
    return [r for r in records if r.is_claim and not r.ours_test]


def tally(records: Sequence[ClaimRecord]) -> str:
    """'reproduced (4 of 4)' when the comparable records share a verdict, else '3 smaller than reported,
    2 reproduced' (most frequent first, ties in the vocabulary's order); 'not comparable' when none is."""
    comparable = [r.verdict for r in records if r.verdict != claims.NOT_COMPARABLE]
    if not comparable:
        return claims.NOT_COMPARABLE
    counts = Counter(comparable)
    if len(counts) == 1:
        return f"{comparable[0]} ({len(comparable)} of {len(comparable)})"
    ordered = sorted(counts, key=lambda v: (-counts[v], claims.VERDICTS.index(v)))
    return ", ".join(f"{counts[v]} {v}" for v in ordered)


def lead_word(records: Sequence[ClaimRecord]) -> str:
    """'Yes' when every comparable record is reproduced, 'No' when none is, 'Partly' otherwise."""
    comparable = [r.verdict for r in records if r.verdict != claims.NOT_COMPARABLE]
    if not comparable:
        return "Not comparable"
    held = sum(v == claims.REPRODUCED for v in comparable)
    return "Yes" if held == len(comparable) else "No" if held == 0 else "Partly"


def answer(records: Sequence[ClaimRecord], groups: Sequence[Group], *, scope: str, headline: str = "") -> str:
    """The first paragraph of the landing page: a lead word for ``scope`` (:func:`lead_word` on the
    first group), then one clause per group with its verdicts (:func:`tally`).

    ``headline`` goes in brackets after the first group's tally (e.g. the HQ levels, from their records).
    """
    counted = paper_claims(records)
    parts = []
    for i, group in enumerate(groups):
        chosen = [r for r in counted if group.select(r)]
        if chosen:
            extra = f"; {headline}" if i == 0 and headline else ""
            parts.append(f"{group.label}: {tally(chosen)}{extra}")
    first = [r for r in counted if groups[0].select(r)] if groups else []
    if not first:
        return "No chapter has recorded a claim of the paper yet, so this book does not yet say whether DRS reproduces."
    return f"**{lead_word(first)} on {scope}.** " + ". ".join(p[0].upper() + p[1:] for p in parts) + "."


def short(record: ClaimRecord) -> str:
    """The claim's whole text without a final full stop (qualifiers after a ';' are kept)."""
    return record.claim.strip().rstrip(".")


def qualifications(records: Sequence[ClaimRecord], *, moved: "set[tuple[str, str]]", kernels: str,
                   compared: int) -> list[str]:
    """At most four generated sentences that qualify the answer: what it does not count and why."""
    lines = []
    checks = [r for r in records if r.kind == claims.CHECK]
    calibrations = [r for r in records if r.kind == claims.CALIBRATION]
    extensions = [r for r in records if r.kind == claims.EXTENSION]
    if checks or calibrations or extensions:
        passed = sum(r.verdict == claims.REPRODUCED for r in checks)
        matched = sum(r.verdict == claims.REPRODUCED for r in calibrations)
        parts = [f"{len(checks)} checks of our code against known answers ({passed} pass)",
                 f"{len(calibrations)} calibrations, values our GAN was chosen to sit near ({matched} match)"]
        if extensions:
            parts.append(f"{len(extensions)} questions of ours that the papers do not ask ({tally(extensions)})")
        lines.append("Not counted: " + (", ".join(parts[:-1]) + " and " + parts[-1]) + ".")
    ours = [r for r in records if r.is_claim and r.ours_test]
    if ours:
        lines.append(f"{len(ours)} claims are judged on measures or margins of ours, which the paper never states "
                     f"(precision, recall, coverage, tails): {tally(ours)}; these are our findings, not the paper's "
                     "contradictions.")
    counted = paper_claims(records)
    unsure = [r for r in counted if r.verdict in (claims.NOT_COMPARABLE, claims.INCONCLUSIVE)]
    if unsure:
        counts = Counter(r.verdict for r in unsure)
        lines.append(" and ".join(f"{counts[v]} {v}" for v in (claims.NOT_COMPARABLE, claims.INCONCLUSIVE) if counts[v])
                     + " of the paper's claims: each says why on the claims page.")
    if compared:
        resting = sum(r.check.one_decides for r in records if (r.chapter, r.claim_id) in moved)
        which = ("" if not moved else ", none of them a verdict that one model decides (‡)" if not resting
                 else f", {resting} of them verdicts that one model decides (‡)")
        lines.append(f"Rebuilt under other CPU kernels ({kernels}), {compared - len(moved)} of {compared} verdicts "
                     f"stay the same; {len(moved)} move (marked †){which}.")
    return lines[:4]


def claims_table(records: Sequence[ClaimRecord], *, moved: "set[tuple[str, str]]") -> str:
    """One row per record: verdict, the full claim linked to its evidence, paper, ours, what it rests on."""
    header = ["verdict", "claim (evidence)", "paper", "ours (mean ± std)", "rests on"]
    rows = [[claims.verdict_label(r, moved),
             f"{short(r)} ({claims.link(r, text='ch. ' + r.chapter.split('_')[0])})",
             r.paper, r.check.ours, r.replicates()] for r in records]
    return claims.markdown_table(header, rows)


def by_kind(frame: pd.DataFrame) -> dict[str, list[ClaimRecord]]:
    """The records grouped as the claims page shows them: the claims of each paper, the questions of
    ours beyond them (extensions), then checks and calibrations."""
    records = claims.records(frame)
    groups: dict[str, list[ClaimRecord]] = {}
    for source in claims.SOURCES:
        chosen = [r for r in records if r.is_claim and r.source == source]
        if chosen:
            groups[f"Claims of the {source} paper"] = chosen
    extensions = [r for r in records if r.kind == claims.EXTENSION]
    if extensions:
        groups[EXTENSIONS_TITLE] = extensions
    others = [r for r in records if not r.is_claim and r.kind != claims.EXTENSION]
    if others:
        groups["Checks of our code and calibrations of our setting"] = others
    return groups
