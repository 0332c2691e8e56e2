"""Suite ``contract``: what keeping the contract costs, side by side with the alternatives.

For every size (default S, M and L) three plans of the same generated scenario, in one run:

* ``binding`` — the product's default solve (``policy.attainment = "binding"``): every tier's
  forecast attainment at least its target, jointly with stock and staffing.
* ``priced`` — the same solve with ``policy.attainment = "priced"``: breaches cost their
  credits and a contract whose credits reach the cap costs its fee.
* ``rule_of_thumb`` — what a planner does without the model: today's network (each site at
  today's depot, ``current_network``), one fill rate (every part of a pool at the pool's highest
  tier target, ``naive_stock``) and staff sized to 80 % utilisation (headcount per depot and
  skill pool = ⌈workload / (0.8 × technician_hours_per_year)⌉: today's technicians kept up to
  it, the rest released, the shortfall hired).

Each plan is solved on the network and inventory layers, checked by the validator against the
scenario and simulated (5 replications × 1 year, seed = the run's seed) with the default
settings (calls in each tier's service hours, on-call roster). Per tier: target, forecast,
simulated attainment with its 95 % CI, verified (lower bound ≥ target), fees, cost to serve
and margin (``simulate.economics``). Per plan: status, violations other than missed targets,
recurring cost per year (fees at risk included when priced), one-off cost, simulated credits,
and the recurring cost with the simulated credits in place of the expected ones. The summary
gives, per size, the cost of keeping the contract: binding minus priced and binding minus rule
of thumb, on both figures.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any

import numpy as np

from aftersales.benchmarks.registry import SuiteRequest, suite
from aftersales.datasets.generator import generate_scenario
from aftersales.optimizer.inventory import compile_stock, naive_stock
from aftersales.optimizer.network import compile_network, current_network
from aftersales.optimizer.pipeline import solve
from aftersales.optimizer.schema import Plan, Scenario, SolveOptions
from aftersales.optimizer.simulate import SimulationSettings, simulate
from aftersales.optimizer.simulate.economics import recurring_cost_per_year, tier_economics
from aftersales.optimizer.staffing.data import StaffingDecision, compile_staffing
from aftersales.optimizer.staffing.plan import staffing_levels, technician_bases
from aftersales.optimizer.validate import ATTAINMENT_TARGET_MISSED, validate

logger = logging.getLogger("aftersales.benchmarks")

SIZES = ("S", "M", "L")
TIME_LIMITS = {"S": 30.0, "M": 60.0, "L": 120.0}
"""Wall-clock seconds per solve and size (network + inventory)."""
REPLICATIONS = 5
RULE_OF_THUMB_UTILISATION = 0.8
PLANS = ("binding", "priced", "rule_of_thumb")


def rule_of_thumb_plan(scenario: Scenario) -> Plan:
    """Today's network, one fill rate, staff at 80 % utilisation (module docstring)."""
    started = time.perf_counter()
    data = compile_network(scenario)
    network = current_network(data)
    assignments = network.assignments(data)
    depot_of_site = {a.site: a.depot for a in assignments}
    stock = naive_stock(compile_stock(scenario, depot_of_site))
    plan = Plan(
        status="feasible",
        scenario=scenario.name,
        depots=network.depot_decisions(data),
        assignments=assignments,
        stock=stock.stock,
    )
    staffing = compile_staffing(scenario, free_probability=0.0)
    if staffing is not None:
        site_depot = network.depot_of_site
        headcount = np.zeros_like(staffing.existing)
        per_technician = RULE_OF_THUMB_UTILISATION * staffing.hours_per_technician
        for k in range(len(staffing.skills)):
            work = staffing.work_hours(data.minutes, k)[np.arange(len(site_depot)), site_depot]
            hours = np.bincount(site_depot, weights=work, minlength=len(staffing.depot_ids))
            headcount[:, k] = [math.ceil(h / per_technician - 1e-9) for h in hours]
        headcount[~network.is_open] = 0
        decision = StaffingDecision(
            headcount=headcount,
            hired=np.maximum(0, headcount - staffing.existing),
            released=np.maximum(0, staffing.existing - headcount),
            moved_in=np.zeros_like(headcount),
            moved_out=np.zeros_like(headcount),
        )
        bases = technician_bases(scenario, staffing, decision)
        plan = plan.model_copy(
            update={
                "staffing": staffing_levels(
                    staffing, headcount, network.is_open, site_depot, data.minutes
                ),
                "technician_bases": bases,
            }
        )
    recomputed = validate(scenario, plan)
    plan = plan.model_copy(update={"costs": recomputed.costs, "kpis": recomputed.kpis})
    missed = validate(scenario, plan).of_kind(ATTAINMENT_TARGET_MISSED)
    logger.info("rule of thumb in %.1f s", time.perf_counter() - started)
    return plan.model_copy(update={"status": "target_missed" if missed else "feasible"})


def priced(scenario: Scenario) -> Scenario:
    """The scenario under ``policy.attainment = "priced"``."""
    policy = scenario.policy.model_copy(update={"attainment": "priced"})
    return scenario.model_copy(update={"policy": policy})


