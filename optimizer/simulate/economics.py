"""Fees, cost to serve and margin per tier: what each contract level earns under a plan.

Rules (money per year, the scenario's currency):

* ``fees_per_year`` = Σ ``annual_fee`` of the tier's sites.
* ``credits_per_year``: the simulated credits after caps when a simulation is given (what the
  customers would really claim), else the plan's expected credits of the tier's sites: a site
  outside its promise pays ``min(failures_per_year × credit_per_breach, credit_cap_per_year)``
  (the network rule of docs/semantics.md); stock-out credits are shared like the other costs.
* ``contracts_at_risk_per_year``: the fees of the tier's sites outside their promise whose
  yearly credits reach the cap, counted only when the plan prices them
  (``costs.contracts_at_risk_per_year > 0``).
* ``shared_cost_per_year``: every other recurring cost of the plan (depots, staffing labour,
  travel, holding, emergency shipments, stock-out credits, loaners) split by the tier's share of
  the technician visits (corrective calls + preventive visits per year), because visits are what
  drives staff, travel and parts. One-off costs (depot changes, site moves, staffing changes)
  are not yearly and stay out.
* ``cost_to_serve_per_year`` = shared + credits + contracts at risk;
  ``margin_per_year`` = fees − cost to serve.
"""

from __future__ import annotations

from dataclasses import dataclass

from aftersales.optimizer.schema import CostBreakdown, Plan, Scenario
from aftersales.optimizer.simulate.results import SimulationResult

RECURRING_SHARED = (
    "depot_fixed_per_year",
    "network_travel_per_year",
    "holding_per_year",
    "emergency_per_year",
    "stockout_credits_per_year",
    "loaners_per_year",
    "staffing_labour_per_year",
)
"""Cost components split among tiers by their share of technician visits."""


@dataclass(frozen=True)
class TierEconomics:
    """What one tier earns and costs per year under a plan."""

    tier: str
    sites: int
    visits_per_year: float
    fees_per_year: float
    shared_cost_per_year: float
    credits_per_year: float
    contracts_at_risk_per_year: float

    @property
    def cost_to_serve_per_year(self) -> float:
        """Shared costs + credits + fees of contracts at risk."""
        return self.shared_cost_per_year + self.credits_per_year + self.contracts_at_risk_per_year

    @property
    def margin_per_year(self) -> float:
        """Fees − cost to serve."""
        return self.fees_per_year - self.cost_to_serve_per_year


def recurring_cost_per_year(costs: CostBreakdown) -> float:
    """The plan's yearly costs without one-off changes (shared + expected credits + at risk)."""
    return (
        sum(getattr(costs, name) for name in RECURRING_SHARED)
        + costs.expected_credits_per_year
        + costs.contracts_at_risk_per_year
    )


def tier_economics(
    scenario: Scenario, plan: Plan, result: SimulationResult | None = None
) -> list[TierEconomics]:
    """Per tier of ``scenario``: fees, shared cost, credits, contracts at risk (module rules)."""
    products = {p.id: p for p in scenario.products}
    tiers = {t.id: t for t in scenario.tiers}
    within = {a.site: a.within_promise for a in plan.assignments}
    priced = plan.costs.contracts_at_risk_per_year > 0
    visits = dict.fromkeys(tiers, 0.0)
    fees = dict.fromkeys(tiers, 0.0)
    credits = dict.fromkeys(tiers, 0.0)
    at_risk = dict.fromkeys(tiers, 0.0)
    count = dict.fromkeys(tiers, 0)
    for site in scenario.sites:
        tier = tiers[site.tier]
        failures = sum(
            units * products[p].failure_rate_per_unit_year
            for p, units in site.installed_base.items()
        )
        preventive = sum(
            units * products[p].preventive_visits_per_unit_year
            for p, units in site.installed_base.items()
        )
        count[tier.id] += 1
        visits[tier.id] += failures + preventive
        fees[tier.id] += tier.annual_fee
        if not within.get(site.id, True):
            yearly = failures * tier.credit_per_breach
            credits[tier.id] += min(yearly, tier.credit_cap_per_year)
            if priced and tier.credit_cap_per_year > 0 and yearly >= tier.credit_cap_per_year:
                at_risk[tier.id] += tier.annual_fee
    if result is not None:
        for simulated in result.tiers:
            credits[simulated.tier] = simulated.credits_per_year
    shared = sum(getattr(plan.costs, name) for name in RECURRING_SHARED)
    all_visits = sum(visits.values())
    return [
        TierEconomics(
            tier=t,
            sites=count[t],
            visits_per_year=visits[t],
            fees_per_year=fees[t],
            shared_cost_per_year=shared * visits[t] / all_visits if all_visits else 0.0,
            credits_per_year=credits[t],
            contracts_at_risk_per_year=at_risk[t],
        )
        for t in tiers
    ]
