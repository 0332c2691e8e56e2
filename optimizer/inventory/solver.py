"""The tactical layer's entry points: stock levels that meet every tier's parts-on-hand target.

``solve_inventory`` runs the frontier method (:mod:`aftersales.optimizer.inventory.frontier`) and
reports, besides the Plan's stock rows, the achieved fill of every target group, per-depot totals,
the traced cost–service frontier, loaner pools and a diagnosis of every target it cannot meet.
``solve_inventory_exact`` solves the same problem by MILP
(:mod:`aftersales.optimizer.inventory.exact`); it is the reference on small cases.
"""

from __future__ import annotations

import time

import numpy as np
import numpy.typing as npt

from aftersales.optimizer.arrays import IntArray
from aftersales.optimizer.inventory.data import StockData
from aftersales.optimizer.inventory.exact import solve_exact
from aftersales.optimizer.inventory.frontier import (
    TARGET_SLACK,
    FrontierTrace,
    extend_frontier,
    trace_frontier,
)
from aftersales.optimizer.inventory.loaners import size_loaners
from aftersales.optimizer.inventory.result import InventoryResult, StockEvaluation, evaluate_levels
from aftersales.optimizer.inventory.tables import (
    LevelTables,
    achieved_fill,
    level_tables,
    table_levels,
)
from aftersales.optimizer.schema import (
    DepotStockTotal,
    FrontierPoint,
    InventorySettings,
    LayerResult,
    LoanerPool,
    Scenario,
    SolveStatus,
    StockTarget,
)

MAX_FRONTIER_POINTS = 200
"""Frontier points kept for the Plan (evenly spread by cost, ends and chosen point kept)."""
FRONTIER_REACH = 0.75
"""The frontier is traced past the targets until this share of the fill left above the highest
target is covered (targets at 0.95 → overall fill 0.9875)."""
LIMITING_PARTS = 3
"""Parts named in the diagnosis of an unreachable target."""


def settings_of(scenario: Scenario) -> InventorySettings:
    """The scenario's stock-layer settings, defaults when it has none."""
    return scenario.inventory or InventorySettings()


def group_tier_index(data: StockData) -> IntArray:
    """Tier index (in ``data.tier_ids``) of every target group."""
    index = {t: n for n, t in enumerate(data.tier_ids)}
    return np.array([index[t] for t in data.group_tiers], dtype=np.intp)


def solve_inventory(
    scenario: Scenario, data: StockData, time_limit_seconds: float = 60.0
) -> InventoryResult:
    """Cheapest stock levels meeting every target group, by greedy marginal analysis.

    Status ``feasible`` when every target holds; ``infeasible`` when some target cannot be met
    (level cap or holding budget — see ``shortfalls``; the levels are then the best effort);
    ``time_limit`` when the time ran out first.
    """
    started = time.perf_counter()
    deadline = started + time_limit_seconds
    settings = settings_of(scenario)
    tables = level_tables(data, settings.max_level_per_part)
    tiers = group_tier_index(data)
    budget = settings.holding_budget_per_year
    solution = trace_frontier(
        tables,
        data.group_target,
        tiers,
        len(data.tier_ids),
        holding_budget_per_year=budget,
        deadline=deadline,
    )
    shortfalls = diagnose(data, tables, solution.achieved, solution.met)
    if solution.budget_blocked and not solution.met.all():
        shortfalls.append(_budget_note(data, tables, tiers, budget, deadline))
    frontier = _frontier(data, tables, solution.levels, solution.trace, tiers, deadline)
    status: SolveStatus = "feasible"
    if solution.timed_out:
        status = "time_limit"
    elif not solution.met.all():
        status = "infeasible"
    message = f"{solution.steps} marginal steps; all {int(solution.met.sum())} targets met"
    if shortfalls:
        message = "; ".join(shortfalls[:20])
    return assemble_levels(
        scenario,
        data,
        tables,
        solution.levels,
        LayerResult(
            layer="inventory",
            status=status,
            method="marginal-analysis-hull+ruin-repair",
            seconds=time.perf_counter() - started,
            message=message,
        ),
        frontier=frontier,
        shortfalls=shortfalls,
    )


def solve_inventory_exact(
    scenario: Scenario, data: StockData, time_limit_seconds: float = 60.0, mip_gap: float = 1e-9
) -> InventoryResult:
    """The same problem by MILP over level choices (HiGHS); status and bound from HiGHS."""
    started = time.perf_counter()
    settings = settings_of(scenario)
    tables = level_tables(data, settings.max_level_per_part)
    exact = solve_exact(
        tables,
        data.group_target,
        time_limit_seconds,
        holding_budget_per_year=settings.holding_budget_per_year,
        mip_gap=mip_gap,
    )
    levels = exact.levels if exact.levels is not None else np.zeros(tables.pairs, dtype=np.intp)
    met = _met(data, tables, levels)
    return assemble_levels(
        scenario,
        data,
        tables,
        levels,
        LayerResult(
            layer="inventory",
            status=exact.status,
            method="milp-level-choice-highs",
            bound=exact.bound,
            gap=exact.gap,
            seconds=time.perf_counter() - started,
            message=exact.message,
        ),
        shortfalls=diagnose(data, tables, achieved_fill(tables, levels), met),
    )


