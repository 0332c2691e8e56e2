"""The week's routes follow the plan's staffing: hires are routed, moved technicians start from
their new base, released ones do not work (``schema.crew``), and the validator knows it."""

from __future__ import annotations

from typing import Any

from contract_scenario import contract_scenario

from aftersales.optimizer.pipeline import solve
from aftersales.optimizer.schema import (
    Home,
    Plan,
    Request,
    Scenario,
    Shift,
    SolveOptions,
    TechnicianBase,
)
from aftersales.optimizer.schema.crew import planned_technicians
from aftersales.optimizer.validate import STAFFING_MISMATCH, validate


def _scenario() -> Scenario:
    """All work at D2 (0.6° east of D1, 43 km), one technician today, at D1 (``contract_scenario``).

    Three sites at D2, 40 failures/unit-year × 3 units × 1 h = 360 h a year against 400 h × 85 %
    per technician: the staffing needs two technicians at D2, so D1 closes, T1 (home near D1,
    Mon-Fri 08:00-17:00) moves to D2 and one technician is hired there. The week: two 2-h
    repairs at S1 and S2 opened Monday 08:00, due 90 min later. T1 can be on time for one; the
    other is on time only with the hire."""
    scenario = contract_scenario(40.0, [3, 3, 3], [0.6, 0.6, 0.6], 1, 0.5)
    t1 = scenario.technicians[0].model_copy(
        update={
            "home": Home(id="H1", lat=50.0, lon=9.9),
            "shifts": [Shift(day=d, start_minute=480, end_minute=1020) for d in range(5)],
        }
    )
    requests = [
        Request(id=f"R{n}", site=f"S{n}", product="P1", opened_minute=480, duration_minutes=120)
        for n in (1, 2)
    ]
    return scenario.model_copy(update={"technicians": [t1], "requests": requests})


OPTIONS = SolveOptions(layers=["network", "routing"], time_limit_seconds=20, mip_gap=1e-9)


def test_hire_serves_the_request_only_it_reaches_in_time() -> None:
    """The hire (shifts of T1, Mon-Fri 08:00-17:00) is routed and serves one of the two
    repairs on time; T1 works from D2, its new base (not from its home near D1); every request
    is served on time and the validator accepts the plan with the hire's routes and hours."""
    scenario = _scenario()
    plan = solve(scenario, OPTIONS)
    bases = {b.technician: b for b in plan.technician_bases}
    assert bases["T1"].action == "moved"
    assert bases["T1"].depot == "D2"
    hires = [b.technician for b in plan.technician_bases if b.action == "hired"]
    assert hires
    served_by = {s.request: r.technician for r in plan.routes for s in r.stops if s.request}
    assert set(served_by) == {"R1", "R2"}
    assert served_by["R1"] != served_by["R2"]
    assert {served_by["R1"], served_by["R2"]} <= {"T1", *hires}
    assert any(served_by[r] in hires for r in ("R1", "R2"))
    on_time = {s.request for r in plan.routes for s in r.stops if s.arrival <= 480 + 90 + 1e-6}
    assert on_time == {"R1", "R2"}
    t1 = next(r for r in plan.routes if r.technician == "T1")
    assert t1.depot == "D2"
    assert t1.stops[0].arrival == 480  # from D2, where the sites are: no travel
    report = validate(scenario, plan)
    assert report.violations == []
    assert plan.status in ("optimal", "feasible")
    hire = next(r for r in plan.routes if r.technician in hires)
    assert hire.start >= 480  # inside the hire's (T1's) shift
    assert hire.end <= 1020


def test_validator_rejects_routes_of_released_and_misplaced_technicians() -> None:
    """A route by a technician the plan releases, or from another depot than the plan bases
    the technician at, is a staffing mismatch; a hire's route outside its shifts is caught."""
    scenario = _scenario()
    plan = solve(scenario, OPTIONS)
    released = [
        b.model_copy(update={"action": "released", "depot": None, "one_off_cost": 4_000})
        if b.technician == "T1"
        else b
        for b in plan.technician_bases
    ]
    t1 = next(i for i, r in enumerate(plan.routes) if r.technician == "T1")
    found = {(v.kind, v.path) for v in validate(scenario, _with(plan, released)).violations}
    assert (STAFFING_MISMATCH, f"/routes/{t1}/technician") in found
    routes = [
        r.model_copy(update={"depot": "D1"}) if r.technician == "T1" else r for r in plan.routes
    ]
    found = {(v.kind, v.path) for v in validate(scenario, _with(plan, routes=routes)).violations}
    assert (STAFFING_MISMATCH, f"/routes/{t1}/depot") in found
    hire = next(i for i, r in enumerate(plan.routes) if r.technician.startswith("hire-"))
    late = plan.routes[hire].model_copy(update={"day": 5})  # Saturday: no shift
    routes = [late if i == hire else r for i, r in enumerate(plan.routes)]
    kinds = {v.kind for v in validate(scenario, _with(plan, routes=routes)).violations}
    assert "no_shift" in kinds


def _with(plan: Plan, bases: list[TechnicianBase] | None = None, routes: Any = None) -> Plan:
    update: dict[str, Any] = {}
    if bases is not None:
        update["technician_bases"] = bases
    if routes is not None:
        update["routes"] = routes
    return plan.model_copy(update=update)


def test_planned_crew_reads_every_action() -> None:
    """Kept stays, moved changes depot and drops its home, released is gone, a hire gets its
    pool's skill, its template's shifts and the hire's hourly cost (30,000 / 400 h = 75)."""
    scenario = _scenario()
    bases = [
        TechnicianBase(technician="T1", skill="mech", action="moved", from_depot="D1", depot="D2"),
        TechnicianBase(technician="hire-D2-mech-1", skill="mech", action="hired", depot="D2"),
    ]
    crew = {t.id: t for t in planned_technicians(scenario, bases)}
    assert crew["T1"].depot == "D2"
    assert crew["T1"].home is None
    hire = crew["hire-D2-mech-1"]
    assert (hire.depot, hire.skills, hire.hourly_cost) == ("D2", ["mech"], 75)
    assert hire.shifts == scenario.technicians[0].shifts
    gone = [bases[0].model_copy(update={"action": "released", "depot": None})]
    assert [t.id for t in planned_technicians(scenario, gone)] == []
    assert planned_technicians(scenario, []) == scenario.technicians
