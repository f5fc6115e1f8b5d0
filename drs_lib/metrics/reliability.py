"""Calibration of a classifier: reliability diagram, expected calibration error, saturation.

The IS and FID analogues (:mod:`drs_lib.metrics.scores`) and the paper's Figure 2B read a
classifier's ``max_j p(y_j | x)``. If the classifier is over-confident, that number saturates
near 1 for real and generated images alike and can hardly separate accepted from rejected
samples. This module measures that on held-out real images with known labels:

* :func:`reliability_bins`: the reliability diagram (Guo et al., ICML 2017, "On Calibration of
  Modern Neural Networks"): the predictions are grouped by their confidence ``max_j p`` into
  ``n_bins`` equal-width bins on [0, 1]; for each bin, its mean confidence and its accuracy;
* :func:`expected_calibration_error`: ECE = Σ_b (n_b / n) · |accuracy_b − confidence_b|;
* :func:`calibration_report`: both, plus the accuracy, the mean confidence and the share of
  predictions above a saturation ``level`` (default 0.99).

All ours (a dozen lines of numpy); ``torchmetrics``' calibration error needs the same binning
and hides the bins, which the diagram needs. A confidence of exactly 0 falls in the first bin,
of exactly 1 in the last.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from drs_lib.checks import check_float, check_int

__all__ = ["ReliabilityBins", "reliability_bins", "expected_calibration_error", "CalibrationReport",
           "calibration_report"]


def _inputs(probabilities, labels) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(probabilities.detach().cpu() if isinstance(probabilities, torch.Tensor) else probabilities,
                   dtype=np.float64)
    y = np.asarray(labels.detach().cpu() if isinstance(labels, torch.Tensor) else labels).ravel()
    if p.ndim != 2 or p.shape[0] == 0 or p.shape[1] < 2:
        raise ValueError(f"probabilities: got shape {p.shape}; allowed: (n, n_classes) with n >= 1, n_classes >= 2")
    if y.shape[0] != p.shape[0]:
        raise ValueError(f"labels: got {y.shape[0]} labels for {p.shape[0]} rows of probabilities")
    if not np.isfinite(p).all() or (p < 0).any() or not np.allclose(p.sum(axis=1), 1.0, atol=1e-4):
        raise ValueError("probabilities: every row must be finite, non-negative and sum to 1")
    if not np.issubdtype(y.dtype, np.integer) or (y < 0).any() or (y >= p.shape[1]).any():
        raise ValueError(f"labels: integers in [0, {p.shape[1] - 1}] are required")
    return p, y


@dataclass(frozen=True)
class ReliabilityBins:
    """A reliability diagram: per confidence bin, its edges, size, mean confidence and accuracy (NaN if empty)."""

    edges: np.ndarray
    counts: np.ndarray
    confidence: np.ndarray
    accuracy: np.ndarray


def reliability_bins(probabilities, labels, n_bins: int = 10) -> ReliabilityBins:
    """Group predictions by confidence ``max_j p`` into ``n_bins`` equal bins on [0, 1]."""
    check_int("n_bins", n_bins, minimum=1)
    p, y = _inputs(probabilities, labels)
    confidence = p.max(axis=1)
    correct = (p.argmax(axis=1) == y).astype(np.float64)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    index = np.clip(np.searchsorted(edges, confidence, side="right") - 1, 0, n_bins - 1)
    counts = np.bincount(index, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_confidence = np.bincount(index, weights=confidence, minlength=n_bins) / counts
        accuracy = np.bincount(index, weights=correct, minlength=n_bins) / counts
    return ReliabilityBins(edges, counts, mean_confidence, accuracy)


def expected_calibration_error(probabilities, labels, n_bins: int = 10) -> float:
    """ECE = Σ_b (n_b / n) |accuracy_b − confidence_b| over the non-empty bins (Guo et al. 2017)."""
    bins = reliability_bins(probabilities, labels, n_bins)
    filled = bins.counts > 0
    weights = bins.counts[filled] / bins.counts.sum()
    return float(np.sum(weights * np.abs(bins.accuracy[filled] - bins.confidence[filled])))


@dataclass(frozen=True)
class CalibrationReport:
    """How well calibrated, and how saturated, a classifier's confidence is on labelled images."""

    n: int
    accuracy: float
    mean_confidence: float
    ece: float
    level: float
    share_above_level: float
    """Share of predictions whose confidence ``max_j p`` exceeds ``level``."""
    bins: ReliabilityBins


def calibration_report(probabilities, labels, n_bins: int = 10, level: float = 0.99) -> CalibrationReport:
    """Accuracy, mean confidence, ECE, the share of confidences above ``level`` and the bins."""
    check_float("level", level, minimum=0.0, maximum=1.0)
    p, y = _inputs(probabilities, labels)
    confidence = p.max(axis=1)
    return CalibrationReport(
        n=int(len(y)), accuracy=float((p.argmax(axis=1) == y).mean()), mean_confidence=float(confidence.mean()),
        ece=expected_calibration_error(p, y, n_bins), level=float(level),
        share_above_level=float((confidence > level).mean()), bins=reliability_bins(p, y, n_bins))
