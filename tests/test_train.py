"""GAN training, KeepTraining and fit_discriminator: batched = single seed, early stopping, cache, errors."""

import pytest
import torch

from drs_book.cache import ModelCache
from drs_lib.problems.data import data_spec, make_sampler
from drs_lib.nets.models import StackedMLP, mlp
from drs_book.cached_training import gan_config, keep_training_config, load_or_keep_train, load_or_train_gan
from drs_lib.training.keep_training import fit_discriminator, keep_training_discriminator
from drs_lib.training.train import train_gan

torch.set_num_threads(1)
MIXTURE = make_sampler(data_spec("mixture"))
SMALL = dict(hidden=32, batch_size=64, chunk_steps=10, lr_g=1e-3, lr_d=1e-3)


def _close(a: StackedMLP, s: int, b: StackedMLP, t: int, tol: float) -> None:
    for wa, wb in zip(list(a.weights) + list(a.biases), list(b.weights) + list(b.biases)):
        assert torch.allclose(wa[s], wb[t], atol=tol, rtol=0), (wa[s] - wb[t]).abs().max()


def test_member_is_the_stacked_model():
    stack = StackedMLP((2, 16, 16, 1), [torch.Generator().manual_seed(i) for i in range(3)])
    x = torch.randn(3, 50, 2)
    y = stack(x)
    for s in range(3):
        assert torch.allclose(stack.member(s)(x[s]), y[s], atol=1e-6)
    # Same generator state gives the same initial model alone or stacked.
    alone = StackedMLP((2, 16, 16, 1), [torch.Generator().manual_seed(1)])
    _close(stack, 1, alone, 0, 0.0)
    plain = mlp((2, 16, 16, 1), torch.Generator().manual_seed(1))
    assert torch.allclose(plain(x[1]), alone.member(0)(x[1]), atol=1e-6)


def test_batched_training_equals_single_seed_training():
    stacked = train_gan(MIXTURE, [0, 1, 2], steps=30, **SMALL)
    alone = train_gan(MIXTURE, [1], steps=30, **SMALL)
    _close(stacked.generator, 1, alone.generator, 0, 1e-4)
    _close(stacked.discriminator, 1, alone.discriminator, 0, 1e-4)
    assert torch.allclose(stacked.history["loss_d"][:, 1], alone.history["loss_d"][:, 0], atol=1e-4)
    other = train_gan(MIXTURE, [5], steps=30, **SMALL)
    assert not torch.allclose(other.generator.weights[0][0], alone.generator.weights[0][0])


def test_checkpoints_are_prefixes_of_the_run():
    long = train_gan(MIXTURE, [0, 1], steps=40, checkpoints=[20], **SMALL)
    short = train_gan(MIXTURE, [0, 1], steps=20, **SMALL)
    g, d = long.at(20)
    for s in range(2):
        _close(g, s, short.generator, s, 1e-6)
        _close(d, s, short.discriminator, s, 1e-6)
    with pytest.raises(KeyError, match="available"):
        long.at(10)


def test_keep_training_improves_validation_loss_and_is_batched_exactly():
    gan = train_gan(MIXTURE, [0, 1], steps=40, **SMALL)
    options = dict(max_steps=200, batch_size=64, lr=1e-3, validation_size=2000, eval_every=20, patience=3, chunk_steps=10)
    both = keep_training_discriminator(gan.generator, gan.discriminator, MIXTURE, [0, 1], **options)
    assert (both.best_loss < both.initial_loss).all()
    assert both.history_loss.shape[1] == 2 and both.history_step[0] == 0
    single = keep_training_discriminator(gan.generator.select([1]), gan.discriminator.select([1]), MIXTURE, [1], **options)
    _close(both.discriminator, 1, single.discriminator, 0, 1e-4)
    # The input discriminator is not modified.
    _close(gan.discriminator, 0, train_gan(MIXTURE, [0, 1], steps=40, **SMALL).discriminator, 0, 1e-6)


