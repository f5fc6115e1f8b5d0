"""Classifier-based sample-quality scores: analogues of the Inception Score, FID and KID.

The paper scores ImageNet samples with a pre-trained Inception network (Inception Score,
Salimans et al. 2016; FID, Heusel et al. 2017). That network is trained on 299x299 natural
images from 1,000 ImageNet classes: it cannot be downloaded here and would say nothing
meaningful about 8x8 digits. So the same formulas are applied to a small classifier trained
on the real digits (:class:`drs_lib.nets.convnets.Classifier`):

* IS analogue: ``exp(E_x KL(p(y|x) || p(y)))`` with p(y|x) the classifier's softmax; it lies in
  ``[1, n_classes]`` and is large when each sample is classified confidently and the classes
  are used evenly.
* FID analogue: the Fréchet distance between Gaussians fitted to the classifier's penultimate
  features of generated and of real images, ``|mu1 - mu2|^2 + tr(S1 + S2 - 2 (S1 S2)^{1/2})``.
* KID analogue (Bińkowski et al., ICLR 2018, "Demystifying MMD GANs"):
  the squared maximum mean discrepancy between the same feature sets under the cubic
  polynomial kernel k(x, y) = (x.y / d + 1)^3, by its unbiased U-statistic, as mean ± std over
  random equal-size subsets. Unlike the FID analogue, whose plug-in estimate is biased upwards by
  an amount that shrinks with the sample size (so sets of different sizes are not comparable),
  its expectation is the population value at every sample size.
* Precision, recall, density and coverage in the same feature space: :mod:`drs_lib.metrics.prdc_metrics`.

Numbers on these scales are not comparable with the paper's ImageNet numbers; only the
direction of a change is.

**Library or our own code.** ``torchmetrics`` (Lightning AI) implements FID, KID and IS and
accepts a custom feature extractor (our classifier; no Inception weights, no torch-fidelity):

* KID comes from ``torchmetrics.image.kid.KernelInceptionDistance``, fed precomputed features
  through ``torch.nn.Identity``. Its subsets are drawn with torch's *global* generator, so
  :func:`kernel_inception_distance` seeds it inside ``torch.random.fork_rng`` (the caller's
  random state is restored afterwards) and takes ``subset_size``, ``n_subsets`` and ``seed``
  explicitly.
* The IS analogue stays ours: ``torchmetrics``' ``InceptionScore`` takes logits rather than the
  probabilities our callers hold, returns NaN for exactly one-hot predictions (0 · log 0), and
  shuffles the rows before splitting with the global generator. The formula is five lines; the
  tests check it equals ``torchmetrics``' value.
* The FID analogue stays ours: ``frechet_distance`` works from (mean, covariance) pairs, which the
  real-vs-real ceiling (training vs held-out digits) and the cached reference statistics need and
  ``torchmetrics`` offers only inside a stateful metric object; and it takes the matrix square
  root through a symmetric eigendecomposition, stable for the singular covariances of dead ReLU
  features, where ``torchmetrics`` takes square roots of the eigenvalues of the non-symmetric
  product S1 S2. The tests check both give the same value.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import torch

from drs_lib._optional import optional_imports
from drs_lib.metrics.prdc_metrics import DEFAULT_K, PRDC, precision_recall_density_coverage

__all__ = [
    "ClassifierScores",
    "KID",
    "inception_score",
    "kernel_inception_distance",
    "max_class_probability",
    "feature_statistics",
    "frechet_distance",
    "frechet_distance_from_features",
]


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


@dataclass(frozen=True)
class KID:
    """KID analogue: mean and (population) std of the unbiased MMD^2 over ``n_subsets`` subsets."""

    mean: float
    std: float
    subset_size: int
    n_subsets: int


def _as_feature_tensor(name: str, values: torch.Tensor | np.ndarray) -> torch.Tensor:
    tensor = torch.as_tensor(values).detach().to(device="cpu", dtype=torch.float64)
    if tensor.ndim != 2 or tensor.shape[0] < 2 or tensor.shape[1] < 1:
        raise ValueError(f"{name} must have shape (n, d) with n >= 2, d >= 1; got {tuple(tensor.shape)}")
    if not torch.isfinite(tensor).all():
        raise ValueError(f"{name} holds NaN or infinite values")
    return tensor


def kernel_inception_distance(
    real_features: torch.Tensor | np.ndarray,
    fake_features: torch.Tensor | np.ndarray,
    *,
    subset_size: int = 1000,
    n_subsets: int = 100,
    seed: int = 0,
    degree: int = 3,
    gamma: float | None = None,
    coef: float = 1.0,
) -> KID:
    """KID between feature sets (n_real, d) and (n_fake, d), by ``torchmetrics``' ``KernelInceptionDistance``.

    Each of ``n_subsets`` rounds draws ``subset_size`` real and ``subset_size`` fake rows without
    replacement and computes the unbiased MMD^2 with kernel ``(gamma x.y + coef)^degree``
    (``gamma=None``: 1/d; the defaults are Bińkowski et al.'s, and ``torchmetrics``'); the mean
    over rounds is unbiased, and the std (over rounds) shows the spread of one subset's estimate.
    Deterministic for a given ``seed``; the caller's torch random state is left untouched.
    Computed in float64 on the CPU. Raises ``ValueError`` before any work for bad shapes or
    arguments (``subset_size`` must be in ``[2, min(n_real, n_fake)]``).
    """
    real = _as_feature_tensor("real_features", real_features)
    fake = _as_feature_tensor("fake_features", fake_features)
    if real.shape[1] != fake.shape[1]:
        raise ValueError(f"real_features and fake_features must have the same dimension; got {tuple(real.shape)} and {tuple(fake.shape)}")
    largest = min(real.shape[0], fake.shape[0])
    if not isinstance(subset_size, int) or isinstance(subset_size, bool) or not 2 <= subset_size <= largest:
        raise ValueError(f"subset_size must be an integer in [2, min(n_real, n_fake)] = [2, {largest}]; got {subset_size!r}")
    if not isinstance(n_subsets, int) or isinstance(n_subsets, bool) or n_subsets < 1:
        raise ValueError(f"n_subsets must be a positive integer; got {n_subsets!r}")
    if not isinstance(degree, int) or isinstance(degree, bool) or degree < 1:
        raise ValueError(f"degree must be a positive integer; got {degree!r}")
    if gamma is not None and not gamma > 0:
        raise ValueError(f"gamma must be None or > 0; got {gamma!r}")
    if not coef > 0:
        raise ValueError(f"coef must be > 0; got {coef!r}")
    with optional_imports("metrics"):
        from torchmetrics.image.kid import KernelInceptionDistance  # imported here: torchmetrics takes seconds to import

    with warnings.catch_warnings():  # the metric warns that it buffers features; we pass them in once
        warnings.filterwarnings("ignore", message=".*will save all extracted features.*", category=UserWarning)
        metric = KernelInceptionDistance(
            feature=torch.nn.Identity(), subsets=n_subsets, subset_size=subset_size, degree=degree,
            gamma=None if gamma is None else float(gamma), coef=float(coef),
        )
    metric.update(real, real=True)
    metric.update(fake, real=False)
    with torch.random.fork_rng(devices=[]):  # the subsets come from torch's global CPU generator
        torch.manual_seed(seed)
        mean, std = metric.compute()
    return KID(mean=float(mean), std=float(std), subset_size=subset_size, n_subsets=n_subsets)


class ClassifierScores:
    """IS, FID and KID analogues and precision/recall/density/coverage of image batches against fixed reference images.

    ``classifier`` needs ``probabilities(images)`` and ``features(images)``, and may offer both from one
    pass as ``features_and_probabilities(images)`` (see
    :class:`drs_lib.training.train_images.TrainedClassifier`). The reference features and statistics are
    computed once. ``kid_subset_size`` defaults to ``min(1000, n_reference)`` (the usual 1000
    cannot exceed the held-out set); ``prdc_k`` is the k of :mod:`drs_lib.metrics.prdc_metrics`.

    With ``kid_subset_size == n_reference`` every KID subset holds the whole reference set, so
    ``kid_std`` shows only the spread over subsets of the generated images; the reference set's
    own sampling noise shows only across models and repeats (and can make KID slightly negative
    for real-vs-real comparisons, as an unbiased estimate of 0 should). Precision, recall,
    density and coverage are computed at equal set sizes: the larger set is drawn down to the
    smaller one's size with ``seed``.
    """

    def __init__(self, classifier, reference_images: torch.Tensor, *, kid_subset_size: int | None = None, kid_subsets: int = 100, prdc_k: int = DEFAULT_K) -> None:
        self.classifier = classifier
        self.reference_features = torch.as_tensor(classifier.features(reference_images)).detach().cpu().double()
        n_reference = self.reference_features.shape[0]
        if kid_subset_size is None:
            kid_subset_size = min(1000, n_reference)
        if not isinstance(kid_subset_size, int) or not 2 <= kid_subset_size <= n_reference:
            raise ValueError(f"kid_subset_size must be an integer in [2, n_reference] = [2, {n_reference}]; got {kid_subset_size!r}")
        if not isinstance(kid_subsets, int) or kid_subsets < 1:
            raise ValueError(f"kid_subsets must be a positive integer; got {kid_subsets!r}")
        if not isinstance(prdc_k, int) or not 1 <= prdc_k <= n_reference - 1:
            raise ValueError(f"prdc_k must be an integer in [1, n_reference - 1] = [1, {n_reference - 1}]; got {prdc_k!r}")
        self.kid_subset_size = kid_subset_size
        self.kid_subsets = kid_subsets
        self.prdc_k = prdc_k
        self.reference_mu, self.reference_sigma = feature_statistics(self.reference_features)
        self.reference_inception_score = inception_score(classifier.probabilities(reference_images))

    def _features_and_probabilities(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        both = getattr(self.classifier, "features_and_probabilities", None)  # one pass where the classifier offers it
        if both is not None:
            return both(images)
        return self.classifier.features(images), self.classifier.probabilities(images)

    def fid(self, images: torch.Tensor) -> float:
        """FID analogue of ``images`` against the reference images."""
        return frechet_distance(*feature_statistics(self.classifier.features(images)), self.reference_mu, self.reference_sigma)

    def _kid_from_features(self, features: torch.Tensor | np.ndarray, seed: int) -> KID:
        n = len(features)
        if n < self.kid_subset_size:
            raise ValueError(f"KID needs at least kid_subset_size = {self.kid_subset_size} images; got {n}")
        return kernel_inception_distance(self.reference_features, features, subset_size=self.kid_subset_size, n_subsets=self.kid_subsets, seed=seed)

    def _prdc_from_features(self, features: torch.Tensor | np.ndarray, seed: int) -> PRDC:
        n_points = min(len(features), self.reference_features.shape[0])  # equal set sizes (see prdc_metrics)
        return precision_recall_density_coverage(self.reference_features, features, k=self.prdc_k, n_points=n_points, seed=seed)

    def kid(self, images: torch.Tensor, seed: int = 0) -> KID:
        """KID analogue of ``images`` against the reference images (``kid_subsets`` subsets, seeded)."""
        return self._kid_from_features(self.classifier.features(images), seed)

    def prdc(self, images: torch.Tensor, seed: int = 0) -> PRDC:
        """Precision, recall, density and coverage in feature space, both sets drawn to the smaller size with ``seed``."""
        return self._prdc_from_features(self.classifier.features(images), seed)

    def __call__(self, images: torch.Tensor) -> dict[str, float]:
        """``{"inception_score": ..., "fid": ...}`` for a batch of images (any size >= 2)."""
        features, probabilities = self._features_and_probabilities(images)
        return {"inception_score": inception_score(probabilities),
                "fid": frechet_distance(*feature_statistics(features), self.reference_mu, self.reference_sigma)}

    def all_scores(self, images: torch.Tensor, seed: int = 0, *, with_kid: bool = True) -> dict[str, float]:
        """IS, FID, KID (``kid`` and ``kid_std``) and ``precision``, ``recall``, ``density``, ``coverage``: one table row.

        Needs at least ``kid_subset_size`` images (unless ``with_kid=False``, which leaves KID, the
        slowest of them, out); features are computed once.
        """
        features, probabilities = self._features_and_probabilities(images)
        row = {
            "inception_score": inception_score(probabilities),
            "fid": frechet_distance(*feature_statistics(features), self.reference_mu, self.reference_sigma),
        }
        if with_kid:
            kid = self._kid_from_features(features, seed)
            row.update(kid=kid.mean, kid_std=kid.std)
        return {**row, **self._prdc_from_features(features, seed).scores()}
