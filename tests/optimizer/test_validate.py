"""Tests of aftersales.optimizer.validate: a hand-checked plan passes, each defect is reported
where it is."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from scipy.stats import poisson

from aftersales.optimizer.schema import (
    Assignment,
    CostBreakdown,
    DepotDecision,
    InventorySettings,
    LoanerPool,
    Plan,
    Route,
    Scenario,
    StockLevel,
    Stop,
    TechnicianBase,
    Unserved,
)
from aftersales.optimizer.validate import (
    ALL_KINDS,
    ARRIVAL_AFTER_START,
    ASSIGNMENT_MISMATCH,
    ATTAINMENT_TARGET_MISSED,
    BEFORE_OPENED,
    BREAK_INVALID,
    CLOSED_DEPOT,
    COST_MISMATCH,
    DEPOT_COUNT,
    DOUBLE_VISIT,
    DUPLICATE_ENTRY,
    DUPLICATE_ROUTE,
    HARD_TIER_BREACH,
    HORIZON_MISMATCH,
    KPI_MISMATCH,
    LOANER_MISMATCH,
    LOANER_TARGET_MISSED,
    MISSING_BREAK,
    MISSING_SKILL,
    NEGATIVE_STOCK,
    NO_SHIFT,
    OVER_CAPACITY,
    PARTS_NOT_AVAILABLE,
    PINNED_ELSEWHERE,
    REQUEST_MISSING,
    ROUTE_TOTALS,
    SERVED_AND_UNSERVED,
    SERVICE_DURATION,
    SHIFT_END,
    SHIFT_START,
    SITE_UNASSIGNED,
    STAFFING_MISMATCH,
    STAFFING_OVER_HOURS,
    STOCK_MISMATCH,
    STOCK_TARGET_MISSED,
    TIME_WINDOW,
    TRAVEL_TIME,
    UNKNOWN_REFERENCE,
    ValidationReport,
    fill_and_backorders,
    validate,
)

Mutator = Callable[[Scenario, Plan], Any]


def edit(obj: Any, **fields: Any) -> None:
    """Set attributes of a model in place (the schema does not validate assignment)."""
    for name, value in fields.items():
        setattr(obj, name, value)


def found(report: ValidationReport) -> set[tuple[str, str]]:
    """(kind, path) of every violation."""
    return {(v.kind, v.path) for v in report.violations}


def test_good_plan_has_no_violations(tiny_scenario: Scenario, good_plan: Plan) -> None:
    """The hand-built plan of the tiny scenario breaks no rule."""
    report = validate(tiny_scenario, good_plan)
    assert report.violations == []
    assert report.ok


def test_recomputed_costs_equal_hand_values(tiny_scenario: Scenario, good_plan: Plan) -> None:
    """Every recomputed cost component equals the hand-computed one in conftest."""
    costs = validate(tiny_scenario, good_plan).costs
    for name in CostBreakdown.model_fields:
        assert getattr(costs, name) == pytest.approx(getattr(good_plan.costs, name), rel=1e-9)
    assert costs.annual_total == pytest.approx(
        1600 + 500 + 40 + 180 + 120 + 140 + 299.790281391 + 93.560306379 + 2000
    )
    assert costs.horizon_total == pytest.approx(45 + 470 + 67.5 + 50 + 200)


def test_recomputed_kpis_equal_hand_values(tiny_scenario: Scenario, good_plan: Plan) -> None:
    """Tier KPIs equal the hand-computed ones, in scenario tier order."""
    kpis = validate(tiny_scenario, good_plan).kpis
    assert [k.tier for k in kpis] == ["gold", "silver"]
    for got, want in zip(kpis, good_plan.kpis, strict=True):
        assert got.unreachable_sites == want.unreachable_sites
        lists = {"unreachable_sites"}
        assert got.model_dump(exclude=lists) == pytest.approx(want.model_dump(exclude=lists))


def test_report_serialises_with_ok_flag(tiny_scenario: Scenario, good_plan: Plan) -> None:
    """The report dumps to JSON with its computed ``ok`` field and loads back."""
    good_plan.costs.route_travel += 1
    report = validate(tiny_scenario, good_plan)
    dumped = report.model_dump(mode="json")
    assert dumped["ok"] is False
    assert dumped["violations"][0]["kind"] == COST_MISMATCH
    assert ValidationReport.model_validate(dumped) == report


def case(mutate: Mutator, kind: str, path: str, id: str, *, alone: bool = True) -> Any:
    """A defect case; ``alone``: the defect must be the only violation (no follow-on figures)."""
    return pytest.param(mutate, kind, path, alone, id=id)


def _skew_stock(name: str) -> Mutator:
    """Report 90 % of a stock entry's figure."""
    return lambda s, p: edit(p.stock[1], **{name: getattr(p.stock[1], name) * 0.9})


