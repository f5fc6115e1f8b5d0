"""Precision, recall, density and coverage of a generated sample set against a real one.

One number such as FID cannot tell better sample quality from less diversity; these four
split the two, which is exactly DRS's question (does raising γ buy quality at the price of
modes?). They are computed by ``prdc``, the reference implementation of Naeem et al. (ICML
2020, "Reliable fidelity and diversity metrics for generative models"); this module checks the
inputs, silences the package's progress print, runs its distance computations in the calling
thread, optionally subsamples, and returns floats.

Definitions, with real samples X_1..X_N, generated samples Y_1..Y_M, NND_k(X_i) the distance
from X_i to its k-th nearest other real sample and B(x, r) the open ball:

* precision (Kynkäänniemi et al., NeurIPS 2019, Sec. 2): the fraction of Y_j inside the real
  manifold U_i B(X_i, NND_k(X_i)) -- "are the samples realistic?";
* recall (same paper): the fraction of X_i inside the generated manifold U_j B(Y_j, NND_k(Y_j))
  -- "is the real distribution covered?";
* density (Naeem et al., Sec. 3): (1 / kM) sum_j sum_i 1[Y_j in B(X_i, NND_k(X_i))] -- precision
  that counts how many real neighbourhoods contain each sample (not capped at 1, robust to a
  few real outliers);
* coverage (Naeem et al., Sec. 3): the fraction of X_i whose ball B(X_i, NND_k(X_i)) contains at
  least one Y_j -- recall measured around real samples, robust to fake outliers.

Known answers (used by the tests):

* identical sets (the same points twice): every sample lies in its own ball and each real ball
  holds exactly its own centre and k - 1 neighbours (the k-th lies on the open ball's boundary),
  so precision = recall = coverage = density = 1 exactly (no ties among distances);
* two independent samples of one continuous distribution: E[density] = 1 for every k, N, M
  (a fresh point falls into a given real ball with probability k / N by exchangeability), and
  E[coverage] = 1 - prod_{j=1..k} (N - j) / (N + M - j) -> 1 - 2^-k for N = M
  (``expected_coverage_same_distribution``): a real point is uncovered iff its k nearest
  neighbours among the other N - 1 real and the M fake points are all real.

**Choice of k = 5** (``DEFAULT_K``): the smallest k for which two equal-size samples of the same
distribution have E[coverage] above 0.95 (1 - 2^-5 = 0.969; k = 3 gives 0.875, k = 4 0.938),
so a coverage well below 0.97 means missing regions, not an artefact of small balls. It is the
value Naeem et al. recommend and the one PyTorch-StudioGAN reports (Kynkäänniemi et al. used
k = 3 for precision and recall alone; one k for all four keeps them comparable).

**Set sizes matter**: the balls shrink as a set grows, so recall and coverage depend on N and M.
Compare methods at the same N and M (``n_points`` draws both sets down to one size, seeded).
Cost: ``prdc`` builds three dense distance matrices, O((N + M)^2) memory; sets above
``max_points`` are refused before any work.
"""

from __future__ import annotations

import contextlib
import io
import math
from dataclasses import asdict, dataclass

import numpy as np
import torch

from drs_lib._optional import optional_imports

with optional_imports("metrics"):
    import joblib
    from prdc import compute_prdc

__all__ = ["DEFAULT_K", "MAX_PRDC_POINTS", "PRDC", "precision_recall_density_coverage", "expected_coverage_same_distribution"]

#: Nearest neighbours that define each sample's ball (see the module docstring for why 5).
DEFAULT_K = 5
#: Largest set accepted by default (10,000 points per set: 1.9 GB peak and about 25 s on one busy core).
MAX_PRDC_POINTS = 10_000


@dataclass(frozen=True)
class PRDC:
    """Precision, recall, density and coverage, with the k and set sizes they were computed at."""

    precision: float
    recall: float
    density: float
    coverage: float
    k: int
    n_real: int
    n_fake: int

    def scores(self) -> dict[str, float]:
        """``{"precision", "recall", "density", "coverage"}``: the four numbers, for a table row."""
        return {key: value for key, value in asdict(self).items() if key in ("precision", "recall", "density", "coverage")}


