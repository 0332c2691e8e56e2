"""Rolling the horizon on a hand-built case; weekdays follow horizon_start_day everywhere."""

from __future__ import annotations

from typing import Any

import pytest

from aftersales.optimizer.nightly.roll import roll_scenario
from aftersales.optimizer.pipeline import solve
from aftersales.optimizer.schema import (
    MINUTES_PER_DAY,
    Plan,
    Route,
    Scenario,
    ServiceCalendar,
    Shift,
    SolveOptions,
    Stop,
    Unserved,
)
from aftersales.optimizer.simulate.crew import weekly_pattern
from aftersales.optimizer.validate import validate

DAY = MINUTES_PER_DAY


def _three_days(tiny_scenario: Scenario) -> Scenario:
    """The tiny scenario over three days (Mon-Wed): T1 works every day, T2 Monday and
    Wednesday; R6 opens on Tuesday with a Tuesday window and is pinned to T1; no depot
    capacity."""
    data: dict[str, Any] = tiny_scenario.model_dump(by_alias=True)
    data["policy"]["horizon_days"] = 3
    for depot in data["depots"]:  # today's network over capacity is the validator tests' case
        depot["capacity_calls_per_year"] = None
    data["technicians"][0]["shifts"] = [
        {"day": d, "start_minute": 480, "end_minute": 780} for d in (0, 1, 2)
    ]
    data["technicians"][1]["shifts"] = [
        {"day": d, "start_minute": 480 + d, "end_minute": 960} for d in (0, 2)
    ]
    data["requests"].append(
        {
            "id": "R6",
            "site": "S1",
            "product": "P1",
            "opened_minute": DAY + 400,
            "duration_minutes": 30,
            "time_windows": [{"start": DAY + 540, "end": DAY + 720}],
            "due_minute": DAY + 800,
            "pinned_technician": "T1",
        }
    )
    return Scenario.model_validate(data)


def _ran(day0: list[str], day1: list[str], unserved: list[str]) -> Plan:
    """A plan that served ``day0`` on Monday and ``day1`` on Tuesday (T1)."""

    def route(day: int, requests: list[str]) -> Route:
        base = day * DAY + 480
        stops = [
            Stop(request=r, arrival=base + 60 * k, start=base + 60 * k, end=base + 60 * k + 30)
            for k, r in enumerate(requests)
        ]
        return Route(
            technician="T1", day=day, start=base, end=base + 60 * len(requests), stops=stops
        )

    return Plan(
        status="feasible",
        routes=[route(0, day0), route(1, day1)],
        unserved=[Unserved(request=r, reason="no_time") for r in unserved],
    )


def test_roll_drops_served_work_and_carries_the_rest_with_its_due_times(
    tiny_scenario: Scenario,
) -> None:
    scenario = _three_days(tiny_scenario)
    plan = _ran(["R1", "R2"], ["R6"], ["R3", "R4", "R5"])
    rolled = roll_scenario(scenario, plan, 1)
    assert rolled.horizon_start_day == 1
    assert rolled.policy.horizon_days == 3
    # R1, R2 were served on the day that rolled out; R6 (Tuesday) is still to do
    assert [r.id for r in rolled.requests] == ["R3", "R4", "R5", "R6"]
    by_id = {r.id: r for r in rolled.requests}
    before = {r.id: r for r in scenario.requests}
    for rid in ("R3", "R4", "R5", "R6"):
        assert by_id[rid].opened_minute == before[rid].opened_minute - DAY
        assert [(w.start, w.end) for w in by_id[rid].time_windows] == [
            (w.start - DAY, w.end - DAY) for w in before[rid].time_windows
        ]
    assert by_id["R4"].due_minute == 490 - DAY  # already late: keeps its lateness
    assert by_id["R3"].due_minute is None  # default (opened + response) moves with opened
    assert by_id["R6"].due_minute == 800
    assert by_id["R6"].pinned_technician == "T1"  # pins kept
    # Monday's shifts rolled out; Tuesday, Wednesday become days 0, 1; the new day 2 is a
    # Thursday, which the old Monday-Wednesday horizon never had: no shift
    shifts = {t.id: [(s.day, s.start_minute) for s in t.shifts] for t in rolled.technicians}
    assert shifts == {"T1": [(0, 480), (1, 480)], "T2": [(1, 482)]}