def _add_loaners(scenario: Scenario, plan: Plan, **fields: Any) -> None:
    """Make P2 loanable and give D1 a correct pool of 0 loaners, then apply ``fields``.

    D1 serves S2 (4 × P2) and S3 (2 × P2): 6 loans/year; default loaner days 14 → a = 84/365.
    B(0, a) = 1; default loaner cost 0.
    """
    edit(scenario.products[1], loanable=True)
    entry = LoanerPool(
        depot="D1",
        product="P2",
        loans_per_year=6,
        offered_load_erlangs=6 * 14 / 365,
        units=0,
        no_loaner_probability=1,
    )
    plan.loaners.append(entry.model_copy(update=fields))


def _loaner_target(scenario: Scenario, plan: Plan) -> None:
    """The pool of ``_add_loaners`` under a loaner target of 0.5 (D2's pool is missing)."""
    _add_loaners(scenario, plan)
    edit(scenario.inventory, loaner_unavailability_target=0.5)


def _bump_cost(name: str) -> Mutator:
    """Report one currency unit more for a cost component."""
    return lambda s, p: edit(p.costs, **{name: getattr(p.costs, name) + 1})


CASES = [
    # --- references and repeats ---------------------------------------------------------------
    case(
        lambda s, p: edit(p.assignments[0], depot="DX"),
        UNKNOWN_REFERENCE,
        "/assignments/0/depot",
        id="unknown-assignment-depot",
        alone=False,
    ),
    case(
        lambda s, p: edit(p.assignments[0], site="SX"),
        UNKNOWN_REFERENCE,
        "/assignments/0/site",
        id="unknown-assignment-site",
        alone=False,
    ),
    case(
        lambda s, p: edit(p.depots[1], id="DX"),
        UNKNOWN_REFERENCE,
        "/depots/1/id",
        id="unknown-depot",
        alone=False,
    ),
    case(
        lambda s, p: edit(p.stock[0], part="PX"),
        UNKNOWN_REFERENCE,
        "/stock/0/part",
        id="unknown-part",
        alone=False,
    ),
    case(
        lambda s, p: edit(p.stock[0], pool="S1"),
        UNKNOWN_REFERENCE,
        "/stock/0/pool",
        id="pool-of-non-exclusive-site",
        alone=False,
    ),
    case(
        lambda s, p: edit(p.routes[0], technician="TX"),
        UNKNOWN_REFERENCE,
        "/routes/0/technician",
        id="unknown-technician",
        alone=False,
    ),
    case(
        lambda s, p: edit(p.routes[1].stops[0], request="RX"),
        UNKNOWN_REFERENCE,
        "/routes/1/stops/0/request",
        id="unknown-stop-request",
        alone=False,
    ),
    case(
        lambda s, p: edit(p.unserved[0], request="RX"),
        UNKNOWN_REFERENCE,
        "/unserved/0/request",
        id="unknown-unserved-request",
        alone=False,
    ),
    case(
        lambda s, p: edit(p.kpis[0], tier="platinum"),
        UNKNOWN_REFERENCE,
        "/kpis/0/tier",
        id="unknown-kpi-tier",
        alone=False,
    ),
    case(
        lambda s, p: p.assignments.append(p.assignments[0].model_copy()),
        DUPLICATE_ENTRY,
        "/assignments/4/site",
        id="duplicate-assignment",
    ),
    case(
        lambda s, p: p.depots.append(DepotDecision(id="D1", open=False)),
        DUPLICATE_ENTRY,
        "/depots/2/id",
        id="duplicate-depot-decision",
    ),
    case(
        lambda s, p: p.stock.append(p.stock[3].model_copy()),
        DUPLICATE_ENTRY,
        "/stock/4",
        id="duplicate-stock",
    ),
    case(
        lambda s, p: p.unserved.append(p.unserved[0].model_copy()),
        DUPLICATE_ENTRY,
        "/unserved/1/request",
        id="duplicate-unserved",
    ),
    # --- network ------------------------------------------------------------------------------
    case(
        lambda s, p: p.assignments.pop(3),
        SITE_UNASSIGNED,
        "/assignments",
        id="site-unassigned",
        alone=False,
    ),
    case(
        lambda s, p: edit(p.depots[1], open=False),
        CLOSED_DEPOT,
        "/assignments/3/depot",
        id="assigned-to-closed-depot",
        alone=False,
    ),
    case(
        lambda s, p: edit(p.depots[1], open=False),
        CLOSED_DEPOT,
        "/routes/1/technician",
        id="route-from-closed-depot",
        alone=False,
    ),
    case(
        # D2 would serve S4 (2 visits/year) + S3 (3) > capacity 3.
        lambda s, p: edit(p.assignments[2], depot="D2", travel_minutes=40),
        OVER_CAPACITY,
        "/depots/1",
        id="over-capacity",
        alone=False,
    ),
    case(
        # Gold S1 from D2: 30 + 50 > 70.
        lambda s, p: edit(p.assignments[0], depot="D2", travel_minutes=50, within_promise=False),
        HARD_TIER_BREACH,
        "/assignments/0/depot",
        id="hard-tier-breach",
        alone=False,
    ),
    case(
        lambda s, p: edit(p.assignments[0], travel_minutes=31),
        ASSIGNMENT_MISMATCH,
        "/assignments/0/travel_minutes",
        id="assignment-travel-minutes",
    ),
    case(
        lambda s, p: edit(p.assignments[2], within_promise=True),
        ASSIGNMENT_MISMATCH,
        "/assignments/2/within_promise",
        id="assignment-within-promise",
    ),
    case(lambda s, p: edit(s.policy, max_open_depots=1), DEPOT_COUNT, "/depots", id="depot-count"),
    # --- stock --------------------------------------------------------------------------------
    case(
        lambda s, p: edit(p.stock[0], level=-1),
        NEGATIVE_STOCK,
        "/stock/0/level",
        id="negative",
        alone=False,
    ),
    *(
        case(
            _skew_stock(name),
            STOCK_MISMATCH,
            f"/stock/1/{name}",
            id=f"stock-{name}",
        )
        for name in (
            "demand_per_year",
            "fill_probability",
            "expected_backorders",
            "holding_cost_per_year",
        )
    ),
    # S2's exclusive C: e^-0.2 = 0.819 < gold 0.95; D2 stocks no C for S4: 0 < silver 0.9.
    case(
        lambda s, p: edit(s, inventory=InventorySettings()),
        STOCK_TARGET_MISSED,
        "/stock",
        id="stock-target",
        alone=False,
    ),
    # --- loaners ------------------------------------------------------------------------------
    case(
        lambda s, p: _add_loaners(s, p, loans_per_year=5),
        LOANER_MISMATCH,
        "/loaners/0/loans_per_year",
        id="loaner-figure",
    ),
    # B(0, a) = 1 > 0.5 at D1; D2 (S4: 2 × P2, 2 loans/year) has no pool.
    case(_loaner_target, LOANER_TARGET_MISSED, "/loaners/0/units", id="loaner-target", alone=False),
    case(_loaner_target, LOANER_TARGET_MISSED, "/loaners", id="loaner-missing", alone=False),
    # --- routes -------------------------------------------------------------------------------
    case(lambda s, p: edit(p.routes[1], day=1), NO_SHIFT, "/routes/1/day", id="no-shift"),
    case(
        lambda s, p: p.routes.append(Route(technician="T2", day=0, start=600, end=600)),
        DUPLICATE_ROUTE,
        "/routes/2",
        id="duplicate-route",
    ),
    case(
        lambda s, p: edit(p.routes[1], start=470),
        SHIFT_START,
        "/routes/1/start",
        id="shift-start",
        alone=False,
    ),
    case(
        # Shift end 780 + 60 min overtime = 840.
        lambda s, p: edit(p.routes[0], end=850),
        SHIFT_END,
        "/routes/0/end",
        id="shift-end",
        alone=False,
    ),
    case(
        # Leaves S1 at 600, S1 → S2 takes 20.
        lambda s, p: edit(p.routes[0].stops[1], arrival=610),
        TRAVEL_TIME,
        "/routes/0/stops/1/arrival",
        id="travel-gap",
    ),
    case(
        # Leaves S2 at 670, needs 30 travel + the 30 min break taken on the way before 720.
        lambda s, p: edit(p.routes[0].stops[1], start=640, end=670),
        TRAVEL_TIME,
        "/routes/0/stops/2/arrival",
        id="travel-gap-with-break",
    ),
    case(
        # Leaves S3 at 765, S3 → D1 takes 60.
        lambda s, p: edit(p.routes[0], end=820),
        TRAVEL_TIME,
        "/routes/0/end",
        id="travel-gap-back-to-depot",
        alone=False,
    ),
    case(
        lambda s, p: edit(p.routes[0].stops[0], arrival=545),
        ARRIVAL_AFTER_START,
        "/routes/0/stops/0/arrival",
        id="arrival-after-start",
    ),
    case(
        lambda s, p: edit(p.routes[0].stops[0], end=590),
        SERVICE_DURATION,
        "/routes/0/stops/0/end",
        id="service-duration",
    ),
    case(
        # R2 opens at 630.
        lambda s, p: edit(p.routes[0].stops[1], start=625, end=655),
        BEFORE_OPENED,
        "/routes/0/stops/1/start",
        id="before-opened",
    ),
    case(
        # R1's window is [540, 600].
        lambda s, p: edit(p.routes[0].stops[0], start=530, end=590),
        TIME_WINDOW,
        "/routes/0/stops/0/start",
        id="time-window",
    ),
    case(
        lambda s, p: edit(s.technicians[0], skills=["elec"]),
        MISSING_SKILL,
        "/routes/0/stops/0/request",
        id="missing-skill",
        alone=False,  # T1 now counts in the elec pool: the technician shares change too
    ),
    case(
        lambda s, p: edit(s.requests[1], pinned_technician="T2"),
        PINNED_ELSEWHERE,
        "/routes/0/stops/1/request",
        id="pinned-elsewhere",
    ),
    case(
        # D2 stocks no C: R4 (opened 300) cannot start before 300 + 240.
        lambda s, p: edit(p.routes[1].stops[0], start=520, end=550),
        PARTS_NOT_AVAILABLE,
        "/routes/1/stops/0/start",
        id="parts-not-available",
    ),
    case(
        lambda s, p: edit(p.routes[0], break_=None),
        MISSING_BREAK,
        "/routes/0/break",
        id="missing-break",
    ),
    case(
        lambda s, p: edit(p.routes[0].break_, start=700),
        BREAK_INVALID,
        "/routes/0/break",
        id="break-too-short",
    ),
    case(
        lambda s, p: edit(p.routes[0].break_, start=660, end=690),
        BREAK_INVALID,
        "/routes/0/break",
        id="break-outside-window",
    ),
    case(
        lambda s, p: edit(p.routes[0].break_, start=740, end=770),
        BREAK_INVALID,
        "/routes/0/break",
        id="break-during-service",
    ),
    case(
        lambda s, p: edit(
            p.routes[1],
            stops=[*p.routes[1].stops, Stop(request="R4", arrival=570, start=570, end=600)],
            end=620,
        ),
        DOUBLE_VISIT,
        "/routes/1/stops/1/request",
        id="double-visit",
        alone=False,
    ),
    case(lambda s, p: p.unserved.clear(), REQUEST_MISSING, "/unserved", id="missing", alone=False),
    case(
        lambda s, p: p.unserved.append(Unserved(request="R4", reason="deferred")),
        SERVED_AND_UNSERVED,
        "/unserved/1/request",
        id="served-and-unserved",
        alone=False,
    ),
    case(
        lambda s, p: edit(p.routes[0], travel_km=71),
        ROUTE_TOTALS,
        "/routes/0/travel_km",
        id="route-km",
    ),
    case(
        lambda s, p: edit(p.routes[1], travel_minutes=41),
        ROUTE_TOTALS,
        "/routes/1/travel_minutes",
        id="route-minutes",
    ),
    # --- reported totals ----------------------------------------------------------------------
    *(
        case(
            _bump_cost(name),
            COST_MISMATCH,
            f"/costs/{name}",
            id=f"cost-{name}",
        )
        for name in CostBreakdown.model_fields
    ),
    case(
        lambda s, p: edit(p.kpis[1], requests_on_time=2),
        KPI_MISMATCH,
        "/kpis/1/requests_on_time",
        id="kpi",
    ),
    # --- contract: attainment and staffing ----------------------------------------------------
    case(
        lambda s, p: edit(s.policy, attainment="binding"),  # gold forecast ≈ 0.19 < 0.95
        ATTAINMENT_TARGET_MISSED,
        "/kpis/0/forecast_attainment",
        id="attainment-binding",
        alone=False,  # silver misses too; no fee at risk in binding mode
    ),
    case(
        lambda s, p: _keep_technicians(p, one_off_cost=1),
        STAFFING_MISMATCH,
        "/technician_bases/0",
        id="staffing-base-cost",
        alone=False,
    ),
    case(
        lambda s, p: (_keep_technicians(p), edit(s.costs, technician_hours_per_year=1)),
        STAFFING_OVER_HOURS,
        "/staffing",
        id="staffing-over-hours",
        alone=False,
    ),
    # --- horizon ------------------------------------------------------------------------------
    case(
        lambda s, p: edit(p, horizon_start_day=1),  # last night's plan against tonight's file
        HORIZON_MISMATCH,
        "/horizon_start_day",
        id="horizon",
    ),
]


