"""The optimising router (solve_routing): small scenarios whose best plan is known by hand.

Same round-number matrix as the greedy tests: depot d1 → s1 30 min, d1 → s2 60 min, s1 → s2
40 min, d2 90 min from everything (km equal to minutes, 0.5 per km). Technician t1 (d1) works
480-1020 with a 30-minute break inside 690-840 and costs 60 an hour. r1 (s1, 90 min, gold:
due 500 + 240 = 740, credit 500) and r2 (s2, 60 min, window 480-960, deferrable, due 1020).
Every plan is checked by the independent validator.
"""

from __future__ import annotations

from typing import Any

import pytest

from aftersales.optimizer.routing import compile_routing, solve_routing
from aftersales.optimizer.routing.solver import _from_orders, allowed_vehicles
from aftersales.optimizer.routing.timing import time_route
from aftersales.optimizer.schema import Plan, Scenario
from aftersales.optimizer.validate import validate

MATRIX = {
    "locations": ["s1", "s2", "d1", "d2"],
    "minutes": [[0, 40, 30, 90], [40, 0, 60, 90], [30, 60, 0, 90], [90, 90, 90, 0]],
}
LIMIT_SECONDS = 1.0


@pytest.fixture
def routed_data(scenario_data: dict[str, Any]) -> dict[str, Any]:
    """The minimal scenario on the round-number matrix."""
    scenario_data["travel"] = {"mode": "matrix", "matrix": {**MATRIX, "km": MATRIX["minutes"]}}
    return scenario_data


def _t2(**changes: Any) -> dict[str, Any]:
    """A second technician at d2 (90 min from every site), same shift, no break."""
    return {
        "id": "t2",
        "depot": "d2",
        "skills": ["electrical", "mechanical"],
        "shifts": [{"day": 0, "start_minute": 480, "end_minute": 1020}],
        **changes,
    }


def _solve(
    data: dict[str, Any],
    stock: dict[tuple[str, str], int] | None = None,
    previous: Plan | None = None,
) -> tuple[Plan, str]:
    """Solve, validate, and return the plan and the layer message."""
    scenario = Scenario.model_validate(data)
    result = solve_routing(
        scenario, compile_routing(scenario, stock=stock), LIMIT_SECONDS, previous=previous
    )
    plan = result.to_plan()
    report = validate(scenario, plan)
    assert report.ok, report.violations
    assert result.report.objective == pytest.approx(plan.costs.horizon_total)
    assert result.report.bound is None  # local search proves no bound
    return plan, result.report.message


def _stops(plan: Plan) -> dict[str, tuple[str, float, float, float]]:
    return {
        s.request: (r.technician, s.arrival, s.start, s.end) for r in plan.routes for s in r.stops
    }


def test_break_taken_while_waiting_at_the_next_site(routed_data: dict[str, Any]) -> None:
    """r2 of 200 min: break 690-720 at s2 while waiting for r2 (720-920), home 980.

    Leaving at 480 would reach s2 at 640 and wait 50 min besides the break; the route leaves
    50 min later instead: r1 560-650, at s2 by 690, break 690-720, r2 720-920, home 980.
    r2 is made non-deferrable: serving it costs more than deferring it (penalty 200).
    """
    routed_data["requests"][1].update(duration_minutes=200, deferrable=False)
    plan, _ = _solve(routed_data)
    assert _stops(plan) == {"r1": ("t1", 560, 560, 650), "r2": ("t1", 690, 720, 920)}
    route = plan.routes[0]
    assert route.break_ is not None
    assert (route.start, route.break_.start, route.break_.end, route.end) == (530, 690, 720, 980)
    # labour (980 - 530) / 60 × 60 = 450; travel (30 + 40 + 60) × 0.5 = 65; no credit
    assert plan.costs.horizon_total == pytest.approx(515)


def test_sla_due_time_decides_the_order(routed_data: dict[str, Any]) -> None:
    """r1 due at 520: only s1 first is on time (510); s2 first would reach s1 at 640, late."""
    routed_data["requests"][0].update(opened_minute=480, due_minute=520)
    plan, _ = _solve(routed_data)
    assert [s.request for s in plan.routes[0].stops] == ["r1", "r2"]
    assert plan.costs.route_lateness_credits == 0


