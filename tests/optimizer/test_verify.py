"""Tests of the verify loop (aftersales.optimizer.simulate.verify, ``options.verify``) on a
one-site scenario whose attainment is set by its stock alone."""

from __future__ import annotations

from pathlib import Path

import pytest
from one_site import one_site
from scipy.stats import poisson
from typer.testing import CliRunner

from aftersales.optimizer.cli import app
from aftersales.optimizer.pipeline import _checked, solve
from aftersales.optimizer.schema import Plan, Scenario, SolveOptions, StockLevel
from aftersales.optimizer.simulate.verify import MAX_MODEL_TARGET, verify_loop, with_targets
from aftersales.optimizer.validate import validate

TARGET = 0.94
"""Gold target. λ = 100 parts/yr, L = 7.3 d → μ = 2: S = 5 has fill P(D ≤ 4) = 0.947, just above
the target, S = 6 has 0.983."""


@pytest.fixture(scope="module")
def stock_bound() -> Scenario:
    """One gold site, 4 h promise, emergency delay 12 h: a stock-out breaks the call; the
    technician is on call 24/7 and nearly idle, so parts on hand decide the attainment."""
    scenario = one_site(failures=100.0, lead_days=7.3, unit_cost=50000)
    return with_targets(scenario, {"gold": TARGET})


def options(**update: object) -> SolveOptions:
    """Network + inventory, 20 s, 5 replications per verification."""
    base = SolveOptions(layers=["network", "inventory"], time_limit_seconds=20)
    return base.model_copy(update={"simulate_replications": 5, **update})


def least_stock(scenario: Scenario, options: SolveOptions, start: Plan | None) -> Plan:
    """A stand-in model: the least S whose fill P(D ≤ S − 1), μ = 2, reaches the model target
    (what a stock-only model would buy), so the loop's logic is tested apart from the MILP; its
    KPIs are checked against the scenario it was given, as the pipeline's are."""
    target = scenario.tiers[0].attainment_target
    level = next(s for s in range(1, 30) if poisson.cdf(s - 1, 2.0) >= target)
    entry = StockLevel(
        depot="D",
        part="A",
        level=level,
        demand_per_year=100,
        fill_probability=poisson.cdf(level - 1, 2.0),
        # E[(D − S)+] = μ − S + Σ_{x<S} (S − x) p(x)
        expected_backorders=2.0
        - level
        + sum((level - x) * poisson.pmf(x, 2.0) for x in range(level)),
        holding_cost_per_year=level * 50000 * 0.25,
    )
    plan = Plan(status="feasible", stock=[entry])
    plan = plan.model_copy(update={"costs": validate(scenario, plan).costs})
    return recheck(scenario, plan)


def recheck(scenario: Scenario, plan: Plan) -> Plan:
    """The pipeline's check against the original scenario (fresh KPIs)."""
    return _checked(scenario, plan.model_copy(update={"kpis": []}))


def test_verify_raises_a_short_tier_and_resolves(stock_bound: Scenario) -> None:
    """Round 0 (S = 5, fill 0.947) simulates a lower bound below 0.94; the model target rises to
    max(0.94, forecast) + shortfall > 0.947, so the re-solve buys S = 6 and round 1 verifies."""
    first_plan = recheck(stock_bound, least_stock(stock_bound, options(), None))
    assert [s.level for s in first_plan.stock] == [5]
    plan, history = verify_loop(
        stock_bound, options(verify=True, verify_rounds=2), least_stock, recheck
    )
    assert [r.verified["gold"] for r in history] == [False, True]
    first, second = history
    assert first.ci_low["gold"] < TARGET
    forecast = first_plan.kpis[0].forecast_attainment
    assert forecast is not None
    shortfall = TARGET - first.ci_low["gold"]
    assert second.model_targets["gold"] == pytest.approx(
        min(MAX_MODEL_TARGET, max(TARGET, forecast) + shortfall)
    )
    assert [s.level for s in plan.stock] == [6]
    gold = plan.kpis[0]
    assert gold.attainment_target == TARGET  # judged against the original target
    assert gold.verified is True
    assert gold.simulated_ci_low is not None
    assert gold.simulated_ci_low >= TARGET
    assert validate(stock_bound, plan).ok


def test_verify_without_rounds_only_reports(stock_bound: Scenario) -> None:
    """verify_rounds = 0: one simulation and no re-solve; the short tier stays unverified."""
    plan, history = verify_loop(
        stock_bound, options(verify=True, verify_rounds=0), least_stock, recheck
    )
    assert len(history) == 1
    assert [s.level for s in plan.stock] == [5]
    assert plan.kpis[0].verified is False


def test_solve_with_verify_returns_a_verified_valid_plan(stock_bound: Scenario) -> None:
    """solve(options.verify) through the pipeline: every tier carries ``verified`` and the
    simulated bounds; the plan stays valid; without verify ``verified`` stays null."""
    plain = solve(stock_bound, options(simulate_replications=0))
    checked = solve(stock_bound, options(verify=True))
    assert plain.kpis[0].verified is None
    gold = checked.kpis[0]
    assert gold.verified is not None
    assert gold.simulated_ci_low is not None
    assert gold.verified == (gold.simulated_ci_low >= TARGET)
    assert checked.status in ("optimal", "feasible")
    assert validate(stock_bound, checked).ok


def test_cli_solve_verify_prints_the_simulated_bound(stock_bound: Scenario, tmp_path: Path) -> None:
    """`aftersales solve --verify` prints target, simulated CI and verified per tier."""
    scenario_path, plan_path = tmp_path / "s.json", tmp_path / "p.json"
    scenario_path.write_text(stock_bound.model_dump_json())
    result = CliRunner().invoke(
        app,
        [
            "solve",
            str(scenario_path),
            "-o",
            str(plan_path),
            "--layers",
            "network,inventory",
            "--time-limit",
            "20",
            "--verify",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Simulated attainment per tier" in result.output
    gold = Plan.model_validate_json(plan_path.read_text()).kpis[0]
    assert gold.verified is not None
    assert ("yes" if gold.verified else "no") in result.output.split("Simulated attainment")[1]


def test_priced_policy_is_simulated_but_never_tightened(stock_bound: Scenario) -> None:
    """Under the priced policy targets do not bind: one simulation, no re-solve."""
    priced = stock_bound.model_copy(
        update={"policy": stock_bound.policy.model_copy(update={"attainment": "priced"})}
    )
    plan, history = verify_loop(priced, options(verify=True, verify_rounds=2), least_stock, recheck)
    assert len(history) == 1
    assert [s.level for s in plan.stock] == [5]
    assert plan.kpis[0].verified is False