def _keep_technicians(plan: Plan, one_off_cost: float = 0) -> None:
    """Decide staffing: T1 (pool mech) and T2 (elec) kept at home, 1,720 h × hourly cost."""
    plan.technician_bases = [
        TechnicianBase(
            technician="T1",
            skill="mech",
            action="kept",
            from_depot="D1",
            depot="D1",
            one_off_cost=one_off_cost,
            labour_per_year=72 * 1720,
        ),
        TechnicianBase(
            technician="T2",
            skill="elec",
            action="kept",
            from_depot="D2",
            depot="D2",
            labour_per_year=60 * 1720,
        ),
    ]


@pytest.mark.parametrize(("mutate", "kind", "path", "alone"), CASES)
def test_defect_is_reported_at_its_path(
    tiny_scenario: Scenario, good_plan: Plan, mutate: Mutator, kind: str, path: str, alone: bool
) -> None:
    """One defect in the good plan (or its scenario) is reported with its kind and path."""
    scenario, plan = tiny_scenario.model_copy(deep=True), good_plan.model_copy(deep=True)
    mutate(scenario, plan)
    report = validate(scenario, plan)
    assert (kind, path) in found(report), report.violations
    if alone:
        assert found(report) == {(kind, path)}


def test_every_kind_has_a_case() -> None:
    """The parametrized defects exercise every violation kind."""
    assert {case.values[1] for case in CASES} == set(ALL_KINDS)


