"""Solomon / Gehring–Homberger VRPTW: format ``solomon`` and suite ``solomon``.

Objective: total distance only, fleet as given in the file (at most K routes, not minimised),
under the DIMACS convention of the published optima (every arc truncated to one decimal, travel
time equal to it). Every solve goes through the product's own path
(:func:`aftersales.datasets.solomon.solomon_scenario` → ``compile_routing`` → ``solve_routing``
→ Plan → ``validate``, see :mod:`aftersales.benchmarks.product_routing`); the suite runs each
routing engine (PyVRP, OR-Tools) side by side with the same time limit. Every solution is
re-checked by :func:`check_solution`, which recomputes distances and times in pure integer
arithmetic from the file alone.
"""

from __future__ import annotations

import csv
import logging
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aftersales.benchmarks.product_routing import (
    ENGINES_SIDE_BY_SIDE,
    chosen_instances,
    route_scenario,
)
from aftersales.benchmarks.registry import SolveRequest, SuiteRequest, solver, suite
from aftersales.datasets.solomon import (
    TENTHS,
    SolomonInstance,
    dimacs_distance,
    read_solomon,
    solomon_scenario,
)
from aftersales.optimizer.routing.solver import DEFAULT_ENGINE, Engine

logger = logging.getLogger("aftersales.benchmarks")

INSTANCES_DIR = Path(__file__).resolve().parents[2] / "shared" / "instances" / "solomon"
"""The 56 Solomon files and bks.csv, in ``shared/`` beside the clone."""
BKS_COLUMN = "distance_opt_distance_only"
SETUP_SECONDS = 0.3
"""Time kept back from the limit for building the model and reading the answer."""


@dataclass(frozen=True)
class VrptwSolution:
    """Routes as customer numbers of the file (depot 0 left out) and what the solver said."""

    routes: list[list[int]]
    seconds: float
    method: str
    message: str = ""
    valid: bool = True
    """The product's validator accepted the plan."""


@dataclass(frozen=True)
class Check:
    """Independent recomputation of a solution: distance, routes and every broken rule."""

    distance: float
    vehicles: int
    problems: list[str] = field(default_factory=list)

    @property
    def feasible(self) -> bool:
        """No rule is broken."""
        return not self.problems


def solve_product(
    instance: SolomonInstance,
    time_limit_seconds: float,
    seed: int = 0,
    engine: Engine = DEFAULT_ENGINE,
    deterministic: bool = False,
) -> VrptwSolution:
    """The product's routing path on the instance (:func:`solomon_scenario`, no restocks)."""
    run = route_scenario(
        solomon_scenario(instance), time_limit_seconds, seed, engine, {}, deterministic
    )
    routes = [[int(s.request[1:]) for s in r.visits if s.request] for r in run.result.routes]
    unserved = len(run.result.unserved)
    return VrptwSolution(
        routes=routes if not unserved else [],
        seconds=run.seconds,
        method=run.result.report.method,
        message=f"{unserved} unserved; " * bool(unserved)
        + ("plan valid" if run.valid else "; ".join(run.violations[:3])),
        valid=run.valid,
    )


def check_solution(instance: SolomonInstance, routes: list[list[int]]) -> Check:
    """Recompute a solution from the file's numbers alone, in integer tenths.

    Each arc is ``isqrt(100 × (dx² + dy²))`` tenths (exact for the integer coordinates of these
    files); service starts at ``max(arrival, ready)`` and must be ``<= due``; each route returns
    by the depot's due date, carries at most Q; each customer is visited exactly once; at most K
    routes.
    """
    problems: list[str] = []
    n = instance.num_customers

    def arc(i: int, j: int) -> int:
        dx = int(instance.x[i]) - int(instance.x[j])
        dy = int(instance.y[i]) - int(instance.y[j])
        return math.isqrt(100 * (dx * dx + dy * dy))

    def tenths(value: float) -> int:
        return round(float(value) * TENTHS)

    seen: dict[int, int] = {}
    total = 0
    used = [r for r in routes if r]
    if len(used) > instance.num_vehicles:
        problems.append(f"{len(used)} routes, fleet limit {instance.num_vehicles}")
    for k, route in enumerate(used):
        clock, load, here = tenths(instance.ready[0]), 0, 0
        for customer in route:
            if not 1 <= customer <= n:
                problems.append(f"route {k}: unknown customer {customer}")
                continue
            if customer in seen:
                problems.append(f"customer {customer} visited twice (routes {seen[customer]}, {k})")
            seen[customer] = k
            total += arc(here, customer)
            clock = max(clock + arc(here, customer), tenths(instance.ready[customer]))
            if clock > tenths(instance.due[customer]):
                problems.append(
                    f"route {k}: customer {customer} starts at {clock / TENTHS} after its due "
                    f"date {instance.due[customer]:g}"
                )
            clock += tenths(instance.service[customer])
            load += int(instance.demand[customer])
            here = customer
        total += arc(here, 0)
        if clock + arc(here, 0) > tenths(instance.due[0]):
            problems.append(
                f"route {k}: back at {(clock + arc(here, 0)) / TENTHS} after the horizon"
            )
        if load > instance.capacity:
            problems.append(f"route {k}: load {load} over capacity {instance.capacity}")
    missing = sorted(set(range(1, n + 1)) - set(seen))
    if missing:
        problems.append(f"{len(missing)} customers not visited, e.g. {missing[:5]}")
    return Check(distance=dimacs_distance(total), vehicles=len(used), problems=problems)


