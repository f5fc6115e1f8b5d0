"""Image sampling and scoring speed: the digits generator's upsampling and the classifier's passes.

    .venv/bin/python benchmarks/bench_images.py [--batch 8192] [--repeats 5] [--threads N]

On untrained networks of the book's digits size (the generator, critic and classifier of
:mod:`drs_lib.nets.convnets` at the sizes of ``DEFAULT_GAN`` and ``DEFAULT_CLASSIFIER``, one batch of ``--batch`` latents, as
``TrainedGAN.decode`` draws them):

* **Generator forward** with :class:`~drs_lib.nets.convnets.NearestUpsample2x` against a **peer**,
  the same network with torch's ``nn.Upsample(scale_factor=2, mode="nearest")`` (what it used
  before); both give the same samples to the bit (checked here). Beside them what a DRS sampler
  cannot avoid per proposal, one generator and one critic forward (``G + D``), with its arithmetic
  rate (convolutions and matrix products counted by ``torch.utils.flop_counter``) against the
  **floor** rate of one 2048 x 2048 matrix product on the same machine: the ratio says how far the
  small convolutions of 8 x 8 images sit from what the cores can do.
* **Scoring a set** (IS, FID, PRDC without KID, ``ClassifierScores.all_scores``) with the
  classifier's one-pass ``features_and_probabilities`` against the two passes it replaced.
* **A training step** of one digits GAN (:func:`drs_lib.training.train_images.train_gan`, batch 64,
  timed over ``--train-steps`` steps) against its **floor**: the step's arithmetic (forward and
  backward of both players, counted by ``torch.utils.flop_counter``) at the 2048² matmul's rate.
  The ratio is the room there is in training the image models, which is most of chapters 04 and 07.
* **Stacking as grouped convolutions**: every convolution of that training step (shapes recorded
  from one step), forward and backward, for one model and for ``--stack`` models as the groups of
  one grouped convolution (how a chapter's GANs would train as one stack, as the 25-Gaussian GANs
  do with batched matrix products). The ratio of the grouped time to ``--stack`` separate calls is
  what stacking could save on the step's largest part.

Each entry is the median over ``--repeats`` runs, timed in turn so that drifting load hits all
alike. Timings on a shared machine are noisy: run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as nnf
from torch.utils.flop_counter import FlopCounterMode

from matmul_floor import record_ops  # benchmarks/, the script's folder

from drs_lib.metrics.scores import ClassifierScores
from drs_lib.nets.convnets import Classifier, Discriminator, Generator, NearestUpsample2x
from drs_lib.training.train_images import DEFAULT_CLASSIFIER, DEFAULT_GAN, TrainedClassifier, load_split, train_gan


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _with_torch_upsampling(G: Generator) -> Generator:
    slow = Generator(G.image_shape, G.z_dim, DEFAULT_GAN["width"], DEFAULT_GAN["attention"])
    slow.load_state_dict(G.state_dict())
    slow.body = torch.nn.Sequential(*[torch.nn.Upsample(scale_factor=2, mode="nearest") if isinstance(m, NearestUpsample2x)
                                      else m for m in slow.body])
    return slow.eval()


class _TwoPasses:
    """The classifier as scoring used it before: features and probabilities from separate passes."""

    def __init__(self, trained: TrainedClassifier) -> None:
        self.features, self.probabilities = trained.features, trained.probabilities


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=8192)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--train-steps", type=int, default=200)
    parser.add_argument("--stack", type=int, default=5, help="models per stack in the grouped-convolution timing")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    G = Generator(z_dim=DEFAULT_GAN["z_dim"], width=DEFAULT_GAN["width"], attention=DEFAULT_GAN["attention"]).eval()
    D = Discriminator(width=DEFAULT_GAN["width"], attention=DEFAULT_GAN["attention"]).eval()
    slow = _with_torch_upsampling(G)
    z = torch.randn(args.batch, G.z_dim, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        same = torch.equal(G(z), slow(z))
        runs = {"fast": [], "torch": [], "G+D": []}
        for _ in range(args.repeats):
            runs["torch"].append(_timed(lambda: slow(z)))
            runs["fast"].append(_timed(lambda: G(z)))
            runs["G+D"].append(_timed(lambda: D(G(z))))
        with FlopCounterMode(display=False) as counter:
            D(G(z))
        a = torch.randn(2048, 2048)
        a @ a
        matmul = statistics.median(_timed(lambda: a @ a) for _ in range(args.repeats))
    median = {k: statistics.median(v) for k, v in runs.items()}
    rate = counter.get_total_flops() / median["G+D"] / 1e9
    matmul_rate = 2 * 2048**3 / matmul / 1e9
    print(f"threads {torch.get_num_threads()}, batch {args.batch}, median of {args.repeats}")
    print(f"generator forward, torch upsampling (peer)  {median['torch'] * 1e3:8.1f} ms")
    print(f"generator forward, NearestUpsample2x        {median['fast'] * 1e3:8.1f} ms  "
          f"({median['torch'] / median['fast']:.2f}x faster; same samples to the bit: {same})")
    print(f"G + D forward (what a DRS proposal costs)   {median['G+D'] * 1e3:8.1f} ms  "
          f"({counter.get_total_flops() / 1e9:.1f} GFLOP at {rate:.0f} GFLOP/s; a 2048² matmul runs at "
          f"{matmul_rate:.0f}, {matmul_rate / rate:.1f}x faster)")

    model = Classifier(width=DEFAULT_CLASSIFIER["width"], feature_dim=DEFAULT_CLASSIFIER["feature_dim"]).eval()
    trained = TrainedClassifier(model=model, holdout_accuracy=float("nan"), train_seconds=0.0)
    with torch.no_grad():
        reference = G(torch.randn(1000, G.z_dim, generator=torch.Generator().manual_seed(2)))
        images = G(torch.randn(5000, G.z_dim, generator=torch.Generator().manual_seed(3)))
    one_pass, two_passes = ClassifierScores(trained, reference), ClassifierScores(_TwoPasses(trained), reference)
    same = one_pass.all_scores(images, with_kid=False) == two_passes.all_scores(images, with_kid=False)
    scoring = {"one": [], "two": []}
    for _ in range(args.repeats):
        scoring["two"].append(_timed(lambda: two_passes.all_scores(images, with_kid=False)))
        scoring["one"].append(_timed(lambda: one_pass.all_scores(images, with_kid=False)))
    median = {k: statistics.median(v) for k, v in scoring.items()}
    print(f"scoring 5,000 images, two classifier passes {median['two'] * 1e3:8.1f} ms")
    print(f"scoring 5,000 images, one pass              {median['one'] * 1e3:8.1f} ms  "
          f"({median['two'] / median['one']:.2f}x faster; same scores: {same})")
    training(matmul_rate, args.train_steps)
    stacking(args.stack, args.repeats)


def training_step_flops(train) -> int:
    """The arithmetic of one step of :func:`train_hinge_gan` (D on real and fakes, then G), both players' backward."""
    G = Generator(train.image_shape, DEFAULT_GAN["z_dim"], DEFAULT_GAN["width"], DEFAULT_GAN["attention"])
    D = Discriminator(train.image_shape, DEFAULT_GAN["width"], DEFAULT_GAN["attention"])
    real = train.images[: DEFAULT_GAN["batch_size"]]
    z = torch.randn(DEFAULT_GAN["batch_size"], DEFAULT_GAN["z_dim"], generator=torch.Generator().manual_seed(4))
    with FlopCounterMode(display=False) as counter:
        fake = G(z)
        (nnf.relu(1.0 - D(real)).mean() + nnf.relu(1.0 + D(fake.detach())).mean()).backward()
        (-D(fake).mean()).backward()
    return counter.get_total_flops()


