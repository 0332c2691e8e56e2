"""Tests of solve_inventory on scenarios: targets, pools, diagnosis, fills, validation."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from aftersales.optimizer.inventory import (
    POOLED,
    InventoryResult,
    compile_stock,
    naive_stock,
    solve_inventory,
    solve_inventory_exact,
)
from aftersales.optimizer.schema import InventorySettings, Plan, Scenario
from aftersales.optimizer.travel import Travel
from aftersales.optimizer.validate import STOCK_TARGET_MISSED, validate

# Minimal scenario, both sites at d1: s1 (gold) = 2 scanners → board 2 × 2 × 0.5 = 2/yr;
# s2 (bronze) = 4 presses + 1 scanner → valve 4 × 0.25 = 1/yr, board 1/yr.
# Lead times: board 7.3 d (μ = λ/50), valve 3.65 d (μ = λ/100).
SERVING = {"s1": "d1", "s2": "d1"}


def scenario_of(data: dict[str, Any], **settings: Any) -> Scenario:
    """The minimal scenario with an inventory section, s1 served from d1 today."""
    data["sites"][0]["depot"] = "d1"
    return Scenario.model_validate({**data, "inventory": settings})


def plan_of(result: InventoryResult) -> Plan:
    """A plan with only the stock layer decided, as the pipeline would assemble it."""
    return Plan(
        status="feasible",
        stock=result.stock,
        costs=result.costs,
        stock_targets=result.targets,
        stock_totals=result.totals,
        stock_frontier=result.frontier,
        loaners=result.loaners,
    )


def solved(scenario: Scenario) -> InventoryResult:
    """solve_inventory on today's assignment of the minimal scenario."""
    return solve_inventory(scenario, compile_stock(scenario, SERVING), time_limit_seconds=10)


def test_every_tier_target_holds_and_the_plan_validates(scenario_data: dict[str, Any]) -> None:
    """Gold (0.95) and bronze (0.8) hold in d1's pool; the validator finds nothing wrong."""
    scenario = scenario_of(scenario_data)
    result = solved(scenario)
    assert result.report.status == "feasible"
    assert {(t.tier, t.depot, t.pool) for t in result.targets} == {
        ("gold", "d1", POOLED),
        ("bronze", "d1", POOLED),
    }
    for target in result.targets:
        assert target.achieved >= target.target
    report = validate(scenario, plan_of(result))
    assert report.ok, report.violations


def test_frontier_method_is_no_dearer_than_the_naive_rule(scenario_data: dict[str, Any]) -> None:
    """Same targets, same pools: the frontier's holding + emergency ≤ the per-part rule's."""
    scenario = scenario_of(scenario_data)
    data = compile_stock(scenario, SERVING)
    ours, naive = solve_inventory(scenario, data, 10), naive_stock(data)
    assert ours.report.objective <= naive.report.objective + 1e-9
    assert validate(scenario, plan_of(naive)).ok


def test_exact_and_frontier_agree_on_the_minimal_scenario(scenario_data: dict[str, Any]) -> None:
    """Two parts in one pool: the MILP proves the frontier method's cost optimal (≤ 0.5 %)."""
    scenario = scenario_of(scenario_data, max_level_per_part=8)
    data = compile_stock(scenario, SERVING)
    exact = solve_inventory_exact(scenario, data, 10)
    ours = solve_inventory(scenario, data, 10)
    assert exact.report.status == "optimal"
    assert exact.report.bound is not None
    assert ours.report.objective <= exact.report.objective * 1.005
    assert validate(scenario, plan_of(exact)).ok


def test_exclusive_site_gets_its_own_pool_sized_on_its_own_demand(
    scenario_data: dict[str, Any],
) -> None:
    """s1 exclusive: pool 's1' holds boards for 2/yr; d1's pool serves s2's 1 board/yr."""
    scenario_data["sites"][0]["customer_exclusive"] = True
    scenario = scenario_of(scenario_data)
    result = solved(scenario)
    rows = {(s.pool, s.part): s for s in result.stock}
    assert rows["s1", "board"].demand_per_year == pytest.approx(2.0)
    assert rows[POOLED, "board"].demand_per_year == pytest.approx(1.0)
    assert ("s1", "valve") not in rows
    gold = [t for t in result.targets if t.tier == "gold"]
    assert [(t.pool, t.achieved >= 0.95) for t in gold] == [("s1", True)]
    assert validate(scenario, plan_of(result)).ok


def test_per_site_scope_meets_each_site_target(scenario_data: dict[str, Any]) -> None:
    """target_scope 'site': one target per site, each met, and the validator agrees."""
    scenario = scenario_of(scenario_data, target_scope="site")
    result = solved(scenario)
    assert sorted(t.site for t in result.targets) == ["s1", "s2"]
    assert all(t.achieved >= t.target for t in result.targets)
    assert validate(scenario, plan_of(result)).ok


