"""Tests of fees, cost to serve and margin per tier (aftersales.optimizer.simulate.economics)."""

from __future__ import annotations

import pytest

from aftersales.optimizer.schema import Plan, Scenario
from aftersales.optimizer.simulate.economics import recurring_cost_per_year, tier_economics


def test_tier_economics_of_the_tiny_plan(tiny_scenario: Scenario, good_plan: Plan) -> None:
    """Fees, visit-share split of the recurring costs and S3's capped credit, by hand.

    Visits per year: gold S1 2 + S2 4 = 6, silver S3 3 + S4 2 = 5 (11 in all). Fees: gold
    2 × 5,000, silver 2 × 2,000. Shared = depots 1,600 + travel 180 + holding 140 + emergency
    + stock-out credits (conftest's tiny_costs). S3 (silver) is outside its promise:
    min(2.5 × 50, 120) = 120 of credits; the plan is priced and 2.5 × 50 = 125 reaches the cap
    120, so S3's fee 2,000 is at risk.
    """
    costs = good_plan.costs
    shared = (
        costs.depot_fixed_per_year
        + costs.network_travel_per_year
        + costs.holding_per_year
        + costs.emergency_per_year
        + costs.stockout_credits_per_year
    )
    gold, silver = tier_economics(tiny_scenario, good_plan)
    assert (gold.tier, gold.sites, silver.sites) == ("gold", 2, 2)
    assert (gold.visits_per_year, silver.visits_per_year) == (6.0, 5.0)
    assert (gold.fees_per_year, silver.fees_per_year) == (10000.0, 4000.0)
    assert gold.shared_cost_per_year == pytest.approx(shared * 6 / 11)
    assert silver.shared_cost_per_year == pytest.approx(shared * 5 / 11)
    assert (gold.credits_per_year, silver.credits_per_year) == (0.0, 120.0)
    assert (gold.contracts_at_risk_per_year, silver.contracts_at_risk_per_year) == (0.0, 2000.0)
    assert silver.margin_per_year == pytest.approx(4000 - shared * 5 / 11 - 120 - 2000)
    total = gold.cost_to_serve_per_year + silver.cost_to_serve_per_year
    assert total == pytest.approx(recurring_cost_per_year(costs))


def test_priced_plan_counts_the_fee_of_a_contract_at_its_cap(
    tiny_scenario: Scenario, good_plan: Plan
) -> None:
    """Priced: S3's credits 2.5 × 50 = 125 reach the cap 120, so its fee 2,000 is at risk."""
    priced = good_plan.model_copy(
        update={"costs": good_plan.costs.model_copy(update={"contracts_at_risk_per_year": 2000})}
    )
    silver = tier_economics(tiny_scenario, priced)[1]
    assert silver.contracts_at_risk_per_year == 2000.0
    assert silver.cost_to_serve_per_year == pytest.approx(silver.shared_cost_per_year + 120 + 2000)
