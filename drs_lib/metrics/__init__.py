"""Metrics: no sampler, no training code (``pip install ".[metrics]"``).

- :mod:`drs_lib.metrics.distances`     distances between sample sets (exact EMD, sliced Wasserstein, energy)
- :mod:`drs_lib.metrics.prdc_metrics`  precision, recall, density and coverage
- :mod:`drs_lib.metrics.mixture`       the 25-Gaussian benchmark's metrics (Tables 1 and 3), and EMD + PRDC of one set
- :mod:`drs_lib.metrics.scores`        classifier-feature scores (IS, FID, KID analogues)
- :mod:`drs_lib.metrics.memorisation`  nearest-training-image distances, near-copy share (Appendix B)
- :mod:`drs_lib.metrics.reliability`   a classifier's calibration: reliability diagram, ECE, saturation

Until issue 18 ``drs_lib.metrics`` was the module now called :mod:`drs_lib.metrics.mixture`.
Its names (``from drs_lib.metrics import mixture_metrics``) still resolve here, with a
``DeprecationWarning`` naming ``drs_lib.metrics.mixture``; importing this package alone imports
no metric module (and so needs no extra).
"""

from __future__ import annotations

import importlib
import warnings

#: The names the old module ``drs_lib.metrics`` had, now in ``drs_lib.metrics.mixture``.
MOVED_TO_MIXTURE = ("HQ_STDS", "WITHIN", "DEFAULT_K", "assign_modes", "gaussian_within", "metrics_rows",
                    "mixture_metrics", "pct_beyond", "ranking_auc", "sample_set_scores")


def __getattr__(name: str):
    if name in MOVED_TO_MIXTURE:
        warnings.warn(f"drs_lib.metrics.{name} moved to drs_lib.metrics.mixture.{name}; import it from there "
                      "(the old path will be removed)", DeprecationWarning, stacklevel=2)
        return getattr(importlib.import_module("drs_lib.metrics.mixture"), name)
    raise AttributeError(f"module 'drs_lib.metrics' has no attribute {name!r}")
