"""DRS, part 3 of 4, calibration: BurnIn (D̃_M, the logit spread, the expected acceptance),
in one process or spread over a process group.
"""

from __future__ import annotations

import warnings

import torch

from drs_lib.api import distributed
from drs_lib.api.results import Calibration, derived_seed, _chunks
from drs_lib.checks import check_int
from drs_lib.samplers import drs


class Calibrating:
    """DRS's BurnIn: D̃_M and the diagnostics of the calibration."""

    # calibration ---------------------------------------------------------------------------
    @torch.no_grad()
    def calibrate(self, n_burn_in: int = 10_000, *, seed: int = 0, numbered: bool | None = None) -> Calibration:
        """BurnIn (Figure 1, right): D̃_M as the largest logit over ``n_burn_in`` proposals, plus diagnostics.

        Conditional models: the proposals are split evenly over the classes (``n_burn_in`` in
        all), which gives the global D̃_M and the per-class maxima in one pass. The result is
        kept (``self.calibration``), saved by :meth:`save`, and used by every later sample.

        ``numbered``: draw BurnIn in batches numbered and seeded one by one, spread over the
        processes of ``torch.distributed`` and all-gathered, so that every rank gets the same
        D̃_M and the same diagnostics whatever the number of processes
        (:func:`drs_lib.api.distributed.numbered_burn_in_logits`). ``None`` (default): numbered when
        a process group of more than one process is initialised, otherwise the single random
        stream of earlier versions (the same calibration as before for a seed).
        """
        check_int("n_burn_in", n_burn_in, self.n_classes or 1)
        check_int("seed", seed, 0)
        score = self._scorer()
        where = distributed.world(device=self.device)
        if where.size > 1 if numbered is None else bool(numbered):
            counts = [(c, n_burn_in // self.n_classes + (c < n_burn_in % self.n_classes)) for c in range(self.n_classes)] \
                if self.conditional else [(None, n_burn_in)]
            jobs = [(c, size) for c, count in counts for _, size in _chunks(count, self.batch_size)]
            logits = distributed.numbered_burn_in_logits(jobs, self._proposer, score, seed=seed, device=self.device, where=where)
            labels = torch.cat([torch.full((size,), c, dtype=torch.long) for c, size in jobs]) if self.conditional else None
            per_class = tuple(float(logits[labels == c].max()) for c in range(self.n_classes)) if self.conditional else None
        elif not self.conditional:
            rng = torch.Generator(device=self.device).manual_seed(derived_seed(seed, "burn_in"))
            logits = drs.burn_in_logits(self._proposer(None), score, n_burn_in, self.batch_size, rng).double().cpu()
            labels, per_class = None, None
        else:
            parts, label_parts = [], []
            for c in range(self.n_classes):
                count = n_burn_in // self.n_classes + (c < n_burn_in % self.n_classes)
                rng = torch.Generator(device=self.device).manual_seed(derived_seed(seed, "burn_in", c))
                parts.append(drs.burn_in_logits(self._proposer(c), score, count, self.batch_size, rng).double().cpu())
                label_parts.append(torch.full((count,), c, dtype=torch.long))
            logits, labels = torch.cat(parts), torch.cat(label_parts)
            per_class = tuple(float(p.max()) for p in parts)
        if self.d_max_mode == "per_class" and n_burn_in // self.n_classes < 1000:
            warnings.warn(f"per-class D̃_M from only {n_burn_in // self.n_classes} BurnIn proposals per class; a maximum "
                          "over so few underestimates the bound: raise n_burn_in", stacklevel=2)
        if not torch.isfinite(logits).all():
            raise ValueError("the discriminator returned non-finite logits during BurnIn")
        d_max = float(logits.max())
        reference = torch.tensor(per_class, dtype=torch.float64)[labels] if self.d_max_mode == "per_class" else torch.tensor(d_max)
        f_hat = drs.F_hat(logits, reference, 0.0, self.epsilon)
        gamma = drs.gamma_for_percentile(f_hat, self.gamma_percentile) if self.gamma_percentile is not None else 0.0
        quantiles = torch.quantile(logits, torch.tensor([0.01, 0.5, 0.99, 0.999], dtype=torch.float64))
        self.calibration = Calibration(
            d_max=d_max, d_max_per_class=per_class, d_max_mode=self.d_max_mode, n_burn_in=n_burn_in, seed=seed,
            logit_mean=float(logits.mean()), logit_std=float(logits.std()) if len(logits) > 1 else 0.0,
            logit_quantiles=dict(zip(("q01", "q50", "q99", "q999"), map(float, quantiles))),
            ideal_acceptance=float(drs.ideal_acceptance_probability(logits, reference).mean()),
            expected_acceptance=float(torch.sigmoid(f_hat - gamma).mean()),
            gamma_percentile=self.gamma_percentile,
            looks_like_probabilities=bool((logits >= 0).all() and (logits <= 1).all()),
            logits=logits.float(), labels=labels,
        )
        return self.calibration


    def _require_calibration(self) -> Calibration:
        if self.calibration is None:
            raise RuntimeError("call calibrate() first: it estimates D̃_M by BurnIn (the paper uses 10,000 proposals)"
                               + (" after fine_tune()" if self.fine_tuning is not None else ""))
        return self.calibration
