"""The landing page's generated answer (drs_book.landing) on hand-made records."""

import numpy as np
import pandas as pd

from drs_book import claims, landing
from drs_book.claims import ClaimLedger

BASE = np.full(5, 70.0)


def ledger_with_every_kind():
    table1 = ClaimLedger("02_mixture_table1")
    table1.record("baseline-hq", "The GAN has 70 % HQ", "70 ± 9 %",
                  claims.matches([70.0, 71.0, 69.0, 72.0, 70.5], 70.0, paper_std=9, tolerance=9, name="hq"),
                  kind="calibration")
    table1.record("drs-hq-level", "90 % with DRS", "90 ± 2 %",
                  claims.matches([89.0, 90.0, 91.0, 89.5, 90.5], 90.0, paper_std=2, tolerance=5, name="hq"), kind="claim")
    table1.record("drs-raises-hq", "DRS raises HQ by 20", "70 → 90",
                  claims.effect(BASE + 20 + np.array([0.5, -0.5, 0.2, -0.2, 0.0]), BASE, paper_effect=20,
                                a_name="with", b_name="without"), kind="claim")
    table1.record("drs-keeps-recall", "DRS keeps recall (margin ours)", "stated",
                  claims.versus([-0.1, -0.09, -0.11], -0.05, expect="above", name="change"), kind="claim", test="ours")
    ablation = ClaimLedger("03_ablation_table3")
    ablation.record("keeptraining-helps", "KeepTraining helps", "+8.6",
                    claims.effect(BASE + np.array([2.3, -0.5, 4.6, 1.0, 4.1]), BASE, paper_effect=8.6, a_name="a",
                                  b_name="b"), kind="claim")
    ablation.record("threshold-loses-modes", "Threshold loses modes", "20 vs 25",
                    claims.effect([24.0, 25.0, 23.0, 24.0, 25.0], [25.0] * 5, paper_effect=-5, expect="below",
                                  a_name="t", b_name="d"), kind="claim")
    theory = ClaimLedger("01_ideal_rejection_sampling")
    theory.record("one-over-m", "Acceptance is 1/M", "1/M", claims.matches([0.5, 0.5, 0.5], 0.5, name="a", tolerance=0.1),
                  kind="check")
    return [*table1.records, *ablation.records, *theory.records]


GROUPS = [landing.Group("Table 1", lambda r: r.chapter == "02_mixture_table1"),
          landing.Group("the ablation (Table 3)", lambda r: r.chapter == "03_ablation_table3")]


def test_the_answer_counts_only_the_papers_claims_under_the_papers_tests():
    records = ledger_with_every_kind()
    text = landing.answer(records, GROUPS, scope="the 25 Gaussians", headline="% HQ 70.5 → 90.0")
    assert text == ("**Yes on the 25 Gaussians.** Table 1: reproduced (2 of 2); % HQ 70.5 → 90.0. "
                    "The ablation (Table 3): smaller than reported (2 of 2).")
    assert len(text.split()) <= 60
    assert [r.claim_id for r in landing.paper_claims(records)] == [
        "drs-hq-level", "drs-raises-hq", "keeptraining-helps", "threshold-loses-modes"]


def test_the_lead_word_follows_the_stated_rule():
    records = ledger_with_every_kind()
    assert landing.lead_word(records[1:3]) == "Yes"
    assert landing.lead_word(records[4:6]) == "No"
    assert landing.lead_word(records[1:6]) == "Partly"
    assert landing.tally(records[1:6]) == "2 reproduced, 2 smaller than reported, 1 contradicted"


