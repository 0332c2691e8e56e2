"""Greedy marginal analysis on the convex hull: the cost–service frontier of stock levels.

The METRIC / Sherbrooke method, generalised to several targets per pool:

1. *Start* every (pool, part) pair at its cost-minimal level ``S0`` — the level minimising
   holding + expected stock-out cost (emergency shipments plus the credits of the calls they
   make late), which is where an unconstrained planner would stop. No optimal plan needs less
   (fewer units cost more and fill less).
2. *Hull.* Per pair, keep only the levels on the upper concave hull of (cost, fill) from ``S0``
   on. The fill increments ``P(D = S)`` rise up to the Poisson mode and fall after it, so the
   first hull step may jump several units; past the mode every unit is a hull step.
3. *Greedy.* Repeatedly take the hull step with the largest ratio of *weighted shortfall
   reduction* ``Σ_g min(a[g, i] · Δfill_i, shortfall_g)`` to *net cost* ``Δholding + Δstock-out``
   until no target group falls short. Shortfalls only shrink, so step values only fall and a
   lazy max-heap stays exact. Each accepted step is a point of the frontier.
4. *Polish.* Discrete steps overshoot. Per pool, drop single units that are not needed and
   exchange one unit of a part for one to three units of another where that is cheaper and keeps
   every target (a 1-for-m exchange neighbourhood), until no move improves.

Pools share no target, so the result is the same pool by pool or all at once; one heap over all
pools also orders the steps globally, which is what the frontier plot shows and what a holding
budget needs.
"""

from __future__ import annotations

import heapq
import logging
import math
import time
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from aftersales.optimizer.arrays import FloatArray, IntArray
from aftersales.optimizer.inventory.tables import LevelTables, achieved_fill, table_levels

logger = logging.getLogger("aftersales.optimizer")

TARGET_SLACK = 1e-10
"""A group meets its target when achieved ≥ target − TARGET_SLACK (float round-off only)."""


@dataclass
class FrontierTrace:
    """Points of the frontier: one per accepted step (plus the start), aligned lists."""

    holding: list[float] = field(default_factory=list)
    stockout: list[float] = field(default_factory=list)
    """Expected emergency shipment cost plus stock-out credits, per year."""
    filled: list[float] = field(default_factory=list)
    """Σ over pairs of λ × fill (divide by total λ for the overall fill)."""
    tier_filled: list[list[float]] = field(default_factory=list)
    """Per point, per tier: Σ over the tier's groups of group λ × achieved fill."""
    targets_met_at: int | None = None
    """Index of the first point where every target holds (None: never)."""


@dataclass(frozen=True)
class FrontierSolution:
    """Levels chosen by marginal analysis, what they achieve, and the traced frontier."""

    levels: IntArray
    """Per pair, aligned with the tables."""
    start_levels: IntArray
    """Cost-minimal level of each pair (where the greedy starts)."""
    achieved: FloatArray
    """Per group."""
    met: npt.NDArray[np.bool_]
    """Per group: target holds (groups without demand count as met)."""
    trace: FrontierTrace
    budget_blocked: bool
    """Some step was refused because it would exceed the holding budget."""
    timed_out: bool
    steps: int


def start_levels(tables: LevelTables) -> IntArray:
    """Per pair, the lowest level of least holding + stock-out cost."""
    owner = np.repeat(np.arange(tables.pairs), np.diff(tables.start))
    order = np.lexsort((np.arange(len(owner)), tables.cost, owner))
    return order[tables.start[:-1]] - tables.start[:-1]


def hull_levels(cost: list[float], fill: list[float], first: int) -> list[int]:
    """Levels on the upper concave hull of (cost, fill) from level ``first`` on.

    Levels are kept in cost order, those not filling more than a cheaper one are dropped, then
    the monotone-chain upper hull removes levels below a chord.
    """
    order = sorted(range(first, len(cost)), key=lambda s: (cost[s], -fill[s]))
    hull: list[int] = []
    best = -math.inf
    for s in order:
        if fill[s] <= best:
            continue
        best = fill[s]
        while len(hull) >= 2:
            a, b = hull[-2], hull[-1]
            below_chord = (fill[b] - fill[a]) * (cost[s] - cost[a]) <= (fill[s] - fill[a]) * (
                cost[b] - cost[a]
            )
            if below_chord:
                hull.pop()
            else:
                break
        hull.append(s)
    return hull


