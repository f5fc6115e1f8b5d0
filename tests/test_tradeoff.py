"""The quality–diversity sweep (drs_lib.compare.tradeoff) on a case with a known answer, and its figure.

Known answer: proposals N(0, 1.5² I), target N(0, I), and the exact log density ratio as the
discriminator logit. Rejection sampling with it returns the target, so DRS must keep recall near
1 while raising precision; keeping only the highest logits (the smallest |x|) at the same
acceptance rate cuts off the target's tails, so thresholding must lose recall.
"""

import math

import matplotlib
import pandas as pd
import pytest
import torch

matplotlib.use("Agg")

from drs_lib.metrics.mixture import sample_set_scores  # noqa: E402
from drs_book.plotting_tradeoff import curve_means, quality_diversity_figure  # noqa: E402
from drs_lib.metrics.prdc_metrics import precision_recall_density_coverage  # noqa: E402
from drs_lib.compare.tradeoff import DRS, GENERATOR, THRESHOLD, check_percentiles, quality_diversity_sweep  # noqa: E402

WIDTH = 1.5


def wide_gaussian(n, rng):
    return WIDTH * torch.randn(n, 2, generator=rng, dtype=torch.float64)


def exact_logit(x):
    squared = (x ** 2).sum(1)
    return -squared / 2 + squared / (2 * WIDTH ** 2) + 2 * math.log(WIDTH)


@pytest.fixture(scope="module")
def sweep():
    reference = torch.randn(1000, 2, generator=torch.Generator().manual_seed(123), dtype=torch.float64)
    sizes = []

    def evaluate(samples):
        sizes.append(len(samples))
        return precision_recall_density_coverage(reference, samples, n_points=1000, seed=0).scores()

    rows = quality_diversity_sweep(wide_gaussian, exact_logit, evaluate, percentiles=[0.0, 50.0, 90.0], n_samples=1000,
                                   burn_in_samples=5000, batch_size=5000, seed=0, device="cpu")
    return pd.DataFrame(rows), sizes


def test_rows_are_generator_then_drs_and_threshold_per_percentile(sweep):
    frame, sizes = sweep
    assert list(frame["method"]) == [GENERATOR, DRS, THRESHOLD, DRS, THRESHOLD, DRS, THRESHOLD]
    assert sizes == [1000] * 7
    assert frame.loc[0, "acceptance_rate"] == 1.0 and math.isnan(frame.loc[0, "percentile"])
    drs_rows = frame[frame["method"] == DRS]
    assert drs_rows["acceptance_rate"].is_monotonic_decreasing
    threshold_rows = frame[frame["method"] == THRESHOLD]
    # Thresholding is matched to DRS's realised acceptance rate, up to sampling noise.
    assert (threshold_rows["acceptance_rate"].to_numpy() - drs_rows["acceptance_rate"].to_numpy()).__abs__().max() < 0.03
    assert (threshold_rows["target_acceptance"].to_numpy() == drs_rows["acceptance_rate"].to_numpy()).all()


def test_drs_keeps_recall_where_thresholding_loses_it(sweep):
    frame, _ = sweep
    at_90 = frame[frame["percentile"] == 90.0].set_index("method")
    generator = frame[frame["method"] == GENERATOR].iloc[0]
    assert at_90.loc[DRS, "acceptance_rate"] < 0.3
    assert at_90.loc[DRS, "recall"] >= 0.95
    assert at_90.loc[THRESHOLD, "recall"] <= 0.6
    assert at_90.loc[DRS, "precision"] > generator["precision"] + 0.02


@pytest.mark.parametrize("bad", [[], [50.0, 40.0], [50.0, 50.0], [101.0], [-1.0], [True], ["95"], [float("nan")]])
def test_bad_percentiles_are_refused(bad):
    with pytest.raises(ValueError, match="percentile"):
        check_percentiles(bad)


def test_bad_arguments_are_refused_before_any_work():
    calls = []

    def generate(n, rng):
        calls.append(n)
        return wide_gaussian(n, rng)

    with pytest.raises(ValueError, match="n_samples"):
        quality_diversity_sweep(generate, exact_logit, lambda x: {}, percentiles=[50.0], n_samples=0, device="cpu")
    with pytest.raises(TypeError, match="evaluate"):
        quality_diversity_sweep(generate, exact_logit, None, percentiles=[50.0], n_samples=10, device="cpu")
    assert calls == []


