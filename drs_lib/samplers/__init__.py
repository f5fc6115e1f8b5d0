"""The samplers: DRS and its successors, none importing another (``tests/test_import_structure.py``).

- :mod:`drs_lib.samplers.drs`          the paper's equations (3-8), BurnIn and the batched DRS sampler
- :mod:`drs_lib.samplers.calibration`  recalibrating a discriminator's logit on held-out samples
- :mod:`drs_lib.samplers.mhgan`        Metropolis-Hastings GAN
- :mod:`drs_lib.samplers.dot`          Discriminator Optimal Transport
- :mod:`drs_lib.samplers.ddls`         Discriminator Driven Latent Sampling (Langevin in latent space)
"""
