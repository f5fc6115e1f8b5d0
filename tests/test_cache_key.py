"""The model cache's key cannot drift: these file names were computed before the package layout
changed (issue 18), and one of them (the digits classifier at its defaults, on the CPU) is a real
entry of the book's ``.cache/models``. A different name here means every trained model of every
reader's cache would be retrained: the key is the entry name, the config, ``drs_lib.__version__``
and the cache format, and nothing about where the code lives.
"""

from __future__ import annotations

import drs_lib
from drs_lib.training import train_images
from drs_book.cache import ModelCache
from drs_book.cached_training import gan_config, keep_training_config
from drs_lib.problems.data import data_spec


def test_library_version_is_the_one_the_cache_was_filled_with():
    assert drs_lib.__version__ == "0.1.0"


def test_cache_file_names_are_pinned():
    cache = ModelCache("/nonexistent")
    gan = gan_config(data_spec("mixture"), [0, 1, 2])
    assert cache.path("gan", gan).name == "gan-fc5507b543a6dbddcea2.pt"
    assert cache.path("keep_training", keep_training_config(gan)).name == "keep_training-8196bdf0bab8f62a3366.pt"
    plain = {"data": {"name": "sklearn_digits"}, "lr": 0.1, "steps": 3, "device_type": "cpu"}
    assert cache.path("digits-gan", plain).name == "digits-gan-1a2989a7266c8ac6ccf1.pt"
    classifier = {"data": train_images.data_config(), "classifier": dict(train_images.DEFAULT_CLASSIFIER), "device_type": "cpu"}
    assert cache.path("digits-classifier", classifier).name == "digits-classifier-6c0a463c6292083460b4.pt"
