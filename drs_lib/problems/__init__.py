"""Data and problems with known answers.

- :mod:`drs_lib.problems.data`       the 25-Gaussian grid and the Swiss roll
- :mod:`drs_lib.problems.ideal`      the idealized 1D setting of Section 3.1
- :mod:`drs_lib.problems.exact_toy`  a known-answer problem with the exact log density ratio
- :mod:`drs_lib.problems.digits`     small labelled image data sets (stand-ins for ImageNet)
"""
