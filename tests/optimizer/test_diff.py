"""Plan diffs on hand-built plans: each change kind counted exactly, visits by calendar day."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from conftest import tiny_plan

from aftersales.optimizer.diff import COUNT_KEYS, PlanDiff, diff_plans
from aftersales.optimizer.diff_view import diff_tables
from aftersales.optimizer.nightly.align import on_horizon
from aftersales.optimizer.schema import MINUTES_PER_DAY, Plan, Route, StaffingLevel, Unserved


def _base() -> Plan:
    """The tiny plan with a staffing section (two pools)."""
    return tiny_plan().model_copy(
        update={
            "staffing": [
                StaffingLevel(depot="D1", skill="mech", technicians=1),
                StaffingLevel(depot="D2", skill="elec", technicians=1),
            ]
        }
    )


def _route(plan: Plan, technician: str) -> tuple[int, Route]:
    return next((i, r) for i, r in enumerate(plan.routes) if r.technician == technician)


def _with_route(plan: Plan, index: int, route: Route) -> Plan:
    routes = list(plan.routes)
    routes[index] = route
    return plan.model_copy(update={"routes": routes})


def _retime_r4(plan: Plan, minutes: float) -> Plan:
    i, route = _route(plan, "T2")
    stop = route.stops[0]
    moved = stop.model_copy(update={"start": stop.start + minutes, "end": stop.end + minutes})
    return _with_route(plan, i, route.model_copy(update={"stops": [moved]}))


def _r4_to_t1(plan: Plan) -> Plan:
    _, route = _route(plan, "T2")
    routes = [r for r in plan.routes if r.technician != "T2"]
    routes.append(route.model_copy(update={"technician": "T1", "day": 1}))
    return plan.model_copy(update={"routes": routes})


def _close_d2_open_d3(plan: Plan) -> Plan:
    depots = [d.model_copy(update={"open": d.id != "D2"}) for d in plan.depots]
    return plan.model_copy(update={"depots": [*depots, depots[0].model_copy(update={"id": "D3"})]})


def _move_s3(plan: Plan) -> Plan:
    moved = [
        a.model_copy(update={"depot": "D2"}) if a.site == "S3" else a for a in plan.assignments
    ]
    return plan.model_copy(update={"assignments": moved})


def _hire(plan: Plan) -> Plan:
    pools = [*plan.staffing, StaffingLevel(depot="D1", skill="elec", technicians=2)]
    return plan.model_copy(update={"staffing": pools})


def _stock(plan: Plan) -> Plan:
    # D1 pooled B 2 → 5 (3 units) and S2's exclusive C 1 → 0 (1 unit)
    stock = [
        s.model_copy(update={"level": 5})
        if (s.part, s.pool) == ("B", "pooled")
        else s.model_copy(update={"level": 0})
        if s.pool == "S2"
        else s
        for s in plan.stock
    ]
    return plan.model_copy(update={"stock": stock})


def _unserve_r4_serve_r5(plan: Plan) -> Plan:
    routes = [r for r in plan.routes if r.technician != "T2"]
    unserved = [Unserved(request="R4", reason="no_time")]
    return plan.model_copy(update={"routes": routes, "unserved": unserved})


CASES: list[tuple[str, Callable[[Plan], Plan], dict[str, int]]] = [
    ("depots", _close_d2_open_d3, {"depots_opened": 1, "depots_closed": 1}),
    ("site", _move_s3, {"sites_moved": 1}),
    ("staffing", _hire, {"staffing_changes": 1}),
    ("stock", _stock, {"stock_changes": 2, "stock_units_changed": 4}),
    ("reassigned", _r4_to_t1, {"visits_reassigned": 1}),
    ("retimed", lambda p: _retime_r4(p, 31), {"visits_retimed": 1}),
    ("within tolerance", lambda p: _retime_r4(p, 29), {}),
    ("unserved", _unserve_r4_serve_r5, {"unserved_added": 1, "unserved_removed": 1}),
]


@pytest.mark.parametrize(
    ("change", "expected"), [(c[1], c[2]) for c in CASES], ids=[c[0] for c in CASES]
)
def test_each_change_kind_is_counted_exactly(
    change: Callable[[Plan], Plan], expected: dict[str, int]
) -> None:
    """One kind of change gives exactly its count and zero for every other kind."""
    old = _base()
    diff = diff_plans(old, change(old))
    assert diff.counts() == {key: expected.get(key, 0) for key in COUNT_KEYS}
    assert diff.not_compared == []


def test_identical_plans_differ_in_nothing() -> None:
    diff = diff_plans(_base(), _base())
    assert set(diff.counts().values()) == {0}
    assert all(d.delta == 0 for d in diff.costs.values())


def _next_day(route: Route) -> Route:
    """The same route a day later (every time + 1,440 minutes)."""
    later = on_horizon(Plan(status="feasible", horizon_start_day=1, routes=[route]), 0)
    return later.routes[0]


def test_visits_compare_by_calendar_day_across_a_rolled_horizon() -> None:
    """The same visits seen from a horizon one day later are no change; the same horizon
    index on another calendar day is a reassignment."""
    old = _base()
    i, t1 = _route(old, "T1")
    assert _next_day(t1).day == 1
    assert _next_day(t1).stops[0].start == t1.stops[0].start + MINUTES_PER_DAY
    two_days = _with_route(old, i, _next_day(t1))  # T1 works day 1, T2 day 0
    one_later = on_horizon(two_days, 1)  # seen from the horizon that starts on day 1
    assert one_later.horizon_start_day == 1
    assert [(r.technician, r.day) for r in one_later.routes] == [("T1", 0)]
    assert one_later.routes[0].stops == t1.stops
    same_visits = diff_plans(two_days, one_later)
    assert same_visits.counts()["visits_reassigned"] == 0
    assert same_visits.counts()["visits_retimed"] == 0
    # the old plan read as if it started a day later: every visit on another calendar day
    renumbered = old.model_copy(update={"horizon_start_day": 1})
    moved = diff_plans(old, renumbered)
    assert moved.counts()["visits_reassigned"] == 4
    assert {c.new.day - c.old.day for c in moved.visits_reassigned} == {1}
    assert {c.new.start - c.old.start for c in moved.visits_reassigned} == {MINUTES_PER_DAY}


def test_sections_decided_by_one_plan_only_are_not_compared() -> None:
    old = _base()
    new = old.model_copy(update={"stock": [], "depots": []})
    diff = diff_plans(old, new)
    assert diff.not_compared == ["depots", "stock"]
    assert diff.counts()["stock_changes"] == 0
    assert diff.counts()["depots_closed"] == 0


def test_kpi_and_cost_deltas_are_new_minus_old() -> None:
    old = _base()
    kpis = [k.model_copy(update={"forecast_attainment": 0.5}) for k in old.kpis]
    costs = old.costs.model_copy(update={"holding_per_year": old.costs.holding_per_year + 100})
    diff = diff_plans(old, old.model_copy(update={"kpis": kpis, "costs": costs}))
    gold = next(t for t in diff.tiers if t.tier == "gold")
    was = next(k for k in old.kpis if k.tier == "gold").forecast_attainment
    assert gold.metrics["forecast_attainment"].delta == pytest.approx(0.5 - (was or 0.0))
    assert diff.costs["first_year"].delta == pytest.approx(100)
    assert diff.costs["yearly"].delta == pytest.approx(100)
    assert diff.costs["horizon"].delta == 0
    assert set(diff.costs) == {"first_year", "yearly", "horizon", "holding_per_year"}


def test_diff_round_trips_as_json_and_renders_as_tables() -> None:
    diff = diff_plans(_base(), _move_s3(_base()))
    again = PlanDiff.model_validate_json(diff.model_dump_json())
    assert again.counts() == diff.counts()
    changes = diff_tables(diff)[0]
    row = next(r for r in changes.rows if r[0] == "sites_moved")
    assert row[1:] == ["1", "S3 (D1 → D2)"]
