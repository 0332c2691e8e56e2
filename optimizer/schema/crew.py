"""The technicians a plan puts to work: what ``Plan.technician_bases`` means for the week.

One reading of the plan's staffing, shared by the routing layer, the simulation and the
validator (it defines the plan's crew the way the schema defines its fields; nothing here is
optimised):

* **No bases** (the plan decides no staffing): the scenario's technicians, unchanged.
* **kept**: the scenario's technician, unchanged.
* **moved**: the scenario's technician based at the plan's ``depot``; its routes start and end
  there (a ``home`` near the old depot no longer applies).
* **released**: does not work (no routes, no simulated calls).
* **hired**: a new technician at the plan's ``depot`` with the one skill of its pool, paid
  ``technician_cost_per_year / technician_hours_per_year`` an hour. It works like its
  *template*: the first technician (scenario order) based at the same depot today, else the
  scenario's first technician: their shifts (so the horizon's working days and hours of that
  depot), break, overtime limit and rate, tools and van stock. Shifts default to
  Monday-Friday 08:00-17:00 on the horizon's days (weekday of day d: (horizon_start_day + d)
  mod 7, 0 = Monday) when the template has
  none; a scenario without technicians gives those shifts, no break, no overtime, no tools and
  no van model.

Technicians without a base (no skill, so in no pool) work as in the scenario.
"""

from __future__ import annotations

from collections.abc import Sequence

from aftersales.optimizer.schema.plan import TechnicianBase
from aftersales.optimizer.schema.scenario import Scenario, Shift, Technician

DEFAULT_SHIFT_MINUTES = (480.0, 1020.0)
"""08:00-17:00, minutes of the day, of a hire in a scenario without technicians."""
WORKING_WEEKDAYS = 5
"""Monday-Friday: weekdays 0..4 (0 = Monday)."""


def default_shifts(horizon_days: int, horizon_start_day: int = 0) -> list[Shift]:
    """Monday-Friday 08:00-17:00 on each working day of the horizon (day d's weekday is
    ``(horizon_start_day + d) % 7``, as in the service calendars)."""
    start, end = DEFAULT_SHIFT_MINUTES
    return [
        Shift(day=day, start_minute=start, end_minute=end)
        for day in range(horizon_days)
        if (horizon_start_day + day) % 7 < WORKING_WEEKDAYS
    ]


def hire_template(scenario: Scenario, depot: str) -> Technician | None:
    """The technician a hire at ``depot`` works like (module docstring), or None."""
    for technician in scenario.technicians:
        if technician.depot == depot:
            return technician
    return scenario.technicians[0] if scenario.technicians else None


def hired_technician(scenario: Scenario, base: TechnicianBase) -> Technician:
    """The technician a ``hired`` base stands for (module docstring)."""
    depot = base.depot or ""
    costs = scenario.costs
    hourly = costs.technician_cost_per_year / costs.technician_hours_per_year
    template = hire_template(scenario, depot)
    if template is None:
        return Technician(
            id=base.technician,
            depot=depot,
            skills=[base.skill],
            shifts=default_shifts(scenario.policy.horizon_days, scenario.horizon_start_day),
            hourly_cost=hourly,
        )
    return template.model_copy(
        update={
            "id": base.technician,
            "name": "",
            "depot": depot,
            "home": None,
            "skills": [base.skill],
            "shifts": template.shifts
            or default_shifts(scenario.policy.horizon_days, scenario.horizon_start_day),
            "hourly_cost": hourly,
        },
        deep=True,
    )


def planned_technicians(scenario: Scenario, bases: Sequence[TechnicianBase]) -> list[Technician]:
    """Every technician who works under a plan with these bases, in scenario order, then hires."""
    if not bases:
        return list(scenario.technicians)
    by_id = {b.technician: b for b in bases}
    crew: list[Technician] = []
    for technician in scenario.technicians:
        base = by_id.get(technician.id)
        if base is None or (base.action == "kept" and base.depot == technician.depot):
            crew.append(technician)
        elif base.depot is not None and base.action != "hired":
            crew.append(technician.model_copy(update={"depot": base.depot, "home": None}))
    known = {t.id for t in scenario.technicians}
    for base in bases:
        if base.action == "hired" and base.depot is not None and base.technician not in known:
            crew.append(hired_technician(scenario, base))
    return crew


def released_technicians(bases: Sequence[TechnicianBase]) -> frozenset[str]:
    """Ids of the technicians the plan releases."""
    return frozenset(b.technician for b in bases if b.action == "released")
