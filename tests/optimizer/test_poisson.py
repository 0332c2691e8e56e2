"""Base-stock measures under Poisson lead-time demand, against direct sums."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aftersales.optimizer.inventory.poisson import (
    expected_backorders,
    fill_probability,
    level_for_fill,
)


def _pmf(x: int, mean: float) -> float:
    return math.exp(-mean + x * math.log(mean) - math.lgamma(x + 1)) if mean > 0 else float(x == 0)


@given(level=st.integers(0, 30), mean=st.floats(0.01, 20))
def test_fill_and_backorders_match_direct_sums(level: int, mean: float) -> None:
    """P(D ≤ S−1) and E[(D−S)+] equal their defining sums."""
    fill = sum(_pmf(x, mean) for x in range(level))
    backorders = sum((x - level) * _pmf(x, mean) for x in range(level + 1, 200))
    assert fill_probability(level, mean) == pytest.approx(fill, abs=1e-12)
    assert expected_backorders(level, mean) == pytest.approx(backorders, abs=1e-9)


def test_hand_values_for_mean_one() -> None:
    """μ = 1: fill(1) = e⁻¹, fill(2) = 2e⁻¹, EBO(0) = 1, EBO(1) = e⁻¹."""
    e = math.exp(-1)
    assert fill_probability([0, 1, 2], 1.0).tolist() == pytest.approx([0, e, 2 * e])
    assert expected_backorders([0, 1], 1.0).tolist() == pytest.approx([1, e])


def test_large_means_stay_finite() -> None:
    """Means of 10⁵ units give probabilities in [0, 1] and backorders ≥ 0, no NaN."""
    levels = np.array([0, 99_000, 100_000, 101_500])
    fill = fill_probability(levels, 1e5)
    backorders = expected_backorders(levels, 1e5)
    assert np.all((fill >= 0) & (fill <= 1))
    assert np.all(backorders >= 0)
    assert fill[3] > 0.99
    assert backorders[0] == pytest.approx(1e5)


@given(target=st.floats(0.01, 0.999), mean=st.floats(0.01, 50))
def test_level_for_fill_is_the_smallest_meeting_target(target: float, mean: float) -> None:
    """The returned level meets the target and one unit less does not."""
    level = int(level_for_fill(target, mean))
    assert fill_probability(level, mean) >= target
    assert level == 0 or fill_probability(level - 1, mean) < target
