"""Public entry of the operational layer: ``solve_routing``.

The solve keeps a small set of complete, exactly timed candidate plans and returns the cheapest
by the true horizon cost of docs/semantics.md (travel, labour, overtime, capped credits,
penalties):

1. the greedy dispatch baseline (always available, and the fallback if the search finds nothing),
   as built and with its orders re-timed to minimise paid time;
2. the previous plan, re-timed and repaired, when warm-starting — so a warm-started solve never
   returns a plan worse than the feasible start it was given;
3. the engine's orders, re-timed exactly: PyVRP (:mod:`aftersales.optimizer.routing.pyvrp_model`,
   the default), OR-Tools (:mod:`aftersales.optimizer.routing.ortools_model`, started from (2) or
   else (1), guided local search), or both with the search time split.

The best candidate is then completed by cheapest insertion. Neither search proves a bound, so
``bound`` and ``gap`` stay None. Every request the chosen plan does not serve is listed with its
reason.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from aftersales.optimizer.routing.budget import (
    load_dimensions,
    ortools_solutions,
    pyvrp_iterations,
)
from aftersales.optimizer.routing.data import Job, RoutingData, missing_equipment
from aftersales.optimizer.routing.frozen import Pins, pins_kept
from aftersales.optimizer.routing.greedy import greedy_dispatch, qualified, why_unserved
from aftersales.optimizer.routing.ortools_model import (
    LATENESS_REFERENCE_MINUTES,
    MUST_SERVE_PENALTY,
    ModelInput,
    TechnicianModel,
    can_reach,
)
from aftersales.optimizer.routing.pyvrp_model import PyvrpSolution, solve_pyvrp
from aftersales.optimizer.routing.repair import insert_unserved
from aftersales.optimizer.routing.result import RoutingResult, routing_costs, unserved_cost
from aftersales.optimizer.routing.timing import RESTOCK_INDEX, order_items, time_or_repair
from aftersales.optimizer.routing.warm_start import (
    moved_assignments,
    previous_orders,
    previous_vehicles,
)
from aftersales.optimizer.schema import LayerResult, Plan, Route, Scenario, Unserved
from aftersales.optimizer.work import CUT_BY_CAP, cap_seconds

logger = logging.getLogger("aftersales.optimizer")

Engine = Literal["pyvrp", "ortools", "both"]
ENGINES: tuple[str, ...] = ("pyvrp", "ortools", "both")
DEFAULT_ENGINE: Engine = "pyvrp"
"""Chosen by measurement (benchmarks/README.md, "Routing engines")."""
PYVRP_SHARE = 0.5
"""Share of the search time PyVRP gets when both engines run (OR-Tools gets the rest)."""
DEFAULT_MOVE_PENALTY = 10.0
"""Model cost of moving a request away from its previous technician-day, currency."""
RESERVE_SECONDS = 0.3
"""Least wall-clock kept back from the search for re-timing, polishing and costing the answer."""
RESERVE_SECONDS_PER_JOB = 0.004
"""... plus this much per job: L (1,000 jobs) overran a 30 s limit by about 1 s with a 3 s
reserve (the search's engine stops between iterations); a flat 10 % of the limit left a second
of a 10 s Solomon solve unused."""
RESERVE_SHARE_MAX = 0.5
"""The reserve never exceeds this share of the limit."""
MIN_SEARCH_SECONDS = 0.05
FINAL_SECONDS = 0.15
"""Wall-clock kept back from polishing for costing and reporting."""
KEPT_INSERTION_SHARE = 0.2
"""Most share of the search time spent completing the previous plan by insertion when visits
have a stability price (the candidate that moves least)."""
CUT_SHARE = 0.99
"""A deterministic search that ran this share of its wall-clock cap was stopped by the cap."""
OPTIONAL_WORK_VALUE = MUST_SERVE_PENALTY / 2
"""What leaving optional work (a deferrable visit, or work due after the horizon) weighs in the
search and in the choice between candidate plans, on top of its deferral penalty, currency.

The deferral penalty alone (200 by default) is less than most visits cost to do, so a search on
cost alone defers preventive visits while technicians sit idle, and keeps fewer promises than a
dispatcher. Weighed at half the least must-serve penalty, optional work is done whenever a
technician-day has the time (inserting one visit costs far less), and gives way only to
must-serve repairs, which weigh more. The plan's reported cost stays the true cost."""
START_INSERTION_SHARE = 0.1
"""Most share of the limit spent completing the cheapest start by cheapest insertion before the
search, as one more candidate (it may beat a search that runs out of time: OR-Tools on the van
test)."""


@dataclass(frozen=True)
class _Candidate:
    name: str
    routes: list[Route]
    unserved: list[Unserved]
    cost: float
    """True horizon cost (docs/semantics.md), currency."""
    score: float
    """``cost`` with each unserved job weighed as in the search (``_penalty``): what candidates
    are chosen by."""


def solve_routing(
    scenario: Scenario,
    data: RoutingData,
    time_limit_seconds: float,
    seed: int = 0,
    previous: Plan | None = None,
    *,
    move_penalty: float = DEFAULT_MOVE_PENALTY,
    engine: Engine = DEFAULT_ENGINE,
    deterministic: bool = False,
    reassign_cost: float = 0.0,
    pins: Pins | None = None,
) -> RoutingResult:
    """Route technician-days over the horizon within ``time_limit_seconds`` (wall clock).

    ``previous`` warm-starts the search from an earlier plan; moving one of its assignments costs
    ``move_penalty`` in the model, and the result is never worse than the previous plan re-timed.
    ``engine`` chooses the search: ``"pyvrp"``, ``"ortools"`` or ``"both"`` (the search time
    split, the cheaper exact plan kept). ``seed`` seeds PyVRP. ``deterministic`` replaces the
    wall-clock stop by work limits (PyVRP iterations, OR-Tools solutions) that take about the
    search's share of the limit on the calibration machine (:mod:`.budget`): the same plan under
    any machine load. The wall clock then only caps the solve (``work.cap_seconds``), and a
    solve cut by that cap says so in its message (docs/semantics.md, "Routes").

    ``reassign_cost`` (``SolveOptions.stability.visit_reassign``, currency) is charged for every
    request of ``previous`` that a candidate serves on another technician-day or leaves
    unserved: candidates are ranked by horizon cost plus that, the OR-Tools model charges it as
    its move penalty, and the previous plan completed by cheapest insertion is a candidate too.
    ``pins`` (``routing.frozen``; ``data``'s jobs already narrowed to them) rule out every
    candidate that does not keep them.
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
    started = time.perf_counter()
    deadline = started + cap_seconds(time_limit_seconds, deterministic)
    credit = _credit_per_job(scenario, data)
    allowed = allowed_vehicles(data)
    job_ids = [j.id for j in data.jobs]

    def ranked(candidate: _Candidate) -> float:
        """Its score (horizon cost, optional work weighed) plus the stability cost of its moves;
        never chosen if it drops a pin."""
        if pins and not pins_kept(candidate.routes, pins):
            return float("inf")
        if previous is None or reassign_cost <= 0:
            return candidate.score
        return candidate.score + reassign_cost * moved_assignments(
            previous, candidate.routes, job_ids
        )

    greedy = greedy_dispatch(scenario, data)
    candidates = [_from_result(scenario, data, "greedy", greedy, allowed)]
    start_orders: list[list[int]] | None = None
    if previous is not None:
        start_orders = previous_orders(previous, data)
        candidates.append(_from_orders(scenario, data, "previous", start_orders, credit, allowed))
    else:
        start_orders = _orders_of(data, candidates[0].routes)
        # the dispatcher's orders, timed to minimise paid time (it leaves at the call's opening)
        candidates.append(
            _from_orders(scenario, data, "greedy+retimed", start_orders, credit, allowed)
        )
    spec = ModelInput(
        allowed={j: vs for j, vs in allowed.items() if vs},
        penalty={j: _penalty(scenario, job, credit[job.id]) for j, job in enumerate(data.jobs)},
        lateness_per_minute={
            j: credit[job.id] * _priority_weight(job) / LATENESS_REFERENCE_MINUTES
            for j, job in enumerate(data.jobs)
        },
        travel_cost_per_km=scenario.costs.travel_cost_per_km,
        previous_vehicle=previous_vehicles(previous, data) if previous is not None else {},
        move_penalty=(reassign_cost if reassign_cost > 0 else move_penalty)
        if previous is not None
        else 0.0,
    )
    search = None
    vrp: PyvrpSolution | None = None
    reserve = min(
        RESERVE_SHARE_MAX * time_limit_seconds,
        RESERVE_SECONDS + RESERVE_SECONDS_PER_JOB * len(data.jobs),
    )
    cut: list[str] = []
    if previous is not None and reassign_cost > 0:
        # the previous plan completed by insertion: the fewest moves that serve new work; before
        # the search (which starts from the best-ranked candidate) and with its own time share
        start = candidates[-1]
        until = time.perf_counter() + KEPT_INSERTION_SHARE * max(
            0.0, deadline - time.perf_counter() - reserve
        )
        kept = _polish(scenario, data, start, spec, credit, allowed, until)
        if kept is not start:
            candidates.append(kept)
        if deterministic and time.perf_counter() >= until:  # a repeatable run says so
            cut.append("insertion into the previous plan")
    # a deterministic insertion runs to its end (the cap only guards it); else a tenth of the limit
    insertion_deadline = (
        deadline - reserve
        if deterministic
        else time.perf_counter() + START_INSERTION_SHARE * time_limit_seconds
    )
    first = min(candidates, key=ranked)
    # PyVRP starts from the candidate as it was, as before this insertion existed: its own
    # first descent places the rest (TRSP's and Solomon's searches are unchanged by it)
    pyvrp_start = _orders_of(data, first.routes)
    completed = _polish(scenario, data, first, spec, credit, allowed, insertion_deadline)
    if deterministic and time.perf_counter() >= insertion_deadline:
        cut.append("start insertion")
    if completed is not first:
        candidates.append(completed)
    # a deterministic search's work: the nominal search time (limit less reserve) in iterations
    search_seconds = max(MIN_SEARCH_SECONDS, time_limit_seconds - reserve)
    jobs = len(spec.allowed)
    dimensions = load_dimensions(data)
    work: list[str] = []
    if spec.allowed and engine in ("pyvrp", "both"):
        share = 1.0 if engine == "pyvrp" else PYVRP_SHARE
        budget = max(MIN_SEARCH_SECONDS, share * (deadline - time.perf_counter() - reserve))
        iterations = pyvrp_iterations(jobs, share * search_seconds, dimensions)
        vrp = solve_pyvrp(
            data,
            spec.allowed,
            spec.penalty,
            scenario.costs.travel_cost_per_km,
            budget,
            seed=seed,
            max_iterations=iterations if deterministic else None,
            required={j for j in spec.allowed if not _optional(data.jobs[j])},
            initial_orders=pyvrp_start,
            lateness={j: credit[job.id] for j, job in enumerate(data.jobs)},
        )
        if deterministic and vrp is not None:
            work.append(f"PyVRP {iterations} iterations")
            if vrp.iterations < iterations and vrp.seconds >= CUT_SHARE * budget:
                cut.append("PyVRP")
        if vrp is not None and vrp.found:
            candidates.append(_from_orders(scenario, data, "pyvrp", vrp.orders, credit, allowed))
    if spec.allowed and (engine in ("ortools", "both") or vrp is None):
        model = TechnicianModel(data, spec)
        budget = max(MIN_SEARCH_SECONDS, deadline - time.perf_counter() - reserve)
        solutions = ortools_solutions(
            jobs, (1 - PYVRP_SHARE if engine == "both" else 1.0) * search_seconds
        )
        search = model.solve(
            budget, start_orders, solution_limit=solutions if deterministic else None
        )
        if deterministic:
            work.append(f"OR-Tools {solutions} solutions")
            if search.seconds >= CUT_SHARE * budget:
                cut.append("OR-Tools")
        if search.found:
            candidates.append(
                _from_orders(scenario, data, "ortools", search.orders, credit, allowed)
            )
    best = min(candidates, key=ranked)
    polished = _polish(scenario, data, best, spec, credit, allowed, deadline - FINAL_SECONDS)
    if deterministic and time.perf_counter() >= deadline - FINAL_SECONDS:
        cut.append("insertion")
    if ranked(polished) < ranked(best) - 1e-9:
        candidates.append(polished)
        best = polished
    if previous is not None:
        start = next(c for c in candidates if c.name == "previous")
        if ranked(best) >= ranked(start) - 1e-9:
            best = start
    costs = routing_costs(scenario, data, best.routes, best.unserved)
    message = [
        f"chose {best.name} of " + ", ".join(f"{c.name} {c.cost:.2f}" for c in candidates),
        f"{len(best.unserved)} of {len(data.jobs)} requests unserved",
    ]
    if vrp is not None:
        # a deterministic plan repeats byte for byte: wall times stay in ``seconds`` only
        took = "" if deterministic else f" in {vrp.seconds:.1f} s"
        message.append(f"PyVRP {vrp.status}, {vrp.iterations} iterations{took}")
    if search is not None:
        took = "" if deterministic else f" in {search.seconds:.1f} s"
        message.append(f"OR-Tools {search.status}{took}")
        if search.used_initial:
            message.append("warm-started")
    if previous is not None:
        moved = moved_assignments(previous, best.routes, job_ids)
        message.append(f"{moved} assignments moved")
        if reassign_cost > 0:
            message.append(f"stability cost {reassign_cost * moved:,.2f}")
    if pins:
        held = "" if pins_kept(best.routes, pins) else " (NOT all kept)"
        message.append(f"{len(pins)} visits pinned{held}")
    if deterministic:
        message.append("deterministic work limits: " + (", ".join(work) or "no search"))
    if cut:
        message.append(f"{CUT_BY_CAP}: {', '.join(cut)}")
        logger.warning("routing: %s: %s", CUT_BY_CAP, ", ".join(cut))
    found = (search is not None and search.found) or (vrp is not None and vrp.found)
    status = "feasible" if found or not spec.allowed else "time_limit"
    engines = [n for n, ran in (("pyvrp", vrp), ("ortools-routing-gls", search)) if ran]
    report = LayerResult(
        layer="routing",
        status=status,
        method="+".join(engines or ["greedy"])
        + ("+warm-start" if previous is not None else "")
        + ("+deterministic" if deterministic else ""),
        objective=costs.horizon_total,
        bound=None,
        gap=None,
        seconds=time.perf_counter() - started,
        message="; ".join(message),
    )
    return RoutingResult(report, best.routes, best.unserved, costs)


def allowed_vehicles(data: RoutingData) -> dict[int, list[int]]:
    """Job index → vehicles qualified (skills, pin) and equipped (tools, parts, by restocking if
    need be) for it that could reach it alone in time."""
    return {
        j: [
            v
            for v, vehicle in enumerate(data.vehicles)
            if qualified(job, vehicle)
            and missing_equipment(job, vehicle) is None
            and can_reach(data, job, vehicle)
        ]
        for j, job in enumerate(data.jobs)
    }


def _credit_per_job(scenario: Scenario, data: RoutingData) -> dict[str, float]:
    """The tier's credit per breach of each job's site."""
    tiers = {t.id: t for t in scenario.tiers}
    tier_of_site = {s.id: tiers[s.tier] for s in scenario.sites}
    return {job.id: tier_of_site[job.site].credit_per_breach for job in data.jobs}


def _priority_weight(job: Job) -> float:
    """Priority 1 → 1.0 up to priority 5 → 2.0: urgent jobs are reached on time first."""
    return 1.0 + (job.priority - 1) / 4


def _optional(job: Job) -> bool:
    """Work that may be left for a later plan: a deferrable visit, or due after the horizon."""
    return job.deferrable or job.beyond_horizon


def _penalty(scenario: Scenario, job: Job, credit: float) -> float:
    """Weight of leaving the job unserved in the model: the true cost, plus
    ``OPTIONAL_WORK_VALUE`` for optional work (done when there is time), at least
    MUST_SERVE_PENALTY for work that must be served (so the search never trades it for travel
    or for optional work)."""
    cost = unserved_cost(scenario, job, credit)
    if _optional(job):
        return cost + OPTIONAL_WORK_VALUE
    return max(cost, MUST_SERVE_PENALTY + credit)


def _score(
    scenario: Scenario,
    data: RoutingData,
    cost: float,
    unserved: Sequence[Unserved],
    credit: dict[str, float],
) -> float:
    """What candidates are chosen by: the true cost with each unserved job weighed as in the
    search (``_penalty``), so a plan never defers a visit it had the time for to save its
    labour, nor leaves a repair to do a visit."""
    jobs = {job.id: job for job in data.jobs}
    extra = 0.0
    for u in unserved:
        job = jobs[u.request]
        tier_credit = credit.get(job.id, 0.0)
        extra += _penalty(scenario, job, tier_credit) - unserved_cost(scenario, job, tier_credit)
    return cost + extra


def _polish(
    scenario: Scenario,
    data: RoutingData,
    candidate: _Candidate,
    spec: ModelInput,
    credit: dict[str, float],
    allowed: dict[int, list[int]],
    deadline: float,
) -> _Candidate:
    """The candidate with unserved jobs inserted where they fit (exact timing), until deadline."""
    orders = _orders_of(data, candidate.routes)
    job_index = {job.id: i for i, job in enumerate(data.jobs)}
    unserved = [job_index[u.request] for u in candidate.unserved]
    inserted = insert_unserved(
        data,
        orders,
        unserved,
        allowed,
        spec.penalty,
        credit,
        scenario.costs.travel_cost_per_km,
        deadline,
    )
    if not inserted:
        return candidate
    return _from_orders(scenario, data, candidate.name + "+insertion", orders, credit, allowed)


def _orders_of(data: RoutingData, routes: Sequence[Route]) -> list[list[int]]:
    """Job indices per vehicle of finished routes."""
    vehicle_index = {(v.technician, v.day): i for i, v in enumerate(data.vehicles)}
    job_index = {job.id: i for i, job in enumerate(data.jobs)}
    orders: list[list[int]] = [[] for _ in data.vehicles]
    for route in routes:
        orders[vehicle_index[route.technician, route.day]] = [
            RESTOCK_INDEX if s.request is None else job_index[s.request] for s in route.stops
        ]
    return orders


def _from_orders(
    scenario: Scenario,
    data: RoutingData,
    name: str,
    orders: Sequence[Sequence[int]],
    credit: dict[str, float],
    allowed: dict[int, list[int]],
) -> _Candidate:
    """Exact timing of each vehicle's order; stops that do not fit are dropped (unserved).

    A job on a vehicle not ``allowed`` for it (skills, pin, tools, reach) is dropped first: an
    infeasible PyVRP solution may route a job over the prohibitively long arc that encodes a
    missing skill (generated M seed 1 sent a hydraulics technician to a software call).
    """
    routes: list[Route] = []
    served: set[int] = set()
    job_index = {job.id: i for i, job in enumerate(data.jobs)}
    allowed_on = {j: set(vehicles) for j, vehicles in allowed.items()}
    for v, order in enumerate(orders):
        order = [j for j in order if j == RESTOCK_INDEX or v in allowed_on[j]]
        if not order:
            continue
        timed, _ = time_or_repair(data, data.vehicles[v], order_items(data, order), credit)
        if timed is not None and timed.route.visits:
            routes.append(timed.route)
            served.update(job_index[s.request] for s in timed.route.visits if s.request)
    unserved = [_why_unserved(data, j, allowed) for j in range(len(data.jobs)) if j not in served]
    costs = routing_costs(scenario, data, routes, unserved)
    return _Candidate(
        name,
        routes,
        unserved,
        costs.horizon_total,
        _score(scenario, data, costs.horizon_total, unserved, credit),
    )


def _from_result(
    scenario: Scenario,
    data: RoutingData,
    name: str,
    result: RoutingResult,
    allowed: dict[int, list[int]],
) -> _Candidate:
    """A finished result as a candidate, with the unserved reasons of this module."""
    job_index = {job.id: i for i, job in enumerate(data.jobs)}
    unserved = [_why_unserved(data, job_index[u.request], allowed) for u in result.unserved]
    costs = routing_costs(scenario, data, result.routes, unserved)
    return _Candidate(
        name,
        result.routes,
        unserved,
        costs.horizon_total,
        _score(scenario, data, costs.horizon_total, unserved, _credit_per_job(scenario, data)),
    )


def _why_unserved(data: RoutingData, j: int, allowed: dict[int, list[int]]) -> Unserved:
    """Reason of an unserved job (docs/semantics.md, "Unserved requests")."""
    return why_unserved(data, data.jobs[j], bool(allowed[j]))
