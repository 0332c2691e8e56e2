"""Optional work is done when there is time and gives way only to repairs (issue 11, item 5).

Hand-built: t1 at d1 (480-1020, no break, 60 an hour, 0.5 per km, km = minutes); gold repair r1
at s1 (90 min, opened 480, due 600) and bronze preventive visit r2 at s2 (60 min, deferrable,
window 480-960, due 1020). Travel d1 ↔ s1 30, d1 ↔ s2 60, s1 → s2 40, s2 → s1 10.

* r1 alone: d1 → s1 → d1, 480-630, 150 min and 60 km: 150 + 30 = 180.
* r1 then r2: d1 → s1 → s2 → d1, 480-760, 280 min and 130 km: 280 + 65 = 345.

Doing r2 costs 165 more than not; with a deferral penalty of 50 a search on cost alone defers
the visit although the technician has the rest of the day free. With the shift ending at 700
only r1 fits before the visit: the visit gives way.
"""

from __future__ import annotations

from typing import Any

import pytest

from aftersales.optimizer.routing import compile_routing, solve_routing
from aftersales.optimizer.schema import Scenario
from aftersales.optimizer.validate import validate
from tests.optimizer.test_routing_lateness import MATRIX

SECONDS = 1.0


@pytest.fixture
def scenario_data_visit(scenario_data: dict[str, Any]) -> dict[str, Any]:
    """The minimal scenario made into the repair-and-visit day above."""
    scenario_data["travel"] = {"mode": "matrix", "matrix": {**MATRIX, "km": MATRIX["minutes"]}}
    scenario_data["technicians"][0]["break_minutes"] = 0
    scenario_data.setdefault("costs", {})["deferral_penalty"] = 50
    r1 = scenario_data["requests"][0]
    r1.update(opened_minute=480, due_minute=600, parts={})
    return scenario_data


@pytest.mark.parametrize("engine", ["pyvrp", "ortools"])
def test_a_visit_is_done_when_the_day_has_time(
    scenario_data_visit: dict[str, Any], engine: str
) -> None:
    """Fails on a cost-only choice: deferring (50) is cheaper than doing the visit (165)."""
    scenario = Scenario.model_validate(scenario_data_visit)
    result = solve_routing(scenario, compile_routing(scenario), SECONDS, engine=engine)  # type: ignore[arg-type]
    plan = result.to_plan()
    assert validate(scenario, plan).ok
    assert [s.request for s in plan.routes[0].visits] == ["r1", "r2"]
    assert plan.unserved == []
    assert plan.costs.horizon_total == pytest.approx(345)


def test_a_visit_gives_way_to_a_repair(scenario_data_visit: dict[str, Any]) -> None:
    """Shift 480-700: r1 (home at 630) or r2 alone fits, both never do: the repair is done."""
    scenario_data_visit["technicians"][0]["shifts"][0]["end_minute"] = 700
    scenario_data_visit["technicians"][0]["max_overtime_minutes"] = 0
    scenario = Scenario.model_validate(scenario_data_visit)
    result = solve_routing(scenario, compile_routing(scenario), SECONDS)
    plan = result.to_plan()
    assert validate(scenario, plan).ok
    assert [s.request for s in plan.routes[0].visits] == ["r1"]
    assert [(u.request, u.reason) for u in plan.unserved] == [("r2", "deferred")]


def test_work_due_after_the_horizon_is_done_when_the_day_has_time(
    scenario_data_visit: dict[str, Any],
) -> None:
    """r2 as a repair due on day 2 of a one-day horizon: it may be carried over (reason
    ``beyond_horizon``, the deferral penalty), but the day has the time, so it is done today.
    Fails on a cost-only choice, as the visit does."""
    scenario_data_visit["policy"] = {"horizon_days": 1}
    r2 = scenario_data_visit["requests"][1]
    r2.update(kind="repair", deferrable=False, due_minute=2000)
    r2.pop("time_windows")
    scenario = Scenario.model_validate(scenario_data_visit)
    result = solve_routing(scenario, compile_routing(scenario), SECONDS)
    plan = result.to_plan()
    assert validate(scenario, plan).ok
    assert [s.request for s in plan.routes[0].visits] == ["r1", "r2"]
    assert plan.unserved == []
