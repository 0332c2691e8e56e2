"""The same facility MILP built with PuLP and solved by its bundled CBC.

Used when ``options.mip_solver == "cbc"`` and as the benchmark baseline. PuLP reports
``LpStatusOptimal`` for a CBC run stopped at its time limit with an incumbent; the truth is in
``sol_status`` (``LpSolutionIntegerFeasible``), which is what is read here. CBC's bound is not
returned through PuLP, so bound and gap stay None unless the solve is proven optimal.
"""

from __future__ import annotations

import time

import numpy as np
import pulp

from optimizer.network.facility import FacilityProblem
from optimizer.network.milp import ASSIGN_ONCE, CAPACITY, DEPOT_COUNT, LINK_OPEN, FacilitySolution


def build_pulp(
    problem: FacilityProblem,
) -> tuple[pulp.LpProblem, list[pulp.LpVariable], list[pulp.LpVariable]]:
    """The model with one constraint family per loop, named like the HiGHS rows."""
    model = pulp.LpProblem("facility_location", pulp.LpMinimize)
    category = pulp.LpBinary if problem.single_source else pulp.LpContinuous
    opened = [pulp.LpVariable(f"open_{j}", cat=pulp.LpBinary) for j in range(problem.depots)]
    assign = [
        pulp.LpVariable(f"assign_{p}", lowBound=0, upBound=1, cat=category)
        for p in range(len(problem.pair_site))
    ]
    model += (
        pulp.lpSum(c * y for c, y in zip(problem.open_cost, opened, strict=True))
        + pulp.lpSum(c * x for c, x in zip(problem.pair_cost, assign, strict=True))
        + problem.offset
    )
    by_site: list[list[int]] = [[] for _ in range(problem.sites)]
    by_depot: list[list[int]] = [[] for _ in range(problem.depots)]
    for p, (i, j) in enumerate(zip(problem.pair_site, problem.pair_depot, strict=True)):
        by_site[i].append(p)
        by_depot[j].append(p)
    for i, pairs in enumerate(by_site):
        model += pulp.lpSum(assign[p] for p in pairs) == 1, f"{ASSIGN_ONCE}_{i}"
    for p, j in enumerate(problem.pair_depot):
        model += assign[p] <= opened[j], f"{LINK_OPEN}_{p}"
    for j, pairs in enumerate(by_depot):
        if np.isfinite(problem.capacity[j]):
            used = pulp.lpSum(problem.demand[problem.pair_site[p]] * assign[p] for p in pairs)
            model += used <= problem.capacity[j] * opened[j], f"{CAPACITY}_{j}"
    if problem.min_open > 0 or problem.max_open < problem.depots:
        model += pulp.lpSum(opened) >= problem.min_open, f"{DEPOT_COUNT}_min"
        model += pulp.lpSum(opened) <= problem.max_open, f"{DEPOT_COUNT}_max"
    return model, opened, assign


def solve_facility_cbc(
    problem: FacilityProblem, time_limit_seconds: float, mip_gap: float = 1e-4, seed: int = 0
) -> FacilitySolution:
    """Build with PuLP and solve with CBC within the time limit."""
    started = time.perf_counter()
    model, opened, assign = build_pulp(problem)
    build_seconds = time.perf_counter() - started
    solver = pulp.PULP_CBC_CMD(
        msg=False,
        timeLimit=max(1.0, time_limit_seconds - build_seconds),
        gapRel=mip_gap,
        options=[f"randomCbcSeed {seed + 1}"],
    )
    model.solve(solver)
    solve_seconds = time.perf_counter() - started - build_seconds
    proven = model.sol_status == pulp.LpSolutionOptimal
    found = model.sol_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible)
    if model.status == pulp.LpStatusInfeasible:
        status = "infeasible"
    elif proven:
        status = "optimal"
    else:
        status = "time_limit"
    objective = float(pulp.value(model.objective)) if found else None
    return FacilitySolution(
        status=status,  # type: ignore[arg-type]
        is_open=np.array([(y.value() or 0) > 0.5 for y in opened]),
        pair_fraction=np.clip(np.array([x.value() or 0.0 for x in assign]), 0, 1),
        objective=objective,
        bound=objective if proven else None,
        gap=0.0 if proven else None,
        build_seconds=build_seconds,
        solve_seconds=solve_seconds,
        message=pulp.LpSolution[model.sol_status],
    )
