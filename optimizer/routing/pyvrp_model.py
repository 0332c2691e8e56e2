"""The technician routing model in PyVRP (hybrid genetic search / iterated local search).

PyVRP minimises route *duration* natively — its schedule starts each route as late as the time
windows allow, so waiting that a later departure removes is never paid — and supports reloading
at a depot mid-route, which is exactly a restock stop. What each rule of docs/semantics.md
becomes (integers: ``TICKS_PER_MINUTE`` per minute, ``STEPS_PER_KM`` per km, money in units
chosen by ``_cost_unit``):

* vehicles: one vehicle type per technician-day, starting and ending at its home (or depot),
  inside ``[shift start, shift end + overtime - break]`` (the break's length is reserved; the
  exact timing places it);
* costs: ``travel_cost_per_km`` per km and ``hourly_cost`` per hour of duration (labour
  including waiting); overtime and the yearly credit cap are left to the exact costing of the
  candidates;
* lateness: the tier's credit, through an on-time and a late copy of each job that can be late
  (``_clients``);
* technician-days alike but for their names: one vehicle type (``pyvrp_fleet``);
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
* optional jobs carry their unserved penalty as the prize; must-serve jobs are required and an
  *unserved* vehicle type takes any of them at the largest prize (``with_unserved_type``), so
  work that does not fit is reported unserved instead of making the model infeasible.

The solver returns orders (job indices, ``RESTOCK_INDEX`` between trips) that the caller times
exactly in float minutes.
"""

from __future__ import annotations

import logging
import math
import time
import warnings
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from pyvrp import (
    Client,
    ClientGroup,
    Depot,
    Location,
    PenaltyParams,
    ProblemData,
    SolveParams,
    VehicleType,
)
from pyvrp import solve as pyvrp_solve
from pyvrp.exceptions import PenaltyBoundWarning
from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria, NoImprovement

from aftersales.optimizer.routing.data import RoutingData, Vehicle, can_restock
from aftersales.optimizer.routing.pyvrp_fleet import (
    initial_solution,
    merge_identical,
    orders_of,
    with_unserved_type,
)

logger = logging.getLogger("aftersales.optimizer")

