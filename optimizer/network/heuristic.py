"""Primal heuristic for the facility core: drop depots greedily, then assign by regret.

HiGHS proves bounds well on large location models but may keep a poor incumbent for a long time;
a good start fixes that (DESIGN.md, "Pitfalls"). Drop: from all depots open, repeatedly close the
depot whose closing saves most on the uncapacitated cost, while the open capacity still covers
demand. Assign: sites with the largest regret (second-cheapest minus cheapest depot) choose first.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from aftersales.optimizer.arrays import BoolArray
from aftersales.optimizer.network.facility import FacilityProblem, Start

CAPACITY_SLACK = 1.05
"""Keep open capacity at least this multiple of demand while dropping, to ease assignment."""


def _best_two(
    cost: npt.NDArray[np.float64], is_open: BoolArray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per site: cheapest open depot, its cost and the second-cheapest cost."""
    masked = np.where(is_open[None, :], cost, np.inf)
    if masked.shape[1] == 1:
        return np.zeros(len(masked), dtype=np.intp), masked[:, 0], np.full(len(masked), np.inf)
    two = np.argpartition(masked, 1, axis=1)[:, :2]
    values = np.take_along_axis(masked, two, axis=1)
    first = np.argmin(values, axis=1)
    rows = np.arange(len(masked))
    return two[rows, first], values[rows, first], values[rows, 1 - first]


def drop_open_set(problem: FacilityProblem, cost: npt.NDArray[np.float64]) -> BoolArray:
    """Close depots one at a time while it pays (or while over ``max_open``)."""
    is_open = np.ones(problem.depots, dtype=bool)
    need = problem.demand.sum() * CAPACITY_SLACK
    while is_open.sum() > max(problem.min_open, 1):
        best, first, second = _best_two(cost, is_open)
        if not np.isfinite(first).all():
            break
        lost = np.bincount(best, weights=second - first, minlength=problem.depots)
        saving = np.where(is_open, problem.open_cost - lost, -np.inf)
        saving[is_open & (problem.capacity_total_without(is_open) < need)] = -np.inf
        j = int(np.argmax(saving))
        if saving[j] == -np.inf or (saving[j] <= 0 and is_open.sum() <= problem.max_open):
            break
        is_open[j] = False
    return is_open


def assign_by_regret(
    problem: FacilityProblem, cost: npt.NDArray[np.float64], is_open: BoolArray
) -> npt.NDArray[np.float64] | None:
    """Per-pair fractions serving every site within capacity, or None if this greedy fails."""
    room = np.where(is_open, problem.capacity, 0.0)
    dense = np.zeros_like(cost)
    masked = np.where(is_open[None, :], cost, np.inf)
    _, first, second = _best_two(cost, is_open)
    for i in np.argsort(-(np.minimum(second, 1e300) - first), kind="stable"):
        left = problem.demand[i]
        for j in np.argsort(masked[i], kind="stable"):
            if not np.isfinite(masked[i, j]) or left <= 1e-12:
                break
            take = left if room[j] >= left else (0.0 if problem.single_source else room[j])
            if take > 0:
                dense[i, j] = take / problem.demand[i] if problem.demand[i] > 0 else 1.0
                room[j] -= take
                left -= take
        if left > 1e-9 * max(1.0, problem.demand[i]):
            return None
    return dense[problem.pair_site, problem.pair_depot]


def heuristic_solution(
    problem: FacilityProblem,
) -> Start | None:
    """A feasible (open mask, pair fractions), with unused open depots closed, or None."""
    cost = problem.dense_cost()
    is_open = drop_open_set(problem, cost)
    fraction = assign_by_regret(problem, cost, is_open)
    if fraction is None:
        return None
    used = np.bincount(problem.pair_depot, weights=fraction, minlength=problem.depots) > 0
    if used.sum() >= problem.min_open:
        is_open &= used | (problem.open_cost < 0)
    return is_open, fraction
