"""Chapter logic moved out of the notebooks, one module per chapter, each under test.

- :mod:`drs_book.chapters.ddls`  chapter 06: DRS beside DDLS, MH-GAN and DOT (measures, rules, generated text)
"""
