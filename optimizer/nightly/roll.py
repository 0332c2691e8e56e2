"""Roll a scenario's horizon forward by whole days once a plan's first days have been worked.

``roll_scenario(scenario, plan, days)`` writes the next night's scenario (README, "Nightly
re-optimisation"). Rules, in the scenario's units (absolute minutes from horizon start):

* ``horizon_start_day`` grows by ``days``; ``policy.horizon_days`` stays, so the horizon slides.
* Requests the plan serves on a day that rolls out (route ``day < days``) are done: dropped.
* Every other request is carried over with every absolute time (``opened_minute``, time window
  ends, ``due_minute``) moved back by ``days × 1440`` so it names the same calendar moment. A due
  time already past becomes negative and **keeps its lateness**: the request is still late in
  the new horizon (its tier's credit is owed however early it is served next), never reset to a
  fresh promise. A ``due_minute`` left unset stays unset (its default, opened + response, moves
  with ``opened_minute``). Time windows are kept as they are, even one that closed before the
  new horizon: such a request is reported unserved until its appointment is booked again.
* Pins (``pinned_technician``) are kept.
* Technician shifts on days that roll out are dropped; the others move to ``day − days``. With
  ``repeat_weekly`` (the default) each day entering the horizon gets, per technician, the shift
  that technician had on the same weekday in the old horizon (none when the old horizon had no
  such weekday, e.g. Saturday after a Monday-Friday horizon).
* Everything else (network, stock, options) is kept: the network of today is still the
  scenario's; a warm start from the plan is ``solve --previous``.
"""

from __future__ import annotations

from typing import Any

from aftersales.optimizer.schema import MINUTES_PER_DAY, Plan, Request, Scenario, Shift


def roll_scenario(
    scenario: Scenario, plan: Plan, days: int, *, repeat_weekly: bool = True
) -> Scenario:
    """The scenario of the horizon that starts ``days`` days later (module docstring).

    Raises ``ValueError`` when ``days`` is not positive or the plan belongs to another horizon
    (its ``horizon_start_day`` differs: its route days would name other calendar days).
    """
    if days < 1:
        raise ValueError(f"days must be at least 1, got {days}")
    if plan.horizon_start_day != scenario.horizon_start_day:
        raise ValueError(
            f"the plan's horizon starts on calendar day {plan.horizon_start_day}, the "
            f"scenario's on day {scenario.horizon_start_day}: roll the scenario the plan solved"
        )
    done = {s.request for r in plan.routes if r.day < days for s in r.visits}
    offset = days * MINUTES_PER_DAY
    document: dict[str, Any] = scenario.model_dump(by_alias=True, exclude_unset=False)
    document["horizon_start_day"] = scenario.horizon_start_day + days
    document["requests"] = [
        _moved_request(r, offset) for r in scenario.requests if r.id not in done
    ]
    horizon = scenario.policy.horizon_days
    for tech, rolled in zip(scenario.technicians, document["technicians"], strict=True):
        rolled["shifts"] = _rolled_shifts(tech.shifts, days, horizon, repeat_weekly)
    return Scenario.model_validate(document)


def _moved_request(request: Request, offset: float) -> dict[str, Any]:
    """The request with its absolute times moved ``offset`` minutes earlier."""
    moved = request.model_dump(by_alias=True)
    moved["opened_minute"] = request.opened_minute - offset
    moved["time_windows"] = [
        {"start": w.start - offset, "end": w.end - offset} for w in request.time_windows
    ]
    if request.due_minute is not None:
        moved["due_minute"] = request.due_minute - offset
    return moved


def _rolled_shifts(
    shifts: list[Shift], days: int, horizon: int, repeat_weekly: bool
) -> list[dict[str, Any]]:
    """Shifts of the rolled horizon: kept days moved back by ``days``; with ``repeat_weekly``
    the days entering the horizon copy the old horizon's shift of the same weekday."""
    kept = [s.model_copy(update={"day": s.day - days}) for s in shifts if s.day >= days]
    if repeat_weekly:
        by_weekday = {s.day % 7: s for s in sorted(shifts, key=lambda s: s.day)}
        for day in range(max(horizon - days, 0), horizon):
            same = by_weekday.get((day + days) % 7)
            if same is not None and all(s.day != day for s in kept):
                kept.append(same.model_copy(update={"day": day}))
    return [s.model_dump() for s in sorted(kept, key=lambda s: s.day)]