def test_skills_send_the_job_to_the_qualified_technician(routed_data: dict[str, Any]) -> None:
    """t1 lacks 'mechanical': r2 (made non-deferrable) goes to t2 from d2, r1 stays with t1."""
    routed_data["technicians"][0]["skills"] = ["electrical"]
    routed_data["requests"][1]["deferrable"] = False
    routed_data["technicians"].append(_t2(skills=["mechanical"]))
    plan, _ = _solve(routed_data)
    stops = _stops(plan)
    assert (stops["r1"][0], stops["r2"][0]) == ("t1", "t2")


def test_job_nobody_can_do_is_unserved_with_reason(routed_data: dict[str, Any]) -> None:
    """Nobody holds 'mechanical': r2 is listed unserved for lack of skill, never silently."""
    routed_data["technicians"][0]["skills"] = ["electrical"]
    plan, _ = _solve(routed_data)
    assert [(u.request, u.reason) for u in plan.unserved] == [("r2", "no_skill")]


def test_window_after_the_shift_is_unreachable(routed_data: dict[str, Any]) -> None:
    """r1 (not deferrable) may only start in 1100-1200, after shift end + overtime (1020)."""
    routed_data["requests"][0]["time_windows"] = [{"start": 1100, "end": 1200}]
    routed_data["requests"][1]["deferrable"] = False
    plan, _ = _solve(routed_data)
    assert [(u.request, u.reason) for u in plan.unserved] == [("r1", "no_time")]
    # default unserved_penalty 5000 + the tier's credit_per_breach 500 (unserved = a breach)
    assert plan.costs.unserved_penalty == pytest.approx(5500)


def test_second_window_is_used_when_the_first_is_out_of_reach(
    routed_data: dict[str, Any],
) -> None:
    """r2 windows 480-500 (s2 is reached at 540 at best) and 800-900: served in the second.

    Cheapest timing (labour 310 min): leave at 660, at s1 by 690 (r1 due 740), break 690-720
    there, r1 720-810, r2 850-910, home at 970. Leaving at 720 would skip the break but reach
    s1 at 750, late.
    """
    routed_data["requests"][1]["time_windows"] = [
        {"start": 480, "end": 500},
        {"start": 800, "end": 900},
    ]
    plan, _ = _solve(routed_data)
    assert _stops(plan) == {"r1": ("t1", 690, 720, 810), "r2": ("t1", 850, 850, 910)}
    route = plan.routes[0]
    assert route.break_ is not None
    assert (route.start, route.break_.start, route.end) == (660, 690, 970)
    assert plan.costs.route_labour == pytest.approx(310)


def test_shift_too_short_defers_the_deferrable_job(routed_data: dict[str, Any]) -> None:
    """Shift 480-700, no break: r1 510-600 fits, r2 would end home at 760, so r2 is deferred."""
    technician = routed_data["technicians"][0]
    technician.update(break_minutes=0, shifts=[{"day": 0, "start_minute": 480, "end_minute": 700}])
    plan, _ = _solve(routed_data)
    assert list(_stops(plan)) == ["r1"]
    assert [(u.request, u.reason) for u in plan.unserved] == [("r2", "deferred")]
    assert plan.costs.unserved_penalty == pytest.approx(200)  # the default deferral penalty


def test_overtime_is_used_for_a_job_that_must_be_served(routed_data: dict[str, Any]) -> None:
    """Shift 480-600, 60 min overtime, no break: r1 510-600 and home at 630, 30 min overtime."""
    technician = routed_data["technicians"][0]
    technician.update(
        break_minutes=0,
        max_overtime_minutes=60,
        shifts=[{"day": 0, "start_minute": 480, "end_minute": 600}],
    )
    plan, _ = _solve(routed_data)
    assert _stops(plan)["r1"] == ("t1", 510, 510, 600)
    assert plan.routes[0].end == 630
    assert plan.costs.route_overtime == pytest.approx(30 / 60 * 90)  # default 90 per hour


