"""Tactical layer: how many units of each part each depot stocks."""

from optimizer.inventory.data import POOLED, StockData, compile_stock
from optimizer.inventory.naive import naive_stock
from optimizer.inventory.poisson import expected_backorders, fill_probability, level_for_fill
from optimizer.inventory.result import InventoryResult, evaluate_levels

__all__ = [
    "POOLED",
    "InventoryResult",
    "StockData",
    "compile_stock",
    "evaluate_levels",
    "expected_backorders",
    "fill_probability",
    "level_for_fill",
    "naive_stock",
]