def _as_features(name: str, values: torch.Tensor | np.ndarray) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().double().numpy()
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 2 or array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(f"{name} must have shape (n, d) with n, d >= 1; got {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} holds NaN or infinite values")
    return array


def _draw(array: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    return array[np.sort(rng.choice(array.shape[0], size=n, replace=False))]


def precision_recall_density_coverage(
    real: torch.Tensor | np.ndarray,
    fake: torch.Tensor | np.ndarray,
    k: int = DEFAULT_K,
    *,
    n_points: int | None = None,
    seed: int = 0,
    max_points: int = MAX_PRDC_POINTS,
) -> PRDC:
    """Precision, recall, density and coverage of ``fake`` (M, d) against ``real`` (N, d), by ``prdc``.

    ``n_points``: if given, both sets are first reduced to that many points, drawn without
    replacement with ``numpy.random.default_rng(seed)`` (real first, then fake), so that methods
    are compared at equal set sizes. Raises ``ValueError`` before any work for bad shapes,
    non-finite values, ``k`` outside ``[1, min(N, M) - 1]``, ``n_points`` above a set's size, or a
    set above ``max_points``.
    """
    real_array = _as_features("real", real)
    fake_array = _as_features("fake", fake)
    if real_array.shape[1] != fake_array.shape[1]:
        raise ValueError(f"real and fake must have the same feature dimension; got {real_array.shape} and {fake_array.shape}")
    if n_points is not None:
        if not isinstance(n_points, int) or not 2 <= n_points <= min(len(real_array), len(fake_array)):
            raise ValueError(f"n_points must be an integer in [2, min(N, M)] = [2, {min(len(real_array), len(fake_array))}]; got {n_points!r}")
        rng = np.random.default_rng(seed)
        real_array = _draw(real_array, n_points, rng)
        fake_array = _draw(fake_array, n_points, rng)
    n_real, n_fake = len(real_array), len(fake_array)
    if max(n_real, n_fake) > max_points:
        raise ValueError(
            f"prdc builds dense distance matrices: sets of {n_real:,} real and {n_fake:,} fake points exceed max_points = {max_points:,}; "
            "pass n_points (a few thousand is practical) or raise max_points"
        )
    if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= min(n_real, n_fake) - 1:
        raise ValueError(f"k must be an integer in [1, min(N, M) - 1] = [1, {min(n_real, n_fake) - 1}]; got {k!r}")
    # prdc asks sklearn for pairwise_distances(n_jobs=8): threads whose workers each swap the
    # process-wide warning filters, a race that made sklearn warn onto a book page now and then.
    # joblib's sequential backend makes sklearn compute in this thread: the same numbers, no
    # warnings, and faster on a 2-core machine (benchmarks/bench_metrics.py).
    with contextlib.redirect_stdout(io.StringIO()), joblib.parallel_config(backend="sequential"):  # prdc prints set sizes
        values = compute_prdc(real_features=real_array, fake_features=fake_array, nearest_k=k)
    return PRDC(
        precision=float(values["precision"]),
        recall=float(values["recall"]),
        density=float(values["density"]),
        coverage=float(values["coverage"]),
        k=k,
        n_real=n_real,
        n_fake=n_fake,
    )


def expected_coverage_same_distribution(n_real: int, n_fake: int, k: int = DEFAULT_K) -> float:
    """E[coverage] when real (N) and fake (M) are independent samples of one continuous distribution.

    ``1 - prod_{j=1..k} (N - j) / (N + M - j)``: a real point is uncovered iff its k nearest
    neighbours among the other N - 1 real and the M fake points are all real. The ceiling a
    perfect generator reaches at these set sizes (0.969 for k = 5 and N = M large).
    """
    if not (isinstance(n_real, int) and isinstance(n_fake, int) and isinstance(k, int)) or n_fake < 1 or not 1 <= k <= n_real - 1:
        raise ValueError(f"need integers n_real > k >= 1 and n_fake >= 1; got n_real={n_real!r}, n_fake={n_fake!r}, k={k!r}")
    return 1.0 - math.prod((n_real - j) / (n_real + n_fake - j) for j in range(1, k + 1))
