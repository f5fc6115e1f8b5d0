"""The idealized 1D problem (chapter 1) and the glue/format helpers."""

import math

import numpy as np
import pytest
import torch

from drs_lib.samplers import drs
from drs_lib.problems.ideal import GaussianTargetUniformProposal, ks_test
from drs_book.report import mean_std, plain

PROBLEM = GaussianTargetUniformProposal(half_width=3.0, target_std=1.0)


def test_target_sampler_follows_the_truncated_normal():
    samples = PROBLEM.sample_target(50_000, torch.Generator().manual_seed(0))
    statistic, p_value = ks_test(samples, PROBLEM.target_cdf)
    assert samples.abs().max() <= 3.0
    assert p_value > 1e-3 and statistic < 0.01


def test_optimal_logit_is_log_density_ratio_and_M_is_at_zero():
    x = torch.linspace(-3, 3, 101, dtype=torch.float64)
    expected = np.log(PROBLEM.target_density(x.numpy()) * 6.0)
    assert np.allclose(PROBLEM.optimal_logit(x).numpy(), expected)
    assert PROBLEM.log_M == pytest.approx(float(expected.max()))


def test_exact_rejection_sampling_accepts_one_over_M_and_matches_the_target():
    score = lambda x: PROBLEM.optimal_logit(x[:, 0])  # noqa: E731
    result = drs.drs_sample(PROBLEM.sample_proposal, score, 20_000, d_max=PROBLEM.log_M,
                            gamma_percentile=None, seed=0, device="cpu")
    assert result.acceptance_rate == pytest.approx(math.exp(-PROBLEM.log_M), abs=0.01)
    assert ks_test(result.samples, PROBLEM.target_cdf)[1] > 1e-3
    thresholded = drs.threshold_sample(PROBLEM.sample_proposal, score, 20_000,
                                       acceptance_rate=result.acceptance_rate, seed=0, device="cpu")
    assert ks_test(thresholded.samples, PROBLEM.target_cdf)[0] > 0.05  # the tails are cut off


def test_bad_problem_is_refused():
    with pytest.raises(ValueError, match="must be > 0"):
        GaussianTargetUniformProposal(half_width=0.0)


def test_plain_turns_numpy_and_torch_scalars_into_python_numbers():
    assert type(plain(np.float64(0.5))) is float and type(plain(np.int64(3))) is int
    assert type(plain(torch.tensor(2.5))) is float and plain("text") == "text"
    with pytest.raises(ValueError, match="single-element"):
        plain(torch.zeros(2))


def test_mean_std_uses_the_sample_standard_deviation():
    assert mean_std([1.0, 2.0, 3.0]) == "2.00 ± 1.00"
    with pytest.raises(ValueError, match="at least two"):
        mean_std([1.0])
