"""Both image GANs train exactly as they did before they shared one hinge-loss loop.

``drs_lib.training.train_images.train_gan`` (chapters 04-05) and ``drs_lib.training.conditional_gan.train_conditional_gan``
(chapter 07) each held a copy of the same hinge-loss loop until it became
``drs_lib.training.train_images.train_hinge_gan``. ``_loop_before_sharing`` below is that loop as it stood
in both functions (the two copies differed only in the label argument and the latent's shape). This
test was first run against the library *before* the loop was shared, where it compared the reference
with the original copies, so its passing now means the cached models did not change: bit-identical
weights, loss histories and global random state. (State checksums taken on the development machine,
before and after, also agree; they are not asserted here because convolution kernels may round
differently on other CPUs.)
"""

from __future__ import annotations

import torch
import torch.nn.functional as nnf

from drs_lib.training import conditional_gan, train_images
from drs_lib.training.conditional_gan import ConditionalGenerator, ProjectionDiscriminator
from drs_lib.nets.convnets import Discriminator, Generator
from drs_lib.problems.digits import ImageDataset

DEVICE = torch.device("cpu")


def _tiny_data() -> ImageDataset:
    rng = torch.Generator().manual_seed(1)
    return ImageDataset("tiny", torch.rand(40, 1, 8, 8, generator=rng) * 2 - 1, torch.arange(40) % 4, 4)


def _loop_before_sharing(G, D, train: ImageDataset, config: dict, generator_rng: torch.Generator, conditional: bool):
    """The pre-refactor training loop (weights and history; the timing is left out)."""
    betas = tuple(config["betas"])
    opt_g = torch.optim.Adam(G.parameters(), lr=config["lr_g"], betas=betas)
    opt_d = torch.optim.Adam(D.parameters(), lr=config["lr_d"], betas=betas)
    images, labels = train.images.to(DEVICE), train.labels.to(DEVICE)
    batch_size = config["batch_size"]
    history = {"step": [], "loss_d": [], "loss_g": []}
    log_every = max(config["steps"] // 50, 1)
    cond = (lambda index: (labels[index],)) if conditional else (lambda index: ())
    z_shape = (batch_size, config["z_dim"], 1, 1) if conditional else (batch_size, config["z_dim"])
    for step in range(config["steps"]):
        index = torch.randint(0, len(train), (batch_size,), generator=generator_rng).to(DEVICE)
        real, extra = images[index], cond(index)
        z = torch.randn(*z_shape, generator=generator_rng).to(DEVICE)
        fake = G(z, *extra)
        loss_d = nnf.relu(1.0 - D(real, *extra)).mean() + nnf.relu(1.0 + D(fake.detach(), *extra)).mean()
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        loss_g = -D(fake, *extra).mean()
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        if step % log_every == 0 or step == config["steps"] - 1:
            history["step"].append(step)
            history["loss_d"].append(float(loss_d.detach()))
            history["loss_g"].append(float(loss_g.detach()))
    return {"generator": G.state_dict(), "discriminator": D.state_dict(), "history": history}


def _assert_identical(library: dict, reference: dict) -> None:
    assert library["history"] == reference["history"]
    for part in ("generator", "discriminator"):
        assert library[part].keys() == reference[part].keys()
        for key, value in library[part].items():
            assert torch.equal(value, reference[part][key].cpu()), f"{part}.{key} differs"


def test_unconditional_hinge_gan_is_bit_identical_to_the_loop_before_sharing():
    train = _tiny_data()
    config = {**train_images.DEFAULT_GAN, "steps": 4, "width": 4, "batch_size": 8, "z_dim": 8}
    with torch.random.fork_rng(devices=[]):
        library = train_images.train_gan(train, config, DEVICE)
        library_state = torch.get_rng_state()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config["seed"])  # as train_gan seeds and builds its models
        generator_rng = torch.Generator().manual_seed(config["seed"])
        G = Generator(train.image_shape, config["z_dim"], config["width"], config["attention"])
        D = Discriminator(train.image_shape, config["width"], config["attention"])
        reference = _loop_before_sharing(G, D, train, config, generator_rng, conditional=False)
        reference_state = torch.get_rng_state()
    _assert_identical(library, reference)
    assert torch.equal(library_state, reference_state)


def test_conditional_hinge_gan_is_bit_identical_to_the_loop_before_sharing():
    train = _tiny_data()
    config = {**conditional_gan.DEFAULT_CONDITIONAL_GAN, "steps": 4, "width": 4, "batch_size": 8, "z_dim": 8}
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(123)
        library = conditional_gan.train_conditional_gan(train, config, DEVICE)
        library_state = torch.get_rng_state()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(123)
        generator_rng = torch.Generator().manual_seed(config["seed"])
        with torch.random.fork_rng(devices=[]):  # as train_conditional_gan builds its models
            torch.manual_seed(config["seed"])
            G = ConditionalGenerator(train.n_classes, train.image_shape, config["z_dim"], config["width"], config["embed_dim"])
            D = ProjectionDiscriminator(train.n_classes, train.image_shape, config["width"])
        reference = _loop_before_sharing(G, D, train, config, generator_rng, conditional=True)
        reference_state = torch.get_rng_state()
    _assert_identical(library, reference)
    assert torch.equal(library_state, reference_state)
