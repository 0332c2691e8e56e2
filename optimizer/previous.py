"""The previous plan of a re-solve, checked against the options and moved into this horizon.

A nightly re-solve gets last night's plan, whose routes count days and minutes from *its*
horizon start. After the horizon rolls (``Scenario.horizon_start_day``), day 0 of this scenario
is a later calendar day: every route of the previous plan is moved by the whole days between
the two starts, so that warm starts, frozen routes and pins compare technician-days by calendar
day (issue #12: matching by index miscounted 76 of 181 jobs once the horizon rolled). Days
that fell out of the horizon are dropped.
"""

from __future__ import annotations

from aftersales.optimizer.schema import MINUTES_PER_DAY, Plan, Route, Scenario, SolveOptions


class PreviousPlanError(ValueError):
    """Options that need a previous plan were given without one."""


def day_shift(scenario: Scenario, previous: Plan) -> int:
    """Calendar days from the previous plan's horizon start to this scenario's (≥ 0 after a
    roll). Files written before ``horizon_start_day`` existed count from calendar day 0."""
    return int(getattr(scenario, "horizon_start_day", 0)) - int(
        getattr(previous, "horizon_start_day", 0)
    )


def shifted_route(route: Route, days: int) -> Route:
    """``route`` moved ``days`` calendar days earlier in horizon coordinates (day and every
    absolute minute). ``days == 0`` returns the route itself, untouched."""
    if days == 0:
        return route
    minutes = days * MINUTES_PER_DAY
    stops = [
        s.model_copy(
            update={
                "arrival": s.arrival - minutes,
                "start": s.start - minutes,
                "end": s.end - minutes,
            }
        )
        for s in route.stops
    ]
    pause = route.break_
    if pause is not None:
        pause = pause.model_copy(
            update={"start": pause.start - minutes, "end": pause.end - minutes}
        )
    return route.model_copy(
        update={
            "day": route.day - days,
            "start": route.start - minutes,
            "end": route.end - minutes,
            "stops": stops,
            "break_": pause,
        }
    )


def in_horizon(scenario: Scenario, previous: Plan) -> Plan:
    """The previous plan with its routes in this scenario's horizon (days before it dropped)."""
    days = day_shift(scenario, previous)
    if days == 0:
        return previous
    routes = [shifted_route(r, days) for r in previous.routes if r.day >= days]
    return previous.model_copy(update={"routes": routes})


def checked_previous(
    scenario: Scenario, options: SolveOptions, previous: Plan | None
) -> Plan | None:
    """The previous plan in this horizon, or a clear error when the options need one."""
    if previous is None:
        needs = [f"freeze {', '.join(options.freeze)}"] if options.freeze else []
        if options.freeze_before_minute is not None:
            needs.append("freeze_before_minute")
        if needs:
            raise PreviousPlanError(
                f"options {' and '.join(needs)} keep parts of a previous plan, but none was "
                "given (Python: solve(..., previous=plan); CLI: --previous plan.json)"
            )
        return None
    return in_horizon(scenario, previous)
