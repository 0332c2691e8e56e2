"""The p-center as one minimax MILP: the alternative to ``graph_location``'s bisection.

min z  s.t.  Σ_j x_ij = 1,  x_ij ≤ y_j,  Σ_j y_j = p,  Σ_j d_ij x_ij ≤ z   (y binary, x ∈ [0, 1]).

x may stay continuous: a mix of open depots is never nearer than the nearest one. Its LP bound
is weak (the classic formulation), which the orlib-pmed suite shows side by side with bisection.
"""

from __future__ import annotations

import time

import highspy
import numpy as np
from scipy.sparse import csc_array

from aftersales.optimizer.arrays import FloatArray
from aftersales.optimizer.highs_run import run_until
from aftersales.optimizer.network.graph_location import (
    LocationAnswer,
    exactly,
    nearest_open,
    nothing_open,
)
from aftersales.optimizer.work import configure_highs

Rows = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]
"""(row, column, value, lower, upper) of one block of constraints, rows counted from 0."""


def solve_center_minimax(
    distance: FloatArray, p: int, time_limit_seconds: float, seed: int = 0
) -> LocationAnswer:
    """p-center by the minimax MILP within the time limit (gap 0 asked)."""
    started = time.perf_counter()
    depots = distance.shape[1]
    site, depot = np.nonzero(np.isfinite(distance))
    pairs = len(site)
    width = depots + pairs + 1
    z = width - 1
    model = highspy.Highs()
    model.setOptionValue("output_flag", False)
    upper = np.ones(width)
    upper[z] = highspy.kHighsInf
    model.addVars(width, np.zeros(width), upper)
    model.changeColsCost(1, np.array([z], dtype=np.int32), np.array([1.0]))
    model.changeColsIntegrality(
        depots,
        np.arange(depots, dtype=np.int32),
        np.full(depots, highspy.HighsVarType.kInteger),
    )
    for block in _rows(distance, p, site, depot, depots, z):
        _add_rows(model, width, block)
    configure_highs(
        model, time_limit_seconds, mip_gap=0.0, seed=seed, deterministic=False, started=started
    )
    outcome = run_until(model, started + time_limit_seconds)
    if outcome.values is None:
        return nothing_open(distance, outcome.status, 1)
    is_open = exactly(outcome.values[:depots] > 0.5, p)
    objective = float(nearest_open(distance, is_open).max())
    bound = outcome.bound
    proven = bound is not None and bound >= objective - 1e-6
    return LocationAnswer(is_open, objective, bound, "optimal" if proven else "feasible", 1)


def _rows(
    distance: FloatArray, p: int, site: np.ndarray, depot: np.ndarray, depots: int, z: int
) -> list[Rows]:
    """Assignment, linking, count and radius rows; x of pair k is column depots + k."""
    sites = distance.shape[0]
    pairs = len(site)
    x = depots + np.arange(pairs)
    ones, inf = np.ones, highspy.kHighsInf
    return [
        (site, x, ones(pairs), ones(sites), ones(sites)),
        (
            np.tile(np.arange(pairs), 2),
            np.concatenate([x, depot]),
            np.concatenate([ones(pairs), -ones(pairs)]),
            np.full(pairs, -inf),
            np.zeros(pairs),
        ),
        (np.zeros(depots, np.intp), np.arange(depots), ones(depots), ones(1) * p, ones(1) * p),
        (
            np.concatenate([site, np.arange(sites)]),
            np.concatenate([x, np.full(sites, z)]),
            np.concatenate([distance[site, depot], -ones(sites)]),
            np.full(sites, -inf),
            np.zeros(sites),
        ),
    ]


def _add_rows(model: highspy.Highs, width: int, block: Rows) -> None:
    row, column, value, lower, upper = block
    count = len(lower)
    # rows stored by row: a CSC of the transpose has the row starts and column indices HiGHS wants
    matrix = csc_array((value, (column, row)), shape=(width, count))
    model.addRows(
        count,
        np.asarray(lower, dtype=float),
        np.asarray(upper, dtype=float),
        matrix.nnz,
        matrix.indptr.astype(np.int32),
        matrix.indices.astype(np.int32),
        matrix.data,
    )
