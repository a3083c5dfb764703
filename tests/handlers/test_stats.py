"""Gini and shares against hand-computed cases."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.stats import gini, percent, top_fifth


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], 0.0),
        ([0, 0, 0], 0.0),
        ([5, 5, 5, 5], 0.0),
        ([0, 0, 0, 10], 0.75),  # one voice among four: (n-1)/n
        ([1, 2, 3, 4], 0.25),  # 2*(1+4+9+16)/(4*10) - 5/4 = 1.5 - 1.25
        ([0, 10], 0.5),
        ([10, 0, 30, 20], 5 / 12),  # order does not matter: 2*200/(4*60) - 5/4
    ],
)
def test_gini_hand_computed(values: list[int], expected: float) -> None:
    assert gini(values) == pytest.approx(expected)


@given(st.lists(st.integers(0, 1000), min_size=1, max_size=30))
def test_gini_bounds(values: list[int]) -> None:
    g = gini(values)
    assert 0 <= g <= 1 - 1 / len(values) + 1e-9


def test_top_fifth() -> None:
    assert top_fifth([]) == (0, 0.0)
    assert top_fifth([1, 1, 1]) == (1, pytest.approx(1 / 3))  # a fifth of 3 is at least one
    assert top_fifth([50, 20, 10, 10, 5, 5, 0, 0, 0, 0]) == (2, pytest.approx(0.7))
    assert top_fifth([0, 0]) == (1, 0.0)


def test_percent() -> None:
    assert percent(1, 3) == "33%"
    assert percent(0, 0) == "0%"
