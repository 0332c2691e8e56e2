"""Lateness follows the tier inside the PyVRP model (issue 11: "penalties follow the tier").

Hand-built: t1 at d1 (480-1020, no break, 60 an hour, 0.5 per km, km = minutes) and two repairs
opened at 480, both due at 560: gold r1 at s1 (90 min, credit 500), bronze r2 at s2 (60 min,
credit 50). The road is one-way quick from s2 to s1 (10) and slow back (40); d1 ↔ s1 30,
d1 ↔ s2 60. Only one of the two can be reached on time:

* gold first: s1 at 510, r1 510-600, s2 at 640 (bronze late), home 760: 280 min, 130 km,
  cost 280 + 65 + 50 = 395;
* bronze first: s2 at 540, r2 540-600, s1 at 610 (gold late), home 730: 250 min, 100 km,
  cost 250 + 50 + 500 = 800.

Bronze first is the shorter day, so a model blind to lateness takes it; with each tier's credit
as the cost of being late the model takes gold first.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aftersales.optimizer.routing import compile_routing, solve_routing
from aftersales.optimizer.routing.pyvrp_model import (
    PyvrpSolution,
    _clients,
    solve_pyvrp,
    ticks_down,
)
from aftersales.optimizer.schema import Scenario
from aftersales.optimizer.validate import validate
from tests.conftest import MINIMAL_SCENARIO

MATRIX = {
    "locations": ["s1", "s2", "d1", "d2"],
    "minutes": [
        [0, 40, 30, 90],
        [10, 0, 60, 90],
        [30, 60, 0, 90],
        [90, 90, 90, 0],
    ],
}
GOLD, BRONZE = 0, 1
"""Job indices of r1 and r2."""
MUST_SERVE = 10_000.0
SECONDS = 1.0


@pytest.fixture
def scenario(scenario_data: dict[str, Any]) -> Scenario:
    """The minimal scenario made into the two-repair day above."""
    scenario_data["travel"] = {"mode": "matrix", "matrix": {**MATRIX, "km": MATRIX["minutes"]}}
    scenario_data["technicians"][0]["break_minutes"] = 0
    scenario_data["tiers"][1].update(credit_per_breach=50, credit_cap_per_year=1000)
    r1, r2 = scenario_data["requests"]
    r1.update(opened_minute=480, due_minute=560, parts={})
    r2.update(kind="repair", deferrable=False, opened_minute=480, due_minute=560)
    r2.pop("time_windows")
    return Scenario.model_validate(scenario_data)


def _pyvrp_alone(scenario: Scenario, lateness: dict[int, float] | None = None) -> PyvrpSolution:
    """The PyVRP model alone on both jobs, each must-serve on t1's only day."""
    solution = solve_pyvrp(
        compile_routing(scenario),
        {GOLD: [0], BRONZE: [0]},
        {GOLD: MUST_SERVE, BRONZE: MUST_SERVE},
        scenario.costs.travel_cost_per_km,
        SECONDS,
        required={GOLD, BRONZE},
        lateness=lateness,
    )
    assert solution is not None
    return solution


def _order(scenario: Scenario, lateness: dict[int, float]) -> list[int]:
    """t1's order as the PyVRP model alone chooses it."""
    return _pyvrp_alone(scenario, lateness).orders[0]


def test_without_lateness_the_model_takes_the_shorter_day(scenario: Scenario) -> None:
    assert _order(scenario, {}) == [BRONZE, GOLD]


def test_the_tier_credit_puts_gold_first(scenario: Scenario) -> None:
    assert _order(scenario, {GOLD: 500.0, BRONZE: 50.0}) == [GOLD, BRONZE]


def test_equal_credits_keep_the_shorter_day(scenario: Scenario) -> None:
    """Being late costs the same either way: the shorter day wins again."""
    assert _order(scenario, {GOLD: 50.0, BRONZE: 50.0}) == [BRONZE, GOLD]


def test_the_routing_layer_serves_gold_on_time(scenario: Scenario) -> None:
    result = solve_routing(scenario, compile_routing(scenario), SECONDS, engine="pyvrp")
    plan = result.to_plan()
    assert validate(scenario, plan).ok
    assert [s.request for s in plan.routes[0].visits] == ["r1", "r2"]
    assert plan.costs.route_lateness_credits == pytest.approx(50)
    assert plan.costs.horizon_total == pytest.approx(395)


def test_must_serve_work_that_cannot_all_fit_is_still_searched(scenario: Scenario) -> None:
    """Shift 480-640: either job alone fits (r1 alone is home at 630), both never do. The model
    must still find a feasible plan serving one (PyVRP's hard "required" found none and
    returned its start unsearched)."""
    shift = scenario.technicians[0].shifts[0]
    shift.end_minute = 640
    solution = _pyvrp_alone(scenario)
    assert solution.status == "feasible"
    assert len(solution.orders[0]) == 1


@settings(max_examples=50, deadline=None)
@given(
    prize=st.integers(min_value=1, max_value=10**9),
    lateness=st.integers(min_value=0, max_value=10**9),
)
def test_the_copies_price_late_at_the_lateness_and_unserved_at_the_penalty(
    prize: int, lateness: int
) -> None:
    """PyVRP charges the prizes of the copies left out: serving late must cost exactly L more
    than on time and leaving the job P more (while L < P); otherwise one copy stands alone."""
    data = copy.deepcopy(MINIMAL_SCENARIO)
    data["requests"][0].update(opened_minute=480, due_minute=560)
    routing = compile_routing(Scenario.model_validate(data))
    clients = _clients(routing, GOLD, [0], (prize, lateness), False, ([], []), (1, 0))
    due = ticks_down(560)
    if lateness == 0:
        assert [c.tw_late for c in clients] == [np.iinfo(np.int64).max]
    elif lateness >= prize:
        assert [(c.tw_late, c.prize) for c in clients] == [(due, prize)]
    else:
        on_time, late = clients
        assert (on_time.tw_late, late.tw_late) == (due, np.iinfo(np.int64).max)
        assert on_time.group == late.group == 0
        left_out = {"on time": late.prize, "late": on_time.prize}
        assert left_out["late"] - left_out["on time"] == lateness
        assert on_time.prize + late.prize - left_out["on time"] == prize
