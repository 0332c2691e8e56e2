"""Suite ``nightly``: tonight's re-solve of a generated scenario, five ways side by side.

For each size (default M and L) the product's own path solves ``generate_scenario(size, seed)``
once ("yesterday"), then ``datasets.next_night`` makes tonight's scenario from that plan (the
horizon rolled a day, served requests dropped, 20 new calls, one technician off sick, one open
depot's capacity cut by 30 %). Tonight is solved, each through ``pipeline.solve`` with the same
limit and seed:

* ``cold``: from scratch, as if there were no yesterday;
* ``warm``: ``previous=`` yesterday's plan (warm starts only, no price on change);
* ``warm+stability``: warm, with the planner's prices per change ``STABILITY`` (network, stock
  and routing objectives; the previous network and stock kept when no dearer);
* ``nightly``: the recommended nightly options: network and stock frozen, routing re-solved warm;
* ``keep yesterday``: every layer frozen: yesterday's plan as it stands tonight (its routes on
  tonight's horizon; the sick technician's day and the new calls unserved).

Each row: status, the validator's verdict, first-year network + stock + staffing cost, the
routing horizon's cost, their sum, every change against yesterday by kind
(``diff_plans(yesterday, tonight).counts()``), what those changes cost at ``STABILITY`` prices,
and per tier the forecast attainment and the share of requests served by their due time.
"""

from __future__ import annotations

import time
from typing import Any

from aftersales.benchmarks.registry import SuiteRequest, suite
from aftersales.datasets.generator import generate_scenario
from aftersales.datasets.next_night import next_night
from aftersales.optimizer.diff import diff_plans
from aftersales.optimizer.pipeline import solve
from aftersales.optimizer.schema import (
    ALL_LAYERS,
    FROZEN_LAYERS,
    NIGHTLY_FREEZE,
    Plan,
    Scenario,
    SolveOptions,
    StabilityCosts,
)
from aftersales.optimizer.simulate import plan_forecast
from aftersales.optimizer.validate import validate

DEFAULT_SIZES = ("M", "L")
TIME_LIMITS = {"S": 20.0, "M": 60.0, "L": 120.0}
"""Seconds per solve when the user gives no limit."""
STABILITY = StabilityCosts(site_move=5_000, stock_change=200, stock_unit=20, visit_reassign=150)
"""The planner's prices per change, currency: re-homing a customer site (account and contract
paperwork, a new engineer team), a stock transfer order plus handling per unit, and a call to
the customer to rebook a visit."""
METHODS: dict[str, dict[str, Any]] = {
    "cold": {},
    "warm": {},
    "warm+stability": {"stability": STABILITY},
    "nightly": {"freeze": list(NIGHTLY_FREEZE)},
    "keep yesterday": {"freeze": list(FROZEN_LAYERS)},
}
"""Each method's options on top of the shared ones; all but ``cold`` get yesterday's plan."""


def change_cost(counts: dict[str, int], prices: StabilityCosts) -> float:
    """What the counted changes cost at ``prices``, currency (a visit reassigned to another
    technician-day and a previously served request left unserved both count as reassigned)."""
    return (
        prices.site_move * counts["sites_moved"]
        + prices.stock_change * counts["stock_changes"]
        + prices.stock_unit * counts["stock_units_changed"]
        + prices.visit_reassign * counts["visits_reassigned"]
    )


def _row(
    size: str, method: str, scenario: Scenario, yesterday: Plan, plan: Plan, wall: float
) -> dict[str, Any]:
    verdict = validate(scenario, plan)
    counts = diff_plans(yesterday, plan).counts()
    row: dict[str, Any] = {
        "size": size,
        "method": method,
        "status": plan.status,
        "valid": verdict.ok,
        "violations": len(verdict.violations),
        "cost": plan.costs.annual_total,
        "cost routing": plan.costs.horizon_total,
        "cost total": plan.costs.annual_total + plan.costs.horizon_total,
        "unserved": len(plan.unserved),
        **counts,
        "changes": sum(v for k, v in counts.items() if k != "stock_units_changed"),
        "change cost": change_cost(counts, STABILITY),
        "network": plan.layers[0].method if plan.layers else "",
        "wall s": round(wall, 1),
    }
    for kpi in plan.kpis:
        row[f"forecast {kpi.tier}"] = plan_forecast(kpi)
        row[f"target {kpi.tier}"] = kpi.attainment_target
        row[f"sla_met {kpi.tier}"] = kpi.requests_on_time / kpi.requests if kpi.requests else None
    return row


@suite("nightly")
def run_nightly(request: SuiteRequest) -> dict[str, Any]:
    """Yesterday's plan, tonight's scenario, and tonight solved five ways (module docstring)."""
    rows: list[dict[str, Any]] = []
    for size in request.sizes or DEFAULT_SIZES:
        limit = request.time_limit_seconds if request.time_limit_given else TIME_LIMITS[size]
        base = SolveOptions(
            time_limit_seconds=limit,
            seed=request.seed,
            layers=list(ALL_LAYERS),
            deterministic=request.deterministic,
        )
        scenario = generate_scenario(size, seed=request.seed)
        started = time.perf_counter()
        yesterday = solve(scenario, base)
        rows.append(
            _row(size, "yesterday", scenario, yesterday, yesterday, time.perf_counter() - started)
        )
        tonight = next_night(scenario, yesterday, seed=request.seed)
        for method, extra in METHODS.items():
            options = SolveOptions.model_validate({**base.model_dump(), **extra})
            previous = None if method == "cold" else yesterday
            started = time.perf_counter()
            plan = solve(tonight, options, previous=previous)
            rows.append(_row(size, method, tonight, yesterday, plan, time.perf_counter() - started))
    return {
        "suite": "nightly",
        "time_limit_seconds": request.time_limit_seconds,
        "seed": request.seed,
        "stability_prices": STABILITY.model_dump(),
        "rows": rows,
        "summary": _summary(rows),
    }


def _summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Per size: changes of warm+stability ÷ cold, and its total cost minus keep-yesterday's."""
    summary: dict[str, Any] = {"all plans valid": all(r["valid"] for r in rows)}
    for size in dict.fromkeys(r["size"] for r in rows):
        by = {r["method"]: r for r in rows if r["size"] == size}
        stable, cold, keep = by["warm+stability"], by["cold"], by["keep yesterday"]
        summary[f"{size} changes warm+stability / cold"] = (
            stable["changes"] / cold["changes"] if cold["changes"] else None
        )
        summary[f"{size} cost total warm+stability - keep yesterday"] = (
            stable["cost total"] - keep["cost total"]
        )
    return summary
