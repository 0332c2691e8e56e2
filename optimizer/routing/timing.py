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

Restock stops: an order may carry explicit restocks (``RESTOCK``, e.g. between PyVRP trips);
when the van lacks a job's tools or parts and a restock would supply them, one is inserted just
before the job (``Van`` tracks the contents).

Finally the route leaves as late as removes waiting (:func:`departure_delay`): paid time
includes waiting, and no window is missed and no on-time arrival made late by the later start.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aftersales.optimizer.routing.data import Job, RoutingData, Vehicle, can_restock
from aftersales.optimizer.routing.schedule import earliest_start
from aftersales.optimizer.schema import Break, Route, Stop

MINUTES_PER_HOUR = 60.0
EPSILON_MINUTES = 1e-9
"""Float slack of comparisons inside this module (the validator allows 1e-6)."""

LEAVE_LATER_TRIES = 6
"""Re-simulations when moving a departure later (``_leave_later``)."""

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
    places: list[int]
    """Location index of every stop, in order (restocks at the depot)."""


class Restock:
    """An explicit restock stop at the technician's depot inside an order of jobs."""

    def __repr__(self) -> str:
        return "RESTOCK"


RESTOCK = Restock()
"""The one restock marker; orders are sequences of ``Job`` or ``RESTOCK``."""
RESTOCK_INDEX = -1
"""A restock in an order of job indices."""
Item = Job | Restock


def order_items(data: RoutingData, order: Sequence[int]) -> list[Item]:
    """Job indices (``RESTOCK_INDEX`` for a restock) as the items ``time_route`` takes."""
    return [RESTOCK if j == RESTOCK_INDEX else data.jobs[j] for j in order]


class Van:
    """Tools and parts on board along one route (docs/semantics.md, "Van stock").

    A technician without a van model (``vehicle.van is None``) needs no parts from the van; tools
    are always checked. A restock adds every tool and an unlimited quantity of every part the
    depot stocks.
    """

    def __init__(self, vehicle: Vehicle) -> None:
        self.vehicle = vehicle
        self.restocked = False
        self.tools = set(vehicle.tools)
        self.parts: dict[str, int] | None = None if vehicle.van is None else dict(vehicle.van)

    def has(self, job: Job) -> bool:
        """The van holds the job's tools and parts now."""
        if not self.restocked and not job.tools <= self.tools:
            return False
        if self.parts is None:
            return True
        stocked = self.vehicle.restock_parts
        for part, units in job.part_units:
            if self.restocked and (stocked is None or part in stocked):
                continue
            if self.parts.get(part, 0) < units:
                return False
        return True

    def would_have(self, job: Job) -> bool:
        """A restock now would give the job everything it needs (van technicians only)."""
        if not can_restock(self.vehicle):
            return False
        after = Van(self.vehicle)
        after.restock()
        return after.has(job)

    def consume(self, job: Job) -> None:
        """Take the job's parts out of the van (restocked parts are unlimited)."""
        if self.parts is None:
            return
        stocked = self.vehicle.restock_parts
        for part, units in job.part_units:
            if not (self.restocked and (stocked is None or part in stocked)):
                self.parts[part] = self.parts.get(part, 0) - units

    def restock(self) -> None:
        """Refill at the depot."""
        self.restocked = True


def _simulate(
    data: RoutingData,
    vehicle: Vehicle,
    jobs: Sequence[Item],
    start: float,
    break_at: int | None,
) -> _Draft | None:
    """Earliest timing with the break before item ``break_at`` (or AFTER_LAST, or None).

    When the van lacks a job's tools or parts, a restock at the depot is inserted just before
    the job (if a restock would supply them; else the order is infeasible).
    """
    length = vehicle.break_minutes
    window_start, window_end = vehicle.break_window
    clock, here = start, vehicle.location
    stops: list[Stop] = []
    places: list[int] = []
    brk: tuple[float, float] | None = None
    van = Van(vehicle)

    def restock() -> None:
        nonlocal clock, here
        depot = vehicle.restock_location
        clock += float(data.minutes[here, depot])
        here = depot
        van.restock()
        stops.append(
            Stop(kind="restock", depot=vehicle.depot, arrival=clock, start=clock, end=clock)
        )
        places.append(depot)

    for k, item in enumerate(jobs):
        if isinstance(item, Restock):
            restock()
            continue
        job = item
        if not van.has(job):
            if not van.would_have(job):
                return None
            restock()
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
        van.consume(job)
        stops.append(
            Stop(request=job.id, arrival=arrival, start=service, end=service + job.duration)
        )
        places.append(job.location)
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
    return _Draft(stops, brk, start, end, places)


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


