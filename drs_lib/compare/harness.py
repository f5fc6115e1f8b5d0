"""Comparing samplers on one trained GAN: the harness of notebook 06 and ``benchmarks/bench_methods.py``.

This module sits above the samplers (:mod:`drs_lib.samplers.drs`, :mod:`drs_lib.samplers.mhgan`,
:mod:`drs_lib.samplers.dot`, :mod:`drs_lib.samplers.ddls`), which never import each other or this module. It
wraps a generator network and a discriminator network into the callables each sampler expects,
counts what every run costs (:class:`EvaluationCounter`), fits the calibrations some methods
need on held-out samples, and times each run end to end (:func:`run_method`).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from drs_lib.samplers import drs as drs_module
from drs_lib._optional import optional_imports
from drs_lib.samplers.calibration import CALIBRATION_METHODS, fit_calibrator
from drs_lib.compare.convergence import ddls_until_flat, energy_drift
from drs_lib.samplers.ddls import LANGEVIN_METHODS, ddls_sample
from drs_lib.device import resolve_device
from drs_lib.samplers.dot import dot_sample
from drs_lib.samplers.mhgan import mhgan_sample
from drs_lib.rng import make_rng

Tensor = torch.Tensor

__all__ = [
    "DEFAULT_METHODS",
    "KINDS",
    "EvaluationCounter",
    "MethodRun",
    "check_spec",
    "make_rng",
    "method_seed",
    "run_method",
]

#: The sampler kinds :func:`run_method` knows.
KINDS = ("generator", "drs", "mhgan", "dot", "ddls")

#: The methods of notebook 06 and their default settings (``kind`` picks the sampler).
DEFAULT_METHODS: dict[str, dict] = {
    "generator": {"kind": "generator"},
    "DRS": {"kind": "drs", "gamma_percentile": 95.0, "burn_in_samples": 10_000},
    "MH-GAN": {"kind": "mhgan", "n_proposals": 100, "calibration": None},
    "MH-GAN (calibrated)": {"kind": "mhgan", "n_proposals": 100, "calibration": "isotonic", "calibration_samples": 10_000},
    "DOT": {"kind": "dot", "step_size": 0.01, "n_steps": 100, "k_eff_samples": 10_000},
    "DDLS": {"kind": "ddls", "step_size": 0.01, "n_steps": 100},
    "DDLS (MALA, calibrated)": {"kind": "ddls", "step_size": 0.01, "n_steps": 100, "method": "mala",
                                "calibration": "logistic", "calibration_samples": 10_000},
}


class EvaluationCounter:
    """Wrap a callable ``f(x) -> Tensor`` and count what it costs, per sample.

    ``forward`` counts rows passed through ``f`` (a batch of 100 adds 100). ``backward``
    counts rows whose output received a gradient: a hook on the output fires when autograd
    propagates through it, so a Langevin step that differentiates ``d(G(z))`` adds one
    backward evaluation of the discriminator *and* of the generator per chain.
    Counting happens by observing calls, not by formula.
    """

    def __init__(self, fn: Callable[[Tensor], Tensor], name: str = ""):
        self.fn = fn
        self.name = name
        self.forward = 0
        self.backward = 0

    def reset(self) -> None:
        self.forward = 0
        self.backward = 0

    def _count_backward(self, n: int):
        def hook(grad):
            self.backward += n
            return grad

        return hook

    def __call__(self, x: Tensor) -> Tensor:
        out = self.fn(x)
        n = int(x.shape[0])
        self.forward += n
        if out.requires_grad:
            out.register_hook(self._count_backward(n))
        return out

    def __repr__(self) -> str:
        return f"EvaluationCounter({self.name!r}, forward={self.forward}, backward={self.backward})"


@dataclass
class MethodRun:
    """One sampler run: its samples and what they cost (counted by :class:`EvaluationCounter`).

    ``info`` holds scalar diagnostics (acceptance rate, K_eff, ...) that go into
    :meth:`cost_row`; ``result`` the sampler's own result object (e.g. a DDLS run's checkpoints).
    """

    method: str
    samples: Tensor
    seconds: float
    g_forward: int
    g_backward: int
    d_forward: int
    d_backward: int
    info: dict = field(default_factory=dict)
    result: Any = None

    def cost_row(self) -> dict:
        n = self.samples.shape[0]
        return {
            "method": self.method,
            "n_samples": n,
            "seconds": self.seconds,
            "seconds_per_10k": self.seconds * 10_000 / n,
            "g_forward_per_sample": self.g_forward / n,
            "g_backward_per_sample": self.g_backward / n,
            "d_forward_per_sample": self.d_forward / n,
            "d_backward_per_sample": self.d_backward / n,
            **self.info,
        }


def method_seed(seed: int, method: str) -> int:
    """A stable per-(seed, method) integer seed, so adding a method changes no other method's draws."""
    digest = hashlib.sha256(f"drs_lib.compare:{method}:{seed}".encode()).digest()
    return int.from_bytes(digest[:8], "little") & ((1 << 62) - 1)


