"""Forecast service per tier (TierKpi), recomputed, and the check of reported KPIs.

Coverage uses each site's serving depot (see ``network``); a site without one is not within
its promise. ``parts_on_hand_probability`` is per call: the call-weighted probability that every
part a call needs is on hand (``attainment``); a site without a serving depot counts with fill 0;
it is None when the stock layer did not run or the tier's sites have no part demand. The
attainment fields come from ``attainment.tier_attainment``.
"""

from __future__ import annotations

from collections import defaultdict

from aftersales.optimizer.schema import Plan, TierKpi
from aftersales.optimizer.validate.attainment import (
    TierAttainment,
    tier_attainment,
    unreachable_sites,
)
from aftersales.optimizer.validate.context import Context
from aftersales.optimizer.validate.network import NetworkOutcome
from aftersales.optimizer.validate.report import (
    DUPLICATE_ENTRY,
    KPI_MISMATCH,
    RELATIVE_TOLERANCE,
    TIME_TOLERANCE_MINUTES,
    UNKNOWN_REFERENCE,
    Collector,
    pointer,
    same_value,
)
from aftersales.optimizer.validate.routes import RouteOutcome
from aftersales.optimizer.validate.staffing import StaffingOutcome
from aftersales.optimizer.validate.stock import StockOutcome

SIMULATED_PREFIX = "simulated_"
"""TierKpi fields written by the simulation; the validator does not compare them."""
NOT_RECOMPUTED = frozenset(
    {"verified", "best_reachable_attainment", "cost_to_meet_target", "miss_reason"}
)
"""TierKpi fields set by the verify loop or the solver's diagnosis; not compared either."""


def tier_kpis(
    ctx: Context,
    network: NetworkOutcome,
    stock: StockOutcome,
    routes: RouteOutcome,
    staffing: StaffingOutcome,
) -> list[TierKpi]:
    """One TierKpi per scenario tier, in scenario order."""
    attainment = tier_attainment(ctx, network, stock, staffing)
    unreachable = unreachable_sites(ctx)
    sites: dict[str, int] = defaultdict(int)
    within: dict[str, int] = defaultdict(int)
    for site in ctx.scenario.sites:
        sites[site.tier] += 1
        within[site.tier] += network.within.get(site.id, False)
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
    kpis = []
    for t in ctx.scenario.tiers:
        sums = attainment.get(t.id, TierAttainment())
        forecast = sums.share(sums.attained)
        floor = t.attainment_target - RELATIVE_TOLERANCE
        on_hand = sums.share(sums.on_hand) if stock.decided and sums.parts_calls > 0 else None
        kpis.append(
            TierKpi(
                tier=t.id,
                sites=sites[t.id],
                sites_within_promise=within[t.id],
                coverage_share=within[t.id] / sites[t.id] if sites[t.id] else 0.0,
                parts_on_hand_probability=on_hand,
                forecast_attainment=forecast,
                reach_share=sums.share(sums.reach),
                parts_share=sums.share(sums.parts),
                technician_share=sums.share(sums.technician) if staffing.modelled else None,
                target_met=None if forecast is None else forecast >= floor,
                unreachable_sites=unreachable.get(t.id, []),
                requests=requests[t.id],
                requests_served=served[t.id],
                requests_on_time=on_time[t.id],
                attainment_target=t.attainment_target,
            )
        )
    return kpis


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
