"""Route checks (plan sections ``routes`` and ``unserved``) and the routing-horizon costs.

Routing counts as decided when ``routes`` or ``unserved`` is not empty; only then must every
request appear exactly once in stops ∪ unserved (see ``requests``; breaks: ``breaks``).
Stops whose request is unknown are reported
and left out of travel; the travel-gap and route-total checks of such a route are skipped.
A route with no stops has no legs (0 km, 0 minutes) but must still end no earlier than it starts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from aftersales.optimizer.schema import Plan, Request, Route, Shift, Technician
from aftersales.optimizer.validate.breaks import check_break
from aftersales.optimizer.validate.context import Context, day_start
from aftersales.optimizer.validate.report import (
    ARRIVAL_AFTER_START,
    BEFORE_OPENED,
    CLOSED_DEPOT,
    DOUBLE_VISIT,
    DUPLICATE_ROUTE,
    MISSING_SKILL,
    MISSING_TOOL,
    NO_ROAD_PATH,
    NO_SHIFT,
    PARTS_NOT_AVAILABLE,
    PINNED_ELSEWHERE,
    RESTOCK_INVALID,
    ROUTE_TOTALS,
    SERVICE_DURATION,
    SHIFT_END,
    SHIFT_START,
    STAFFING_MISMATCH,
    TIME_TOLERANCE_MINUTES,
    TIME_WINDOW,
    TRAVEL_TIME,
    UNKNOWN_REFERENCE,
    VAN_SHORT,
    Collector,
    pointer,
    same_time,
    same_value,
)
from aftersales.optimizer.validate.requests import (
    check_unserved,
    lateness_credits,
    unserved_penalty,
)
from aftersales.optimizer.validate.stock import StockOutcome

TOL = TIME_TOLERANCE_MINUTES
MINUTES_PER_HOUR = 60.0


@dataclass
class RouteOutcome:
    """Served requests (first stop of each) and the recomputed routing costs."""

    decided: bool
    arrival: dict[str, float] = field(default_factory=dict)
    """Request id → arrival minute of its first stop."""
    costs: dict[str, float] = field(default_factory=dict)


@dataclass
class _Legs:
    """Recomputed travel of one route: per leg minutes and km, and whether all legs are known."""

    minutes: list[float]
    km: list[float]
    complete: bool


def check_routes(
    ctx: Context,
    plan: Plan,
    open_depots: frozenset[str] | None,
    stock: StockOutcome,
    out: Collector,
) -> RouteOutcome:
    """Check every route and the served/unserved bookkeeping; recompute routing costs."""
    first_stop: dict[str, tuple[int, int]] = {}
    route_days: dict[tuple[str, int], int] = {}
    travel_km = labour = overtime = 0.0
    for i, route in enumerate(plan.routes):
        requests = _check_stops(ctx, i, route, first_stop, out)
        tech = ctx.crew.get(route.technician)
        if tech is None:
            released = route.technician in ctx.released
            out.add(
                STAFFING_MISMATCH if released else UNKNOWN_REFERENCE,
                pointer("routes", i, "technician"),
                f"technician '{route.technician}' is released by the plan but has a route"
                if released
                else f"unknown technician '{route.technician}'",
            )
            continue
        if plan.technician_bases and route.depot not in (None, tech.depot):
            out.add(
                STAFFING_MISMATCH,
                pointer("routes", i, "depot"),
                f"technician '{tech.id}' works from '{route.depot}', the plan bases it at "
                f"'{tech.depot}'",
            )
        base = route.depot or tech.depot
        if base not in ctx.depots:
            out.add(UNKNOWN_REFERENCE, pointer("routes", i, "depot"), f"unknown depot '{base}'")
            continue
        shift = ctx.shifts.get((tech.id, route.day))
        _check_route_frame(i, route, tech, base, shift, open_depots, route_days, out)
        _check_assignments(ctx, i, route, tech, base, requests, stock, out)
        check_van(ctx, i, route, tech, base, requests, stock, out)
        home = tech.home.id if tech.home is not None else base
        places = [
            r.site if r is not None else (s.depot if s.kind == "restock" else None)
            for s, r in zip(route.stops, requests, strict=True)
        ]
        legs = _legs(ctx, home, places)
        if not all(math.isfinite(m) for m in legs.minutes):
            out.add(NO_ROAD_PATH, pointer("routes", i), "a leg of the route has no road path")
        if legs.complete:
            _check_travel_gaps(i, route, legs, out)
            _check_totals(i, route, legs, out)
        check_break(i, route, tech, out)
        travel_km += sum(k for k in legs.km if math.isfinite(k))  # no path: flagged above
        regular, extra = _labour_minutes(route, shift)
        labour += regular / MINUTES_PER_HOUR * tech.hourly_cost
        overtime += extra / MINUTES_PER_HOUR * tech.overtime_cost_per_hour
    decided = bool(plan.routes or plan.unserved)
    unserved = check_unserved(ctx, plan, first_stop, decided, out)
    arrival = {r: plan.routes[i].stops[j].arrival for r, (i, j) in first_stop.items()}
    return RouteOutcome(
        decided=decided,
        arrival=arrival,
        costs={
            "route_travel": travel_km * ctx.scenario.costs.travel_cost_per_km,
            "route_labour": labour,
            "route_overtime": overtime,
            "route_lateness_credits": lateness_credits(ctx, arrival),
            "unserved_penalty": unserved_penalty(ctx, unserved),
        },
    )


def _check_stops(
    ctx: Context,
    i: int,
    route: Route,
    first_stop: dict[str, tuple[int, int]],
    out: Collector,
) -> list[Request | None]:
    """Per stop: known request, visited once, and the time rules of the stop itself.

    Returns the request of each stop (None for restock stops and unknown requests).
    """
    requests: list[Request | None] = []
    for j, stop in enumerate(route.stops):
        path = pointer("routes", i, "stops", j)
        if stop.kind == "restock" or stop.request is None:
            requests.append(None)
            if stop.arrival > stop.start + TOL or not same_time(stop.start, stop.end):
                out.add(
                    RESTOCK_INVALID,
                    path + "/end",
                    f"a restock takes no time: arrival {stop.arrival}, start {stop.start}, "
                    f"end {stop.end}",
                )
            continue
        request = ctx.requests.get(stop.request)
        requests.append(request)
        if request is None:
            out.add(UNKNOWN_REFERENCE, path + "/request", f"unknown request '{stop.request}'")
            continue
        if stop.request in first_stop:
            a, b = first_stop[stop.request]
            out.add(
                DOUBLE_VISIT,
                path + "/request",
                f"request '{stop.request}' already served at /routes/{a}/stops/{b}",
            )
        else:
            first_stop[stop.request] = (i, j)
        _check_stop_times(request, stop.arrival, stop.start, stop.end, path, out)
    return requests


def _check_stop_times(
    request: Request, arrival: float, start: float, end: float, path: str, out: Collector
) -> None:
    """arrival ≤ start; end = start + duration; start ≥ opened; start inside a time window."""
    if arrival > start + TOL:
        out.add(ARRIVAL_AFTER_START, path + "/arrival", f"arrival {arrival} after start {start}")
    if not same_time(end - start, request.duration_minutes):
        out.add(
            SERVICE_DURATION,
            path + "/end",
            f"service lasts {end - start} min, request '{request.id}' needs "
            f"{request.duration_minutes}",
        )
    if start < request.opened_minute - TOL:
        out.add(
            BEFORE_OPENED,
            path + "/start",
            f"start {start} before request '{request.id}' opened at {request.opened_minute}",
        )
    windows = request.time_windows
    if windows and not any(w.start - TOL <= start <= w.end + TOL for w in windows):
        spans = ", ".join(f"[{w.start}, {w.end}]" for w in windows)
        out.add(
            TIME_WINDOW,
            path + "/start",
            f"start {start} outside the windows {spans} of request '{request.id}'",
        )


def _check_route_frame(
    i: int,
    route: Route,
    tech: Technician,
    base: str,
    shift: Shift | None,
    open_depots: frozenset[str] | None,
    route_days: dict[tuple[str, int], int],
    out: Collector,
) -> None:
    """One route per technician and day, on a shift, inside shift + overtime, from an open depot."""
    key = (tech.id, route.day)
    if key in route_days:
        out.add(
            DUPLICATE_ROUTE,
            pointer("routes", i),
            f"technician '{tech.id}' already has a route on day {route.day} "
            f"(/routes/{route_days[key]})",
        )
    else:
        route_days[key] = i
    if open_depots is not None and base not in open_depots:
        out.add(
            CLOSED_DEPOT,
            pointer("routes", i, "depot" if route.depot else "technician"),
            f"technician '{tech.id}' works from depot '{base}', which the plan closes",
        )
    if shift is None:
        out.add(
            NO_SHIFT,
            pointer("routes", i, "day"),
            f"technician '{tech.id}' has no shift on day {route.day}",
        )
        return
    shift_start, shift_end = _shift_bounds(route.day, shift)
    if route.start < shift_start - TOL:
        out.add(
            SHIFT_START,
            pointer("routes", i, "start"),
            f"route starts at {route.start}, shift starts at {shift_start}",
        )
    latest = shift_end + tech.max_overtime_minutes
    if route.end > latest + TOL:
        out.add(
            SHIFT_END,
            pointer("routes", i, "end"),
            f"route ends at {route.end}, after shift end {shift_end} + "
            f"{tech.max_overtime_minutes} min overtime",
        )


def _shift_bounds(day: int, shift: Shift) -> tuple[float, float]:
    """Absolute start and (regular) end minute of a shift."""
    return day_start(day) + shift.start_minute, day_start(day) + shift.end_minute


def _check_assignments(
    ctx: Context,
    i: int,
    route: Route,
    tech: Technician,
    base: str,
    requests: list[Request | None],
    stock: StockOutcome,
    out: Collector,
) -> None:
    """Skills, pinning and part availability of each served request."""
    skills = set(tech.skills)
    delay = ctx.scenario.costs.emergency_delay_minutes
    for j, (stop, request) in enumerate(zip(route.stops, requests, strict=True)):
        if request is None:
            continue
        path = pointer("routes", i, "stops", j)
        missing = [s for s in ctx.effective_skills(request) if s not in skills]
        if missing:
            out.add(
                MISSING_SKILL,
                path + "/request",
                f"technician '{tech.id}' lacks skills {missing} for request '{request.id}'",
            )
        pinned = request.pinned_technician
        if pinned is not None and pinned != tech.id:
            out.add(
                PINNED_ELSEWHERE,
                path + "/request",
                f"request '{request.id}' is pinned to '{pinned}', served by '{tech.id}'",
            )
        if not stock.decided or tech.van_stock is not None:
            continue  # a van technician's parts are checked along the route (check_van)
        absent = [p for p in request.parts if stock.pooled_level(base, p) <= 0]
        ready = request.opened_minute + delay
        if absent and stop.start < ready - TOL:
            out.add(
                PARTS_NOT_AVAILABLE,
                path + "/start",
                f"parts {absent} are not stocked at depot '{base}': service cannot start "
                f"before {ready} (opened + emergency delay), starts at {stop.start}",
            )


def _legs(ctx: Context, home: str, places: list[str | None]) -> _Legs:
    """Home → stop places (sites, restock depots) → home travel, one vectorised lookup per route
    (linear in its stops: paired lookups, never the full matrix of the route's places)."""
    known = [p for p in places if p is not None]
    if not known:
        return _Legs([0.0] * (len(places) + 1), [0.0], complete=not places)
    route = [home, *known, home]
    minutes = ctx.travel.paired_minutes(route[:-1], route[1:]).tolist()
    km = ctx.travel.paired_km(route[:-1], route[1:]).tolist()
    return _Legs(minutes, km, complete=len(known) == len(places))


def check_van(
    ctx: Context,
    i: int,
    route: Route,
    tech: Technician,
    base: str,
    requests: list[Request | None],
    stock: StockOutcome,
    out: Collector,
) -> None:
    """Van contents along the route (docs/semantics.md, "Van stock and restocking").

    The van starts with the technician's tools and ``van_stock``; each visit needs its tools on
    board and takes its parts out. A restock stop — only at the technician's working depot and
    only for technicians with a van model — adds every tool and makes every part the depot
    stocks (any part when the stock layer did not run) available without limit. Technicians
    without a van model carry only their tools; their parts follow the depot-release rule.
    """
    tools = set(tech.tools)
    van = None if tech.van_stock is None else dict(tech.van_stock)
    unlimited: set[str] | None = set()
    """Parts refilled by a restock; None = every part."""
    restocked = False
    for j, (stop, request) in enumerate(zip(route.stops, requests, strict=True)):
        path = pointer("routes", i, "stops", j)
        if stop.kind == "restock":
            problem = None
            if van is None:
                problem = f"technician '{tech.id}' has no van model (van_stock) to restock"
            elif stop.depot != base:
                problem = f"restock at '{stop.depot}', technician '{tech.id}' works from '{base}'"
            if problem is not None:
                out.add(RESTOCK_INVALID, path + "/depot", problem)
                continue
            restocked = True
            if not stock.decided:
                unlimited = None
            elif unlimited is not None:
                unlimited |= {p for p in ctx.parts if stock.pooled_level(base, p) > 0}
            continue
        if request is None:
            continue
        absent_tools = sorted(set(request.tools) - tools) if not restocked else []
        if absent_tools:
            out.add(
                MISSING_TOOL,
                path + "/request",
                f"technician '{tech.id}' lacks tools {absent_tools} for request '{request.id}' "
                "(not carried, no restock before)",
            )
        if van is None:
            continue
        for part, units in sorted(request.parts.items()):
            if unlimited is None or part in unlimited:
                continue
            van[part] = van.get(part, 0) - units
            if van[part] < 0:
                out.add(
                    VAN_SHORT,
                    path + "/request",
                    f"van of '{tech.id}' is {-van[part]} unit(s) of part '{part}' short for "
                    f"request '{request.id}'",
                )
                van[part] = 0


def _check_travel_gaps(i: int, route: Route, legs: _Legs, out: Collector) -> None:
    """Each gap between leaving a place and arriving at the next holds travel (+ the break)."""
    leave = [route.start, *(s.end for s in route.stops)]
    arrive = [*(s.arrival for s in route.stops), route.end]
    brk = route.break_
    for k, (left, came, travel) in enumerate(zip(leave, arrive, legs.minutes, strict=True)):
        pause = 0.0
        if brk is not None and left - TOL <= brk.start and brk.end <= came + TOL:
            pause = brk.end - brk.start
        if came - left < travel + pause - TOL:
            path = (
                pointer("routes", i, "end")
                if k == len(route.stops)
                else pointer("routes", i, "stops", k, "arrival")
            )
            out.add(
                TRAVEL_TIME,
                path,
                f"{came - left} min between leaving at {left} and arriving at {came}: "
                f"travel takes {travel} min, break {pause} min",
            )


def _check_totals(i: int, route: Route, legs: _Legs, out: Collector) -> None:
    """Reported travel_minutes and travel_km equal the sums over the legs."""
    minutes, km = sum(legs.minutes), sum(legs.km)
    if not same_time(route.travel_minutes, minutes):
        out.add(
            ROUTE_TOTALS,
            pointer("routes", i, "travel_minutes"),
            f"travel_minutes {route.travel_minutes} reported, {minutes} recomputed",
        )
    if not same_value(route.travel_km, km):
        out.add(
            ROUTE_TOTALS,
            pointer("routes", i, "travel_km"),
            f"travel_km {route.travel_km} reported, {km} recomputed",
        )


def _labour_minutes(route: Route, shift: Shift | None) -> tuple[float, float]:
    """(regular, overtime) minutes of a route; without a shift all time counts as regular."""
    if shift is None:
        return max(0.0, route.end - route.start), 0.0
    _, shift_end = _shift_bounds(route.day, shift)
    regular = max(0.0, min(route.end, shift_end) - route.start)
    return regular, max(0.0, route.end - shift_end)
