"""Greedy dispatch baseline: timings, breaks, skills, windows and parts worked out by hand.

The scenario uses an explicit travel matrix with round numbers: depot d1 → s1 30 min, d1 → s2
60 min, s1 → s2 40 min (km equal to minutes). Technician t1 works 08:00-17:00 (480-1020) with a
30-minute break inside 11:30-14:00 (690-840).
"""

from __future__ import annotations

from typing import Any

import pytest

from aftersales.optimizer.routing import compile_routing, greedy_dispatch
from aftersales.optimizer.schema import DepotDecision, Plan, Scenario
from aftersales.optimizer.validate import validate

MATRIX = {
    "locations": ["s1", "s2", "d1", "d2"],
    "minutes": [[0, 40, 30, 90], [40, 0, 60, 90], [30, 60, 0, 90], [90, 90, 90, 0]],
}


@pytest.fixture
def routed_data(scenario_data: dict[str, Any]) -> dict[str, Any]:
    """The minimal scenario on the round-number matrix, without stock or network decisions."""
    scenario_data["travel"] = {"mode": "matrix", "matrix": {**MATRIX, "km": MATRIX["minutes"]}}
    return scenario_data


def _dispatch(data: dict[str, Any], stock: dict[tuple[str, str], int] | None = None) -> Plan:
    scenario = Scenario.model_validate(data)
    result = greedy_dispatch(scenario, compile_routing(scenario, stock=stock))
    plan = result.to_plan()
    report = validate(scenario, plan)
    assert report.ok, report.violations
    return plan


def _times(plan: Plan) -> list[tuple[str, float, float, float]]:
    return [(s.request, s.arrival, s.start, s.end) for r in plan.routes for s in r.stops]


def test_two_jobs_in_due_order_without_break(routed_data: dict[str, Any]) -> None:
    """r1 (due 740) first: leave at 500 when it opens, 530-620; r2 at s2 660-720; home at 780."""
    plan = _dispatch(routed_data)
    assert _times(plan) == [("r1", 530, 530, 620), ("r2", 660, 660, 720)]
    route = plan.routes[0]
    # Home at 780 ≤ 840 - 30: the break can still be taken after the day, so none is planned.
    assert (route.start, route.end, route.break_) == (480, 780, None)
    assert route.travel_minutes == 130  # 30 + 40 + 60
    # labour (780 - 480) / 60 h × 60/h = 300; travel 130 km × 0.5/km = 65
    assert plan.costs.route_labour == pytest.approx(300)
    assert plan.costs.route_travel == pytest.approx(65)


def test_break_taken_before_a_job_that_would_run_through_the_window(
    routed_data: dict[str, Any],
) -> None:
    """r2 of 200 min would end at 860 > 810: break 690-720 at s1, then 760-960, home at 1020."""
    routed_data["requests"][1]["duration_minutes"] = 200
    plan = _dispatch(routed_data)
    assert _times(plan) == [("r1", 530, 530, 620), ("r2", 760, 760, 960)]
    route = plan.routes[0]
    assert route.break_ is not None
    assert (route.break_.start, route.break_.end) == (690, 720)
    assert route.end == 1020


def test_job_without_a_skilled_technician_is_unserved_with_reason(
    routed_data: dict[str, Any],
) -> None:
    """Nobody holds 'mechanical' any more: r2 is unserved for lack of skill."""
    routed_data["technicians"][0]["skills"] = ["electrical"]
    plan = _dispatch(routed_data)
    assert [(u.request, u.reason) for u in plan.unserved] == [("r2", "no_skill")]


def test_window_out_of_reach_is_deferred(routed_data: dict[str, Any]) -> None:
    """r2's window closes at 500, before t1 can reach s2 (480 + 60 = 540): deferred."""
    routed_data["requests"][1]["time_windows"] = [{"start": 480, "end": 500}]
    plan = _dispatch(routed_data)
    assert [(u.request, u.reason) for u in plan.unserved] == [("r2", "deferred")]
    assert plan.costs.unserved_penalty == pytest.approx(200)  # the default deferral penalty


def test_missing_part_waits_for_the_emergency_shipment(routed_data: dict[str, Any]) -> None:
    """d1 stocks no board: r1 cannot start before 500 + 720 = 1220, past every shift: unserved."""
    plan = _dispatch(routed_data, stock={("d1", "valve"): 1})
    assert [(u.request, u.reason) for u in plan.unserved] == [("r1", "no_time")]


def test_late_arrival_costs_the_tier_credit(routed_data: dict[str, Any]) -> None:
    """r1 opened at 900, due 920, reached at 930 (60 min job, home at 1020): one 500 credit."""
    routed_data["requests"][0].update(opened_minute=900, due_minute=920, duration_minutes=60)
    plan = _dispatch(routed_data)
    assert ("r1", 930, 930, 990) in _times(plan)
    assert plan.costs.route_lateness_credits == pytest.approx(500)


def test_technician_of_a_closed_depot_works_from_the_nearest_open_one(
    routed_data: dict[str, Any],
) -> None:
    """With d1 closed, t1 starts from d2 (90 min to each site): r1 arrives at 500 + 90 = 590."""
    scenario = Scenario.model_validate(routed_data)
    data = compile_routing(scenario, open_depots={"d2"})
    result = greedy_dispatch(scenario, data)
    plan = Plan(
        status="feasible",
        depots=[DepotDecision(id="d1", open=False), DepotDecision(id="d2", open=True)],
        routes=result.routes,
        unserved=result.unserved,
        costs=result.costs,
    )
    report = validate(scenario, plan)
    # only network costs differ from the plan's (no assignments given, d2's fixed cost counts)
    assert {v.kind for v in report.violations} <= {"cost_mismatch"}
    assert result.routes[0].depot == "d2"
    assert _times(plan)[0] == ("r1", 590, 590, 680)
