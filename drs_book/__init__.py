"""drs_book: the book's own machinery, built on drs_lib and not part of it (nor of its wheel).

The chapters (``notebooks/*.md``), ``tools/`` and the tests import it from the checkout: the
Makefile puts the repository root on ``PYTHONPATH`` (papermill's kernels and the tools inherit
it) and pytest's ``pythonpath = ["."]`` does the same for the tests. drs_lib never imports it
(``tests/test_import_structure.py``). Its dependencies (pandas, scipy, matplotlib, seaborn,
myst_nb) come with the book's toolchain, ``requirements.txt``.

- :mod:`drs_book.report`           numbers in a notebook's prose (glue) and "mean ± std"
- :mod:`drs_book.params`           checking notebook (papermill) parameters before any work, declaratively
- :mod:`drs_book.cache`            on-disk cache of trained models, keyed by everything that determines them
- :mod:`drs_book.claims`           claims checked against the papers, verdicts computed (a package: statistics, rules, ledger)
- :mod:`drs_book.landing`          the landing page's answer: the paper's claims grouped, tallied, qualified
- :mod:`drs_book.tradeoff`         the verdicts on the quality–diversity sweep of :mod:`drs_lib.compare.tradeoff`
- :mod:`drs_book.cached_training`  configs as cache keys, load-or-train for the 2D GANs and KeepTraining
- :mod:`drs_book.regime`           which 2D GAN setting matches the paper's regime; the shared presets
- :mod:`drs_book.style`            one look for every figure and table
- :mod:`drs_book.tables`           the tables: "mean ± std" per group, HTML that scrolls on a phone
- :mod:`drs_book.plotting`         scatter panels of the 2D toy experiments
- :mod:`drs_book.plotting_ideal`   figures of the idealized 1D setting
- :mod:`drs_book.plotting_images`  figures of the image experiments
- :mod:`drs_book.plotting_tradeoff` the quality–diversity figure (precision/recall, density/coverage)
- :mod:`drs_book.explorer`         the γ explorer: DRS and thresholding at every γ of one GAN, an offline Bokeh page
- :mod:`drs_book.image_checks`     the digits' memorisation, class-balance and calibration tables and figures
- :mod:`drs_book.chapters`         chapter logic out of the notebooks, under test (``chapters.ddls``: chapter 06)
"""