def test_roll_repeats_the_weekly_shift_pattern_for_days_entering_the_horizon(
    tiny_scenario: Scenario,
) -> None:
    """A Monday-Sunday horizon where T2 works Monday to Friday, rolled by three days: the days
    entering (Monday to Wednesday of next week) copy last week's shifts of those weekdays."""
    data: dict[str, Any] = tiny_scenario.model_dump(by_alias=True)
    data["policy"]["horizon_days"] = 7
    data["technicians"][1]["shifts"] = [
        {"day": d, "start_minute": 480 + d, "end_minute": 960} for d in range(5)
    ]
    scenario = Scenario.model_validate(data)
    plan = Plan(status="feasible")
    weekly = roll_scenario(scenario, plan, 3)
    t2 = [(s.day, s.start_minute) for s in weekly.technicians[1].shifts]
    assert t2 == [(0, 483), (1, 484), (4, 480), (5, 481), (6, 482)]
    plain = roll_scenario(scenario, plan, 3, repeat_weekly=False)
    assert [(s.day, s.start_minute) for s in plain.technicians[1].shifts] == [(0, 483), (1, 484)]


def test_roll_refuses_a_plan_of_another_horizon(tiny_scenario: Scenario) -> None:
    with pytest.raises(ValueError, match="calendar day 1"):
        roll_scenario(tiny_scenario, Plan(status="feasible", horizon_start_day=1), 1)
    with pytest.raises(ValueError, match="at least 1"):
        roll_scenario(tiny_scenario, Plan(status="feasible"), 0)


def test_rolled_scenario_solves_warm_and_validates(tiny_scenario: Scenario) -> None:
    """The next night: the rolled scenario (R3, R4, R5 carried over from before the new
    horizon, R4 already late, R3's window past) solved warm from the plan that ran. The plan
    carries the new horizon start, serves the carried-over work from minute 0 on and passes
    the validator."""
    scenario = _three_days(tiny_scenario)
    ran = _ran(["R1", "R2"], ["R6"], ["R3", "R4", "R5"])
    rolled = roll_scenario(scenario, ran, 1)
    options = SolveOptions(layers=["routing"], time_limit_seconds=4, deterministic=True)
    plan = solve(rolled, options, previous=ran)
    report = validate(rolled, plan)
    assert report.ok, report.violations
    assert plan.horizon_start_day == 1
    served = {s.request: s for r in plan.routes for s in r.visits}
    assert {"R4", "R5", "R6"} <= served.keys()  # R4 opened at minute 300 − 1440 = −1140
    # R3's only window closed yesterday: unserved until its appointment is booked again
    assert [(u.request, u.reason) for u in plan.unserved] == [("R3", "no_time")]
    assert all(s.start >= 0 for s in served.values())
    assert served["R4"].arrival > rolled.requests[1].due_minute  # late, as it already was


def test_weekdays_follow_the_horizon_start() -> None:
    """Horizon day 0 of a horizon starting on calendar day 2 is a Wednesday; day 5 of one
    starting on day 0 is a Saturday."""
    shift = Shift(day=0, start_minute=480, end_minute=1020)
    assert weekly_pattern([shift], start_day=2) == ((2 * DAY + 480.0, 2 * DAY + 1020.0),)
    assert weekly_pattern([shift]) == ((480.0, 1020.0),)
    office = ServiceCalendar()  # Monday-Friday 08:00-18:00
    assert office.is_open(600)
    assert not office.is_open(600, horizon_start_day=5)  # a Saturday
    assert office.is_open(2 * DAY + 600, horizon_start_day=5)  # the Monday after
