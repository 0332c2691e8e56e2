"""Van stock, tools, restock stops, later departures and unserved reasons (issue 11).

Round-number matrix (km = minutes, 0.5 per km): d1 → s1 30, d1 → s2 60, s1 → s2 40, d2 90 from
everything; home h1 is 10 from s1, 50 from s2, 40 from d1. t1 works 480-1020 without a break at
60 an hour. r1 (s1, gold: opened 500, 90 min, due 740, needs a board) and r2 (s2, 60 min).
Every plan is checked by the independent validator.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aftersales.optimizer.routing import compile_routing, solve_routing
from aftersales.optimizer.routing.solver import _from_orders, allowed_vehicles
from aftersales.optimizer.routing.timing import RESTOCK_INDEX, time_route
from aftersales.optimizer.schema import Plan, Scenario, Stop, Unserved
from aftersales.optimizer.simulate.report import gantt_figure
from aftersales.optimizer.validate import validate
from tests.conftest import MINIMAL_SCENARIO

MATRIX = {
    "locations": ["s1", "s2", "d1", "d2", "h1"],
    "minutes": [
        [0, 40, 30, 90, 10],
        [40, 0, 60, 90, 50],
        [30, 60, 0, 90, 40],
        [90, 90, 90, 0, 90],
        [10, 50, 40, 90, 0],
    ],
}
LIMIT_SECONDS = 1.0
R2_WINDOWS = [{"start": 650, "end": 960}]
"""r2's window in the restock tests: r2 at 680 after the restock, r1 late if r2 goes first."""


@pytest.fixture
def van_data(scenario_data: dict[str, Any]) -> dict[str, Any]:
    """The minimal scenario on the matrix above, t1 without a break, r2 a must-serve repair."""
    scenario_data["travel"] = {"mode": "matrix", "matrix": {**MATRIX, "km": MATRIX["minutes"]}}
    scenario_data["technicians"][0]["break_minutes"] = 0
    scenario_data["requests"][1].update(deferrable=False, kind="repair")
    return scenario_data


def _solve(data: dict[str, Any]) -> Plan:
    """Route, validate and return the plan."""
    scenario = Scenario.model_validate(data)
    result = solve_routing(scenario, compile_routing(scenario), LIMIT_SECONDS)
    plan = result.to_plan()
    report = validate(scenario, plan)
    assert report.ok, report.violations
    assert result.report.objective == pytest.approx(plan.costs.horizon_total)
    return plan


def _stops(plan: Plan) -> list[tuple[str, float, float, float]]:
    """(request or 'restock@depot', arrival, start, end) of every stop, in order."""
    return [
        (s.request or f"restock@{s.depot}", s.arrival, s.start, s.end)
        for r in plan.routes
        for s in r.stops
    ]


def test_van_running_out_mid_route_forces_a_restock(van_data: dict[str, Any]) -> None:
    """One board in the van, r1 and r2 need one each: t1 restocks at d1 between them.

    From home h1: leave 490, r1 500-590, d1 at 620 (restock), s2 at 680, r2 680-740, home 790.
    r2 first is late for r1 (window 650-960 puts r1 at 750 > 740, gold credit); restocking
    before r1 costs 10 more km and 10 more minutes. Cost: labour 300 min = 300, travel
    (10 + 30 + 60 + 50) × 0.5 = 75. (With r2's window opening at 600, restocking first and
    serving r2 600-660, r1 700-790 would tie at 375.)
    """
    tech = van_data["technicians"][0]
    tech.update(van_stock={"board": 1}, home={"id": "h1", "lat": 50.0, "lon": 8.0})
    van_data["requests"][1].update(parts={"board": 1}, time_windows=R2_WINDOWS)
    plan = _solve(van_data)
    assert _stops(plan) == [
        ("r1", 500, 500, 590),
        ("restock@d1", 620, 620, 620),
        ("r2", 680, 680, 740),
    ]
    assert (plan.routes[0].start, plan.routes[0].end) == (490, 790)
    assert plan.costs.horizon_total == pytest.approx(375)


