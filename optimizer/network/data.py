"""Compiled, index-based data of the strategic layer, and the cost of a network decision.

``compile_network`` turns a Scenario into frozen numpy arrays once; models and heuristics then
work on indices only. Arrays of shape (sites, depots) hold *annual* costs of serving a site from a
depot, so that a decision's cost is a gather and a sum.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aftersales.optimizer.arrays import BoolArray, FloatArray, IntArray
from aftersales.optimizer.rates import site_rates
from aftersales.optimizer.schema import CostBreakdown, Scenario
from aftersales.optimizer.travel import Travel

NO_DEPOT = -1
"""Index used for 'no current depot'."""


@dataclass(frozen=True)
class NetworkData:
    """Everything the network layer needs, by index: sites i (rows) and depots j (columns)."""

    site_ids: tuple[str, ...]
    depot_ids: tuple[str, ...]
    visits_per_year: FloatArray
    failures_per_year: FloatArray
    minutes: FloatArray
    """Depot → site travel minutes, shape (sites, depots)."""
    within_promise: BoolArray
    """Dispatch + travel fits the site's tier response time, shape (sites, depots)."""
    hard: BoolArray
    """The site's tier forbids service outside the promise, shape (sites,)."""
    travel_cost_per_year: FloatArray
    """Expected visits × round trip km × cost per km, shape (sites, depots)."""
    credit_cost_per_year: FloatArray
    """Expected capped credits when outside the promise, else 0, shape (sites, depots)."""
    fixed_cost_per_year: FloatArray
    opening_cost: FloatArray
    closing_cost: FloatArray
    existing: BoolArray
    capacity_calls_per_year: FloatArray
    """Workload capacity; ``inf`` where the scenario sets none."""
    current_depot: IntArray
    """Today's depot index per site, ``NO_DEPOT`` if none."""
    change_cost_per_site: float
    min_open: int
    max_open: int
    pooled_part_demand_per_year: FloatArray
    """Part units/year each site adds to its depot's pooled stock (0 for exclusive sites)."""
    site_tier: IntArray
    """Index of each site's tier in ``scenario.tiers``, shape (sites,)."""
    at_risk_cost_per_year: FloatArray
    """Priced mode: the site's annual fee where it is outside its promise and its capped credits
    reach the cap (the contract is at risk), else 0, shape (sites, depots)."""
    stability_cost: FloatArray | None = None
    """Re-solve only: the planner's price of serving site i from another depot than the
    previous plan's (``SolveOptions.stability.site_move``), shape (sites, depots); None = none.
    An objective term of the models, never a cost of the plan."""

    @property
    def assignment_cost_per_year(self) -> FloatArray:
        """Travel, expected credits and fees at risk of serving site i from depot j, per year,
        plus the stability cost of a move when re-solving against a previous plan."""
        cost = self.travel_cost_per_year + self.credit_cost_per_year + self.at_risk_cost_per_year
        return cost if self.stability_cost is None else cost + self.stability_cost


def compile_network(scenario: Scenario, travel: Travel | None = None) -> NetworkData:
    """Compile the strategic layer's arrays from a scenario."""
    travel = travel or Travel(scenario)
    site_ids = tuple(s.id for s in scenario.sites)
    depot_ids = tuple(d.id for d in scenario.depots)
    rates = site_rates(scenario)
    tiers = {t.id: t for t in scenario.tiers}
    site_tiers = [tiers[s.tier] for s in scenario.sites]
    response = np.array([t.response_minutes for t in site_tiers])
    credit_cap = np.array([t.credit_cap_per_year for t in site_tiers])
    credit_per_breach = np.array([t.credit_per_breach for t in site_tiers])
    minutes = travel.minutes(depot_ids, site_ids).T
    km = travel.km(depot_ids, site_ids).T
    within = scenario.costs.dispatch_minutes + minutes <= response[:, None]
    yearly_credit = np.minimum(rates.failures_per_year * credit_per_breach, credit_cap)
    fee = np.array([t.annual_fee for t in site_tiers])
    at_risk = (credit_cap > 0) & (rates.failures_per_year * credit_per_breach >= credit_cap)
    if scenario.policy.attainment != "priced":
        at_risk[:] = False
    tier_index = {t.id: k for k, t in enumerate(scenario.tiers)}
    depot_index = {d: j for j, d in enumerate(depot_ids)}
    capacity = [d.capacity_calls_per_year for d in scenario.depots]
    return NetworkData(
        site_ids=site_ids,
        depot_ids=depot_ids,
        visits_per_year=rates.visits_per_year,
        failures_per_year=rates.failures_per_year,
        minutes=minutes,
        within_promise=within,
        hard=np.array([t.hard for t in site_tiers], dtype=bool),
        travel_cost_per_year=rates.visits_per_year[:, None]
        * 2.0
        * km
        * scenario.costs.travel_cost_per_km,
        credit_cost_per_year=np.where(within, 0.0, yearly_credit[:, None]),
        fixed_cost_per_year=np.array([d.fixed_cost_per_year for d in scenario.depots]),
        opening_cost=np.array([d.opening_cost for d in scenario.depots]),
        closing_cost=np.array([d.closing_cost for d in scenario.depots]),
        existing=np.array([d.existing for d in scenario.depots], dtype=bool),
        capacity_calls_per_year=np.array([np.inf if c is None else c for c in capacity]),
        current_depot=np.array(
            [NO_DEPOT if s.depot is None else depot_index[s.depot] for s in scenario.sites],
            dtype=np.intp,
        ),
        change_cost_per_site=scenario.costs.change_cost_per_site,
        min_open=scenario.policy.min_open_depots or 0,
        max_open=scenario.policy.max_open_depots or len(depot_ids),
        pooled_part_demand_per_year=np.where(
            [s.customer_exclusive for s in scenario.sites],
            0.0,
            np.asarray(rates.part_demand_per_year.sum(axis=1)).ravel(),
        ),
        site_tier=np.array([tier_index[s.tier] for s in scenario.sites], dtype=np.intp),
        at_risk_cost_per_year=np.where(within, 0.0, np.where(at_risk, fee, 0.0)[:, None]),
    )


def network_costs(data: NetworkData, is_open: BoolArray, depot_of_site: IntArray) -> CostBreakdown:
    """Cost components of a network decision (open mask, one depot index per site)."""
    sites = np.arange(len(data.site_ids))
    moved = (data.current_depot != NO_DEPOT) & (data.current_depot != depot_of_site)
    return CostBreakdown(
        depot_fixed_per_year=float(data.fixed_cost_per_year[is_open].sum()),
        depot_change_one_off=float(
            data.opening_cost[is_open & ~data.existing].sum()
            + data.closing_cost[~is_open & data.existing].sum()
        ),
        site_moves_one_off=float(moved.sum() * data.change_cost_per_site),
        network_travel_per_year=float(data.travel_cost_per_year[sites, depot_of_site].sum()),
        expected_credits_per_year=float(data.credit_cost_per_year[sites, depot_of_site].sum()),
        contracts_at_risk_per_year=float(data.at_risk_cost_per_year[sites, depot_of_site].sum()),
    )
