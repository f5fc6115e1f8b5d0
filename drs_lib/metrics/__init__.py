"""Metrics: no sampler, no training code (``pip install ".[metrics]"``).

- :mod:`drs_lib.metrics.distances`     distances between sample sets (exact EMD, sliced Wasserstein, energy)
- :mod:`drs_lib.metrics.prdc_metrics`  precision, recall, density and coverage
- :mod:`drs_lib.metrics.mixture`       the 25-Gaussian benchmark's metrics (Tables 1 and 3), and EMD + PRDC of one set
- :mod:`drs_lib.metrics.scores`        classifier-feature scores (IS, FID, KID analogues)
- :mod:`drs_lib.metrics.memorisation`  nearest-training-image distances, near-copy share (Appendix B)
- :mod:`drs_lib.metrics.reliability`   a classifier's calibration: reliability diagram, ECE, saturation

"""
