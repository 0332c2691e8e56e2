"""Stock levels chosen by any method → Plan stock rows and their annual cost."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from aftersales.optimizer.inventory.data import StockData
from aftersales.optimizer.inventory.poisson import expected_backorders, fill_probability
from aftersales.optimizer.schema import (
    CostBreakdown,
    DepotStockTotal,
    FrontierPoint,
    LayerResult,
    LoanerPool,
    StockLevel,
    StockTarget,
)


@dataclass(frozen=True)
class InventoryResult:
    """Stock rows for the Plan, their holding and emergency cost, and the method's report.

    The optional sections feed the Plan fields of the same names; ``shortfalls`` lists, one line
    each, the targets that cannot be (or were not) met and why.
    """

    report: LayerResult
    stock: list[StockLevel]
    costs: CostBreakdown
    targets: list[StockTarget] = field(default_factory=list)
    totals: list[DepotStockTotal] = field(default_factory=list)
    frontier: list[FrontierPoint] = field(default_factory=list)
    loaners: list[LoanerPool] = field(default_factory=list)
    shortfalls: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class StockEvaluation:
    """Measures of levels at (pool, part) pairs with demand, aligned arrays."""

    pools: npt.NDArray[np.intp]
    parts: npt.NDArray[np.intp]
    demand_per_year: npt.NDArray[np.float64]
    levels: npt.NDArray[np.int64]
    fill: npt.NDArray[np.float64]
    backorders: npt.NDArray[np.float64]
    holding_per_year: npt.NDArray[np.float64]
    emergency_per_year: npt.NDArray[np.float64]
    credits_per_year: npt.NDArray[np.float64]
    """Expected credits of calls made late by stock-outs (see StockData)."""

    @property
    def cost_per_year(self) -> npt.NDArray[np.float64]:
        """Holding + emergency + stock-out credits of each pair, currency/year."""
        return self.holding_per_year + self.emergency_per_year + self.credits_per_year

    def rows(self, data: StockData) -> list[StockLevel]:
        """Plan rows, one per (pool, part) with demand."""
        return [
            StockLevel(
                depot=data.pool_depots[p],
                pool=data.pool_names[p],
                part=data.part_ids[k],
                level=int(s),
                demand_per_year=float(lam),
                fill_probability=float(f),
                expected_backorders=float(b),
                holding_cost_per_year=float(h),
            )
            for p, k, s, lam, f, b, h in zip(
                self.pools,
                self.parts,
                self.levels,
                self.demand_per_year,
                self.fill,
                self.backorders,
                self.holding_per_year,
                strict=True,
            )
        ]

    def costs(self) -> CostBreakdown:
        """Holding, expected emergency shipment and stock-out credit cost per year."""
        return CostBreakdown(
            holding_per_year=float(self.holding_per_year.sum()),
            emergency_per_year=float(self.emergency_per_year.sum()),
            stockout_credits_per_year=float(self.credits_per_year.sum()),
        )


def demand_pairs(
    data: StockData,
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.float64]]:
    """(pool, part, demand per year) of every pair with positive demand, row-major order."""
    coo = data.demand_per_year.tocoo()
    order = np.lexsort((coo.col, coo.row))
    keep = coo.data[order] > 0
    return (
        coo.row[order][keep].astype(np.intp),
        coo.col[order][keep].astype(np.intp),
        coo.data[order][keep],
    )


def evaluate_levels(
    data: StockData,
    pools: npt.NDArray[np.intp],
    parts: npt.NDArray[np.intp],
    demand: npt.NDArray[np.float64],
    levels: npt.NDArray[np.int64],
) -> StockEvaluation:
    """Fill probability, backorders and costs of the given levels."""
    mean = demand * data.lead_time_years[parts]
    fill = fill_probability(levels, mean)
    return StockEvaluation(
        pools=pools,
        parts=parts,
        demand_per_year=demand,
        levels=levels,
        fill=fill,
        backorders=expected_backorders(levels, mean),
        holding_per_year=levels * data.holding_cost_per_unit_year[parts],
        emergency_per_year=demand * (1.0 - fill) * data.emergency_cost[parts],
        credits_per_year=data.credit_exposure(pools, parts) * (1.0 - fill),
    )