def trace_frontier(
    tables: LevelTables,
    group_target: FloatArray,
    group_tier: IntArray,
    tiers: int,
    *,
    holding_budget_per_year: float | None = None,
    deadline: float = math.inf,
) -> FrontierSolution:
    """Run steps 1-4 of the module docstring; stop early at ``deadline`` (perf_counter)."""
    first = start_levels(tables)
    if holding_budget_per_year is not None:
        held = float(tables.holding[table_levels(tables, first)].sum())
        if held > holding_budget_per_year:  # even the cost-minimal stock is over budget
            first = np.zeros(tables.pairs, dtype=np.intp)
    state = _GreedyState.build(
        tables, group_target, group_tier, tiers, holding_budget_per_year, from_levels=first
    )
    state.run_to_targets(deadline)
    greedy_levels = state.levels()
    levels = greedy_levels.copy()
    if not state.timed_out:
        levels = polish(tables, levels, group_target, holding_budget_per_year, deadline)
    achieved = achieved_fill(tables, levels)
    has_demand = tables.group_demand_per_year > 0
    return FrontierSolution(
        levels=levels,
        start_levels=state.first_levels,
        achieved=achieved,
        met=~has_demand | (achieved >= group_target - TARGET_SLACK),
        trace=state.trace,
        budget_blocked=state.budget_blocked,
        timed_out=state.timed_out,
        steps=len(state.trace.holding) - 1,
    )


def extend_frontier(
    tables: LevelTables,
    levels: IntArray,
    group_tier: IntArray,
    tiers: int,
    trace: FrontierTrace,
    service_goal: float,
    max_steps: int,
    deadline: float = math.inf,
) -> None:
    """Continue the frontier past the targets by overall fill per cost, appending to ``trace``.

    Starts from hull levels (the greedy's end), stops at overall fill ``service_goal``, after
    ``max_steps`` steps or at ``deadline``.
    """
    unit = np.ones(len(group_tier))
    state = _GreedyState.build(tables, unit, group_tier, tiers, None, from_levels=levels)
    state.overall = True
    state.trace = trace
    state.run_overall(service_goal, max_steps, deadline)


