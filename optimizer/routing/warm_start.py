"""Warm start from a previous plan: its orders as a start, and how many assignments moved.

A nightly re-plan starts from yesterday's answer. Requests that are gone, technician-days that no
longer exist and stops a technician is no longer qualified for are dropped from the start; the
rest is re-timed exactly and repaired (see
:func:`aftersales.optimizer.routing.timing.time_or_repair`).
"""

from __future__ import annotations

from collections.abc import Iterable

from aftersales.optimizer.routing.data import RoutingData
from aftersales.optimizer.routing.greedy import qualified
from aftersales.optimizer.schema import Plan, Route


def previous_orders(previous: Plan, data: RoutingData) -> list[list[int]]:
    """Job indices per vehicle in the order of the previous plan (still valid stops only)."""
    vehicle_index = {(v.technician, v.day): i for i, v in enumerate(data.vehicles)}
    job_index = {job.id: i for i, job in enumerate(data.jobs)}
    orders: list[list[int]] = [[] for _ in data.vehicles]
    seen: set[int] = set()
    for route in previous.routes:
        v = vehicle_index.get((route.technician, route.day))
        if v is None:
            continue
        for stop in route.visits:
            j = job_index.get(stop.request or "")
            if j is None or j in seen or not qualified(data.jobs[j], data.vehicles[v]):
                continue
            seen.add(j)
            orders[v].append(j)
    return orders


def previous_vehicles(previous: Plan, data: RoutingData) -> dict[int, int]:
    """Job index → vehicle index of the previous plan (known requests and vehicles only)."""
    return {j: v for v, order in enumerate(previous_orders(previous, data)) for j in order}


def assignments(routes: Iterable[Route]) -> dict[str, tuple[str, int]]:
    """Request id → (technician, day) serving it."""
    return {s.request: (r.technician, r.day) for r in routes for s in r.visits if s.request}


def moved_assignments(previous: Plan, routes: Iterable[Route], requests: Iterable[str]) -> int:
    """Requests of ``requests`` served in ``previous`` whose technician-day changed or was lost."""
    before, after = assignments(previous.routes), assignments(routes)
    return sum(1 for r in requests if r in before and after.get(r) != before[r])
