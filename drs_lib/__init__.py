"""drs_lib: Discriminator Rejection Sampling and its successors, batched and device-agnostic.

The library, one folder per layer, listed leaf first: a module imports only modules of its own
folder or of the layers above it in this list (``tests/test_import_structure.py`` checks that
every module is named here, that each folder imports only earlier ones, that there is no import
circle, that no sampler imports another, and that nothing here imports the book's machinery,
``drs_book``, which is not part of the library):

Foundations (top level: no drs_lib imports, or only each other)

- :mod:`drs_lib._optional`        an optional package's ImportError names the extra that installs it
- :mod:`drs_lib.device`           ``device="auto"`` resolution
- :mod:`drs_lib.rng`              one explicit ``torch.Generator`` per run for the samplers
- :mod:`drs_lib.io`               atomic writes: nothing half-written survives an interrupt
- :mod:`drs_lib.checks`           checks of one argument (an integer, a percentile, a device) naming what is allowed

``samplers/``: the samplers (none imports another)

- :mod:`drs_lib.samplers.drs`              the paper's equations (3-8), BurnIn and the batched DRS sampler
- :mod:`drs_lib.samplers.calibration`      recalibrating a discriminator's logit on held-out samples
- :mod:`drs_lib.samplers.mhgan`            Metropolis-Hastings GAN
- :mod:`drs_lib.samplers.dot`              Discriminator Optimal Transport
- :mod:`drs_lib.samplers.ddls`             Discriminator Driven Latent Sampling (Langevin in latent space)

``problems/``: data and known-answer problems

- :mod:`drs_lib.problems.data`             the 25-Gaussian grid and the Swiss roll
- :mod:`drs_lib.problems.ideal`            the idealized 1D setting of Section 3.1
- :mod:`drs_lib.problems.exact_toy`        a known-answer problem with the exact log density ratio
- :mod:`drs_lib.problems.digits`           small labelled image data sets (stand-ins for ImageNet)

``nets/``: networks

- :mod:`drs_lib.nets.models`               MLP generator and discriminator, one or S stacked
- :mod:`drs_lib.nets.convnets`             small convolutional networks for the image experiments
- :mod:`drs_lib.nets.heads`                BCE heads on a discriminator's features (Section 4.2)

``metrics/``: metrics (no sampler, no training code)

- :mod:`drs_lib.metrics.distances`         distances between sample sets (exact EMD, sliced Wasserstein, energy)
- :mod:`drs_lib.metrics.prdc_metrics`      precision, recall, density and coverage
- :mod:`drs_lib.metrics.mixture`           the 25-Gaussian benchmark's metrics (Tables 1 and 3), and EMD + PRDC of one set
- :mod:`drs_lib.metrics.scores`            classifier-feature scores (IS, FID, KID analogues)
- :mod:`drs_lib.metrics.memorisation`      nearest-training-image distances and the share of near-copies (Appendix B)
- :mod:`drs_lib.metrics.reliability`       a classifier's calibration: reliability diagram, ECE, saturation

``training/``: training (a trained model goes through a cache the caller passes in)

- :mod:`drs_lib.training.train`            2D GAN training, S seeds stacked, and the per-seed random streams
- :mod:`drs_lib.training.keep_training`    the paper's KeepTraining (and ``fit_discriminator`` for any module)
- :mod:`drs_lib.training.train_images`     image classifier, hinge GAN (the shared hinge loop) and BCE head
- :mod:`drs_lib.training.conditional_gan`  the class-conditional DCGAN of the "your own GAN" chapter

``compare/``: the samplers compared

- :mod:`drs_lib.compare.convergence`       Langevin chains run until their energy is flat (the criterion)
- :mod:`drs_lib.compare.harness`           the samplers side by side on one trained GAN
- :mod:`drs_lib.compare.tradeoff`          quality against diversity as γ sweeps: DRS vs thresholding

``api/``: the public API (``drs_lib.api`` lists its own modules: the ``DRS`` class in one module,
what it hands back and its stream beside it)

- :mod:`drs_lib.api.results`               what the API hands back, its defaults and shared helpers
- :mod:`drs_lib.api.distributed`           numbered batches, their seeds and the collectives: DRS over ``torchrun`` processes
- :mod:`drs_lib.api.stream`                the chunked iterator behind ``DRS.stream``
- :mod:`drs_lib.api.sampler`               ``DRS``, the sampler over your own trained ``nn.Module`` s: one class, one module
- :mod:`drs_lib.api.shards`                DRS samples into a folder of shards plus a manifest: atomic, resumable

The command line (top level)

- :mod:`drs_lib.sample`                    ``python -m drs_lib.sample``, also under ``torchrun``
"""

__version__ = "0.1.0"