def departure_delay(
    stops: Sequence[Stop],
    jobs_by_id: Mapping[str, Job],
    brk: tuple[float, float] | None = None,
) -> float:
    """Minutes the departure can move later to remove waiting without moving the route's end.

    With earliest service starts from departure *t*, delaying by *d* moves stop *k*'s start by
    ``max(0, d - W_k)`` where ``W_k`` is the waiting up to and including *k*; the route end
    moves by ``max(0, d - W_n)``. The best delay is therefore ``min(W_n, min_k(W_k + slack_k))``
    with ``slack_k`` the room between *k*'s start and the end of its window — and, for a stop
    reached on time, ``W_{k-1} + due_k - arrival_k`` so that no on-time arrival becomes late.
    Duration falls by exactly this delay (docs/semantics.md, "Routes": paid time includes
    waiting). A break taken on site while waiting (``brk``) is not waiting.
    """
    waited = 0.0
    best = float("inf")
    for stop in stops:
        if stop.kind != "visit" or stop.request is None:
            continue
        job = jobs_by_id[stop.request]
        if stop.arrival <= job.due + EPSILON_MINUTES:
            best = min(best, waited + job.due - stop.arrival)
        idle = stop.start - stop.arrival
        if brk is not None:
            idle -= max(0.0, min(brk[1], stop.start) - max(brk[0], stop.arrival))
        waited += idle
        window_end = next(
            (b for a, b in job.windows if a - EPSILON_MINUTES <= stop.start <= b + EPSILON_MINUTES),
            float("inf"),
        )
        best = min(best, waited + window_end - stop.start)
    return max(0.0, min(waited, best))


def _leave_later(
    data: RoutingData, vehicle: Vehicle, jobs: Sequence[Item], draft: _Draft, break_at: int | None
) -> _Draft:
    """Leave as late as removes waiting (``departure_delay``), keeping the end and on-time stops.

    The delay is exact without a break; with one the re-simulation checks it, halving the delay
    until the end does not move. A delay that held is followed by the delay of the moved route
    (a halved one leaves some waiting): ``LEAVE_LATER_TRIES`` re-simulations in all.
    """
    visits = [j for j in jobs if isinstance(j, Job)]
    delay = departure_delay(draft.stops, {j.id: j for j in visits}, draft.brk)
    late_before = {s.request for s, j in zip(_visits(draft), visits, strict=True) if _late(s, j)}
    for _ in range(LEAVE_LATER_TRIES):
        if delay <= EPSILON_MINUTES:
            return draft
        later = _simulate(data, vehicle, jobs, draft.start + delay, break_at)
        if (
            later is not None
            and later.end <= draft.end + EPSILON_MINUTES
            and (break_at is not None or _break_free(vehicle, later))
            and {s.request for s, j in zip(_visits(later), visits, strict=True) if _late(s, j)}
            <= late_before
        ):
            draft = later
            delay = departure_delay(draft.stops, {j.id: j for j in visits}, draft.brk)
        else:
            delay /= 2
    return draft


def _visits(draft: _Draft) -> list[Stop]:
    return [s for s in draft.stops if s.kind == "visit"]


def _late(stop: Stop, job: Job) -> bool:
    return stop.arrival > job.due + EPSILON_MINUTES


def _cost(
    vehicle: Vehicle, draft: _Draft, jobs: Sequence[Item], weights: Mapping[str, float]
) -> tuple[float, tuple[str, ...]]:
    regular = min(draft.end, vehicle.shift_end) - draft.start
    extra = max(0.0, draft.end - vehicle.shift_end)
    visits = [j for j in jobs if isinstance(j, Job)]
    late = tuple(j.id for j, s in zip(visits, _visits(draft), strict=True) if _late(s, j))
    cost = (
        regular / MINUTES_PER_HOUR * vehicle.hourly_cost
        + extra / MINUTES_PER_HOUR * vehicle.overtime_cost_per_hour
        + sum(weights.get(j, 0.0) for j in late)
    )
    return cost, late


def time_route(
    data: RoutingData,
    vehicle: Vehicle,
    jobs: Sequence[Item],
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
    legs = [vehicle.location, *draft.places, vehicle.location]
    pairs = list(itertools.pairwise(legs)) if draft.places else []
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
    jobs: Sequence[Item],
    lateness_weight: Mapping[str, float] | None = None,
) -> tuple[Timed | None, list[Item]]:
    """Time the order; if infeasible, keep the longest feasible subsequence built in order.

    Returns the timed route (None when no job fits) and the jobs that had to be dropped.
    """
    timed = time_route(data, vehicle, jobs, lateness_weight)
    if timed is not None:
        return timed, []
    kept: list[Item] = []
    dropped: list[Item] = []
    for job in jobs:
        if time_route(data, vehicle, [*kept, job], lateness_weight) is not None:
            kept.append(job)
        else:
            dropped.append(job)
    return (time_route(data, vehicle, kept, lateness_weight) if kept else None), dropped
