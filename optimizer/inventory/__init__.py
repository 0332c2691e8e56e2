"""Tactical layer: how many units of each part each depot stocks.

``solve_inventory`` (greedy marginal analysis on the convex hull, polished by ruin-and-repair) is
the layer's solver; ``solve_inventory_exact`` (MILP over level choices) is its reference on small
cases; ``naive_stock`` is the baseline. ``size_loaners`` sizes loaner pools (Erlang loss) and
``fit_inventory_cost_curve`` turns a solved layer into the network layer's cost approximation.
"""

from aftersales.optimizer.inventory.curve import InventoryCostCurve, fit_inventory_cost_curve
from aftersales.optimizer.inventory.data import POOLED, StockData, compile_stock
from aftersales.optimizer.inventory.loaners import erlang_b, servers_for_blocking, size_loaners
from aftersales.optimizer.inventory.naive import naive_stock
from aftersales.optimizer.inventory.poisson import (
    expected_backorders,
    fill_probability,
    level_for_fill,
)
from aftersales.optimizer.inventory.result import InventoryResult, evaluate_levels
from aftersales.optimizer.inventory.solver import solve_inventory, solve_inventory_exact

__all__ = [
    "POOLED",
    "InventoryCostCurve",
    "InventoryResult",
    "StockData",
    "compile_stock",
    "erlang_b",
    "evaluate_levels",
    "expected_backorders",
    "fill_probability",
    "fit_inventory_cost_curve",
    "level_for_fill",
    "naive_stock",
    "servers_for_blocking",
    "size_loaners",
    "solve_inventory",
    "solve_inventory_exact",
]
