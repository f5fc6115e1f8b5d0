"""Known answers for the classifier-score analogues of the Inception Score and FID."""

import numpy as np
import pytest
import torch

from drs_lib.scores import (
    feature_statistics,
    frechet_distance,
    frechet_distance_from_features,
    inception_score,
    max_class_probability,
)


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
