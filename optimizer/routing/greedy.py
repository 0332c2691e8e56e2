"""Baseline dispatch: each job, most urgent first, goes to the qualified technician-day that can
start it earliest, appended at the end of that day. The dispatcher never sends a technician to
restock: a job needs its tools and parts in the van as it is.

This is how a dispatcher works a queue by hand; the optimising router is measured against it.
"""

from __future__ import annotations

import time

from aftersales.optimizer.routing.data import Job, RoutingData, Vehicle, missing_equipment
from aftersales.optimizer.routing.result import RoutingResult, routing_costs
from aftersales.optimizer.routing.schedule import DayRoute, Visit
from aftersales.optimizer.schema import LayerResult, Scenario, Unserved


def qualified(job: Job, vehicle: Vehicle) -> bool:
    """Holds every skill and respects a pinned assignment."""
    return job.skills <= vehicle.skills and job.pinned in (None, vehicle.technician)


def greedy_dispatch(scenario: Scenario, data: RoutingData) -> RoutingResult:
    """Dispatch jobs by due time; unserved jobs are listed with their reason."""
    started = time.perf_counter()
    days = [DayRoute.empty(v) for v in data.vehicles]
    unserved: list[Unserved] = []
    for job in sorted(data.jobs, key=lambda j: (j.due, -j.priority, j.opened, j.id)):
        candidates = [
            d
            for d in days
            if qualified(job, d.vehicle) and missing_equipment(job, d.vehicle) is None
        ]
        best: tuple[float, float, DayRoute, Visit] | None = None
        for day in candidates:
            visit = day.try_append(data, job)
            if visit is not None:
                key = (visit.start, visit.arrival - day.free_at)
                if best is None or key < best[:2]:
                    best = (*key, day, visit)
        if best is not None:
            best[2].append(best[3])
        else:
            unserved.append(why_unserved(data, job, reachable=False))
    routes = [d.to_route(data) for d in days if d.visits]
    costs = routing_costs(scenario, data, routes, unserved)
    report = LayerResult(
        layer="routing",
        status="feasible",
        method="greedy-earliest-qualified-technician",
        objective=costs.horizon_total,
        seconds=time.perf_counter() - started,
        message=f"{len(unserved)} of {len(data.jobs)} requests unserved",
    )
    return RoutingResult(report, routes, unserved, costs)


def why_unserved(data: RoutingData, job: Job, reachable: bool) -> Unserved:
    """The reason a job is unserved, checked in this order (docs/semantics.md).

    ``beyond_horizon`` (due after the horizon: carried over, not late) · ``no_skill`` (no
    technician on shift holds the skills, or the pinned one is absent) · ``no_tool`` /
    ``no_part`` (qualified technicians cannot get the tools or parts, even by restocking) ·
    ``deferred`` (deferrable, left for later) · ``no_time`` (equipped technicians exist but none
    can fit it: ``reachable`` says whether one could reach it alone in time).
    """
    if job.beyond_horizon:
        return Unserved(
            request=job.id,
            reason="beyond_horizon",
            detail=f"due at minute {job.due:g}, after the horizon: carried over, not late",
        )
    skilled = [v for v in data.vehicles if qualified(job, v)]
    if not skilled:
        detail = f"no technician on shift holds {sorted(job.skills)}"
        if job.pinned:
            detail += f" or is the pinned technician {job.pinned}"
        return Unserved(request=job.id, reason="no_skill", detail=detail)
    lacking = [missing_equipment(job, v) for v in skilled]
    if all(m is not None for m in lacking):
        kind = "tool" if "tool" in lacking else "part"
        needs = sorted(job.tools) if kind == "tool" else [p for p, _ in job.part_units]
        return Unserved(
            request=job.id,
            reason=f"no_{kind}",  # type: ignore[arg-type]
            detail=f"no qualified technician can carry the {kind}s {needs}, even by restocking",
        )
    if job.deferrable:
        return Unserved(request=job.id, reason="deferred", detail="left for a later plan")
    detail = (
        "qualified, equipped technicians could reach it, but not with the rest of their work"
        if reachable
        else "no qualified, equipped technician-day can reach it inside a window and its shift"
    )
    return Unserved(request=job.id, reason="no_time", detail=detail)