def test_sample_set_scores_known_answers():
    x = torch.randn(800, 2, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    same = sample_set_scores(x, x, n_points=800, seed=0)
    assert same == {"emd": 0.0, "precision": 1.0, "recall": 1.0, "density": 1.0, "coverage": 1.0}
    # A translate of the whole set: the optimal plan moves every point by the shift, EMD = |shift| = 0.5.
    shifted = sample_set_scores(x, x + torch.tensor([0.3, 0.4], dtype=torch.float64), n_points=800, seed=0)
    assert shifted["emd"] == pytest.approx(0.5, abs=1e-9)
    # A collapsed set (all points near one real point): precise but far from diverse.
    collapsed = x[:1] + 1e-3 * torch.randn(800, 2, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    narrow = sample_set_scores(x, collapsed, n_points=800, seed=0)
    assert narrow["precision"] > 0.9 and narrow["recall"] < 0.05 and narrow["coverage"] < 0.05
    with pytest.raises(ValueError, match="n_points"):
        sample_set_scores(x, x, n_points=801, seed=0)


def test_figure_draws_curves_and_points(sweep):
    frame, _ = sweep
    extra = pd.DataFrame([{"method": "MH-GAN", "percentile": float("nan"), "acceptance_rate": 0.5, "precision": 0.9,
                           "recall": 0.9, "density": 0.9, "coverage": 0.9}])
    fig = quality_diversity_figure(pd.concat([frame, extra], ignore_index=True), highlight_percentile=50.0)
    assert len(fig.axes) == 2
    assert "MH-GAN" in fig.drs_alt_text and "precision against recall" in fig.drs_alt_text
    # Two curves (DRS, threshold) start at the generator's point: 1 + 3 points each.
    lines = [line for line in fig.axes[0].get_lines() if len(line.get_xdata()) == 4]
    assert len(lines) == 2
    generator = curve_means(frame, ["recall"]).query("method == @GENERATOR")["recall_mean"].iloc[0]
    assert all(line.get_xdata()[0] == pytest.approx(generator) for line in lines)
    means = curve_means(frame, ["precision"])
    assert set(means["method"]) == {GENERATOR, DRS, THRESHOLD}
    with pytest.raises(ValueError, match="lacks the columns"):
        curve_means(frame.drop(columns=["recall"]), ["recall"])


def synthetic_frame(drs_recall, threshold_recall, precision_gain=0.2):
    rows = []
    for seed, (dr, tr) in enumerate(zip(drs_recall, threshold_recall)):
        rows += [
            {"seed": seed, "method": GENERATOR, "percentile": float("nan"), "precision": 0.5 + 0.01 * seed, "recall": 0.8},
            {"seed": seed, "method": DRS, "percentile": 95.0, "precision": 0.5 + 0.01 * seed + precision_gain, "recall": dr},
            {"seed": seed, "method": THRESHOLD, "percentile": 95.0, "precision": 0.9, "recall": tr},
        ]
    return pd.DataFrame(rows)


def test_verdicts_follow_the_numbers():
    from drs_book.claims import CONTRADICTED, INCONCLUSIVE, REPRODUCED
    from drs_book.tradeoff import values, verdicts

    clear = verdicts(synthetic_frame([0.80, 0.81, 0.79, 0.80], [0.60, 0.62, 0.58, 0.61]), 95.0)
    assert {key: check.verdict for key, check in clear.items()} == {
        "drs-raises-precision": REPRODUCED, "drs-keeps-recall": REPRODUCED, "threshold-loses-recall": REPRODUCED}
    # Recall lost by 0.1 (beyond the 0.05 margin), and thresholding level with DRS.
    lost = verdicts(synthetic_frame([0.70, 0.71, 0.69, 0.70], [0.71, 0.70, 0.70, 0.69], precision_gain=0.0), 95.0)
    assert {key: check.verdict for key, check in lost.items()} == {
        "drs-raises-precision": INCONCLUSIVE, "drs-keeps-recall": CONTRADICTED, "threshold-loses-recall": INCONCLUSIVE}
    assert list(values(synthetic_frame([0.8, 0.7], [0.6, 0.5]), DRS, "recall", 95.0)) == [0.8, 0.7]
    coverage = verdicts(synthetic_frame([0.80, 0.81, 0.79, 0.80], [0.60, 0.62, 0.58, 0.61]).assign(
        coverage=lambda f: f["recall"]), 95.0, diversity="coverage")
    assert {key: check.verdict for key, check in coverage.items()} == {
        "drs-raises-precision": REPRODUCED, "drs-keeps-coverage": REPRODUCED, "threshold-loses-coverage": REPRODUCED}
    assert "change in coverage with DRS" in coverage["drs-keeps-coverage"].finding
    with pytest.raises(ValueError, match="diversity must be one of"):
        verdicts(synthetic_frame([0.8, 0.7], [0.6, 0.5]), 95.0, diversity="density")
    without_threshold = synthetic_frame([0.80, 0.81, 0.79], [0.6, 0.6, 0.6]).query("method != @THRESHOLD")
    assert set(verdicts(without_threshold, 95.0)) == {"drs-raises-precision", "drs-keeps-recall"}
    with pytest.raises(ValueError, match="more than one row per seed"):
        values(pd.concat([synthetic_frame([0.8, 0.7], [0.6, 0.5])] * 2), GENERATOR, "recall")
    with pytest.raises(ValueError, match="no 'DRS' rows at the 90th percentile"):
        values(synthetic_frame([0.8, 0.7], [0.6, 0.5]), DRS, "recall", 90.0)


def test_threshold_at_limits_the_matched_runs():
    reference = torch.randn(200, 2, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    rows = quality_diversity_sweep(
        wide_gaussian, exact_logit, lambda x: precision_recall_density_coverage(reference, x, n_points=200).scores(),
        percentiles=[20.0, 50.0, 90.0], threshold_at=[90.0], n_samples=200, burn_in_samples=1000, batch_size=1000,
        seed=3, device="cpu")
    assert [(row["method"], row["percentile"]) for row in rows[1:]] == [(DRS, 20.0), (DRS, 50.0), (DRS, 90.0), (THRESHOLD, 90.0)]
    with pytest.raises(ValueError, match="subset of percentiles"):
        quality_diversity_sweep(wide_gaussian, exact_logit, lambda x: {}, percentiles=[50.0], threshold_at=[90.0],
                                n_samples=10, device="cpu")