def test_required_skills_override_product_skill(tiny_scenario: Scenario, good_plan: Plan) -> None:
    """R3's product needs 'mech' but its required_skills ['elec'] win: only R1 lacks a skill."""
    tiny_scenario.technicians[0].skills = ["elec"]
    report = validate(tiny_scenario, good_plan)
    assert [v.path for v in report.of_kind(MISSING_SKILL)] == ["/routes/0/stops/0/request"]


def test_break_not_needed_for_a_route_ending_early(
    tiny_scenario: Scenario, good_plan: Plan
) -> None:
    """A route ending by window end − break length (840 − 30) needs no break."""
    route = good_plan.routes[0]
    route.stops.pop()
    route.break_ = None
    route.end, route.travel_km, route.travel_minutes = 680, 35, 70  # S2 → D1: 20 min, 10 km
    report = validate(tiny_scenario, good_plan)
    assert not report.of_kind(MISSING_BREAK)
    assert not report.of_kind(TRAVEL_TIME)
    assert not report.of_kind(ROUTE_TOTALS)


def test_bad_references_never_raise(tiny_scenario: Scenario) -> None:
    """A plan naming nothing that exists yields violations, not exceptions."""
    plan = Plan(
        status="feasible",
        depots=[DepotDecision(id="DX", open=True)],
        assignments=[Assignment(site="SX", depot="DX", travel_minutes=0, within_promise=True)],
        routes=[
            Route(
                technician="TX",
                day=9,
                start=0,
                end=-5,
                stops=[Stop(request="RX", arrival=0, start=0, end=0)],
            ),
            Route(technician="T1", day=0, start=500, end=400),
        ],
        unserved=[Unserved(request="RY", reason="not_solved")],
    )
    report = validate(tiny_scenario, plan)
    assert len(report.of_kind(UNKNOWN_REFERENCE)) == 6
    assert len(report.of_kind(SITE_UNASSIGNED)) == 4
    assert (TRAVEL_TIME, "/routes/1/end") in found(report)  # ends before it starts


