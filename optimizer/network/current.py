"""Baseline network: keep today's depots and serve each site from the nearest one with room.

This is what a planner does without a model, and the yardstick the MILP is measured against.
"""

from __future__ import annotations

import time

import numpy as np

from aftersales.optimizer.network.data import NO_DEPOT, NetworkData, network_costs
from aftersales.optimizer.network.result import NetworkResult
from aftersales.optimizer.schema import LayerResult


def todays_open_depots(data: NetworkData) -> np.ndarray:
    """Existing depots plus any depot that serves a site today; all candidates if none is."""
    is_open = data.existing.copy()
    is_open[data.current_depot[data.current_depot != NO_DEPOT]] = True
    if not is_open.any():
        is_open[:] = True
    return is_open


def current_network(data: NetworkData) -> NetworkResult:
    """Assign sites, busiest first, to today's depot if it has room, else the nearest with room.

    Hard-tier sites look only at depots within their promise first. Status is ``feasible`` when
    every capacity, hard-tier and depot-count rule holds, else ``infeasible`` with the reason.
    """
    started = time.perf_counter()
    is_open = todays_open_depots(data)
    open_idx = np.flatnonzero(is_open)
    room = data.capacity_calls_per_year.copy()
    depot_of_site = np.empty(len(data.site_ids), dtype=np.intp)
    problems: list[str] = []
    for i in np.argsort(-data.visits_per_year, kind="stable"):
        out_of_promise = data.hard[i] & ~data.within_promise[i, open_idx]
        order = open_idx[np.lexsort((data.minutes[i, open_idx], out_of_promise))]
        today = data.current_depot[i]
        if today != NO_DEPOT and is_open[today]:
            order = np.concatenate(([today], order[order != today]))
        fits = order[room[order] >= data.visits_per_year[i]]
        j = int(fits[0]) if len(fits) else int(order[0])
        if not len(fits):
            problems.append(f"site {data.site_ids[i]} exceeds every open depot's capacity")
        if data.hard[i] and not data.within_promise[i, j]:
            problems.append(f"site {data.site_ids[i]} is outside its hard promise")
        depot_of_site[i] = j
        room[j] -= data.visits_per_year[i]
    count = int(is_open.sum())
    if not data.min_open <= count <= data.max_open:
        problems.append(f"{count} open depots, policy allows {data.min_open}..{data.max_open}")
    costs = network_costs(data, is_open, depot_of_site)
    report = LayerResult(
        layer="network",
        status="infeasible" if problems else "feasible",
        method="current-network-nearest-depot",
        objective=costs.annual_total,
        seconds=time.perf_counter() - started,
        message="; ".join(problems[:20]),
    )
    return NetworkResult(report, is_open, depot_of_site, costs)
