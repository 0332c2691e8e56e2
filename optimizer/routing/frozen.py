"""Routes of a previous plan kept in a re-solve: a frozen routing layer, or pinned visits.

``SolveOptions.freeze = ["routing"]`` keeps the previous plan's routes as they are (already
moved into this horizon by ``aftersales.optimizer.previous``) for every technician-day this
scenario still has; stops of requests it no longer has are dropped, and its new requests stay
unserved. The validator judges the result like any plan.

``SolveOptions.freeze_before_minute`` pins every visit of the previous plan that starts before
that minute: the job may only go to the same technician and start at the same minute (its time
window narrowed to that instant). A candidate plan of the routing search that does not keep
every pin is never chosen (``pins_kept``).
"""

from __future__ import annotations

import time
from dataclasses import replace

from aftersales.optimizer.routing.data import RoutingData
from aftersales.optimizer.routing.greedy import why_unserved
from aftersales.optimizer.routing.result import RoutingResult, routing_costs
from aftersales.optimizer.schema import LayerResult, Plan, Route, Scenario, Unserved

Pins = dict[str, tuple[str, int, float]]
"""Request id → (technician, day, service start minute) it must keep."""


def pinned_visits(previous: Plan, data: RoutingData, before_minute: float) -> Pins:
    """Visits of ``previous`` starting before ``before_minute`` whose request and
    technician-day this scenario still has."""
    vehicles = {(v.technician, v.day) for v in data.vehicles}
    jobs = {job.id for job in data.jobs}
    return {
        stop.request: (route.technician, route.day, stop.start)
        for route in previous.routes
        if (route.technician, route.day) in vehicles
        for stop in route.visits
        if stop.request in jobs and stop.start < before_minute
    }


def with_pins(data: RoutingData, pins: Pins) -> RoutingData:
    """``data`` whose pinned jobs may only start at their pinned minute with their technician."""
    if not pins:
        return data
    jobs = tuple(
        replace(job, windows=((pins[job.id][2], pins[job.id][2]),), pinned=pins[job.id][0])
        if job.id in pins
        else job
        for job in data.jobs
    )
    return replace(data, jobs=jobs)


def pins_kept(routes: list[Route], pins: Pins) -> bool:
    """Whether every pinned request is served by its technician-day at its minute."""
    served = {
        s.request: (r.technician, r.day, s.start) for r in routes for s in r.visits if s.request
    }
    return all(
        request in served
        and served[request][:2] == pin[:2]
        and abs(served[request][2] - pin[2]) <= 1e-6
        for request, pin in pins.items()
    )


def kept_routes(previous: Plan, data: RoutingData) -> list[Route]:
    """The previous plan's routes of technician-days this scenario has, each as it was except
    for stops of requests no longer in the scenario (left out)."""
    vehicles = {(v.technician, v.day) for v in data.vehicles}
    jobs = {job.id for job in data.jobs}
    routes = []
    for route in previous.routes:
        if (route.technician, route.day) not in vehicles:
            continue
        stops = [s for s in route.stops if s.kind != "visit" or s.request in jobs]
        if len(stops) != len(route.stops):
            route = route.model_copy(update={"stops": stops})
        if route.visits:
            routes.append(route)
    return routes


def frozen_routing(
    scenario: Scenario, data: RoutingData, previous: Plan, allowed: dict[int, list[int]]
) -> RoutingResult:
    """The routing layer kept from ``previous`` (``freeze: routing``), costed under this
    scenario; ``allowed`` (job index → qualified vehicles) gives unserved jobs their reason."""
    started = time.perf_counter()
    routes = kept_routes(previous, data)
    served = {s.request for r in routes for s in r.visits}
    unserved: list[Unserved] = [
        why_unserved(data, job, bool(allowed[j]))
        for j, job in enumerate(data.jobs)
        if job.id not in served
    ]
    costs = routing_costs(scenario, data, routes, unserved)
    report = LayerResult(
        layer="routing",
        status="feasible",
        method="kept from the previous plan",
        objective=costs.horizon_total,
        seconds=time.perf_counter() - started,
        message=f"routes frozen (options.freeze); {len(unserved)} of {len(data.jobs)} "
        "requests unserved",
    )
    return RoutingResult(report, routes, unserved, costs)