class _GreedyState:
    """Mutable state of the lazy-heap greedy, in plain Python lists for speed."""

    def __init__(self) -> None:
        self.trace = FrontierTrace()
        self.budget_blocked = False
        self.timed_out = False
        self.overall = False

    @classmethod
    def build(
        cls,
        tables: LevelTables,
        group_target: FloatArray,
        group_tier: IntArray,
        tiers: int,
        budget: float | None,
        from_levels: IntArray | None = None,
    ) -> _GreedyState:
        self = cls()
        self.tables = tables
        self.budget = math.inf if budget is None else budget
        self.fill = tables.fill.tolist()
        self.cost = tables.cost.tolist()
        self.hold = tables.holding.tolist()
        self.out = tables.stockout.tolist()
        self.start = tables.start.tolist()
        self.demand = tables.demand_per_year.tolist()
        first = start_levels(tables) if from_levels is None else np.asarray(from_levels)
        self.first_levels = first
        self.hull: list[list[int]] = []
        self.position: list[int] = []
        for i in range(tables.pairs):
            lo, hi = self.start[i], self.start[i + 1]
            hull = hull_levels(self.cost[lo:hi], self.fill[lo:hi], int(first[i]))
            if hull[0] != first[i]:  # a level of equal cost that fills more, or a capped start
                hull = [int(first[i]), *[s for s in hull if s > first[i]]]
            self.hull.append(hull)
            self.position.append(0)
        weight = tables.group_weight.tocsc()
        demand_of_group = tables.group_demand_per_year
        self.links: list[list[tuple[int, float, float, int]]] = []
        """Per pair: (group, share a, group λ on this pair, tier)."""
        for i in range(tables.pairs):
            rows = weight.indices[weight.indptr[i] : weight.indptr[i + 1]]
            vals = weight.data[weight.indptr[i] : weight.indptr[i + 1]]
            self.links.append(
                [
                    (int(g), float(a), float(a * demand_of_group[g]), int(group_tier[g]))
                    for g, a in zip(rows, vals, strict=True)
                ]
            )
        level_idx = table_levels(tables, [h[0] for h in self.hull])
        achieved = tables.group_weight @ tables.fill[level_idx]
        has_demand = demand_of_group > 0
        self.shortfall = np.where(has_demand, group_target - achieved, -1.0).tolist()
        self.open_groups = sum(1 for s in self.shortfall if s > TARGET_SLACK)
        self.holding = float(tables.holding[level_idx].sum())
        self.stockout = float(tables.stockout[level_idx].sum())
        self.filled = float(np.dot(tables.demand_per_year, tables.fill[level_idx]))
        tier_filled = np.zeros(tiers)
        np.add.at(tier_filled, group_tier, demand_of_group * achieved)
        self.tier_filled = tier_filled.tolist()
        self.total_demand = float(tables.demand_per_year.sum())
        return self

    def levels(self) -> IntArray:
        """Current level of every pair."""
        return np.array(
            [h[p] for h, p in zip(self.hull, self.position, strict=True)], dtype=np.intp
        )

    def _step(self, i: int) -> tuple[float, float] | None:
        """(Δfill, Δcost) of pair i's next hull step, or None at the top of its table."""
        hull, p = self.hull[i], self.position[i]
        if p + 1 >= len(hull):
            return None
        a, b = self.start[i] + hull[p], self.start[i] + hull[p + 1]
        return self.fill[b] - self.fill[a], self.cost[b] - self.cost[a]

    def _value(self, i: int, gain: float) -> float:
        """Weighted shortfall reduction (or overall λ-weighted gain) of raising pair i's fill."""
        if self.overall:
            return self.demand[i] * gain / self.total_demand
        value = 0.0
        for g, a, _, _ in self.links[i]:
            short = self.shortfall[g]
            if short > TARGET_SLACK:
                value += min(a * gain, short)
        return value

    @staticmethod
    def _ratio(value: float, delta_cost: float) -> float:
        return value / delta_cost if delta_cost > 1e-12 else value * 1e12

    def _record(self) -> None:
        t = self.trace
        t.holding.append(self.holding)
        t.stockout.append(self.stockout)
        t.filled.append(self.filled)
        t.tier_filled.append(list(self.tier_filled))

    def _accept(self, i: int) -> None:
        hull, p = self.hull[i], self.position[i]
        a, b = self.start[i] + hull[p], self.start[i] + hull[p + 1]
        gain = self.fill[b] - self.fill[a]
        self.position[i] = p + 1
        self.holding += self.hold[b] - self.hold[a]
        self.stockout += self.out[b] - self.out[a]
        self.filled += self.demand[i] * gain
        for g, share, lam, tier in self.links[i]:
            before = self.shortfall[g]
            self.shortfall[g] = before - share * gain
            if before > TARGET_SLACK >= self.shortfall[g]:
                self.open_groups -= 1
            self.tier_filled[tier] += lam * gain
        self._record()

    def _heap(self) -> list[tuple[float, int]]:
        heap = []
        for i in range(len(self.hull)):
            step = self._step(i)
            if step is None:
                continue
            value = self._value(i, step[0])
            if value > 0:
                heap.append((-self._ratio(value, step[1]), i))
        heapq.heapify(heap)
        return heap

    def _affordable(self, i: int) -> bool:
        hull, p = self.hull[i], self.position[i]
        extra = self.hold[self.start[i] + hull[p + 1]] - self.hold[self.start[i] + hull[p]]
        if self.holding + extra <= self.budget * (1 + 1e-12):
            return True
        self.budget_blocked = True
        return False

    def run_to_targets(self, deadline: float) -> None:
        """Greedy steps until every group meets its target or no step helps."""
        self._record()
        if self.open_groups == 0:
            self.trace.targets_met_at = 0
        self._run(lambda: self.open_groups == 0, deadline)
        if self.open_groups == 0 and self.trace.targets_met_at is None:
            self.trace.targets_met_at = len(self.trace.holding) - 1

    def run_overall(self, goal: float, max_steps: int, deadline: float) -> None:
        """Greedy steps by overall fill per cost until ``goal`` or ``max_steps``."""
        limit = len(self.trace.holding) + max_steps
        self._run(
            lambda: self.filled >= goal * self.total_demand or len(self.trace.holding) >= limit,
            deadline,
        )

    def _run(self, done: object, deadline: float) -> None:
        heap = self._heap()
        count = 0
        while heap and not done():  # type: ignore[operator]
            count += 1
            if count % 512 == 0 and time.perf_counter() > deadline:
                self.timed_out = True
                return
            _, i = heapq.heappop(heap)
            step = self._step(i)
            if step is None:
                continue
            value = self._value(i, step[0])
            if value <= 0:
                continue
            ratio = self._ratio(value, step[1])
            if heap and ratio < -heap[0][0] * (1 - 1e-12):
                heapq.heappush(heap, (-ratio, i))
                continue
            if not self._affordable(i):
                continue
            self._accept(i)
            step = self._step(i)
            if step is not None:
                value = self._value(i, step[0])
                if value > 0:
                    heapq.heappush(heap, (-self._ratio(value, step[1]), i))


