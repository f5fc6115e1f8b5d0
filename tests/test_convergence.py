"""The flatness criterion of chapter 06 (drs_lib.compare.convergence): it says "flat" for a stationary
chain set, "not flat" for a drifting one, and the run-until-flat continues the same chains."""

from __future__ import annotations

import math

import pytest
import torch

from drs_lib.compare.convergence import ddls_until_flat, energy_drift
from drs_lib.problems.exact_toy import default_toy
from drs_lib.samplers.ddls import ddls_sample

torch.set_num_threads(1)
TOY = default_toy()


def test_a_stationary_trace_is_flat_and_a_drifting_one_is_not():
    g = torch.Generator().manual_seed(0)
    level = torch.randn(1, 2000, generator=g)  # each chain its own level, and small noise per step
    stationary = level + 0.1 * torch.randn(200, 2000, generator=g)
    d = energy_drift(stationary, window=0.25, tolerance=0.05)
    assert d.flat and abs(d.drift) < d.bound < 0.05 and d.n_steps == 200
    drifting = stationary - torch.linspace(0, 0.5, 200)[:, None]  # falls by half the chains' spread
    d = energy_drift(drifting, window=0.25, tolerance=0.05)
    assert not d.flat and d.drift < -0.05
    few = stationary[:, :3]  # three chains: the bound is wide, so flatness is not shown
    assert energy_drift(few, tolerance=0.05).bound > energy_drift(stationary, tolerance=0.05).bound


def test_non_finite_energies_are_never_flat_and_bad_input_is_refused():
    trace = torch.zeros(20, 10)
    trace[-1, 0] = math.inf
    assert not energy_drift(trace).flat
    with pytest.raises(ValueError, match="window"):
        energy_drift(torch.randn(20, 10), window=0.7)
    with pytest.raises(ValueError, match="too short"):
        energy_drift(torch.randn(1, 10))
    with pytest.raises(ValueError, match="max_steps"):
        ddls_until_flat(TOY.generator, TOY.score, 10, 2, step_size=0.1, n_steps=20, max_steps=10, tolerance=0.1)


def test_a_run_continued_from_its_latents_is_one_chain():
    a = ddls_sample(TOY.generator, TOY.score, 50, 2, step_size=0.1, n_steps=10, method="mala", trace=True, rng=1,
                    device="cpu")
    assert a.energy_trace.shape == (11, 50)
    b = ddls_sample(TOY.generator, TOY.score, 50, 2, step_size=0.1, n_steps=10, method="mala", trace=True,
                    initial_latents=a.latents, rng=2, device="cpu")
    assert torch.allclose(b.energy_trace[0], a.energy_trace[-1], atol=1e-4)  # starts where the first ended
    with pytest.raises(ValueError, match="initial_latents"):
        ddls_sample(TOY.generator, TOY.score, 40, 2, initial_latents=a.latents, device="cpu")


def test_until_flat_extends_a_short_run_and_stops_at_the_cap():
    # 2 steps from the prior are far from flat; the cap of 8 allows two doublings and no more
    res, drift = ddls_until_flat(TOY.generator, TOY.score, 300, 2, step_size=0.05, n_steps=2, max_steps=8,
                                 tolerance=0.01, checkpoints=[0, 2], rng=3, device="cpu")
    assert res.n_steps == 8 and res.checkpoints == [0, 2, 4, 8] and not drift.flat
    assert res.energy_trace.shape == (9, 300) and len(res.checkpoint_samples) == 4
    assert 0.0 < res.acceptance_rate <= 1.0
    # a long enough first round is flat at once and is not extended
    res, drift = ddls_until_flat(TOY.generator, TOY.score, 500, 2, step_size=0.2, n_steps=400, max_steps=1600,
                                 tolerance=0.1, rng=4, device="cpu")
    assert drift.flat and res.n_steps == 400
