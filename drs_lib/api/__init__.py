"""DRS on your own GAN: Discriminator Rejection Sampling over trained ``torch.nn.Module`` s.

The whole recipe (Azadi et al., ICLR 2019, Figure 1 right) for a generator and discriminator
you already have::

    from drs_lib.api import DRS

    sampler = DRS(generator, discriminator, latent=(128,))       # G(z) and D(x) -> one logit each
    sampler.fine_tune(real_images, method="bce_head")             # hinge-loss D: BCE head (Sec. 4.2)
    sampler.calibrate(n_burn_in=10_000)                           # BurnIn: D̃_M and diagnostics
    x = sampler.sample(50_000, seed=0).x                          # exactly n, the same for a seed
    for chunk in sampler.stream(1_000_000, chunk_size=10_000):    # bounded memory
        save(chunk.x)
    sampler.save("drs.pt")
    sampler = DRS.load("drs.pt", generator, discriminator)

Everything random goes through the core in :mod:`drs_lib.samplers.drs`: BurnIn is the core's
``burn_in_logits`` and sampling consumes :func:`drs_lib.samplers.drs.drs_batches`, the
same stream :func:`drs_lib.samplers.drs.drs_sample` consumes, so an unconditional ``sample(n, seed=s)``
returns exactly ``drs_sample(..., d_max=calibration.d_max, seed=s).samples``.

Class-conditional GANs (``G(z, y)``, ``D(x, y)``, ``n_classes=K``): labels are drawn per
proposal from ``class_probs`` (``labels=None``), balanced over the classes
(``labels="balanced"``) or given (a tensor of n labels, or one class). See :class:`DRS` for
where D̃_M is kept (globally by default, per class as an option) and why.

The package: the class in one module, what it hands back and its stream beside it:

- :mod:`drs_lib.api.results`       what the API hands back, its defaults and shared helpers
- :mod:`drs_lib.api.stream`        the chunked iterator behind ``DRS.stream``
- :mod:`drs_lib.api.sampler`       the ``DRS`` class, defined once (construction, ``fine_tune``, ``calibrate``,
  ``sample``/``stream``/``generate``, ``save``/``load``; the file format is unchanged)
- :mod:`drs_lib.api.distributed`   numbered batches, their seeds and the collectives: DRS over ``torchrun`` processes
- :mod:`drs_lib.api.shards`        DRS samples into a folder of shards plus a manifest: atomic, resumable

``from drs_lib.api import DRS`` (and every public name ``drs_lib/api.py`` had) keeps working; the
package re-exports no private (``_``) name: its modules import those from the module that defines them.
"""

from __future__ import annotations

from drs_lib.api.results import (
    BCE_HEAD_OPTIONS, D_MAX_MODES, KEEP_TRAINING_OPTIONS, MIN_CLASS_BATCH, SAVE_FORMAT, Batch, Calibration, DRSSamples,
    FineTuneReport, LatentSampler, ModelMismatchError,
)
from drs_lib.api.sampler import DRS
from drs_lib.api.stream import DRSStream

__all__ = ["DRS", "Batch", "Calibration", "DRSSamples", "DRSStream", "FineTuneReport", "ModelMismatchError", "SAVE_FORMAT",
           "KEEP_TRAINING_OPTIONS", "BCE_HEAD_OPTIONS", "D_MAX_MODES", "MIN_CLASS_BATCH", "LatentSampler"]
