"""Suite ``routing``: the optimising router against greedy dispatch on generated scenarios.

For each size (default M and L) the scenario ``generate_scenario(size, seed)`` is routed by
``solve_routing`` (within the time limit) and by ``greedy_dispatch`` in the same run, on the same
compiled data (today's depots, no stock layer). Both plans are checked by
``aftersales.optimizer.validate``; each row reports cost, SLA-met share per tier (requests reached
by their due time / requests of the tier), travel km, paid route minutes (waiting included),
overtime minutes and unserved counts, in total and by reason.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from typing import Any, get_args

from aftersales.benchmarks.registry import SuiteRequest, suite
from aftersales.datasets.generator import generate_scenario
from aftersales.optimizer.routing import (
    RoutingResult,
    compile_routing,
    greedy_dispatch,
    solve_routing,
)
from aftersales.optimizer.routing.data import RoutingData
from aftersales.optimizer.schema import Scenario, Unserved
from aftersales.optimizer.validate import validate

DEFAULT_SIZES = ("M", "L")
TIME_LIMITS_IN_ISSUE = {"M": 30.0, "L": 120.0}
"""The limits the acceptance criteria name; pass them with --time-limit per size."""


UNSERVED_REASONS: tuple[str, ...] = get_args(Unserved.model_fields["reason"].annotation)
"""Every reason a plan may give for an unserved request (the schema's list)."""


def unserved_by_reason(unserved: Iterable[Unserved]) -> dict[str, int]:
    """``unserved REASON`` → count, every reason listed (zeros too, so a new one is compared)."""
    counts = Counter(u.reason for u in unserved)
    return {f"unserved {reason}": counts[reason] for reason in UNSERVED_REASONS}


def _figures(scenario: Scenario, data: RoutingData, result: RoutingResult) -> dict[str, Any]:
    """Validated figures of one routing result."""
    plan = result.to_plan()
    verdict = validate(scenario, plan)
    shifts = {(v.technician, v.day): v.shift_end for v in data.vehicles}
    deferrable = {job.id for job in data.jobs if job.deferrable}
    figures: dict[str, Any] = {
        "valid": verdict.ok,
        "violations": len(verdict.violations),
        "cost": round(result.costs.horizon_total, 2),
        "travel km": round(sum(r.travel_km for r in result.routes), 1),
        "overtime min": round(
            sum(max(0.0, r.end - shifts[r.technician, r.day]) for r in result.routes), 1
        ),
        "unserved": len(result.unserved),
        "unserved must": sum(1 for u in result.unserved if u.request not in deferrable),
        **unserved_by_reason(result.unserved),
        "paid route min": round(sum(r.end - r.start for r in result.routes), 1),
        "seconds": round(result.report.seconds, 2),
    }
    for kpi in verdict.kpis:
        share = kpi.requests_on_time / kpi.requests if kpi.requests else None
        figures[f"SLA met {kpi.tier}"] = None if share is None else round(share, 3)
    return figures


@suite("routing")
def run_suite(request: SuiteRequest) -> dict[str, Any]:
    """Generated M and L (or the chosen sizes): ours and greedy side by side, both validated."""
    rows: list[dict[str, Any]] = []
    for size in request.sizes or DEFAULT_SIZES:
        scenario = generate_scenario(size, seed=request.seed)
        data = compile_routing(scenario)
        started = time.perf_counter()
        ours = solve_routing(
            scenario,
            data,
            request.time_limit_seconds,
            seed=request.seed,
            deterministic=request.deterministic,
        )
        wall = time.perf_counter() - started
        greedy = greedy_dispatch(scenario, data)
        for method, result in (("ours", ours), ("greedy", greedy)):
            row = {
                "size": size,
                "method": method,
                "requests": len(data.jobs),
                "tech-days": len(data.vehicles),
                **_figures(scenario, data, result),
            }
            if method == "ours":
                row["wall s"] = round(wall, 2)
            rows.append(row)
    return {
        "rows": rows,
        "summary": {
            "time_limit_seconds": request.time_limit_seconds,
            "all plans valid": all(r["valid"] for r in rows),
            **{
                f"unserved by reason ({r['size']} {r['method']})": {
                    k.removeprefix("unserved "): v
                    for k, v in r.items()
                    if k.startswith("unserved ") and k != "unserved must"
                }
                for r in rows
            },
        },
    }
