"""Exact timing of a given visiting order for one technician-day (docs/semantics.md, "Routes").

A solver decides *who* visits *what* in *which order*; this module decides *when*, in the exact
float minutes of the scenario, so that the plan passes ``aftersales.optimizer.validate`` without
tolerance games. Every service starts as early as it can (waiting for opening, parts release and
time windows); the daily break is tried at every place it can go and the cheapest feasible timing
wins:

* before job *k*: taken on arrival at job *k*'s site while waiting for the service start (this
  keeps the arrival early, which is what lateness counts), or — when that would end past the break
  window — at the previous place before driving on;
* after the last job, on the way home;
* not at all, when the route ends by ``window_end - break`` or starts at or after
  ``window_start + break`` (then the route may leave the depot later).

Finally the route leaves the depot as late as it can without changing any service start or making
an on-time arrival late, which trims labour cost.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aftersales.optimizer.routing.data import Job, RoutingData, Vehicle
from aftersales.optimizer.routing.schedule import earliest_start
from aftersales.optimizer.schema import Break, Route, Stop

MINUTES_PER_HOUR = 60.0
EPSILON_MINUTES = 1e-9
"""Float slack of comparisons inside this module (the validator allows 1e-6)."""

AFTER_LAST = -1
"""Break position: after the last job, on the way home."""


@dataclass(frozen=True)
class Timed:
    """An exactly timed technician-day and what it costs."""

    route: Route
    late: tuple[str, ...]
    """Ids of the jobs reached after their due time."""
    cost: float
    """Labour + overtime + Σ lateness weights of the late jobs (travel is order-only)."""


@dataclass(frozen=True)
class _Draft:
    stops: list[Stop]
    brk: tuple[float, float] | None
    start: float
    end: float


def _simulate(
    data: RoutingData,
    vehicle: Vehicle,
    jobs: Sequence[Job],
    start: float,
    break_at: int | None,
) -> _Draft | None:
    """Earliest timing with the break before job ``break_at`` (or AFTER_LAST, or None)."""
    length = vehicle.break_minutes
    window_start, window_end = vehicle.break_window
    clock, here = start, vehicle.location
    stops: list[Stop] = []
    brk: tuple[float, float] | None = None
    for k, job in enumerate(jobs):
        travel = float(data.minutes[here, job.location])
        ready = data.release_minute(job, vehicle)
        arrival = clock + travel
        if break_at == k:
            on_site = max(arrival, window_start)
            if on_site + length <= window_end + EPSILON_MINUTES:
                brk = (on_site, on_site + length)
            else:
                before = max(clock, window_start)
                if before + length > window_end + EPSILON_MINUTES:
                    return None
                brk = (before, before + length)
                arrival = brk[1] + travel
            ready = max(ready, brk[1])
        service = earliest_start(job, max(arrival, ready))
        if service is None:
            return None
        stops.append(
            Stop(request=job.id, arrival=arrival, start=service, end=service + job.duration)
        )
        clock, here = service + job.duration, job.location
    travel = float(data.minutes[here, vehicle.location])
    end = clock + travel
    if break_at == AFTER_LAST:
        home = max(end, window_start)  # drive home, then the break: both in the last gap
        if home + length <= window_end + EPSILON_MINUTES:
            brk = (home, home + length)
            end = brk[1]
        else:  # the break before driving home
            before = max(clock, window_start)
            if before + length > window_end + EPSILON_MINUTES:
                return None
            brk = (before, before + length)
            end = brk[1] + travel
    if end > vehicle.latest_end + EPSILON_MINUTES:
        return None
    return _Draft(stops, brk, start, end)


def _break_free(vehicle: Vehicle, draft: _Draft) -> bool:
    """No break needed: the route ends by window_end - break or starts at window_start + break."""
    length = vehicle.break_minutes
    window_start, window_end = vehicle.break_window
    return (
        length <= 0
        or not draft.stops
        or draft.end <= window_end - length + EPSILON_MINUTES
        or draft.start >= window_start + length - EPSILON_MINUTES
    )


def _leave_later(
    data: RoutingData, vehicle: Vehicle, jobs: Sequence[Job], draft: _Draft, break_at: int | None
) -> _Draft:
    """Leave the depot as late as the first stop allows, keeping every start and on-time arrival."""
    if not draft.stops:
        return draft
    first, job = draft.stops[0], jobs[0]
    slack = first.start - first.arrival
    if break_at == 0 and draft.brk is not None:
        if draft.brk[0] >= first.arrival - EPSILON_MINUTES:  # break on site before the service
            slack -= vehicle.break_minutes
        else:  # break at the depot before driving
            slack = first.start - first.arrival + max(0.0, vehicle.break_window[0] - draft.start)
    if first.arrival <= job.due + EPSILON_MINUTES:
        slack = min(slack, job.due - first.arrival)
    if slack <= EPSILON_MINUTES:
        return draft
    later = _simulate(data, vehicle, jobs, draft.start + slack, break_at)
    if (
        later is None
        or abs(later.end - draft.end) > EPSILON_MINUTES
        or any(
            abs(a.start - b.start) > EPSILON_MINUTES
            for a, b in zip(later.stops, draft.stops, strict=True)
        )
        or (break_at is None and not _break_free(vehicle, later))
    ):
        return draft
    return later


def _cost(
    vehicle: Vehicle, draft: _Draft, jobs: Sequence[Job], weights: Mapping[str, float]
) -> tuple[float, tuple[str, ...]]:
    regular = min(draft.end, vehicle.shift_end) - draft.start
    extra = max(0.0, draft.end - vehicle.shift_end)
    late = tuple(
        j.id for j, s in zip(jobs, draft.stops, strict=True) if s.arrival > j.due + EPSILON_MINUTES
    )
    cost = (
        regular / MINUTES_PER_HOUR * vehicle.hourly_cost
        + extra / MINUTES_PER_HOUR * vehicle.overtime_cost_per_hour
        + sum(weights.get(j, 0.0) for j in late)
    )
    return cost, late


def time_route(
    data: RoutingData,
    vehicle: Vehicle,
    jobs: Sequence[Job],
    lateness_weight: Mapping[str, float] | None = None,
) -> Timed | None:
    """The cheapest exact timing of ``jobs`` in this order, or None if no timing is feasible.

    ``lateness_weight`` maps a job id to the cost of reaching it late (e.g. its tier's credit).
    """
    weights = lateness_weight or {}
    options: list[tuple[int | None, float]] = [(None, vehicle.shift_start)]
    if vehicle.break_minutes > 0 and jobs:
        options += [(k, vehicle.shift_start) for k in range(len(jobs))]
        options.append((AFTER_LAST, vehicle.shift_start))
        late_start = vehicle.break_window[0] + vehicle.break_minutes
        if late_start > vehicle.shift_start:
            options.append((None, late_start))
    best: tuple[float, _Draft, tuple[str, ...]] | None = None
    for break_at, start in options:
        draft = _simulate(data, vehicle, jobs, start, break_at)
        if draft is None or (break_at is None and not _break_free(vehicle, draft)):
            continue
        draft = _leave_later(data, vehicle, jobs, draft, break_at)
        cost, late = _cost(vehicle, draft, jobs, weights)
        if best is None or cost < best[0] - 1e-9:
            best = (cost, draft, late)
    if best is None:
        return None
    cost, draft, late = best
    legs = [vehicle.location, *(j.location for j in jobs), vehicle.location]
    pairs = list(itertools.pairwise(legs)) if jobs else []
    route = Route(
        technician=vehicle.technician,
        day=vehicle.day,
        depot=vehicle.depot if vehicle.relocated else None,
        start=draft.start,
        end=draft.end,
        stops=draft.stops,
        break_=Break(start=draft.brk[0], end=draft.brk[1]) if draft.brk else None,
        travel_km=float(sum(data.km[a, b] for a, b in pairs)),
        travel_minutes=float(sum(data.minutes[a, b] for a, b in pairs)),
    )
    return Timed(route, late, cost)


def time_or_repair(
    data: RoutingData,
    vehicle: Vehicle,
    jobs: Sequence[Job],
    lateness_weight: Mapping[str, float] | None = None,
) -> tuple[Timed | None, list[Job]]:
    """Time the order; if infeasible, keep the longest feasible subsequence built in order.

    Returns the timed route (None when no job fits) and the jobs that had to be dropped.
    """
    timed = time_route(data, vehicle, jobs, lateness_weight)
    if timed is not None:
        return timed, []
    kept: list[Job] = []
    dropped: list[Job] = []
    for job in jobs:
        if time_route(data, vehicle, [*kept, job], lateness_weight) is not None:
            kept.append(job)
        else:
            dropped.append(job)
    return (time_route(data, vehicle, kept, lateness_weight) if kept else None), dropped