def test_unreachable_target_is_diagnosed_per_part_and_tier(scenario_data: dict[str, Any]) -> None:
    """Gold 0.999999 with at most 1 unit: board fill ≤ e^-0.06 ≈ 0.94: infeasible, named."""
    scenario_data["tiers"][0]["parts_on_hand_target"] = 0.999999
    scenario = scenario_of(scenario_data, max_level_per_part=1)
    result = solved(scenario)
    assert result.report.status == "infeasible"
    assert any("tier gold" in line and "board" in line for line in result.shortfalls)
    assert "unreachable" in result.report.message
    report = validate(scenario, plan_of(result))
    assert [v.kind for v in report.violations] == [STOCK_TARGET_MISSED]


def test_holding_budget_caps_the_stock_and_says_what_is_needed(
    scenario_data: dict[str, Any],
) -> None:
    """A budget of 100/yr buys no board (250/yr each): targets missed, budget named."""
    scenario = scenario_of(scenario_data, holding_budget_per_year=100)
    result = solved(scenario)
    assert result.report.status == "infeasible"
    assert result.costs.holding_per_year <= 100
    assert any("holding budget" in line for line in result.shortfalls)


def test_reported_fill_equals_the_poisson_sum(scenario_data: dict[str, Any]) -> None:
    """fill = Σ_{d < S} e^-μ μ^d / d!, backorders = Σ_{d > S} (d − S) p(d), by direct sums."""
    scenario = scenario_of(scenario_data)
    result = solved(scenario)
    lead = {p.id: p.lead_time_days for p in scenario.parts}
    for row in result.stock:
        mu = row.demand_per_year * lead[row.part] / 365
        pmf = [math.exp(-mu) * mu**d / math.factorial(d) for d in range(60)]
        assert row.fill_probability == pytest.approx(sum(pmf[: row.level]), abs=1e-12)
        backorders = sum((d - row.level) * p for d, p in enumerate(pmf) if d > row.level)
        assert row.expected_backorders == pytest.approx(backorders, abs=1e-12)


def test_stockouts_of_late_tiers_carry_their_credits(scenario_data: dict[str, Any]) -> None:
    """Gold (240 min < 720 min emergency delay) pays 500 per stock-out; bronze (4320) does not."""
    scenario = scenario_of(scenario_data)
    data = compile_stock(scenario, SERVING)
    pool, board, valve = 0, data.part_ids.index("board"), data.part_ids.index("valve")
    # s1 (gold, within its promise from d1): board 2 scanners × 2/yr × 0.5 = 2/yr × 500.
    assert data.credit_exposure_per_year[pool, board] == pytest.approx(2 * 500)
    assert data.credit_exposure_per_year[pool, valve] == 0  # valves are bronze (s2) only
    result = solved(scenario)
    rows = {s.part: s for s in result.stock}
    expected = 1000 * (1 - rows["board"].fill_probability)
    assert result.costs.stockout_credits_per_year == pytest.approx(expected)
    assert result.report.objective == pytest.approx(
        result.costs.holding_per_year
        + result.costs.emergency_per_year
        + result.costs.stockout_credits_per_year
    )
    assert validate(scenario, plan_of(result)).ok


def test_dear_credits_buy_more_stock_than_the_target_needs(scenario_data: dict[str, Any]) -> None:
    """At 500,000 per late gold call, boards are stocked one past the level the targets need."""
    # Boards: λ = 3/yr, μ = 3 × 7.3 / 365 = 0.06, holding 0.25 × 1000 = 250 per unit-year.
    # A unit more at S fills P(D = S) more and saves P(D = S) × (3 × 250 + 2 × 500,000):
    # S = 2 → 3: P(D = 2) = e^-0.06 0.06² / 2 = 1.695e-3 → saves 1,697 > 250: buy;
    # S = 3 → 4: P(D = 3) = 3.39e-5 → saves 33.9 < 250: stop. Without the credit, 2 units.
    cheap = solved(scenario_of(scenario_data))
    scenario_data["tiers"][0]["credit_per_breach"] = 500_000
    dear = solved(scenario_of(scenario_data))
    assert {s.part: s.level for s in cheap.stock}["board"] == 2
    assert {s.part: s.level for s in dear.stock} == {
        **{s.part: s.level for s in cheap.stock},
        "board": 3,
    }