def test_keep_training_early_stops_and_keeps_the_best_discriminator():
    gan = train_gan(MIXTURE, [0], steps=20, **SMALL)
    # A learning rate so small that nothing improves: stops after `patience` evaluations, returns D unchanged.
    stuck = keep_training_discriminator(gan.generator, gan.discriminator, MIXTURE, [0], max_steps=1000,
                                        lr=1e-12, batch_size=32, validation_size=500, eval_every=10, patience=2)
    if int(stuck.best_step[0]) == 0:
        _close(stuck.discriminator, 0, gan.discriminator, 0, 0.0)
    assert int(stuck.stopped_step[0]) < 1000
    # A huge learning rate makes the loss jump: the best state is the one before that.
    wild = keep_training_discriminator(gan.generator, gan.discriminator, MIXTURE, [0], max_steps=300,
                                       lr=1.0, batch_size=32, validation_size=500, eval_every=10, patience=2)
    assert float(wild.best_loss[0]) == pytest.approx(float(wild.history_loss[:, 0].min()))


def test_fit_discriminator_1d_recovers_log_density_ratio():
    torch.manual_seed(0)
    net = mlp((1, 32, 32, 1), torch.Generator().manual_seed(0))
    real = lambda n, rng: torch.randn(n, 1, generator=rng)  # noqa: E731  N(0, 1)
    fake = lambda n, rng: torch.randn(n, 1, generator=rng) + 1.0  # noqa: E731  N(1, 1)
    result = fit_discriminator(net, real, fake, steps=1500, lr=3e-3, batch_size=512, seed=0,
                               validation_size=4000, patience=5, eval_every=50)
    assert result.best_loss < result.initial_loss
    x = torch.linspace(-1.0, 2.0, 31).unsqueeze(1)
    with torch.no_grad():
        logit = net(x).reshape(-1)
    exact = 0.5 - x.reshape(-1)  # log N(x; 0, 1) − log N(x; 1, 1)
    assert (logit - exact).abs().max() < 0.35
    assert result.history_step[0] == 0 and len(result.history_loss) == len(result.history_step)


def test_cache_trains_once_and_reuses(tmp_path):
    cache = ModelCache(tmp_path)
    config = gan_config(data_spec("mixture"), [0, 1], steps=20, checkpoints=[10], **SMALL)
    first = load_or_train_gan(cache, config)
    second = load_or_train_gan(cache, gan_config(data_spec("mixture", spacing=2), [0, 1], steps=20,
                                                 checkpoints=[10], **{**SMALL, "lr_d": 0.001}))
    assert (cache.misses, cache.hits) == (1, 1)
    _close(first.generator, 1, second.generator, 1, 0.0)
    kt = keep_training_config(config, 10, max_steps=40, validation_size=500, eval_every=20, batch_size=32)
    a = load_or_keep_train(cache, kt, second)
    b = load_or_keep_train(cache, kt, second)
    assert (cache.misses, cache.hits) == (2, 2)
    _close(a.discriminator, 0, b.discriminator, 0, 0.0)
    with pytest.raises(ValueError, match="checkpoint"):
        keep_training_config(config, 7)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(steps=0), "steps"),
        (dict(lr_g=-1.0), "lr_g"),
        (dict(batch_size=1.5), "batch_size"),
        (dict(betas=(0.5, 1.0)), "betas"),
        (dict(checkpoints=[50]), "checkpoints"),
    ],
)
def test_train_gan_rejects_bad_values(kwargs, match):
    with pytest.raises(ValueError, match=match):
        train_gan(MIXTURE, [0], **{"steps": 10, **kwargs})


def test_bad_seeds_and_options_are_refused():
    with pytest.raises(ValueError, match="distinct"):
        train_gan(MIXTURE, [0, 0], steps=1)
    with pytest.raises(ValueError, match="at least one"):
        train_gan(MIXTURE, [], steps=1)
    with pytest.raises(ValueError, match="unknown train_gan option"):
        gan_config(data_spec("mixture"), [0], learning_rate=1e-3)
    gan = train_gan(MIXTURE, [0], steps=2, **SMALL)
    with pytest.raises(ValueError, match="seeds"):
        keep_training_discriminator(gan.generator, gan.discriminator, MIXTURE, [0, 1], max_steps=1)
    with pytest.raises(ValueError, match="patience"):
        keep_training_discriminator(gan.generator, gan.discriminator, MIXTURE, [0], patience=0)
