"""Tests of the frontier method and the exact MILP on hand-built and random StockData."""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aftersales.optimizer.inventory.data import StockData
from aftersales.optimizer.inventory.exact import solve_exact
from aftersales.optimizer.inventory.frontier import (
    TARGET_SLACK,
    hull_levels,
    start_levels,
    trace_frontier,
)
from aftersales.optimizer.inventory.tables import achieved_fill, level_tables, table_levels

DAYS = 365.0


def stock_data(
    group_demand: list[list[float]],
    group_pools: list[int],
    targets: list[float],
    lead_days: list[float],
    holding: list[float],
    emergency: list[float],
    tiers: list[int] | None = None,
    group_credit: list[float] | None = None,
) -> StockData:
    """StockData from per-group part demand (groups × parts); pool demand sums its groups.

    ``group_credit`` is the credit of each group's late call per stock-out (default none).
    """
    demand = np.asarray(group_demand, dtype=float)
    pools = max(group_pools) + 1
    pool_demand = np.zeros((pools, demand.shape[1]))
    np.add.at(pool_demand, np.asarray(group_pools), demand)
    credit = np.zeros(len(targets)) if group_credit is None else np.asarray(group_credit)
    exposure = np.zeros_like(pool_demand)
    np.add.at(exposure, np.asarray(group_pools), demand * credit[:, None])
    tiers = tiers if tiers is not None else list(range(len(targets)))
    tier_ids = tuple(f"t{t}" for t in range(max(tiers) + 1))
    return StockData(
        pool_depots=tuple(f"D{p}" for p in range(pools)),
        pool_names=("pooled",) * pools,
        pool_fill_target=np.full(pools, max(targets)),
        part_ids=tuple(f"K{k}" for k in range(demand.shape[1])),
        demand_per_year=sp.csr_array(pool_demand),
        lead_time_years=np.asarray(lead_days, dtype=float) / DAYS,
        holding_cost_per_unit_year=np.asarray(holding, dtype=float),
        emergency_cost=np.asarray(emergency, dtype=float),
        credit_exposure_per_year=sp.csr_array(exposure),
        group_pools=np.asarray(group_pools, dtype=np.intp),
        group_tiers=tuple(tier_ids[t] for t in tiers),
        group_sites=(None,) * len(targets),
        group_target=np.asarray(targets, dtype=float),
        group_demand_per_year=sp.csr_array(demand),
        tier_ids=tier_ids,
    )


def tier_index(data: StockData) -> np.ndarray:
    """Tier index of each group."""
    return np.array([data.tier_ids.index(t) for t in data.group_tiers], dtype=np.intp)


def solve(data: StockData, max_level: int | None = None):
    """Tables and the frontier method's solution."""
    tables = level_tables(data, max_level)
    return tables, trace_frontier(tables, data.group_target, tier_index(data), len(data.tier_ids))


def test_hull_jumps_over_the_rising_fill_increments() -> None:
    """Fill increments 0.1, 0.3, 0.4, 0.1 at cost 1 each: the hull skips level 1 and 2."""
    # Slopes from level 0: to 1: 0.1, to 2: 0.2, to 3: 0.267, to 4: 0.225 → first vertex 3.
    fill = [0.0, 0.1, 0.4, 0.8, 0.9]
    cost = [0.0, 1.0, 2.0, 3.0, 4.0]
    assert hull_levels(cost, fill, 0) == [0, 3, 4]


def test_hull_drops_levels_that_cost_more_and_fill_less() -> None:
    """Level 1 costs more than level 2 (emergency saving): it is not on the frontier."""
    fill = [0.0, 0.5, 0.9]
    cost = [10.0, 12.0, 11.0]
    assert hull_levels(cost, fill, 0) == [0, 2]


def test_start_level_minimises_holding_plus_emergency() -> None:
    """λ 10/yr, μ = 1 (36.5 days), h 10, e 100: cost(S) = 10 S + 1000 (1 − P(D ≤ S − 1))."""
    data = stock_data([[10.0]], [0], [0.5], [36.5], [10.0], [100.0])
    tables = level_tables(data)
    # cost(S): S=0 1000; 1: 10 + 1000 (1 − e^-1) = 642.1; 2: 20 + 1000 (1 − 2e^-1) = 284.2;
    # 3: 30 + 1000 (1 − 2.5e^-1) = 110.3; 4: 40 + 1000 (1 − 8/3 e^-1) = 58.99;
    # 5: 50 + 1000 (1 − 65/24 e^-1) = 53.66; 6: 60 + 1000 (1 − 163/60 e^-1) = 60.59 → S0 = 5.
    assert start_levels(tables).tolist() == [5]
    assert math.isclose(tables.cost[5], 50 + 1000 * (1 - 65 / 24 * math.exp(-1)))


def test_single_part_meets_its_target_with_the_fewest_units() -> None:
    """One part, no emergency cost: the smallest S with P(D ≤ S − 1) ≥ 0.9 for μ = 1 is 3."""
    # P(D ≤ 1) = 2e^-1 = 0.736 < 0.9; P(D ≤ 2) = 2.5 e^-1 = 0.920 ≥ 0.9.
    data = stock_data([[10.0]], [0], [0.9], [36.5], [10.0], [0.0])
    _, solution = solve(data)
    assert solution.levels.tolist() == [3]
    assert solution.met.all()


def test_cheap_part_carries_more_of_the_target_than_a_dear_one() -> None:
    """Equal demand (μ = 2), target 0.9 on the average: the cheap part carries more of it."""
    # P(D ≤ 2, 3, 4, 5) = 0.677, 0.857, 0.947, 0.983. (5, 4): (0.947 + 0.857) / 2 = 0.902 ≥ 0.9
    # for 5 + 400; (4, 4) 0.857 and (6, 3) 0.830 fall short; (4, 5) costs 4 + 500.
    data = stock_data([[10.0, 10.0]], [0], [0.9], [73, 73], [1.0, 100.0], [0.0, 0.0])
    tables, solution = solve(data)
    assert solution.levels.tolist() == [5, 4]
    assert achieved_fill(tables, solution.levels)[0] >= 0.9


def test_exact_reports_infeasible_from_highs_when_the_cap_is_too_low() -> None:
    """μ = 10, at most 2 units: fill ≤ P(D ≤ 1) = 11 e^-10 ≈ 5e-4 < 0.5: HiGHS says infeasible."""
    data = stock_data([[100.0]], [0], [0.5], [36.5], [1.0], [10.0])
    tables = level_tables(data, max_level=2)
    exact = solve_exact(tables, data.group_target, time_limit_seconds=10)
    assert exact.status == "infeasible"
    assert exact.levels is None
    _, solution = solve(data, max_level=2)
    assert not solution.met.any()
    assert solution.levels.tolist() == [2]  # best effort: every unit the cap allows


def test_exact_matches_enumeration_on_two_parts() -> None:
    """Two parts, levels 0..8: the MILP optimum equals brute-force enumeration."""
    data = stock_data(
        [[6.0, 3.0], [2.0, 9.0]], [0, 0], [0.8, 0.9], [20, 10], [30.0, 5.0], [50.0, 200.0]
    )
    tables = level_tables(data, max_level=8)
    exact = solve_exact(tables, data.group_target, time_limit_seconds=10)
    best = math.inf
    for a in range(tables.top[0] + 1):
        for b in range(tables.top[1] + 1):
            levels = np.array([a, b])
            if (achieved_fill(tables, levels) >= data.group_target - 1e-9).all():
                best = min(best, float(tables.cost[table_levels(tables, levels)].sum()))
    assert exact.status == "optimal"
    assert math.isclose(exact.objective, best, rel_tol=1e-9)


@st.composite
def small_instances(draw: st.DrawFn) -> StockData:
    """≤ 3 pools (depots), ≤ 6 parts, ≤ 3 tiers with targets in [0.5, 0.97]."""
    pools = draw(st.integers(1, 3))
    parts = draw(st.integers(1, 6))
    tiers = draw(st.integers(1, 3))
    targets = draw(st.lists(st.floats(0.5, 0.97), min_size=tiers, max_size=tiers))
    credits = draw(
        st.lists(st.one_of(st.just(0.0), st.floats(0.0, 500.0)), min_size=tiers, max_size=tiers)
    )
    rate = st.one_of(st.just(0.0), st.floats(0.2, 20.0))
    demand, group_pools, group_tiers = [], [], []
    for p in range(pools):
        for t in range(tiers):
            row = draw(st.lists(rate, min_size=parts, max_size=parts))
            if sum(row) == 0:
                row[draw(st.integers(0, parts - 1))] = 1.0
            demand.append(row)
            group_pools.append(p)
            group_tiers.append(t)
    floats = st.lists
    return stock_data(
        demand,
        group_pools,
        [targets[t] for t in group_tiers],
        draw(floats(st.floats(2, 30), min_size=parts, max_size=parts)),
        draw(floats(st.floats(2.0, 2000.0), min_size=parts, max_size=parts)),
        draw(floats(st.floats(0.0, 400.0), min_size=parts, max_size=parts)),
        tiers=group_tiers,
        group_credit=[credits[t] for t in group_tiers],
    )


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(small_instances())
def test_frontier_method_is_within_half_a_percent_of_the_milp(data: StockData) -> None:
    """Random small cases, stock ≤ 8: targets hold and cost ≤ 1.005 × the MILP optimum."""
    tables, solution = solve(data, max_level=8)
    exact = solve_exact(tables, data.group_target, time_limit_seconds=20)
    assert exact.status in ("optimal", "infeasible"), exact.message
    if exact.status == "infeasible":
        assert not solution.met.all()  # the method must not claim an impossible target
        return
    assert solution.met.all()
    achieved = achieved_fill(tables, solution.levels)
    assert (achieved >= data.group_target - TARGET_SLACK).all()
    assert (solution.levels <= 8).all()
    cost = float(tables.cost[table_levels(tables, solution.levels)].sum())
    assert cost <= exact.objective * 1.005 + 1e-9
    assert exact.bound is not None
    assert cost >= exact.bound - 1e-6 * max(1.0, abs(exact.bound))


@settings(max_examples=30, deadline=None, derandomize=True)
@given(small_instances())
def test_frontier_trace_starts_cheapest_and_ends_at_the_targets(data: StockData) -> None:
    """Frontier points rise in fill; the first costs least; the targets hold at targets_met_at."""
    _, solution = solve(data)
    trace = solution.trace
    cost = np.add(trace.holding, trace.stockout)
    assert cost[0] <= cost.min() + 1e-9
    assert np.all(np.diff(trace.filled) >= -1e-9)
    assert solution.met.all()  # without a cap every target is reachable
    assert trace.targets_met_at is not None