TICKS_PER_MINUTE = 100
"""Integer time resolution: hundredths of a minute."""
STEPS_PER_KM = 100
"""Integer distance resolution: hundredths of a km."""
COST_RESOLUTION = 100
"""The cheapest positive unit cost (per tick or per step) becomes this many integer cost units:
money rounds to 1 % of a tick's cost at worst. Keeping unit costs small matters: PyVRP caps its
penalty per unit of time warp or excess load (``PenaltyParams.max_penalty``), so costs in tiny
money units would make violations cheap."""
FORBIDDEN_ARC = 10**7
"""Ticks and steps of an arc into a job the vehicle may not serve (about 70 days, 100,000 km)."""
MULTI_TRIP_PENALTIES = PenaltyParams(solutions_between_updates=50, max_penalty=1e8)
"""For models with restocks (reloads): penalties adapt every 50 solutions (not 500: such
iterations are slow) and may grow to 1e8 units per unit of violation. Other models keep PyVRP's
defaults, tuned on VRPTW."""
MAX_PROFILE_ENTRIES = 60_000_000
"""Most matrix entries over all profiles; larger models are left to the other engine."""
ROUNDING_SLACK = 1e-6
NO_IMPROVEMENT_ITERATIONS = 20_000
"""The search stops early after this many iterations without a better solution: a two-job day
is done in a second instead of searching the whole limit. A criterion in iterations, not
seconds, keeps a longer limit from ever returning a worse plan (same seed, same trajectory)."""


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
    required: Collection[int] = (),
    initial_orders: Sequence[Sequence[int]] | None = None,
    lateness: Mapping[int, float] | None = None,
) -> PyvrpSolution | None:
    """Search for ``time_limit_seconds`` (or ``max_iterations``: deterministic under any load),
    or until ``NO_IMPROVEMENT_ITERATIONS`` iterations bring nothing better.

    Jobs in ``required`` are PyVRP-required (the search stays on complete solutions, which
    serves TRSP best), and an *unserved* vehicle type may take any of them at its prize, so the
    model stays feasible when they cannot all fit (S leaves repairs for lack of time; without
    it PyVRP found no feasible solution and kept its start). The others are optional with
    their penalty as the prize. ``initial_orders`` (job indices per vehicle,
    ``RESTOCK_INDEX`` between trips) start the search instead of PyVRP's random solution.
    ``lateness`` is what reaching a job after its due time costs, currency (absent: nothing).
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
    if (len(profile_of) + 1) * size * size > MAX_PROFILE_ENTRIES:
        logger.info("routing: %d PyVRP profiles of %d² entries: too large", len(profile_of), size)
        return None
    loc = np.asarray(places, dtype=np.intp)
    minutes = data.minutes[np.ix_(loc, loc)]
    duration = np.ceil(minutes * TICKS_PER_MINUTE - ROUNDING_SLACK).astype(np.int64)
    distance = np.rint(data.km[np.ix_(loc, loc)] * STEPS_PER_KM).astype(np.int64)
    cost_unit = _cost_unit(data, travel_cost_per_km)
    prize_cap = _prize_cap(data, travel_cost_per_km, float(data.km.max(initial=0.0))) / cost_unit
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
    must = [k for k, j in enumerate(jobs) if j in required]
    if must:  # the unserved type's profile: a must-serve job costs its prize to reach
        dist = np.full((size, size), FORBIDDEN_ARC, dtype=np.int64)
        dist[:, : len(depot_locations)] = 0
        dist[:, [len(depot_locations) + k for k in must]] = round(prize_cap)
        dur = np.where(dist == FORBIDDEN_ARC, FORBIDDEN_ARC, 0).astype(np.int64)
        np.fill_diagonal(dist, 0)
        np.fill_diagonal(dur, 0)
        distances.append(dist)
        durations.append(dur)
    vans = any(v.van is not None for v in data.vehicles)
    tools = sorted({t for j in jobs for t in data.jobs[j].tools}) if vans else []
    parts = sorted({p for j in jobs for p, _ in data.jobs[j].part_units}) if vans else []
    capacity = [len(jobs) + 1] * len(tools) + [
        1 + sum(n for j in jobs for q, n in data.jobs[j].part_units if q == p) for p in parts
    ]
    clients: list[Client] = []
    groups: list[ClientGroup] = []
    job_of_client: list[int] = []
    for k, j in enumerate(jobs):
        copies = _clients(
            data,
            j,
            allowed[j],
            (
                prize_cap if j in required else min(penalty[j] / cost_unit, prize_cap),
                min((lateness or {}).get(j, 0.0) / cost_unit, prize_cap),
            ),
            j in required,
            (tools, parts),
            (len(depot_locations) + k, len(groups)),
        )
        if len(copies) > 1:
            groups.append(
                ClientGroup(
                    list(range(len(clients), len(clients) + len(copies))), required=j in required
                )
            )
        clients += copies
        job_of_client += [j] * len(copies)
    depots = [Depot(location=i) for i in range(len(depot_locations))]
    fleet = merge_identical(
        [
            _vehicle_type(
                vehicle,
                depot_index,
                vehicle_profile[v],
                tools,
                parts,
                capacity,
                (travel_cost_per_km / STEPS_PER_KM / cost_unit, _tick_cost(vehicle) / cost_unit),
            )
            for v, vehicle in enumerate(data.vehicles)
        ]
    )
    if must:
        fleet = with_unserved_type(fleet, len(must), len(capacity), len(distances) - 1)
    problem = ProblemData(
        [Location(x=0.0, y=0.0) for _ in places],
        clients,
        depots,
        fleet.types,
        distances,  # type: ignore[arg-type]
        durations,  # type: ignore[arg-type]
        groups,
    )
    runtime = MaxRuntime(max(0.05, time_limit_seconds - (time.perf_counter() - started)))
    # A deterministic run stops on its iteration count; the wall clock stays a hard cap (the
    # layer honours its limit), so only a run that hits the cap can differ under load.
    work = [MaxIterations(max_iterations), runtime] if max_iterations is not None else [runtime]
    stop = MultipleCriteria([*work, NoImprovement(NO_IMPROVEMENT_ITERATIONS)])
    with warnings.catch_warnings():
        # PyVRP warns when a penalty reaches its cap: expected when a prize outweighs it (the
        # best solution may break a rule); the exact timing then drops what does not fit.
        warnings.simplefilter("ignore", PenaltyBoundWarning)
        result = pyvrp_solve(
            problem,
            stop=stop,
            seed=seed,
            collect_stats=False,
            display=False,
            params=SolveParams(penalty=MULTI_TRIP_PENALTIES)
            if any(t.reload_depots for t in fleet.types)
            else SolveParams(),
            initial_solution=None
            if initial_orders is None
            # each job as its last copy: the one of the whole window
            else initial_solution(
                problem,
                fleet,
                initial_orders,
                {j: c for c, j in enumerate(job_of_client)},
                [jobs[k] for k in must],
            ),
        )
    best = result.best
    return PyvrpSolution(
        orders_of(best, fleet, job_of_client),
        bool(best.num_clients()),
        "feasible" if best.is_feasible() else "infeasible, repaired by the exact timing",
        time.perf_counter() - started,
        result.num_iterations,
    )


def _prize_cap(data: RoutingData, travel_cost_per_km: float, longest_km: float) -> float:
    """Largest prize worth offering, currency: twice the dearest whole technician-day plus a
    return trip at the longest arc — more than any job's insertion can cost.

    Larger prizes only make infeasible solutions attractive: PyVRP's penalties per unit of
    excess load or time warp are capped, and a prize above the cap buys any violation.
    """
    day = max((v.latest_end - v.shift_start) * v.hourly_cost / 60 for v in data.vehicles)
    return 2 * (day + 2 * longest_km * travel_cost_per_km) + 1.0


def _tick_cost(vehicle: Vehicle) -> float:
    """Labour per tick of route duration, currency."""
    return vehicle.hourly_cost / 60 / TICKS_PER_MINUTE


def _cost_unit(data: RoutingData, travel_cost_per_km: float) -> float:
    """Currency per integer cost unit: the cheapest positive unit cost / ``COST_RESOLUTION``."""
    rates = [travel_cost_per_km / STEPS_PER_KM] + [_tick_cost(v) for v in data.vehicles]
    positive = [r for r in rates if r > 0]
    return min(positive) / COST_RESOLUTION if positive else 1.0


def _clients(
    data: RoutingData,
    j: int,
    vehicles: Sequence[int],
    prizes: tuple[float, float],
    required: bool,
    dimensions: tuple[list[str], list[str]],
    places: tuple[int, int],
) -> list[Client]:
    """One job: service, the hull of its windows after its earliest release, load per dimension
    (``dimensions``: tools, parts).

    ``prizes`` are the model's unserved penalty and lateness cost, ``places`` the location and
    the group index the job would get. PyVRP's windows are hard, so a job that can be reached
    after its due time inside its window, at a cost, becomes a mutually exclusive group of two
    copies (docs/semantics.md, "Routes"): *on time* (window closing at the due time, prize
    P = the unserved penalty) and *late* (the whole window, prize P - L, L the lateness cost).
    PyVRP charges the prizes of the copies left out: on time P - L, late P, neither 2P - L —
    so late costs L more than on time and unserved P more, as in the true costing. When L ≥ P
    only the on-time copy is offered. Arrival never follows the service start, so an on-time
    copy is on time.
    """
    job = data.jobs[j]
    tools, parts = dimensions
    prize, late_cost = prizes
    release = min(data.release_minute(job, data.vehicles[v]) for v in vehicles)
    # a request carried over by ``aftersales roll`` may have opened before the horizon (minute 0)
    early = max(job.opened, release, 0.0)
    late = float("inf")
    if job.windows:
        usable = [(a, b) for a, b in job.windows if b >= early]
        early = max(early, min(a for a, _ in usable)) if usable else early
        late = max(b for _, b in usable) if usable else early
    units = dict(job.part_units)
    common = {
        "location": places[0],
        "delivery": [int(t in job.tools) for t in tools] + [units.get(p, 0) for p in parts],
        "service_duration": ticks_up(job.duration),
        "tw_early": ticks_up(early),
        "name": job.id,
    }
    # a window narrower than a tick (a pinned visit: start == end) keeps the tick it starts in
    whole = (
        max(ticks_down(late), ticks_up(early)) if late != float("inf") else np.iinfo(np.int64).max
    )
    can_be_late = late_cost > 0 and not job.beyond_horizon and job.due < late
    if not can_be_late or ticks_down(job.due) < ticks_up(early):
        return [Client(**common, tw_late=whole, prize=round(prize), required=required)]
    if late_cost >= prize:  # late is no better than unserved: on time or not at all
        return [
            Client(**common, tw_late=ticks_down(job.due), prize=round(prize), required=required)
        ]
    return [
        Client(
            **common,
            tw_late=ticks_down(job.due),
            prize=round(prize),
            required=False,
            group=places[1],
        ),
        Client(
            **common,
            tw_late=whole,
            prize=round(prize - late_cost),
            required=False,
            group=places[1],
        ),
    ]


def _vehicle_type(
    vehicle: Vehicle,
    depot_index: Mapping[int, int],
    profile: int,
    tools: list[str],
    parts: list[str],
    capacity: list[int],
    unit_costs: tuple[float, float],
) -> VehicleType:
    """One technician-day: home, shift, costs, tools and van as initial load, restock depot."""
    # a restock is worth offering when it brings tools or parts (not at a depot stocking none)
    useful = can_restock(vehicle) and (
        bool(tools) or vehicle.restock_parts is None or bool(vehicle.restock_parts)
    )
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
        unit_distance_cost=round(unit_costs[0]),
        unit_duration_cost=round(unit_costs[1]),
        profile=profile,
        initial_load=initial,
        reload_depots=[depot_index[vehicle.restock_location]] if useful else [],
        name=f"{vehicle.technician}/{vehicle.day}",
    )