def test_validator_rejects_an_empty_van(van_data: dict[str, Any]) -> None:
    """The same route without its restock stop leaves the van one board short at r2."""
    tech = van_data["technicians"][0]
    tech.update(van_stock={"board": 1}, home={"id": "h1", "lat": 50.0, "lon": 8.0})
    van_data["requests"][1].update(parts={"board": 1}, time_windows=R2_WINDOWS)
    plan = _solve(van_data)
    route = plan.routes[0]
    route.stops = [s for s in route.stops if s.kind == "visit"]
    kinds = {v.kind for v in validate(Scenario.model_validate(van_data), plan).violations}
    assert "van_short" in kinds


def test_restock_needs_a_van_model(van_data: dict[str, Any]) -> None:
    """A technician without van_stock cannot restock: the validator says so."""
    scenario = Scenario.model_validate(van_data)
    plan = _solve(van_data)
    route = plan.routes[0]
    first = route.stops[0]
    route.stops.insert(
        0,
        Stop(kind="restock", depot="d1", arrival=first.arrival, start=first.arrival,
             end=first.arrival),
    )  # fmt: skip
    kinds = {v.kind for v in validate(scenario, plan).violations}
    assert "restock_invalid" in kinds


def test_missing_tool_makes_a_job_unservable(van_data: dict[str, Any]) -> None:
    """r1 needs a scope t1 lacks and t1 has no van to restock from: unserved, reason no_tool."""
    van_data["requests"][0]["tools"] = ["scope"]
    plan = _solve(van_data)
    assert [(u.request, u.reason) for u in plan.unserved] == [("r1", "no_tool")]


def test_missing_tool_is_fetched_by_a_van_technician(van_data: dict[str, Any]) -> None:
    """With a van model t1 restocks the scope at d1 (on the way out: d1 is the start) and serves
    r1."""
    van_data["requests"][0]["tools"] = ["scope"]
    van_data["technicians"][0]["van_stock"] = {"board": 1}
    plan = _solve(van_data)
    assert not plan.unserved
    kinds = [s.kind for s in plan.routes[0].stops]
    assert kinds.index("restock") < [s.request for s in plan.routes[0].stops].index("r1")


def test_waiting_removed_by_a_later_departure(van_data: dict[str, Any]) -> None:
    """r2 may start only from 700: leaving at 480 would wait 60 min at s2; leaving at 540 none.

    Earliest: leave 480, r1 510-600, s2 at 640, wait to 700, r2 700-760, home 820 (340 min).
    Later by min(waiting 60, r1's due slack 740 - 510) = 60: leave 540, r1 570-660, s2 at 700,
    r2 700-760, home 820: 280 paid minutes.
    """
    van_data["requests"][1]["time_windows"] = [{"start": 700, "end": 960}]
    scenario = Scenario.model_validate(van_data)
    data = compile_routing(scenario)
    timed = time_route(data, data.vehicles[0], list(data.jobs))
    assert timed is not None
    route = timed.route
    assert (route.start, route.end) == (540, 820)
    assert [(s.arrival, s.start, s.end) for s in route.stops] == [(570, 570, 660), (700, 700, 760)]
    assert timed.cost == pytest.approx(280)  # 280 min × 60 / h, no lateness