def plan_rows(
    size: str, name: str, scenario: Scenario, plan: Plan, seconds: float, seed: int
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One summary row for the plan and one row per tier."""
    verdict = validate(scenario, plan)
    broken = [v for v in verdict.violations if v.kind != ATTAINMENT_TARGET_MISSED]
    result = simulate(scenario, plan, SimulationSettings(1.0, REPLICATIONS, seed=seed, workers=2))
    economics = {e.tier: e for e in tier_economics(scenario, plan, result)}
    kpis = {k.tier: k for k in verdict.kpis}
    costs = plan.costs
    one_off = costs.depot_change_one_off + costs.site_moves_one_off + costs.staffing_changes_one_off
    recurring = recurring_cost_per_year(costs)
    simulated_credits = sum(t.credits_per_year for t in result.tiers)
    at_risk = sum(e.contracts_at_risk_per_year for e in economics.values())
    tiers = []
    for t in result.tiers:
        e, k = economics[t.tier], kpis[t.tier]
        tiers.append(
            {
                "size": size,
                "plan": name,
                "tier": t.tier,
                "target": t.attainment_target,
                "forecast": k.forecast_attainment,
                "simulated": t.attainment,
                "ci_low": t.ci_low,
                "ci_high": t.ci_high,
                "verified": bool(t.ci_low >= t.attainment_target),
                "within_2_points": bool(t.ci_low >= t.attainment_target - 0.02),
                "calls_per_year": t.calls_per_year,
                "breaches_per_year": t.breaches_per_year,
                "fees_per_year": e.fees_per_year,
                "cost_to_serve_per_year": e.cost_to_serve_per_year,
                "margin_per_year": e.margin_per_year,
                "simulated_credits_per_year": t.credits_per_year,
            }
        )
    summary = {
        "size": size,
        "plan": name,
        "status": plan.status,
        "seconds": seconds,
        "violations": len(broken),
        "violation_kinds": sorted({v.kind for v in broken}),
        "targets_missed": len(verdict.of_kind(ATTAINMENT_TARGET_MISSED)),
        "recurring_cost_per_year": recurring,
        "one_off_cost": one_off,
        "simulated_credits_per_year": simulated_credits,
        "contracts_at_risk_per_year": at_risk,
        "cost_with_simulated_credits_per_year": recurring
        - costs.expected_credits_per_year
        + simulated_credits,
        "technicians": sum(s.technicians for s in plan.staffing),
        "open_depots": len(plan.open_depots()),
        "stock_units": sum(s.level for s in plan.stock),
        "margin_per_year": sum(e.margin_per_year for e in economics.values()),
        "simulation_seconds": result.seconds,
    }
    return summary, tiers


@suite("contract")
def run_contract(request: SuiteRequest) -> dict[str, Any]:
    """Binding, priced and rule-of-thumb plans on S/M/L, simulated, side by side."""
    rows: list[dict[str, Any]] = []
    tier_rows: list[dict[str, Any]] = []
    for size in tuple(s.upper() for s in request.sizes) or SIZES:
        limit = request.time_limit_seconds if request.time_limit_given else TIME_LIMITS[size]
        scenario = generate_scenario(size, seed=request.seed)
        options = SolveOptions(
            time_limit_seconds=limit, seed=request.seed, layers=["network", "inventory"]
        )
        plans: dict[str, tuple[Scenario, Plan, float]] = {}
        for name in PLANS:
            started = time.perf_counter()
            if name == "binding":
                plan, judged = solve(scenario, options), scenario
            elif name == "priced":
                judged = priced(scenario)
                plan = solve(judged, options)
            else:
                plan, judged = rule_of_thumb_plan(scenario), scenario
            plans[name] = (judged, plan, time.perf_counter() - started)
        for name, (judged, plan, seconds) in plans.items():
            summary, tiers = plan_rows(size, name, judged, plan, seconds, request.seed)
            rows.append(summary)
            tier_rows += tiers
            logger.info("contract %s %s: %s", size, name, summary)
    return {
        "suite": "contract",
        "seed": request.seed,
        "replications": REPLICATIONS,
        "rows": rows,
        "tiers": tier_rows,
        "summary": closing_note(rows, tier_rows),
    }


def closing_note(rows: list[dict[str, Any]], tier_rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Per size: the cost of keeping the contract against priced and the rule of thumb."""
    out: dict[str, Any] = {}
    for size in dict.fromkeys(r["size"] for r in rows):
        by_plan = {r["plan"]: r for r in rows if r["size"] == size}
        binding = by_plan["binding"]
        note: dict[str, Any] = {
            "binding_all_tiers_verified": all(
                t["verified"] for t in tier_rows if t["size"] == size and t["plan"] == "binding"
            ),
            "binding_all_within_2_points": all(
                t["within_2_points"]
                for t in tier_rows
                if t["size"] == size and t["plan"] == "binding"
            ),
            "binding_valid": binding["violations"] == 0,
        }
        for other in ("priced", "rule_of_thumb"):
            row = by_plan[other]
            note[f"binding_minus_{other}_recurring"] = (
                binding["recurring_cost_per_year"] - row["recurring_cost_per_year"]
            )
            note[f"binding_minus_{other}_with_simulated_credits"] = (
                binding["cost_with_simulated_credits_per_year"]
                - row["cost_with_simulated_credits_per_year"]
            )
            note[f"{other}_tiers_verified"] = sum(
                t["verified"] for t in tier_rows if t["size"] == size and t["plan"] == other
            )
        out[size] = note
    return out
