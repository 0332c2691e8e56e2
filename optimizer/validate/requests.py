"""Request bookkeeping of the routing section: served once, or listed as unserved, and its costs.

Lateness counts a served request as late when its first stop arrives after the due time (+ the
time tolerance); the penalty of an unserved request depends on whether it is deferrable.
"""

from __future__ import annotations

from collections import defaultdict

from aftersales.optimizer.schema import Plan, Request
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
    """Σ unserved: deferral_penalty if deferrable, else unserved_penalty."""
    costs = ctx.scenario.costs
    return sum(costs.deferral_penalty if r.deferrable else costs.unserved_penalty for r in unserved)
