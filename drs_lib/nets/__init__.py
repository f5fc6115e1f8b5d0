"""Networks.

- :mod:`drs_lib.nets.models`    MLP generator and discriminator, one or S stacked
- :mod:`drs_lib.nets.convnets`  small convolutional networks for the image experiments
- :mod:`drs_lib.nets.heads`     BCE heads on a discriminator's features (Section 4.2)
"""
