"""Timing of one technician-day built stop by stop, following docs/semantics.md.

A route is built by appending jobs. Before a job the technician may take the daily break (when
doing the job first would leave no room for the break inside its window); after the last job the
break is taken on the way home if the day still needs one. Each step keeps the invariant the
validator checks: every gap between two places holds the travel time plus any break in it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from aftersales.optimizer.routing.data import Job, RoutingData, Vehicle
from aftersales.optimizer.schema import Break, Route, Stop


@dataclass(frozen=True)
class Visit:
    """Timing of one appended job."""

    job: Job
    arrival: float
    start: float
    end: float
    break_before: tuple[float, float] | None


def earliest_start(job: Job, ready: float) -> float | None:
    """First moment ≥ ready at which service may start, or None if every window has passed."""
    if not job.windows:
        return ready
    for window_start, window_end in job.windows:
        start = max(ready, window_start)
        if start <= window_end:
            return start
    return None


@dataclass
class DayRoute:
    """A technician-day under construction: where the technician is and when they are free."""

    vehicle: Vehicle
    location: int
    free_at: float
    visits: list[Visit] = field(default_factory=list)
    break_taken: bool = False
    used: dict[str, int] = field(default_factory=dict)
    """Part units taken from the van so far (van technicians; no restock in this builder)."""

    @classmethod
    def empty(cls, vehicle: Vehicle) -> DayRoute:
        """A day with no jobs yet: at the depot from the shift start."""
        return cls(vehicle, vehicle.location, vehicle.shift_start)

    def try_append(self, data: RoutingData, job: Job) -> Visit | None:
        """Timing of ``job`` appended to this day, or None if it cannot fit (time, or the van
        lacks the job's tools or parts)."""
        v = self.vehicle
        if not self._van_holds(job):
            return None
        travel = float(data.minutes[self.location, job.location])
        release = data.release_minute(job, v)
        depart = max(self.free_at, job.opened)
        start = earliest_start(job, max(depart + travel, release))
        break_before = None
        window_start, window_end = v.break_window
        if (
            start is not None
            and self._needs_break()
            and start + job.duration > window_end - v.break_minutes
        ):
            break_start = max(self.free_at, window_start)
            if break_start + v.break_minutes > window_end:
                return None
            break_before = (break_start, break_start + v.break_minutes)
            depart = max(break_before[1], job.opened)
            start = earliest_start(job, max(depart + travel, release))
        if start is None:
            return None
        visit = Visit(job, depart + travel, start, start + job.duration, break_before)
        taken = self.break_taken or break_before is not None
        if self._finish(data, job.location, visit.end, taken) > v.latest_end:
            return None
        return visit

    def append(self, visit: Visit) -> None:
        """Commit a visit returned by ``try_append``."""
        self.visits.append(visit)
        self.location = visit.job.location
        self.free_at = visit.end
        self.break_taken = self.break_taken or visit.break_before is not None
        for part, units in visit.job.part_units:
            self.used[part] = self.used.get(part, 0) + units

    def _van_holds(self, job: Job) -> bool:
        """Tools on board; for a van technician, enough parts left in the van."""
        v = self.vehicle
        if not job.tools <= v.tools:
            return False
        if v.van is None:
            return True
        van = dict(v.van)
        return all(van.get(p, 0) - self.used.get(p, 0) >= n for p, n in job.part_units)

    def to_route(self, data: RoutingData) -> Route:
        """The finished day: return home, with the break on the way if still required."""
        v = self.vehicle
        end = self._finish(data, self.location, self.free_at, self.break_taken)
        breaks = [visit.break_before for visit in self.visits if visit.break_before]
        home = float(data.minutes[self.location, v.location])
        if not self.break_taken and end > self.free_at + home:
            start_break = max(self.free_at, v.break_window[0])
            breaks.append((start_break, start_break + v.break_minutes))
        legs = [v.location] + [visit.job.location for visit in self.visits] + [v.location]
        pairs = list(itertools.pairwise(legs))
        return Route(
            technician=v.technician,
            day=v.day,
            depot=v.depot if v.relocated else None,
            start=v.shift_start,
            end=end,
            stops=[
                Stop(request=x.job.id, arrival=x.arrival, start=x.start, end=x.end)
                for x in self.visits
            ],
            break_=Break(start=breaks[0][0], end=breaks[0][1]) if breaks else None,
            travel_km=float(sum(data.km[a, b] for a, b in pairs)),
            travel_minutes=float(sum(data.minutes[a, b] for a, b in pairs)),
        )

    def _needs_break(self) -> bool:
        return self.vehicle.break_minutes > 0 and not self.break_taken

    def _finish(self, data: RoutingData, location: int, free_at: float, taken: bool) -> float:
        """Arrival back home, including a break on the way when the day still needs one."""
        v = self.vehicle
        home = float(data.minutes[location, v.location])
        if taken or v.break_minutes == 0 or free_at + home <= v.break_window[1] - v.break_minutes:
            return free_at + home
        return max(free_at, v.break_window[0]) + v.break_minutes + home