def _met(data: StockData, tables: LevelTables, levels: IntArray) -> npt.NDArray[np.bool_]:
    achieved = achieved_fill(tables, levels)
    return (tables.group_demand_per_year <= 0) | (achieved >= data.group_target - TARGET_SLACK)


def group_label(data: StockData, g: int) -> str:
    """'depot D1 pool pooled tier gold' (plus 'site S3' under the per-site scope)."""
    p = data.group_pools[g]
    label = f"depot {data.pool_depots[p]} pool {data.pool_names[p]} tier {data.group_tiers[g]}"
    site = data.group_sites[g] if data.group_sites else None
    return label if site is None else f"{label} site {site}"


def diagnose(
    data: StockData,
    tables: LevelTables,
    achieved: npt.NDArray[np.float64],
    met: npt.NDArray[np.bool_],
) -> list[str]:
    """One line per missed group: unreachable (with its limiting parts) or merely not reached."""
    best = achieved_fill(tables, tables.top)
    lines = []
    for g in np.flatnonzero(~met):
        target = data.group_target[g]
        head = f"{group_label(data, int(g))}: target {target:.4f}, achieved {achieved[g]:.4f}"
        if best[g] < target - TARGET_SLACK:
            lines.append(f"{head}; unreachable, at most {best[g]:.4f} {_limiting(data, tables, g)}")
        else:
            lines.append(f"{head}; reachable ({best[g]:.4f}) but not reached")
    return lines


def _limiting(data: StockData, tables: LevelTables, g: int) -> str:
    """The parts that keep a group furthest from fill 1 at their highest level."""
    row = tables.group_weight[[g], :].tocoo()
    pairs, share = row.col, row.data
    top = tables.top[pairs]
    fill = tables.fill[tables.start[pairs] + top]
    order = np.argsort(-(share * (1 - fill)), kind="stable")[:LIMITING_PARTS]
    parts = ", ".join(
        f"{data.part_ids[tables.parts[pairs[n]]]} (fill {fill[n]:.4f} at {top[n]} units, "
        f"{share[n]:.0%} of demand)"
        for n in order
    )
    return f"with every part at its level cap; limiting parts: {parts}"


def _budget_note(
    data: StockData, tables: LevelTables, tiers: IntArray, budget: float | None, deadline: float
) -> str:
    """How much holding budget the targets need, from an unbudgeted run."""
    free = trace_frontier(tables, data.group_target, tiers, len(data.tier_ids), deadline=deadline)
    need = float(tables.holding[table_levels(tables, free.levels)].sum())
    return f"holding budget {budget:.2f}/year is too small: the targets need about {need:.2f}/year"


def _frontier(
    data: StockData,
    tables: LevelTables,
    levels: IntArray,
    trace: FrontierTrace,
    tiers: IntArray,
    deadline: float,
) -> list[FrontierPoint]:
    """Greedy path below the chosen cost, the chosen point, then the path past the targets."""
    position = table_levels(tables, levels)
    chosen_cost = float(tables.cost[position].sum())
    tier_demand = np.bincount(
        tiers, weights=tables.group_demand_per_year, minlength=len(data.tier_ids)
    )
    total = float(tables.demand_per_year.sum())
    achieved = achieved_fill(tables, levels)
    after = FrontierTrace()
    after.holding.append(float(tables.holding[position].sum()))
    after.stockout.append(float(tables.stockout[position].sum()))
    after.filled.append(float(np.dot(tables.demand_per_year, tables.fill[position])))
    tier_filled = np.zeros(len(data.tier_ids))
    np.add.at(tier_filled, tiers, tables.group_demand_per_year * achieved)
    after.tier_filled.append(tier_filled.tolist())
    if total > 0 and len(data.group_target):
        top_target = float(data.group_target.max())
        goal = top_target + FRONTIER_REACH * (1 - top_target)
        extend_frontier(
            tables, levels, tiers, len(data.tier_ids), after, goal, 10 * tables.pairs, deadline
        )
    rows = [
        (h, e, f, t, False)
        for h, e, f, t in zip(
            trace.holding, trace.stockout, trace.filled, trace.tier_filled, strict=True
        )
        if h + e < chosen_cost - 1e-9
    ]
    rows += [
        (h, e, f, t, n == 0)
        for n, (h, e, f, t) in enumerate(
            zip(after.holding, after.stockout, after.filled, after.tier_filled, strict=True)
        )
    ]
    keep = _spread([h + e for h, e, *_ in rows], [r[4] for r in rows])
    return [
        FrontierPoint(
            holding_cost_per_year=max(0.0, h),
            stockout_cost_per_year=max(0.0, e),
            parts_on_hand_probability=min(1.0, max(0.0, f / total)) if total else 0.0,
            tier_parts_on_hand={
                data.tier_ids[n]: min(1.0, max(0.0, v / tier_demand[n]))
                for n, v in enumerate(t)
                if tier_demand[n] > 0
            },
            chosen=chosen,
        )
        for h, e, f, t, chosen in (rows[n] for n in keep)
    ]


