"""Chapter logic moved out of the notebooks, one module per chapter, each under test.

- :mod:`drs_book.chapters.ddls`         chapter 06: DRS beside DDLS, MH-GAN and DOT (measures, rules, generated text)
- :mod:`drs_book.chapters.ddls_checks`  chapter 06: the known-answer check, the step-size pilot, the chains' convergence
- :mod:`drs_book.chapters.ddls_samplers`  chapter 06: the methods' specs per data set and the DDLS checkpoint rows
- :mod:`drs_book.chapters.ddls_runs`    chapter 06: parameter schema, the runs (models, known answer, pilot, samplers, sweep), tables, claims
- :mod:`drs_book.chapters.mixture`      chapter 02: parameter schema, DRS at every snapshot, the field's metrics at the budget
- :mod:`drs_book.chapters.inception`    chapter 05: parameter schema, Table 2, the γ sweep and acceptance pools, their claims
- :mod:`drs_book.chapters.own_gan`      chapter 07: parameter schema, the direction sentence over GANs, Table 07-A
"""
