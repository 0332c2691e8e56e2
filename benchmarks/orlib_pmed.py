"""OR-Library p-median graphs: p-median and p-center through the network layer.

Distances are shortest paths over the graph by the product's road-graph code (one Dijkstra from
every node: each node is a candidate depot). Every node is a site, exactly ``p`` depots open.
``median`` minimises the total distance (the facility core, ``solve_large``); ``center`` the
largest (bisection over set-cover MILPs). Baselines in the same run: the same p-median model in
PuLP + CBC, and the p-center as one minimax MILP (HiGHS).
"""

from __future__ import annotations

import csv
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from aftersales.benchmarks.registry import (
    SHARED_INSTANCES,
    SolveRequest,
    SuiteRequest,
    solver,
    suite,
)
from aftersales.datasets.orlib_pmed import PmedInstance, read_orlib_pmed
from aftersales.optimizer.arrays import FloatArray
from aftersales.optimizer.network.graph_location import (
    LocationAnswer,
    median_problem,
    solve_center,
    solve_median,
)
from aftersales.optimizer.network.minimax_center import solve_center_minimax
from aftersales.optimizer.network.pulp_model import solve_facility_cbc
from aftersales.optimizer.road_paths import GraphPaths

logger = logging.getLogger("aftersales.benchmarks")

FOLDER = SHARED_INSTANCES / "orlib-pmed"
OBJECTIVES = ("median", "center")
CENTER_SUFFIX = "_pcenter"
"""optimal.csv names a graph's p-center optimum ``pmedN_pcenter``."""

AT_OPTIMUM = 1e-9
"""Relative difference from the published optimum still counted as at it (float sums)."""

Method = Callable[[FloatArray, int, float, int], LocationAnswer]
OURS: dict[str, Method] = {"median": solve_median, "center": solve_center}


def distances(instance: PmedInstance) -> FloatArray:
    """Shortest-path lengths between all nodes (every node is a candidate depot)."""
    nodes = instance.graph.nodes
    return GraphPaths(instance.graph).tables(nodes, nodes)[0]


def solution_document(answer: LocationAnswer, p: int, seconds: float) -> dict[str, Any]:
    """The documented solution JSON: open nodes 1-based, objective, bound, status, seconds."""
    objective = answer.objective
    bound = answer.bound
    return {
        "open": [int(j) + 1 for j in np.flatnonzero(answer.is_open)],
        "objective": objective,
        "bound": bound,
        "gap": _gap(objective, bound),
        "status": answer.status,
        "p": p,
        "milps": answer.milps,
        "seconds": seconds,
    }


@solver("orlib-pmed")
def solve_orlib_pmed(request: SolveRequest) -> dict[str, Any]:
    """Solve one ``pmedN`` file for ``--objective median`` (default) or ``center``."""
    objective = request.extra.get("objective") or "median"
    if objective not in OURS:
        raise ValueError(f"--objective must be one of {', '.join(OBJECTIVES)}, got {objective!r}")
    instance = read_orlib_pmed(request.path)
    started = time.perf_counter()
    distance = distances(instance)
    left = request.time_limit_seconds - (time.perf_counter() - started)
    answer = OURS[objective](distance, instance.p, left, request.seed)
    return solution_document(answer, instance.p, time.perf_counter() - started)


def published_optima() -> dict[tuple[str, str], float]:
    """(instance, 'median' | 'center') → published optimum."""
    optima = {}
    with (FOLDER / "optimal.csv").open() as handle:
        for row in csv.DictReader(handle):
            name = row["instance"]
            kind = "center" if name.endswith(CENTER_SUFFIX) else "median"
            optima[name.removesuffix(CENTER_SUFFIX), kind] = float(row["optimal_value"])
    return optima


def _gap(value: float | None, reference: float | None) -> float | None:
    if value is None or reference is None or value == 0:
        return None
    return max(0.0, (value - reference) / abs(value))


def median_cbc(distance: FloatArray, p: int, limit: float, seed: int) -> LocationAnswer:
    """The baseline of the p-median: the same facility model in PuLP + CBC, gap 0."""
    solution = solve_facility_cbc(median_problem(distance, p), limit, 0.0, seed)
    return LocationAnswer(solution.is_open, solution.objective, solution.bound, solution.status, 1)


BASELINES: dict[str, Method] = {"median": median_cbc, "center": solve_center_minimax}
"""Run side by side with ``OURS`` in the suite."""


def _relative(value: float | None, optimum: float | None) -> float | None:
    """(ours − published optimum) ÷ optimum; negative would mean a wrong optimum or model."""
    return None if value is None or optimum is None else (value - optimum) / optimum


def _timed(run: Method, *args: Any) -> tuple[LocationAnswer, float]:
    started = time.perf_counter()
    answer = run(*args)
    return answer, time.perf_counter() - started


@suite("orlib-pmed")
def run_orlib_pmed(request: SuiteRequest) -> dict[str, Any]:
    """The five shared graphs, p-median and p-center, ours and the baseline side by side."""
    optima = published_optima()
    names = sorted(request.instances or {name for name, _ in optima}, key=lambda n: (len(n), n))
    rows = []
    for name in names:
        instance = read_orlib_pmed(Path(FOLDER / f"{name}.txt"))
        distance, paths_seconds = _timed_distances(instance)
        for kind in OBJECTIVES:
            args = (distance, instance.p, request.time_limit_seconds, request.seed)
            ours, seconds = _timed(OURS[kind], *args)
            base, base_seconds = _timed(BASELINES[kind], *args)
            optimum = optima.get((name, kind))
            rows.append(
                {
                    "instance": name,
                    "method": kind,
                    "p": instance.p,
                    "optimum": optimum,
                    "ours": ours.objective,
                    "gap": _relative(ours.objective, optimum),
                    "bound": ours.bound,
                    "bound_gap": _gap(ours.objective, ours.bound),
                    "status": ours.status,
                    "milps": ours.milps,
                    "seconds": seconds + paths_seconds,
                    "baseline": base.objective,
                    "baseline_bound_gap": _gap(base.objective, base.bound),
                    "baseline_status": base.status,
                    "baseline_seconds": base_seconds + paths_seconds,
                }
            )
            logger.info("orlib-pmed %s %s: %s", name, kind, rows[-1])
    proven = [
        r
        for r in rows
        if r["status"] == "optimal" and r["gap"] is not None and abs(r["gap"]) <= AT_OPTIMUM
    ]
    return {
        "suite": "orlib-pmed",
        "time_limit_seconds": request.time_limit_seconds,
        "rows": rows,
        "summary": {
            "rows": len(rows),
            "ours_at_optimum_proven": len(proven),
            "baseline_proven": sum(r["baseline_status"] == "optimal" for r in rows),
            "ours_seconds_total": sum(r["seconds"] for r in rows),
            "baseline_seconds_total": sum(r["baseline_seconds"] for r in rows),
        },
    }


def _timed_distances(instance: PmedInstance) -> tuple[FloatArray, float]:
    started = time.perf_counter()
    distance = distances(instance)
    return distance, time.perf_counter() - started
