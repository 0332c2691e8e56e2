"""Fixtures of the validator tests: a tiny hand-built scenario and a correct plan for it.

The scenario (tests/data/tiny_scenario.json) opts out of the per-tier stock-target check
(``inventory.check_fill_targets: false``): its hand-picked stock levels exist to test the other
rules; the target check has its own case. For the same reason it prices its attainment targets
(``policy.attainment: priced``, binding mode has its own case) and sets them (gold 0.15, silver
0.2) just below what the good plan forecasts (≈ 0.19, ≈ 0.22): a missed target is a violation in
every policy, with its own case; the parts-on-hand targets stay 0.95 / 0.9. It uses an
explicit travel matrix, km = minutes / 2:

            S1  S2  S3  S4  D1  D2     (minutes)
    S1       0  20  40  60  30  50
    S2      20   0  30  50  20  60
    S3      40  30   0  40  60  40
    S4      60  50  40   0  90  20
    D1      30  20  60  90   0  80
    D2      50  60  40  20  80   0

Yearly rates (units × rate): S1 = 2×P1: failures 1, visits 2, A 0.5, B 1.0;
S2 = 4×P2 (customer-exclusive): failures 4, visits 4, C 2; S3 = 1×P1 + 2×P2: failures 2.5,
visits 3, A 0.25, B 0.5, C 1; S4 = 2×P2: failures 2, visits 2, C 1.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from aftersales.optimizer.schema import (
    Assignment,
    Break,
    CostBreakdown,
    DepotDecision,
    Plan,
    Route,
    Scenario,
    StockLevel,
    Stop,
    TierKpi,
    Unserved,
)

TINY_SCENARIO = Path(__file__).parents[1] / "data" / "tiny_scenario.json"

# Lead-time demand μ = λ × lead / 365 (A, C: 36.5 days → λ/10; B: 73 days → λ/5).
FILL_D1_A = math.exp(-0.075)  # λ 0.75, μ 0.075, S 1: P(D ≤ 0)
FILL_D1_B = 1.3 * math.exp(-0.3)  # λ 1.5, μ 0.3, S 2: P(D ≤ 1) = e^-μ (1 + μ)
FILL_D1_C = math.exp(-0.1)  # λ 1.0 (S3), μ 0.1, S 1
FILL_S2_C = math.exp(-0.2)  # exclusive pool of S2, λ 2, μ 0.2, S 1
# D2 pooled C: λ 1 (S4), no entry → S 0, fill 0.


def tiny_costs() -> CostBreakdown:
    """Costs of the good plan, computed by hand."""
    return CostBreakdown(
        depot_fixed_per_year=1000 + 600,  # D1 and D2 open
        depot_change_one_off=500,  # D2 opened; D1 existing and kept
        site_moves_one_off=40,  # S4 moves from today's D1 to D2
        # visits × 2 × km × 0.5: S1 2·2·15·.5 + S2 4·2·10·.5 + S3 3·2·30·.5 + S4 2·2·10·.5
        network_travel_per_year=30 + 40 + 90 + 20,
        expected_credits_per_year=120,  # S3 (30 + 60 > 60): min(2.5 × 50, 120)
        # S × unit cost × rate: A 1·100·.2 + B 2·200·.25 + C 1·40·.25 + C(S2) 1·40·.25
        holding_per_year=20 + 100 + 10 + 10,
        # λ (1 − fill) × emergency cost (A 50, B 100, C default 200)
        emergency_per_year=0.75 * (1 - FILL_D1_A) * 50
        + 1.5 * (1 - FILL_D1_B) * 100
        + 1.0 * (1 - FILL_D1_C) * 200
        + 2.0 * (1 - FILL_S2_C) * 200
        + 1.0 * (1 - 0.0) * 200,
        # Emergency delay 240 > gold 70 and silver 60 min: a stock-out makes a call late at the
        # sites within their promise (S1, S2 gold, credit 100; S4 silver, credit 50; not S3).
        # Σ λ (1 − fill) × credit: S1 A 0.5, B 1.0 (D1 pooled); S2 C 2.0 (own pool); S4 C 1.0
        # (D2, no stock) = 7.3065 + 36.2538 + 50 = 93.5603
        stockout_credits_per_year=0.5 * (1 - FILL_D1_A) * 100
        + 1.0 * (1 - FILL_D1_B) * 100
        + 2.0 * (1 - FILL_S2_C) * 100
        + 1.0 * (1 - 0.0) * 50,
        loaners_per_year=0,  # no loanable product, no loaner target: loaners not decided
        route_travel=(70 + 20) * 0.5,  # T1 70 km, T2 20 km
        route_labour=(780 - 480) / 60 * 72 + (590 - 480) / 60 * 60,  # 360 + 110
        route_overtime=(825 - 780) / 60 * 90,  # 67.5
        route_lateness_credits=50,  # R4 arrives 500 > due 490: silver min(1 × 50, 120)
        unserved_penalty=200,  # R5 deferred
        # priced mode: S3 is outside its promise and 2.5 × 50 = 125 ≥ cap 120: fee at risk
        contracts_at_risk_per_year=2000,
    )


# Attainment (docs/semantics.md): no staffing decided, so today's pools: T1 (mech, elec) counts
# in mech at D1, T2 (elec) at D2; D1 has no elec technician. All tiers 24/7 (8,760 h/year).
# (D1, mech): S1 P1 jobs 2 × (60 + 2·30)/60 = 4 h, S3 P1 jobs 1 × (60 + 2·60)/60 = 3 h:
# load a1 = 7/8760 Erlangs, mean service 7/3 h; one technician: C(1, a) = a.
A_D1_MECH = 7 / 8760
# (D2, elec): S4 P2 jobs 2 × (30 + 2·20)/60 = 7/3 h: a4 = (7/3)/8760, mean service 7/6 h.
A_D2_ELEC = 7 / 3 / 8760
# P(wait ≤ slack) = 1 − a e^{−(1 − a) slack / mean}; slack = response − dispatch 30 − travel:
T_S1 = 1 - A_D1_MECH * math.exp(-(1 - A_D1_MECH) * (10 / 60) / (7 / 3))  # 70 − 30 − 30 = 10
T_S3_P1 = 1 - A_D1_MECH  # slack max(0, 60 − 30 − 60) = 0
T_S4 = 1 - A_D2_ELEC * math.exp(-(1 - A_D2_ELEC) * (10 / 60) / (7 / 6))  # 60 − 30 − 20 = 10
# Parts per call: Π over the product's parts of (1 − q (1 − fill)); delay 240 > 70, 60.
P_P1_D1 = (1 - 0.5 * (1 - FILL_D1_A)) * FILL_D1_B  # A q .5, B q 1
P_S2 = 1 - 0.5 * (1 - FILL_S2_C)  # C q .5 in S2's own pool
P_S3_P2 = 1 - 0.5 * (1 - FILL_D1_C)
P_S4 = 1 - 0.5 * (1 - 0.0)  # D2 holds no C


def tiny_kpis() -> list[TierKpi]:
    """KPIs of the good plan, computed by hand."""
    # gold calls: S1 1 (P1), S2 4 (P2, no elec technician at D1: t = 0); both reached
    # silver calls: S3 0.5 (P1) + 2 (P2), not reached; S4 2 (P2) reached
    return [
        TierKpi(
            tier="gold",
            sites=2,
            sites_within_promise=2,  # S1 30 + 30, S2 30 + 20 ≤ 70
            coverage_share=1.0,
            parts_on_hand_probability=(P_P1_D1 + 4 * P_S2) / 5,
            forecast_attainment=P_P1_D1 * T_S1 / 5,
            reach_share=1.0,
            parts_share=(P_P1_D1 + 4 * P_S2) / 5,
            technician_share=T_S1 / 5,
            target_met=True,  # target 0.15 (the tiny targets are set below the forecasts)
            requests=2,
            requests_served=2,
            requests_on_time=2,  # R1 510 ≤ 600, R2 620 ≤ 630 + 70
            attainment_target=0.15,
        ),
        TierKpi(
            tier="silver",
            sites=2,
            sites_within_promise=1,  # S4 30 + 20 ≤ 60; S3 30 + 60 > 60
            coverage_share=0.5,
            parts_on_hand_probability=(0.5 * P_P1_D1 + 2 * P_S3_P2 + 2 * P_S4) / 4.5,
            forecast_attainment=2 * P_S4 * T_S4 / 4.5,
            reach_share=2 / 4.5,
            parts_share=(0.5 * P_P1_D1 + 2 * P_S3_P2 + 2 * P_S4) / 4.5,
            technician_share=(0.5 * T_S3_P1 + 2 * T_S4) / 4.5,
            target_met=True,  # target 0.2
            unreachable_sites=["S3"],  # D1 30 + 60, D2 30 + 40 > 60
            requests=3,
            requests_served=2,
            requests_on_time=1,  # R3 720 ≤ 700 + 60; R4 late
            attainment_target=0.2,
        ),
    ]


def _stock(depot: str, part: str, level: int, demand: float, mu: float, fill: float, **kw):
    """A stock entry with its hand-computed measures (backorders from the Poisson pmf)."""
    # E[(D − S)+] = μ − S + Σ_{x<S} (S − x) p(x), with p(0) = e^-μ, p(1) = μ e^-μ.
    p0 = math.exp(-mu)
    backorders = mu - level + level * p0 + (level - 1) * mu * p0 * (level >= 2)
    holding = {"A": 100 * 0.2, "B": 200 * 0.25, "C": 40 * 0.25}[part] * level
    return StockLevel(
        depot=depot,
        part=part,
        level=level,
        demand_per_year=demand,
        fill_probability=fill,
        expected_backorders=backorders,
        holding_cost_per_year=holding,
        **kw,
    )


def tiny_plan() -> Plan:
    """A correct plan of the tiny scenario."""
    return Plan(
        status="feasible",
        scenario="tiny",
        depots=[DepotDecision(id="D1", open=True), DepotDecision(id="D2", open=True)],
        assignments=[
            Assignment(site="S1", depot="D1", travel_minutes=30, within_promise=True),
            Assignment(site="S2", depot="D1", travel_minutes=20, within_promise=True),
            Assignment(site="S3", depot="D1", travel_minutes=60, within_promise=False),
            Assignment(site="S4", depot="D2", travel_minutes=20, within_promise=True),
        ],
        stock=[
            _stock("D1", "A", 1, 0.75, 0.075, FILL_D1_A),
            _stock("D1", "B", 2, 1.5, 0.3, FILL_D1_B),
            _stock("D1", "C", 1, 1.0, 0.1, FILL_D1_C),
            _stock("D1", "C", 1, 2.0, 0.2, FILL_S2_C, pool="S2"),
        ],
        routes=[
            # T1 from D1: 480 → S1 (30) 510, wait to window 540-600 → S2 (20) 620, opened 630,
            # service 630-660 → break 690-720 on the way to S3 (30) → 720-765 → D1 (60) 825.
            Route(
                technician="T1",
                day=0,
                start=480,
                end=825,
                stops=[
                    Stop(request="R1", arrival=510, start=540, end=600),
                    Stop(request="R2", arrival=620, start=630, end=660),
                    Stop(request="R3", arrival=720, start=720, end=765),
                ],
                break_=Break(start=690, end=720),
                travel_km=15 + 10 + 15 + 30,
                travel_minutes=30 + 20 + 30 + 60,
            ),
            # T2 from D2: 480 → S4 (20) 500; C not stocked at D2, so start ≥ 300 + 240 = 540.
            Route(
                technician="T2",
                day=0,
                start=480,
                end=590,
                stops=[Stop(request="R4", arrival=500, start=540, end=570)],
                travel_km=10 + 10,
                travel_minutes=20 + 20,
            ),
        ],
        unserved=[Unserved(request="R5", reason="deferred")],
        costs=tiny_costs(),
        kpis=tiny_kpis(),
    )


@pytest.fixture
def tiny_scenario() -> Scenario:
    """The hand-built scenario of tests/data/tiny_scenario.json."""
    return Scenario.model_validate_json(TINY_SCENARIO.read_text())


@pytest.fixture
def good_plan() -> Plan:
    """A plan of the tiny scenario that breaks no rule."""
    return tiny_plan()
