"""drs_book.report.low_outliers: the rule that names a failed model beside a mean (chapter 02)."""

import pytest

from drs_book.report import low_outliers


def test_a_collapsed_model_among_ten_is_named_and_ordinary_spread_is_not():
    hq = [72.4, 72.4, 79.1, 65.1, 67.7, 69.4, 62.9, 73.3, 11.1, 73.9]
    assert low_outliers(hq) == [8]
    assert low_outliers([70.0, 65.0, 75.0, 68.0, 72.0]) == []


def test_high_values_are_not_low_outliers_and_identical_values_have_none():
    assert low_outliers([10.0, 11.0, 9.0, 10.5, 95.0]) == []
    assert low_outliers([5.0, 5.0, 5.0, 5.0]) == []


def test_too_few_values_is_an_error():
    with pytest.raises(ValueError, match="at least 3"):
        low_outliers([1.0, 2.0])
