"""Forecast attainment per tier, recomputed with the validator's own reach, parts-per-call and
queueing code (docs/semantics.md, "Attainment and staffing").

Per site: reach (within promise from the serving depot), parts (probability every part a call
needs is on hand; 1 when the emergency delay fits inside the promise), technician (probability
the call waits at most its slack for a free technician of its pool, Erlang C). Per tier: the
call-weighted mean of their product, and of each factor.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from aftersales.optimizer.validate.context import Context
from aftersales.optimizer.validate.network import NetworkOutcome
from aftersales.optimizer.validate.report import (
    ATTAINMENT_TARGET_MISSED,
    RELATIVE_TOLERANCE,
    TIME_TOLERANCE_MINUTES,
    Collector,
    pointer,
)
from aftersales.optimizer.validate.staffing import StaffingOutcome
from aftersales.optimizer.validate.stock import StockOutcome, pool_of


@dataclass
class TierAttainment:
    """Call-weighted sums of one tier (divide by ``calls``)."""

    calls: float = 0.0
    attained: float = 0.0
    reach: float = 0.0
    parts: float = 0.0
    on_hand: float = 0.0
    technician: float = 0.0
    parts_calls: float = 0.0
    """Calls of sites with part demand (parts_on_hand_probability is null without any)."""

    def share(self, total: float) -> float | None:
        return total / self.calls if self.calls > 0 else None


def tier_attainment(
    ctx: Context, network: NetworkOutcome, stock: StockOutcome, staffing: StaffingOutcome
) -> dict[str, TierAttainment]:
    """Tier id → call-weighted sums of attainment and its factors."""
    out: dict[str, TierAttainment] = defaultdict(TierAttainment)
    delay = ctx.scenario.costs.emergency_delay_minutes
    dispatch = ctx.scenario.costs.dispatch_minutes
    for site in ctx.scenario.sites:
        tier = ctx.tiers[site.tier]
        depot = network.serving.get(site.id)
        reach = 1.0 if depot is not None and network.within.get(site.id, False) else 0.0
        minutes = network.minutes[site.id] if depot is not None else math.inf
        slack_hours = max(0.0, tier.response_minutes - dispatch - minutes) / 60.0
        sums = out[site.tier]
        has_parts = False
        for product_id, units in site.installed_base.items():
            product = ctx.products[product_id]
            calls = units * product.failure_rate_per_unit_year
            on_hand = _on_hand(ctx, stock, site.id, depot, product.parts)
            has_parts |= bool(product.parts)
            parts = 1.0 if tier.response_minutes >= delay or not stock.decided else on_hand
            technician = _technician_free(staffing, depot, product.skill, slack_hours)
            sums.calls += calls
            sums.reach += calls * reach
            sums.parts += calls * parts
            sums.on_hand += calls * on_hand
            sums.technician += calls * technician
            sums.attained += calls * reach * parts * technician
        if has_parts:
            sums.parts_calls += ctx.rates[site.id].failures_per_year
    return dict(out)


def _on_hand(ctx: Context, stock: StockOutcome, site: str, depot: str | None, parts: list) -> float:
    """Probability every part a call of the product needs is on hand (1 without stock)."""
    if not stock.decided:
        return 1.0
    probability = 1.0
    for usage in parts:
        fill = stock.fill.get((*pool_of(ctx, site, depot), usage.part), 0.0) if depot else 0.0
        probability *= 1.0 - usage.probability * (1.0 - fill)
    return probability


def _technician_free(
    staffing: StaffingOutcome, depot: str | None, skill: str, slack_hours: float
) -> float:
    """P(wait ≤ slack) in the pool's M/M/c queue; 1 when technicians are not modelled."""
    if not staffing.modelled:
        return 1.0
    if depot is None:
        return 0.0
    count = staffing.headcount.get((depot, skill), 0)
    pool = staffing.pools.get((depot, skill))
    if pool is None or pool.load_erlangs <= 0:
        return 1.0 if count > 0 else 0.0
    if count <= pool.load_erlangs:
        return 0.0
    decay = (count - pool.load_erlangs) / pool.mean_service_hours
    return 1.0 - staffing.wait((depot, skill)) * math.exp(-decay * slack_hours)


def unreachable_sites(ctx: Context) -> dict[str, list[str]]:
    """Tier id → its sites that no candidate depot reaches within the promise."""
    depots = list(ctx.depots)
    out: dict[str, list[str]] = defaultdict(list)
    if not depots:
        return out
    site_ids = [s.id for s in ctx.scenario.sites]
    minutes = ctx.travel.minutes(depots, site_ids).min(axis=0)
    for site_id, nearest in zip(site_ids, minutes, strict=True):
        tier = ctx.tier_of(site_id)
        if ctx.scenario.costs.dispatch_minutes + nearest > (
            tier.response_minutes + TIME_TOLERANCE_MINUTES
        ):
            out[tier.id].append(site_id)
    return out


def check_attainment(
    ctx: Context, decided: bool, forecasts: dict[str, float | None], out: Collector
) -> None:
    """Every tier's forecast attainment reaches its target (within 1e-6), in every policy.

    Binding or priced, a plan that misses a tier's target breaks the promise: under ``priced``
    the miss is a choice of the model (breaches cost less than keeping the target), but the plan
    still does not keep the contract, so it is a violation all the same (``aftersales validate``
    exits 1). Checked only when the plan decides the network (``assignments`` not empty and no
    network layer reported as skipped, i.e. today's network): a plan of other layers over
    today's network is not answerable for it (its KPIs still say whether the target is met).
    """
    if not decided:
        return
    policy = ctx.scenario.policy.attainment
    for i, tier in enumerate(ctx.scenario.tiers):
        value = forecasts.get(tier.id)
        if value is not None and value < tier.attainment_target - RELATIVE_TOLERANCE:
            out.add(
                ATTAINMENT_TARGET_MISSED,
                pointer("kpis", i, "forecast_attainment"),
                f"tier '{tier.id}': forecast attainment {value:.4f} < target "
                f"{tier.attainment_target} ({policy} policy)",
            )
