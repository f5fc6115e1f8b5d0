"""Precision, recall, density and coverage (``prdc`` through drs_lib.metrics.prdc_metrics): known answers."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from drs_lib.metrics.prdc_metrics import DEFAULT_K, expected_coverage_same_distribution, precision_recall_density_coverage

torch.set_num_threads(1)

GRID = np.stack(np.meshgrid(np.arange(-4.0, 5.0, 2.0), np.arange(-4.0, 5.0, 2.0)), axis=-1).reshape(-1, 2)  # 25 modes
STD = 0.05


def _mixture(n, seed, modes=None):
    rng = np.random.default_rng(seed)
    index = rng.integers(0, len(GRID), n) if modes is None else np.full(n, modes)
    return GRID[index] + STD * rng.normal(size=(n, 2))


def test_identical_sets_give_exactly_one_for_all_four():
    """Each sample lies in its own ball, and each real ball holds its centre and k - 1 neighbours."""
    x = _mixture(1000, seed=0)
    for fake in (x, x.copy(), torch.tensor(x)):
        result = precision_recall_density_coverage(x, fake)
        assert (result.precision, result.recall, result.coverage) == (1.0, 1.0, 1.0)  # no tie near: exact
        # Density counts d(y_j, x_i) <= r_i, and against itself each radius r_i is also a cross
        # distance: a tie that the last bit of a BLAS dot product decides, which differs between
        # OpenBLAS kernels. Each tie is 1 / (k n) = 1/5000; allow 10.
        assert result.density == pytest.approx(1.0, abs=10 / (DEFAULT_K * 1000))
        assert (result.k, result.n_real, result.n_fake) == (DEFAULT_K, 1000, 1000)


def test_two_samples_of_one_distribution_match_the_expected_density_and_coverage():
    n = 2000
    real, fake = _mixture(n, seed=1), _mixture(n, seed=2)
    result = precision_recall_density_coverage(real, fake)
    expected = expected_coverage_same_distribution(n, n, DEFAULT_K)
    assert expected == pytest.approx(1 - 2**-5, abs=2e-3)
    assert result.coverage == pytest.approx(expected, abs=0.015)  # sd of the mean about 0.004
    assert result.density == pytest.approx(1.0, abs=0.05)  # E[density] = 1 exactly
    assert result.precision > 0.97 and result.recall > 0.97


def test_collapsed_set_keeps_precision_and_loses_recall_and_coverage():
    """All generated samples in one of 25 modes: realistic (precision, density near 1) but the
    other 24 modes are missed, so recall and coverage fall to about 1/25."""
    real, fake = _mixture(2000, seed=3), _mixture(2000, seed=4, modes=12)
    result = precision_recall_density_coverage(real, fake)
    assert result.precision > 0.95
    assert result.density == pytest.approx(1.0, abs=0.2)
    assert 0.01 < result.recall < 0.08
    assert 0.01 < result.coverage < 0.08


def test_shifted_set_has_no_precision():
    """Shifted by half the grid spacing (20 std): no sample lies near a real one."""
    real = _mixture(1500, seed=5)
    fake = _mixture(1500, seed=6) + np.array([1.0, 0.0])
    result = precision_recall_density_coverage(real, fake)
    assert result.precision < 0.01 and result.density < 0.01
    assert result.recall < 0.01 and result.coverage < 0.01


def test_subsampling_to_equal_sizes_is_seeded():
    real, fake = _mixture(600, seed=7), _mixture(900, seed=8)
    a = precision_recall_density_coverage(real, fake, n_points=300, seed=1)
    b = precision_recall_density_coverage(real, fake, n_points=300, seed=1)
    c = precision_recall_density_coverage(real, fake, n_points=300, seed=2)
    assert a == b and a != c
    assert (a.n_real, a.n_fake) == (300, 300)
    assert set(a.scores()) == {"precision", "recall", "density", "coverage"}


def test_expected_coverage_by_hand():
    # two real points, one fake: x1 is covered iff the fake is nearer to x1 than x2 is (prob 1/2)
    assert expected_coverage_same_distribution(2, 1, 1) == pytest.approx(0.5)
    assert expected_coverage_same_distribution(10**6, 10**6, 3) == pytest.approx(1 - 2**-3, abs=1e-5)
    with pytest.raises(ValueError, match="n_real > k"):
        expected_coverage_same_distribution(5, 5, 5)


def test_bad_input_is_refused_before_work():
    x = _mixture(50, seed=9)
    with pytest.raises(ValueError, match="same feature dimension"):
        precision_recall_density_coverage(x, np.ones((50, 3)))
    with pytest.raises(ValueError, match="k must be"):
        precision_recall_density_coverage(x, x[:5], k=5)
    with pytest.raises(ValueError, match="NaN"):
        precision_recall_density_coverage(x, np.full((50, 2), np.nan))
    with pytest.raises(ValueError, match="n_points"):
        precision_recall_density_coverage(x, x, n_points=51)
    with pytest.raises(ValueError, match="max_points"):
        precision_recall_density_coverage(x, x, max_points=40)
    with pytest.raises(ValueError, match="shape"):
        precision_recall_density_coverage(x[:, 0], x)


def test_no_sklearn_thread_warning_even_with_empty_warning_filters():
    """prdc's pairwise_distances(n_jobs=8) ran in sklearn's worker threads, which warn when the warning
    filters they are handed are empty (their swaps of the global filters race); the warning then
    showed on a book page. The distances now run in the calling thread."""
    import warnings

    x = np.random.default_rng(0).normal(size=(300, 64))
    y = np.random.default_rng(1).normal(size=(300, 64))
    with warnings.catch_warnings(record=True) as caught:
        warnings.resetwarnings()
        precision_recall_density_coverage(x, y)
    assert [str(w.message) for w in caught] == []
