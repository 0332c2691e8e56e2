"""Request bookkeeping of the routing section: served once, or listed as unserved, and its costs.

Lateness counts a served request as late when its first stop arrives after the due time (+ the
time tolerance); the penalty of an unserved request depends on whether it is deferrable, due
after the horizon, and on its tier.
"""

from __future__ import annotations

from collections import defaultdict

from aftersales.optimizer.schema import MINUTES_PER_DAY, Plan, Request
from aftersales.optimizer.validate.context import Context
from aftersales.optimizer.validate.report import (
    DUPLICATE_ENTRY,
    REQUEST_MISSING,
    SERVED_AND_UNSERVED,
    TIME_TOLERANCE_MINUTES,
    UNKNOWN_REFERENCE,
    Collector,
    pointer,
)


def check_unserved(
    ctx: Context,
    plan: Plan,
    first_stop: dict[str, tuple[int, int]],
    decided: bool,
    out: Collector,
) -> list[Request]:
    """Each request appears exactly once in stops ∪ unserved; returns the valid unserved."""
    unserved: dict[str, int] = {}
    for k, entry in enumerate(plan.unserved):
        path = pointer("unserved", k, "request")
        if entry.request not in ctx.requests:
            out.add(UNKNOWN_REFERENCE, path, f"unknown request '{entry.request}'")
            continue
        if entry.request in unserved:
            first = unserved[entry.request]
            out.add(
                DUPLICATE_ENTRY, path, f"request '{entry.request}' listed twice (/unserved/{first})"
            )
            continue
        unserved[entry.request] = k
        if entry.request in first_stop:
            a, b = first_stop[entry.request]
            out.add(
                SERVED_AND_UNSERVED,
                path,
                f"request '{entry.request}' is also served at /routes/{a}/stops/{b}",
            )
    if decided:
        for request in ctx.scenario.requests:
            if request.id not in first_stop and request.id not in unserved:
                out.add(
                    REQUEST_MISSING,
                    pointer("unserved"),
                    f"request '{request.id}' is neither served nor listed as unserved",
                )
    return [ctx.requests[r] for r in unserved]


def lateness_credits(ctx: Context, arrival: dict[str, float]) -> float:
    """Σ sites min(late requests × credit_per_breach, credit_cap_per_year)."""
    late: dict[str, int] = defaultdict(int)
    for request_id, arrived in arrival.items():
        request = ctx.requests[request_id]
        if arrived > ctx.due_minute(request) + TIME_TOLERANCE_MINUTES:
            late[request.site] += 1
    total = 0.0
    for site, count in late.items():
        tier = ctx.tier_of(site)
        total += min(count * tier.credit_per_breach, tier.credit_cap_per_year)
    return total


def unserved_penalty(ctx: Context, unserved: list[Request]) -> float:
    """Σ unserved: deferral_penalty if deferrable or due after the horizon (carried over, not
    late), else unserved_penalty + the tier's credit_per_breach (an unserved call breaches)."""
    costs = ctx.scenario.costs
    horizon_end = ctx.scenario.policy.horizon_days * MINUTES_PER_DAY
    total = 0.0
    for r in unserved:
        if r.deferrable or ctx.due_minute(r) > horizon_end:
            total += costs.deferral_penalty
        else:
            total += costs.unserved_penalty + ctx.tier_of(r.site).credit_per_breach
    return total
