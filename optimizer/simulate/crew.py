"""Who works in the simulation, from which depot, with which skills and when.

Two sources of technicians:

* **The plan's staffing** (``plan.technician_bases`` not empty): every base except ``released``
  works from its plan ``depot`` (kept, moved and hired alike). A kept or moved technician keeps
  the scenario's skills, shifts and hourly cost. A *hire* has the one skill of its pool and the
  weekly shifts of the first technician based at the same depot today (the depot's existing
  staff), else Monday-Friday 08:00-17:00; its hourly cost is ``technician_cost_per_year /
  technician_hours_per_year``.
* **Today's staff** (no bases): each scenario technician at its home depot, or, when the plan
  closes it, at the nearest open depot (as routes do).

Rostering (``SimulationSettings.roster``) decides when a technician takes calls:

* ``service_hours`` (default, the queueing model's assumption in docs/semantics.md: the pool's
  technicians are rostered across the service hours of the tiers they serve, with on-call cover
  for 24/7 tiers): a technician is available in its own shifts *and* whenever a tier of a site
  its depot serves is in service hours. Under a 24/7 tier that is around the clock.
* ``shifts``: only in the technician's own weekly shifts (no on-call cover).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from aftersales.optimizer.arrays import FloatArray, IntArray
from aftersales.optimizer.schema import Plan, Scenario, Shift

MINUTES_PER_WEEK = 7 * 1440
DEFAULT_WEEK: tuple[tuple[float, float], ...] = tuple(
    (d * 1440 + 480.0, d * 1440 + 1020.0) for d in range(5)
)
"""Monday-Friday 08:00-17:00 as minutes of the week."""
FULL_WEEK: tuple[tuple[float, float], ...] = ((0.0, float(MINUTES_PER_WEEK)),)

Roster = Literal["service_hours", "shifts"]
WeekPattern = tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class CrewMember:
    """One simulated technician."""

    id: str
    depot: int
    """Depot index it works from."""
    skills: frozenset[str]
    shifts: WeekPattern
    """Own weekly shift pattern (minutes of the week)."""
    hourly_cost: float


def weekly_pattern(shifts: Sequence[Shift], start_day: int = 0) -> WeekPattern:
    """Shift intervals of a technician folded onto one week (the simulation's week starts on a
    Monday): horizon day d → weekday (start_day + d) mod 7, ``start_day`` being the scenario's
    ``horizon_start_day``."""
    if not shifts:
        return DEFAULT_WEEK
    seen: set[tuple[float, float]] = set()
    for shift in shifts:
        offset = ((start_day + shift.day) % 7) * 1440
        seen.add((offset + shift.start_minute, offset + shift.end_minute))
    return tuple(sorted(seen))


def merge_intervals(intervals: list[tuple[float, float]]) -> WeekPattern:
    """Union of intervals, sorted, within one week (parts past the week's end wrap around)."""
    pieces: list[tuple[float, float]] = []
    for start, end in intervals:
        if end <= MINUTES_PER_WEEK:
            pieces.append((start, end))
        else:
            pieces.append((start, MINUTES_PER_WEEK))
            pieces.append((0.0, end - MINUTES_PER_WEEK))
    pieces.sort()
    merged: list[list[float]] = []
    for start, end in pieces:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple((a, b) for a, b in merged)


def plan_crew(
    scenario: Scenario, plan: Plan, depots: dict[str, int], nearest_open: dict[int, int]
) -> list[CrewMember]:
    """The technicians who work under ``plan`` (see the module docstring).

    ``nearest_open`` maps a depot index the plan closes to the open depot its technicians move
    to (used only without ``technician_bases``).
    """
    by_id = {t.id: t for t in scenario.technicians}
    bases = plan.technician_bases
    start_day = scenario.horizon_start_day
    if not bases:
        return [
            CrewMember(
                t.id,
                nearest_open.get(depots[t.depot], depots[t.depot]),
                frozenset(t.skills),
                weekly_pattern(t.shifts, start_day),
                float(t.hourly_cost),
            )
            for t in scenario.technicians
        ]
    depot_week: dict[str, WeekPattern] = {}
    for tech in scenario.technicians:
        depot_week.setdefault(tech.depot, weekly_pattern(tech.shifts, start_day))
    costs = scenario.costs
    hire_hourly = float(costs.technician_cost_per_year / costs.technician_hours_per_year)
    crew: list[CrewMember] = []
    for base in bases:
        if base.action == "released" or base.depot is None or base.depot not in depots:
            continue
        known = by_id.get(base.technician)
        if known is not None and base.action != "hired":
            crew.append(
                CrewMember(
                    known.id,
                    depots[base.depot],
                    frozenset(known.skills),
                    weekly_pattern(known.shifts, start_day),
                    float(known.hourly_cost),
                )
            )
        else:
            week = depot_week.get(base.depot, DEFAULT_WEEK)
            hire = CrewMember(
                base.technician, depots[base.depot], frozenset([base.skill]), week, hire_hourly
            )
            crew.append(hire)
    return crew


def rostered_weeks(
    crew: Sequence[CrewMember],
    roster: Roster,
    depot_tier_windows: dict[int, list[WeekPattern | None]],
) -> tuple[WeekPattern, ...]:
    """Per crew member: the weekly hours it takes calls (own shifts, plus on-call cover)."""
    weeks: list[WeekPattern] = []
    for member in crew:
        if roster == "shifts":
            weeks.append(member.shifts)
            continue
        windows = depot_tier_windows.get(member.depot, [])
        if any(w is None for w in windows):
            weeks.append(FULL_WEEK)
            continue
        pieces = list(member.shifts) + [iv for w in windows if w is not None for iv in w]
        weeks.append(merge_intervals(pieces))
    return tuple(weeks)


def crew_arrays(crew: Sequence[CrewMember]) -> tuple[IntArray, FloatArray]:
    """Depot index and hourly cost per crew member, as arrays."""
    return (
        np.array([m.depot for m in crew], dtype=np.intp),
        np.array([m.hourly_cost for m in crew], dtype=float),
    )
