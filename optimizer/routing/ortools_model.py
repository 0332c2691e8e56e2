"""The technician routing model in OR-Tools' routing library.

Vehicles are technician-days (start and end at the home depot), nodes are jobs. The model works in
integers: times in *ticks* (``TICKS_PER_MINUTE`` per minute) and money in *cost units*
(``COST_UNITS_PER_CURRENCY`` per currency unit). Rounding always errs on the safe side — travel
and service round up, window ends round down — so any order the model accepts also fits the exact
float minutes that :mod:`aftersales.optimizer.routing.timing` recomputes afterwards.

What each rule of docs/semantics.md becomes:

* skills and pinned technicians: allowed vehicles (only qualified technician-days that can reach
  the job inside its windows and their shift at all) — set on the vehicle variable, because the
  Python binding of ``SetAllowedVehiclesForIndex`` is broken in OR-Tools 9.15;
* shift: start cumul ≥ shift start, end cumul ≤ shift end + overtime allowance;
* labour: span cost ``hourly_cost`` per hour; overtime: soft upper bound at the shift end with
  cost ``overtime - hourly`` per hour (labour of a route = span × hourly + overtime × difference);
* time windows (several allowed), opening time and parts release: the job's cumul domain; a
  release that depends on the technician's depot is a conditional lower bound on the cumul;
* daily break: a mandatory break interval per technician-day (``SetBreakIntervalsOfVehicle``)
  inside its window, never during service; a break before the route start or after its end is
  the semantics' "no break needed" case;
* SLA due time: ``SetCumulVarSoftUpperBound`` at the due time. The true cost is a step — the
  tier's ``credit_per_breach`` once the arrival is late — which a routing dimension cannot carry;
  it is approximated by a linear cost that reaches one credit after
  ``LATENESS_REFERENCE_MINUTES`` of lateness, scaled by the request priority (1-5). The exact
  credits are recomputed on the final plan;
* deferrable requests: a disjunction with penalty ``deferral_penalty``; non-deferrable ones: a
  disjunction with ``max(unserved_penalty, MUST_SERVE_PENALTY)`` so that a job no technician can
  take is reported unserved instead of making the model infeasible;
* warm start: a per-vehicle unary "moved" dimension whose span cost charges ``move_penalty`` for
  every request leaving its previous technician-day.
"""

from __future__ import annotations

import itertools
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from aftersales.optimizer.routing.data import Job, RoutingData, Vehicle
from aftersales.optimizer.routing.schedule import earliest_start

logger = logging.getLogger("aftersales.optimizer")

TICKS_PER_MINUTE = 10
"""Integer time resolution of the model: tenths of a minute."""
COST_UNITS_PER_CURRENCY = 1000
"""Integer money resolution of the model: thousandths of a currency unit."""
LATENESS_REFERENCE_MINUTES = 15.0
"""Minutes of lateness that cost one full service credit in the linear approximation."""
MUST_SERVE_PENALTY = 10_000.0
"""Least penalty for leaving a non-deferrable request, currency (above any insertion cost)."""
MINUTES_PER_HOUR = 60.0
ROUNDING_SLACK = 1e-6
"""Ticks of float noise ignored by the safe-side rounding functions."""

INITIAL_ROUTES_WITH_BREAKS_MAX = 12
"""Most non-empty initial routes read into a model with break intervals. Measured on the M
scenario: 140 greedy routes, each read alone in 0.1 s, did not load together within 5 minutes
(``ReadAssignmentFromRoutes`` with break intervals); larger starts are left to the first-solution
heuristic, guided by the move penalty, and the previous plan stays a candidate."""
STATUS_NAMES = {
    0: "ROUTING_NOT_SOLVED",
    1: "ROUTING_SUCCESS",
    2: "ROUTING_PARTIAL_SUCCESS_LOCAL_OPTIMUM_NOT_REACHED",
    3: "ROUTING_FAIL",
    4: "ROUTING_FAIL_TIMEOUT",
    5: "ROUTING_INVALID",
    6: "ROUTING_INFEASIBLE",
    7: "ROUTING_OPTIMAL",
}


