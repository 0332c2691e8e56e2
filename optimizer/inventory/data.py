"""Compiled data of the tactical layer: stock pools, their Poisson demand and unit costs.

A *pool* is a stock kept at one depot for a set of sites: every depot has a ``pooled`` pool for
its assigned sites, and each customer-exclusive site has a pool of its own at its depot.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from optimizer.rates import site_rates
from optimizer.schema import Scenario

POOLED = "pooled"
DAYS_PER_YEAR = 365.0


@dataclass(frozen=True)
class StockData:
    """Pools × parts demand and the per-part constants, by index."""

    pool_depots: tuple[str, ...]
    """Depot id of each pool."""
    pool_names: tuple[str, ...]
    """``pooled`` or the exclusive site's id."""
    pool_fill_target: npt.NDArray[np.float64]
    """Highest parts-on-hand target among the tiers a pool serves."""
    part_ids: tuple[str, ...]
    demand_per_year: sp.csr_array
    """Units per year of each part in each pool, shape (pools, parts)."""
    lead_time_years: npt.NDArray[np.float64]
    holding_cost_per_unit_year: npt.NDArray[np.float64]
    emergency_cost: npt.NDArray[np.float64]


def compile_stock(scenario: Scenario, depot_of_site: dict[str, str]) -> StockData:
    """Build the pools implied by a site → depot assignment and sum their part demand."""
    rates = site_rates(scenario)
    tiers = {t.id: t for t in scenario.tiers}
    pool_index: dict[tuple[str, str], int] = {}
    targets: list[float] = []
    rows = np.empty(len(scenario.sites), dtype=np.intp)
    for s, site in enumerate(scenario.sites):
        key = (depot_of_site[site.id], site.id if site.customer_exclusive else POOLED)
        if key not in pool_index:
            pool_index[key] = len(pool_index)
            targets.append(0.0)
        rows[s] = pool_index[key]
        targets[rows[s]] = max(targets[rows[s]], tiers[site.tier].fill_target)
    membership = sp.csr_array(
        (np.ones(len(rows)), (rows, np.arange(len(rows)))),
        shape=(len(pool_index), len(scenario.sites)),
    )
    default_emergency = scenario.costs.emergency_shipment_cost
    return StockData(
        pool_depots=tuple(depot for depot, _ in pool_index),
        pool_names=tuple(name for _, name in pool_index),
        pool_fill_target=np.array(targets),
        part_ids=tuple(p.id for p in scenario.parts),
        demand_per_year=sp.csr_array(membership @ rates.part_demand_per_year),
        lead_time_years=np.array([p.lead_time_days / DAYS_PER_YEAR for p in scenario.parts]),
        holding_cost_per_unit_year=np.array(
            [p.unit_cost * p.holding_cost_rate_per_year for p in scenario.parts]
        ),
        emergency_cost=np.array(
            [
                default_emergency if p.emergency_cost is None else p.emergency_cost
                for p in scenario.parts
            ]
        ),
    )
