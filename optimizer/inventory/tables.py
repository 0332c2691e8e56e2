"""Fill and cost of every candidate stock level of every (pool, part) pair, as ragged tables.

Both the frontier method and the exact MILP choose one level per pair from the same table, so
they solve the same problem. A table runs from level 0 to the first level whose fill probability
is within :data:`TAIL_PROBABILITY` of 1 (more stock adds nothing measurable, only cost), or to
the scenario's ``max_level_per_part`` if that is lower.

Glossary: *pair* = a (pool, part) with positive demand; *group* = a target group (see
:mod:`aftersales.optimizer.inventory.data`); ``a[g, i]`` = share of group g's demand that is for
pair i's part, so the group's achieved fill is ``Σ_i a[g, i] · fill_i``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.stats import poisson

from aftersales.optimizer.arrays import FloatArray, IntArray
from aftersales.optimizer.inventory.data import StockData
from aftersales.optimizer.inventory.poisson import fill_probability
from aftersales.optimizer.inventory.result import demand_pairs

TAIL_PROBABILITY = 1e-12
"""Tables stop once P(D ≥ S) drops below this: further levels only add holding cost."""


@dataclass(frozen=True)
class LevelTables:
    """Per pair: demand and, at every level 0..top, fill probability and annual cost."""

    pools: IntArray
    parts: IntArray
    demand_per_year: FloatArray
    mean: FloatArray
    """Lead-time demand μ = λ × lead time, units."""
    start: IntArray
    """Pair i's levels 0..top[i] sit at flat positions start[i] .. start[i + 1] − 1."""
    fill: FloatArray
    """Flat: P(D ≤ S − 1) at each level."""
    holding: FloatArray
    """Flat: S × unit holding cost per year."""
    emergency: FloatArray
    """Flat: λ × (1 − fill) × emergency cost per year."""
    credits: FloatArray
    """Flat: (1 − fill) × the pair's credit exposure per year (stock-outs that make calls late)."""
    group_weight: sp.csr_array
    """a[g, i]: share of group g's demand on pair i, shape (groups, pairs)."""
    group_demand_per_year: FloatArray
    """Total part demand of each group (0 for a group without part demand)."""

    @property
    def pairs(self) -> int:
        """Number of (pool, part) pairs with demand."""
        return len(self.pools)

    @property
    def top(self) -> IntArray:
        """Highest level in each pair's table."""
        return np.diff(self.start) - 1

    @property
    def stockout(self) -> FloatArray:
        """Flat: expected cost of stock-outs per year, emergency shipments plus credits."""
        return self.emergency + self.credits

    @property
    def cost(self) -> FloatArray:
        """Flat: holding + stock-out cost per year."""
        return self.holding + self.stockout


def level_tables(data: StockData, max_level: int | None = None) -> LevelTables:
    """Build the tables of every pair with demand; ``max_level`` caps every table."""
    pools, parts, demand = demand_pairs(data)
    mean = demand * data.lead_time_years[parts]
    top = np.maximum(poisson.isf(TAIL_PROBABILITY, mean).astype(np.intp) + 1, 1)
    if max_level is not None:
        top = np.minimum(top, max_level)
    start = np.concatenate([[0], np.cumsum(top + 1)]).astype(np.intp)
    owner = np.repeat(np.arange(len(pools)), top + 1)
    levels = np.arange(start[-1]) - start[owner]
    fill = fill_probability(levels, mean[owner])
    holding = levels * data.holding_cost_per_unit_year[parts][owner]
    emergency = demand[owner] * (1.0 - fill) * data.emergency_cost[parts][owner]
    credits = data.credit_exposure(pools, parts)[owner] * (1.0 - fill)
    weight, totals = _group_weights(data, pools, parts)
    return LevelTables(
        pools=pools,
        parts=parts,
        demand_per_year=demand,
        mean=mean,
        start=start,
        fill=fill,
        holding=holding,
        emergency=emergency,
        credits=credits,
        group_weight=weight,
        group_demand_per_year=totals,
    )


def _group_weights(
    data: StockData, pools: IntArray, parts: IntArray
) -> tuple[sp.csr_array, FloatArray]:
    """a[g, i] = λ of group g for pair i's part / group g's total λ (pairs of g's pool only)."""
    groups = len(data.group_target)
    coo = data.group_demand_per_year.tocoo()
    keep = coo.data > 0
    rows, cols, values = coo.row[keep], coo.col[keep], coo.data[keep]
    totals = np.bincount(rows, weights=values, minlength=groups).astype(np.float64)
    n_parts = len(data.part_ids)
    pair_keys = pools * n_parts + parts
    pair = np.searchsorted(pair_keys, data.group_pools[rows] * n_parts + cols)
    weight = sp.csr_array(
        (values / totals[rows], (rows, pair)), shape=(groups, len(pools)), dtype=np.float64
    )
    return weight, totals


def table_levels(tables: LevelTables, levels: npt.ArrayLike) -> IntArray:
    """Flat positions of the given per-pair levels (clipped into each table)."""
    levels = np.clip(np.asarray(levels, dtype=np.intp), 0, tables.top)
    return tables.start[:-1] + levels


def achieved_fill(tables: LevelTables, levels: npt.ArrayLike) -> FloatArray:
    """Demand-weighted fill of every group at the given per-pair levels."""
    return tables.group_weight @ tables.fill[table_levels(tables, levels)]