def test_pinned_job_stays_with_its_technician(routed_data: dict[str, Any]) -> None:
    """r1 pinned to t2 (90 min away) is served by t2 although t1 is 30 min away."""
    routed_data["technicians"].append(_t2())
    routed_data["requests"][0]["pinned_technician"] = "t2"
    plan, _ = _solve(routed_data)
    assert _stops(plan)["r1"][0] == "t2"


def test_missing_part_waits_for_the_emergency_shipment(routed_data: dict[str, Any]) -> None:
    """d1 lacks the board, delay 200: r1 starts at 500 + 200 = 700; leaving at 670 is cheapest.

    No break. r1 first (leave 670, 700-790, s2 830-890, home 950: 280 min) beats r2 first
    (480-820: 340 min); both drive 130 km.
    """
    routed_data["costs"] = {"emergency_delay_minutes": 200}
    routed_data["technicians"][0]["break_minutes"] = 0
    plan, _ = _solve(routed_data, stock={("d1", "valve"): 1})
    assert _stops(plan) == {"r1": ("t1", 700, 700, 790), "r2": ("t1", 830, 830, 890)}
    assert (plan.routes[0].start, plan.routes[0].end) == (670, 950)


def test_part_stocked_at_another_depot_has_no_delay_there(routed_data: dict[str, Any]) -> None:
    """Only d2 stocks the board: t2 serves r1 rather than t1 wait for it until 1220.

    t2 takes r2 too (d2 → s1 → s2 → d2 and the reverse both end at 850 with 220 km, cheaper than
    a second route for t1), so r1 starts at 570 (s1 first) or 670 (s2 first).
    """
    routed_data["technicians"].append(_t2())
    plan, _ = _solve(routed_data, stock={("d2", "board"): 1, ("d1", "valve"): 1})
    technician, _, start, _ = _stops(plan)["r1"]
    assert technician == "t2"
    assert start in (570, 670)
    assert plan.routes[0].end == 850


def test_warm_start_keeps_a_good_plan_unchanged(routed_data: dict[str, Any]) -> None:
    """Re-solving from its own answer moves nothing and costs no more."""
    first, _ = _solve(routed_data)
    again, message = _solve(routed_data, previous=first)
    assert again.costs.horizon_total <= first.costs.horizon_total + 1e-6
    assert _stops(again) == _stops(first)
    assert "0 assignments moved" in message


def test_warm_start_improves_a_poor_start_and_counts_moves(routed_data: dict[str, Any]) -> None:
    """Start: both jobs on far-away t2 (cost 480); the answer is cheaper and reports the moves."""
    routed_data["technicians"].append(_t2())
    scenario = Scenario.model_validate(routed_data)
    data = compile_routing(scenario)
    t2 = next(v for v in data.vehicles if v.technician == "t2")
    timed = time_route(data, t2, list(data.jobs))
    assert timed is not None
    start = Plan(status="feasible", routes=[timed.route])
    start_cost = solve_routing(scenario, data, 0.2, previous=start)  # never worse than start
    plan, message = _solve(routed_data, previous=start)
    # t2: 480 → s1 570-660 → s2 700-760 → d2 850 = 370 min (370) + 220 km (110): 480 in all
    assert plan.costs.horizon_total < 480
    assert start_cost.costs.horizon_total <= 480 + 1e-6
    assert "2 assignments moved" in message


def test_orders_on_an_unqualified_vehicle_are_dropped(routed_data: dict[str, Any]) -> None:
    """A candidate's orders that put r1 (electrical) on t2 (given only mechanical here) — as an
    infeasible PyVRP solution can, over the long arc that encodes the missing skill — leave r1
    unserved instead of routing it to a technician without the skill."""
    routed_data["technicians"].append(_t2(skills=["mechanical"]))
    scenario = Scenario.model_validate(routed_data)
    data = compile_routing(scenario)
    jobs = {job.id: j for j, job in enumerate(data.jobs)}
    vehicles = {v.technician: k for k, v in enumerate(data.vehicles)}
    orders: list[list[int]] = [[] for _ in data.vehicles]
    orders[vehicles["t2"]] = [jobs["r1"]]
    candidate = _from_orders(scenario, data, "planted", orders, {}, allowed_vehicles(data))
    assert candidate.routes == []
    assert [u.request for u in candidate.unserved if u.request == "r1"] == ["r1"]
