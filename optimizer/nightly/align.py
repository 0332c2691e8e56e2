"""A previous plan seen on the current horizon: its routes renumbered by calendar day.

A warm start matches a previous plan's routes to today's technician-days by (technician, day).
After ``aftersales roll`` the same calendar day has another horizon index, so the previous plan's
route days and absolute times are moved by the difference of the two ``horizon_start_day``\\ s;
routes of days before the current horizon (already worked) are left out.
"""

from __future__ import annotations

from aftersales.optimizer.schema import MINUTES_PER_DAY, Plan, Route


def on_horizon(plan: Plan, horizon_start_day: int) -> Plan:
    """``plan`` with its routes on the horizon whose day 0 is calendar day ``horizon_start_day``
    (unchanged when the plan already starts there)."""
    days = horizon_start_day - plan.horizon_start_day
    if days == 0:
        return plan
    offset = days * MINUTES_PER_DAY
    routes = [_moved(route, days, offset) for route in plan.routes if route.day >= days]
    return plan.model_copy(update={"routes": routes, "horizon_start_day": horizon_start_day})


def _moved(route: Route, days: int, offset: float) -> Route:
    """The route ``days`` horizon days (``offset`` minutes) earlier."""
    stops = [
        s.model_copy(
            update={"arrival": s.arrival - offset, "start": s.start - offset, "end": s.end - offset}
        )
        for s in route.stops
    ]
    brk = route.break_
    moved_break = (
        None
        if brk is None
        else brk.model_copy(update={"start": brk.start - offset, "end": brk.end - offset})
    )
    return route.model_copy(
        update={
            "day": route.day - days,
            "start": route.start - offset,
            "end": route.end - offset,
            "stops": stops,
            "break_": moved_break,
        }
    )
