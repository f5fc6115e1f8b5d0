"""drs_lib: Discriminator Rejection Sampling and its successors, batched and device-agnostic.

Modules, one concept each, listed leaf first (a module imports only modules above it in this
list; ``tests/test_import_structure.py`` checks that every module is named here and that
there is no import circle):

Foundations (no drs_lib imports, or only each other)

- :mod:`drs_lib._optional`        an optional package's ImportError names the extra that installs it
- :mod:`drs_lib.device`           ``device="auto"`` resolution
- :mod:`drs_lib.rng`              one explicit ``torch.Generator`` per run for the samplers
- :mod:`drs_lib.io`               atomic writes: nothing half-written survives an interrupt
- :mod:`drs_lib.params`           checking notebook (papermill) parameters before any work, declaratively
- :mod:`drs_lib.cache`            on-disk cache of trained models, keyed by everything that determines them
- :mod:`drs_lib.report`           numbers in a notebook's prose (glue) and "mean ± std"

The samplers (none imports another)

- :mod:`drs_lib.drs`              the paper's equations (3-8), BurnIn and the batched DRS sampler
- :mod:`drs_lib.calibration`      recalibrating a discriminator's logit on held-out samples
- :mod:`drs_lib.mhgan`            Metropolis-Hastings GAN
- :mod:`drs_lib.dot`              Discriminator Optimal Transport
- :mod:`drs_lib.ddls`             Discriminator Driven Latent Sampling (Langevin in latent space)

Data and models

- :mod:`drs_lib.data`             the 25-Gaussian grid and the Swiss roll
- :mod:`drs_lib.ideal`            the idealized 1D setting of Section 3.1
- :mod:`drs_lib.exact_toy`        a known-answer problem with the exact log density ratio
- :mod:`drs_lib.digits`           small labelled image data sets (stand-ins for ImageNet)
- :mod:`drs_lib.models`           MLP generator and discriminator, one or S stacked
- :mod:`drs_lib.convnets`         small convolutional networks for the image experiments
- :mod:`drs_lib.heads`            BCE heads on a discriminator's features (Section 4.2)

Metrics (no sampler, no training code)

- :mod:`drs_lib.distances`        distances between sample sets (exact EMD, sliced Wasserstein, energy)
- :mod:`drs_lib.prdc_metrics`     precision, recall, density and coverage
- :mod:`drs_lib.metrics`          the 25-Gaussian benchmark's metrics (Tables 1 and 3), and EMD + PRDC of one set
- :mod:`drs_lib.scores`           classifier-feature scores (IS, FID, KID analogues)

Training (a notebook's trained models go through the model cache)

- :mod:`drs_lib.train`            2D GAN training, S seeds stacked, and the per-seed random streams
- :mod:`drs_lib.keep_training`    the paper's KeepTraining (and ``fit_discriminator`` for any module)
- :mod:`drs_lib.cached_training`  configs as cache keys, load-or-train for the 2D GANs and KeepTraining
- :mod:`drs_lib.train_images`     image classifier, hinge GAN (the shared hinge loop) and BCE head
- :mod:`drs_lib.conditional_gan`  the class-conditional DCGAN of the "your own GAN" chapter
- :mod:`drs_lib.regime`           which 2D GAN setting matches the paper's regime; the shared presets

Comparisons and verdicts

- :mod:`drs_lib.harness`          the samplers side by side on one trained GAN
- :mod:`drs_lib.claims`           claims checked against the papers, verdicts computed
- :mod:`drs_lib.tradeoff`         quality against diversity as γ sweeps: DRS vs thresholding, with verdicts

Public API and figures

- :mod:`drs_lib.distributed`      numbered batches, their seeds and the collectives: DRS over ``torchrun`` processes
- :mod:`drs_lib.api`              ``DRS``: the sampler over your own trained ``nn.Module`` s
- :mod:`drs_lib.shards`           DRS samples into a folder of shards plus a manifest: atomic, resumable
- :mod:`drs_lib.sample`           the command line (``python -m drs_lib.sample``, also under ``torchrun``)
- :mod:`drs_lib.style`            one look for every figure and table
- :mod:`drs_lib.plotting`         scatter panels of the 2D toy experiments
- :mod:`drs_lib.plotting_ideal`   figures of the idealized 1D setting
- :mod:`drs_lib.plotting_images`  figures of the image experiments
- :mod:`drs_lib.plotting_tradeoff` the quality–diversity figure (precision/recall, density/coverage)
"""

__version__ = "0.1.0"