def polish(
    tables: LevelTables,
    levels: IntArray,
    group_target: FloatArray,
    holding_budget_per_year: float | None = None,
    deadline: float = math.inf,
) -> IntArray:
    """Per pool, ruin-and-repair local search over the greedy's levels while cost falls.

    A move takes 1 to :data:`MAX_RUIN_UNITS` units from one part, repairs the targets by a
    greedy over steps of 1 to :data:`MAX_STEP_UNITS` units of the other parts (keeping the
    cheapest completion seen, the classic last-step fix), then drops every unit no target needs.
    A group that is short keeps at least the fill it has.
    """
    levels = levels.copy()
    budget = math.inf if holding_budget_per_year is None else holding_budget_per_year
    spare = budget - float(tables.holding[table_levels(tables, levels)].sum())
    weight = tables.group_weight.tocsc()
    pool_order = np.argsort(tables.pools, kind="stable")
    bounds = np.searchsorted(tables.pools[pool_order], np.unique(tables.pools))
    bounds = np.append(bounds, len(pool_order))
    for b in range(len(bounds) - 1):
        if time.perf_counter() > deadline:
            break
        pairs = pool_order[bounds[b] : bounds[b + 1]]
        sub = weight[:, pairs]
        groups = np.unique(sub.tocoo().row)
        if len(groups) == 0:
            continue
        pool = _PoolSearch(tables, pairs, levels[pairs], sub[groups, :].toarray(), spare)
        target = group_target[groups]
        pool.target = np.minimum(target, pool.achieved(pool.levels) + TARGET_SLACK / 2)
        before = pool.holding(pool.levels)
        pool.improve(deadline)
        levels[pairs] = pool.levels
        spare -= pool.holding(pool.levels) - before
    return levels


MAX_RUIN_UNITS = 3
"""Most units a polish move takes away from one part."""
MAX_STEP_UNITS = 3
"""Most units one repair step adds to a part."""
DOUBLE_RUIN_PARTS = 12
"""Two-part ruins look at this many parts with the dearest last unit (pairs of them)."""
REPAIR_HEADROOM = 5e-2
"""A repair is abandoned once it costs this share more than the levels it tries to beat (the
final drop of unneeded units rarely saves more)."""
DOUBLE_RUIN_MAX_PAIRS = 40
"""Largest pool (in parts with demand) that gets two-part ruins."""


