"""drs_lib.metrics.memorisation and drs_lib.metrics.reliability: known answers on small sets."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from drs_lib.metrics.memorisation import copy_threshold, memorisation_summary, nearest_distances, nearest_neighbours
from drs_lib.metrics.reliability import calibration_report, expected_calibration_error, reliability_bins


def test_nearest_distances_matches_brute_force_in_any_chunking():
    rng = np.random.default_rng(0)
    queries, reference = rng.normal(size=(37, 1, 3, 3)), rng.normal(size=(11, 1, 3, 3))
    brute = np.sqrt(((queries.reshape(37, 1, -1) - reference.reshape(1, 11, -1)) ** 2).sum(-1)).min(1)
    for chunk in (1, 5, 37, 1000):
        np.testing.assert_allclose(nearest_distances(queries, reference, chunk_size=chunk), brute, rtol=1e-9, atol=1e-12)
    _, index = nearest_neighbours(queries, reference, chunk_size=4)
    chosen = np.sqrt(((queries.reshape(37, -1) - reference.reshape(11, -1)[index]) ** 2).sum(-1))
    np.testing.assert_allclose(chosen, brute, rtol=1e-9, atol=1e-12)


def test_a_copy_has_distance_zero_and_counts_as_near_copy():
    rng = np.random.default_rng(1)
    train = torch.as_tensor(rng.normal(size=(50, 8)))
    held_out = torch.as_tensor(rng.normal(size=(200, 8)))
    copies = train[:10] + 1e-9
    fresh = torch.as_tensor(rng.normal(size=(10, 8)))
    threshold = copy_threshold(nearest_distances(held_out, train), percentile=1.0)
    assert threshold > 0.1  # fresh Gaussian points are not within 0.1 of one of 50 points in 8 dimensions
    d_copies = nearest_distances(copies, train)
    assert d_copies.max() < 1e-6
    summary = {g.group: g for g in memorisation_summary({"copies": d_copies, "fresh": nearest_distances(fresh, train),
                                                         "empty": np.array([])}, threshold)}
    assert summary["copies"].near_copy_share == 1.0
    assert summary["fresh"].near_copy_share < 0.5
    assert summary["empty"].n == 0 and np.isnan(summary["empty"].median)
    assert summary["copies"].as_row()["group"] == "copies"


def test_copy_threshold_is_the_percentile_and_inputs_are_checked():
    assert copy_threshold(np.arange(101.0), 1.0) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="percentile"):
        copy_threshold(np.arange(5.0), 101.0)
    with pytest.raises(ValueError, match="columns"):
        nearest_distances(np.zeros((2, 3)), np.zeros((2, 4)))
    with pytest.raises(ValueError, match="NaN"):
        nearest_distances(np.full((2, 3), np.nan), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="threshold"):
        memorisation_summary({"a": np.ones(3)}, float("nan"))


def test_ece_known_answers():
    labels = np.array([0, 1, 0, 1])
    perfect = np.eye(2)[labels]  # confident and right: calibrated
    assert expected_calibration_error(perfect, labels) == pytest.approx(0.0, abs=1e-12)
    wrong = np.eye(2)[1 - labels]  # confident and always wrong: ECE 1
    assert expected_calibration_error(wrong, labels) == pytest.approx(1.0)
    # confidence 0.75 everywhere, right on half: ECE 0.25, one filled bin
    half = np.array([[0.75, 0.25]] * 4)
    assert expected_calibration_error(half, labels) == pytest.approx(0.25)
    bins = reliability_bins(half, labels, n_bins=4)
    assert bins.counts.tolist() == [0, 0, 0, 4]
    assert bins.accuracy[3] == pytest.approx(0.5) and np.isnan(bins.accuracy[0])


def test_calibration_report_saturation_share():
    labels = torch.tensor([0, 1, 2, 0])
    p = torch.tensor([[0.999, 0.0005, 0.0005], [0.2, 0.7, 0.1], [0.001, 0.004, 0.995], [0.5, 0.3, 0.2]])
    report = calibration_report(p, labels, n_bins=10, level=0.99)
    assert report.n == 4 and report.accuracy == pytest.approx(1.0)
    assert report.share_above_level == pytest.approx(0.5)
    assert report.mean_confidence == pytest.approx((0.999 + 0.7 + 0.995 + 0.5) / 4)
    assert report.bins.counts.sum() == 4


def test_reliability_inputs_are_checked():
    with pytest.raises(ValueError, match="sum to 1"):
        calibration_report(np.array([[0.5, 0.6]]), np.array([0]))
    with pytest.raises(ValueError, match="labels"):
        calibration_report(np.array([[0.5, 0.5]]), np.array([2]))
    with pytest.raises(ValueError, match="n_bins"):
        reliability_bins(np.array([[0.5, 0.5]]), np.array([0]), n_bins=0)


def test_image_checks_helpers():
    from drs_book.image_checks import all_of, class_shares, dominant_class, total_variation

    shares = class_shares(torch.tensor([0, 0, 1, 3]), 4)
    np.testing.assert_allclose(shares, [0.5, 0.25, 0.0, 0.25])
    assert dominant_class(shares) == (0, 0.5)
    assert total_variation(shares, np.full(4, 0.25)) == pytest.approx(0.25)
    assert np.isnan(class_shares([], 3)).all()
    with pytest.raises(ValueError, match="labels"):
        class_shares([5], 3)
    assert all_of(2, "GANs") == "both GANs" and all_of(3, "GANs") == "all 3 GANs" and all_of(12, "GANs") == "all 12 GANs"
    with pytest.raises(ValueError):
        all_of(1, "GANs")


def test_image_check_figures_are_legible_and_percentile_labels_do_not_crowd():
    import matplotlib.pyplot as plt
    import pandas as pd

    from drs_book import image_checks, style
    from drs_book.plotting_images import plot_figure7

    rng = np.random.default_rng(0)
    groups = {"accepted": rng.uniform(2, 4, 300), "rejected": rng.uniform(2, 5, 600), "held-out real": rng.uniform(1, 3, 200)}
    figures = [image_checks.plot_memorisation({"pixels": groups, "features": groups}, {"pixels": 1.1, "features": 1.1},
                                              {"pixels": "pixels", "features": "classifier features"}),
               image_checks.plot_nearest_pairs(torch.rand(10, 1, 8, 8) * 2 - 1, torch.rand(10, 1, 8, 8) * 2 - 1)]
    labels = rng.integers(0, 3, 100)
    probabilities = np.eye(3)[labels] * 0.9 + 0.1 / 3
    figures.append(image_checks.plot_reliability(calibration_report(probabilities, labels)))
    # a dense sweep: ten percentiles whose points nearly coincide must not all be labelled
    sweep = pd.DataFrame([{"seed": s, "percentile": p, "acceptance_rate": 1.0 if p == 0 else 0.3 - p / 5000,
                           "inception_score": 4.0 if p == 0 else 6 + p / 5000}
                          for s in range(2) for p in range(0, 100, 10)])
    fig7 = plot_figure7(sweep, rng.uniform(size=200), rng.uniform(size=200), real_is=8.0)
    percentile_labels = [t for t in fig7.axes[0].texts if t.get_text().strip()]
    assert 1 <= len(percentile_labels) < 10
    for fig in [*figures, fig7]:
        style.check_legible(fig)
        plt.close(fig)
