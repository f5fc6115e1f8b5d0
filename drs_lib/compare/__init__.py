"""The samplers compared on one trained GAN (the book's verdicts on them live in ``drs_book``).

- :mod:`drs_lib.compare.convergence` Langevin chains run until their energy is flat (the criterion)
- :mod:`drs_lib.compare.harness`   the samplers side by side on one trained GAN
- :mod:`drs_lib.compare.tradeoff`  quality against diversity as γ sweeps: DRS vs thresholding
"""