@settings(max_examples=40, deadline=None)
@given(
    opened=st.integers(min_value=480, max_value=700),
    window_start=st.integers(min_value=480, max_value=900),
    width=st.integers(min_value=0, max_value=200),
)
def test_later_departure_never_lengthens_a_route(
    opened: int, window_start: int, width: int
) -> None:
    """The chosen timing is never longer than leaving at the shift start (same order)."""
    scenario_data = copy.deepcopy(MINIMAL_SCENARIO)
    scenario_data["travel"] = {"mode": "matrix", "matrix": {**MATRIX, "km": MATRIX["minutes"]}}
    scenario_data["technicians"][0]["break_minutes"] = 0
    scenario_data["requests"][0]["opened_minute"] = opened
    scenario_data["requests"][1]["time_windows"] = [
        {"start": window_start, "end": window_start + width}
    ]
    scenario = Scenario.model_validate(scenario_data)
    data = compile_routing(scenario)
    vehicle = data.vehicles[0]
    timed = time_route(data, vehicle, list(data.jobs))
    if timed is None:
        return
    # leaving at the shift start: every service as early as possible, hand-simulated
    clock = vehicle.shift_start + 30  # d1 → s1
    clock = max(clock, opened) + 90 + 40  # r1, then s1 → s2
    clock = max(clock, window_start) + 60 + 60  # r2, then s2 → d1
    earliest = clock - vehicle.shift_start
    assert timed.route.end - timed.route.start <= earliest + 1e-9


def test_beyond_horizon_reason(van_data: dict[str, Any]) -> None:
    """r2 is due on day 2 of a 1-day horizon and can only start after t1's shift: it is carried
    over (reason beyond_horizon) at the deferral penalty 200, not the unserved penalty."""
    van_data["policy"] = {"horizon_days": 1}
    van_data["requests"][1].update(due_minute=2000, time_windows=[{"start": 1100, "end": 1400}])
    plan = _solve(van_data)
    assert [(u.request, u.reason) for u in plan.unserved] == [("r2", "beyond_horizon")]
    assert plan.costs.unserved_penalty == pytest.approx(200)


def test_old_unserved_reasons_still_load() -> None:
    """Plan files written before no_skill/no_time keep loading."""
    for reason in ("no_skilled_technician", "no_reachable_window", "no_capacity"):
        assert Unserved.model_validate({"request": "r1", "reason": reason}).reason == reason


def test_unserved_gold_costs_more_than_bronze(van_data: dict[str, Any]) -> None:
    """Unserved penalties follow the tier: gold r1 costs 5000 + its credit 500, bronze r2 5000."""
    van_data["technicians"][0]["skills"] = []
    plan = _solve(van_data)
    assert {u.request for u in plan.unserved} == {"r1", "r2"}
    assert plan.costs.unserved_penalty == pytest.approx(5000 + 500 + 5000)


def test_gantt_shows_restock_waiting_and_unserved(van_data: dict[str, Any]) -> None:
    """The restock plan's Gantt: one row for t1, the restock marker at 620 min (10.33 h), and
    r3, which needs a skill nobody holds, listed under its reason."""
    tech = van_data["technicians"][0]
    tech.update(van_stock={"board": 1}, home={"id": "h1", "lat": 50.0, "lon": 8.0})
    van_data["requests"][1].update(parts={"board": 1}, time_windows=R2_WINDOWS)
    van_data["requests"].append(
        {"id": "r3", "site": "s2", "product": "press", "opened_minute": 0,
         "duration_minutes": 60, "required_skills": ["welding"]}
    )  # fmt: skip
    van_data["skills"].append("welding")
    plan = _solve(van_data)
    figure = gantt_figure(Scenario.model_validate(van_data), plan)
    traces = {t.name: t for t in figure.data}
    assert set(traces["service"].y) == {"t1"}
    assert list(traces["restock"].x) == [pytest.approx(620 / 60)]
    assert "no_skill (1): r3" in figure.layout.annotations[0].text