def test_a_site_outside_its_promise_carries_no_stockout_credit(
    scenario_data: dict[str, Any],
) -> None:
    """Served from d2 (beyond 120 min), every s1 call already pays in the network layer."""
    scenario_data["tiers"][0]["response_minutes"] = 120
    scenario = scenario_of(scenario_data)
    travel = Travel(scenario)
    dispatch = scenario.costs.dispatch_minutes
    assert dispatch + travel.pair("d1", "s1")[0] <= 120 < dispatch + travel.pair("d2", "s1")[0]
    near = compile_stock(scenario, SERVING)
    far = compile_stock(scenario, {"s1": "d2", "s2": "d1"})
    assert near.credit_exposure_per_year.sum() == pytest.approx(1000)
    assert far.credit_exposure_per_year.sum() == 0


def simulated_fill(mean_demand: float, level: int, rng: np.random.Generator) -> float:
    """Share of demands finding stock in a one-for-one (S − 1, S) system, lead time 1.

    Demands arrive as a Poisson stream of rate μ per lead time; each triggers a replenishment
    that arrives one lead time later, so a demand at t finds S − (demands in (t − 1, t)) units.
    """
    arrivals = np.cumsum(rng.exponential(1.0 / mean_demand, size=400_000))
    outstanding = np.arange(len(arrivals)) - np.searchsorted(arrivals, arrivals - 1.0)
    return float(np.mean(outstanding[len(arrivals) // 100 :] < level))


@pytest.mark.parametrize(("mean_demand", "level"), [(0.3, 1), (2.0, 3), (6.5, 8)])
def test_monte_carlo_fill_agrees_with_the_analytic_fill(mean_demand: float, level: int) -> None:
    """400,000 simulated demands (seed 7): within ±0.01 of P(D ≤ S − 1)."""
    from aftersales.optimizer.inventory import fill_probability

    analytic = float(fill_probability(level, mean_demand))
    assert simulated_fill(mean_demand, level, np.random.default_rng(7)) == pytest.approx(
        analytic, abs=0.01
    )


def test_frontier_has_one_chosen_point_equal_to_the_plan(scenario_data: dict[str, Any]) -> None:
    """The chosen frontier point carries the plan's holding and stock-out cost."""
    result = solved(scenario_of(scenario_data))
    chosen = [p for p in result.frontier if p.chosen]
    assert len(chosen) == 1
    assert chosen[0].holding_cost_per_year == pytest.approx(result.costs.holding_per_year)
    stockout = result.costs.emergency_per_year + result.costs.stockout_credits_per_year
    assert chosen[0].stockout_cost_per_year == pytest.approx(stockout)
    assert set(chosen[0].tier_parts_on_hand) == {"gold", "bronze"}
    fills = [p.parts_on_hand_probability for p in result.frontier]
    assert fills == sorted(fills)


def test_depot_totals_sum_the_rows(scenario_data: dict[str, Any]) -> None:
    """d1's total units and holding equal the sums over its rows."""
    result = solved(scenario_of(scenario_data))
    (total,) = result.totals
    assert total.units == sum(s.level for s in result.stock)
    assert total.holding_cost_per_year == pytest.approx(result.costs.holding_per_year)
    assert total.stockout_credits_per_year == pytest.approx(result.costs.stockout_credits_per_year)


def test_misreported_target_is_a_stock_mismatch(scenario_data: dict[str, Any]) -> None:
    """A stock_targets entry whose achieved fill is off is reported at its path."""
    scenario = scenario_of(scenario_data)
    plan = plan_of(solved(scenario))
    plan.stock_targets[0].achieved = 0.5
    report = validate(scenario, plan)
    assert [v.path for v in report.violations] == ["/stock_targets/0/achieved"]


def test_targets_are_checked_unless_switched_off(scenario_data: dict[str, Any]) -> None:
    """Tier targets are promises: a short plan is flagged by default, not when opted out."""
    scenario_data["sites"][0]["depot"] = "d1"
    scenario = Scenario.model_validate(scenario_data)
    assert scenario.inventory is None
    result = solved(scenario)
    short = [s.model_copy(update={"level": 0}) for s in result.stock]
    plan = Plan(status="feasible", stock=short)
    assert validate(scenario, plan).of_kind(STOCK_TARGET_MISSED)
    scenario_data["inventory"] = {"check_fill_targets": False}
    opted_out = Scenario.model_validate(scenario_data)
    assert not validate(opted_out, plan).of_kind(STOCK_TARGET_MISSED)


def test_default_settings_round_trip(scenario_data: dict[str, Any]) -> None:
    """The inventory section survives JSON; leaving it out keeps it None."""
    scenario = scenario_of(scenario_data, target_scope="site", loaner_unavailability_target=0.05)
    assert Scenario.model_validate_json(scenario.model_dump_json()) == scenario
    assert scenario.inventory == InventorySettings(
        target_scope="site", loaner_unavailability_target=0.05
    )
