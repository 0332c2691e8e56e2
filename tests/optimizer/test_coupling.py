"""Network and inventory coupled through the refitted stock-cost curve."""

from __future__ import annotations

import pytest

from aftersales.datasets.generator import generate_scenario
from aftersales.optimizer.coupling import solve_network_and_stock
from aftersales.optimizer.network import compile_network
from aftersales.optimizer.pipeline import solve
from aftersales.optimizer.schema import Scenario, SolveOptions
from aftersales.optimizer.validate import validate


@pytest.fixture(scope="module")
def small_scenario() -> Scenario:
    """The generated S scenario (seed 1)."""
    return generate_scenario("S", seed=1)


def test_cheapest_round_is_kept(small_scenario: Scenario) -> None:
    """Each round's first-year total is recorded and the kept round is the cheapest."""
    options = SolveOptions(refit_rounds=2)
    result = solve_network_and_stock(
        small_scenario, compile_network(small_scenario), options, 20, 5
    )
    assert len(result.round_totals) == 3
    assert result.round_totals[result.kept_round] == min(result.round_totals)
    kept = result.network.costs.annual_total + result.inventory.costs.annual_total
    assert kept == pytest.approx(min(result.round_totals), rel=1e-9)
    assert "refitted 2x" in result.network.report.message


def test_pipeline_plan_of_coupled_layers_validates(small_scenario: Scenario) -> None:
    """The pipeline's network + inventory plan costs the kept round's total and validates."""
    plan = solve(
        small_scenario, SolveOptions(layers=["network", "inventory"], time_limit_seconds=30)
    )
    assert validate(small_scenario, plan).ok
    assert "first-year network + stock total per round" in plan.layers[0].message
    assert plan.stock
    assert plan.layers[1].status == "feasible"
