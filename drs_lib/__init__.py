"""drs_lib: Discriminator Rejection Sampling and its successors, batched and device-agnostic.

Modules, one concept each:

- :mod:`drs_lib.drs`      the paper's equations (3-8), BurnIn and the batched DRS sampler
- :mod:`drs_lib.device`   ``device="auto"`` resolution
- :mod:`drs_lib.params`   checking notebook (papermill) parameters before any work
- :mod:`drs_lib.io`       atomic writes: nothing half-written survives an interrupt
- :mod:`drs_lib.cache`    on-disk cache of trained models, keyed by everything that determines them
"""

__version__ = "0.1.0"