def test_empty_plan_uses_todays_depots_for_coverage(tiny_scenario: Scenario) -> None:
    """With no section decided the plan is valid; coverage KPIs come from today's depots."""
    report = validate(tiny_scenario, Plan(status="skipped"))
    assert report.ok
    assert report.costs == CostBreakdown()
    gold, silver = report.kpis
    assert (gold.sites_within_promise, gold.coverage_share) == (2, 1.0)
    assert (silver.sites_within_promise, silver.coverage_share) == (0, 0.0)  # S4 from D1: 120
    assert gold.parts_on_hand_probability is None
    assert (silver.requests, silver.requests_served) == (3, 0)


def test_costs_of_undecided_sections_must_be_zero(tiny_scenario: Scenario) -> None:
    """Network costs reported without assignments are a cost mismatch (recomputed 0)."""
    plan = Plan(status="feasible", costs=CostBreakdown(network_travel_per_year=10))
    report = validate(tiny_scenario, plan)
    assert found(report) == {(COST_MISMATCH, "/costs/network_travel_per_year")}


def test_stock_without_assignments_pools_by_todays_depot(
    tiny_scenario: Scenario, good_plan: Plan
) -> None:
    """Without assignments, stock pools follow each site's today's depot (all D1 here)."""
    plan = Plan(status="feasible", stock=good_plan.stock[:2])  # A and B: same sites at D1
    plan.costs.holding_per_year = 120
    report = validate(tiny_scenario, plan)
    assert not report.of_kind(STOCK_MISMATCH)
    # C: D1 pooled gets S3 + S4 (λ 2, level 0), S2's exclusive pool λ 2, level 0.
    expected = 0.75 * (1 - math.exp(-0.075)) * 50 + 1.5 * (1 - 1.3 * math.exp(-0.3)) * 100
    assert report.costs.emergency_per_year == pytest.approx(expected + (2 + 2) * 200)
    # Stock-out credits from today's D1: S1 (gold, 30 + 30 ≤ 70) A and B at credit 100; S2 (gold,
    # 30 + 20 ≤ 70) its own C pool, level 0: 2 × 100; S3 (30 + 60 > 60) and S4 (30 + 90 > 60)
    # are outside their silver promise.
    s1 = 0.5 * (1 - math.exp(-0.075)) * 100 + 1.0 * (1 - 1.3 * math.exp(-0.3)) * 100
    assert report.costs.stockout_credits_per_year == pytest.approx(s1 + 2.0 * 100)
    assert report.costs.stockout_credits_per_year == pytest.approx(207.306456995)