_OPTIONS = {
    "generator": set(),
    "drs": {"gamma_percentile", "burn_in_samples", "epsilon", "update_max", "max_proposals", "d_max"},
    "mhgan": {"n_proposals", "calibration", "calibration_samples", "max_restarts"},
    "dot": {"step_size", "n_steps", "k_eff", "k_eff_samples", "delta"},
    "ddls": {"step_size", "n_steps", "method", "calibration", "calibration_samples", "checkpoints", "keep_initial",
             "max_steps", "flat_tolerance", "flat_window"},
}


def check_spec(name: str, spec: dict) -> None:
    """Raise ValueError when ``spec`` names an unknown kind, option, calibration or Langevin method."""
    kind = spec.get("kind")
    if kind not in KINDS:
        raise ValueError(f"method {name!r}: kind must be one of {KINDS}; got {kind!r}")
    unknown = set(spec) - {"kind"} - _OPTIONS[kind]
    if unknown:
        raise ValueError(f"method {name!r} ({kind}): unknown option(s) {sorted(unknown)}; allowed: {sorted(_OPTIONS[kind])}")
    calibration = spec.get("calibration")
    if calibration is not None and calibration not in CALIBRATION_METHODS:
        raise ValueError(f"method {name!r}: calibration must be None or one of {CALIBRATION_METHODS}; got {calibration!r}")
    if kind == "ddls":
        if spec.get("method", "ula") not in LANGEVIN_METHODS:
            raise ValueError(f"method {name!r}: Langevin method must be one of {LANGEVIN_METHODS}; got {spec.get('method')!r}")
        if calibration == "isotonic":
            raise ValueError(f"method {name!r}: DDLS needs a differentiable calibration ('logistic'); "
                             "isotonic regression is a step function with zero gradient")
        if "max_steps" in spec and "flat_tolerance" not in spec:
            raise ValueError(f"method {name!r}: max_steps (run until flat) needs flat_tolerance, the criterion")


