"""Improvement heuristic over the open set: close, open and swap depots, then re-size staffing.

A move changes the open set; the sites it touches choose their depot by ``assignment_score``
(pair cost plus their work hours at the staffing hour price), with room, and keep being reached
within their promise when they were; every pool is then re-sized (``start.pool_headcount``) and
the move is kept when the contract model's objective (``start.start_cost``) falls. First
improvement, moves in a fixed order, until a pass finds none or the time is up. It never returns
a start worse than the one it was given.
"""

from __future__ import annotations

import time

import numpy as np

from aftersales.optimizer.arrays import BoolArray, FloatArray, IntArray
from aftersales.optimizer.network.facility import FacilityProblem
from aftersales.optimizer.network.start import assignment_score, start_cost
from aftersales.optimizer.work import cap_seconds

Network = tuple[BoolArray, IntArray]


def _reassign(
    problem: FacilityProblem,
    score: FloatArray,
    within: BoolArray | None,
    is_open: BoolArray,
    depot: IntArray,
    moving: IntArray,
) -> IntArray | None:
    """``moving`` sites (largest first) to their best open depot with room; reached sites stay
    reached. None if a site finds no depot."""
    depot = depot.copy()
    load = np.bincount(depot, weights=problem.demand, minlength=problem.depots)
    room = np.where(is_open, problem.capacity, 0.0) - load
    np.add.at(room, depot[moving], problem.demand[moving])
    for i in moving[np.argsort(-problem.demand[moving], kind="stable")]:
        fits = is_open & (room >= problem.demand[i]) & np.isfinite(score[i])
        if within is not None and within[i, depot[i]] and (fits & within[i]).any():
            fits &= within[i]
        if not fits.any():
            return None
        j = int(np.argmin(np.where(fits, score[i], np.inf)))
        depot[i] = j
        room[j] -= problem.demand[i]
    return depot


def _toggle(
    problem: FacilityProblem,
    score: FloatArray,
    within: BoolArray | None,
    network: Network,
    j: int,
) -> Network | None:
    """Close depot ``j`` (its sites choose again) or open it (sites it serves for less, and
    reaches if they were reached, choose again); None if a site finds no depot."""
    is_open, depot = network
    opened = is_open.copy()
    opened[j] = not is_open[j]
    if is_open[j]:
        moving = depot == j
    else:
        sites = np.arange(problem.sites)
        moving = score[sites, depot] > score[:, j]
        if within is not None:
            moving &= within[:, j] | ~within[sites, depot]
    moved = _reassign(problem, score, within, opened, depot, np.flatnonzero(moving))
    return None if moved is None else (opened, moved)


def improve_start(
    problem: FacilityProblem,
    is_open: BoolArray,
    depot_of_site: IntArray,
    seconds: float,
    to_local_optimum: bool = False,
) -> tuple[Network, float]:
    """The best network found from a feasible start within ``seconds``, and its objective.

    ``to_local_optimum`` (a deterministic solve) searches until no move improves, whatever the
    clock says, so the answer does not depend on the machine's load; ``seconds`` then only
    caps it at the safety cap of ``work.cap_seconds``.
    """
    started = time.perf_counter()
    seconds = cap_seconds(seconds, to_local_optimum)
    score = assignment_score(problem)
    within = problem.contract.within if problem.contract is not None else None
    best: Network = (is_open.copy(), depot_of_site.copy())
    best_cost = start_cost(problem, *best)
    improved = np.isfinite(best_cost)
    while improved:
        improved = False
        opened, closed = np.flatnonzero(best[0]), np.flatnonzero(~best[0])
        moves = [(j, -1) for j in opened] + [(-1, j) for j in closed]
        moves += [(a, b) for a in opened for b in closed]
        for shut, start in moves:
            if time.perf_counter() - started > seconds:
                return best, best_cost
            network: Network | None = best
            for j in (start, shut):
                if j >= 0 and network is not None:
                    network = _toggle(problem, score, within, network, j)
            if network is None:
                continue
            mask, depot = network
            cost = start_cost(problem, mask, depot)
            if cost < best_cost - 1e-6 * abs(best_cost):
                best, best_cost, improved = (mask, depot), cost, True
                break
    return best, best_cost
