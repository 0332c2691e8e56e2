"""Cheapest insertion of unserved jobs into exactly timed routes (a polishing step).

The search model rounds times on the safe side and stops at its time limit; afterwards some jobs
may still fit. Each unserved job, non-deferrable and most urgent first, goes to the position of
the allowed technician-day where it adds the least cost, timed exactly by
:func:`aftersales.optimizer.routing.timing.time_route`, as long as adding it costs less than
leaving it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

from aftersales.optimizer.routing.data import RoutingData
from aftersales.optimizer.routing.timing import order_items, time_route


def insert_unserved(
    data: RoutingData,
    orders: list[list[int]],
    unserved: Sequence[int],
    allowed: Mapping[int, Sequence[int]],
    penalty: Mapping[int, float],
    lateness_weight: Mapping[str, float],
    travel_cost_per_km: float,
    deadline: float,
) -> list[int]:
    """Insert jobs of ``unserved`` into ``orders`` (changed in place); returns those inserted."""
    known: dict[int, float] = {}

    def cost(v: int, order: Sequence[int]) -> float | None:
        if not order:
            return 0.0
        result = time_route(data, data.vehicles[v], order_items(data, order), lateness_weight)
        if result is None:
            return None
        return result.cost + result.route.travel_km * travel_cost_per_km

    def current(v: int) -> float:
        if v not in known:
            value = cost(v, orders[v])
            known[v] = value if value is not None else float("inf")
        return known[v]

    inserted: list[int] = []
    ranked = sorted(
        unserved, key=lambda j: (data.jobs[j].deferrable, -penalty[j], data.jobs[j].due)
    )
    for j in ranked:
        if time.perf_counter() > deadline:
            break
        best: tuple[float, int, int] | None = None
        for v in allowed.get(j, ()):
            base = current(v)
            for position in range(len(orders[v]) + 1):
                trial = [*orders[v][:position], j, *orders[v][position:]]
                added = cost(v, trial)
                if added is not None and (best is None or added - base < best[0]):
                    best = (added - base, v, position)
        if best is not None and best[0] < penalty[j]:
            _, v, position = best
            orders[v].insert(position, j)
            known.pop(v, None)
            inserted.append(j)
    return inserted
