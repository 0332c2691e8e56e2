"""Tests of the verify loop (aftersales.optimizer.simulate.verify, ``options.verify``) on a
one-site scenario whose attainment is set by its stock alone."""

from __future__ import annotations

import pytest
from one_site import one_site

from aftersales.optimizer.pipeline import _checked, solve
from aftersales.optimizer.schema import Plan, Scenario, SolveOptions
from aftersales.optimizer.simulate.verify import MAX_MODEL_TARGET, verify_loop, with_targets
from aftersales.optimizer.validate import validate

TARGET = 0.94
"""Gold target. λ = 100 parts/yr, L = 7.3 d → μ = 2: S = 5 has fill P(D ≤ 4) = 0.947, just above
the target, S = 6 has 0.983. The part costs 50,000, so the stock layer buys the least S."""


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


def test_verify_raises_a_short_tier_and_resolves(stock_bound: Scenario) -> None:
    """Round 0 (S = 5) simulates a lower bound below 0.94; the model target rises by the
    shortfall, the re-solve buys S = 6 and round 1 verifies it."""

    def once(scenario: Scenario, opts: SolveOptions, start: Plan | None) -> Plan:
        return solve(scenario, opts, None, start)

    plan, history = verify_loop(
        stock_bound, options(verify=True, verify_rounds=2), once, recheck=_recheck
    )
    assert [r.verified["gold"] for r in history] == [False, True]
    first, second = history
    assert first.ci_low["gold"] < TARGET
    assert second.model_targets["gold"] >= TARGET + (TARGET - first.ci_low["gold"]) - 1e-12
    assert second.model_targets["gold"] <= MAX_MODEL_TARGET
    assert [s.level for s in plan.stock] == [6]
    gold = plan.kpis[0]
    assert gold.attainment_target == TARGET  # judged against the original target
    assert gold.verified is True
    assert gold.simulated_ci_low is not None
    assert gold.simulated_ci_low >= TARGET
    assert validate(stock_bound, plan).ok


def _recheck(scenario: Scenario, plan: Plan) -> Plan:
    """The pipeline's check against the original scenario (fresh KPIs)."""
    return _checked(scenario, plan.model_copy(update={"kpis": []}))


def test_solve_with_verify_returns_a_verified_valid_plan(stock_bound: Scenario) -> None:
    """solve(options.verify) marks each tier verified and keeps the plan valid; without
    verify the same solve keeps S = 5 and leaves ``verified`` null."""
    plain = solve(stock_bound, options())
    checked = solve(stock_bound, options(verify=True))
    assert [s.level for s in plain.stock] == [5]
    assert plain.kpis[0].verified is None
    assert [s.level for s in checked.stock] == [6]
    assert checked.kpis[0].verified is True
    assert checked.status in ("optimal", "feasible")
    assert validate(stock_bound, checked).ok


def test_verify_without_rounds_only_reports(stock_bound: Scenario) -> None:
    """verify_rounds = 0: one simulation, no re-solve; the short tier says verified = False."""
    plan = solve(stock_bound, options(verify=True, verify_rounds=0))
    assert [s.level for s in plan.stock] == [5]
    assert plan.kpis[0].verified is False
    assert validate(stock_bound, plan).ok
