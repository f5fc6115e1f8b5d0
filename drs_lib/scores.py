"""Classifier-based sample-quality scores: analogues of the Inception Score and FID.

The paper scores ImageNet samples with a pre-trained Inception network (Inception Score,
Salimans et al. 2016; FID, Heusel et al. 2017). That network is trained on 299x299 natural
images from 1,000 ImageNet classes: it cannot be downloaded here and would say nothing
meaningful about 8x8 digits. So the same formulas are applied to a small classifier trained
on the real digits (:class:`drs_lib.convnets.Classifier`):

* IS analogue: ``exp(E_x KL(p(y|x) || p(y)))`` with p(y|x) the classifier's softmax; it lies in
  ``[1, n_classes]`` and is large when each sample is classified confidently and the classes
  are used evenly.
* FID analogue: the Fréchet distance between Gaussians fitted to the classifier's penultimate
  features of generated and of real images.

Numbers on these scales are not comparable with the paper's ImageNet numbers; only the
direction of a change is.
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["ClassifierScores", "inception_score", "max_class_probability", "feature_statistics", "frechet_distance", "frechet_distance_from_features"]


def _as_numpy(values: torch.Tensor | np.ndarray) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().double().numpy()
    return np.asarray(values, dtype=np.float64)


def inception_score(probabilities: torch.Tensor | np.ndarray, splits: int = 1) -> float:
    """``exp(E_x KL(p(y|x) || p(y)))`` of class probabilities (n, n_classes); mean over ``splits``.

    With ``splits > 1`` the rows are cut into that many consecutive chunks, each scored with its
    own marginal p(y), and the mean returned (the original Inception Score protocol used 10).
    """
    p = _as_numpy(probabilities)
    if p.ndim != 2 or p.shape[0] == 0:
        raise ValueError(f"probabilities must have shape (n, n_classes) with n >= 1; got {p.shape}")
    if np.any(p < 0) or not np.allclose(p.sum(axis=1), 1.0, atol=1e-6):
        raise ValueError("each row of probabilities must be a probability vector (non-negative, summing to 1)")
    if not isinstance(splits, int) or splits < 1 or splits > p.shape[0]:
        raise ValueError(f"splits must be an integer in [1, {p.shape[0]}]; got {splits!r}")
    scores = []
    for chunk in np.array_split(p, splits):
        marginal = chunk.mean(axis=0, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(chunk > 0, chunk * (np.log(chunk) - np.log(marginal)), 0.0)
        scores.append(float(np.exp(terms.sum(axis=1).mean())))
    return float(np.mean(scores))


def max_class_probability(probabilities: torch.Tensor | np.ndarray) -> np.ndarray:
    """``max_j p(y_j | x)`` per sample (the paper's recognisability measure, Figures 2B and 7)."""
    return _as_numpy(probabilities).max(axis=1)


def feature_statistics(features: torch.Tensor | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean (d,) and unbiased covariance (d, d) of features (n, d)."""
    f = _as_numpy(features)
    if f.ndim != 2 or f.shape[0] < 2:
        raise ValueError(f"features must have shape (n, d) with n >= 2; got {f.shape}")
    return f.mean(axis=0), np.cov(f, rowvar=False).reshape(f.shape[1], f.shape[1])


def _psd_sqrt(matrix: np.ndarray) -> np.ndarray:
    symmetric = (matrix + matrix.T) / 2.0
    eigenvalues, vectors = np.linalg.eigh(symmetric)
    return (vectors * np.sqrt(np.clip(eigenvalues, 0.0, None))) @ vectors.T


def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray) -> float:
    """``|mu1 - mu2|^2 + tr(S1 + S2 - 2 (S1 S2)^{1/2})``: the Fréchet distance of two Gaussians."""
    mu1, mu2 = np.atleast_1d(_as_numpy(mu1)), np.atleast_1d(_as_numpy(mu2))
    sigma1, sigma2 = np.atleast_2d(_as_numpy(sigma1)), np.atleast_2d(_as_numpy(sigma2))
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape or sigma1.shape != (mu1.size, mu1.size):
        raise ValueError(f"shape mismatch: mu {mu1.shape} vs {mu2.shape}, sigma {sigma1.shape} vs {sigma2.shape}")
    diff = mu1 - mu2
    # tr((S1 S2)^{1/2}) = tr((R S2 R)^{1/2}) with R = S1^{1/2}; both factors symmetric PSD, so
    # eigh is stable even for singular covariances (e.g. dead ReLU features).
    root1 = _psd_sqrt(sigma1)
    eigenvalues = np.linalg.eigvalsh(root1 @ sigma2 @ root1)
    trace_covmean = np.sqrt(np.clip(eigenvalues, 0.0, None)).sum()
    value = diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * trace_covmean
    return float(max(value, 0.0))


def frechet_distance_from_features(features1: torch.Tensor | np.ndarray, features2: torch.Tensor | np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (n1, d) and (n2, d)."""
    return frechet_distance(*feature_statistics(features1), *feature_statistics(features2))


class ClassifierScores:
    """IS and FID analogues of image batches against fixed reference (real) images.

    ``classifier`` needs ``probabilities(images)`` and ``features(images)`` (see
    :class:`drs_lib.train_images.TrainedClassifier`). The reference statistics are computed once.
    """

    def __init__(self, classifier, reference_images: torch.Tensor) -> None:
        self.classifier = classifier
        self.reference_mu, self.reference_sigma = feature_statistics(classifier.features(reference_images))
        self.reference_inception_score = inception_score(classifier.probabilities(reference_images))

    def fid(self, images: torch.Tensor) -> float:
        return frechet_distance(*feature_statistics(self.classifier.features(images)), self.reference_mu, self.reference_sigma)

    def __call__(self, images: torch.Tensor) -> dict[str, float]:
        """``{"inception_score": ..., "fid": ...}`` for a batch of images."""
        return {"inception_score": inception_score(self.classifier.probabilities(images)), "fid": self.fid(images)}
