"""Compiled data of the operational layer: technician-days, jobs and one travel table.

Vehicles are technician-days (one shift each); nodes are requests. All times are absolute
minutes from the horizon start, so multi-day plans need no special casing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from aftersales.optimizer.schema import (
    MINUTES_PER_DAY,
    Request,
    Scenario,
    Technician,
    TechnicianBase,
)
from aftersales.optimizer.schema.crew import planned_technicians
from aftersales.optimizer.travel import Travel

StockLevels = dict[tuple[str, str], int]
"""Pooled stock level by (depot id, part id); absent = 0."""


@dataclass(frozen=True)
class Job:
    """One request as the router sees it."""

    id: str
    site: str
    location: int
    duration: float
    opened: float
    due: float
    windows: tuple[tuple[float, float], ...]
    skills: frozenset[str]
    parts: tuple[str, ...]
    pinned: str | None
    deferrable: bool
    priority: int
    tools: frozenset[str] = frozenset()
    part_units: tuple[tuple[str, int], ...] = ()
    """(part id, units) consumed from the van, sorted by part id."""
    beyond_horizon: bool = False
    """Due after the horizon ends: may be carried over (deferral penalty), never late here."""


@dataclass(frozen=True)
class Vehicle:
    """One technician's shift on one day."""

    technician: str
    day: int
    depot: str
    """Where the day starts and ends: home, or the nearest open depot if home is closed."""
    relocated: bool
    location: int
    skills: frozenset[str]
    shift_start: float
    shift_end: float
    latest_end: float
    """Shift end plus the overtime allowance."""
    break_minutes: float
    break_window: tuple[float, float]
    hourly_cost: float
    overtime_cost_per_hour: float
    depot_location: int = -1
    """Location index of ``depot`` (where restock stops go); -1 = same as ``location``."""
    tools: frozenset[str] = frozenset()
    van: tuple[tuple[str, int], ...] | None = None
    """(part id, units) in the van at the start; None = no van model (parts from the depot)."""
    restock_parts: frozenset[str] | None = None
    """Parts a restock at ``depot`` refills; None = every part (no stock layer ran)."""

    @property
    def restock_location(self) -> int:
        """Location index of the depot where this technician-day restocks."""
        return self.location if self.depot_location < 0 else self.depot_location


@dataclass(frozen=True)
class RoutingData:
    """Jobs, vehicles and the travel table between their locations."""

    jobs: tuple[Job, ...]
    vehicles: tuple[Vehicle, ...]
    minutes: npt.NDArray[np.float64]
    km: npt.NDArray[np.float64]
    emergency_delay_minutes: float
    stock: StockLevels | None
    """Pooled levels when the stock layer ran; ``None`` means parts are assumed on hand."""

    def release_minute(self, job: Job, vehicle: Vehicle) -> float:
        """Earliest service start given the parts the vehicle's depot lacks.

        A technician with a van model carries the parts (checked along the route instead), so
        only technicians without one wait for an emergency shipment.
        """
        if (
            vehicle.van is not None
            or self.stock is None
            or all(self.stock.get((vehicle.depot, p), 0) > 0 for p in job.parts)
        ):
            return job.opened
        return job.opened + self.emergency_delay_minutes


def can_restock(vehicle: Vehicle) -> bool:
    """Only technicians with a van model restock; the others carry their tools and no parts."""
    return vehicle.van is not None


def missing_equipment(job: Job, vehicle: Vehicle) -> str | None:
    """``"tool"`` or ``"part"`` when the technician cannot get what the job needs, else None.

    Tools: on board from the start, or from a restock. Parts (van model only): enough units in
    the van at the start, or stocked at the depot for a restock.
    """
    restock = can_restock(vehicle)
    if not restock and not job.tools <= vehicle.tools:
        return "tool"
    if vehicle.van is None:
        return None
    van = dict(vehicle.van)
    stocked = vehicle.restock_parts
    for part, units in job.part_units:
        if van.get(part, 0) >= units:
            continue
        if stocked is None or part in stocked:
            continue
        return "part"
    return None


def working_depots(
    technicians: Sequence[Technician], travel: Travel, open_depots: set[str] | None
) -> dict[str, str]:
    """Depot each technician works from: its depot if open, else the nearest open depot by time."""
    if open_depots is None:
        return {t.id: t.depot for t in technicians}
    if not open_depots:
        return {}
    targets = sorted(open_depots)
    homes = sorted({t.depot for t in technicians} - open_depots)
    nearest = {}
    if homes:
        minutes = travel.minutes(homes, targets)
        nearest = {
            home: targets[int(k)] for home, k in zip(homes, minutes.argmin(axis=1), strict=True)
        }
    return {t.id: nearest.get(t.depot, t.depot) for t in technicians}


