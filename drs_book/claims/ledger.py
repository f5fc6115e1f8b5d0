"""A chapter's claims as records and a tidy CSV (:class:`ClaimLedger`), read back and summarized
for the landing page and the claims summary. Part of :mod:`drs_book.claims`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path


from drs_lib.io import write_csv_atomic

import pandas as pd
from dataclasses import replace

from drs_book.claims.statistics import (
    CLAIM, CONTRADICTED, EXTENSION, KINDS, NOT_COMPARABLE, NOT_YET_CHECKED, REPRODUCED, VERDICTS, ClaimError,
)
from drs_book.claims.rules import Check


CLAIMS_FOLDER = "claims"
#: Which paper a claim is from: the DRS paper (Azadi et al. 2019) or DDLS (Che et al. 2020).
SOURCES = ("DRS", "DDLS")
#: Whose test a claim's rule is: "paper" (the paper's own number or direction) or "ours" (a
#: measure or margin the book chose, e.g. recall within a margin where the paper says "keeps
#: diversity"). A contradiction under our test is ours, not the paper's, and is counted apart.
TESTS = ("paper", "ours")
COLUMNS = ("chapter", "claim_id", "source", "kind", "test", "claim", "paper", "paper_value", "ours", "verdict", "rule",
           "finding", "evidence", "n_seeds", "over", "estimate", "low", "high", "models_needed", "without_one")
#: Columns a claims file written before they existed may lack (read as NaN), e.g. to compare
#: verdicts with an older build (tools/compare_verdicts.py).
OPTIONAL_COLUMNS = ("models_needed", "without_one")
_TEXT_COLUMNS = ("chapter", "claim_id", "source", "kind", "test", "claim", "paper", "ours", "verdict", "rule", "finding",
                 "evidence", "over", "without_one")
_NAME = re.compile(r"^[A-Za-z0-9_]+$")
_CLAIM_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)


class ClaimRecord:
    """One claim of a paper, checked in one chapter.

    ``chapter`` is the notebook stem; ``claim`` the paper's statement in words; ``paper`` the
    paper's value as printed (e.g. "90 ± 2 %", "qualitative"); ``evidence`` the MyST label of
    the section holding the evidence (empty: the chapter as a whole); ``source`` the paper that
    makes the claim (one of :data:`SOURCES`: "DRS", the default, or "DDLS"); ``kind`` one of
    :data:`~drs_book.claims.statistics.KINDS` (claim, check, calibration, extension); ``test`` whose
    test the rule is (:data:`TESTS`; an extension's is always "ours": the paper gives none).
    """

    chapter: str
    claim_id: str
    claim: str
    paper: str
    check: Check
    evidence: str = ""
    source: str = "DRS"
    kind: str = CLAIM
    test: str = "paper"

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
        if self.kind not in KINDS:
            raise ClaimError(f"kind: got {self.kind!r} (claim {self.claim_id!r}); allowed: " + ", ".join(map(repr, KINDS)))
        if self.test not in TESTS:
            raise ClaimError(f"test: got {self.test!r} (claim {self.claim_id!r}); allowed: " + ", ".join(map(repr, TESTS)))
        if self.kind == EXTENSION and self.test != "ours":
            raise ClaimError(f"test: an extension is a question the paper does not ask, so its test is ours; got "
                             f"{self.test!r} (claim {self.claim_id!r}); allowed: 'ours'")

    @property
    def verdict(self) -> str:
        return self.check.verdict

    @property
    def is_claim(self) -> bool:
        """A claim of the paper (not a check of our code, nor a calibration): what the bottom line counts."""
        return self.kind == CLAIM

    @property
    def ours_test(self) -> bool:
        return self.test == "ours"

    def replicates(self) -> str:
        """What the verdict rests on, in words: '10 models', '5 seeds', '1 model (8 rows)', or '—'."""
        n, over = self.check.n_seeds, self.check.over
        if not n:
            return "—"
        if over.endswith("of one model"):
            return f"1 model ({n} {over.removesuffix(' of one model')})"
        return f"{n} {over or 'seeds'}"

    def sentence(self) -> str:
        """The claim, its verdict and what our numbers show, as one Markdown paragraph."""
        claim = self.claim.strip().rstrip(".")
        extension = self.kind == EXTENSION
        label = self.verdict.capitalize() + (" (our test, not the paper's)" if self.ours_test and not extension else "")
        kind = ("" if self.is_claim else " [extension: a question of ours, not the paper's]" if extension
                else f" [{self.kind}]")
        return (f"**{label}.**{kind} {claim} (paper: {self.paper.strip()}). "
                f"{self.check.finding}{self.check.without_one_text()} *Rule: {self.check.rule}.*")

    def row(self) -> dict[str, object]:
        c = self.check
        return {"chapter": self.chapter, "claim_id": self.claim_id, "source": self.source, "kind": self.kind,
                "test": self.test, "claim": self.claim, "paper": self.paper, "paper_value": c.paper_value,
                "ours": c.ours, "verdict": c.verdict, "rule": c.rule, "finding": c.finding,
                "evidence": self.evidence, "n_seeds": c.n_seeds, "over": c.over, "estimate": c.estimate, "low": c.low,
                "high": c.high, "models_needed": c.models_needed, "without_one": ";".join(c.without_one)}

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
                      0 if math.isnan(n) else int(n), number("estimate"), number("low"), number("high"),
                      number("paper_value"), text("over"), number("models_needed"),
                      tuple(v for v in text("without_one").split(";") if v))
        return cls(text("chapter"), text("claim_id"), text("claim"), text("paper"), check, text("evidence"),
                   text("source") or "DRS", text("kind"), text("test") or "paper")


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
    #: Full-scale build: mark verdicts that moved under other CPU kernels (the committed comparison
    #: of two full builds says nothing about a quick build's verdicts).
    full_scale: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.chapter, str) or not _NAME.match(self.chapter):
            raise ClaimError(f"chapter: got {self.chapter!r}; allowed: a notebook stem (letters, digits, _)")

    def record(self, claim_id: str, claim: str, paper: str, check: Check, evidence: str = "",
               source: str = "DRS", *, kind: str, test: str = "paper", paper_value: float | None = None) -> ClaimRecord:
        """Add one checked record (ids and claim texts are unique within a chapter) and return it.

        ``kind`` is required: "claim" (the paper's empirical statement, tested), "check" (our code
        against a known answer or identity), "calibration" (matched by construction) or "extension"
        (a question of ours the paper does not state for this setting; ``test="ours"``).
        ``paper_value`` gives the paper's number for what the check's estimate estimates when the
        rule itself did not take it (e.g. 0 for "no mode lost" judged by a count rule).
        """
        if any(r.claim_id == claim_id for r in self.records):
            raise ClaimError(f"claim_id {claim_id!r} is already recorded in {self.chapter}; ids must be unique")
        if any(r.claim.strip() == claim.strip() for r in self.records):
            raise ClaimError(f"claim {claim!r} is already recorded in {self.chapter}; each claim is stated once")
        if paper_value is not None:
            if not math.isnan(check.paper_value) and check.paper_value != float(paper_value):
                raise ClaimError(f"paper_value: the rule already holds the paper's value {check.paper_value}; "
                                 f"got {paper_value!r} as well (claim {claim_id!r})")
            check = replace(check, paper_value=float(paper_value))
        entry = ClaimRecord(self.chapter, claim_id, claim, paper, check, evidence, source, kind, test)
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
        """The records as a MyST table: verdict, claim, paper, ours, (rule,) link to the evidence; a
        legend under it says what the kinds and marks mean when any is used."""
        from drs_book.claims.pages import claims_markdown_table, legend, moved_under_other_kernels  # pages imports us

        moved, label, _ = moved_under_other_kernels([self.chapter]) if self.full_scale else (set(), "", 0)
        table = claims_markdown_table(self.frame(), with_rule=with_rule, moved=moved)
        return table + legend(self.records, moved, label)

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
        for column in OPTIONAL_COLUMNS:  # added later: a file written before it still reads (as unknown)
            if column not in frame.columns:
                frame[column] = math.nan
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
    frame = pd.concat(frames, ignore_index=True)
    repeated = frame[frame["claim"].str.strip().duplicated(keep=False)]
    if not repeated.empty:
        where = "; ".join(f"{c} in {', '.join(part.chapter + ':' + part.claim_id)}"
                          for c, part in repeated.groupby(repeated["claim"].str.strip()))
        raise ClaimError(f"a claim is stated more than once in the ledger ({where}); each claim appears once, "
                         "with all its evidence")
    return frame


def records(frame: pd.DataFrame) -> list[ClaimRecord]:
    """The rows of a claims frame (from :func:`read_claims`) as records."""
    return [ClaimRecord.from_row(row) for row in frame.to_dict("records")]


#: Chapter statuses beyond the verdicts: several verdicts among its claims, no claim of the paper
#: (checks and calibrations only), no claims file yet.
MIXED = "mixed"
CHECKS_ONLY = "checks only"


def claim_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows that are the papers' claims (``kind == "claim"``): the only ones the bottom line counts."""
    return frame[frame["kind"] == CLAIM] if len(frame) else frame


def chapter_status(verdicts: Iterable[str], kinds: Iterable[str] | None = None) -> str:
    """One status for a chapter from its records' verdicts (and kinds; all claims if not given).

    No records: "not yet checked". No claim among them (checks and calibrations only): "checks
    only". All claims not comparable: "not comparable". Otherwise, over the comparable claims:
    all of one verdict → that verdict; several → "mixed" (the counts beside it say of what).
    """
    verdicts = list(verdicts)
    kinds = [CLAIM] * len(verdicts) if kinds is None else list(kinds)
    unknown = sorted(set(verdicts) - set(VERDICTS))
    if unknown:
        raise ClaimError(f"unknown verdict(s) {unknown}; allowed: " + ", ".join(map(repr, VERDICTS)))
    if not verdicts:
        return NOT_YET_CHECKED
    claimed = [v for v, k in zip(verdicts, kinds) if k == CLAIM]
    if not claimed:
        return CHECKS_ONLY
    comparable = [v for v in claimed if v != NOT_COMPARABLE]
    if not comparable:
        return NOT_COMPARABLE
    if len(set(comparable)) == 1:
        return comparable[0]
    return MIXED


def verdict_counts(verdicts: Iterable[str]) -> str:
    """'2 reproduced, 1 partly, 1 not comparable' (verdicts in their fixed order; '' if none)."""
    verdicts = list(verdicts)
    return ", ".join(f"{verdicts.count(v)} {v}" for v in VERDICTS if verdicts.count(v))


def chapter_statuses(frame: pd.DataFrame, chapters: Sequence[str]) -> pd.DataFrame:
    """Per chapter (in the given order): status, number of claims (the papers'), the verdict
    counts of those claims, the number of checks and calibrations beside them, and the number of
    extensions (questions of ours)."""
    rows = []
    for chapter in chapters:
        part = frame[frame.chapter == chapter] if len(frame) else frame
        claimed = claim_rows(part)
        rows.append({"chapter": chapter, "status": chapter_status(part["verdict"], part["kind"]) if len(part) else NOT_YET_CHECKED,
                     "n_claims": len(claimed), "counts": verdict_counts(claimed["verdict"]),
                     "n_checks": int((~part["kind"].isin([CLAIM, EXTENSION])).sum()) if len(part) else 0,
                     "n_extensions": int((part["kind"] == EXTENSION).sum()) if len(part) else 0})
    return pd.DataFrame(rows, columns=["chapter", "status", "n_claims", "counts", "n_checks", "n_extensions"])


def counts_by_source(frame: pd.DataFrame) -> pd.DataFrame:
    """The papers' claims (``kind == "claim"`` only) per paper (rows: :data:`SOURCES` present, plus
    "all") and verdict (columns, fixed order); ``ours`` counts the claims judged by a test of ours."""
    frame = claim_rows(frame)
    sources = [s for s in SOURCES if (frame["source"] == s).any()] if len(frame) else []
    rows = []
    for source in sources + ["all"]:
        part = frame if source == "all" else frame[frame["source"] == source]
        rows.append({"paper": source, **{v: int((part["verdict"] == v).sum()) for v in VERDICTS}, "claims": len(part),
                     "ours": int((part["test"] == "ours").sum())})
    return pd.DataFrame(rows, columns=["paper", *VERDICTS, "claims", "ours"])


def answer(frame: pd.DataFrame, keys: Sequence[tuple[str, str]]) -> tuple[str, list[ClaimRecord]]:
    """The answer to one question from the claims ``keys`` ((chapter, claim_id) pairs) that were recorded.

    Derived from the verdict vocabulary alone: the verdict every comparable claim behind it shares
    (e.g. "reproduced", "smaller than reported"), "mixed" when they differ, "not checked" when none
    was recorded or none is comparable. Returns the word and the records it rests on.
    """
    wanted = set(keys)
    found = [r for r in records(frame) if (r.chapter, r.claim_id) in wanted]
    verdicts = [r.verdict for r in found if r.verdict != NOT_COMPARABLE]
    if not verdicts:
        return "not checked", found
    return (verdicts[0] if len(set(verdicts)) == 1 else MIXED), found


def status_text(status: str, counts: str) -> str:
    """'mixed (2 reproduced, 1 smaller than reported)' or just the status when there is nothing to count."""
    return f"{status} ({counts})" if counts else status


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