def run_method(
    name: str,
    spec: dict,
    generator_net: Callable[[Tensor], Tensor],
    discriminator_net: Callable[[Tensor], Tensor],
    sample_real: Callable[[int, torch.Generator], Tensor],
    n_samples: int,
    *,
    latent_dim: int = 2,
    seed: int = 0,
    device="auto",
    batch_size: int = 10_000,
) -> MethodRun:
    """Run one sampler (``spec["kind"]`` in :data:`KINDS`) for ``n_samples``.

    G and D are wrapped in :class:`EvaluationCounter` for the whole run, set-up included
    (BurnIn, calibration set, K_eff pairs), and the run is timed end to end. A spec with
    ``"calibration"`` (MH-GAN: isotonic or logistic; DDLS: logistic) fits the calibration on
    ``calibration_samples`` held-out real and generated samples drawn in the run.

    A DDLS spec with ``flat_tolerance`` (and optionally ``flat_window``) records the flatness
    criterion of :func:`drs_lib.compare.convergence.energy_drift` in ``info`` (``energy_drift``,
    ``energy_drift_bound``, ``flat_tolerance``, ``energy_flat``); with ``max_steps`` as well, the
    chains run until flat (:func:`drs_lib.compare.convergence.ddls_until_flat`) and ``n_steps`` is
    the total they ran.
    """
    check_spec(name, spec)
    device = resolve_device(device)
    kind = spec["kind"]
    opts = {k: v for k, v in spec.items() if k != "kind"}
    g = EvaluationCounter(generator_net, "G")
    d = EvaluationCounter(lambda x: discriminator_net(x).reshape(-1), "D")
    s = method_seed(seed, name)
    rng = make_rng(s, device)

    def generate(n: int, r: torch.Generator) -> Tensor:
        with torch.no_grad():
            return g(torch.randn(n, latent_dim, generator=r, device=r.device))

    def score(x: Tensor) -> Tensor:
        with torch.no_grad():
            return d(x)

    def real(n: int, r: torch.Generator) -> Tensor:
        return sample_real(n, r).to(device)

    def calibrator_for(method: str | None, n_cal: int):
        if method is None:
            return None
        return fit_calibrator(score(real(n_cal, rng)), score(generate(n_cal, rng)), method)

    info: dict = {}
    result: Any = None
    if opts.get("calibration") is not None:
        with optional_imports("calibration"):  # a one-off import of seconds is not a per-sample cost
            import sklearn.isotonic  # noqa: F401
            import sklearn.linear_model  # noqa: F401
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    start = time.perf_counter()
    if kind == "generator":
        samples = torch.cat([generate(min(batch_size, n_samples - i), rng) for i in range(0, n_samples, batch_size)])
    elif kind == "drs":
        result = drs_module.drs_sample(generate, score, n_samples, seed=s, device=device, batch_size=batch_size, **opts)
        samples = result.samples
        info = {"acceptance_rate": result.acceptance_rate}
    elif kind == "mhgan":
        calibrator = calibrator_for(opts.pop("calibration", None), opts.pop("calibration_samples", 10_000))
        result = mhgan_sample(generate, score, n_samples, real=real, calibrator=calibrator, rng=rng, device=device,
                              batch_size=batch_size, **opts)
        samples = result.samples
        info = {"acceptance_rate": result.acceptance_rate, "restarts": result.restarts}
    elif kind == "dot":
        result = dot_sample(generate, d, n_samples, rng=rng, device=device, batch_size=batch_size, **opts)
        samples = result.samples
        info = {"k_eff": result.k_eff}
    else:  # ddls
        calibrator = calibrator_for(opts.pop("calibration", None), opts.pop("calibration_samples", 10_000))
        tolerance, window = opts.pop("flat_tolerance", None), opts.pop("flat_window", 0.25)
        if "max_steps" in opts:
            result, drift = ddls_until_flat(g, d, n_samples, latent_dim, calibrator=calibrator, rng=rng, device=device,
                                            batch_size=batch_size, tolerance=tolerance, window=window, **opts)
        else:
            result = ddls_sample(g, d, n_samples, latent_dim, calibrator=calibrator, rng=rng, device=device,
                                 batch_size=batch_size, trace=tolerance is not None, **opts)
            drift = None if tolerance is None else energy_drift(result.energy_trace, window=window, tolerance=tolerance)
        samples = result.samples
        info = {"step_size": result.step_size, "n_steps": result.n_steps, "acceptance_rate": result.acceptance_rate,
                "non_finite": result.non_finite}
        if drift is not None:
            info.update(energy_drift=drift.drift, energy_drift_bound=drift.bound, flat_tolerance=drift.tolerance,
                        flat_window=drift.window, energy_flat=drift.flat)
        if calibrator is not None:
            info["calibration_slope"] = calibrator.slope
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    seconds = time.perf_counter() - start
    return MethodRun(name, samples.detach(), seconds, g.forward, g.backward, d.forward, d.backward, info, result)