def _due(request: Request, response_minutes: float) -> float:
    """SLA due minute: given, else opened + the tier's response time."""
    if request.due_minute is not None:
        return request.due_minute
    return request.opened_minute + response_minutes


def _start_of(technician: Technician, depot: str) -> str:
    """Location where the technician's routes start and end: the home if given, else the depot."""
    return technician.home.id if technician.home is not None else depot


def _stocked(stock: StockLevels | None, depot: str) -> frozenset[str] | None:
    """Parts with a positive pooled level at ``depot``; None when no stock layer ran."""
    if stock is None:
        return None
    return frozenset(p for (d, p), level in stock.items() if d == depot and level > 0)


def compile_routing(
    scenario: Scenario,
    open_depots: set[str] | None = None,
    stock: StockLevels | None = None,
    travel: Travel | None = None,
    bases: Sequence[TechnicianBase] | None = None,
) -> RoutingData:
    """Build technician-days (of open depots only) and jobs with effective skills and due times.

    ``bases`` (the plan's technician bases) decide who works and from where
    (``schema.crew.planned_technicians``): kept and moved technicians from their plan depot,
    hires with the shifts of their depot's first technician, released ones not at all.
    Without bases, today's technicians work from their depot, or from the nearest open one
    when the plan closes it (``working_depots``).
    """
    travel = travel or Travel(scenario)
    sites = {s.id: s for s in scenario.sites}
    tiers = {t.id: t for t in scenario.tiers}
    products = {p.id: p for p in scenario.products}
    today = {t.id: t.depot for t in scenario.technicians}
    crew = planned_technicians(scenario, bases or [])
    base = working_depots(crew, travel, open_depots)
    technicians = [t for t in crew if t.id in base]
    locations = list(
        dict.fromkeys(
            [base[t.id] for t in technicians]
            + [_start_of(t, base[t.id]) for t in technicians]
            + [r.site for r in scenario.requests]
        )
    )
    index = {loc: i for i, loc in enumerate(locations)}
    horizon_end = scenario.policy.horizon_days * MINUTES_PER_DAY
    jobs = tuple(
        Job(
            id=r.id,
            site=r.site,
            location=index[r.site],
            duration=r.duration_minutes,
            opened=r.opened_minute,
            due=_due(r, tiers[sites[r.site].tier].response_minutes),
            windows=tuple(sorted((w.start, w.end) for w in r.time_windows)),
            skills=frozenset(r.required_skills or [products[r.product].skill]),
            parts=tuple(sorted(r.parts)),
            pinned=r.pinned_technician,
            deferrable=r.deferrable,
            priority=r.priority,
            tools=frozenset(r.tools),
            part_units=tuple(sorted(r.parts.items())),
            beyond_horizon=_due(r, tiers[sites[r.site].tier].response_minutes) > horizon_end,
        )
        for r in scenario.requests
    )
    vehicles = tuple(
        Vehicle(
            technician=t.id,
            day=shift.day,
            depot=base[t.id],
            relocated=base[t.id] != today.get(t.id, t.depot),
            location=index[_start_of(t, base[t.id])],
            depot_location=index[base[t.id]],
            tools=frozenset(t.tools),
            van=None if t.van_stock is None else tuple(sorted(t.van_stock.items())),
            restock_parts=_stocked(stock, base[t.id]),
            skills=frozenset(t.skills),
            shift_start=shift.day * MINUTES_PER_DAY + shift.start_minute,
            shift_end=shift.day * MINUTES_PER_DAY + shift.end_minute,
            latest_end=shift.day * MINUTES_PER_DAY + shift.end_minute + t.max_overtime_minutes,
            break_minutes=t.break_minutes,
            break_window=(
                shift.day * MINUTES_PER_DAY + t.break_window_start_minute,
                shift.day * MINUTES_PER_DAY + t.break_window_end_minute,
            ),
            hourly_cost=t.hourly_cost,
            overtime_cost_per_hour=t.overtime_cost_per_hour,
        )
        for t in technicians
        for shift in sorted(t.shifts, key=lambda s: s.day)
    )
    return RoutingData(
        jobs=jobs,
        vehicles=vehicles,
        minutes=_drivable(travel.minutes(locations, locations), horizon_end),
        km=_drivable(travel.km(locations, locations), horizon_end),
        emergency_delay_minutes=scenario.costs.emergency_delay_minutes,
        stock=stock,
    )


def _drivable(table: npt.NDArray[np.float64], horizon_minutes: float) -> npt.NDArray[np.float64]:
    """The table with legs that have no road path (``inf``, travel mode 'graph') set longer than
    the whole horizon plus the longest real leg: no shift can drive them, so a job no
    technician can reach is left undone (the validator sees ``inf`` for any such leg)."""
    finite = np.isfinite(table)
    if finite.all():
        return table
    longest = float(table[finite].max(initial=0.0))
    return np.where(finite, table, 2.0 * horizon_minutes + 2.0 * longest + 1.0)
