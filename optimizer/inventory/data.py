"""Compiled data of the tactical layer: stock pools, their Poisson demand and unit costs.

A *pool* is a stock kept at one depot for a set of sites: every depot has a ``pooled`` pool for
its assigned sites, and each customer-exclusive site has a pool of its own at its depot.

A *target group* is one parts-on-hand promise the stock of a pool must keep: by default one per
(pool, tier) — the demand-weighted fill over the parts the tier's sites of the pool use must reach
the tier's target — or, with ``scenario.inventory.target_scope == "site"``, one per site. Every
group belongs to exactly one pool, so pools can be sized independently.

A stock-out also costs *credits*: its emergency shipment arrives ``emergency_delay_minutes``
after the call, which breaches every tier promising less. Only sites within their promise count
(a site outside it already pays a credit for every call in the network layer), and the credit is
per expected late call, not capped: see docs/semantics.md, "Stock".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from aftersales.optimizer.rates import site_rates
from aftersales.optimizer.schema import Scenario
from aftersales.optimizer.travel import Travel

POOLED = "pooled"
DAYS_PER_YEAR = 365.0

TargetScope = Literal["depot", "site"]
"""Where a tier's parts-on-hand target is measured: per depot pool, or per site."""


def _empty_csr() -> sp.csr_array:
    return sp.csr_array((0, 0))


@dataclass(frozen=True)
class StockData:
    """Pools × parts demand, the per-part constants and the target groups, by index."""

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
    credit_exposure_per_year: sp.csr_array
    """Credits per year of each (pool, part) if it never had stock: Σ over the pool's sites whose
    emergency shipments arrive late of λ × credit_per_breach, shape (pools, parts)."""
    group_pools: npt.NDArray[np.intp] = field(default_factory=lambda: np.zeros(0, np.intp))
    """Pool of each target group."""
    group_tiers: tuple[str, ...] = ()
    """Tier id of each target group."""
    group_sites: tuple[str | None, ...] = ()
    """Site id of each group under the per-site scope, else None."""
    group_target: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    """Parts-on-hand target of each group, in (0, 1]."""
    group_demand_per_year: sp.csr_array = field(default_factory=_empty_csr)
    """Units per year of each part demanded by each group's sites, shape (groups, parts)."""
    tier_ids: tuple[str, ...] = ()
    """Tier ids in scenario order (for per-tier reporting)."""
    site_depots: tuple[tuple[str, str], ...] = ()
    """(site id, serving depot id) of every site, in scenario order (for loaner pools)."""

    @property
    def pools(self) -> int:
        """Number of pools."""
        return len(self.pool_depots)

    def credit_exposure(
        self, pools: npt.NDArray[np.intp], parts: npt.NDArray[np.intp]
    ) -> npt.NDArray[np.float64]:
        """Credit exposure per year of the (pools[n], parts[n]) pairs, a dense vector."""
        if len(pools) == 0:  # scipy returns a sparse (0,) array for empty fancy indices
            return np.zeros(0)
        values = self.credit_exposure_per_year[pools, parts]
        return np.asarray(values, dtype=np.float64).reshape(-1)


def compile_stock(
    scenario: Scenario, depot_of_site: dict[str, str], target_scope: TargetScope | None = None
) -> StockData:
    """Build the pools and target groups implied by a site → depot assignment.

    ``target_scope`` defaults to ``scenario.inventory.target_scope`` (``depot`` without it).
    """
    if target_scope is None:
        settings = scenario.inventory
        target_scope = settings.target_scope if settings is not None else "depot"
    rates = site_rates(scenario)
    tiers = {t.id: t for t in scenario.tiers}
    pool_index: dict[tuple[str, str], int] = {}
    group_index: dict[tuple[int, str, str | None], int] = {}
    targets: list[float] = []
    rows = np.empty(len(scenario.sites), dtype=np.intp)
    group_rows = np.empty(len(scenario.sites), dtype=np.intp)
    for s, site in enumerate(scenario.sites):
        key = (depot_of_site[site.id], site.id if site.customer_exclusive else POOLED)
        if key not in pool_index:
            pool_index[key] = len(pool_index)
            targets.append(0.0)
        rows[s] = pool_index[key]
        targets[rows[s]] = max(targets[rows[s]], tiers[site.tier].fill_target)
        group = (int(rows[s]), site.tier, site.id if target_scope == "site" else None)
        group_rows[s] = group_index.setdefault(group, len(group_index))
    sites = len(scenario.sites)
    membership = sp.csr_array(
        (np.ones(sites), (rows, np.arange(sites))), shape=(len(pool_index), sites)
    )
    group_membership = sp.csr_array(
        (np.ones(sites), (group_rows, np.arange(sites))), shape=(len(group_index), sites)
    )
    default_emergency = scenario.costs.emergency_shipment_cost
    credit = late_parts_credit(scenario, depot_of_site)
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
        credit_exposure_per_year=sp.csr_array(
            membership @ (sp.diags_array(credit) @ rates.part_demand_per_year)
        ),
        group_pools=np.array([g[0] for g in group_index], dtype=np.intp),
        group_tiers=tuple(g[1] for g in group_index),
        group_sites=tuple(g[2] for g in group_index),
        group_target=np.array([tiers[g[1]].fill_target for g in group_index]),
        group_demand_per_year=sp.csr_array(group_membership @ rates.part_demand_per_year),
        tier_ids=tuple(t.id for t in scenario.tiers),
        site_depots=tuple((site.id, depot_of_site[site.id]) for site in scenario.sites),
    )


def late_parts_credit(scenario: Scenario, depot_of_site: dict[str, str]) -> npt.NDArray[np.float64]:
    """Per site: the credit a call pays when its part is out of stock, else 0 (currency).

    Non-zero when the emergency delay exceeds the tier's promise and the site is within its
    promise from its serving depot (dispatch + travel ≤ response minutes).
    """
    tiers = {t.id: t for t in scenario.tiers}
    response = np.array([tiers[s.tier].response_minutes for s in scenario.sites], dtype=float)
    credit = np.array([tiers[s.tier].credit_per_breach for s in scenario.sites], dtype=float)
    late = response < scenario.costs.emergency_delay_minutes
    if not late.any():
        return np.zeros(len(scenario.sites))
    minutes = Travel(scenario).paired_minutes(
        [depot_of_site[s.id] for s in scenario.sites], [s.id for s in scenario.sites]
    )
    within = scenario.costs.dispatch_minutes + minutes <= response
    return np.where(late & within, credit, 0.0)
