"""A previous plan's stock levels in this solve: kept as they were, or kept where changing them
does not pay for itself.

``SolveOptions.freeze = ["stock"]`` keeps every level of the previous plan (``kept_stock``);
their fill, backorders and costs are those of this scenario's demand. The stability prices
``stock_change`` (per level changed) and ``stock_unit`` (per unit moved) enter the stock
layer's objective through ``stable_stock``: starting from the re-solved levels, each changed
level goes back to its previous value when that saves more holding + stock-out + change cost
than it costs and every target group the re-solve meets stays met. The answer is never dearer,
counting the change prices, than the re-solved levels.
"""

from __future__ import annotations

import numpy as np

from aftersales.optimizer.arrays import IntArray
from aftersales.optimizer.inventory.data import StockData
from aftersales.optimizer.inventory.frontier import TARGET_SLACK
from aftersales.optimizer.inventory.result import InventoryResult
from aftersales.optimizer.inventory.solver import assemble_levels, settings_of
from aftersales.optimizer.inventory.tables import LevelTables, achieved_fill, level_tables
from aftersales.optimizer.schema import LayerResult, Scenario, StabilityCosts, StockLevel


def levels_of(data: StockData, tables: LevelTables, stock: list[StockLevel]) -> IntArray:
    """The level ``stock`` (a plan's rows) keeps at every (pool, part) pair with demand here
    (0 where it keeps none: that pool or part had no stock in that plan)."""
    pools = zip(data.pool_depots, data.pool_names, strict=True)
    pool_index = {key: p for p, key in enumerate(pools)}
    part_index = {k: n for n, k in enumerate(data.part_ids)}
    before: dict[tuple[int, int], int] = {}
    for row in stock:
        p, k = pool_index.get((row.depot, row.pool)), part_index.get(row.part)
        if p is not None and k is not None:
            before[p, k] = row.level
    return np.array(
        [before.get((int(p), int(k)), 0) for p, k in zip(tables.pools, tables.parts, strict=True)],
        dtype=np.intp,
    )


def kept_stock(
    scenario: Scenario,
    data: StockData,
    stock: list[StockLevel],
    why: str = "stock levels frozen (options.freeze)",
) -> InventoryResult:
    """The previous plan's levels evaluated under this scenario's demand; ``why`` (the layer's
    message) says why they were kept."""
    tables = level_tables(data, settings_of(scenario).max_level_per_part)
    levels = levels_of(data, tables, stock)
    report = LayerResult(
        layer="inventory",
        status="feasible",
        method="kept from the previous plan",
        message=why,
    )
    return assemble_levels(scenario, data, tables, levels, report)


def change_cost(levels: IntArray, before: IntArray, prices: StabilityCosts) -> float:
    """Stability cost of ``levels`` against ``before``, currency."""
    moved = np.abs(levels.astype(np.int64) - before)
    return float(prices.stock_change * np.count_nonzero(moved) + prices.stock_unit * moved.sum())


def stable_stock(
    scenario: Scenario,
    data: StockData,
    solved: InventoryResult,
    stock: list[StockLevel],
    prices: StabilityCosts,
) -> tuple[InventoryResult, str]:
    """The re-solved levels with every change that does not pay for itself taken back, and a
    note of what was kept (levels and the change cost, before → after)."""
    tables = level_tables(data, settings_of(scenario).max_level_per_part)
    before = levels_of(data, tables, stock)
    levels = levels_of(data, tables, solved.stock)
    start_change = change_cost(levels, before, prices)
    met = (tables.group_demand_per_year <= 0) | (
        achieved_fill(tables, levels) >= data.group_target - TARGET_SLACK
    )
    cost = tables.cost

    def pair_cost(i: int, level: int) -> float:
        moved = abs(level - int(before[i]))
        position = int(tables.start[i]) + min(level, int(tables.top[i]))
        return float(cost[position]) + prices.stock_change * (moved > 0) + prices.stock_unit * moved

    changed = np.flatnonzero(levels != before)
    saving = np.array(
        [pair_cost(i, int(levels[i])) - pair_cost(i, int(before[i])) for i in changed]
    )
    taken_back = 0
    for n in np.argsort(-saving, kind="stable"):
        if saving[n] <= 0:
            break
        i = int(changed[n])
        trial = levels.copy()
        trial[i] = before[i]
        fill = achieved_fill(tables, trial)
        if np.all(~met | (fill >= data.group_target - TARGET_SLACK)):
            levels = trial
            taken_back += 1
    note = (
        f"stability: {taken_back} of {len(changed)} changed stock levels kept as before; "
        f"change cost {start_change:,.0f} -> {change_cost(levels, before, prices):,.0f}"
    )
    report = solved.report.model_copy(update={"message": f"{solved.report.message}; {note}"})
    result = assemble_levels(scenario, data, tables, levels, report)
    kept = InventoryResult(
        report=result.report,
        stock=result.stock,
        costs=result.costs,
        targets=result.targets,
        totals=result.totals,
        frontier=solved.frontier,
        loaners=result.loaners,
        shortfalls=solved.shortfalls,
    )
    return kept, note
