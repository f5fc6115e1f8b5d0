"""tools/check_pages.py: what it calls a failure, and the known-failures list (no browser needed)."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))
import check_pages  # noqa: E402


def clean_facts(**changes) -> dict:
    facts = {
        "mathjax": "ok", "mathCount": 2, "typeset": 2, "mathErrors": 0,
        "proseText": "A formula, typeset.", "fullText": "A formula, typeset.",
        "overflowing": [], "cells": ["DRS", "0.91 ± 0.01"], "errors": [], "strays": [],
        "tables": [{"name": "table", "headRows": [["method", "modes"]], "rowHeaders": [None]}],
        "images": [{"src": "ab12.png", "loaded": True, "natural": 1536, "shown": 768, "alt": "A scatter plot of samples",
                    "raster": True, "inArticle": True}],
        "pageWidth": 400, "windowWidth": 400, "columnWidth": 768, "pageHeight": 6_000,
        "bold": [{"text": "Data.", "glued": [], "lead": True}, {"text": "2,000", "glued": ["2,000"], "lead": False}],
        "provenance": {"commit": "a696a0d", "links": [{"href": "../../_static/data/results/02.csv", "exists": True}]},
        "scrollBoxes": [{"what": "table", "hidden": 0, "cue": False}], "searches": 1,
    }
    facts.update(changes)
    return facts


def checks(facts: dict, width: int = 1400, requests=()) -> list[str]:
    return [f.check for f in check_pages.evaluate("page", width, facts, list(requests))]


def test_a_clean_page_passes_at_both_widths():
    assert checks(clean_facts()) == [] and checks(clean_facts(), width=400) == []


def test_each_defect_is_named():
    image = clean_facts()["images"][0]
    assert checks(clean_facts(), requests=["https://cdn.example/mathjax.js"]) == ["offline"]
    assert checks(clean_facts(mathjax="absent", typeset=0)) == ["math"]
    assert checks(clean_facts(proseText=r"raw \(\tilde D\) here")) == ["math"]
    assert checks(clean_facts(errors=["Traceback ..."])) == ["errors"]
    assert checks(clean_facts(strays=["4.33201507800004"])) == ["stray-output"]
    assert checks(clean_facts(fullText="# NBVAL_CHECK_OUTPUT")) == ["nbval"]
    assert checks(clean_facts(cells=["DDLS", "-1"])) == ["placeholder"]
    assert checks(clean_facts(cells=["0.913 ± ..."])) == ["truncated"]
    assert checks(clean_facts(tables=[{"name": "t", "headRows": [["", "a", "b"], ["method", "", ""]], "rowHeaders": []}])) == ["header-row"]
    assert checks(clean_facts(tables=[{"name": "t", "headRows": [["", "a"]], "rowHeaders": ["0", "1", "2"]}])) == ["index"]
    assert checks(clean_facts(tables=[{"name": "t", "headRows": [["pct_high_quality"]], "rowHeaders": []}])) == ["headers"]
    table, image_box = {"what": "table", "px": 120, "table": True}, {"what": "image x.png", "px": 120, "table": False}
    assert checks(clean_facts(overflowing=[table])) == ["overflow"]
    assert checks(clean_facts(overflowing=[image_box])) == ["overflow"]
    assert checks(clean_facts(overflowing=[table]), width=400) == ["overflow"], "a table must scroll on a phone too"
    assert checks(clean_facts(overflowing=[image_box]), width=400) == [], "images scale down at 400 px"
    assert checks(clean_facts(markupText="the GAN setting {glue:text}`gan_preset_text` of drs_lib")) == ["markup"]
    assert checks(clean_facts(markupText="see {doc}`A1_gan_regime`")) == ["markup"]
    assert checks(clean_facts(markupText="a dict {key: 1} is fine")) == []
    assert checks(clean_facts(captions=["Figure 06-B. One.", "Figure 06-B. Two.", "Figure 06-C. Three."])) == ["figure-label"]
    assert checks(clean_facts(captions=["Figure 3 (paper). Real.", "Figure 02-A. Share."])) == []
    assert checks(clean_facts(proseText="its 95 % interval [−1.7, 10.9] % contains 0")) == ["interval-range"]
    assert checks(clean_facts(proseText="its 95 % interval [0.0, 10.9] % and [12.5, 100.0] %")) == []
    assert checks(clean_facts(pageWidth=698), width=400) == ["page-width"]
    assert checks(clean_facts(images=[{**image, "natural": 779, "shown": 768}])) == ["dpi"]  # 97 dpi
    assert checks(clean_facts(images=[{**image, "alt": "../../_images/ab12.png"}])) == ["alt"]
    assert checks(clean_facts(images=[{**image, "loaded": False, "natural": 0}])) == ["images"]


def test_a_page_longer_than_the_limit_at_1400_px_fails():
    # Issue 27: chapter 06 read 13,648 px at 1,400 px wide; a page may be at most MAX_PAGE_HEIGHT_PX long.
    limit = check_pages.MAX_PAGE_HEIGHT_PX
    assert limit == 10_000
    assert checks(clean_facts(pageHeight=13_648)) == ["page-height"]
    assert checks(clean_facts(pageHeight=limit)) == []
    assert checks(clean_facts(pageHeight=limit + 1)) == ["page-height"]
    assert checks(clean_facts(pageHeight=30_000), width=400) == [], "a phone's page is longer; judged at 1400 px only"
    assert "page-height" in check_pages.CHECKS


def failure(page: str, check: str) -> check_pages.Failure:
    return check_pages.Failure(page, check, 1400, "message")


def test_known_failures_pass_and_the_list_may_only_shrink(capsys):
    expected = {("a", "dpi"), ("b", "alt")}
    assert check_pages.report([failure("a", "dpi"), failure("b", "alt")], ["a", "b"], expected) == 0
    assert check_pages.report([failure("a", "dpi"), failure("b", "alt"), failure("b", "math")], ["a", "b"], expected) == 1
    # "b alt" is fixed but still listed: the run fails and says which line to delete.
    assert check_pages.report([failure("a", "dpi")], ["a", "b"], expected) == 1
    assert "  b alt" in capsys.readouterr().out


def test_the_repository_list_names_real_checks():
    expected = check_pages.read_expected(REPO / "tools" / "check_pages_expected.txt")
    assert {check for _, check in expected} <= set(check_pages.CHECKS)


def bold(text: str, glued=(), lead=False) -> dict:
    return {"text": text, "glued": list(glued), "lead": lead}


def test_a_bold_clause_fails_and_bold_values_and_labels_pass():
    ok = [bold("2,000", ["2,000"]), bold("12.5 %", ["12.5"]), bold("iteration 2,000", ["2,000"]),
          bold("Data.", lead=True), bold("Does DRS accept in the tails, not only at the centres?", lead=True),
          bold("Figure 3 (paper).", lead=True), bold("reproduced"), bold("not"), bold("at the same acceptance rate"),
          bold("% HQ closest to 70", ["70"], lead=True)]
    for span in ok:
        assert check_pages.bold_failure(span) is None, span
    # the defect of issue 27: a glued value whose bold runs on over the clause around it
    clause = bold("2,000, decided from the unfiltered generator alone", ["2,000"])
    assert "6 more words in bold" in check_pages.bold_failure(clause)
    assert "glued phrase" in check_pages.bold_failure(bold("no model lost a mode", ["no model lost a mode"]))
    # a theme rule that makes every glued value bold (issue 27: 02 and 06) is caught as well: the
    # page check reads the computed weight, so a bold glued phrase is a span of its own
    phrase = "three hidden layers of 32 units, learning rate 0.001"
    assert "glued phrase" in check_pages.bold_failure(bold(phrase, [phrase], lead=True))
    assert "inside a sentence" in check_pages.bold_failure(bold("DRS's share of high-quality samples is larger than the generator's"))
    assert "run-in label" in check_pages.bold_failure(bold("x" * 91 + ".", lead=True))
    assert checks(clean_facts(bold=[clause])) == ["bold"]
    assert checks(clean_facts(bold=[clause]), width=400) == [], "content checks run once per page"


def test_provenance_footer_and_scroll_cue():
    assert checks(clean_facts(provenance=None)) == ["provenance"]
    assert "no commit hash" in check_pages.provenance_failure({"commit": "", "links": [{"href": "a.csv", "exists": True}]})
    assert "links no data" in check_pages.provenance_failure({"commit": "a696a0d", "links": []})
    assert "lead nowhere" in check_pages.provenance_failure({"commit": "a696a0d", "links": [{"href": "x.csv", "exists": False}]})
    wide = [{"what": "table", "hidden": 320, "cue": False}]
    assert checks(clean_facts(scrollBoxes=wide), width=400) == ["scroll-cue"]
    assert checks(clean_facts(scrollBoxes=[{**wide[0], "cue": True}]), width=400) == []
    assert checks(clean_facts(searches=2)) == ["search"] and checks(clean_facts(searches=2), width=400) == ["search"]


def test_link_target_resolves_relative_to_the_page(tmp_path):
    (tmp_path / "_static" / "data").mkdir(parents=True)
    (tmp_path / "_static" / "data" / "a.csv").write_text("x\n")
    page = tmp_path / "book" / "executed" / "p.html"
    assert check_pages.link_target(page, "../../_static/data/a.csv")["exists"]
    assert not check_pages.link_target(page, "../../_static/data/b.csv")["exists"]
    assert not check_pages.link_target(page, "https://example.org/a.csv")["exists"]


def explorer_checks(probe) -> list[str]:
    return [f.message for f in check_pages.explorer_failures("page", 1400, probe)]


def test_explorer_check_passes_when_the_numbers_move_and_names_each_defect():
    moved = {"loaded": True, "models": True, "start": 95, "moved_to": 0,
             "before": "γ at the 95th percentile: acceptance 16.5 % HQ 91.2", "after": "γ at the 0th percentile: acceptance 65.1 % HQ 70.3"}
    assert explorer_checks(None) == []  # a page without the explorer
    assert explorer_checks(moved) == []
    assert "did not load" in explorer_checks({"loaded": False})[0]
    assert "model" in explorer_checks({"loaded": True, "models": False})[0]
    assert "unchanged" in explorer_checks({**moved, "after": moved["before"]})[0]
    assert "did not move" in explorer_checks({**moved, "moved_to": 95})[0]
    assert "not displayed" in explorer_checks({**moved, "after": None})[0]
    assert "explorer" in check_pages.CHECKS
