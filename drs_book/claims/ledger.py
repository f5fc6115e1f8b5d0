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
from drs_book.claims.statistics import REPRODUCED, PARTLY, CONTRADICTED, NOT_COMPARABLE, VERDICTS, NOT_YET_CHECKED, ClaimError
from drs_book.claims.rules import Check


CLAIMS_FOLDER = "claims"
#: Which paper a claim is from: the DRS paper (Azadi et al. 2019) or DDLS (Che et al. 2020).
SOURCES = ("DRS", "DDLS")
COLUMNS = ("chapter", "claim_id", "source", "claim", "paper", "ours", "verdict", "rule", "finding", "evidence",
           "n_seeds", "estimate", "low", "high")
_TEXT_COLUMNS = ("chapter", "claim_id", "source", "claim", "paper", "ours", "verdict", "rule", "finding", "evidence")
_NAME = re.compile(r"^[A-Za-z0-9_]+$")
_CLAIM_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


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
