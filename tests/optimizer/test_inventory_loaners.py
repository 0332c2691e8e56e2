"""Tests of loaner pool sizing by the Erlang loss formula."""

from __future__ import annotations

from typing import Any

import pytest

from aftersales.optimizer.inventory import (
    compile_stock,
    erlang_b,
    servers_for_blocking,
    solve_inventory,
)
from aftersales.optimizer.schema import Plan, Scenario
from aftersales.optimizer.validate import validate


def test_erlang_b_matches_hand_values() -> None:
    """B(0, a) = 1, B(1, a) = a / (1 + a), B(2, 1) = 0.5 / 2.5 = 0.2, B(3, 1) = 1/16."""
    assert erlang_b([0, 1, 2, 3], 1.0).tolist() == pytest.approx([1.0, 0.5, 0.2, 0.0625])
    assert float(erlang_b(1, 3.0)) == pytest.approx(0.75)


def test_fewest_loaners_for_the_blocking_target() -> None:
    """a = 1 erlang: B(3) = 0.0625 > 0.05 ≥ B(4) = 1/65 → 4 units; no load → 0 units."""
    # B(4, 1) = (1/24) / (1 + 1 + 1/2 + 1/6 + 1/24) = 1/65 ≈ 0.0154.
    assert servers_for_blocking([1.0, 0.0], 0.05).tolist() == [4, 0]


def test_loaner_pools_follow_the_serving_depot(scenario_data: dict[str, Any]) -> None:
    """Loanable scanners at d1: 3 units × 2 failures = 6 loans/yr × 73 days → 1.2 erlangs."""
    # B(c, 1.2): 1, 0.545, 0.247, 0.090, 0.026 → 4 units for a 5 % target.
    scenario_data["products"][0]["loanable"] = True
    scenario_data["sites"][0]["depot"] = "d1"
    scenario_data["inventory"] = {
        "loaner_unavailability_target": 0.05,
        "loaner_days": 73,
        "loaner_cost_per_unit_year": 500,
    }
    scenario = Scenario.model_validate(scenario_data)
    data = compile_stock(scenario, {"s1": "d1", "s2": "d1"})
    result = solve_inventory(scenario, data, 10)
    (pool,) = result.loaners
    assert (pool.depot, pool.product) == ("d1", "scanner")
    assert pool.loans_per_year == pytest.approx(6.0)
    assert pool.offered_load_erlangs == pytest.approx(1.2)
    assert pool.units == 4
    assert pool.no_loaner_probability == pytest.approx(float(erlang_b(4, 1.2)))
    assert pool.no_loaner_probability <= 0.05
    assert pool.cost_per_year == pytest.approx(2000)
    assert result.costs.loaners_per_year == pytest.approx(2000)
    plan = Plan(status="feasible", stock=result.stock, costs=result.costs, loaners=result.loaners)
    report = validate(scenario, plan)
    assert report.ok, report.violations
    assert report.costs.loaners_per_year == pytest.approx(2000)
    # One loaner fewer misses the target: the validator says so.
    short = plan.model_copy(
        update={"loaners": [pool.model_copy(update={"units": 3, "cost_per_year": 1500})]}
    )
    kinds = {v.kind for v in validate(scenario, short).violations}
    assert "loaner_target_missed" in kinds


def test_pipeline_plan_with_loaners_validates(scenario_data: dict[str, Any]) -> None:
    """The whole pipeline carries loaner pools and their cost into a plan the validator accepts."""
    from aftersales.optimizer.pipeline import solve

    scenario_data["products"][0]["loanable"] = True
    scenario_data["inventory"] = {
        "loaner_unavailability_target": 0.05,
        "loaner_days": 73,
        "loaner_cost_per_unit_year": 500,
    }
    scenario = Scenario.model_validate(scenario_data)
    plan = solve(scenario)
    assert plan.loaners
    assert plan.costs.loaners_per_year == pytest.approx(sum(p.cost_per_year for p in plan.loaners))
    assert plan.costs.loaners_per_year > 0
    report = validate(scenario, plan)
    assert report.ok, report.violations


def test_no_loaners_without_a_target(scenario_data: dict[str, Any]) -> None:
    """Without loaner_unavailability_target no loaner pool is sized."""
    scenario_data["products"][0]["loanable"] = True
    scenario = Scenario.model_validate(scenario_data)
    data = compile_stock(scenario, {"s1": "d1", "s2": "d1"})
    assert solve_inventory(scenario, data, 10).loaners == []
