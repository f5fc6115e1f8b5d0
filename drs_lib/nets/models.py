"""MLP generator and discriminator of Sec. 4.1, one model or S independent models stacked.

The paper: "the generator and discriminator are neural networks with four fully connected
layers with ReLU activations. The prior is a 2D Gaussian with mean 0 and standard deviation 1".
Here that is four ``Linear`` layers (three hidden layers of ``hidden`` units, ReLU between,
none after the last): generator 2 → h → h → h → 2, discriminator 2 → h → h → h → 1 (the logit
D̃; D = σ(D̃)). The width is not given in the paper; this library uses 128 by default.

:class:`StackedMLP` holds S models as stacked weights, ``weight[l]`` of shape (S, in, out),
and evaluates all of them with one ``torch.baddbmm`` per layer, so that five seeds train as
one batched computation. :meth:`StackedMLP.member` returns model s as an ordinary
``nn.Sequential`` for sampling. Initialisation follows ``nn.Linear``'s default
(weights and biases ~ U(−1/√fan_in, 1/√fan_in)) but draws from an explicit per-model
``torch.Generator``, so model s is initialised the same whether it is trained alone or stacked.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor, nn

from drs_lib.samplers.drs import latent_proposals

LATENT_DIM = 2
DATA_DIM = 2
HIDDEN = 128
N_LAYERS = 4


def layer_sizes(in_dim: int, out_dim: int, hidden: int = HIDDEN, n_layers: int = N_LAYERS) -> tuple[int, ...]:
    """(in, h, ..., h, out) for ``n_layers`` fully connected layers."""
    for name, value in (("in_dim", in_dim), ("out_dim", out_dim), ("hidden", hidden), ("n_layers", n_layers)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be an integer >= 1; got {value!r}")
    return (in_dim,) + (hidden,) * (n_layers - 1) + (out_dim,)


def generator_sizes(latent_dim: int = LATENT_DIM, data_dim: int = DATA_DIM, hidden: int = HIDDEN,
                    n_layers: int = N_LAYERS) -> tuple[int, ...]:
    return layer_sizes(latent_dim, data_dim, hidden, n_layers)


def discriminator_sizes(data_dim: int = DATA_DIM, hidden: int = HIDDEN, n_layers: int = N_LAYERS) -> tuple[int, ...]:
    return layer_sizes(data_dim, 1, hidden, n_layers)


def _uniform(shape: Sequence[int], bound: float, rng: torch.Generator | None) -> Tensor:
    return (torch.rand(*shape, generator=rng, dtype=torch.float32) * 2.0 - 1.0) * bound


def mlp(sizes: Sequence[int], rng: torch.Generator | None = None) -> nn.Sequential:
    """An ordinary MLP (Linear, ReLU, ..., Linear) initialised from ``rng`` (CPU generator)."""
    sizes = tuple(sizes)
    if len(sizes) < 2:
        raise ValueError(f"an MLP needs at least an input and an output size; got {sizes}")
    layers: list[nn.Module] = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        linear = nn.Linear(fan_in, fan_out)
        bound = 1.0 / math.sqrt(fan_in)
        with torch.no_grad():
            # Same draw order as StackedMLP: weight as (in, out), then bias.
            linear.weight.copy_(_uniform((fan_in, fan_out), bound, rng).T)
            linear.bias.copy_(_uniform((fan_out,), bound, rng))
        layers.append(linear)
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class StackedMLP(nn.Module):
    """S independent MLPs with the same layer sizes, evaluated together.

    ``forward(x)``: x of shape (S, N, in) → (S, N, out); model s sees only ``x[s]``.
    """

    def __init__(self, sizes: Sequence[int], rngs: Sequence[torch.Generator | None]) -> None:
        super().__init__()
        self.sizes = tuple(int(v) for v in sizes)
        if len(self.sizes) < 2:
            raise ValueError(f"an MLP needs at least an input and an output size; got {self.sizes}")
        if len(rngs) < 1:
            raise ValueError("StackedMLP needs at least one model (one generator per model)")
        self.n_models = len(rngs)
        weights: list[list[Tensor]] = [[] for _ in self.sizes[1:]]
        biases: list[list[Tensor]] = [[] for _ in self.sizes[1:]]
        for rng in rngs:  # model by model, so that model s's draws do not depend on S
            for layer, (fan_in, fan_out) in enumerate(zip(self.sizes[:-1], self.sizes[1:])):
                bound = 1.0 / math.sqrt(fan_in)
                weights[layer].append(_uniform((fan_in, fan_out), bound, rng))
                biases[layer].append(_uniform((1, fan_out), bound, rng))
        self.weights = nn.ParameterList([nn.Parameter(torch.stack(w)) for w in weights])
        self.biases = nn.ParameterList([nn.Parameter(torch.stack(b)) for b in biases])

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 3 or x.shape[0] != self.n_models or x.shape[2] != self.sizes[0]:
            raise ValueError(f"expected input of shape ({self.n_models}, N, {self.sizes[0]}); got {tuple(x.shape)}")
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            x = torch.baddbmm(b, x, w)
            if i < last:
                x = torch.relu(x)
        return x

    @torch.no_grad()
    def member(self, s: int) -> nn.Sequential:
        """Model s as an ordinary ``nn.Sequential`` (a copy, in eval mode, on the same device)."""
        if not 0 <= s < self.n_models:
            raise IndexError(f"model index {s} out of range for {self.n_models} stacked models")
        net = mlp(self.sizes)
        linears = [m for m in net if isinstance(m, nn.Linear)]
        for linear, w, b in zip(linears, self.weights, self.biases):
            linear.weight.copy_(w[s].T)
            linear.bias.copy_(b[s, 0])
        return net.to(self.weights[0].device).eval().requires_grad_(False)

    @torch.no_grad()
    def copy_member_from(self, s: int, other: "StackedMLP", t: int | None = None) -> None:
        """Overwrite model s with model t (default s) of ``other``."""
        t = s if t is None else t
        for mine, theirs in zip(list(self.weights) + list(self.biases), list(other.weights) + list(other.biases)):
            mine[s].copy_(theirs[t])

    @torch.no_grad()
    def select(self, indices: Sequence[int]) -> "StackedMLP":
        """A new stack holding copies of the given models (in that order)."""
        out = StackedMLP.__new__(StackedMLP)
        nn.Module.__init__(out)
        out.sizes = self.sizes
        out.n_models = len(indices)
        idx = torch.as_tensor(list(indices), dtype=torch.long, device=self.weights[0].device)
        out.weights = nn.ParameterList([nn.Parameter(w.index_select(0, idx).clone()) for w in self.weights])
        out.biases = nn.ParameterList([nn.Parameter(b.index_select(0, idx).clone()) for b in self.biases])
        return out

    @classmethod
    def from_state(cls, sizes: Sequence[int], state: dict[str, Tensor]) -> "StackedMLP":
        """Rebuild a stack from ``sizes`` and a ``state_dict()`` (e.g. a cache payload)."""
        n_models = int(state["weights.0"].shape[0])
        out = cls(sizes, [None] * n_models)
        out.load_state_dict(state)
        return out


def generator_callable(net: nn.Module, latent_dim: int = LATENT_DIM):
    """``generate(n, rng)`` for :func:`drs_lib.samplers.drs.drs_sample`: z ~ N(0, I) on ``rng``'s device, x = G(z).

    :func:`drs_lib.samplers.drs.latent_proposals` without autograd bookkeeping.
    """
    return torch.no_grad()(latent_proposals(net, latent_dim))


def score_callable(net: nn.Module):
    """``score(x) -> (n,)`` logits D̃(x) for :func:`drs_lib.samplers.drs.drs_sample`."""

    @torch.no_grad()
    def score(x: Tensor) -> Tensor:
        return net(x).reshape(-1)

    return score


__all__ = [
    "DATA_DIM",
    "HIDDEN",
    "LATENT_DIM",
    "N_LAYERS",
    "StackedMLP",
    "discriminator_sizes",
    "generator_callable",
    "generator_sizes",
    "layer_sizes",
    "mlp",
    "score_callable",
]
