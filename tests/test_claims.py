"""Verdict rules (drs_book.claims) on hand-made per-seed numbers with known answers."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from drs_book import claims
from drs_book.claims import (
    CONTRADICTED, INCONCLUSIVE, NOT_COMPARABLE, NOT_YET_CHECKED, PARTLY, REPRODUCED, ClaimError, ClaimLedger,
)

BASE = np.array([70.0, 71.0, 69.0, 70.5, 69.5])


# --------------------------------------------------------------------------- intervals


def test_interval_is_the_student_t_interval_of_the_mean():
    iv = claims.interval([1.0, 2.0, 3.0], confidence=0.95)
    half = stats.t.ppf(0.975, 2) * 1.0 / math.sqrt(3)  # std of 1, 2, 3 is 1
    assert (iv.mean, iv.std, iv.n) == (2.0, 1.0, 3)
    assert iv.low == pytest.approx(2.0 - half) and iv.high == pytest.approx(2.0 + half)
    assert iv.side(-10) == "above" and iv.side(10) == "below" and iv.side(2.5) == "overlaps"


@pytest.mark.parametrize("values, message", [
    ([], "no values; a claim needs per-seed numbers from at least 2 seeds"),
    ([3.0], "1 value; a claim needs per-seed numbers from at least 2 seeds"),
    ([1.0, float("nan"), 2.0], r"non-finite value\(s\) \[nan\] at position\(s\) \[1\]"),
    ([1.0, float("inf")], r"non-finite value\(s\) \[inf\]"),
    ([[1.0, 2.0], [3.0, 4.0]], r"one number per seed \(1-D\); got shape \(2, 2\)"),
    (["a", "b"], "expected per-seed numbers"),
])
def test_bad_per_seed_values_are_refused_with_a_clear_message(values, message):
    with pytest.raises(ClaimError, match=message):
        claims.interval(values, name="gain")
    with pytest.raises(ClaimError, match="^gain: "):
        claims.seed_values(values, "gain")


def test_confidence_outside_its_range_is_refused():
    with pytest.raises(ClaimError, match=r"confidence: got 95; allowed: a number in \[0.5, 1\)"):
        claims.interval([1.0, 2.0], confidence=95)


# --------------------------------------------------------------------------- paired comparisons


def test_a_clear_gain_is_reproduced_and_the_sentence_says_above():
    check = claims.paired(BASE + 20 + np.array([0.5, -0.5, 1.0, 0.0, -1.0]), BASE,
                          a_name="with DRS", b_name="without DRS", unit=" %", digits=1)
    assert check.verdict == REPRODUCED and check.holds
    assert check.low > 0 and check.estimate == pytest.approx(20.0)
    assert "lies above 0" in check.finding and "cannot be told apart" not in check.finding
    assert "with DRS 90.0 ± " in check.ours and "without DRS 70.0 ± 0.8 %" in check.ours
    assert check.rule == ("with DRS above without DRS: the 95 % t-interval of the paired difference over seeds "
                          "lies above 0 (contradicted if it lies below 0, inconclusive if it contains 0)")


def test_a_gain_inside_the_noise_is_inconclusive_and_never_called_a_gain():
    # mean difference +0.2, but the per-seed differences swing by ±3: the interval contains 0
    check = claims.paired(BASE + np.array([3.0, -3.0, 2.8, -2.6, 0.8]), BASE, a_name="DRS", b_name="GAN")
    assert check.estimate == pytest.approx(0.2)
    assert check.low < 0 < check.high
    assert check.verdict == INCONCLUSIVE
    assert "contains 0: DRS and GAN cannot be told apart" in check.finding
    # what would decide: the smallest m with t_{0.975, m-1} * s / sqrt(m) < |mean|
    s = float(np.std([3.0, -3.0, 2.8, -2.6, 0.8], ddof=1))
    m = claims.models_to_decide(s, 0.2, 5, 0.95)
    from scipy import stats
    assert stats.t.ppf(0.975, m - 1) * s / np.sqrt(m) < 0.2 <= stats.t.ppf(0.975, m - 2) * s / np.sqrt(m - 1)
    assert f"about {m} seeds would decide it" in check.finding
    assert "lies above" not in check.finding and "lies below" not in check.finding


def test_a_loss_contradicts_and_the_sentence_says_below():
    check = claims.paired(BASE - 5 + np.array([0.2, -0.2, 0.1, 0.0, -0.1]), BASE, a_name="DRS", b_name="GAN")
    assert check.verdict == CONTRADICTED and check.high < 0
    assert "lies below 0" in check.finding


def test_expect_below_turns_a_loss_into_the_claimed_direction():
    fid_drs, fid_plain = np.array([10.0, 11.0, 10.5]), np.array([12.0, 13.5, 12.2])
    check = claims.paired(fid_drs, fid_plain, a_name="FID with DRS", b_name="FID without", expect="below")
    assert check.verdict == REPRODUCED and "lies below 0" in check.finding


def test_paired_count_rule_counts_seeds_in_the_claimed_direction():
    a, b = np.array([1.0, 2.0, 3.0, 4.0, 5.0]), np.array([0.0, 3.0, 2.0, 3.0, 4.0])  # above on 4 of 5
    assert claims.paired(a, b, a_name="A", b_name="B", min_seeds=4).verdict == REPRODUCED
    check = claims.paired(a, b, a_name="A", b_name="B", min_seeds=5)
    assert check.verdict == INCONCLUSIVE  # one seed short of the rule, but far from the other way
    assert "A is above B on 4 of 5 seeds" in check.finding
    assert check.rule == "A above B on at least 5 of 5 seeds (contradicted at 0 or fewer)"
    assert claims.paired(b, a, a_name="B", b_name="A", min_seeds=4).verdict == CONTRADICTED  # above on 1 of 5
    with pytest.raises(ClaimError, match=r"min_seeds: got 6; allowed: an integer in \[1, 5\]"):
        claims.paired(a, b, a_name="A", b_name="B", min_seeds=6)


def test_paired_needs_the_same_seeds_on_both_sides_and_a_known_direction():
    with pytest.raises(ClaimError, match="one value of each per seed; got 3 and 2"):
        claims.paired([1.0, 2.0, 3.0], [1.0, 2.0], a_name="A", b_name="B")
    with pytest.raises(ClaimError, match="expect: got 'up'; allowed: 'above' or 'below'"):
        claims.paired([1.0, 2.0], [1.0, 2.0], a_name="A", b_name="B", expect="up")
    with pytest.raises(ClaimError, match="A and B: a paired comparison needs one value of each per seed; got 2 and 1"):
        claims.paired([1.0, 2.0], [1.0], a_name="A", b_name="B")


def test_identical_seeds_give_a_zero_width_interval_that_still_decides():
    check = claims.paired([1.0, 1.0, 1.0], [0.0, 0.0, 0.0], a_name="A", b_name="B")
    assert check.verdict == REPRODUCED and check.low == check.high == 1.0
    tie = claims.paired([1.0, 1.0], [1.0, 1.0], a_name="A", b_name="B")
    assert tie.verdict == INCONCLUSIVE and "cannot be told apart" in tie.finding
    assert "No number of further seeds at this mean would decide it" in tie.finding


# --------------------------------------------------------------------------- the paper's value


def test_a_match_with_the_papers_value():
    check = claims.matches([89.0, 91.0, 90.5, 89.5, 90.0], 90.0, name="% HQ with DRS", tolerance=3, unit=" %", digits=1)
    assert check.verdict == REPRODUCED and check.ours == "% HQ with DRS 90.0 ± 0.8 %"
    assert "contains the paper's value (90.0 %)" in check.finding
    assert check.rule == ("the paper's value overlaps the 95 % t-interval of our % HQ with DRS over seeds, "
                          "whose half-width is at most 3.0 % (contradicted if the interval excludes it, "
                          "inconclusive if it overlaps but is wider)")
    theory = claims.matches([0.312, 0.314, 0.313], 0.3133, name="acceptance rate", tolerance=0.01, paper_name="1/M", digits=4)
    assert theory.verdict == REPRODUCED and "contains 1/M (0.3133)" in theory.finding


def test_an_interval_too_wide_to_decide_is_inconclusive():
    # two noisy seeds: the 95 % interval (t with 1 degree of freedom) is about [-244, 315] and contains anything
    check = claims.matches([13.4, 57.4], 98.9, name="share", tolerance=5, unit=" %", digits=1)
    assert check.low < 0 and check.high > 100
    assert check.verdict == INCONCLUSIVE
    assert "contains the paper's value (98.9 %), but its half-width" in check.finding
    assert "exceeds the tolerance 5.0 %: too wide to call a match or a miss" in check.finding
    assert "seeds would narrow it enough" in check.finding
    with pytest.raises(ClaimError, match="tolerance: got 0; allowed: a finite number > 0"):
        claims.matches([1.0, 2.0], 1.5, name="x", tolerance=0)


def test_a_mismatch_with_the_papers_value_says_which_side():
    below = claims.matches([4.0, 5.0, 4.5], 98.9, name="share below 1e-4", tolerance=5, unit=" %", digits=1)
    assert below.verdict == CONTRADICTED and "lies below the paper's value (98.9 %)" in below.finding
    above = claims.matches([95.0, 96.0, 95.5], 90.0, name="% HQ", tolerance=5, paper_std=2.0, digits=1)
    assert above.verdict == CONTRADICTED and "lies above the paper's value (90.0 ± 2.0)" in above.finding


def test_the_papers_std_widens_its_value_into_an_interval():
    ours = [92.9, 93.1, 93.0, 92.95, 93.05]  # interval about [92.9, 93.1]
    assert claims.matches(ours, 90.0, name="x", tolerance=1).verdict == CONTRADICTED
    check = claims.matches(ours, 90.0, name="x", tolerance=1, paper_std=3.0)
    assert check.verdict == REPRODUCED and "overlaps the paper's value (90.00 ± 3.00)" in check.finding
    with pytest.raises(ClaimError, match="paper_std: got -1"):
        claims.matches(ours, 90.0, name="x", tolerance=1, paper_std=-1)
    with pytest.raises(ClaimError, match="paper_value: got nan"):
        claims.matches(ours, float("nan"), name="x", tolerance=1)


def test_versus_a_reference_value():
    ks = [0.004, 0.006, 0.005, 0.007, 0.005]
    check = claims.versus(ks, 0.0096, name="KS statistic", reference_name="the 5 % critical value",
                          expect="below", digits=4)
    assert check.verdict == REPRODUCED and "lies below the 5 % critical value (0.0096)" in check.finding
    assert claims.versus(ks, 0.0055, name="KS", reference_name="c", expect="below").verdict == INCONCLUSIVE
    assert claims.versus(ks, 0.001, name="KS", reference_name="c", expect="below").verdict == CONTRADICTED
    rho = claims.versus([0.10, 0.12, 0.09], 0.0, name="Spearman correlation", expect="above")
    assert rho.verdict == REPRODUCED and rho.finding.endswith("lies above 0.00.")
    assert rho.rule == ("Spearman correlation above 0.00: its 95 % t-interval over seeds lies above it "
                        "(contradicted if it lies below it, inconclusive if it contains it)")
    models = claims.versus([0.10, 0.12, 0.09], 0.0, name="ρ", expect="above", over="models")
    assert "over 3 models" in models.finding and "over models" in models.rule
    with pytest.raises(ClaimError, match="reference: got nan"):
        claims.versus(ks, float("nan"), name="KS", expect="below")


# --------------------------------------------------------------------------- thresholds and partial verdicts


def test_threshold_rule_on_seeds():
    gains = [12.0, 15.0, 9.0, 11.0, 10.0]  # >= 10 on 4 of 5
    assert claims.on_seeds(gains, ">=", 10, k=4, name="HQ gain").verdict == REPRODUCED
    check = claims.on_seeds(gains, ">=", 10, k=5, name="HQ gain", digits=0, unit=" points")
    assert check.verdict == INCONCLUSIVE
    assert check.rule == "HQ gain ≥ 10 points on at least 5 of 5 seeds (contradicted on 0 or fewer)"
    assert "≥ 10 points on 4 of 5 seeds" in check.finding
    assert claims.on_seeds([0.3, 0.01], ">", 0.05, k=2, name="p").verdict == INCONCLUSIVE
    assert claims.on_seeds([0.01, 0.01, 0.3], ">", 0.05, k=2, name="p").verdict == CONTRADICTED
    with pytest.raises(ClaimError, match="comparison: got '=>'"):
        claims.on_seeds(gains, "=>", 10, k=4, name="HQ gain")
    with pytest.raises(ClaimError, match=r"k: got 0; allowed: an integer in \[1, 5\]"):
        claims.on_seeds(gains, ">=", 10, k=0, name="HQ gain")


def test_a_two_part_claim_with_one_part_holding_is_partly():
    gain = np.array([5.0, 5.5, 4.5, 5.2, 4.8])  # +5 points: clearly above 0, never >= 10
    first = claims.paired(BASE + gain, BASE, a_name="DRS", b_name="GAN")
    second = claims.on_seeds(gain, ">=", 10, k=4, name="gain")
    check = claims.both_parts(first, second)
    assert check.verdict == PARTLY
    assert check.finding.startswith("Ours, first part (reproduced): DRS 75.00 ± 1.17, GAN 70.00 ± 0.79; ")
    assert "Second part (contradicted): gain is ≥ 10.00 on 0 of 5 seeds" in check.finding
    big = claims.on_seeds(gain + 10, ">=", 10, k=4, name="gain")
    assert claims.both_parts(first, big).verdict == REPRODUCED
    wrong_way = claims.paired(BASE - gain, BASE, a_name="DRS", b_name="GAN")
    assert claims.both_parts(wrong_way, second).verdict == CONTRADICTED
    noisy = claims.paired(BASE + np.array([3.0, -3.0, 2.8, -2.6, 0.8]), BASE, a_name="DRS", b_name="GAN")
    assert claims.both_parts(noisy, big).verdict == INCONCLUSIVE
    assert claims.both_parts(first, claims.not_comparable("other data")).verdict == NOT_COMPARABLE
    partly = claims.both_parts(first, second)
    with pytest.raises(ClaimError, match="second: expected a check that is reproduced, contradicted, inconclusive"):
        claims.both_parts(first, partly)


def test_not_comparable_needs_a_reason():
    check = claims.not_comparable("Figure 1 (left) is a schematic without numbers")
    assert check.verdict == NOT_COMPARABLE and check.finding.endswith("numbers.")
    with pytest.raises(ClaimError, match="reason"):
        claims.not_comparable("  ")


def test_a_check_with_an_invented_verdict_is_refused():
    with pytest.raises(ClaimError, match="verdict: got 'mostly'"):
        claims.Check("mostly", "rule", "ours", "finding")


# --------------------------------------------------------------------------- records, files, summaries


def make_ledger(chapter="04_figure2_histograms"):
    ledger = ClaimLedger(chapter)
    ledger.record("gain", "DRS raises the share | of HQ samples", "70 → 90 %",
                  claims.paired(BASE + 20, BASE, a_name="DRS", b_name="GAN"), evidence="table-1", kind="claim")
    ledger.record("value", "98.9 % below 1e-4", "98.9 %", claims.matches([4.0, 5.0], 98.9, name="share", tolerance=5), kind="claim")
    ledger.record("schematic", "Figure 1 shows it", "schematic", claims.not_comparable("no numbers"), kind="claim")
    return ledger


def test_sentence_carries_verdict_claim_paper_finding_and_rule():
    record = make_ledger()["value"]
    sentence = record.sentence()
    assert sentence.startswith("**Contradicted.** 98.9 % below 1e-4 (paper: 98.9 %). Ours: share is 4.50 ± 0.71")
    assert record.check.finding in sentence and f"*Rule: {record.check.rule}.*" in sentence
    assert make_ledger().markdown(["gain"]).startswith("- **Reproduced.** DRS raises")


def test_ledger_refuses_duplicate_ids_bad_names_and_writing_nothing(tmp_path):
    ledger = make_ledger()
    with pytest.raises(ClaimError, match="'gain' is already recorded"):
        ledger.record("gain", "again", "x", claims.not_comparable("x"), kind="claim")
    with pytest.raises(ClaimError, match="claim_id: got 'Bad id'"):
        ledger.record("Bad id", "c", "p", claims.not_comparable("x"), kind="claim")
    with pytest.raises(ClaimError, match="chapter: got '../x'"):
        ClaimLedger("../x")
    with pytest.raises(ClaimError, match="no claims recorded"):
        ClaimLedger("01_x").write(tmp_path)
    with pytest.raises(KeyError, match="no claim 'nope'"):
        ledger["nope"]


def test_written_claims_read_back_identically_and_render_the_same_sentences(tmp_path):
    ledger = make_ledger()
    path = ledger.write(tmp_path)
    assert path == tmp_path / "claims" / "04_figure2_histograms.csv"
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")], "no temporary file left"
    frame = claims.read_claims(tmp_path)
    assert list(frame.columns) == list(claims.COLUMNS) and len(frame) == 3
    assert [r.sentence() for r in claims.records(frame)] == [r.sentence() for r in ledger.records]
    table = claims.claims_markdown_table(frame)
    assert "DRS raises the share \\| of HQ samples" in table  # a '|' cannot break the table
    assert "{ref}`table-1`" in table and "{doc}`/book/executed/04_figure2_histograms`" in table
    assert table.splitlines()[0] == "| verdict | claim | paper | ours (mean ± std) | rule | evidence |"
    assert len(table.splitlines()) == 2 + 3
    assert "| rule |" not in claims.claims_markdown_table(frame, with_rule=False)
    assert ledger.table().verdict.tolist() == [REPRODUCED, CONTRADICTED, NOT_COMPARABLE]
    # rows, then the legend: "value" rests on 2 seeds, and 1 alone decides nothing (‡)
    assert ledger.markdown_table().count("\n") == 6 and "| rule |" not in ledger.markdown_table()
    assert ledger.markdown_table().endswith("‡: leaving out one of the models (or seeds) it rests on changes this verdict.")


def test_reading_claims_of_chapters_that_have_none_gives_no_rows_and_bad_files_fail(tmp_path):
    assert claims.read_claims(tmp_path / "missing").empty
    make_ledger().write(tmp_path)
    assert claims.read_claims(tmp_path, chapters=["01_x"]).empty
    bad = tmp_path / "claims" / "01_x.csv"
    bad.write_text("chapter,claim_id\n01_x,a\n")
    with pytest.raises(ClaimError, match=r"01_x.csv: missing column\(s\) \['source', 'kind', 'test', 'claim', 'paper'"):
        claims.read_claims(tmp_path)
    frame = make_ledger().frame().assign(verdict="mostly")
    frame.to_csv(bad, index=False)
    with pytest.raises(ClaimError, match="01_x.csv: verdict: got 'mostly'"):
        claims.read_claims(tmp_path)
    make_ledger().frame().to_csv(bad, index=False)
    with pytest.raises(ClaimError, match="row for chapter '04_figure2_histograms' in the file of '01_x'"):
        claims.read_claims(tmp_path)


@pytest.mark.parametrize("verdicts, status", [
    ([], NOT_YET_CHECKED),
    ([REPRODUCED, REPRODUCED, NOT_COMPARABLE], REPRODUCED),
    ([REPRODUCED, CONTRADICTED], claims.MIXED),
    ([REPRODUCED, INCONCLUSIVE], claims.MIXED),
    ([PARTLY], PARTLY),
    ([CONTRADICTED, NOT_COMPARABLE], CONTRADICTED),
    ([INCONCLUSIVE, INCONCLUSIVE], INCONCLUSIVE),
    ([NOT_COMPARABLE, NOT_COMPARABLE], NOT_COMPARABLE),
])
def test_chapter_status_from_its_verdicts(verdicts, status):
    assert claims.chapter_status(verdicts) == status


def test_chapter_statuses_mark_chapters_without_claims_as_not_yet_checked(tmp_path):
    make_ledger().write(tmp_path)
    table = claims.chapter_statuses(claims.read_claims(tmp_path), ["01_x", "04_figure2_histograms"])
    assert table.status.tolist() == [NOT_YET_CHECKED, claims.MIXED]
    assert table.counts.tolist() == ["", "1 reproduced, 1 contradicted, 1 not comparable"]
    assert claims.status_text(*table.iloc[1][["status", "counts"]]) == (
        "mixed (1 reproduced, 1 contradicted, 1 not comparable)")
    with pytest.raises(ClaimError, match="unknown verdict"):
        claims.chapter_status(["fine"])


def test_toc_chapters_reads_root_and_files_in_order(tmp_path):
    toc = tmp_path / "_toc.yml"
    toc.write_text("format: jb-book\nroot: book/executed/00_intro\nparts:\n  - caption: A\n    chapters:\n"
                   "      - file: book/executed/01_x\n      - file: book/bibliography\n      - file: book/executed/02_y\n")
    assert claims.toc_chapters(toc) == ["00_intro", "01_x", "02_y"]
    below = tmp_path / "a" / "b"
    below.mkdir(parents=True)
    assert claims.find_upwards("_toc.yml", below) == toc  # nbval runs notebooks from another folder
    with pytest.raises(ClaimError, match="does not exist"):
        claims.toc_chapters(tmp_path / "nope.yml")


def test_the_repositorys_toc_lists_every_chapter_once():
    from pathlib import Path

    chapters = claims.toc_chapters(Path(__file__).resolve().parents[1] / "_toc.yml")
    assert len(chapters) == len(set(chapters)) and "01_ideal_rejection_sampling" in chapters


def test_frame_roundtrip_keeps_text_that_looks_like_numbers_or_na(tmp_path):
    ledger = ClaimLedger("01_x")
    ledger.record("a", "claim", "NA", claims.not_comparable("none"), kind="claim")
    ledger.record("b", "another claim", "70", claims.matches([70.0, 71.0], 70.0, name="x", tolerance=10), kind="claim")
    ledger.write(tmp_path)
    frame = claims.read_claims(tmp_path)
    assert frame.paper.tolist() == ["NA", "70"]
    assert pd.isna(frame.low.iloc[0]) and frame.n_seeds.tolist() == [0, 2]


# --------------------------------------------------------------------------- degenerate seeds


def test_a_seed_without_a_value_is_left_out_and_said():
    # a sampler with no high-quality sample on model 0 has no std of HQ samples there (NaN)
    drs, truth = [np.nan, 0.071, 0.070, 0.072, 0.069], [0.0707] * 5
    check = claims.paired(drs, truth, a_name="std with DRS", b_name="truth", expect="below", digits=3)
    assert check.n_seeds == 4
    assert "Computed over the 4 of 5 seeds that have a value (no value at position(s) 0)." in check.finding
    level = claims.matches([np.nan, 24.0, 25.0, 24.5], 24.8, name="modes", tolerance=2)
    assert level.n_seeds == 3 and "3 of 4 seeds" in level.finding
    count = claims.on_seeds([np.inf, 1.0, 2.0], ">", 0.0, k=3, name="gain")
    assert count.verdict == REPRODUCED and count.rule.startswith("gain > 0.00 on at least 2 of 2 seeds")
    assert claims.versus([1.0, np.nan, 3.0], 0.0, name="x", expect="above").n_seeds == 2


def test_too_few_seeds_with_a_value_is_not_comparable_not_a_crash():
    check = claims.paired([np.nan, np.nan, 1.0], [0.0, 0.0, 0.0], a_name="A", b_name="B")
    assert check.verdict == NOT_COMPARABLE
    assert "A − B has a value on 1 of 3 seeds; a verdict needs at least 2" in check.finding
    assert claims.matches([np.nan] * 5, 1.0, name="x", tolerance=1).verdict == NOT_COMPARABLE
    assert claims.on_seeds([np.nan, np.nan], ">", 0, k=1, name="x").verdict == NOT_COMPARABLE
    # a constant vector is no crash either: a zero-width interval decides
    assert claims.versus([2.0, 2.0, 2.0], 1.0, name="x", expect="above").verdict == REPRODUCED
    # values that are not numbers at all are still refused
    with pytest.raises(ClaimError, match="expected per-seed numbers"):
        claims.paired(["a", "b"], [1.0, 2.0], a_name="A", b_name="B")


def test_a_claim_names_its_paper():
    ledger = make_ledger()
    assert {r.source for r in ledger.records} == {"DRS"}
    ledger.record("ddls-hq", "DDLS reaches 98 % HQ", "98 ± 2 %", claims.not_comparable("other GAN"), source="DDLS", kind="claim")
    assert ledger.frame().source.tolist() == ["DRS", "DRS", "DRS", "DDLS"]
    with pytest.raises(ClaimError, match="source: got 'MH'; allowed: 'DRS', 'DDLS'"):
        ledger.record("x", "y", "z", claims.not_comparable("w"), source="MH", kind="claim")


def test_questions_are_answered_by_a_stated_rule_and_counts_split_by_paper():
    ledger = make_ledger()  # gain: reproduced, value: contradicted, schematic: not comparable
    ledger.record("ddls", "DDLS claim", "98 %", claims.matches([90.0, 91.0, 90.5], 98.0, name="x", tolerance=2),
                  source="DDLS", kind="claim")
    frame = ledger.frame()
    chapter = ledger.chapter
    assert claims.answer(frame, [(chapter, "gain")])[0] == REPRODUCED
    assert claims.answer(frame, [(chapter, "value")])[0] == CONTRADICTED
    word, found = claims.answer(frame, [(chapter, "gain"), (chapter, "value"), (chapter, "schematic")])
    assert word == claims.MIXED and [r.claim_id for r in found] == ["gain", "value", "schematic"]
    assert claims.answer(frame, [(chapter, "schematic")])[0] == "not checked"
    assert claims.answer(frame, [("other", "gain")]) == ("not checked", [])
    noisy = ClaimLedger("x")
    noisy.record("a", "a", "a", claims.paired([1.0, -1.0, 0.5], [0.0, 0.0, 0.0], a_name="A", b_name="B"), kind="claim")
    assert claims.answer(noisy.frame(), [("x", "a")])[0] == INCONCLUSIVE
    table = claims.counts_by_source(frame)
    assert table["paper"].tolist() == ["DRS", "DDLS", "all"]
    assert table.set_index("paper").loc["DRS", [REPRODUCED, CONTRADICTED, NOT_COMPARABLE]].tolist() == [1, 1, 1]
    assert table.set_index("paper").loc["DDLS", CONTRADICTED] == 1 and table["claims"].tolist() == [3, 1, 4]


def test_details_fold_the_sentences_once():
    ledger = make_ledger()
    folded = ledger.details()
    assert folded.startswith("````{dropdown} How each verdict was reached") and folded.endswith("\n````")
    assert ledger.markdown() in folded and folded.count("**Reproduced.**") == 1


def test_intervals_are_cut_to_the_possible_range_without_changing_the_precision_test():
    modes = [24.0, 25.0, 25.0, 25.0, 25.0]
    iv = claims.interval(modes, bounds=(0, 25))
    assert iv.high == 25.0 and iv.low == pytest.approx(claims.interval(modes).low)
    check = claims.matches(modes, 24.8, paper_std=0.4, tolerance=0.5, name="modes", bounds=(0, 25), digits=1)
    assert "[24.2, 25.0]" in check.finding
    assert check.verdict == INCONCLUSIVE  # the uncut half-width 0.56 is what the tolerance sees
    share = claims.versus([0.0, 1.0, 12.0], 50.0, name="share", expect="below", bounds=(0, 100), digits=1)
    assert check.low >= 0 and "[0.0, " in share.finding and share.verdict == REPRODUCED
    with pytest.raises(ClaimError, match="bounds"):
        claims.interval([1.0, 2.0], bounds=(1, 1))


def test_link_points_at_the_evidence_section_or_the_chapter_with_optional_text():
    check = claims.Check(claims.REPRODUCED, "rule", "ours", "finding")
    with_label = claims.ClaimRecord("02_mixture_table1", "drs-raises-hq", "DRS raises HQ", "70 → 90", check,
                                    evidence="ch02-table1")
    without = claims.ClaimRecord("02_mixture_table1", "drs-raises-hq", "DRS raises HQ", "70 → 90", check)
    assert claims.link(with_label) == "{ref}`ch02-table1`"
    assert claims.link(without) == "{doc}`/book/executed/02_mixture_table1`"
    assert claims.link(with_label, text="ch. 02") == "{ref}`ch. 02 <ch02-table1>`"
    assert claims.link(without, text="ch. 02") == "{doc}`ch. 02 </book/executed/02_mixture_table1>`"


# --------------------------------------------------------------------------- direction and size (the paper's effect)


def effect_of(gains, paper_effect=20.0, **options):
    base = np.full(len(gains), 70.0)
    return claims.effect(base + np.asarray(gains), base, paper_effect=paper_effect, a_name="DRS", b_name="GAN",
                         unit=" %", **options)


def test_an_effect_of_the_papers_size_is_reproduced():
    check = effect_of([19.0, 21.0, 18.5, 20.5, 20.0])
    assert check.verdict == REPRODUCED and check.paper_value == 20.0
    assert "lies above 0 and reaches the paper's effect (20.00 points)" in check.finding
    assert "Our mean effect is 99 % of the paper's." in check.finding
    # within the tolerance (25 % of 20 = 5 points) still counts as the paper's size
    assert effect_of([16.0, 16.5, 15.5, 16.2, 15.8]).verdict == REPRODUCED


def test_a_direction_hit_with_a_size_miss_is_smaller_than_reported():
    check = effect_of([5.0, 5.5, 4.5, 5.2, 4.8])  # clearly above 0, far below 20 - 5
    assert check.verdict == claims.SMALLER
    assert check.high < check.paper_value and check.low > 0
    assert "the effect is there, smaller than reported" in check.finding


def test_an_interval_that_holds_0_but_excludes_the_papers_effect_is_smaller_not_inconclusive():
    # the case: KeepTraining +8.6 points in the paper, ours [-0.3, 4.9]
    check = effect_of([2.3, -0.5, 4.6, 1.0, 4.1], paper_effect=8.6)
    assert check.low < 0 < check.high < 8.6
    assert check.verdict == claims.SMALLER
    assert "contains 0 and excludes the paper's effect (8.60 points)" in check.finding


def test_an_interval_holding_both_0_and_the_papers_effect_is_inconclusive_with_a_power_statement():
    check = effect_of([25.0, -20.0, 30.0, -15.0, 10.0])
    assert check.low < 0 and check.high > 20 and check.verdict == INCONCLUSIVE
    assert "contains both 0 and the paper's effect" in check.finding and "would decide it" in check.finding


def test_an_effect_beyond_the_papers_is_larger_and_the_other_way_is_contradicted():
    assert effect_of([40.0, 41.0, 39.0, 40.5, 39.5]).verdict == claims.LARGER
    assert effect_of([-5.0, -5.5, -4.5, -5.2, -4.8]).verdict == CONTRADICTED


def test_an_expected_decrease_is_read_with_the_papers_sign():
    modes_threshold, modes_drs = [19.0, 19.5, 18.5, 19.0, 20.0], [25.0] * 5  # paper: 4 vs 25 modes
    check = claims.effect(modes_threshold, modes_drs, paper_effect=-21.0, expect="below", a_name="threshold",
                          b_name="DRS")
    assert check.verdict == claims.SMALLER and check.paper_value == -21.0
    assert claims.effect([5.0, 4.0, 4.5], [25.0] * 3, paper_effect=-21.0, expect="below", a_name="t",
                         b_name="d").verdict == REPRODUCED


def test_the_papers_effect_must_be_a_nonzero_number_in_the_claimed_direction():
    with pytest.raises(ClaimError, match="paper_effect: got -20.0 with expect='above'"):
        effect_of([1.0, 2.0], paper_effect=-20.0)
    with pytest.raises(ClaimError, match="paper_effect: got 0"):
        effect_of([1.0, 2.0], paper_effect=0)
    with pytest.raises(ClaimError, match="tolerance: got -1"):
        effect_of([1.0, 2.0], tolerance=-1)


def test_no_excluding_interval_is_ever_inconclusive():
    rng = np.random.default_rng(0)
    for _ in range(300):
        gains = rng.normal(rng.uniform(-10, 30), rng.uniform(0.1, 15), size=rng.integers(2, 11))
        check = effect_of(gains)
        if check.verdict == INCONCLUSIVE:
            assert check.low <= check.paper_value <= check.high


def test_a_level_that_is_a_property_of_the_papers_model_is_not_comparable():
    check = claims.not_comparable("the acceptance rate at a percentile is a property of SAGAN on ImageNet",
                                  ours="19.3 %")
    assert check.verdict == NOT_COMPARABLE and math.isnan(check.paper_value)


def test_two_readings_that_disagree_are_not_comparable_and_say_which_is_which():
    radial = claims.matches([0.10, 0.11, 0.12], 0.11, tolerance=0.05, name="radial RMS", digits=3)
    per_axis = claims.matches([0.06, 0.061, 0.062], 0.11, tolerance=0.05, name="per-axis std", digits=3)
    check = claims.readings({"radial RMS": radial, "per-axis std": per_axis}, undefined="the paper does not define its std")
    assert check.verdict == NOT_COMPARABLE
    assert check.finding.startswith("Reproduced as radial RMS, contradicted as per-axis std; the paper does not define")
    same = claims.readings({"a": radial, "b": radial}, undefined="x")
    assert same.verdict == REPRODUCED


# --------------------------------------------------------------------------- kinds of record


def test_only_claims_are_counted_and_checks_and_calibrations_are_marked():
    ledger = ClaimLedger("01_x")
    ledger.record("theorem", "Acceptance is 1/M", "1/M", claims.matches([0.5, 0.5], 0.5, name="a", tolerance=0.1),
                  kind="check")
    ledger.record("baseline", "The GAN has 70 % HQ", "70 %", claims.matches([70.0, 71.0], 70.0, name="b", tolerance=9),
                  kind="calibration")
    ledger.record("keeps", "DRS keeps diversity", "stated", claims.versus([-0.1, -0.09, -0.095], -0.05, expect="above", name="d"),
                  kind="claim", test="ours")
    frame = ledger.frame()
    assert frame.kind.tolist() == ["check", "calibration", "claim"] and frame.test.tolist() == ["paper", "paper", "ours"]
    counts = claims.counts_by_source(frame).set_index("paper")
    assert counts.loc["all", "claims"] == 1 and counts.loc["all", CONTRADICTED] == 1 and counts.loc["all", "ours"] == 1
    assert claims.chapter_status(frame.verdict[:2], frame.kind[:2]) == claims.CHECKS_ONLY
    table = ledger.markdown_table()
    assert "**reproduced** (check)" in table and "**reproduced** (calibration)" in table
    assert "**contradicted** (our test)" in table and "*our test*: the measure or margin is ours" in table
    assert "(our test, not the paper's)" in ledger["keeps"].sentence()
    with pytest.raises(TypeError):
        ledger.record("nokind", "x", "y", claims.not_comparable("z"))
    with pytest.raises(ClaimError, match="kind: got 'theorem'"):
        ledger.record("bad", "x", "y", claims.not_comparable("z"), kind="theorem")


def test_an_extension_is_our_question_shown_apart_and_never_counted_as_the_papers():
    ledger = ClaimLedger("05_x")
    ledger.record("raises-is", "DRS raises IS", "52 → 61", claims.paired([3.0, 3.1, 2.9], [1.0, 1.0, 1.0], a_name="a",
                                                                         b_name="b"), kind="claim")
    ledger.record("class-mix", "DRS keeps the class mix", "not measured in the paper",
                  claims.versus([0.04, 0.06, 0.05], 0.05, expect="below", name="tv"), kind="extension", test="ours")
    frame = ledger.frame()
    counts = claims.counts_by_source(frame).set_index("paper")
    assert counts.loc["all", "claims"] == 1 and counts.loc["all", claims.INCONCLUSIVE] == 0
    assert claims.claim_rows(frame).claim_id.tolist() == ["raises-is"]
    status = claims.chapter_statuses(frame, ["05_x"]).iloc[0]
    assert (status.n_claims, status.n_checks, status.n_extensions) == (1, 0, 1) and status.status == REPRODUCED
    table = ledger.markdown_table()
    assert "**inconclusive** (extension) |" in table  # its test is ours by definition: no "(our test)" beside it
    assert "*extension*: a question of ours that the paper does not state for this setting" in table
    with pytest.raises(ClaimError, match="an extension is a question the paper does not ask, so its test is ours"):
        ledger.record("paper-test", "x", "y", claims.not_comparable("z"), kind="extension")
    assert claims.records(frame)[1].kind == claims.EXTENSION  # survives the CSV round trip
    assert ledger["class-mix"].sentence().startswith(
        "**Inconclusive.** [extension: a question of ours, not the paper's] DRS keeps the class mix")


# --------------------------------------------------------------------------- one model left out


ONE_OUTLIER = [1.0, 1.2, 0.8, 1.1, -2.0]  # the first four clearly above 0; the fifth alone pulls the mean to 0.42


def test_each_rule_is_run_again_without_each_model_and_says_when_one_decides(tmp_path):
    steady = claims.paired([1.0, 1.2, 0.8, 1.1, 0.9], [0.0] * 5, a_name="A", b_name="B")
    assert steady.without_one == (REPRODUCED,) * 5 and not steady.one_decides and steady.without_one_text() == ""
    resting = claims.paired(iter(ONE_OUTLIER), iter([0.0] * 5), a_name="A", b_name="B", over="models")  # iterators: read once
    assert resting.verdict == INCONCLUSIVE and resting.without_one == (INCONCLUSIVE,) * 4 + (REPRODUCED,)
    assert resting.one_decides
    assert resting.without_one_text() == (" Leaving out one of the 5 models at a time, 4 give the same verdict and "
                                          "1 gives reproduced: it rests on that one.")
    # every rule over replicates carries it; the verdicts are the rule's own, recomputed on n - 1
    assert claims.versus(ONE_OUTLIER, 0.0, name="d", expect="above").without_one[-1] == REPRODUCED
    assert claims.effect(ONE_OUTLIER, [0.0] * 5, paper_effect=1.0, a_name="A", b_name="B").without_one[-1] == REPRODUCED
    level = claims.matches([90.0, 90.5, 89.5, 90.2, 60.0], 90.0, name="hq", tolerance=5)
    assert level.verdict == INCONCLUSIVE and level.without_one[-1] == REPRODUCED
    # a model without a value is not left out (that would change nothing)
    assert len(claims.paired([1.0, 1.2, float("nan"), 1.1, 0.9], [0.0] * 5, a_name="A", b_name="B").without_one) == 4
    # count rules (k of n) and claims that are not comparable carry none
    assert claims.on_seeds([1.0, 2.0, 3.0], ">", 0, k=2, name="x").without_one == ()
    assert claims.paired([1.0, 2.0, 3.0], [0.0] * 3, a_name="A", b_name="B", min_seeds=2).without_one == ()
    assert claims.paired([1.0], [0.0], a_name="A", b_name="B").without_one == ()
    # a claim of several parts combines the parts' verdicts model by model
    both = claims.both_parts(steady, resting)
    assert both.verdict == PARTLY and both.without_one == (PARTLY,) * 4 + (REPRODUCED,) and both.one_decides
    every = claims.every_measure({"a": steady, "b": resting})
    assert every.verdict == PARTLY and every.without_one[-1] == REPRODUCED
    assert claims.both_parts(steady, claims.paired([1.0, 2.0, 3.0], [0.0] * 3, a_name="A", b_name="B")).without_one == ()
    # kept in the CSV, said in the sentence and marked in the tables
    ledger = ClaimLedger("02_x")
    ledger.record("resting", "A above B", "stated", resting, kind="claim")
    ledger.write(tmp_path)
    back = claims.records(claims.read_claims(tmp_path))[0]
    assert back.check.without_one == resting.without_one
    assert "it rests on that one." in back.sentence()
    two = claims.paired([1.0, 1.2, -1.0, 1.1, -1.0, 1.0, 0.9, 1.0, 1.1], [0.0] * 9, a_name="A", b_name="B",
                        over="models")
    assert two.without_one_text().endswith("7 give the same verdict and 2 give reproduced: it rests on each of those 2 alone.")
    assert claims.verdict_label(back) == "**inconclusive** ‡"
    assert "‡: leaving out one of the models (or seeds) it rests on changes this verdict" in claims.legend([back], set(), "")
    assert claims.resting_on_one([back, *make_ledger().records], {("02_x", "resting")}) == (
        "Left out one at a time, a single model (or seed) changes 2 of the 3 verdicts that rest on several (marked ‡); "
        "1 of the 1 verdicts that moved under other CPU kernels (†) are among them.")
    with pytest.raises(ClaimError, match="without_one: unknown verdict"):
        claims.Check(REPRODUCED, "r", "o", "f", without_one=("fine",))


def test_a_claim_is_stated_once_in_a_chapter_and_in_the_ledger(tmp_path):
    ledger = make_ledger()
    with pytest.raises(ClaimError, match="is already recorded in 04_figure2_histograms; each claim is stated once"):
        ledger.record("again", "Figure 1 shows it", "x", claims.not_comparable("y"), kind="claim")
    ledger.write(tmp_path)
    other = ClaimLedger("05_x")
    other.record("copy", "Figure 1 shows it", "x", claims.not_comparable("y"), kind="claim")
    other.write(tmp_path)
    with pytest.raises(ClaimError, match="a claim is stated more than once in the ledger"):
        claims.read_claims(tmp_path)


def test_the_papers_value_is_kept_with_the_record(tmp_path):
    ledger = ClaimLedger("01_x")
    ledger.record("modes", "No mode lost", "24.8 → 24.8",
                  claims.on_seeds([0.0, 0.0, 1.0], ">=", 0, k=3, name="change"), kind="claim", paper_value=0.0)
    ledger.record("level", "90 % HQ", "90 ± 2", claims.matches([89.0, 90.0], 90.0, name="hq", tolerance=5), kind="claim")
    with pytest.raises(ClaimError, match="the rule already holds the paper's value 90.0"):
        ledger.record("clash", "x", "y", claims.matches([89.0, 90.0], 90.0, name="hq", tolerance=5), kind="claim",
                      paper_value=80.0)
    ledger.write(tmp_path)
    assert claims.read_claims(tmp_path).paper_value.tolist() == [0.0, 90.0]


def test_not_comparable_finding_is_a_sentence_with_a_capital():
    check = claims.not_comparable("the share is a property of the model and the data")
    assert check.finding == "The share is a property of the model and the data."
    assert check.rule == "not comparable: the share is a property of the model and the data"


# --------------------------------------------------------------------------- power of undecided claims


def test_an_inconclusive_verdict_carries_the_models_that_would_decide_it(tmp_path):
    # the paired difference 1 ± 2 over 4 models contains 0; a t-interval at this spread excludes 0 from m models on
    undecided = claims.paired([3.0, 1.0, 2.0, -2.0], [1.0, 1.0, 1.0, -1.0], a_name="a", b_name="b", expect="above",
                              over="models")
    assert undecided.verdict == claims.INCONCLUSIVE
    m = claims.models_to_decide(float(np.std([2.0, 0.0, 1.0, -1.0], ddof=1)), 0.5, 4, 0.95)
    assert undecided.models_needed == m and f"about {m} models would decide it" in undecided.finding
    decided = claims.paired([3.0, 2.0, 2.5, 3.5], [1.0, 1.0, 1.0, 1.0], a_name="a", b_name="b", expect="above")
    assert decided.verdict == REPRODUCED and np.isnan(decided.models_needed)
    ledger = ClaimLedger("02_x")
    ledger.record("u", "A beats B", "A above B", undecided, kind="claim")
    ledger.record("d", "A beats B clearly", "A above B", decided, kind="claim")
    ledger.write(tmp_path)
    frame = claims.read_claims(tmp_path)
    assert frame.models_needed.iloc[0] == m and np.isnan(frame.models_needed.iloc[1])
    table = claims.undecided_table(frame)
    assert "A beats B |" in table and "A beats B clearly" not in table
    factor = m / 4
    assert f"about {m} ({factor:.1f}× the models trained)" in table
    assert ("yes: a longer build" in table) == (factor <= claims.REACH_FACTOR)
    assert claims.undecided_table(frame.iloc[1:]) == ""


def test_a_claims_file_from_before_models_needed_still_reads(tmp_path):
    ledger = ClaimLedger("01_x")
    ledger.record("a", "A claim", "70", claims.matches([70.0, 71.0], 70.0, name="x", tolerance=10), kind="claim")
    path = ledger.write(tmp_path)
    older = pd.read_csv(path).drop(columns=["models_needed"])
    older.to_csv(path, index=False)
    frame = claims.read_claims(tmp_path)
    assert frame.verdict.tolist() == [REPRODUCED] and frame.models_needed.isna().all()