def test_qualifications_name_what_is_not_counted_and_stay_short():
    records = ledger_with_every_kind()
    lines = landing.qualifications(records, moved={("02_mixture_table1", "drs-hq-level")}, kernels="X=1", compared=7)
    assert lines[0] == ("Not counted: 1 checks of our code against known answers (1 pass) and 1 calibrations, "
                        "values our GAN was chosen to sit near (1 match).")
    assert lines[1].startswith("1 claims are judged on measures or margins of ours") and "contradicted (1 of 1)" in lines[1]
    assert lines[-1] == ("Rebuilt under other CPU kernels (X=1), 6 of 7 verdicts stay the same; 1 move (marked †), "
                         "none of them a verdict that one model decides (‡).")
    assert len(lines) <= 4
    question = ClaimLedger("07_own_gan")
    question.record("drawn-labels", "Drawn labels still beat the generator", "not in the paper",
                    claims.paired([1.0, -1.0, 0.5], [0.0, 0.0, 0.0], a_name="A", b_name="B"), kind="extension", test="ours")
    with_question = landing.qualifications([*records, *question.records], moved=set(), kernels="", compared=0)
    assert with_question[0].endswith("and 1 questions of ours that the papers do not ask (inconclusive (1 of 1)).")
    assert landing.paper_claims([*records, *question.records]) == landing.paper_claims(records)


def test_the_claims_page_shows_whole_claims_grouped_by_kind_with_what_they_rest_on():
    ledger = ClaimLedger("05_inception_vs_acceptance")
    ledger.record("rows", "Acceptance decreases along interpolations; mostly monotone", "qualitative",
                  claims.on_seeds([0.9, 0.8, 0.7, 0.6], ">", 0.5, k=3, name="rho",
                                  over="interpolation rows of one model"), kind="claim")
    records = [*ledger_with_every_kind(), *ledger.records]
    frame = pd.DataFrame([r.row() for r in records])
    groups = landing.by_kind(frame)
    assert list(groups) == ["Claims of the DRS paper", "Checks of our code and calibrations of our setting"]
    question = ClaimLedger("07_own_gan")
    question.record("drawn-labels", "Drawn labels still beat the generator", "not in the paper",
                    claims.paired([1.0, -1.0, 0.5], [0.0, 0.0, 0.0], a_name="A", b_name="B"), kind="extension", test="ours")
    groups = landing.by_kind(pd.DataFrame([r.row() for r in [*records, *question.records]]))
    assert list(groups) == ["Claims of the DRS paper", landing.EXTENSIONS_TITLE,
                            "Checks of our code and calibrations of our setting"]
    assert [r.claim_id for r in groups[landing.EXTENSIONS_TITLE]] == ["drawn-labels"]
    table = landing.claims_table(groups["Claims of the DRS paper"], moved={("02_mixture_table1", "drs-hq-level")})
    assert "Acceptance decreases along interpolations; mostly monotone" in table  # qualifiers after ';' kept
    assert "| 1 model (4 interpolation rows) |" in table and "| 5 seeds |" in table
    assert "**reproduced** †" in table and "**contradicted** (our test)" in table


def test_the_moves_under_other_kernels_are_described_by_where_they_go():
    def moves(*pairs):
        return pd.DataFrame([{"chapter": "02", "claim_id": f"c{i}", "verdict_native": a, "verdict_other": b, "same": False}
                             for i, (a, b) in enumerate(pairs)])
    kinds = {("02", "c0"): "claim", ("02", "c1"): "calibration", ("02", "c2"): "claim"}
    soft = claims.describe_moves(moves(("reproduced", "inconclusive"), ("inconclusive", "reproduced"),
                                       ("smaller than reported", "inconclusive")), kinds)
    assert soft == ("the moves are 1 calibration and 2 claims, each between a decided verdict and inconclusive, "
                    "none between reproduced and contradicted")
    severe = claims.describe_moves(moves(("reproduced", "contradicted"), ("reproduced", "inconclusive")), kinds)
    assert severe == "the moves are 1 calibration and 1 claim, 1 of them between reproduced and contradicted"
    other = claims.describe_moves(moves(("reproduced", "smaller than reported")), kinds)
    assert other.endswith("none between reproduced and contradicted") and "each between" not in other
    assert claims.describe_moves(pd.DataFrame(), kinds) == ""
