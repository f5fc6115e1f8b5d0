"""Known answers for the classifier-score analogues of the Inception Score, FID and KID."""

import warnings

import numpy as np
import pytest
import torch

from drs_lib.metrics.scores import (
    ClassifierScores,
    feature_statistics,
    frechet_distance,
    frechet_distance_from_features,
    inception_score,
    kernel_inception_distance,
    max_class_probability,
)

torch.set_num_threads(1)


def test_uniform_predictions_give_inception_score_one():
    probabilities = np.full((50, 10), 0.1)
    assert inception_score(probabilities) == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("n_classes", [2, 5, 10])
def test_one_hot_balanced_predictions_give_number_of_classes(n_classes):
    labels = np.arange(20 * n_classes) % n_classes
    probabilities = np.eye(n_classes)[labels]
    assert inception_score(probabilities) == pytest.approx(n_classes, rel=1e-12)
    assert inception_score(torch.as_tensor(probabilities), splits=4) == pytest.approx(n_classes, rel=1e-12)


def test_one_hot_single_class_gives_one():
    probabilities = np.zeros((30, 10))
    probabilities[:, 3] = 1.0
    assert inception_score(probabilities) == pytest.approx(1.0)


def test_inception_score_rejects_non_probabilities():
    with pytest.raises(ValueError, match="probability vector"):
        inception_score(np.full((4, 3), 0.5))
    with pytest.raises(ValueError, match="shape"):
        inception_score(np.ones(3) / 3)
    with pytest.raises(ValueError, match="splits"):
        inception_score(np.full((4, 2), 0.5), splits=5)


def test_max_class_probability():
    probabilities = np.array([[0.2, 0.8], [0.6, 0.4]])
    np.testing.assert_allclose(max_class_probability(probabilities), [0.8, 0.6])


def test_frechet_distance_of_a_set_with_itself_is_zero():
    features = np.random.default_rng(0).normal(size=(500, 6)) @ np.random.default_rng(1).normal(size=(6, 6))
    assert frechet_distance_from_features(features, features) == pytest.approx(0.0, abs=1e-8)


def test_frechet_distance_shifted_gaussians_is_squared_mean_shift():
    sigma = np.diag([1.0, 2.0, 0.5])
    shift = np.array([3.0, -1.0, 2.0])
    assert frechet_distance(np.zeros(3), sigma, shift, sigma) == pytest.approx(shift @ shift)


def test_frechet_distance_scaled_isotropic_gaussians():
    # N(0, a² I_k) vs N(0, b² I_k): k (a - b)².
    k, a, b = 4, 1.0, 3.0
    assert frechet_distance(np.zeros(k), a**2 * np.eye(k), np.zeros(k), b**2 * np.eye(k)) == pytest.approx(k * (a - b) ** 2)


def test_frechet_distance_singular_covariance_is_finite():
    sigma = np.diag([1.0, 0.0, 0.0])
    assert frechet_distance(np.zeros(3), sigma, np.ones(3), np.eye(3)) == pytest.approx(3.0 + 1.0 + 3.0 - 2.0)


def test_frechet_distance_from_samples_approaches_the_exact_value():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20_000, 2))
    y = rng.normal(size=(20_000, 2)) + np.array([2.0, 0.0])
    assert frechet_distance_from_features(x, y) == pytest.approx(4.0, abs=0.1)


def test_feature_statistics_shapes_and_errors():
    mu, sigma = feature_statistics(np.ones((5, 3)))
    assert mu.shape == (3,) and sigma.shape == (3, 3)
    with pytest.raises(ValueError, match="n >= 2"):
        feature_statistics(np.ones((1, 3)))
    with pytest.raises(ValueError, match="shape mismatch"):
        frechet_distance(np.zeros(2), np.eye(2), np.zeros(3), np.eye(3))


# ---- cross-checks of the kept IS and FID code against torchmetrics ----


