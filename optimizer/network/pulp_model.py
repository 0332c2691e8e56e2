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

from aftersales.optimizer.cbc_run import solve_cbc_until
from aftersales.optimizer.network.facility import FacilityProblem
from aftersales.optimizer.network.milp import (
    ASSIGN_ONCE,
    CAPACITY,
    DEPOT_COUNT,
    LINK_OPEN,
    PIECE_CHOICE,
    PIECE_LOAD,
    POOLED_LOAD,
    FacilitySolution,
)
from aftersales.optimizer.work import CUT_BY_CAP, cap_seconds, node_budget


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
    model += (
        pulp.lpSum(c * y for c, y in zip(problem.open_cost, opened, strict=True))
        + pulp.lpSum(c * x for c, x in zip(problem.pair_cost, assign, strict=True))
        + add_stock_curve(model, problem, opened, assign, by_depot)
        + problem.offset
    )
    return model, opened, assign


def add_stock_curve(
    model: pulp.LpProblem,
    problem: FacilityProblem,
    opened: list[pulp.LpVariable],
    assign: list[pulp.LpVariable],
    by_depot: list[list[int]],
) -> pulp.LpAffineExpression:
    """Piece choice, piece load and pooled load rows of the concave stock curve; its cost."""
    if problem.stock_curve is None or problem.pooled_demand is None:
        return pulp.LpAffineExpression()
    slopes, intercepts = problem.stock_curve
    weight, total = problem.pooled_demand, float(problem.pooled_demand.sum())
    cost = []
    for j, pairs in enumerate(by_depot):
        pieces = range(len(slopes))
        piece_open = [pulp.LpVariable(f"piece_open_{j}_{s}", cat=pulp.LpBinary) for s in pieces]
        piece_load = [pulp.LpVariable(f"piece_load_{j}_{s}", lowBound=0) for s in pieces]
        model += pulp.lpSum(piece_open) == opened[j], f"{PIECE_CHOICE}_{j}"
        pooled = pulp.lpSum(weight[problem.pair_site[p]] * assign[p] for p in pairs)
        model += pulp.lpSum(piece_load) == pooled, f"{POOLED_LOAD}_{j}"
        for s in pieces:
            model += piece_load[s] <= total * piece_open[s], f"{PIECE_LOAD}_{j}_{s}"
            cost.append(intercepts[s] * piece_open[s] + slopes[s] * piece_load[s])
    return pulp.lpSum(cost)


def solve_facility_cbc(
    problem: FacilityProblem,
    time_limit_seconds: float,
    mip_gap: float = 1e-4,
    seed: int = 0,
    deterministic: bool = False,
) -> FacilitySolution:
    """Build with PuLP and solve with CBC within the time limit.

    ``deterministic``: one thread, CBC's node limit from the time share (``node_budget``) and
    the wall clock only as the safety cap, the same way HiGHS runs (aftersales.optimizer.work).
    CBC ignores its limit in the root LP (DESIGN.md, "Pitfalls"), where the cap may then cut.
    """
    started = time.perf_counter()
    model, opened, assign = build_pulp(problem)
    build_seconds = time.perf_counter() - started
    limit = max(1.0, cap_seconds(time_limit_seconds, deterministic) - build_seconds)
    solver = pulp.PULP_CBC_CMD(
        msg=False,
        timeLimit=limit,
        gapRel=mip_gap,
        options=[f"randomCbcSeed {seed + 1}"],
        threads=1 if deterministic else None,
        maxNodes=node_budget(time_limit_seconds) if deterministic else None,
    )
    run = solve_cbc_until(model, solver, started + cap_seconds(time_limit_seconds, deterministic))
    solve_seconds = time.perf_counter() - started - build_seconds
    proven = run.found and not run.interrupted and model.sol_status == pulp.LpSolutionOptimal
    found = run.found
    if model.status == pulp.LpStatusInfeasible:
        status = "infeasible"
    elif proven:
        status = "optimal"
    else:
        status = "time_limit"
    is_open = np.array([(y.value() or 0) > 0.5 for y in opened], dtype=bool)
    fraction = np.clip(np.array([x.value() or 0.0 for x in assign], dtype=float), 0, 1)
    if problem.single_source:
        fraction = np.round(fraction)
    # recomputed from the decision rather than read through PuLP's expression value
    objective = problem.objective(is_open, fraction) if found else None
    return FacilitySolution(
        status=status,  # type: ignore[arg-type]
        is_open=is_open,
        pair_fraction=fraction,
        objective=objective,
        bound=objective if proven else None,
        gap=0.0 if proven else None,
        build_seconds=build_seconds,
        solve_seconds=solve_seconds,
        message=pulp.LpSolution[model.sol_status]
        + ("; stopped at its deadline" if run.interrupted else "")
        + ("; killed" if run.killed else "")
        + (f"; {CUT_BY_CAP}" if deterministic and not proven and solve_seconds >= limit else ""),
    )
