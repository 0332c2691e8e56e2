"""Tests of the validator's loaner rules (docs/semantics.md, "Loaners") on the tiny scenario.

The tiny scenario made loaner-ready: P2 (controller, 1 failure per unit and year) is loanable,
loaners stay out 182.5 days (a = loans / 2), cost 100 per unit and year, target 0.1. The good
plan serves S2 (4 × P2, exclusive) and S3 (2 × P2) from D1, S4 (2 × P2) from D2:

    D1: 6 loans/year, a = 3 erlangs; B(5, 3) = 2.025 / 18.4 = 0.110 > 0.1, so c = 6:
        B(6, 3) = (3^6/6!) / Σ_{k≤6} 3^k/k! = 1.0125 / 19.4125 = 0.052157
    D2: 2 loans/year, a = 1 erlang; B(2, 1) = 0.5 / 2.5 = 0.2 > 0.1, so c = 3:
        B(3, 1) = (1/6) / (1 + 1 + 1/2 + 1/6) = 1/16 = 0.0625

Loaner cost: (6 + 3) × 100 = 900 per year.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from aftersales.optimizer.schema import InventorySettings, LoanerPool, Plan, Scenario
from aftersales.optimizer.validate import (
    COST_MISMATCH,
    DUPLICATE_ENTRY,
    LOANER_MISMATCH,
    LOANER_TARGET_MISSED,
    UNKNOWN_REFERENCE,
    ValidationReport,
    erlang_loss,
    validate,
)

B_6_3 = 1.0125 / (1 + 3 + 4.5 + 4.5 + 3.375 + 2.025 + 1.0125)  # 0.052157
B_3_1 = (1 / 6) / (1 + 1 + 1 / 2 + 1 / 6)  # 1/16


def found(report: ValidationReport) -> set[tuple[str, str]]:
    """(kind, path) of every violation."""
    return {(v.kind, v.path) for v in report.violations}


CORRECT_POOLS: dict[str, dict[str, Any]] = {
    "D1": {"loans_per_year": 6, "offered_load_erlangs": 3, "units": 6,
           "no_loaner_probability": B_6_3, "cost_per_year": 600},
    "D2": {"loans_per_year": 2, "offered_load_erlangs": 1, "units": 3,
           "no_loaner_probability": B_3_1, "cost_per_year": 300},
}  # fmt: skip
"""The correct pool of P2 loaners at each depot (figures worked out above)."""


def correct_pool(of: str, **fields: Any) -> LoanerPool:
    """Depot ``of``'s correct pool of P2 loaners, with ``fields`` changed (the depot id too)."""
    pool = LoanerPool(depot=of, product="P2", **CORRECT_POOLS[of])
    return pool.model_copy(update=fields)


@pytest.fixture
def scenario(tiny_scenario: Scenario) -> Scenario:
    """The tiny scenario with loanable P2 and a loaner target."""
    tiny_scenario.products[1].loanable = True
    tiny_scenario.inventory = InventorySettings(
        check_fill_targets=False,
        loaner_unavailability_target=0.1,
        loaner_days=182.5,
        loaner_cost_per_unit_year=100,
    )
    return tiny_scenario


@pytest.fixture
def plan(good_plan: Plan) -> Plan:
    """The good plan with the correct loaner pools."""
    good_plan.loaners = [correct_pool("D1"), correct_pool("D2")]
    good_plan.costs.loaners_per_year = 900
    return good_plan


def test_hand_values() -> None:
    """The hand-computed Erlang-B values of the module docstring."""
    assert pytest.approx(0.0521571) == B_6_3
    assert pytest.approx(0.0625) == B_3_1


def test_correct_loaners_pass(scenario: Scenario, plan: Plan) -> None:
    """The sized pools break no rule; the loaner cost is recomputed as 9 units × 100."""
    report = validate(scenario, plan)
    assert report.violations == []
    assert report.costs.loaners_per_year == pytest.approx(900)
    # + 2,000: silver S3 outside its promise, credits at the cap: its fee is at risk (priced)
    assert report.costs.annual_total == pytest.approx(2973.350587770 + 900 + 2000)