def _credit_scenario(gold_response: float, slow_response: float) -> Scenario:
    """Three customer-exclusive sites of depot d, each 1 × p: 1.5 failures/year, part a 0.75/year.

    s_in (gold) is 60 min from d, s_far (gold) 220 min, s_slow (tier slow) 60 min; dispatch 30,
    default emergency delay 720 min. Both tiers: credit 100 per breach, cap 1 per year.
    """
    tier = {"attainment_target": 0.9, "credit_per_breach": 100, "credit_cap_per_year": 1}
    minutes = [[0, 60, 220, 60], [60, 0, 0, 0], [220, 0, 0, 0], [60, 0, 0, 0]]
    return Scenario.model_validate(
        {
            "skills": ["mech"],
            "tiers": [
                {"id": "gold", "response_minutes": gold_response, **tier},
                {"id": "slow", "response_minutes": slow_response, **tier},
            ],
            "products": [
                {
                    "id": "p",
                    "failure_rate_per_unit_year": 1.5,
                    "repair_minutes": 60,
                    "skill": "mech",
                    "parts": [{"part": "a", "probability": 0.5}],
                }
            ],
            "parts": [{"id": "a", "unit_cost": 100, "lead_time_days": 36.5}],
            "sites": [
                {
                    "id": site,
                    "lat": 0,
                    "lon": 0,
                    "tier": tier_id,
                    "installed_base": {"p": 1},
                    "customer_exclusive": True,
                }
                for site, tier_id in (("s_in", "gold"), ("s_far", "gold"), ("s_slow", "slow"))
            ],
            "depots": [{"id": "d", "lat": 0, "lon": 0, "fixed_cost_per_year": 0}],
            "travel": {
                "mode": "matrix",
                "matrix": {
                    "locations": ["d", "s_in", "s_far", "s_slow"],
                    "minutes": minutes,
                    "km": minutes,
                },
            },
            "inventory": {"check_fill_targets": False},
        }
    )


def _credit_plan(scenario: Scenario, *, stock: bool = True) -> Plan:
    """Every site at d with one unit of a in its own pool (or no stock section)."""
    dispatch = scenario.costs.dispatch_minutes
    travel = {"s_in": 60, "s_far": 220, "s_slow": 60}
    return Plan(
        status="feasible",
        assignments=[
            Assignment(
                site=site.id,
                depot="d",
                travel_minutes=travel[site.id],
                within_promise=dispatch + travel[site.id]
                <= next(t for t in scenario.tiers if t.id == site.tier).response_minutes,
            )
            for site in scenario.sites
        ],
        stock=[StockLevel(depot="d", part="a", level=1, pool=s.id) for s in scenario.sites]
        if stock
        else [],
    )


