"""TRSP (Pillac et al. 2013): format ``trsp`` and suite ``trsp``.

Objective: total route duration (travel + service + waiting), every request served, against the
best known values in ``shared/instances/trsp/bks.csv``. Every solve goes through the product's
own path (:func:`aftersales.datasets.trsp.trsp_scenario` → ``compile_routing`` →
``solve_routing`` → Plan → ``validate``); the suite runs each routing engine side by side with the
same time limit. Every solution is re-checked by :func:`check_trsp`, which recomputes the rules
and the durations from the file alone.

Solution document (``solve --format trsp --solution OUT.json``)::

    {"routes": [{"technician": 3, "stops": [41, 0, 57]}], "duration": 2931.4, ...}

``technician`` is the 1-based crew number, ``stops`` the node ids in visiting order with 0 for a
restock at the depot.
"""

from __future__ import annotations

import csv
import itertools
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aftersales.benchmarks.product_routing import (
    ENGINES_SIDE_BY_SIDE,
    ProductRun,
    chosen_instances,
    route_scenario,
)
from aftersales.benchmarks.registry import SolveRequest, SuiteRequest, solver, suite
from aftersales.benchmarks.solomon import gap_summary
from aftersales.datasets.trsp import TrspInstance, read_trsp, time_scale, trsp_scenario
from aftersales.optimizer.routing.solver import DEFAULT_ENGINE

logger = logging.getLogger("aftersales.benchmarks")

INSTANCES_DIR = Path(__file__).resolve().parents[2] / "shared" / "instances" / "trsp"
"""The six TRSP files and bks.csv, in ``shared/`` beside the clone."""
BKS_COLUMN = "duration_bks"
TOLERANCE = 1e-6
"""Time slack of the checker, instance units."""


@dataclass(frozen=True)
class TrspCheck:
    """Independent recomputation of a TRSP solution: total duration and every broken rule."""

    duration: float
    problems: list[str] = field(default_factory=list)

    @property
    def feasible(self) -> bool:
        """No rule is broken."""
        return not self.problems


def check_trsp(instance: TrspInstance, routes: list[dict[str, Any]]) -> TrspCheck:
    """Recompute a solution document's routes from the instance alone.

    Rules: each request served exactly once, by a technician holding its skills; its tools in
    the van (held, or a restock at node 0 earlier on the route); its parts in the van (the
    technician's units minus earlier consumption, unlimited after a restock); service starting
    inside its window; each route from and back to the technician's home within the depot's
    hours. The duration of a route is the least possible for its order: leave home at the
    latest departure that keeps every window (a backward pass), then start each service as
    early as possible (a forward pass) — departing later never lengthens a route.
    """
    problems: list[str] = []
    served: dict[int, int] = {}
    total = 0.0
    request_ids = {r.id for r in instance.requests}
    for k, route in enumerate(routes):
        tech_id, stops = int(route["technician"]), [int(s) for s in route["stops"]]
        if not 1 <= tech_id <= instance.crew:
            problems.append(f"route {k}: unknown technician {tech_id}")
            continue
        tech = instance.nodes[tech_id]
        tools, van, restocked = set(tech.tools), list(tech.parts), False
        for node in stops:
            if node == 0:
                restocked = True
                continue
            if node not in request_ids:
                problems.append(f"route {k}: node {node} is not a request")
                continue
            if node in served:
                problems.append(f"request {node} served twice (routes {served[node]}, {k})")
            served[node] = k
            request = instance.nodes[node]
            if not set(request.skills) <= set(tech.skills):
                problems.append(f"request {node}: technician {tech_id} lacks skills")
            if not restocked and not set(request.tools) <= tools:
                problems.append(f"request {node}: technician {tech_id} lacks tools, no restock")
            if not restocked:
                van = [have - need for have, need in zip(van, request.parts, strict=True)]
                if min(van, default=0) < 0:
                    problems.append(f"request {node}: van of technician {tech_id} runs short")
        if any(s not in request_ids for s in stops if s):
            continue
        duration = _least_duration(instance, tech_id, stops)
        if duration is None:
            problems.append(f"route {k}: no timing keeps every window and the depot's hours")
            continue
        total += duration
    missing = sorted(request_ids - set(served))
    if missing:
        problems.append(f"{len(missing)} requests not served, e.g. {missing[:5]}")
    return TrspCheck(duration=total, problems=problems)


