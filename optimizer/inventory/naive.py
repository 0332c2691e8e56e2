"""Baseline stock rule: every part of every pool meets the pool's fill target on its own.

Planners often set one fill-rate target for every part. It ignores that a cheap part can carry
more of a tier's service than an expensive one, which is what the frontier method exploits.
"""

from __future__ import annotations

import time

from aftersales.optimizer.inventory.data import StockData
from aftersales.optimizer.inventory.poisson import level_for_fill
from aftersales.optimizer.inventory.result import InventoryResult, demand_pairs, evaluate_levels
from aftersales.optimizer.schema import LayerResult


def naive_stock(data: StockData) -> InventoryResult:
    """Smallest level per (pool, part) whose fill probability reaches the pool's target."""
    started = time.perf_counter()
    pools, parts, demand = demand_pairs(data)
    mean = demand * data.lead_time_years[parts]
    levels = level_for_fill(data.pool_fill_target[pools], mean)
    evaluation = evaluate_levels(data, pools, parts, demand, levels)
    costs = evaluation.costs()
    report = LayerResult(
        layer="inventory",
        status="feasible",
        method="naive-per-part-fill-target",
        objective=float(evaluation.cost_per_year.sum()),
        seconds=time.perf_counter() - started,
    )
    return InventoryResult(report, evaluation.rows(data), costs)
