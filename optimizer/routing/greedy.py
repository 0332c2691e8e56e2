"""Baseline dispatch: each job, most urgent first, goes to the qualified technician-day that can
start it earliest, appended at the end of that day.

This is how a dispatcher works a queue by hand; the optimising router is measured against it.
"""

from __future__ import annotations

import time

from aftersales.optimizer.routing.data import Job, RoutingData, Vehicle
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
        candidates = [d for d in days if qualified(job, d.vehicle)]
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
            unserved.append(_why_unserved(job, bool(candidates)))
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


def no_skilled_technician(job: Job) -> Unserved:
    """Unserved because no technician on shift holds the skills (or is the pinned one)."""
    detail = f"no technician on shift holds {sorted(job.skills)}"
    if job.pinned:
        detail += f" or is the pinned technician {job.pinned}"
    return Unserved(request=job.id, reason="no_skilled_technician", detail=detail)


def _why_unserved(job: Job, has_qualified: bool) -> Unserved:
    if not has_qualified:
        return no_skilled_technician(job)
    if job.deferrable:
        return Unserved(request=job.id, reason="deferred", detail="no qualified technician free")
    return Unserved(
        request=job.id,
        reason="no_reachable_window",
        detail="no qualified technician can reach it within a time window and shift",
    )
