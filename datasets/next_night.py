"""The next night of a generated scenario: what a nightly re-solve meets (issue #12).

``next_night(scenario, plan, seed)`` rolls the horizon one day (``nightly.roll.roll_scenario``:
requests the plan served on day 0 are done and dropped, the rest carried over with their due
times, shifts moved) and then, drawn from ``seed``:

* **new calls**: ``new_requests`` (default 20) repair calls at the (site, product) pairs of the
  scenario's own repair calls (so each is one a qualified technician can reach in a day-trip, as
  the generator ensures), each with the template's duration, skills, tools and parts, called in on
  the new day 0 between 07:00 and 16:00 and serviceable until the horizon ends, due by its tier;
* **one technician off sick**: one technician with a shift on the new day 0 loses that shift;
* **one depot's capacity cut**: one depot the plan keeps open that has a capacity loses
  ``capacity_cut`` (default 30 %) of it.

Everything else is the rolled scenario's. The same scenario, plan and seed give the same file.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from aftersales.optimizer.nightly.roll import roll_scenario
from aftersales.optimizer.schema import MINUTES_PER_DAY, Plan, Scenario

CALLS_FROM, CALLS_UNTIL = 420, 960
"""New calls come in between 07:00 and 16:00 of the new day 0, minute of day."""


def next_night(
    scenario: Scenario,
    plan: Plan,
    seed: int = 0,
    *,
    new_requests: int = 20,
    capacity_cut: float = 0.3,
) -> Scenario:
    """The scenario of the night after ``plan`` ran for ``scenario`` (module docstring).

    Raises ValueError when the plan belongs to another horizon (``roll_scenario``) or the
    scenario has no request to draw new calls from.
    """
    rolled = roll_scenario(scenario, plan, 1)
    rng = np.random.default_rng(seed)
    document: dict[str, Any] = rolled.model_dump(by_alias=True)
    document["requests"] += _new_calls(rng, scenario, rolled, new_requests)
    _one_off_sick(rng, document["technicians"])
    _cut_one_depot(rng, document["depots"], plan.open_depots(), capacity_cut)
    return Scenario.model_validate(document)


def _new_calls(
    rng: np.random.Generator, scenario: Scenario, rolled: Scenario, count: int
) -> list[dict[str, Any]]:
    """``count`` repair calls on the new day 0, each copying a drawn repair call's job."""
    templates = [r for r in scenario.requests if r.kind == "repair"] or scenario.requests
    if not templates:
        raise ValueError("the scenario has no request to draw the new calls from")
    horizon_end = float(rolled.policy.horizon_days * MINUTES_PER_DAY)
    calls = []
    for k, pick in enumerate(rng.integers(0, len(templates), count)):
        opened = float(round(rng.uniform(CALLS_FROM, CALLS_UNTIL)))
        call = templates[int(pick)].model_dump(by_alias=True)
        call.update(
            id=f"N{rolled.horizon_start_day}-{k + 1:03d}",
            opened_minute=opened,
            time_windows=[{"start": opened, "end": horizon_end}],
            due_minute=None,
            pinned_technician=None,
        )
        calls.append(call)
    return calls


def _one_off_sick(rng: np.random.Generator, technicians: list[dict[str, Any]]) -> None:
    """One technician working on day 0 loses that shift (in place)."""
    working = [t for t in technicians if any(s["day"] == 0 for s in t["shifts"])]
    if not working:
        return
    sick = working[int(rng.integers(0, len(working)))]
    sick["shifts"] = [s for s in sick["shifts"] if s["day"] != 0]


def _cut_one_depot(
    rng: np.random.Generator, depots: list[dict[str, Any]], open_ids: set[str], cut: float
) -> None:
    """One open depot with a capacity keeps ``1 - cut`` of it (in place)."""
    limited = [
        d for d in depots if d["id"] in open_ids and d.get("capacity_calls_per_year") is not None
    ]
    if not limited:
        return
    depot = limited[int(rng.integers(0, len(limited)))]
    depot["capacity_calls_per_year"] *= 1.0 - cut
