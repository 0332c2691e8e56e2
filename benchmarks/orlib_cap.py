"""OR-Library capacitated warehouse location: our HiGHS model vs the same model in PuLP + CBC.

Split allocation is allowed in these instances (see shared/instances/orlib-cap/README.md), so the
facility core is solved with continuous assignment fractions.
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
from aftersales.datasets.orlib_cap import CapInstance, read_orlib_cap
from aftersales.optimizer.network.facility import FacilityProblem
from aftersales.optimizer.network.milp import FacilitySolution, solve_facility
from aftersales.optimizer.network.pulp_model import solve_facility_cbc
from aftersales.optimizer.network.solver import solve_large

logger = logging.getLogger("aftersales.benchmarks")

FOLDER = SHARED_INSTANCES / "orlib-cap"
LARGE_FOLDER = SHARED_INSTANCES / "orlib-capb"
"""capb (100 × 1,000) at four capacities, each with its published optimum."""
WITHIN = 1e-3
"""The large suite's target: every instance within 0.1 % of its optimum."""
PROVE_OPTIMAL_GAP = 0.0
"""These instances are proven to optimality, not to a default relative gap."""


def facility_from_cap(instance: CapInstance) -> FacilityProblem:
    """Every (customer, warehouse) pair, split allocation, capacities as given."""
    warehouses, customers = instance.cost.shape
    site, depot = np.meshgrid(np.arange(customers), np.arange(warehouses), indexing="ij")
    return FacilityProblem(
        open_cost=instance.fixed_cost,
        offset=0.0,
        pair_site=site.ravel(),
        pair_depot=depot.ravel(),
        pair_cost=instance.cost.T.ravel(),
        demand=instance.demand,
        capacity=instance.capacity,
        single_source=False,
        min_open=0,
        max_open=warehouses,
    )


def solution_document(
    problem: FacilityProblem, solution: FacilitySolution, seconds: float
) -> dict[str, Any]:
    """The documented solution JSON: 1-based warehouse and customer numbers."""
    used = solution.pair_fraction > 1e-9
    return {
        "open": [int(j) + 1 for j in np.flatnonzero(solution.is_open)],
        "allocation": [
            [int(i) + 1, int(j) + 1, float(f)]
            for i, j, f in zip(
                problem.pair_site[used],
                problem.pair_depot[used],
                solution.pair_fraction[used],
                strict=True,
            )
        ],
        "objective": solution.objective,
        "bound": solution.bound,
        "gap": solution.gap,
        "status": solution.status,
        "seconds": seconds,
    }


@solver("orlib-cap")
def solve_orlib_cap(request: SolveRequest) -> dict[str, Any]:
    """Solve one ``cap`` file with HiGHS (restricted MILP + Lagrangian bound on large files)."""
    instance = read_orlib_cap(request.path, capacity=request.extra.get("capacity"))
    problem = facility_from_cap(instance)
    started = time.perf_counter()
    solution, _ = solve_large(problem, request.time_limit_seconds, PROVE_OPTIMAL_GAP, request.seed)
    return solution_document(problem, solution, time.perf_counter() - started)


def published_optima(folder: Path = FOLDER) -> dict[str, float]:
    """Optimal values of the capacitated instances (the ``_uncap`` rows are left out)."""
    with (folder / "optimal.csv").open() as handle:
        return {
            row["instance"]: float(row["optimal_value"])
            for row in csv.DictReader(handle)
            if not row["instance"].endswith("_uncap")
        }


def _relative(value: float | None, optimum: float) -> float | None:
    return None if value is None else (value - optimum) / optimum