def _spread(cost: list[float], must: list[bool]) -> list[int]:
    """Indices of at most MAX_FRONTIER_POINTS points evenly spread by cost, ends and musts."""
    if len(cost) <= MAX_FRONTIER_POINTS:
        return list(range(len(cost)))
    grid = np.linspace(min(cost), max(cost), MAX_FRONTIER_POINTS - 2)
    ordered = np.argsort(cost, kind="stable")
    picked = set(ordered[np.searchsorted(np.asarray(cost)[ordered], grid).clip(0, len(cost) - 1)])
    picked |= {0, len(cost) - 1} | {n for n, m in enumerate(must) if m}
    return sorted(int(n) for n in picked)


def assemble_levels(
    scenario: Scenario,
    data: StockData,
    tables: LevelTables,
    levels: IntArray,
    report: LayerResult,
    *,
    frontier: list[FrontierPoint] | None = None,
    shortfalls: list[str] | None = None,
) -> InventoryResult:
    """Stock rows, costs, targets, totals and loaners of the chosen levels."""
    evaluation = evaluate_levels(
        data, tables.pools, tables.parts, tables.demand_per_year, levels.astype(np.int64)
    )
    loaners = _loaners(scenario, data)
    costs = evaluation.costs().model_copy(
        update={"loaners_per_year": sum(pool.cost_per_year for pool in loaners)}
    )
    report = report.model_copy(update={"objective": float(evaluation.cost_per_year.sum())})
    if report.bound is not None and report.objective:
        report = report.model_copy(
            update={"gap": max(0.0, (report.objective - report.bound) / abs(report.objective))}
        )
    achieved = achieved_fill(tables, levels)
    targets = [
        StockTarget(
            depot=data.pool_depots[data.group_pools[g]],
            pool=data.pool_names[data.group_pools[g]],
            tier=data.group_tiers[g],
            site=data.group_sites[g] if data.group_sites else None,
            demand_per_year=float(tables.group_demand_per_year[g]),
            target=float(data.group_target[g]),
            achieved=float(min(1.0, max(0.0, achieved[g]))),
        )
        for g in range(len(data.group_target))
        if tables.group_demand_per_year[g] > 0
    ]
    return InventoryResult(
        report=report,
        stock=evaluation.rows(data),
        costs=costs,
        targets=targets,
        totals=depot_totals(data, evaluation),
        frontier=frontier or [],
        loaners=loaners,
        shortfalls=shortfalls or [],
    )


def depot_totals(data: StockData, ev: StockEvaluation) -> list[DepotStockTotal]:
    """Units, demand, backorders, holding, emergency and credit cost summed per depot."""
    depots = sorted({data.pool_depots[p] for p in ev.pools})
    index = {depot: n for n, depot in enumerate(depots)}
    owner = np.array([index[data.pool_depots[p]] for p in ev.pools], dtype=np.intp)

    def total(values: npt.ArrayLike) -> list[float]:
        return np.bincount(owner, weights=values, minlength=len(depots)).tolist()

    columns = zip(
        total(ev.levels),
        total(ev.demand_per_year),
        total(ev.backorders),
        total(ev.holding_per_year),
        total(ev.emergency_per_year),
        total(ev.credits_per_year),
        strict=True,
    )
    return [
        DepotStockTotal(
            depot=depot,
            units=round(units),
            demand_per_year=demand,
            expected_backorders=backorders,
            holding_cost_per_year=holding,
            emergency_cost_per_year=emergency,
            stockout_credits_per_year=credits,
        )
        for depot, (units, demand, backorders, holding, emergency, credits) in zip(
            depots, columns, strict=True
        )
    ]


def _loaners(scenario: Scenario, data: StockData) -> list[LoanerPool]:
    """Loaner pools when the scenario sets a loaner unavailability target."""
    settings = settings_of(scenario)
    target = settings.loaner_unavailability_target
    if target is None or not data.site_depots:
        return []
    return size_loaners(
        scenario,
        dict(data.site_depots),
        target,
        settings.loaner_days,
        settings.loaner_cost_per_unit_year,
    )