def test_too_few_loaners_miss_the_target(scenario: Scenario, plan: Plan) -> None:
    """2 loaners at D2 (a = 1): B(2, 1) = 0.5 / (1 + 1 + 0.5) = 0.2 > 0.1, figures consistent."""
    plan.loaners[1] = correct_pool("D2", units=2, no_loaner_probability=0.2, cost_per_year=200)
    plan.costs.loaners_per_year = 800
    report = validate(scenario, plan)
    assert found(report) == {(LOANER_TARGET_MISSED, "/loaners/1/units")}


def test_just_enough_loaners_meet_a_target_equal_to_b(scenario: Scenario, plan: Plan) -> None:
    """A target equal to B(3, 1) = 1/16 is met (B ≤ target)."""
    assert scenario.inventory is not None
    scenario.inventory.loaner_unavailability_target = 1 / 16
    assert validate(scenario, plan).violations == []


def test_missing_pool_misses_the_target(scenario: Scenario, plan: Plan) -> None:
    """D2 serves S4's 2 controllers but keeps no loaner pool."""
    del plan.loaners[1]
    plan.costs.loaners_per_year = 600
    assert found(validate(scenario, plan)) == {(LOANER_TARGET_MISSED, "/loaners")}


def test_stock_decided_without_loaners_misses_every_pool(scenario: Scenario, plan: Plan) -> None:
    """Stock is decided and a target is set: both (depot, P2) with loans lack a pool."""
    plan.loaners = []
    plan.costs.loaners_per_year = 0
    report = validate(scenario, plan)
    assert [(v.kind, v.path) for v in report.violations] == [(LOANER_TARGET_MISSED, "/loaners")] * 2
    assert report.costs.loaners_per_year == 0


@pytest.mark.parametrize(
    ("field", "wrong"),
    [
        ("loans_per_year", 5.0),
        ("offered_load_erlangs", 6.0),  # 6 × 182.5 / 365 is 3, not 6
        ("no_loaner_probability", 0.05),
        ("cost_per_year", 700.0),
    ],
)
def test_wrong_figure_is_a_loaner_mismatch(
    scenario: Scenario, plan: Plan, field: str, wrong: float
) -> None:
    """A reported figure that differs from the recomputed one, at its field."""
    setattr(plan.loaners[0], field, wrong)
    assert found(validate(scenario, plan)) == {(LOANER_MISMATCH, f"/loaners/0/{field}")}


@pytest.mark.parametrize(
    ("entry", "path"),
    [
        (correct_pool("D2", depot="DX", units=0, cost_per_year=0), "/loaners/2/depot"),
        (correct_pool("D2", product="PX", units=0, cost_per_year=0), "/loaners/2/product"),
        # P1 (pump) is not loanable.
        (correct_pool("D2", product="P1", units=0, cost_per_year=0), "/loaners/2/product"),
    ],
    ids=["unknown-depot", "unknown-product", "not-loanable"],
)
def test_bad_reference(scenario: Scenario, plan: Plan, entry: LoanerPool, path: str) -> None:
    """An entry naming an unknown depot or product, or a non-loanable product."""
    plan.loaners.append(entry)
    assert found(validate(scenario, plan)) == {(UNKNOWN_REFERENCE, path)}


def test_duplicate_pool_counts_once(scenario: Scenario, plan: Plan) -> None:
    """A repeated (depot, product): the first counts, the cost stays 900."""
    plan.loaners.append(correct_pool("D1", units=10, no_loaner_probability=0.0, cost_per_year=1000))
    report = validate(scenario, plan)
    assert found(report) == {(DUPLICATE_ENTRY, "/loaners/2")}
    assert report.costs.loaners_per_year == pytest.approx(900)


def test_wrong_total_is_a_cost_mismatch(scenario: Scenario, plan: Plan) -> None:
    """The cost breakdown's loaner total is recomputed from the units."""
    plan.costs.loaners_per_year = 0
    assert found(validate(scenario, plan)) == {(COST_MISMATCH, "/costs/loaners_per_year")}


