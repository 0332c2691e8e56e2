"""Suite ``inventory``: the tactical layer on generated scenarios, next to the naive stock rule.

For every size (default M and L) and network — ``today`` (each site at its scenario ``depot``)
and ``all-depots`` (each site at its nearest candidate depot, so M has 40 and L 100 pooled
depots) — both methods size the same pools in the same run: ``solve_inventory`` (frontier) and
``naive_stock`` (every part of a pool at the pool's highest tier target). Each plan is checked
by ``aftersales.optimizer.validate`` against the scenario with an ``inventory`` section, so a
missed tier target shows up as ``stock_target_missed``. See benchmarks/PROTOCOL-inventory.md.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from aftersales.benchmarks.registry import SuiteRequest, suite
from aftersales.datasets.generator import generate_scenario
from aftersales.optimizer.inventory import (
    InventoryResult,
    compile_stock,
    naive_stock,
    solve_inventory,
)
from aftersales.optimizer.schema import InventorySettings, Plan, Scenario
from aftersales.optimizer.travel import haversine_km
from aftersales.optimizer.validate import STOCK_TARGET_MISSED, validate

SIZES = ("M", "L")
NETWORKS = ("today", "all-depots")
SECONDS_LIMIT = {"M": 5.0, "L": 30.0}
"""Wall-clock ceilings of the issue; a row says whether the frontier method stayed within."""


def nearest_depots(scenario: Scenario) -> dict[str, str]:
    """Each site at its nearest candidate depot (great circle)."""
    site_lat = np.array([s.lat for s in scenario.sites])
    site_lon = np.array([s.lon for s in scenario.sites])
    depot_lat = np.array([d.lat for d in scenario.depots])
    depot_lon = np.array([d.lon for d in scenario.depots])
    km = haversine_km(site_lat[:, None], site_lon[:, None], depot_lat[None, :], depot_lon[None])
    nearest = np.argmin(km, axis=1)
    return {s.id: scenario.depots[j].id for s, j in zip(scenario.sites, nearest, strict=True)}


def serving(scenario: Scenario, network: str) -> dict[str, str]:
    """Site → depot of a benchmark network."""
    if network == "today":
        return {s.id: s.depot or scenario.depots[0].id for s in scenario.sites}
    return nearest_depots(scenario)


def checked_scenario(scenario: Scenario, depot_of_site: dict[str, str]) -> Scenario:
    """The scenario with today's depot = the benchmark network and target checks on."""
    sites = [s.model_copy(update={"depot": depot_of_site[s.id]}) for s in scenario.sites]
    return scenario.model_copy(update={"sites": sites, "inventory": InventorySettings()})


def measure(
    scenario: Scenario, result: InventoryResult, seconds: float, method: str
) -> dict[str, Any]:
    """One row: time, cost, service per tier and the validator's verdict."""
    plan = Plan(status="feasible", stock=result.stock, costs=result.costs)
    report = validate(scenario, plan)
    row: dict[str, Any] = {
        "method": method,
        "status": result.report.status,
        "seconds": seconds,
        "cost_per_year": result.report.objective,
        "holding_per_year": result.costs.holding_per_year,
        "emergency_per_year": result.costs.emergency_per_year,
        "stockout_credits_per_year": result.costs.stockout_credits_per_year,
        "units": sum(s.level for s in result.stock),
    }
    for kpi in report.kpis:
        row[f"fill_{kpi.tier}"] = kpi.parts_on_hand_probability
    row["targets_missed"] = len(report.of_kind(STOCK_TARGET_MISSED))
    row["violations"] = len(report.violations)
    return row


@suite("inventory")
def run_inventory(request: SuiteRequest) -> dict[str, Any]:
    """Frontier method vs. the naive per-part rule on generated M and L scenarios."""
    sizes = tuple(s.upper() for s in request.sizes) or SIZES
    networks = request.instances or NETWORKS
    rows = []
    for size in sizes:
        base = generate_scenario(size, request.seed)
        for network in networks:
            depot_of_site = serving(base, network)
            scenario = checked_scenario(base, depot_of_site)
            started = time.perf_counter()
            data = compile_stock(scenario, depot_of_site)
            ours = solve_inventory(scenario, data, request.time_limit_seconds)
            ours_seconds = time.perf_counter() - started
            started = time.perf_counter()
            naive = naive_stock(compile_stock(scenario, depot_of_site))
            naive_seconds = time.perf_counter() - started
            head = {
                "size": size,
                "network": network,
                "pools": data.pools,
                "pairs": int(data.demand_per_year.nnz),
                "targets": len(ours.targets),
            }
            ours_row = {**head, **measure(scenario, ours, ours_seconds, "frontier")}
            naive_row = {**head, **measure(scenario, naive, naive_seconds, "naive")}
            saving = 1 - ours_row["cost_per_year"] / naive_row["cost_per_year"]
            ours_row["saving_vs_naive"] = saving
            ours_row["within_time_limit"] = ours_seconds <= SECONDS_LIMIT.get(size, np.inf)
            rows += [ours_row, naive_row]
    ours_rows = [r for r in rows if r["method"] == "frontier"]
    return {
        "suite": "inventory",
        "time_limit_seconds": request.time_limit_seconds,
        "seed": request.seed,
        "rows": rows,
        "summary": {
            "runs": len(ours_rows),
            "all_targets_met": all(r["targets_missed"] == 0 for r in rows),
            "all_plans_valid": all(r["violations"] == 0 for r in rows),
            "saving_vs_naive_min": min((r["saving_vs_naive"] for r in ours_rows), default=None),
            "saving_vs_naive_max": max((r["saving_vs_naive"] for r in ours_rows), default=None),
            "frontier_seconds_max": max((r["seconds"] for r in ours_rows), default=None),
            "all_within_time_limits": all(r["within_time_limit"] for r in ours_rows),
        },
    }