@pytest.mark.parametrize("engine", ["ortools", "both"])
def test_every_engine_restocks_when_the_van_runs_out(van_data: dict[str, Any], engine: str) -> None:
    """OR-Tools does not model restocks; the exact timing inserts one where the van runs short.

    Alone it picks r2 first (blind to the detour): h1 → s2 r2 → d1 restock → s1 r1, which
    reaches gold r1 after its due time 740: 375-plan cost + one credit 500 = 875. The plan
    chosen is the cheapest candidate: the dispatcher's start completed by insertion, or PyVRP's
    (375, see the restock test), both with the restock."""
    tech = van_data["technicians"][0]
    tech.update(van_stock={"board": 1}, home={"id": "h1", "lat": 50.0, "lon": 8.0})
    van_data["requests"][1].update(parts={"board": 1}, time_windows=[{"start": 600, "end": 960}])
    scenario = Scenario.model_validate(van_data)
    result = solve_routing(scenario, compile_routing(scenario), LIMIT_SECONDS, engine=engine)  # type: ignore[arg-type]
    assert validate(scenario, result.to_plan()).ok
    assert not result.unserved
    assert "ortools 875.00" in result.report.message
    assert any(s.kind == "restock" for r in result.routes for s in r.stops)
    assert result.costs.horizon_total == pytest.approx(375)


def test_deterministic_runs_return_the_same_plan(van_data: dict[str, Any]) -> None:
    """Work limits instead of the clock: two runs give identical routes, whatever the load."""
    van_data["requests"][1]["time_windows"] = [{"start": 700, "end": 960}]
    scenario = Scenario.model_validate(van_data)
    data = compile_routing(scenario)
    first, second = (
        solve_routing(scenario, data, 60, deterministic=True).to_plan() for _ in range(2)
    )
    assert first.routes == second.routes
    assert validate(scenario, first).ok


def test_unknown_engine_is_rejected(van_data: dict[str, Any]) -> None:
    """A misspelt engine is a precise error, not a silent default."""
    scenario = Scenario.model_validate(van_data)
    with pytest.raises(ValueError, match="engine must be one of"):
        solve_routing(scenario, compile_routing(scenario), 1, engine="cplex")  # type: ignore[arg-type]


def test_deferrable_visit_gives_way_to_a_repair(van_data: dict[str, Any]) -> None:
    """t1 works 480-660: r1 (gold repair) or r2 (preventive, deferrable) fit, not both.

    r1 alone: leave 480, s1 at 510, r1 510-600, back 630; r2 alone: s2 540-600, back 660; both
    in either order end at 760. Leaving r1 costs 5000 + credit 500, deferring r2 costs 200, so
    r2 gives way: labour 150 min = 150, travel 60 km × 0.5 = 30, deferral 200 → 380.
    """
    van_data["technicians"][0]["shifts"] = [{"day": 0, "start_minute": 480, "end_minute": 660}]
    van_data["requests"][1].update(deferrable=True, kind="preventive")
    plan = _solve(van_data)
    assert [(u.request, u.reason) for u in plan.unserved] == [("r2", "deferred")]
    assert plan.costs.horizon_total == pytest.approx(380)


def test_candidate_orders_keep_their_restocks(van_data: dict[str, Any]) -> None:
    """A candidate's orders with an explicit restock (as PyVRP's trips give them) keep it
    through the allowed-vehicle filter: r1, restock at d1, r2, timed as in the restock test."""
    tech = van_data["technicians"][0]
    tech.update(van_stock={"board": 1}, home={"id": "h1", "lat": 50.0, "lon": 8.0})
    van_data["requests"][1].update(parts={"board": 1}, time_windows=R2_WINDOWS)
    scenario = Scenario.model_validate(van_data)
    data = compile_routing(scenario)
    jobs = {job.id: j for j, job in enumerate(data.jobs)}
    orders = [[jobs["r1"], RESTOCK_INDEX, jobs["r2"]]]
    candidate = _from_orders(scenario, data, "planted", orders, {}, allowed_vehicles(data))
    assert [s.request or f"restock@{s.depot}" for s in candidate.routes[0].stops] == [
        "r1",
        "restock@d1",
        "r2",
    ]
    assert candidate.cost == pytest.approx(375)
