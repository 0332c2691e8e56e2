"""Solomon / Gehring–Homberger VRPTW: format ``solomon`` and suite ``solomon``.

Objective: total distance only, fleet as given in the file (at most K routes, not minimised),
under the DIMACS convention of the published optima (every arc truncated to one decimal, travel
time equal to it). Ours is PyVRP's iterated local search on the integer data scaled by 10 (the
measured winner, see PROTOCOL-routing.md); the baseline is plain OR-Tools routing
(PATH_CHEAPEST_ARC, then GUIDED_LOCAL_SEARCH) on the same integers and the same time limit.
Every solution is re-checked by :func:`check_solution`, which recomputes distances and times in
pure integer arithmetic without the solvers' data.
"""

from __future__ import annotations

import csv
import logging
import math
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2
from pyvrp import Client, Depot, Location, ProblemData, VehicleType
from pyvrp import solve as pyvrp_solve
from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria, StoppingCriterion

from aftersales.benchmarks.registry import SolveRequest, SuiteRequest, solver, suite
from aftersales.datasets.solomon import TENTHS, SolomonInstance, dimacs_distance, read_solomon

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


def _scaled(values: np.ndarray) -> list[int]:
    """Times and durations of the file (integers) in tenths, the unit of the arcs."""
    return [int(v) for v in np.rint(np.asarray(values) * TENTHS)]


def solve_pyvrp(
    instance: SolomonInstance,
    time_limit_seconds: float,
    seed: int = 0,
    iterations: int | None = None,
) -> VrptwSolution:
    """PyVRP iterated local search on the DIMACS-scaled instance.

    With ``iterations`` the search stops after that many iterations — the same answer for the
    same seed whatever the machine's load — and the time limit only caps an overrun.
    """
    started = time.perf_counter()
    ready, due, service = (_scaled(a) for a in (instance.ready, instance.due, instance.service))
    locations = [
        Location(x=float(x), y=float(y)) for x, y in zip(instance.x, instance.y, strict=True)
    ]
    clients = [
        Client(
            location=i,
            delivery=[int(instance.demand[i])],
            service_duration=service[i],
            tw_early=ready[i],
            tw_late=due[i],
        )
        for i in range(1, len(locations))
    ]
    depot = Depot(location=0, tw_early=ready[0], tw_late=due[0])
    fleet = VehicleType(
        num_available=instance.num_vehicles,
        capacity=[instance.capacity],
        tw_early=ready[0],
        tw_late=due[0],
    )
    arcs = instance.distance_tenths()
    # pyvrp's stub spells the matrix type np.ndarray[int], which numpy's typing never matches
    data = ProblemData(locations, clients, [depot], [fleet], [arcs], [arcs])  # type: ignore[list-item]
    budget = max(0.1, time_limit_seconds - SETUP_SECONDS - (time.perf_counter() - started))
    stop: StoppingCriterion = MaxRuntime(budget)
    if iterations is not None:
        stop = MultipleCriteria([MaxIterations(iterations), stop])
    result = pyvrp_solve(data, stop=stop, seed=seed, collect_stats=False, display=False)
    routes = [
        [activity.idx + 1 for activity in route if activity.is_client()]
        for route in result.best.routes()
    ]
    feasible = result.best.is_feasible()
    return VrptwSolution(
        routes=[r for r in routes if r] if feasible else [],
        seconds=time.perf_counter() - started,
        method="pyvrp-ils",
        message=f"{result.num_iterations} iterations"
        + ("" if feasible else ", no feasible solution"),
    )