# One late call of a site costs 0.75 parts/year × P(part out) × credit 100, where the pool of S = 1
# with lead-time demand μ = 0.75 × 36.5 / 365 = 0.075 has fill P(D ≤ 0) = e^-0.075 = 0.927743:
# 0.75 × 0.072257 × 100 = 5.419239 per year, above the cap of 1 (stock-out credits are uncapped).
ONE_SITE_STOCKOUT_CREDITS = 0.75 * (1 - math.exp(-0.075)) * 100


@pytest.mark.parametrize(
    ("gold_response", "slow_response", "sites_paying"),
    [
        (240, 720, 1),  # s_in only: s_far 30 + 220 > 240 is outside; slow 720 = delay, on time
        (260, 720, 2),  # s_far now within its promise (250 ≤ 260): it pays too
        (240, 719, 2),  # slow now promises less than the 720-minute delay: s_slow pays too
        (720, 720, 0),  # the emergency shipment arrives within every promise
    ],
)
def test_stockout_credits_count_late_sites_within_promise(
    gold_response: float, slow_response: float, sites_paying: int
) -> None:
    """Stock-out credits: sites within their promise whose tier promises less than the delay."""
    scenario = _credit_scenario(gold_response, slow_response)
    report = validate(scenario, _credit_plan(scenario))
    assert pytest.approx(5.419238562) == ONE_SITE_STOCKOUT_CREDITS
    assert report.costs.stockout_credits_per_year == pytest.approx(
        sites_paying * ONE_SITE_STOCKOUT_CREDITS, rel=1e-12, abs=1e-12
    )


def test_site_outside_promise_pays_capped_network_credits_only() -> None:
    """s_far (outside its promise) pays min(1.5 × 100, 1) in the network layer, no stock credit."""
    scenario = _credit_scenario(240, 720)
    costs = validate(scenario, _credit_plan(scenario)).costs
    assert costs.expected_credits_per_year == pytest.approx(1.0)
    assert costs.stockout_credits_per_year == pytest.approx(ONE_SITE_STOCKOUT_CREDITS)


def test_no_stockout_credits_without_stock(tiny_scenario: Scenario, good_plan: Plan) -> None:
    """Stock not decided: stock-out credits are 0, like holding and emergency costs."""
    scenario = _credit_scenario(240, 719)
    assert (
        validate(scenario, _credit_plan(scenario, stock=False)).costs.stockout_credits_per_year == 0
    )
    good_plan.stock.clear()
    costs = validate(tiny_scenario, good_plan).costs
    assert (costs.holding_per_year, costs.emergency_per_year) == (0, 0)
    assert costs.stockout_credits_per_year == 0


@pytest.mark.parametrize(
    ("mu", "level"),
    [(0.0, 0), (0.0, 3), (0.3, 0), (0.3, 2), (4.0, 40), (250.0, 240), (1e5, 1e5), (1e5, 99_000)],
)
def test_fill_and_backorders_match_brute_force(mu: float, level: int) -> None:
    """Fill = P(D ≤ S−1) and E[(D−S)+] agree with direct summation, even for μ = 1e5."""
    fill, backorders = fill_and_backorders([mu], [level])
    x = np.arange(0, int(mu + 20 * math.sqrt(mu) + 50))
    pmf = poisson.pmf(x, mu)
    assert fill[0] == pytest.approx(pmf[x < level].sum(), rel=1e-9, abs=1e-12)
    assert backorders[0] == pytest.approx(
        (np.maximum(x - level, 0) * pmf).sum(), rel=1e-8, abs=1e-10
    )


def _haversine_scenario() -> Scenario:
    """One depot at (0, 0), one site at (0, 1) on the equator; default haversine travel."""
    return Scenario.model_validate(
        {
            "skills": ["mech"],
            "tiers": [{"id": "t", "response_minutes": 600, "attainment_target": 0.9}],
            "products": [
                {"id": "p", "failure_rate_per_unit_year": 1, "repair_minutes": 60, "skill": "mech"}
            ],
            "sites": [{"id": "s", "lat": 0, "lon": 1, "tier": "t", "installed_base": {"p": 1}}],
            "depots": [{"id": "d", "lat": 0, "lon": 0, "fixed_cost_per_year": 0}],
            "technicians": [
                {
                    "id": "x",
                    "depot": "d",
                    "skills": ["mech"],
                    "shifts": [{"day": 0, "start_minute": 0, "end_minute": 1440}],
                }
            ],
            "requests": [
                {"id": "r", "site": "s", "product": "p", "duration_minutes": 60, "opened_minute": 0}
            ],
        }
    )


