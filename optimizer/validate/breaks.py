"""The daily break rule of a route (docs/semantics.md, "Break")."""

from __future__ import annotations

from aftersales.optimizer.schema import Route, Technician
from aftersales.optimizer.validate.context import day_start
from aftersales.optimizer.validate.report import (
    BREAK_INVALID,
    MISSING_BREAK,
    TIME_TOLERANCE_MINUTES,
    Collector,
    pointer,
)

TOL = TIME_TOLERANCE_MINUTES


def check_break(i: int, route: Route, tech: Technician, out: Collector) -> None:
    """A needed break is present; a present break is long enough, in window and route, no service.

    A break is needed when the technician has one, the route has stops, and neither does the
    route end by ``window_end - break`` nor start at or after ``window_start + break``.
    """
    window_start = day_start(route.day) + tech.break_window_start_minute
    window_end = day_start(route.day) + tech.break_window_end_minute
    brk, length = route.break_, tech.break_minutes
    path = pointer("routes", i, "break")
    if brk is None:
        free = route.end <= window_end - length + TOL or route.start >= window_start + length - TOL
        if length > 0 and route.stops and not free:
            out.add(
                MISSING_BREAK,
                path,
                f"route {route.start}-{route.end} needs a {length} min break "
                f"in [{window_start}, {window_end}]",
            )
        return
    problems: list[str] = []
    if brk.end < brk.start - TOL:
        problems.append(f"ends at {brk.end} before it starts at {brk.start}")
    elif brk.end - brk.start < length - TOL:
        problems.append(f"lasts {brk.end - brk.start} min, {length} needed")
    if brk.start < window_start - TOL or brk.end > window_end + TOL:
        problems.append(f"lies outside its window [{window_start}, {window_end}]")
    if brk.start < route.start - TOL or brk.end > route.end + TOL:
        problems.append(f"lies outside the route [{route.start}, {route.end}]")
    problems += [
        f"overlaps the service of request '{s.request}' [{s.start}, {s.end}]"
        for s in route.visits
        if brk.start < s.end - TOL and s.start < brk.end - TOL
    ]
    for problem in problems:
        out.add(BREAK_INVALID, path, f"break [{brk.start}, {brk.end}] {problem}")
