"""Network checks (plan sections ``depots`` and ``assignments``) and the network costs.

When ``plan.depots`` is empty, which depots are open is not decided: no closed-depot or
depot-count check is made and the depot fixed and change costs are 0. When
``plan.assignments`` is empty, the network layer did not run: no assignment checks are made
and site moves, network travel and expected credits are 0; the *serving depot* of a site is
then its scenario ``depot`` (today's), used for coverage KPIs and stock pools only.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

from aftersales.optimizer.schema import Plan
from aftersales.optimizer.validate.context import Context
from aftersales.optimizer.validate.report import (
    ASSIGNMENT_MISMATCH,
    CLOSED_DEPOT,
    DEPOT_COUNT,
    DUPLICATE_ENTRY,
    HARD_TIER_BREACH,
    NO_ROAD_PATH,
    OVER_CAPACITY,
    RELATIVE_TOLERANCE,
    SITE_UNASSIGNED,
    UNKNOWN_REFERENCE,
    Collector,
    pointer,
    same_time,
)


@dataclass
class NetworkOutcome:
    """What later checks need from the network section, and its recomputed costs."""

    open_depots: frozenset[str] | None
    """Open depot ids, or None when plan.depots is empty (not decided)."""
    serving: dict[str, str]
    """Site id → depot serving it (assigned, else today's when assignments are empty)."""
    within: dict[str, bool]
    """Site id → within its tier's promise from its serving depot."""
    costs: dict[str, float] = field(default_factory=dict)
    minutes: dict[str, float] = field(default_factory=dict)
    """Site id → travel minutes from its serving depot."""


def check_network(ctx: Context, plan: Plan, out: Collector) -> NetworkOutcome:
    """Check depot decisions and assignments; recompute coverage and network costs."""
    decisions = _check_depot_decisions(ctx, plan, out)
    open_depots = (
        frozenset(d for d, i in decisions.items() if plan.depots[i].open) if plan.depots else None
    )
    _check_depot_count(ctx, open_depots, out)
    costs = _depot_costs(ctx, open_depots)
    if not plan.assignments:
        serving = {s.id: s.depot for s in ctx.scenario.sites if s.depot is not None}
        minutes, _ = _depot_to_site(ctx, serving)
        within = {s: ctx.within_promise(s, m) for s, m in minutes.items()}
        costs |= {
            "site_moves_one_off": 0.0,
            "network_travel_per_year": 0.0,
            "expected_credits_per_year": 0.0,
            "contracts_at_risk_per_year": 0.0,
        }
        return NetworkOutcome(open_depots, serving, within, costs, minutes)

    chosen = _check_assignment_entries(ctx, plan, open_depots, out)
    serving = {site: plan.assignments[i].depot for site, i in chosen.items()}
    minutes, km = _depot_to_site(ctx, serving)
    within = _check_promises(ctx, plan, chosen, minutes, out)
    _check_capacity(ctx, plan, chosen, decisions, out)
    costs |= _assignment_costs(ctx, serving, km, within)
    return NetworkOutcome(open_depots, serving, within, costs, minutes)


def _check_depot_decisions(ctx: Context, plan: Plan, out: Collector) -> dict[str, int]:
    """Depot id → index of its (first) decision; unknown and repeated ids are violations."""
    decisions: dict[str, int] = {}
    for i, decision in enumerate(plan.depots):
        path = pointer("depots", i, "id")
        if decision.id not in ctx.depots:
            out.add(UNKNOWN_REFERENCE, path, f"unknown depot '{decision.id}'")
        elif decision.id in decisions:
            out.add(DUPLICATE_ENTRY, path, f"depot '{decision.id}' decided twice")
        else:
            decisions[decision.id] = i
    return decisions


def _check_depot_count(ctx: Context, open_depots: frozenset[str] | None, out: Collector) -> None:
    """Open depot count within the policy bounds (when depots are decided)."""
    if open_depots is None:
        return
    policy, count = ctx.scenario.policy, len(open_depots)
    if policy.min_open_depots is not None and count < policy.min_open_depots:
        out.add(
            DEPOT_COUNT,
            pointer("depots"),
            f"{count} open depots, policy min_open_depots is {policy.min_open_depots}",
        )
    if policy.max_open_depots is not None and count > policy.max_open_depots:
        out.add(
            DEPOT_COUNT,
            pointer("depots"),
            f"{count} open depots, policy max_open_depots is {policy.max_open_depots}",
        )


def _depot_costs(ctx: Context, open_depots: frozenset[str] | None) -> dict[str, float]:
    """Fixed cost of open depots per year; opening of new plus closing of existing, one-off."""
    if open_depots is None:
        return {"depot_fixed_per_year": 0.0, "depot_change_one_off": 0.0}
    fixed = change = 0.0
    for depot in ctx.scenario.depots:
        is_open = depot.id in open_depots
        if is_open:
            fixed += depot.fixed_cost_per_year
        if is_open and not depot.existing:
            change += depot.opening_cost
        elif depot.existing and not is_open:
            change += depot.closing_cost
    return {"depot_fixed_per_year": fixed, "depot_change_one_off": change}


def _check_assignment_entries(
    ctx: Context, plan: Plan, open_depots: frozenset[str] | None, out: Collector
) -> dict[str, int]:
    """Site id → index of its valid assignment; reports unknown ids, repeats, closed depots."""
    chosen: dict[str, int] = {}
    listed: set[str] = set()
    for i, assignment in enumerate(plan.assignments):
        listed.add(assignment.site)
        known = True
        if assignment.site not in ctx.sites:
            out.add(
                UNKNOWN_REFERENCE,
                pointer("assignments", i, "site"),
                f"unknown site '{assignment.site}'",
            )
            known = False
        if assignment.depot not in ctx.depots:
            out.add(
                UNKNOWN_REFERENCE,
                pointer("assignments", i, "depot"),
                f"unknown depot '{assignment.depot}'",
            )
            known = False
        if not known:
            continue
        if assignment.site in chosen:
            out.add(
                DUPLICATE_ENTRY,
                pointer("assignments", i, "site"),
                f"site '{assignment.site}' assigned twice "
                f"(first at /assignments/{chosen[assignment.site]})",
            )
            continue
        chosen[assignment.site] = i
        if open_depots is not None and assignment.depot not in open_depots:
            out.add(
                CLOSED_DEPOT,
                pointer("assignments", i, "depot"),
                f"site '{assignment.site}' is assigned to depot '{assignment.depot}', "
                "which the plan does not keep open",
            )
    for site in ctx.scenario.sites:
        if site.id not in listed:
            out.add(SITE_UNASSIGNED, pointer("assignments"), f"site '{site.id}' has no depot")
    return chosen


def _depot_to_site(
    ctx: Context, serving: dict[str, str]
) -> tuple[dict[str, float], dict[str, float]]:
    """Depot→site minutes and km per site, one vectorised lookup per depot."""
    by_depot: dict[str, list[str]] = defaultdict(list)
    for site, depot in serving.items():
        by_depot[depot].append(site)
    minutes: dict[str, float] = {}
    km: dict[str, float] = {}
    for depot, sites in by_depot.items():
        minutes.update(zip(sites, ctx.travel.minutes([depot], sites)[0].tolist(), strict=True))
        km.update(zip(sites, ctx.travel.km([depot], sites)[0].tolist(), strict=True))
    return minutes, km


def _check_promises(
    ctx: Context, plan: Plan, chosen: dict[str, int], minutes: dict[str, float], out: Collector
) -> dict[str, bool]:
    """Recompute travel and within-promise per assignment; hard tiers must be within."""
    within: dict[str, bool] = {}
    for site, i in chosen.items():
        assignment = plan.assignments[i]
        travel = minutes[site]
        within[site] = ctx.within_promise(site, travel)
        if not math.isfinite(travel):
            out.add(
                NO_ROAD_PATH,
                pointer("assignments", i, "depot"),
                f"no road path from depot '{assignment.depot}' to site '{site}'",
            )
            continue
        if not same_time(assignment.travel_minutes, travel):
            out.add(
                ASSIGNMENT_MISMATCH,
                pointer("assignments", i, "travel_minutes"),
                f"travel_minutes {assignment.travel_minutes} reported, {travel} recomputed "
                f"(depot '{assignment.depot}' to site '{site}')",
            )
        if assignment.within_promise != within[site]:
            out.add(
                ASSIGNMENT_MISMATCH,
                pointer("assignments", i, "within_promise"),
                f"within_promise {assignment.within_promise} reported, {within[site]} "
                f"recomputed for site '{site}'",
            )
        tier = ctx.tier_of(site)
        if tier.hard and not within[site]:
            reach = ctx.scenario.costs.dispatch_minutes + travel
            out.add(
                HARD_TIER_BREACH,
                pointer("assignments", i, "depot"),
                f"site '{site}' of hard tier '{tier.id}' is reached in {reach} min from depot "
                f"'{assignment.depot}', promise is {tier.response_minutes} min",
            )
    return within


def _check_capacity(
    ctx: Context, plan: Plan, chosen: dict[str, int], decisions: dict[str, int], out: Collector
) -> None:
    """Σ visits_per_year of each depot's sites within its capacity_calls_per_year."""
    load: dict[str, float] = defaultdict(float)
    first: dict[str, int] = {}
    for site, i in chosen.items():
        depot = plan.assignments[i].depot
        load[depot] += ctx.rates[site].visits_per_year
        first.setdefault(depot, i)
    for depot, calls in load.items():
        capacity = ctx.depots[depot].capacity_calls_per_year
        if capacity is None or calls <= capacity + RELATIVE_TOLERANCE * max(1.0, capacity):
            continue
        path = (
            pointer("depots", decisions[depot])
            if depot in decisions
            else pointer("assignments", first[depot])
        )
        out.add(
            OVER_CAPACITY,
            path,
            f"depot '{depot}' gets {calls} visits/year, capacity is {capacity}",
        )


def _assignment_costs(
    ctx: Context, serving: dict[str, str], km: dict[str, float], within: dict[str, bool]
) -> dict[str, float]:
    """Site moves (one-off), expected visit travel, capped expected credits (per year) and, in
    priced mode, the fees of contracts at risk (credits reaching a positive cap)."""
    costs = ctx.scenario.costs
    priced = ctx.scenario.policy.attainment == "priced"
    moves = travel = credits = at_risk = 0.0
    for site_id, depot in serving.items():
        site, rates = ctx.sites[site_id], ctx.rates[site_id]
        if site.depot is not None and site.depot != depot:
            moves += costs.change_cost_per_site
        if math.isfinite(km[site_id]):  # else no road path: a violation, not a price
            travel += rates.visits_per_year * 2 * km[site_id] * costs.travel_cost_per_km
        if not within[site_id]:
            tier = ctx.tiers[site.tier]
            uncapped = rates.failures_per_year * tier.credit_per_breach
            credits += min(uncapped, tier.credit_cap_per_year)
            if priced and 0 < tier.credit_cap_per_year <= uncapped:
                at_risk += tier.annual_fee
    return {
        "site_moves_one_off": moves,
        "network_travel_per_year": travel,
        "expected_credits_per_year": credits,
        "contracts_at_risk_per_year": at_risk,
    }