def ticks_up(minutes: float) -> int:
    """Minutes as ticks, rounded up: for durations and travel (never shorter than real)."""
    return math.ceil(minutes * TICKS_PER_MINUTE - ROUNDING_SLACK)


def ticks_down(minutes: float) -> int:
    """Minutes as ticks, rounded down: for latest times (never later than real)."""
    return math.floor(minutes * TICKS_PER_MINUTE + ROUNDING_SLACK)


def cost_units(amount: float) -> int:
    """Money as the model's integer cost units, rounded to nearest."""
    return round(amount * COST_UNITS_PER_CURRENCY)


def can_reach(data: RoutingData, job: Job, vehicle: Vehicle) -> bool:
    """A necessary condition: the vehicle alone could serve the job inside a window and its day."""
    out = float(data.minutes[vehicle.location, job.location])
    back = float(data.minutes[job.location, vehicle.location])
    start = earliest_start(job, max(vehicle.shift_start + out, data.release_minute(job, vehicle)))
    return start is not None and start + job.duration + back <= vehicle.latest_end + 1e-9


@dataclass(frozen=True)
class ModelInput:
    """What the solver layer decided before modelling: who may serve what, and at which price."""

    allowed: dict[int, list[int]]
    """Job index → vehicle indices allowed to serve it (jobs absent here are not modelled)."""
    penalty: dict[int, float]
    """Job index → cost of leaving it unserved, currency."""
    lateness_per_minute: dict[int, float]
    """Job index → model cost per minute past its due time, currency."""
    travel_cost_per_km: float = 0.0
    previous_vehicle: dict[int, int] = field(default_factory=dict)
    """Job index → vehicle index in the previous plan (warm start)."""
    move_penalty: float = 0.0
    """Model cost of moving one request away from its previous vehicle, currency."""
    break_intervals: bool = True
    """Model the daily break as OR-Tools break intervals; else only reserve its length."""


@dataclass(frozen=True)
class ModelSolution:
    """Orders per vehicle (job indices) and the search's own account."""

    orders: list[list[int]]
    found: bool
    status: str
    objective: float | None
    """Model objective in currency (includes the linearised lateness), None if nothing found."""
    seconds: float
    used_initial: bool


