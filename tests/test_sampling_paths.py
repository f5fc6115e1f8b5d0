"""The public sampling paths against each other (issue 26): each is the judged-batch stream consumed
until n are accepted, so where two are meant to give the same samples they must (within float
tolerance: portable across CPUs and BLAS builds). Their exact samples are pinned in tests/test_sample_pins.py."""

import inspect
import itertools

import pytest
import torch

from drs_lib.api import DRS, distributed, shards
from drs_lib.nets.models import mlp
from drs_lib.samplers import drs

torch.set_num_threads(1)

N, BATCH = 650, 200


def models():
    G = mlp((2, 16, 2), torch.Generator().manual_seed(0))
    D = mlp((2, 16, 1), torch.Generator().manual_seed(1))
    with torch.no_grad():
        D[-1].weight.mul_(20)  # logits spread over a few units, so that D̃_M moves while sampling
    return G, D


def callables(G, D):
    return (lambda n, rng: G(torch.randn(n, 2, generator=rng, device=rng.device))), (lambda x: D(x).reshape(-1))


def close(a, b):
    return a.shape == b.shape and torch.allclose(a, b, rtol=1e-6, atol=1e-6)


@torch.no_grad()
def first_accepted(batches, n):
    """The first n accepted proposals of a judged-batch stream, consumed by hand."""
    kept, drawn = [], 0
    while sum(k.shape[0] for k in kept) < n:
        batch = next(batches)
        kept.append(batch.proposals[batch.keep])
        drawn += batch.logits.numel()
    return torch.cat(kept)[:n], drawn


@pytest.mark.parametrize("update_max", [True, False])
@pytest.mark.parametrize("percentile", [95.0, None])
def test_drs_sample_is_the_batch_stream_consumed(update_max, percentile):
    generate, score = callables(*models())
    result = drs.drs_sample(generate, score, N, d_max=0.5, gamma_percentile=percentile, batch_size=BATCH,
                            update_max=update_max, seed=7, device="cpu")
    by_hand, drawn = first_accepted(
        drs.drs_batches(generate, score, d_max=0.5, rng=torch.Generator().manual_seed(7), gamma_percentile=percentile,
                        batch_size=BATCH, update_max=update_max), N)
    assert result.samples.shape[0] == N
    assert close(result.samples, by_hand)
    assert result.proposals == drawn
    assert result.proposals_used <= result.proposals
    assert result.gammas.shape == (drawn // BATCH,)
    if percentile is None:
        assert torch.all(result.gammas == 0)


@pytest.mark.parametrize("seed", [0, 4])
def test_api_sample_and_stream_are_drs_sample(seed):
    G, D = models()
    sampler = DRS(G, D, latent=(2,), device="cpu", batch_size=BATCH, gamma_percentile=50.0)
    calibration = sampler.calibrate(300, seed=0)
    core = drs.drs_sample(*callables(G, D), N, d_max=calibration.d_max, gamma_percentile=50.0, batch_size=BATCH,
                          seed=seed, device="cpu")
    samples = sampler.sample(N, seed=seed)
    assert close(samples.x, core.samples)
    assert close(samples.logits.double(), core.logits.double())
    assert samples.proposals == core.proposals
    assert samples.max_updates == core.max_updates
    stream = sampler.stream(N, chunk_size=97, seed=seed)
    chunks = list(stream)
    assert [c.x.shape[0] for c in chunks] == [97] * 6 + [N - 6 * 97]
    assert close(torch.cat([c.x for c in chunks]), samples.x)
    assert (stream.proposals, stream.accepted) == (samples.proposals, samples.accepted)


@pytest.mark.parametrize("update_max", [True, False])
def test_shards_are_the_numbered_batches_consumed(tmp_path, update_max):
    G, D = models()
    sampler = DRS(G, D, latent=(2,), device="cpu", batch_size=BATCH, gamma_percentile=50.0, update_max=update_max)
    sampler.calibrate(300, seed=0, numbered=True)
    result = shards.sample_to_folder(sampler, N, tmp_path / "out", seed=3, shard_size=90)
    written = shards.read_folder(tmp_path / "out")
    rounds = distributed.numbered_batches(sampler._proposer(None), sampler._scorer(), d_max=sampler.calibration.d_max,
                                          seed=3, device=torch.device("cpu"), where=distributed.world(),
                                          gamma_percentile=50.0, batch_size=BATCH, update_max=update_max)
    kept, drawn = [], 0
    while sum(k.shape[0] for k in kept) < N:
        (batch,) = next(rounds)
        kept.append(batch.proposals)
        drawn += batch.size
    assert close(written.x, torch.cat(kept)[:N])
    assert result.samples == N and result.proposals == drawn


def test_threshold_sample_keeps_the_logits_above_its_threshold():
    generate, score = callables(*models())
    result = drs.threshold_sample(generate, score, N, acceptance_rate=0.3, burn_in_samples=400, batch_size=BATCH,
                                  seed=5, device="cpu")
    assert result.samples.shape[0] == N
    assert torch.all(result.logits >= result.threshold)
    assert close(score(result.samples).double(), result.logits.double())
    assert 0.15 < result.acceptance_rate < 0.45  # asked for 0.3; a few hundred proposals of sampling noise
    assert result.proposals_used <= result.proposals


def test_every_path_draws_through_the_one_loop(tmp_path, monkeypatch):
    """drs_sample, DRS.sample and sample_to_folder all consume the core's one sampling loop, drs._judged."""
    callers = []
    loop = drs._judged

    def counted(*args, **kwargs):
        callers.append(inspect.stack()[1].function)
        return loop(*args, **kwargs)

    monkeypatch.setattr(drs, "_judged", counted)
    G, D = models()
    drs.drs_sample(*callables(G, D), 50, burn_in_samples=100, batch_size=BATCH, device="cpu")
    sampler = DRS(G, D, latent=(2,), device="cpu", batch_size=BATCH, gamma_percentile=50.0)
    sampler.calibrate(100, seed=0, numbered=True)
    sampler.sample(50)
    shards.sample_to_folder(sampler, 50, tmp_path / "out", shard_size=50)
    assert callers == ["drs_batches", "drs_batches", "numbered_batches"]


def test_a_batch_is_judged_against_the_running_maximum_up_to_itself_in_its_round():
    """Over W processes a round's batch maxima are shared: batch k of the round is judged against the
    maximum over the batches up to k, and the next round starts from the maximum over the whole round."""
    generate, score = callables(*models())
    others = iter([50.0, -50.0])  # the next rank's batch maxima, round by round (logits here are a few units)
    judged = drs._judged(generate, score, -20.0, itertools.repeat(torch.Generator().manual_seed(0)), 50.0,
                         drs.EPSILON, BATCH, True, lambda mine: ([mine, next(others)], 0))
    first, second = next(judged), next(judged)
    own = float(first.logits.max())
    assert (first.d_max_before, first.d_max) == (-20.0, own)  # judged before the next rank's 50 counts
    assert (second.d_max_before, second.d_max) == (50.0, 50.0)  # but carried on
    assert (first.max_updates, second.max_updates) == (2, 2)
    assert first.max_increase == (own + 20.0) + (50.0 - own)