@suite("orlib-cap")
def run_orlib_cap(request: SuiteRequest) -> dict[str, Any]:
    """All 37 instances (or the chosen ones): ours and the PuLP/CBC baseline in the same run."""
    optima = published_optima()
    names = sorted(request.instances or optima, key=lambda n: (len(n), n))
    rows = []
    for name in names:
        problem = facility_from_cap(read_orlib_cap(FOLDER / f"{name}.txt"))
        started = time.perf_counter()
        ours, _ = solve_large(problem, request.time_limit_seconds, PROVE_OPTIMAL_GAP, request.seed)
        ours_seconds = time.perf_counter() - started
        started = time.perf_counter()
        base = solve_facility_cbc(
            problem, request.time_limit_seconds, PROVE_OPTIMAL_GAP, request.seed
        )
        base_seconds = time.perf_counter() - started
        rows.append(
            {
                "instance": name,
                "optimum": optima[name],
                "ours": ours.objective,
                "gap": _relative(ours.objective, optima[name]),
                "status": ours.status,
                "seconds": ours_seconds,
                "baseline": base.objective,
                "baseline_gap": _relative(base.objective, optima[name]),
                "baseline_seconds": base_seconds,
                "ratio": base_seconds / ours_seconds,
            }
        )
        logger.info("orlib-cap %s: %s", name, rows[-1])
    at_optimum = sum(r["gap"] is not None and abs(r["gap"]) <= 1e-6 for r in rows)
    base_optimum = sum(
        r["baseline_gap"] is not None and abs(r["baseline_gap"]) <= 1e-6 for r in rows
    )
    ratios = [r["ratio"] for r in rows]
    return {
        "suite": "orlib-cap",
        "time_limit_seconds": request.time_limit_seconds,
        "rows": rows,
        "summary": {
            "instances": len(rows),
            "ours_at_optimum": at_optimum,
            "baseline_at_optimum": base_optimum,
            "ours_seconds_total": sum(r["seconds"] for r in rows),
            "baseline_seconds_total": sum(r["baseline_seconds"] for r in rows),
            "geometric_mean_speed_ratio": float(np.exp(np.mean(np.log(ratios)))) if rows else None,
        },
    }


def _timed(run: Callable[[], FacilitySolution]) -> tuple[FacilitySolution, float]:
    started = time.perf_counter()
    solution = run()
    return solution, time.perf_counter() - started


@suite("orlib-cap-large")
def run_orlib_cap_large(request: SuiteRequest) -> dict[str, Any]:
    """capb at its four capacities: the product path (pricing), HiGHS on the whole model and
    PuLP/CBC, one after the other in the same run, each under the same limit and deadline."""
    optima = published_optima(LARGE_FOLDER)
    names = sorted(request.instances or optima)
    limit, seed = request.time_limit_seconds, request.seed
    rows = []
    for name in names:
        capacity = float(name.rsplit("_", 1)[1])
        problem = facility_from_cap(read_orlib_cap(LARGE_FOLDER / "capb.txt", capacity=capacity))
        started = time.perf_counter()
        ours, method = solve_large(problem, limit, PROVE_OPTIMAL_GAP, seed)
        seconds = time.perf_counter() - started
        full, full_seconds = _timed(
            lambda p=problem: solve_facility(p, limit, PROVE_OPTIMAL_GAP, seed)
        )
        base, base_seconds = _timed(
            lambda p=problem: solve_facility_cbc(p, limit, PROVE_OPTIMAL_GAP, seed)
        )
        optimum = optima[name]
        rows.append(
            {
                "instance": name,
                "optimum": optimum,
                "ours": ours.objective,
                "gap": _relative(ours.objective, optimum),
                "bound_gap": ours.gap,
                "status": ours.status,
                "seconds": seconds,
                "method": method,
                "highs_full": full.objective,
                "highs_full_gap": _relative(full.objective, optimum),
                "highs_full_status": full.status,
                "highs_full_seconds": full_seconds,
                "baseline": base.objective,
                "baseline_gap": _relative(base.objective, optimum),
                "baseline_status": base.status,
                "baseline_seconds": base_seconds,
            }
        )
        logger.info("orlib-cap-large %s: %s", name, rows[-1])

    def within(column: str) -> int:
        return sum(r[column] is not None and r[column] <= WITHIN for r in rows)

    return {
        "suite": "orlib-cap-large",
        "time_limit_seconds": limit,
        "rows": rows,
        "summary": {
            "instances": len(rows),
            "ours_within_0_1_percent": within("gap"),
            "highs_full_within_0_1_percent": within("highs_full_gap"),
            "baseline_within_0_1_percent": within("baseline_gap"),
            "ours_seconds_max": max((r["seconds"] for r in rows), default=None),
        },
    }
