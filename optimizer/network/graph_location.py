"""p-median and p-center on a distance table (sites × candidate depots), in the network layer.

OR-Library's pmed graphs make every node a site and a candidate depot and open exactly ``p``;
distances are road-graph shortest paths (``aftersales.optimizer.road_paths``).

* p-median: the facility core with no opening costs, each site's distance to its depot as the
  pair cost, exactly ``p`` depots — ``solve_large`` as for any network, proven to gap 0.
* p-center: the smallest response time every site can be promised with ``p`` depots. Bisection
  over the distinct distances: radius r is feasible when ``min_cover`` (the set cover of the
  sites within r) needs at most ``p`` depots. It ends with the smallest feasible radius next to
  one HiGHS proved infeasible, which proves optimality. One minimax MILP
  (``minimax_center``) is the alternative; the orlib-pmed suite runs both side by side.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from aftersales.optimizer.arrays import FloatArray
from aftersales.optimizer.network.cover import min_cover
from aftersales.optimizer.network.facility import FacilityProblem
from aftersales.optimizer.network.solver import solve_large


@dataclass(frozen=True)
class LocationAnswer:
    """Open depots (mask over the table's columns), objective, proven bound, how it went."""

    is_open: npt.NDArray[np.bool_]
    objective: float | None
    bound: float | None
    status: str
    """``optimal`` when the bound reaches the objective, else ``feasible``, ``infeasible`` or
    ``time_limit``."""
    milps: int
    """MILPs solved (one per bisection step for the p-center)."""


def nothing_open(distance: FloatArray, status: str, milps: int) -> LocationAnswer:
    """An answer without a solution."""
    return LocationAnswer(np.zeros(distance.shape[1], dtype=bool), None, None, status, milps)


def median_problem(distance: FloatArray, p: int) -> FacilityProblem:
    """The p-median as the facility core: every finite (site, depot) pair, no opening cost."""
    site, depot = np.nonzero(np.isfinite(distance))
    return FacilityProblem(
        open_cost=np.zeros(distance.shape[1]),
        offset=0.0,
        pair_site=site.astype(np.intp),
        pair_depot=depot.astype(np.intp),
        pair_cost=distance[site, depot],
        demand=np.ones(distance.shape[0]),
        capacity=np.full(distance.shape[1], np.inf),
        single_source=True,
        min_open=p,
        max_open=p,
    )


def solve_median(
    distance: FloatArray, p: int, time_limit_seconds: float, seed: int = 0
) -> LocationAnswer:
    """p-median to gap 0 within the time limit: least total site-to-nearest-depot distance."""
    solution, _ = solve_large(median_problem(distance, p), time_limit_seconds, 0.0, seed)
    if not solution.has_solution:
        return nothing_open(distance, solution.status, 1)
    # the open set's own total (each site to its nearest open depot), not HiGHS's float sum
    objective = float(nearest_open(distance, solution.is_open).sum())
    return LocationAnswer(solution.is_open, objective, solution.bound, solution.status, 1)


def solve_center(
    distance: FloatArray, p: int, time_limit_seconds: float, seed: int = 0
) -> LocationAnswer:
    """p-center by bisection over covering MILPs: least largest site-to-nearest-depot distance."""
    deadline = time.perf_counter() + time_limit_seconds
    farthest_nearest = float(np.min(distance, axis=1).max())
    if not np.isfinite(farthest_nearest):
        return nothing_open(distance, "infeasible", 0)  # a site no depot reaches
    radii = np.unique(distance[np.isfinite(distance)])
    # no radius below the farthest site's nearest candidate covers every site
    low, high = int(np.searchsorted(radii, farthest_nearest)), len(radii) - 1
    best: npt.NDArray[np.bool_] | None = None
    milps = 0
    while low <= high:
        # the largest radius first: it says whether p depots can cover every site at all
        middle = high if best is None else (low + high) // 2
        left = deadline - time.perf_counter()
        if left <= 0:
            break
        cover = min_cover(distance <= radii[middle], left, seed)
        milps += 1
        enough = cover.at_most(p)
        if enough is None:
            break
        if enough:
            assert cover.is_open is not None
            best, high = cover.is_open, middle - 1
        elif best is None:
            return nothing_open(distance, "infeasible", milps)
        else:
            low = middle + 1
    if best is None:
        return nothing_open(distance, "time_limit", milps)
    is_open = exactly(best, p)
    objective = float(nearest_open(distance, is_open).max())
    bound = float(radii[min(low, len(radii) - 1)])
    status = "optimal" if bound >= objective else "feasible"
    return LocationAnswer(is_open, objective, bound, status, milps)


def nearest_open(distance: FloatArray, is_open: npt.NDArray[np.bool_]) -> FloatArray:
    """Each site's distance to its nearest open depot."""
    return distance[:, is_open].min(axis=1)


def exactly(is_open: npt.NDArray[np.bool_], p: int) -> npt.NDArray[np.bool_]:
    """Open more depots (the lowest-numbered closed ones) until ``p`` are open: another open
    depot never lengthens a site's nearest distance."""
    chosen = is_open.copy()
    closed = np.flatnonzero(~chosen)
    chosen[closed[: max(0, p - int(chosen.sum()))]] = True
    return chosen