def _least_duration(instance: TrspInstance, home: int, stops: list[int]) -> float | None:
    """Least duration of home → stops → home, or None if no timing is feasible."""
    places = [home, *stops, home]
    depot = instance.depot
    latest = depot.due
    for a, b in reversed(list(itertools.pairwise(places))):
        node = instance.nodes[a]
        ready_by = latest - instance.distance(a, b) - (node.service if a != home else 0.0)
        latest = min(ready_by, node.due) if a not in (home, 0) else ready_by
    clock = latest  # latest departure from home
    if clock < depot.ready - TOLERANCE:
        return None
    start = clock
    for a, b in itertools.pairwise(places):
        clock += instance.distance(a, b)
        if b == home:
            break
        node = instance.nodes[b]
        if b != 0:
            clock = max(clock, node.ready)
            if clock > node.due + TOLERANCE:
                return None
            clock += node.service
    if clock > depot.due + TOLERANCE:
        return None
    return clock - start


def solution_document(instance: TrspInstance, run: ProductRun) -> dict[str, Any]:
    """The JSON of ``solve --solution``: routes, duration, checker's and validator's verdicts."""
    scale = time_scale(instance)
    routes = [
        {
            "technician": int(route.technician[1:]),
            "stops": [
                0 if s.kind == "restock" else int((s.request or "r0")[1:]) for s in route.stops
            ],
        }
        for route in run.result.routes
    ]
    check = check_trsp(instance, routes)
    return {
        "routes": routes,
        "duration": round(sum(r.end - r.start for r in run.result.routes) / scale, 3),
        "duration_checked": round(check.duration, 3),
        "served": sum(len(r.visits) for r in run.result.routes),
        "requests": len(instance.requests),
        "restocks": sum(len(r.stops) - len(r.visits) for r in run.result.routes),
        "seconds": round(run.seconds, 3),
        "feasible": check.feasible and run.valid,
        "method": run.result.report.method,
        "problems": check.problems + run.violations[:5],
    }


@solver("trsp")
def solve_file(request: SolveRequest) -> dict[str, Any]:
    """Solve one TRSP file through the product's routing path."""
    instance = read_trsp(request.path)
    run = route_scenario(trsp_scenario(instance), request.time_limit_seconds, request.seed)
    return solution_document(instance, run)


def best_known(path: Path | None = None) -> dict[str, float]:
    """Best known total durations by instance name."""
    with (path or INSTANCES_DIR / "bks.csv").open(newline="") as handle:
        return {row["instance"]: float(row[BKS_COLUMN]) for row in csv.DictReader(handle)}


@suite("trsp")
def run_suite(request: SuiteRequest) -> dict[str, Any]:
    """The six instances (or the chosen ones) through the product, each engine, same limit."""
    known = best_known()
    names = chosen_instances(request.instances, known, "TRSP")
    rows: list[dict[str, Any]] = []
    for name in names:
        instance = read_trsp(INSTANCES_DIR / f"{name}.txt")
        scenario = trsp_scenario(instance)
        row: dict[str, Any] = {"instance": name, "best known": known[name]}
        for engine in ENGINES_SIDE_BY_SIDE:
            run = route_scenario(
                scenario,
                request.time_limit_seconds,
                request.seed,
                engine,
                deterministic=request.deterministic,
            )
            document = solution_document(instance, run)
            ok = document["feasible"]
            if not ok:
                logger.warning("%s %s: %s", name, engine, document["problems"][:3])
            row[f"{engine}"] = document["duration_checked"] if ok else None
            row[f"{engine} gap %"] = (
                100 * (document["duration_checked"] - known[name]) / known[name] if ok else None
            )
            row[f"{engine} served"] = document["served"]
            row[f"{engine} restocks"] = document["restocks"]
            row[f"{engine} s"] = document["seconds"]
        rows.append(row)
        logger.info("%s: %s", name, {e: row[f"{e} gap %"] for e in ENGINES_SIDE_BY_SIDE})
    return {
        "rows": rows,
        "summary": gap_summary(rows, ENGINES_SIDE_BY_SIDE),
        "time_limit_seconds": request.time_limit_seconds,
        "engine of the product": DEFAULT_ENGINE,
    }