def test_inception_score_equals_torchmetrics():
    from torchmetrics.image.inception import InceptionScore

    logits = torch.randn(200, 10, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 3
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        metric = InceptionScore(feature=torch.nn.Identity(), splits=1)  # one split: its row shuffle is irrelevant
        metric.update(logits)
        theirs, _ = metric.compute()
    assert inception_score(torch.softmax(logits, dim=1)) == pytest.approx(float(theirs), rel=1e-10)


def test_frechet_distance_equals_torchmetrics():
    from torchmetrics.image.fid import FrechetInceptionDistance

    g = torch.Generator().manual_seed(1)
    x = torch.randn(400, 6, generator=g, dtype=torch.float64) @ torch.randn(6, 6, generator=g, dtype=torch.float64)
    y = torch.randn(300, 6, generator=g, dtype=torch.float64) + 0.5
    extractor = torch.nn.Identity()
    extractor.num_features = 6  # tells torchmetrics the feature size (no probe with a random input)
    metric = FrechetInceptionDistance(feature=extractor)
    metric.update(x, real=True)
    metric.update(y, real=False)
    assert frechet_distance_from_features(y, x) == pytest.approx(float(metric.compute()), rel=1e-8)


# ---- KID (torchmetrics' KernelInceptionDistance through kernel_inception_distance) ----


def test_kid_of_point_masses_is_the_kernel_formula():
    """All real features at a, all fake at b: every subset's unbiased MMD^2 is exactly
    k(a, a) + k(b, b) - 2 k(a, b); with a = 0, b = (1, 1), d = 2: 1 + 8 - 2 = 7."""
    result = kernel_inception_distance(torch.zeros(50, 2), torch.ones(60, 2), subset_size=20, n_subsets=5)
    assert result.mean == pytest.approx(7.0, rel=1e-12)
    assert result.std == pytest.approx(0.0, abs=1e-12)


def test_kid_of_shifted_rademacher_variables_matches_closed_form():
    """d = 1, k(x, y) = (xy + 1)^3 = (xy)^3 + 3 (xy)^2 + 3 xy + 1, X = +-1 with equal odds, Y = X' + 1:
    E k(X, X') = 0 + 3 + 0 + 1 = 4, E k(Y, Y') = (E Y^3)^2 + 3 (E Y^2)^2 + 3 (E Y)^2 + 1 = 16 + 12 + 3 + 1
    = 32, E k(X, Y) = 3 E Y^2 + 1 = 7, so MMD^2 = 4 + 32 - 14 = 22 (bounded variables: small variance)."""
    g = torch.Generator().manual_seed(2)
    x = (torch.randint(0, 2, (20_000, 1), generator=g) * 2 - 1).double()
    y = (torch.randint(0, 2, (20_000, 1), generator=g) * 2 - 1).double() + 1.0
    assert kernel_inception_distance(x, y, subset_size=500, n_subsets=50).mean == pytest.approx(22.0, rel=0.05)


def test_kid_is_unbiased_where_the_plug_in_estimate_is_not():
    g = torch.Generator().manual_seed(3)
    x = torch.randn(2000, 4, generator=g, dtype=torch.float64)
    y = torch.randn(2000, 4, generator=g, dtype=torch.float64)  # the same distribution: MMD^2 = 0

    def kernel(a, b):
        return (a @ b.T / 4 + 1) ** 3

    plug_in = float(kernel(x[:200], x[:200]).mean() + kernel(y[:200], y[:200]).mean() - 2 * kernel(x[:200], y[:200]).mean())
    result = kernel_inception_distance(x, y, subset_size=200, n_subsets=50)
    assert plug_in > 0.04  # biased upwards by about 2 (E k(x, x) - E k(x, x')) / n
    assert abs(result.mean) < 0.02


def test_kid_is_seeded_and_leaves_the_global_generator_alone():
    g = torch.Generator().manual_seed(4)
    x, y = torch.randn(300, 3, generator=g), torch.randn(300, 3, generator=g) + 0.2
    state = torch.get_rng_state()
    a = kernel_inception_distance(x, y, subset_size=100, n_subsets=10, seed=1)
    assert torch.equal(torch.get_rng_state(), state)
    assert a == kernel_inception_distance(x, y, subset_size=100, n_subsets=10, seed=1)
    assert a != kernel_inception_distance(x, y, subset_size=100, n_subsets=10, seed=2)
    assert (a.subset_size, a.n_subsets) == (100, 10)


def test_kid_refuses_bad_input():
    x = torch.randn(30, 2)
    with pytest.raises(ValueError, match="subset_size"):
        kernel_inception_distance(x, x[:20], subset_size=25)
    with pytest.raises(ValueError, match="n_subsets"):
        kernel_inception_distance(x, x, subset_size=10, n_subsets=0)
    with pytest.raises(ValueError, match="same dimension"):
        kernel_inception_distance(x, torch.randn(30, 3), subset_size=10)
    with pytest.raises(ValueError, match="NaN"):
        kernel_inception_distance(x, torch.full((30, 2), float("nan")), subset_size=10)


# ---- ClassifierScores on a stand-in classifier ----


class _LinearClassifier:
    """Features: a fixed linear map of the flattened images; probabilities: softmax of another."""

    def __init__(self):
        g = torch.Generator().manual_seed(5)
        self.w_features = torch.randn(16, 8, generator=g, dtype=torch.float64) / 4
        self.w_logits = torch.randn(8, 10, generator=g, dtype=torch.float64)

    def features(self, images):
        return images.reshape(len(images), -1).double() @ self.w_features

    def probabilities(self, images):
        return torch.softmax(self.features(images) @ self.w_logits, dim=1)


def _images(n, seed, shift=0.0):
    return torch.randn(n, 1, 4, 4, generator=torch.Generator().manual_seed(seed)) + shift


def test_classifier_scores_of_the_reference_itself():
    reference = _images(300, seed=6)
    scores = ClassifierScores(_LinearClassifier(), reference, kid_subsets=20)
    assert scores.kid_subset_size == 300  # min(1000, n_reference)
    row = scores.all_scores(reference.clone())
    assert row["inception_score"] == pytest.approx(scores.reference_inception_score)
    assert row["fid"] == pytest.approx(0.0, abs=1e-8)
    # subsets of the whole set: both are the reference itself, and the unbiased MMD^2 of a set
    # against itself is 2 (mean_{i != j} k_ij - mean_i k_ii) / n, slightly below 0; PRDC gives 1
    f = scores.reference_features
    k = (f @ f.T / f.shape[1] + 1) ** 3
    off_diagonal = (k.sum() - k.diagonal().sum()) / (300 * 299)
    assert row["kid"] == pytest.approx(float(2 * (off_diagonal - k.diagonal().mean()) / 300), rel=1e-9)
    assert row["kid_std"] == pytest.approx(0.0, abs=1e-9)
    # Precision, recall and coverage are exactly 1 on any CPU: each point is its own nearest
    # neighbour at distance ~0, far inside its k-NN radius, so no comparison is close to a tie.
    assert (row["precision"], row["recall"], row["coverage"]) == (1.0, 1.0, 1.0)
    # Density is not: against itself every k-NN radius is also a cross distance, so whether
    # d(y_j, x_i) <= r_i counts is a tie decided by the last bit of two distances that BLAS
    # computes in different orders (OpenBLAS's SkylakeX and Prescott kernels count two more ties
    # here than Haswell's). Each tie moves density by 1 / (k n) = 1/1500; allow 15 of them.
    assert row["density"] == pytest.approx(1.0, abs=15 / (5 * 300))
    assert set(row) == {"inception_score", "fid", "kid", "kid_std", "precision", "recall", "density", "coverage"}
    assert set(scores(reference)) == {"inception_score", "fid"}


def test_classifier_scores_see_a_shift_and_check_sizes():
    reference = _images(300, seed=7)
    scores = ClassifierScores(_LinearClassifier(), reference, kid_subset_size=200, kid_subsets=10)
    near = scores.all_scores(_images(1000, seed=8), seed=1)
    far = scores.all_scores(_images(1000, seed=9, shift=2.0), seed=1)
    assert far["fid"] > near["fid"] and far["kid"] > near["kid"] + 5 * far["kid_std"]
    assert far["precision"] < near["precision"]
    assert scores.kid(_images(1000, seed=8), seed=1).mean == near["kid"]
    assert scores.prdc(_images(1000, seed=8), seed=1).scores() == {k: near[k] for k in ("precision", "recall", "density", "coverage")}
    with pytest.raises(ValueError, match="at least kid_subset_size"):
        scores.all_scores(_images(100, seed=10))
    without_kid = scores.all_scores(_images(1000, seed=8), seed=1, with_kid=False)
    assert without_kid == {k: v for k, v in near.items() if k not in ("kid", "kid_std")}
    assert set(scores.all_scores(_images(100, seed=10), with_kid=False)) == {
        "inception_score", "fid", "precision", "recall", "density", "coverage"}
    with pytest.raises(ValueError, match="kid_subset_size"):
        ClassifierScores(_LinearClassifier(), reference, kid_subset_size=301)
