"""The technician routing model in PyVRP (hybrid genetic search / iterated local search).

PyVRP minimises route *duration* natively — its schedule starts each route as late as the time
windows allow, so waiting that a later departure removes is never paid — and supports reloading
at a depot mid-route, which is exactly a restock stop. What each rule of docs/semantics.md
becomes (integers: ``TICKS_PER_MINUTE`` per minute, metres, ``COST_UNITS_PER_CURRENCY``):

* vehicles: one vehicle type per technician-day, starting and ending at its home (or depot),
  inside ``[shift start, shift end + overtime - break]`` (the break's length is reserved; the
  exact timing places it);
* costs: ``travel_cost_per_km`` per km and ``hourly_cost`` per hour of duration (labour
  including waiting); overtime and lateness are left to the exact costing of the candidates;
* skills, pins and equipment: a routing profile per distinct set of allowed jobs whose arcs into
  the forbidden jobs are prohibitively long (PyVRP's site-dependent encoding);
* tools: one load dimension per tool; a technician without the tool starts "full" on it
  (``initial_load`` = capacity), a restock empties the van and so makes every tool available;
* van parts: one load dimension per part; the van starts with ``capacity - van units`` of
  ``initial_load``, so the first trip can deliver exactly the van's units and every trip after a
  restock (a reload at the technician's depot) is unlimited. Technicians without a van model
  start empty and never reload;
* release (parts from a depot that lacks them) and several time windows: the earliest release
  over the allowed technicians and the hull of the windows; the exact re-timing repairs the rest;
* every job is optional with its unserved penalty as the prize, so a job nobody can take is
  reported unserved instead of making the model infeasible.

The solver returns orders (job indices, ``RESTOCK_INDEX`` between trips) that the caller times
exactly in float minutes.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from pyvrp import Client, Depot, Location, ProblemData, VehicleType
from pyvrp import solve as pyvrp_solve
from pyvrp.stop import MaxIterations, MaxRuntime

from aftersales.optimizer.routing.data import RoutingData, Vehicle, can_restock
from aftersales.optimizer.routing.timing import RESTOCK_INDEX

logger = logging.getLogger("aftersales.optimizer")

TICKS_PER_MINUTE = 1000
"""Integer time resolution: thousandths of a minute (TRSP distances are full precision)."""
METRES_PER_KM = 1000
COST_UNITS_PER_CURRENCY = 1_000_000
"""Integer money resolution: millionths of a currency unit (0.5 currency/km = 500 per metre)."""
FORBIDDEN_ARC = 10**9
"""Ticks and metres of an arc into a job the vehicle may not serve (about 11 days, 1,000 km)."""
MAX_PROFILE_ENTRIES = 60_000_000
"""Most matrix entries over all profiles; larger models are left to the other engine."""
ROUNDING_SLACK = 1e-6


def ticks_up(minutes: float) -> int:
    """Minutes as ticks, rounded up: durations and travel are never shorter than real."""
    return math.ceil(minutes * TICKS_PER_MINUTE - ROUNDING_SLACK)


def ticks_down(minutes: float) -> int:
    """Minutes as ticks, rounded down: latest times are never later than real."""
    return math.floor(minutes * TICKS_PER_MINUTE + ROUNDING_SLACK)


@dataclass(frozen=True)
class PyvrpSolution:
    """Orders per vehicle (job indices, ``RESTOCK_INDEX`` for a restock) and the search's own
    account."""

    orders: list[list[int]]
    found: bool
    status: str
    seconds: float
    iterations: int


def solve_pyvrp(
    data: RoutingData,
    allowed: Mapping[int, Sequence[int]],
    penalty: Mapping[int, float],
    travel_cost_per_km: float,
    time_limit_seconds: float,
    seed: int = 0,
    max_iterations: int | None = None,
) -> PyvrpSolution | None:
    """Search for ``time_limit_seconds`` (or ``max_iterations``: deterministic under any load).

    Returns None when the model would be too large for PyVRP's dense per-profile matrices.
    """
    started = time.perf_counter()
    jobs = sorted(j for j, vs in allowed.items() if vs)
    if not jobs:
        return PyvrpSolution([[] for _ in data.vehicles], True, "empty", 0.0, 0)
    depot_locations = sorted(
        {v.location for v in data.vehicles} | {v.restock_location for v in data.vehicles}
    )
    depot_index = {loc: i for i, loc in enumerate(depot_locations)}
    places = depot_locations + [data.jobs[j].location for j in jobs]
    size = len(places)
    profile_of: dict[frozenset[int], int] = {}
    vehicle_profile: list[int] = []
    allowed_by_vehicle: dict[int, set[int]] = {v: set() for v in range(len(data.vehicles))}
    for k, j in enumerate(jobs):
        for v in allowed[j]:
            allowed_by_vehicle[v].add(k)
    for v in range(len(data.vehicles)):
        key = frozenset(allowed_by_vehicle[v])
        vehicle_profile.append(profile_of.setdefault(key, len(profile_of)))
    if len(profile_of) * size * size > MAX_PROFILE_ENTRIES:
        logger.info("routing: %d PyVRP profiles of %d² entries: too large", len(profile_of), size)
        return None
    loc = np.asarray(places, dtype=np.intp)
    minutes = data.minutes[np.ix_(loc, loc)]
    duration = np.ceil(minutes * TICKS_PER_MINUTE - ROUNDING_SLACK).astype(np.int64)
    distance = np.rint(data.km[np.ix_(loc, loc)] * METRES_PER_KM).astype(np.int64)
    distances, durations = [], []
    for key in sorted(profile_of, key=profile_of.__getitem__):
        forbidden = [len(depot_locations) + k for k in range(len(jobs)) if k not in key]
        dist, dur = distance.copy(), duration.copy()
        dist[:, forbidden] = FORBIDDEN_ARC
        dur[:, forbidden] = FORBIDDEN_ARC
        np.fill_diagonal(dist, 0)
        np.fill_diagonal(dur, 0)
        distances.append(dist)
        durations.append(dur)
    tools = sorted({t for j in jobs for t in data.jobs[j].tools})
    parts = sorted(
        {p for j in jobs for p, _ in data.jobs[j].part_units}
        if any(v.van is not None for v in data.vehicles)
        else set()
    )
    capacity = [len(jobs) + 1] * len(tools) + [
        1 + sum(n for j in jobs for q, n in data.jobs[j].part_units if q == p) for p in parts
    ]
    clients = [
        _client(data, j, allowed[j], penalty[j], tools, parts, len(depot_locations) + k)
        for k, j in enumerate(jobs)
    ]
    depots = [Depot(location=i) for i in range(len(depot_locations))]
    vehicle_types = [
        _vehicle_type(
            vehicle, depot_index, vehicle_profile[v], tools, parts, capacity, travel_cost_per_km
        )
        for v, vehicle in enumerate(data.vehicles)
    ]
    problem = ProblemData(
        [Location(x=0.0, y=0.0) for _ in places],
        clients,
        depots,
        vehicle_types,
        distances,  # type: ignore[arg-type]
        durations,  # type: ignore[arg-type]
    )
    stop = (
        MaxIterations(max_iterations)
        if max_iterations is not None
        else MaxRuntime(max(0.05, time_limit_seconds - (time.perf_counter() - started)))
    )
    result = pyvrp_solve(problem, stop=stop, seed=seed, collect_stats=False, display=False)
    best = result.best
    orders: list[list[int]] = [[] for _ in data.vehicles]
    if best.is_feasible():
        for route in best.routes():
            order: list[int] = []
            trip = 0
            for activity in route:
                if not activity.is_client():
                    continue
                if activity.trip != trip:
                    order.append(RESTOCK_INDEX)
                    trip = activity.trip
                order.append(jobs[activity.idx])
            orders[route.vehicle_type()] = order
    return PyvrpSolution(
        orders,
        best.is_feasible(),
        "feasible" if best.is_feasible() else "no feasible solution",
        time.perf_counter() - started,
        result.num_iterations,
    )


def _client(
    data: RoutingData,
    j: int,
    vehicles: Sequence[int],
    penalty: float,
    tools: list[str],
    parts: list[str],
    location: int,
) -> Client:
    """One job: service, the hull of its windows after its earliest release, load per dimension."""
    job = data.jobs[j]
    release = min(data.release_minute(job, data.vehicles[v]) for v in vehicles)
    early = max(job.opened, release)
    late = float("inf")
    if job.windows:
        usable = [(a, b) for a, b in job.windows if b >= early]
        early = max(early, min(a for a, _ in usable)) if usable else early
        late = max(b for _, b in usable) if usable else early
    units = dict(job.part_units)
    return Client(
        location=location,
        delivery=[int(t in job.tools) for t in tools] + [units.get(p, 0) for p in parts],
        service_duration=ticks_up(job.duration),
        tw_early=ticks_up(early),
        tw_late=ticks_down(late) if late != float("inf") else np.iinfo(np.int64).max,
        prize=round(penalty * COST_UNITS_PER_CURRENCY),
        required=False,
        name=job.id,
    )


def _vehicle_type(
    vehicle: Vehicle,
    depot_index: Mapping[int, int],
    profile: int,
    tools: list[str],
    parts: list[str],
    capacity: list[int],
    travel_cost_per_km: float,
) -> VehicleType:
    """One technician-day: home, shift, costs, tools and van as initial load, restock depot."""
    restock = can_restock(vehicle)
    van = dict(vehicle.van or ())
    tool_caps, part_caps = capacity[: len(tools)], capacity[len(tools) :]
    initial = [0 if t in vehicle.tools else cap for t, cap in zip(tools, tool_caps, strict=True)]
    initial += [
        max(0, cap - van.get(p, 0)) if vehicle.van is not None else 0
        for p, cap in zip(parts, part_caps, strict=True)
    ]
    home = depot_index[vehicle.location]
    return VehicleType(
        num_available=1,
        capacity=capacity,
        start_depot=home,
        end_depot=home,
        tw_early=ticks_up(vehicle.shift_start),
        tw_late=ticks_down(vehicle.latest_end - vehicle.break_minutes),
        unit_distance_cost=round(travel_cost_per_km * COST_UNITS_PER_CURRENCY / METRES_PER_KM),
        unit_duration_cost=round(
            vehicle.hourly_cost / 60 * COST_UNITS_PER_CURRENCY / TICKS_PER_MINUTE
        ),
        profile=profile,
        initial_load=initial,
        reload_depots=[depot_index[vehicle.restock_location]] if restock else [],
        name=f"{vehicle.technician}/{vehicle.day}",
    )
