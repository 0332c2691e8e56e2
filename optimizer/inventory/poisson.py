"""Exact base-stock measures for Poisson lead-time demand, vectorised and stable for large means.

With one-for-one replenishment and base-stock level S, units on hand are ``S - D`` where D is the
Poisson lead-time demand with mean μ. By PASTA a demand finds a unit on hand with probability
``P(D <= S - 1)``. Survival functions (``poisson.sf``) avoid the cancellation of ``1 - cdf``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.stats import poisson

from aftersales.optimizer.arrays import FloatArray


def fill_probability(level: npt.ArrayLike, mean: npt.ArrayLike) -> FloatArray:
    """Probability that a demand finds stock on hand, P(D ≤ S − 1); 0 for S = 0."""
    level = np.asarray(level, dtype=float)
    return np.where(level > 0, poisson.cdf(level - 1, mean), 0.0)


def expected_backorders(level: npt.ArrayLike, mean: npt.ArrayLike) -> FloatArray:
    """E[(D − S)+] = μ·P(D ≥ S) − S·P(D ≥ S + 1), units."""
    level = np.asarray(level, dtype=float)
    mean = np.asarray(mean, dtype=float)
    return np.maximum(mean * poisson.sf(level - 1, mean) - level * poisson.sf(level, mean), 0.0)


def level_for_fill(target: npt.ArrayLike, mean: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """Smallest S with P(D ≤ S − 1) ≥ target (0 where the mean is 0)."""
    mean = np.asarray(mean, dtype=float)
    level = poisson.ppf(target, mean) + 1
    return np.where(mean > 0, level, 0).astype(np.int64)