class _PoolSearch:
    """Ruin-and-repair search on the levels of one pool, dense and vectorised."""

    def __init__(
        self,
        tables: LevelTables,
        pairs: IntArray,
        levels: IntArray,
        share: FloatArray,
        spare_holding: float,
    ) -> None:
        self.levels = levels.copy()
        self.share = share  # groups × pairs
        self.top = tables.top[pairs]
        self.base = tables.start[pairs]
        self.fill, self.cost, self.hold = tables.fill, tables.cost, tables.holding
        self.spare = spare_holding
        self.target = np.zeros(share.shape[0])

    def achieved(self, levels: IntArray) -> FloatArray:
        return self.share @ self.fill[self.base + levels]

    def holding(self, levels: IntArray) -> float:
        return float(self.hold[self.base + levels].sum())

    def total(self, levels: IntArray) -> float:
        return float(self.cost[self.base + levels].sum())

    def improve(self, deadline: float) -> None:
        """Drop, then ruin-and-repair moves until none improves (or the deadline).

        Two-part ruins run only on pools of at most :data:`DOUBLE_RUIN_MAX_PAIRS` pairs, where
        one unit is a large share of the cost; large pools are close to their hull already.
        """
        budget = self.spare + self.holding(self.levels)
        self.levels = self._drop(self.levels)
        self.best = self.total(self.levels)
        small = len(self.levels) <= DOUBLE_RUIN_MAX_PAIRS
        while time.perf_counter() <= deadline:
            if self._single_ruins(budget, deadline):
                continue
            if small and self._double_ruins(budget, deadline):
                continue
            break

    def _try(self, trial: IntArray, frozen: list[int], budget: float) -> bool:
        """Repair and drop ``trial``; keep it if it is cheaper than the current levels."""
        ceiling = self.best + REPAIR_HEADROOM * abs(self.best)
        repaired = self._repair(trial, frozen, budget, ceiling=ceiling)
        if repaired is None:
            return False
        repaired = self._drop(repaired)
        cost = self.total(repaired)
        if cost < self.best - 1e-9 * max(1.0, abs(self.best)):
            self.levels, self.best = repaired, cost
            return True
        return False

    def _single_ruins(self, budget: float, deadline: float) -> bool:
        """One sweep taking 1..MAX_RUIN_UNITS units from each part; True if anything improved.

        A ruin is repaired only if its saving beats the deficit priced at the best ratio any
        step offers now (a lower bound on the repair's cost while steps are concave).
        """
        improved = False
        gain, delta = self._steps(self.levels)
        for i in np.argsort(-self.hold[self.base + self.levels], kind="stable"):
            if time.perf_counter() > deadline:
                break
            for r in range(1, min(MAX_RUIN_UNITS, int(self.levels[i])) + 1):
                trial = self.levels.copy()
                trial[i] -= r
                if not self._worth_repairing(trial, int(i), gain, delta):
                    continue
                if self._try(trial, [int(i)], budget):
                    improved = True
                    gain, delta = self._steps(self.levels)
                    break
        return improved

    def _steps(self, levels: IntArray) -> tuple[FloatArray, FloatArray]:
        """Fill gain per group (groups × steps × pairs) and cost (steps × pairs) of +1..+m."""
        raised = levels + np.arange(1, MAX_STEP_UNITS + 1)[:, None]
        here = self.base + levels
        there = self.base + np.minimum(raised, self.top)
        gain = self.share[:, None, :] * (self.fill[there] - self.fill[here])
        delta = np.where(raised <= self.top, self.cost[there] - self.cost[here], math.inf)
        return gain, delta

    def _worth_repairing(
        self, trial: IntArray, ruined: int, gain: FloatArray, delta: FloatArray
    ) -> bool:
        deficit = np.maximum(self.target - TARGET_SLACK - self.achieved(trial), 0.0)
        saving = self.total(self.levels) - self.total(trial)
        if not (deficit > 0).any():
            return saving > 0
        value = np.minimum(gain, deficit[:, None, None]).sum(axis=0)
        value[:, ruined] = 0.0
        best_ratio = float(np.max(value / np.maximum(delta, 1e-12)))
        return best_ratio > 0 and saving > deficit.sum() / best_ratio * (1 - 1e-9)

    def _double_ruins(self, budget: float, deadline: float) -> bool:
        """Take one unit from each of two parts (the dearest :data:`DOUBLE_RUIN_PARTS`)."""
        held = np.flatnonzero(self.levels > 0)
        unit = self.hold[self.base[held] + self.levels[held]]
        held = held[np.argsort(-unit, kind="stable")][:DOUBLE_RUIN_PARTS]
        for n, i in enumerate(held):
            if time.perf_counter() > deadline:
                return False
            for k in held[n + 1 :]:
                trial = self.levels.copy()
                trial[i] -= 1
                trial[k] -= 1
                if self._try(trial, [int(i), int(k)], budget):
                    return True
        return False

    def _feasible(self, levels: IntArray) -> bool:
        return bool((self.achieved(levels) >= self.target - TARGET_SLACK).all())

    def _drop(self, levels: IntArray) -> IntArray:
        """Remove single units, largest saving first, while every target holds."""
        levels = levels.copy()
        while True:
            down = np.maximum(levels - 1, 0)
            saving = self.cost[self.base + levels] - self.cost[self.base + down]
            loss = self.share * (self.fill[self.base + levels] - self.fill[self.base + down])
            slack = self.achieved(levels) - self.target + TARGET_SLACK
            ok = (levels > 0) & (saving > 0) & (loss <= slack[:, None]).all(axis=0)
            if not ok.any():
                return levels
            j = int(np.argmax(np.where(ok, saving, -np.inf)))
            levels[j] -= 1

    def _repair(
        self, levels: IntArray, frozen: list[int], budget: float, ceiling: float = math.inf
    ) -> IntArray | None:
        """Greedy steps until every target holds; the cheapest completion seen, or None.

        Gives up (None) once the partial repair costs more than ``ceiling``.
        """
        levels = levels.copy()
        best: IntArray | None = None
        best_cost = math.inf
        cost = self.total(levels)
        holding = self.holding(levels)
        units = np.arange(1, MAX_STEP_UNITS + 1)[:, None]
        while True:
            deficit = self.target - TARGET_SLACK - self.achieved(levels)
            if (deficit <= 0).all():
                return levels if cost < best_cost else best
            short = np.maximum(deficit, 0.0)[:, None, None]
            here = self.base + levels
            raised = levels + units  # steps × pairs
            fits = raised <= self.top
            fits[:, frozen] = False
            there = self.base + np.minimum(raised, self.top)
            fits &= holding + self.hold[there] - self.hold[here] <= budget * (1 + 1e-12)
            gain = self.share[:, None, :] * (self.fill[there] - self.fill[here])
            value = np.where(fits, np.minimum(gain, short).sum(axis=0), -1.0)
            delta = np.where(fits, self.cost[there] - self.cost[here], math.inf)
            closes = fits & (gain >= short).all(axis=0)
            if closes.any():
                m, j = np.unravel_index(np.argmin(np.where(closes, delta, math.inf)), delta.shape)
                if cost + delta[m, j] < best_cost:
                    best_cost = cost + float(delta[m, j])
                    best = levels.copy()
                    best[j] += m + 1
            ratio = np.where(value > 0, value / np.maximum(delta, 1e-12), -1.0)
            m, j = np.unravel_index(np.argmax(ratio), ratio.shape)
            if ratio[m, j] <= 0 or cost >= best_cost:
                return best
            if cost + delta[m, j] > ceiling and best is None:
                return None
            cost += float(delta[m, j])
            holding += float(self.hold[there[m, j]] - self.hold[here[j]])
            levels[j] += m + 1
