"""A valid lower bound for the whole facility model, cheap enough for every candidate pair.

Relaxing the assign-once rows with multipliers u gives, for each depot j, the subproblem
``min open_cost[j] + Σ_i (c_ij − u_i)·x_ij  s.t.  Σ_i d_i·x_ij ≤ capacity_j, 0 ≤ x_ij ≤ 1``: a
continuous knapsack, solved by taking the most negative reduced costs per unit of demand first.
Depots are then opened where that pays, within the depot-count bounds. Every value of
``L(u) = Σ u + Σ chosen subproblems + offset`` is a lower bound (weak duality); subgradient
steps (Held–Karp, Polyak step length) raise it towards the LP bound of the strong formulation.
That bound holds for *all* pairs even when the MILP only sees each site's cheapest ones.

With a concave stock-cost curve (pieces s: ``intercept_s + slope_s × pooled load``) a depot's
subproblem is the cheapest over its pieces of ``intercept_s`` plus the knapsack with reduced
costs ``c_ij + slope_s·w_i − u_i``.
"""

from __future__ import annotations

import time

import numpy as np
import numpy.typing as npt

from aftersales.optimizer.arrays import FloatArray
from aftersales.optimizer.network.facility import FacilityProblem

STALL_ITERATIONS = 15
"""Halve the step factor after this many iterations without a better bound."""
SMALLEST_STEP_FACTOR = 1e-4


def _depot_values(
    reduced: FloatArray, demand: FloatArray, capacity: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Best continuous-knapsack value per depot and the x that reaches it, shape (sites, depots)."""
    gain = np.minimum(reduced, 0.0)
    x = (gain < 0).astype(float)
    limited = np.flatnonzero(np.isfinite(capacity) & ((x * demand[:, None]).sum(axis=0) > capacity))
    if len(limited):
        sub = gain[:, limited]
        order = np.argsort(sub / demand[:, None], axis=0)
        sorted_demand = np.where(np.take_along_axis(sub, order, axis=0) < 0, demand[order], 0.0)
        before = np.cumsum(sorted_demand, axis=0) - sorted_demand
        share = np.clip(
            (capacity[limited][None, :] - before) / np.maximum(sorted_demand, 1e-300), 0, 1
        )
        share = np.where(sorted_demand > 0, share, 0.0)
        taken = np.zeros_like(sub)
        np.put_along_axis(taken, order, share, axis=0)
        x[:, limited] = taken
    values = (np.where(x > 0, reduced, 0.0) * x).sum(axis=0)
    return values, x


def _curve_values(problem: FacilityProblem, reduced: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Per depot, the best knapsack value over the stock-curve pieces (or without a curve)."""
    if problem.stock_curve is None or problem.pooled_demand is None:
        return _depot_values(reduced, problem.demand, problem.capacity)
    slopes, intercepts = problem.stock_curve
    weight = problem.pooled_demand[:, None]
    best_values, best_x = _depot_values(
        reduced + slopes[0] * weight, problem.demand, problem.capacity
    )
    best_values = best_values + intercepts[0]
    for slope, intercept in zip(slopes[1:], intercepts[1:], strict=True):
        values, x = _depot_values(reduced + slope * weight, problem.demand, problem.capacity)
        values = values + intercept
        better = values < best_values
        best_values = np.where(better, values, best_values)
        best_x[:, better] = x[:, better]
    return best_values, best_x


def _choose_depots(value: FloatArray, min_open: int, max_open: int) -> npt.NDArray[np.bool_]:
    """Open the depots whose subproblem value is negative, within the count bounds."""
    order = np.argsort(value)
    count = int(np.clip((value < 0).sum(), min_open, max_open))
    chosen = np.zeros(len(value), dtype=bool)
    chosen[order[:count]] = True
    return chosen


def lagrangian_bound(
    problem: FacilityProblem, upper_bound: float, seconds: float, max_iterations: int = 500
) -> float:
    """Best Lagrangian lower bound found within the time, plus ``staffing_lower_bound`` for a
    contract model (the two parts of the objective are bounded apart); ``-inf`` if none."""
    started = time.perf_counter()
    staffing = staffing_lower_bound(problem)
    upper_bound -= staffing
    cost = problem.dense_cost()
    u = np.min(cost, axis=1)
    if not np.all(np.isfinite(u)):
        return -np.inf
    cost = np.where(np.isfinite(cost), cost, 1e18)
    best, factor, stall = -np.inf, 2.0, 0
    for _ in range(max_iterations):
        if time.perf_counter() - started > seconds:
            break
        values, x = _curve_values(problem, cost - u[:, None])
        chosen = _choose_depots(problem.open_cost + values, problem.min_open, problem.max_open)
        bound = u.sum() + (problem.open_cost + values)[chosen].sum() + problem.offset
        if bound > best + (1e-9 * abs(best) if np.isfinite(best) else 0.0):
            best, stall = bound, 0
        else:
            stall += 1
            if stall >= STALL_ITERATIONS:
                factor, stall = factor / 2, 0
        if factor < SMALLEST_STEP_FACTOR:
            break
        subgradient = 1.0 - x[:, chosen].sum(axis=1)
        norm = float(subgradient @ subgradient)
        if norm < 1e-12:
            break
        u += factor * max(upper_bound - bound, 1e-9 * abs(upper_bound)) / norm * subgradient
    return float(best) + staffing


def staffing_lower_bound(problem: FacilityProblem) -> float:
    """A lower bound on the contract block's cost (0 without staffing), valid for any network.

    Per skill k, the headcount H_k over all pools is at least the hours rule's
    ``ceil(Σ_i min_j work[i, j, k] / (u × hours))``, each site served from its cheapest
    candidate depot in hours. Of today's E_k technicians r are released (each saving at most the
    dearest pool's labour net of the release cost) and at least ``max(0, H_k − E_k + r)`` are
    hired, the rest kept or moved at no less than 0; the cost is convex in r, so its least value
    is at a breakpoint: r = 0, ``max(0, E_k − H_k)`` or E_k. Today's labour is the constant.
    """
    contract = problem.contract
    if contract is None or contract.staffing is None:
        return 0.0
    staffing = contract.staffing
    capacity = staffing.max_utilisation * staffing.hours_per_technician
    hire = staffing.hire_cost_per_year + staffing.hiring_cost
    total = float((staffing.labour_per_year * staffing.existing).sum())
    for k in range(len(staffing.skills)):
        work = staffing.work_hours(contract.minutes, k)[problem.pair_site, problem.pair_depot]
        least = np.full(problem.sites, np.inf)
        np.minimum.at(least, problem.pair_site, work)
        heads = int(np.ceil(least.sum() / capacity - 1e-9))
        existing = int(staffing.existing[:, k].sum())
        pools = staffing.existing[:, k] > 0
        saving = float((staffing.release_cost - staffing.labour_per_year[pools, k]).min(initial=0))
        total += min(
            hire * max(0, heads - existing + r) + saving * r
            for r in {0, max(0, existing - heads), existing}
        )
    return total