def training(matmul_rate: float, steps: int) -> None:
    train, _ = load_split({"dataset": "sklearn_digits", "holdout_fraction": 0.3, "split_seed": 0})
    train_gan(train, dict(DEFAULT_GAN, steps=5), torch.device("cpu"))  # warm-up
    step = train_gan(train, dict(DEFAULT_GAN, steps=steps), torch.device("cpu"))["train_seconds"] / steps
    floor = training_step_flops(train) / (matmul_rate * 1e9)
    print(f"digits GAN training step (batch {DEFAULT_GAN['batch_size']})     {step * 1e3:8.1f} ms  "
          f"(floor {floor * 1e3:.1f} ms at the matmul's rate: {step / floor:.1f}x)")


def training_step_convolutions(train) -> list[tuple[tuple, tuple, tuple, tuple]]:
    """(input shape, weight shape, stride, padding) of every convolution one training step runs forward."""
    G = Generator(train.image_shape, DEFAULT_GAN["z_dim"], DEFAULT_GAN["width"], DEFAULT_GAN["attention"])
    D = Discriminator(train.image_shape, DEFAULT_GAN["width"], DEFAULT_GAN["attention"])
    z = torch.randn(DEFAULT_GAN["batch_size"], DEFAULT_GAN["z_dim"], generator=torch.Generator().manual_seed(5))

    def forward() -> None:
        fake = G(z)
        D(train.images[: DEFAULT_GAN["batch_size"]]), D(fake.detach()), D(fake)

    # aten.convolution(input, weight, bias, stride, padding, ...)
    return [(args[0], args[1], tuple(args[3]), tuple(args[4])) for _, args in record_ops(forward, {"convolution"})]


def stacking(n_models: int, repeats: int) -> None:
    train, _ = load_split({"dataset": "sklearn_digits", "holdout_fraction": 0.3, "split_seed": 0})
    calls = training_step_convolutions(train)

    def conv_seconds(groups: int) -> float:
        prepared = []
        for x_shape, w_shape, stride, padding in calls:
            x = torch.randn(x_shape[0], x_shape[1] * groups, *x_shape[2:], requires_grad=True)
            w = torch.randn(w_shape[0] * groups, *w_shape[1:], requires_grad=True)
            prepared.append((x, w, stride, padding))

        def step() -> None:
            for x, w, stride, padding in prepared:
                nnf.conv2d(x, w, stride=stride, padding=padding, groups=groups).sum().backward()

        step()
        return statistics.median(_timed(step) for _ in range(repeats))

    one = conv_seconds(1)
    stacked = conv_seconds(n_models)
    print(f"convolutions of one training step ({len(calls)} calls, forward + backward), one model "
          f"{one * 1e3:8.1f} ms")
    print(f"the same for {n_models} models as one grouped convolution each      {stacked * 1e3:8.1f} ms  "
          f"({stacked / one:.1f}x one model's; {n_models * one / stacked:.2f}x faster than {n_models} separate calls)")


if __name__ == "__main__":
    main()