def test_pool_without_loans_only_costs(scenario: Scenario, plan: Plan) -> None:
    """Without a target, a pool of P1 (now loanable) where D2 serves no pump is valid.

    Loans 0, load 0: B(1, 0) = 0 and B(0, 0) = 1; the unit still costs 100. D1's pumps (S1, S3)
    have no pool, which is fine without a target.
    """
    assert scenario.inventory is not None
    scenario.inventory.loaner_unavailability_target = None
    scenario.products[0].loanable = True
    plan.loaners += [
        LoanerPool(
            depot="D2",
            product="P1",
            loans_per_year=0,
            offered_load_erlangs=0,
            units=1,
            no_loaner_probability=0,
            cost_per_year=100,
        ),
        LoanerPool(
            depot="D1",
            product="P1",
            loans_per_year=1.5,  # S1 2 × 0.5 + S3 1 × 0.5
            offered_load_erlangs=0.75,
            units=0,
            no_loaner_probability=1,
            cost_per_year=0,
        ),
    ]
    plan.costs.loaners_per_year = 1000
    report = validate(scenario, plan)
    assert report.violations == []
    assert report.costs.loaners_per_year == pytest.approx(1000)


def test_loans_follow_todays_depots_without_assignments(scenario: Scenario) -> None:
    """Without assignments all sites are D1's today: 8 controllers, 8 loans, a = 4; D2 none.

    No loaner at D1: B(0, 4) = 1 > 0.1 misses the target; D2 has no loans, needs no pool.
    """
    plan = Plan(
        status="feasible",
        loaners=[
            LoanerPool(
                depot="D1",
                product="P2",
                loans_per_year=8,
                offered_load_erlangs=4,
                units=0,
                no_loaner_probability=1,
            )
        ],
    )
    assert found(validate(scenario, plan)) == {(LOANER_TARGET_MISSED, "/loaners/0/units")}


def test_loaners_undecided(scenario: Scenario, plan: Plan) -> None:
    """No loaners and either no stock or no target: no loaner check, loaner cost 0."""
    plan.loaners = []
    plan.costs.loaners_per_year = 0
    assert scenario.inventory is not None
    scenario.inventory.loaner_unavailability_target = None
    assert validate(scenario, plan).violations == []
    scenario.inventory.loaner_unavailability_target = 0.1
    report = validate(scenario, Plan(status="skipped"))
    assert report.violations == []
    assert report.costs.loaners_per_year == 0


@pytest.mark.parametrize(
    ("units", "load", "expected"),
    [
        (0, 0.0, 1.0),
        (0, 5.0, 1.0),
        (1, 0.0, 0.0),
        (7, 0.0, 0.0),
        (1, 1.0, 0.5),  # a / (1 + a)
        (2, 1.0, 0.2),  # (1/2) / (1 + 1 + 1/2)
        (3, 1.0, 1 / 16),
        (6, 3.0, B_6_3),
    ],
)
def test_erlang_loss_hand_values(units: int, load: float, expected: float) -> None:
    """B(c, a) = (a^c / c!) / Σ_{k≤c} a^k / k!, worked out by hand."""
    assert erlang_loss([units], [load])[0] == pytest.approx(expected, rel=1e-12, abs=1e-15)


def _recursion(units: int, load: float) -> float:
    """Reference: B(k) = a B(k−1) / (k + a B(k−1)), B(0) = 1 (exact, stable, slow)."""
    blocking = 1.0
    for k in range(1, units + 1):
        blocking = load * blocking / (k + load * blocking)
    return blocking


@pytest.mark.parametrize(
    ("units", "load"),
    [
        (1, 1.0),
        (40, 30.0),
        (500, 500.0),
        (568, 500.0),
        (250, 500.0),
        (1, 500.0),
        (5, 800.0),  # P(N ≤ 5) underflows for a = 800: series fallback
        (0, 2000.0),
        (900, 2000.0),
        (10_000, 500.0),  # far beyond the load: B underflows to 0
    ],
)
def test_erlang_loss_large_values(units: int, load: float) -> None:
    """Agrees with the recursion for large pools and loads, also where P(N ≤ c) underflows."""
    got = erlang_loss(np.array([units]), np.array([load]))[0]
    assert math.isfinite(got)
    assert got == pytest.approx(_recursion(units, load), rel=1e-9, abs=1e-300)
