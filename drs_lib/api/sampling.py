"""DRS, part 4 of 4, sampling: ``sample`` (exactly n, the same for a seed), ``stream`` (bounded
memory) and ``generate`` (the generator alone, for comparison).
"""

from __future__ import annotations

import torch
from torch import Tensor

from drs_lib.api.results import MIN_CLASS_BATCH, _DEFAULT, Batch, DRSSamples, derived_seed, _chunks
from drs_lib.api.stream import _Budget, _Source, DRSStream
from drs_lib.checks import check_int, check_percentile
from drs_lib.samplers import drs


class Sampling:
    """DRS's sampling: exactly n samples, at once, streamed in chunks, or the plain generator's."""

    # sampling ------------------------------------------------------------------------------
    def stream(self, n: int, *, chunk_size: int | None = None, seed: int = 0, labels: Tensor | str | int | None = None,
               gamma_percentile: float | None = _DEFAULT, batch_size: int | None = None,
               class_batch_size: int | None = None, max_proposals: int | None = None) -> DRSStream:
        """``n`` DRS samples in chunks of ``chunk_size`` (default ``batch_size``), in bounded memory.

        Each chunk is a :class:`Batch` ``(x, y, logits)``. ``labels`` (conditional models):
        ``None`` draws a label per proposal from ``class_probs``, so the accepted class mix is
        DRS's; ``"balanced"`` gives sample i the label i mod K; a class index or a tensor of n
        labels fixes every sample's label. Fixed labels run one DRS process per class, each with
        its own random stream and ``class_batch_size`` proposals per batch (default
        ``max(batch_size // n_classes, min(batch_size, 1000))``: one round over the classes costs
        about one batch, and γ, a percentile over a batch, still rests on enough values).

        The chunks concatenated equal :meth:`sample` with the same arguments, for any
        ``chunk_size``. A run that draws ``max_proposals`` proposals without finishing raises
        ``RuntimeError``. D̃_M starts from the calibration for every call (raises while
        sampling, with ``update_max``, last for the call only), so a seed gives the same samples
        whatever was sampled before.
        """
        check_int("n", n, 1)
        chunk_size = check_int("chunk_size", chunk_size if chunk_size is not None else self.batch_size, 1)
        check_int("seed", seed, 0)
        batch_size = check_int("batch_size", batch_size if batch_size is not None else self.batch_size, 1)
        percentile = self.gamma_percentile if gamma_percentile is _DEFAULT else gamma_percentile
        if percentile is not None:
            check_percentile("gamma_percentile", percentile)
        if max_proposals is not None:
            check_int("max_proposals", max_proposals, 1)
        if class_batch_size is None:
            class_batch_size = max(batch_size // (self.n_classes or 1), min(batch_size, MIN_CLASS_BATCH))
        check_int("class_batch_size", class_batch_size, 1)
        label_spec = self._parse_labels(labels, n)
        calibration = self._require_calibration()
        budget = _Budget(max_proposals, n)
        per_class = torch.tensor(calibration.d_max_per_class, dtype=torch.float64, device=self.device) \
            if self.d_max_mode == "per_class" else None

        def make_source(label: int | None) -> _Source:
            if label is None:
                rng = torch.Generator(device=self.device).manual_seed(seed)
                shift, d_max = per_class, (0.0 if per_class is not None else calibration.d_max)
            else:
                rng = torch.Generator(device=self.device).manual_seed(derived_seed(seed, "class", label))
                shift, d_max = None, (float(per_class[label]) if per_class is not None else calibration.d_max)
            batches = drs.drs_batches(self._proposer(label), self._scorer(shift), d_max=d_max, rng=rng,
                                      gamma_percentile=percentile, epsilon=self.epsilon,
                                      batch_size=batch_size if label is None else class_batch_size,
                                      update_max=self.update_max)
            return _Source(batches, budget, self.n_classes, shift, self._logit_dtype)

        return DRSStream(n, chunk_size, make_source, label_spec, self.n_classes, budget)

    def sample(self, n: int, *, seed: int = 0, labels: Tensor | str | int | None = None,
               gamma_percentile: float | None = _DEFAULT, batch_size: int | None = None,
               class_batch_size: int | None = None, max_proposals: int | None = None) -> DRSSamples:
        """Exactly ``n`` DRS samples (Figure 1, right), the same for the same seed and device.

        The arguments are those of :meth:`stream`; this is that stream read in one chunk.
        """
        stream = self.stream(n, chunk_size=n, seed=seed, labels=labels, gamma_percentile=gamma_percentile,
                             batch_size=batch_size, class_batch_size=class_batch_size, max_proposals=max_proposals)
        x, y, logits = next(stream)
        return DRSSamples(x=x, y=y, logits=logits, proposals=stream.proposals, accepted=stream.accepted,
                          acceptance_rate=stream.acceptance_rate, proposed_per_class=stream.proposed_per_class,
                          accepted_per_class=stream.accepted_per_class, max_updates=stream.max_updates,
                          max_increase=stream.max_increase, seed=seed,
                          gamma_percentile=self.gamma_percentile if gamma_percentile is _DEFAULT else gamma_percentile)

    @torch.no_grad()
    def generate(self, n: int, *, seed: int = 0, labels: Tensor | str | int | None = None) -> Batch:
        """``n`` plain generator samples, without DRS (the "before"), with the same label options."""
        check_int("n", n, 1)
        check_int("seed", seed, 0)
        label_spec = self._parse_labels(labels, n)
        rng = torch.Generator(device=self.device).manual_seed(derived_seed(seed, "plain"))
        xs, ys = [], []
        for start, size in _chunks(n, self.batch_size):
            y = self._plain_labels(label_spec, start, size, rng)
            xs.append(self._run_generator(self._latents(size, rng), y).to(self.device))
            ys.append(y)
        return Batch(torch.cat(xs), torch.cat(ys) if self.conditional else None, None)