def solve_ortools(
    instance: SolomonInstance, time_limit_seconds: float, seed: int = 0
) -> VrptwSolution:
    """Plain OR-Tools routing: PATH_CHEAPEST_ARC first solution, then GUIDED_LOCAL_SEARCH."""
    del seed  # the routing library's search is deterministic
    started = time.perf_counter()
    n = instance.num_customers + 1
    arcs = instance.distance_tenths()
    ready, due, service = (_scaled(a) for a in (instance.ready, instance.due, instance.service))
    manager = pywrapcp.RoutingIndexManager(n, instance.num_vehicles, 0)
    routing = pywrapcp.RoutingModel(manager)
    distance = routing.RegisterTransitMatrix(arcs.tolist())
    routing.SetArcCostEvaluatorOfAllVehicles(distance)
    transit = (arcs + np.asarray(service, dtype=np.int64)[:, None]).tolist()
    horizon = due[0]
    routing.AddDimension(routing.RegisterTransitMatrix(transit), horizon, horizon, False, "time")
    times = routing.GetDimensionOrDie("time")
    for node in range(1, n):
        times.CumulVar(manager.NodeToIndex(node)).SetRange(ready[node], due[node])
    for vehicle in range(instance.num_vehicles):
        times.CumulVar(routing.Start(vehicle)).SetRange(ready[0], due[0])
        times.CumulVar(routing.End(vehicle)).SetRange(ready[0], due[0])
    demand = routing.RegisterUnaryTransitVector([int(d) for d in instance.demand])
    routing.AddDimensionWithVehicleCapacity(
        demand, 0, [instance.capacity] * instance.num_vehicles, True, "load"
    )
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    budget = max(0.1, time_limit_seconds - SETUP_SECONDS - (time.perf_counter() - started))
    params.time_limit.FromMilliseconds(int(budget * 1000))
    assignment = routing.SolveWithParameters(params)
    routes: list[list[int]] = []
    if assignment is not None:
        for vehicle in range(instance.num_vehicles):
            index = assignment.Value(routing.NextVar(routing.Start(vehicle)))
            route = []
            while not routing.IsEnd(index):
                route.append(manager.IndexToNode(index))
                index = assignment.Value(routing.NextVar(index))
            if route:
                routes.append(route)
    return VrptwSolution(
        routes=routes,
        seconds=time.perf_counter() - started,
        method="ortools-pca-gls",
        message="" if assignment is not None else "no solution found",
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
    solution = solve_pyvrp(instance, request.time_limit_seconds, request.seed)
    return solution_document(solution, check_solution(instance, solution.routes))


def published_optima(path: Path | None = None) -> dict[str, float]:
    """Distance-only optima (DIMACS convention) by lower-case instance name."""
    with (path or INSTANCES_DIR / "bks.csv").open(newline="") as handle:
        return {row["instance"]: float(row[BKS_COLUMN]) for row in csv.DictReader(handle)}


def _gap(distance: float | None, optimum: float) -> float | None:
    return None if distance is None else 100 * (distance - optimum) / optimum


@suite("solomon")
def run_suite(request: SuiteRequest) -> dict[str, Any]:
    """All 56 instances (or the chosen ones): ours (PyVRP) and plain OR-Tools, same limit."""
    optima = published_optima()
    names = list(request.instances) or sorted(optima)
    unknown = [n for n in names if n not in optima]
    if unknown:
        raise ValueError(f"unknown Solomon instances {unknown}; known: {', '.join(sorted(optima))}")
    rows: list[dict[str, Any]] = []
    for name in names:
        instance = read_solomon(INSTANCES_DIR / f"{name}.txt")
        ours = solve_pyvrp(
            instance, request.time_limit_seconds, request.seed, iterations=request.work_limit
        )
        base = solve_ortools(instance, request.time_limit_seconds, request.seed)
        ours_check, base_check = (
            check_solution(instance, ours.routes),
            check_solution(instance, base.routes),
        )
        ours_ok = bool(ours.routes) and ours_check.feasible
        base_ok = bool(base.routes) and base_check.feasible
        row = {
            "instance": name,
            "optimum": optima[name],
            "ours": ours_check.distance if ours_ok else None,
            "gap %": _gap(ours_check.distance if ours_ok else None, optima[name]),
            "ours s": round(ours.seconds, 2),
            "ours search": ours.message,
            "vehicles": ours_check.vehicles if ours_ok else None,
            "baseline": base_check.distance if base_ok else None,
            "baseline gap %": _gap(base_check.distance if base_ok else None, optima[name]),
            "baseline s": round(base.seconds, 2),
            "feasible": ours_ok,
            "baseline feasible": base_ok,
        }
        for label, check in (("ours", ours_check), ("baseline", base_check)):
            if check.problems and (label == "ours" or base.routes):
                logger.warning("%s %s: %s", name, label, "; ".join(check.problems[:3]))
        rows.append(row)
        logger.info("%s: ours %s, baseline %s", name, row["gap %"], row["baseline gap %"])
    return {
        "rows": rows,
        "summary": _summary(rows),
        "time_limit_seconds": request.time_limit_seconds,
    }


def _summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    ours = [r["gap %"] for r in rows if r["gap %"] is not None]
    base = [r["baseline gap %"] for r in rows if r["baseline gap %"] is not None]
    return {
        "instances": len(rows),
        "feasible (ours)": sum(r["feasible"] for r in rows),
        "mean gap % (ours)": round(statistics.fmean(ours), 3) if ours else None,
        "max gap % (ours)": round(max(ours), 3) if ours else None,
        "above 2 % (ours)": sum(g > 2 for g in ours),
        "feasible (baseline)": sum(r["baseline feasible"] for r in rows),
        "mean gap % (baseline, solved ones)": round(statistics.fmean(base), 3) if base else None,
        "max gap % (baseline)": round(max(base), 3) if base else None,
    }