class TechnicianModel:
    """OR-Tools routing model of one RoutingData; build once, solve once."""

    def __init__(self, data: RoutingData, spec: ModelInput) -> None:
        self.data = data
        self.spec = spec
        self.job_ids = sorted(spec.allowed)
        depot_locations = sorted({v.location for v in data.vehicles})
        depot_node = {loc: i for i, loc in enumerate(depot_locations)}
        self.node_location = depot_locations + [data.jobs[j].location for j in self.job_ids]
        self.job_of_node = {len(depot_locations) + k: j for k, j in enumerate(self.job_ids)}
        self.node_of_job = {j: n for n, j in self.job_of_node.items()}
        starts = [depot_node[v.location] for v in data.vehicles]
        self.manager = pywrapcp.RoutingIndexManager(
            len(self.node_location), len(data.vehicles), starts, starts
        )
        self.routing = pywrapcp.RoutingModel(self.manager)
        self._add_arc_costs()
        self._add_time()
        self._add_jobs()
        self._add_moves()

    # -- model -------------------------------------------------------------------------------

    def _node_matrix(self, table: np.ndarray) -> np.ndarray:
        loc = np.asarray(self.node_location, dtype=np.intp)
        return table[np.ix_(loc, loc)]

    def _add_arc_costs(self) -> None:
        km = self._node_matrix(self.data.km)
        arcs = np.rint(km * self.spec.travel_cost_per_km * COST_UNITS_PER_CURRENCY).astype(np.int64)
        callback = self.routing.RegisterTransitMatrix(arcs.tolist())
        self.routing.SetArcCostEvaluatorOfAllVehicles(callback)

    def _add_time(self) -> None:
        minutes = self._node_matrix(self.data.minutes)
        travel = np.ceil(minutes * TICKS_PER_MINUTE - ROUNDING_SLACK).astype(np.int64)
        service = np.zeros(len(self.node_location), dtype=np.int64)
        for node, j in self.job_of_node.items():
            service[node] = ticks_up(self.data.jobs[j].duration)
        transit = travel + service[:, None]
        np.fill_diagonal(transit, 0)
        self.transit = transit
        self.service = service
        callback = self.routing.RegisterTransitMatrix(transit.tolist())
        horizon = ticks_down(max(v.latest_end for v in self.data.vehicles)) + 1
        self.routing.AddDimension(callback, horizon, horizon, False, "time")
        self.time = self.routing.GetDimensionOrDie("time")
        solver = self.routing.solver()
        visits = [0] * self.routing.Size()
        for index in range(self.routing.Size()):
            visits[index] = int(service[self.manager.IndexToNode(index)])
        for v, vehicle in enumerate(self.data.vehicles):
            start, end = self.routing.Start(v), self.routing.End(v)
            latest = ticks_down(vehicle.latest_end)
            self.time.CumulVar(start).SetRange(ticks_up(vehicle.shift_start), latest)
            self.time.CumulVar(end).SetRange(ticks_up(vehicle.shift_start), latest)
            hourly = vehicle.hourly_cost / MINUTES_PER_HOUR / TICKS_PER_MINUTE
            self.time.SetSpanCostCoefficientForVehicle(cost_units(hourly), v)
            extra = (vehicle.overtime_cost_per_hour - vehicle.hourly_cost) / MINUTES_PER_HOUR
            if extra > 0:
                self.time.SetCumulVarSoftUpperBound(
                    end, ticks_down(vehicle.shift_end), cost_units(extra / TICKS_PER_MINUTE)
                )
            if vehicle.break_minutes > 0 and not self.spec.break_intervals:
                self.time.CumulVar(end).SetMax(latest - ticks_up(vehicle.break_minutes))
            if vehicle.break_minutes > 0 and self.spec.break_intervals:
                length = ticks_up(vehicle.break_minutes)
                earliest = ticks_up(vehicle.break_window[0])
                latest_start = ticks_down(vehicle.break_window[1]) - length
                interval = solver.FixedDurationIntervalVar(
                    earliest, max(earliest, latest_start), length, False, f"break {v}"
                )
                self.time.SetBreakIntervalsOfVehicle([interval], v, visits)

    def _add_jobs(self) -> None:
        solver = self.routing.solver()
        for j in self.job_ids:
            job = self.data.jobs[j]
            index = self.manager.NodeToIndex(self.node_of_job[j])
            allowed = self.spec.allowed[j]
            # SetAllowedVehiclesForIndex's Python binding rejects every sequence in OR-Tools 9.15
            # (absl::Span without a typemap); restricting the vehicle variable is equivalent.
            self.routing.VehicleVar(index).SetValues([-1, *allowed])
            self.routing.AddDisjunction([index], cost_units(self.spec.penalty[j]))
            releases = {v: self.data.release_minute(job, self.data.vehicles[v]) for v in allowed}
            low = ticks_up(min(releases.values()))
            cumul = self.time.CumulVar(index)
            windows = _merged([(ticks_up(a), ticks_down(b)) for a, b in job.windows], low)
            high = max(b for _, b in windows) if windows else cumul.Max()
            if job.windows and not windows:  # only within rounding of its last window: leave it
                self.routing.ActiveVar(index).SetValue(0)
            elif windows:
                cumul.SetRange(max(low, min(a for a, _ in windows)), high)
                for (_, b), (a, _) in itertools.pairwise(windows):
                    cumul.RemoveInterval(b + 1, a - 1)  # merged windows never touch
            else:
                cumul.SetMin(low)
            for release in sorted(set(releases.values())):
                if ticks_up(release) > low:
                    later = [v for v, r in releases.items() if r >= release]
                    member = solver.IsMemberVar(self.routing.VehicleVar(index), later)
                    solver.Add(cumul >= member * ticks_up(release))
            per_minute = self.spec.lateness_per_minute.get(j, 0.0)
            if per_minute > 0 and ticks_down(job.due) < high:
                self.time.SetCumulVarSoftUpperBound(
                    index, ticks_down(job.due), cost_units(per_minute / TICKS_PER_MINUTE)
                )

    def _add_moves(self) -> None:
        previous = self.spec.previous_vehicle
        if not previous or self.spec.move_penalty <= 0:
            return
        nodes = len(self.node_location)
        callbacks: dict[tuple[int, ...], int] = {}
        evaluators = []
        for v in range(len(self.data.vehicles)):
            moved = [0] * nodes
            for j, before in previous.items():
                if before != v and j in self.node_of_job:
                    moved[self.node_of_job[j]] = 1
            key = tuple(moved)
            if key not in callbacks:
                callbacks[key] = self.routing.RegisterUnaryTransitVector(moved)
            evaluators.append(callbacks[key])
        self.routing.AddDimensionWithVehicleTransits(evaluators, 0, nodes, True, "moved")
        moves = self.routing.GetDimensionOrDie("moved")
        moves.SetSpanCostCoefficientForAllVehicles(cost_units(self.spec.move_penalty))

    # -- solve -------------------------------------------------------------------------------

    def solve(
        self,
        time_limit_seconds: float,
        initial: Sequence[Sequence[int]] | None = None,
        solution_limit: int | None = None,
    ) -> ModelSolution:
        """Search for ``time_limit_seconds``, from ``initial`` orders (job indices) if given.

        ``solution_limit`` stops after that many improving solutions instead — a work limit, so
        the same model gives the same answer under any machine load (the time limit stays as a
        safety net).
        """
        started = time.perf_counter()
        params = pywrapcp.DefaultRoutingSearchParameters()
        params.first_solution_strategy = (
            routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
        )
        params.local_search_metaheuristic = (
            routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
        )
        params.time_limit.FromMilliseconds(max(1, int(time_limit_seconds * 1000)))
        if solution_limit is not None:
            params.solution_limit = solution_limit
        self.routing.CloseModelWithParameters(params)
        start_assignment = None
        breaks = self.spec.break_intervals and any(v.break_minutes > 0 for v in self.data.vehicles)
        if (
            initial is not None
            and breaks
            and sum(1 for order in initial if order) > INITIAL_ROUTES_WITH_BREAKS_MAX
        ):
            initial = None
        if initial is not None:
            routes = [
                [
                    self.manager.NodeToIndex(self.node_of_job[j])
                    for j in order
                    if j in self.node_of_job  # restock markers (-1) are never nodes
                ]
                for order in initial
            ]
            start_assignment = self.routing.ReadAssignmentFromRoutes(routes, True)
            if start_assignment is None:
                logger.info("routing: the initial routes do not fit the integer model; cold start")
        if start_assignment is not None:
            assignment = self.routing.SolveFromAssignmentWithParameters(start_assignment, params)
        else:
            assignment = self.routing.SolveWithParameters(params)
        status = STATUS_NAMES.get(self.routing.status(), str(self.routing.status()))
        orders: list[list[int]] = [[] for _ in self.data.vehicles]
        if assignment is None:
            return ModelSolution(orders, False, status, None, time.perf_counter() - started, False)
        for v in range(len(self.data.vehicles)):
            index = assignment.Value(self.routing.NextVar(self.routing.Start(v)))
            while not self.routing.IsEnd(index):
                orders[v].append(self.job_of_node[self.manager.IndexToNode(index)])
                index = assignment.Value(self.routing.NextVar(index))
        return ModelSolution(
            orders,
            True,
            status,
            assignment.ObjectiveValue() / COST_UNITS_PER_CURRENCY,
            time.perf_counter() - started,
            start_assignment is not None,
        )


def _merged(windows: list[tuple[int, int]], low: int) -> list[tuple[int, int]]:
    """Non-empty windows ending at or after ``low``, sorted, overlapping ones merged."""
    merged: list[tuple[int, int]] = []
    for a, b in sorted(w for w in windows if w[1] >= max(w[0], low)):
        if merged and a <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged
