"""Tests of the per-depot inventory cost curve refitted for the network layer."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from aftersales.optimizer.inventory.curve import depot_cost_points, fit_inventory_cost_curve
from aftersales.optimizer.inventory.data import StockData
from aftersales.optimizer.inventory.frontier import trace_frontier
from aftersales.optimizer.inventory.tables import level_tables


def depots_of_growing_demand() -> StockData:
    """Six depots pooling 1× to 32× the same demand of three parts, one tier at 0.95."""
    scale = np.array([1, 2, 4, 8, 16, 32], dtype=float)
    demand = scale[:, None] * np.array([[2.0, 5.0, 1.0]])
    pools = len(scale)
    return StockData(
        pool_depots=tuple(f"D{p}" for p in range(pools)),
        pool_names=("pooled",) * pools,
        pool_fill_target=np.full(pools, 0.95),
        part_ids=("A", "B", "C"),
        demand_per_year=sp.csr_array(demand),
        lead_time_years=np.array([10.0, 20.0, 5.0]) / 365,
        holding_cost_per_unit_year=np.array([50.0, 10.0, 200.0]),
        emergency_cost=np.array([100.0, 100.0, 100.0]),
        credit_exposure_per_year=sp.csr_array((pools, 3)),
        group_pools=np.arange(pools),
        group_tiers=("gold",) * pools,
        group_sites=(None,) * pools,
        group_target=np.full(pools, 0.95),
        group_demand_per_year=sp.csr_array(demand),
        tier_ids=("gold",),
    )


def solved_levels(data: StockData) -> np.ndarray:
    """Levels of the frontier method."""
    tables = level_tables(data)
    tiers = np.zeros(len(data.group_target), dtype=np.intp)
    return trace_frontier(tables, data.group_target, tiers, 1).levels


def test_curve_is_concave_through_the_origin_and_close_to_the_depots() -> None:
    """Pooling: cost grows slower than demand; the fit stays within 25 % of every depot."""
    data = depots_of_growing_demand()
    levels = solved_levels(data)
    curve = fit_inventory_cost_curve(data, levels, segments=3)
    slope, _ = curve.segments()
    assert curve.demand_per_year[0] == 0
    assert curve.cost_per_year[0] == 0
    assert np.all(np.diff(slope) <= 1e-9)  # concave: slopes fall
    assert 0.3 <= curve.exponent < 1.0
    x, y = depot_cost_points(data, levels)
    assert np.all(np.abs(curve(x) - y) <= 0.25 * y)
    assert curve.points == 6


def test_curve_evaluates_as_the_minimum_of_its_segments() -> None:
    """Between breakpoints the curve interpolates linearly; beyond, the last piece extends."""
    data = depots_of_growing_demand()
    curve = fit_inventory_cost_curve(data, solved_levels(data), segments=2)
    mid = curve.demand_per_year[:2].mean()
    assert float(curve(mid)) == pytest.approx(curve.cost_per_year[:2].mean())
    far = 2 * curve.demand_per_year[-1]
    slope, intercept = curve.segments()
    assert float(curve(far)) == pytest.approx(intercept[-1] + slope[-1] * far)


def test_curve_needs_pooled_demand() -> None:
    """No stock cost anywhere: a clear ValueError, not a fit through nothing."""
    data = depots_of_growing_demand()
    empty = StockData(
        **{**data.__dict__, "demand_per_year": sp.csr_array(np.zeros((6, 3)))},
    )
    with pytest.raises(ValueError, match="no pooled pool"):
        fit_inventory_cost_curve(empty, np.zeros(0, dtype=int))