@pytest.mark.parametrize(("offset", "flagged"), [(0.0, False), (0.01, True)])
def test_haversine_route_travel(offset: float, flagged: bool) -> None:
    """Route minutes are 2 × great-circle km × 1.3 circuity at 60 km/h (1 km per minute)."""
    one_way_km = 6371.0088 * math.pi / 180 * 1.3  # 1° of longitude on the equator
    plan = Plan(
        status="feasible",
        routes=[
            Route(
                technician="x",
                day=0,
                start=0,
                end=2 * one_way_km + 60,
                stops=[
                    Stop(request="r", arrival=one_way_km, start=one_way_km, end=one_way_km + 60)
                ],
                travel_km=2 * one_way_km,
                travel_minutes=2 * one_way_km + offset,
            )
        ],
    )
    plan.costs.route_travel = 2 * one_way_km * 0.5
    plan.costs.route_labour = (2 * one_way_km + 60) / 60 * 60
    report = validate(_haversine_scenario(), plan)
    assert report.costs.route_travel == pytest.approx(one_way_km, rel=1e-12)
    assert bool(report.violations) is flagged
    assert set(found(report)) <= {(ROUTE_TOTALS, "/routes/0/travel_minutes")}


def _large_case(
    sites: int = 10_000, depots: int = 50, requests: int = 3_000
) -> tuple[Scenario, Plan]:
    """A haversine scenario and a (partly wrong) plan of the size the validator must handle."""
    rng = np.random.default_rng(0)
    lat, lon = rng.uniform(47, 55, sites), rng.uniform(6, 15, sites)
    scenario = Scenario.model_validate(
        {
            "skills": ["mech"],
            "tiers": [{"id": "t", "response_minutes": 240, "attainment_target": 0.9}],
            "products": [
                {
                    "id": "p",
                    "failure_rate_per_unit_year": 0.4,
                    "repair_minutes": 60,
                    "skill": "mech",
                    "parts": [{"part": "a", "probability": 0.3}],
                }
            ],
            "parts": [{"id": "a", "unit_cost": 50, "lead_time_days": 10}],
            "sites": [
                {
                    "id": f"s{i}",
                    "lat": lat[i],
                    "lon": lon[i],
                    "tier": "t",
                    "installed_base": {"p": 3},
                    "customer_exclusive": i % 50 == 0,
                }
                for i in range(sites)
            ],
            "depots": [
                {"id": f"d{j}", "lat": 47 + j % 8, "lon": 6 + j % 9, "fixed_cost_per_year": 1e4}
                for j in range(depots)
            ],
            "technicians": [
                {
                    "id": f"x{k}",
                    "depot": f"d{k % depots}",
                    "skills": ["mech"],
                    "shifts": [{"day": 0, "start_minute": 480, "end_minute": 1020}],
                    "break_minutes": 30,
                }
                for k in range(requests // 10)
            ],
            "requests": [
                {
                    "id": f"r{n}",
                    "site": f"s{n * 3}",
                    "product": "p",
                    "opened_minute": 0,
                    "duration_minutes": 30,
                    "parts": {"a": 1},
                }
                for n in range(requests)
            ],
        }
    )
    plan = Plan(
        status="feasible",
        depots=[DepotDecision(id=f"d{j}", open=True) for j in range(depots)],
        assignments=[
            Assignment(site=f"s{i}", depot=f"d{i % depots}", travel_minutes=60, within_promise=True)
            for i in range(sites)
        ],
        routes=[
            Route(
                technician=f"x{k}",
                day=0,
                start=480,
                end=1000,
                stops=[
                    Stop(
                        request=f"r{k * 10 + m}",
                        arrival=500 + 45 * m,
                        start=500 + 45 * m,
                        end=530 + 45 * m,
                    )
                    for m in range(10)
                ],
            )
            for k in range(requests // 10)
        ],
    )
    return scenario, plan


def test_large_plan_validates() -> None:
    """10,000 sites, 50 depots and 3,000 routed requests validate and the planted error is found.

    Its speed is not asserted here (timed unit tests fail under load; speed belongs to
    benchmarks/): the case stays as the large input the validator must handle.
    """
    scenario, plan = _large_case()
    report = validate(scenario, plan)
    assert report.of_kind(ASSIGNMENT_MISMATCH)  # the reported travel minutes are made up