def solution_document(solution: VrptwSolution, check: Check) -> dict[str, Any]:
    """The JSON written by ``solve --solution``."""
    return {
        "routes": solution.routes,
        "distance": check.distance if solution.routes else None,
        "vehicles": check.vehicles,
        "seconds": round(solution.seconds, 3),
        "feasible": check.feasible and bool(solution.routes),
        "method": solution.method,
        "problems": check.problems,
    }


@solver("solomon")
def solve_file(request: SolveRequest) -> dict[str, Any]:
    """Solve one Solomon / Gehring–Homberger file with the distance-only objective."""
    instance = read_solomon(request.path)
    solution = solve_product(instance, request.time_limit_seconds, request.seed)
    return solution_document(solution, check_solution(instance, solution.routes))


def published_optima(path: Path | None = None) -> dict[str, float]:
    """Distance-only optima (DIMACS convention) by lower-case instance name."""
    with (path or INSTANCES_DIR / "bks.csv").open(newline="") as handle:
        return {row["instance"]: float(row[BKS_COLUMN]) for row in csv.DictReader(handle)}


def _gap(distance: float | None, optimum: float) -> float | None:
    return None if distance is None else 100 * (distance - optimum) / optimum


@suite("solomon")
def run_suite(request: SuiteRequest) -> dict[str, Any]:
    """All 56 instances (or the chosen ones) through the product, each engine, same limit."""
    optima = published_optima()
    names = chosen_instances(request.instances, optima, "Solomon")
    rows: list[dict[str, Any]] = []
    for name in names:
        instance = read_solomon(INSTANCES_DIR / f"{name}.txt")
        row: dict[str, Any] = {"instance": name, "optimum": optima[name]}
        for engine in ENGINES_SIDE_BY_SIDE:
            solution = solve_product(
                instance,
                request.time_limit_seconds,
                request.seed,
                engine,
                deterministic=request.deterministic,
            )
            check = check_solution(instance, solution.routes)
            ok = bool(solution.routes) and check.feasible and solution.valid
            if not ok:
                logger.warning("%s %s: %s %s", name, engine, solution.message, check.problems[:3])
            row[f"{engine}"] = check.distance if ok else None
            row[f"{engine} gap %"] = _gap(check.distance if ok else None, optima[name])
            row[f"{engine} s"] = round(solution.seconds, 2)
            row[f"{engine} routes"] = check.vehicles if ok else None
        rows.append(row)
        logger.info("%s: %s", name, {e: row[f"{e} gap %"] for e in ENGINES_SIDE_BY_SIDE})
    return {
        "rows": rows,
        "summary": gap_summary(rows, ENGINES_SIDE_BY_SIDE),
        "time_limit_seconds": request.time_limit_seconds,
        "engine of the product": DEFAULT_ENGINE,
    }


def gap_summary(rows: list[dict[str, Any]], engines: Sequence[str]) -> dict[str, Any]:
    """Per engine: instances solved (valid, everything served), mean and max gap %."""
    summary: dict[str, Any] = {"instances": len(rows)}
    for engine in engines:
        gaps = [r[f"{engine} gap %"] for r in rows if r[f"{engine} gap %"] is not None]
        summary[f"feasible ({engine})"] = len(gaps)
        summary[f"mean gap % ({engine})"] = round(statistics.fmean(gaps), 3) if gaps else None
        summary[f"max gap % ({engine})"] = round(max(gaps), 3) if gaps else None
    return summary
