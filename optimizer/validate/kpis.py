"""Forecast service per tier (TierKpi), recomputed, and the check of reported KPIs.

Coverage uses each site's serving depot (see ``network``); a site without one is not within
its promise. ``parts_on_hand_probability`` weights each (site, part) fill by the site's yearly
demand of that part; a site without a serving depot counts with fill 0; it is None when the stock
layer did not run or the tier's sites have no part demand.
"""

from __future__ import annotations

from collections import defaultdict

from aftersales.optimizer.schema import Plan, TierKpi
from aftersales.optimizer.validate.context import Context
from aftersales.optimizer.validate.network import NetworkOutcome
from aftersales.optimizer.validate.report import (
    DUPLICATE_ENTRY,
    KPI_MISMATCH,
    TIME_TOLERANCE_MINUTES,
    UNKNOWN_REFERENCE,
    Collector,
    pointer,
    same_value,
)
from aftersales.optimizer.validate.routes import RouteOutcome
from aftersales.optimizer.validate.stock import StockOutcome, pool_of

SIMULATED_PREFIX = "simulated_"
"""TierKpi fields written by the simulation; the validator does not compare them."""
NOT_RECOMPUTED = frozenset(
    {"verified", "best_reachable_attainment", "cost_to_meet_target", "miss_reason"}
)
"""TierKpi fields set by the verify loop or the solver's diagnosis; not compared either."""


def tier_kpis(
    ctx: Context, network: NetworkOutcome, stock: StockOutcome, routes: RouteOutcome
) -> list[TierKpi]:
    """One TierKpi per scenario tier, in scenario order."""
    sites: dict[str, int] = defaultdict(int)
    within: dict[str, int] = defaultdict(int)
    for site in ctx.scenario.sites:
        sites[site.tier] += 1
        within[site.tier] += network.within.get(site.id, False)
    on_hand = _parts_on_hand(ctx, network, stock) if stock.decided else {}
    requests: dict[str, int] = defaultdict(int)
    served: dict[str, int] = defaultdict(int)
    on_time: dict[str, int] = defaultdict(int)
    for request in ctx.scenario.requests:
        tier = ctx.sites[request.site].tier
        requests[tier] += 1
        arrival = routes.arrival.get(request.id)
        if arrival is not None:
            served[tier] += 1
            on_time[tier] += arrival <= ctx.due_minute(request) + TIME_TOLERANCE_MINUTES
    return [
        TierKpi(
            tier=t.id,
            sites=sites[t.id],
            sites_within_promise=within[t.id],
            coverage_share=within[t.id] / sites[t.id] if sites[t.id] else 0.0,
            parts_on_hand_probability=on_hand.get(t.id),
            requests=requests[t.id],
            requests_served=served[t.id],
            requests_on_time=on_time[t.id],
            attainment_target=t.attainment_target,
        )
        for t in ctx.scenario.tiers
    ]


def _parts_on_hand(ctx: Context, network: NetworkOutcome, stock: StockOutcome) -> dict[str, float]:
    """Tier id → demand-weighted mean fill over its sites and parts (tiers with demand only)."""
    weight: dict[str, float] = defaultdict(float)
    filled: dict[str, float] = defaultdict(float)
    for site in ctx.scenario.sites:
        depot = network.serving.get(site.id)
        pool = pool_of(ctx, site.id, depot) if depot is not None else None
        for part, rate in ctx.rates[site.id].part_demand_per_year.items():
            weight[site.tier] += rate
            if pool is not None:
                filled[site.tier] += rate * stock.fill.get((*pool, part), 0.0)
    return {tier: filled[tier] / w for tier, w in weight.items() if w > 0}


def check_kpis(plan: Plan, kpis: list[TierKpi], out: Collector) -> None:
    """When the plan reports KPIs, each tier's figures must equal the recomputed ones."""
    if not plan.kpis:
        return
    expected = {k.tier: k for k in kpis}
    seen: set[str] = set()
    for i, reported in enumerate(plan.kpis):
        if reported.tier not in expected:
            out.add(
                UNKNOWN_REFERENCE, pointer("kpis", i, "tier"), f"unknown tier '{reported.tier}'"
            )
            continue
        if reported.tier in seen:
            out.add(DUPLICATE_ENTRY, pointer("kpis", i, "tier"), f"tier '{reported.tier}' twice")
            continue
        seen.add(reported.tier)
        _compare_kpi(i, reported, expected[reported.tier], out)
    for tier in expected.keys() - seen:
        out.add(KPI_MISMATCH, pointer("kpis"), f"no KPIs reported for tier '{tier}'")


def _compare_kpi(i: int, reported: TierKpi, recomputed: TierKpi, out: Collector) -> None:
    """Counts must be equal; shares and probabilities equal within the relative tolerance.

    Only the analytic fields are compared: ``simulated_*`` fields come from a Monte-Carlo run
    (aftersales.optimizer.simulate), not from rules the validator can recompute.
    """
    for name in TierKpi.model_fields:
        if name.startswith(SIMULATED_PREFIX) or name in NOT_RECOMPUTED:
            continue
        a, b = getattr(reported, name), getattr(recomputed, name)
        if isinstance(b, str):
            continue
        if a is None or b is None:
            equal = a is b
        elif isinstance(b, (list, int)):
            equal = a == b
        else:
            equal = same_value(a, b)
        if not equal:
            out.add(
                KPI_MISMATCH,
                pointer("kpis", i, name),
                f"tier '{reported.tier}' {name}: {a} reported, {b} recomputed",
            )
