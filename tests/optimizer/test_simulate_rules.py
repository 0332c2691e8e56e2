"""Tests of the simulation's rules on one-site scenarios built by hand: the backorder
replenishment rule, preventive visits and service-hours clocks."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from one_site import one_site

from aftersales.optimizer.schema import (
    Plan,
    Scenario,
    ServiceCalendar,
    Shift,
    StockLevel,
    TechnicianBase,
)
from aftersales.optimizer.simulate import SimulationSettings, compile_simulation, simulate
from aftersales.optimizer.simulate.calendar import clock_minutes, open_minutes_until
from aftersales.optimizer.simulate.crew import MINUTES_PER_WEEK
from aftersales.optimizer.simulate.engine import run_replication
from aftersales.optimizer.simulate.forecast import pool_fill
from aftersales.optimizer.staffing.queueing import wait_exceeds

BUSINESS_WEEK = tuple((d * 1440.0 + 480.0, d * 1440.0 + 1020.0) for d in range(5))
"""Monday-Friday 08:00-17:00 as minutes of the week."""


def stocked(scenario: Scenario, level: int) -> Plan:
    """A plan keeping ``level`` units of part A at depot D."""
    return Plan(status="feasible", stock=[StockLevel(depot="D", part="A", level=level)])


def test_backorder_rule_emergency_shipments_match_the_stock_model() -> None:
    """Emergency shipments per year equal λ(1 − P(D ≤ S − 1)) within the 95 % CI.

    λ = 100 units/yr, L = 7.3 d → μ = 2; S = 2: fill = e^-2 (1 + 2) = 0.406, so
    100 × 0.594 = 59.4 shipments/yr. The lost-sales variant would give the Erlang-B fill
    1 − B(2, 2) = 1 − 0.4 = 0.6, i.e. 40 shipments/yr: well outside the interval.
    """
    scenario = one_site()
    plan = stocked(scenario, 2)
    data = compile_simulation(scenario, plan)
    fill = pool_fill(data)[(0, 0)]
    assert fill == pytest.approx(3 * math.exp(-2))
    expected = 100 * (1 - fill)  # 59.4
    settings_ = SimulationSettings(1.0, 12, seed=1, workers=1, unlimited_technicians=True)
    seeds = np.random.SeedSequence(settings_.seed).spawn(settings_.replications)
    shipments = np.array([run_replication(data, settings_, s).emergency_shipments for s in seeds])
    half = 2.201 * shipments.std(ddof=1) / math.sqrt(len(shipments))  # t(0.975, 11)
    assert abs(shipments.mean() - expected) <= half, (shipments.mean(), half)
    assert shipments.mean() > 50  # lost sales: 40


def test_emergency_shipments_of_a_stock_plan_within_ci_of_the_model() -> None:
    """On one site with S = 3 (μ = 2), simulated part fill matches P(D ≤ 2) = 5e^-2 = 0.677."""
    scenario = one_site()
    result = simulate(
        scenario,
        stocked(scenario, 3),
        SimulationSettings(1.0, 10, seed=2, workers=1, unlimited_technicians=True),
    )
    gold = result.tier("gold")
    assert gold.parts_on_hand_share is not None
    # 1,000 demands; binomial sd √(0.677 · 0.323 / 1000) ≈ 0.015 (plus correlation): 4 sd.
    assert gold.parts_on_hand_share == pytest.approx(5 * math.exp(-2), abs=0.06)
    assert result.emergency_shipments_per_year == pytest.approx(
        100 * (1 - 5 * math.exp(-2)), rel=0.2
    )


def test_preventive_visits_occupy_technicians_but_are_not_calls() -> None:
    """Preventive visits add technician hours and waiting, never SLA calls.

    Failures 200/yr; preventive 400/yr, each 60 min + 2 × 20 min travel = 100 min, so
    ≈ 667 h/yr of preventive work against 2,340 shift hours (45 h × 52 weeks).
    """
    calm = one_site(failures=200.0, preventive=0.0, lead_days=1.0)
    busy = one_site(failures=200.0, preventive=400.0, lead_days=1.0)
    settings_ = SimulationSettings(1.0, 4, seed=0, workers=1, call_hours="shifts", roster="shifts")
    plain = simulate(calm, Plan(status="feasible"), settings_)
    loaded = simulate(busy, Plan(status="feasible"), settings_)
    assert plain.preventive_visits_per_year == 0
    assert loaded.preventive_visits_per_year == pytest.approx(400, rel=0.1)
    assert loaded.preventive_hours_per_year == pytest.approx(400 * 100 / 60, rel=0.1)
    # Same calls (the failure draws come first): the count of SLA calls does not change.
    assert loaded.tier("gold").calls_per_year == plain.tier("gold").calls_per_year
    assert loaded.technician_utilisation["T"] > plain.technician_utilisation["T"] + 0.2
    assert loaded.tier("gold").attainment < plain.tier("gold").attainment


def test_clock_of_business_hours_skips_the_weekend() -> None:
    """Friday 16:00 → Monday 09:00 is 60 + 60 = 120 minutes of Mon-Fri 08:00-17:00."""
    friday_4pm = 4 * 1440.0 + 960.0
    monday_9am = 7 * 1440.0 + 540.0
    minutes = clock_minutes(BUSINESS_WEEK, np.array([friday_4pm]), np.array([monday_9am]))
    assert minutes[0] == pytest.approx(120.0)
    # 24/7: wall-clock minutes, 2 days 17 h = 3,900.
    assert clock_minutes(None, np.array([friday_4pm]), np.array([monday_9am]))[0] == 3900.0
    assert np.isinf(clock_minutes(BUSINESS_WEEK, np.array([0.0]), np.array([np.inf]))[0])


@settings(max_examples=50, deadline=None)
@given(
    st.floats(0.0, 5 * MINUTES_PER_WEEK),
    st.floats(0.0, 2 * MINUTES_PER_WEEK),
    st.floats(0.0, 2 * MINUTES_PER_WEEK),
)
def test_clock_is_additive_and_bounded(a: float, gap1: float, gap2: float) -> None:
    """Service minutes over [a, c] = over [a, b] + over [b, c], and never more than wall-clock."""
    b, c = a + gap1, a + gap1 + gap2
    ab, bc, ac = (
        clock_minutes(BUSINESS_WEEK, np.array([x]), np.array([y]))[0]
        for x, y in ((a, b), (b, c), (a, c))
    )
    assert ac == pytest.approx(ab + bc, abs=1e-6)
    assert 0.0 <= ab <= gap1 + 1e-6
    # A whole week always holds 45 service hours.
    week = open_minutes_until(BUSINESS_WEEK, np.array([a + MINUTES_PER_WEEK, a]))
    assert week[0] - week[1] == pytest.approx(45 * 60)


def test_roster_on_call_cover_for_a_24_7_tier() -> None:
    """A 24/7 tier staffed by a Mon-Fri 08:00-17:00 technician breaks most calls without on-call
    cover: 45 of 168 weekly hours are on shift, so at most ≈ 27 % + the calls within 4 h before
    a shift start can be met; with the service-hours roster (on call 24/7) nearly all are met."""
    scenario = one_site(failures=50.0, lead_days=1.0)
    on_shift = SimulationSettings(1.0, 3, seed=0, workers=1, roster="shifts")
    on_call = SimulationSettings(1.0, 3, seed=0, workers=1, roster="service_hours")
    shifts_only = simulate(scenario, Plan(status="feasible"), on_shift).tier("gold")
    covered = simulate(scenario, Plan(status="feasible"), on_call).tier("gold")
    assert shifts_only.attainment < 0.45
    assert shifts_only.breaches_per_year["technician"] > 20
    # 50 calls/yr of 60 min + 40 min travel: utilisation < 1 %, wait negligible.
    assert covered.attainment > 0.97


def business_hours(scenario: Scenario) -> Scenario:
    """The scenario with its gold tier served Monday-Friday 08:00-17:00."""
    calendar = ServiceCalendar(weekdays=[0, 1, 2, 3, 4], start_minute=480, end_minute=1020)
    tiers = [t.model_copy(update={"service_hours": calendar}) for t in scenario.tiers]
    return scenario.model_copy(update={"tiers": tiers})


def test_business_hours_tier_calls_arrive_and_count_in_its_hours() -> None:
    """Under a Mon-Fri 08:00-17:00 calendar every call opens inside it, and the technician on
    the same shifts meets nearly all (50 min to site against 240); the same tier 24/7 with
    the same technician (no on-call cover) breaks the calls of the 123 closed hours a week."""
    plain = one_site(failures=50.0, lead_days=1.0)
    office = business_hours(plain)
    settings_ = SimulationSettings(1.0, 3, seed=0, workers=1, roster="shifts")
    data = compile_simulation(office, Plan(status="feasible"), "shifts")
    run = run_replication(data, settings_, np.random.SeedSequence(0))
    minute_of_week = run.opened % MINUTES_PER_WEEK
    day, minute = minute_of_week // 1440, minute_of_week % 1440
    assert ((day < 5) & (minute >= 480) & (minute < 1020)).all()
    in_hours = simulate(office, Plan(status="feasible"), settings_).tier("gold")
    around_the_clock = simulate(plain, Plan(status="feasible"), settings_).tier("gold")
    assert in_hours.attainment > 0.97
    assert around_the_clock.attainment < 0.45


def test_crew_follows_the_plans_technician_bases() -> None:
    """Released technicians are gone; a hire works at its depot with its pool's skill, the
    shifts of the depot's staff today and labour 60,000 / 1,720 h = 34.88 /h."""
    scenario = one_site()
    scenario = scenario.model_copy(
        update={
            "costs": scenario.costs.model_copy(
                update={"technician_cost_per_year": 60000, "technician_hours_per_year": 1720}
            ),
            "technicians": [
                t.model_copy(update={"shifts": [Shift(day=1, start_minute=420, end_minute=900)]})
                for t in scenario.technicians
            ],
        }
    )
    plan = Plan(
        status="feasible",
        technician_bases=[
            TechnicianBase(technician="T", skill="mech", action="released", from_depot="D"),
            TechnicianBase(technician="H1", skill="mech", action="hired", depot="D"),
        ],
    )
    data = compile_simulation(scenario, plan, "shifts")
    assert data.tech_ids == ("H1",)
    assert data.tech_week == (((1440.0 + 420.0, 1440.0 + 900.0),),)  # T's Tuesday shift
    assert data.tech_hourly_cost[0] == pytest.approx(60000 / 1720)
    assert data.candidates[(0, 0)] == (0,)


@pytest.mark.parametrize(("servers", "load"), [(1, 0.6), (3, 2.4)])
def test_queue_waits_within_the_erlang_c_bound(servers: int, load: float) -> None:
    """One pool on call 24/7, jobs of 60 min repair + 2 × 20 min travel = 100 min (dispatch
    ties up no technician): the simulated share of calls waiting longer than their slack
    240 − 30 − 20 = 190 min lies below the M/M/c figure C(c, a)·e^{−(c−a)μt} (deterministic
    service waits less than exponential) and above 0 (the queue is real)."""
    calls = load * 8760 / (100 / 60)  # a = λ h
    scenario = one_site(failures=calls, lead_days=1.0)
    crew = [scenario.technicians[0].model_copy(update={"id": f"T{i}"}) for i in range(servers)]
    scenario = scenario.model_copy(update={"technicians": crew})
    settings_ = SimulationSettings(1.0, 3, seed=0, workers=1)
    gold = simulate(scenario, Plan(status="feasible"), settings_).tier("gold")
    late = gold.breaches_per_year["technician"] / gold.calls_per_year
    bound = wait_exceeds(servers, load, 100 / 60, 190 / 60)  # 0.281 and 0.207
    assert 0.0 < late < bound
