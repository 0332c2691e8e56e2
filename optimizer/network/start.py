"""Feasible starts of the contract model: a network repaired until it keeps the contract rows.

A start is an open mask and one depot per site. ``repair_start`` turns today's network (or a
heuristic's) into one the contract model accepts: a site whose depot is closed or not a candidate
pair (a hard tier out of reach) moves to its cheapest open depot with room; sites leave an
over-full depot, smallest first; each tier's unreached calls, most first, move to the cheapest
depot within the promise (opening it) until the tier's reach allowance holds. ``pool_headcount``
then sizes every pool to the smallest headcount meeting the hours rule and the queue rule, and
``staffing_decision`` covers the changes by moves between pools of a skill where a move costs
less than a hire plus a release, the rest by hires and releases.

``start_cost`` is the contract model's objective of such a start (``inf`` when a row it checks
fails): the facility cost plus the staffing block's cost, the same numbers HiGHS sees.
"""

from __future__ import annotations

import numpy as np

from aftersales.optimizer.arrays import BoolArray, FloatArray, IntArray
from aftersales.optimizer.network.contract import FLOWS, Contract
from aftersales.optimizer.network.facility import FacilityProblem
from aftersales.optimizer.staffing.data import StaffingData, StaffingDecision

ROOM_TOLERANCE = 1e-9
"""Relative slack on capacity checks (the MILP's own feasibility tolerance is larger)."""


def hour_price(contract: Contract) -> float:
    """Marginal staffing cost of one more hour of work a year: a hire's yearly cost spread over
    the productive hours a technician may work (the hours rule), currency/hour; 0 without
    staffing."""
    staffing = contract.staffing
    if staffing is None:
        return 0.0
    return staffing.hire_cost_per_year / (staffing.max_utilisation * staffing.hours_per_technician)


def site_work_hours(contract: Contract) -> FloatArray:
    """Hours/year of all skills' work of site i served from depot j, shape (sites, depots)."""
    staffing = contract.staffing
    total = np.zeros_like(contract.minutes)
    if staffing is not None:
        for k in range(len(staffing.skills)):
            total += staffing.work_hours(contract.minutes, k)
    return total


def pool_totals(
    staffing: StaffingData, minutes: FloatArray, depot_of_site: IntArray, depots: int
) -> tuple[FloatArray, FloatArray]:
    """Work hours/year and offered load (Erlangs) per pool, shape (depots, skills) each."""
    sites = np.arange(len(depot_of_site))
    skills = len(staffing.skills)
    work = np.zeros((depots, skills))
    load = np.zeros((depots, skills))
    for k in range(skills):
        hours = staffing.work_hours(minutes, k)[sites, depot_of_site]
        work[:, k] = np.bincount(depot_of_site, weights=hours, minlength=depots)
        erlangs = hours / staffing.service_hours_per_year
        load[:, k] = np.bincount(depot_of_site, weights=erlangs, minlength=depots)
    return work, load


def pool_headcount(contract: Contract, depot_of_site: IntArray) -> IntArray:
    """Smallest headcount per pool meeting the hours rule and the queue rule, shape (depots,
    skills); a pool beyond its limit gets ``limit + 1`` (the start is then infeasible)."""
    staffing = contract.staffing
    assert staffing is not None
    assert contract.load_table is not None
    depots = staffing.existing.shape[0]
    work, load = pool_totals(staffing, contract.minutes, depot_of_site, depots)
    capacity = staffing.max_utilisation * staffing.hours_per_technician
    by_hours = np.ceil(work / capacity - ROOM_TOLERANCE).astype(np.intp)
    by_queue = np.searchsorted(contract.load_table, load - 1e-12).astype(np.intp)
    needed = np.maximum(np.maximum(by_hours, by_queue), 0)
    limit = contract.headcount_limit
    return needed if limit is None else np.minimum(needed, limit + 1)


def staffing_decision(staffing: StaffingData, headcount: IntArray) -> StaffingDecision:
    """Flows that reach ``headcount`` from today's pools at the least cost, greedily per skill:
    a surplus technician (cheapest labour first) moves to a short pool when the relocation costs
    less than the hire it saves plus the release it avoids, else short pools hire and surplus
    pools release."""
    existing = staffing.existing
    shortfall = np.maximum(0, headcount - existing)
    surplus = np.maximum(0, existing - headcount)
    moved_in = np.zeros_like(existing)
    moved_out = np.zeros_like(existing)
    hire = staffing.hire_cost_per_year + staffing.hiring_cost
    for k in range(existing.shape[1]):
        gains = hire + staffing.release_cost - staffing.labour_per_year[:, k]
        takers = list(np.flatnonzero(shortfall[:, k]))
        for j in np.argsort(staffing.labour_per_year[:, k], kind="stable"):
            worth_moving = gains[j] > staffing.relocation_cost
            while worth_moving and takers and surplus[j, k] > moved_out[j, k]:
                target = takers[0]
                moved_out[j, k] += 1
                moved_in[target, k] += 1
                if moved_in[target, k] == shortfall[target, k]:
                    takers.pop(0)
    return StaffingDecision(
        headcount=headcount,
        hired=shortfall - moved_in,
        released=surplus - moved_out,
        moved_in=moved_in,
        moved_out=moved_out,
    )


def staffing_cost(staffing: StaffingData, decision: StaffingDecision) -> float:
    """The staffing block's objective (``contract_block``'s cost and offset) of a decision."""
    labour = staffing.labour_per_year
    return float(
        decision.hired.sum() * (staffing.hire_cost_per_year + staffing.hiring_cost)
        + ((staffing.release_cost - labour) * decision.released).sum()
        + decision.moved_in.sum() * staffing.relocation_cost
        + (labour * staffing.existing).sum()
    )


def staffing_values(contract: Contract, decision: StaffingDecision) -> FloatArray:
    """The staffing block's column values of a decision (headcount one-hot, then the flows)."""
    assert contract.headcount_limit is not None
    chosen = [
        np.eye(limit + 1)[c]
        for c, limit in zip(
            decision.headcount.ravel(), contract.headcount_limit.ravel(), strict=True
        )
    ]
    flows = [decision.hired, decision.released, decision.moved_in, decision.moved_out]
    assert len(flows) == FLOWS
    return np.concatenate([*chosen, *(f.ravel() for f in flows)]).astype(float)


def depot_of_pairs(problem: FacilityProblem, fraction: FloatArray) -> IntArray:
    """One depot per site from single-sourced pair fractions (the pair at 1)."""
    depot = np.zeros(problem.sites, dtype=np.intp)
    chosen = fraction > 0.5
    depot[problem.pair_site[chosen]] = problem.pair_depot[chosen]
    return depot


def pair_fractions(problem: FacilityProblem, depot_of_site: IntArray) -> FloatArray | None:
    """Pair fractions of one depot per site; None if a chosen pair is not in the model."""
    keys = problem.pair_site * problem.depots + problem.pair_depot
    wanted = np.arange(problem.sites) * problem.depots + depot_of_site
    position = np.searchsorted(keys, wanted)
    inside = position < len(keys)
    if not inside.all() or np.any(keys[position] != wanted):
        return None
    fraction = np.zeros(len(keys))
    fraction[position] = 1.0
    return fraction


def reach_short(contract: Contract, depot_of_site: IntArray) -> FloatArray:
    """Calls/year each tier lacks to reach its allowance (≤ 0 where it holds), shape (tiers,)."""
    required = contract.reach_required
    sites = np.arange(len(depot_of_site))
    reached = contract.within[sites, depot_of_site]
    totals = np.bincount(contract.site_tier, weights=contract.calls, minlength=len(required))
    have = np.bincount(
        contract.site_tier, weights=contract.calls * reached, minlength=len(required)
    )
    return np.where(required > 0, required * totals * (1.0 - 1e-9) - have, -np.inf)


def start_cost(problem: FacilityProblem, is_open: BoolArray, depot_of_site: IntArray) -> float:
    """The contract model's objective of a start, ``inf`` unless it keeps capacity, the depot
    count, the model's pairs, the tier reach rows and every pool's headcount limit."""
    fraction = pair_fractions(problem, depot_of_site)
    if fraction is None or not is_open[depot_of_site].all():
        return np.inf
    if not problem.min_open <= is_open.sum() <= problem.max_open:
        return np.inf
    load = np.bincount(depot_of_site, weights=problem.demand, minlength=problem.depots)
    if np.any(load > problem.capacity * (1 + ROOM_TOLERANCE)):
        return np.inf
    cost = problem.objective(is_open, fraction)
    contract = problem.contract
    if contract is None:
        return cost
    if np.any(reach_short(contract, depot_of_site) > 0):
        return np.inf
    if contract.staffing is None:
        return cost
    assert contract.headcount_limit is not None
    headcount = pool_headcount(contract, depot_of_site)
    if np.any(headcount > contract.headcount_limit):
        return np.inf
    return cost + staffing_cost(contract.staffing, staffing_decision(contract.staffing, headcount))


def contract_values(problem: FacilityProblem, depot_of_site: IntArray) -> FloatArray:
    """The contract block's column values of a start (empty without staffing)."""
    contract = problem.contract
    if contract is None or contract.staffing is None:
        return np.zeros(0)
    headcount = np.minimum(pool_headcount(contract, depot_of_site), contract.headcount_limit)
    return staffing_values(contract, staffing_decision(contract.staffing, headcount))


def assignment_score(problem: FacilityProblem) -> FloatArray:
    """What serving site i from depot j costs a year, staffing included: the pair cost plus the
    work hours priced at ``hour_price``; ``inf`` where the model has no pair, (sites, depots)."""
    score = problem.dense_cost()
    if problem.contract is not None:
        score = score + hour_price(problem.contract) * site_work_hours(problem.contract)
    return score


def repair_start(
    problem: FacilityProblem, is_open: BoolArray, depot_of_site: IntArray
) -> tuple[BoolArray, IntArray]:
    """A network made to keep the model's pairs, capacity and tier reach rows (see the module
    docstring); the caller checks the result with ``start_cost``."""
    is_open, depot = is_open.copy(), depot_of_site.copy()
    score = assignment_score(problem)
    sites = np.arange(problem.sites)
    room = np.where(is_open, problem.capacity, 0.0)
    room -= np.bincount(depot, weights=problem.demand, minlength=problem.depots)
    misplaced = ~np.isfinite(score[sites, depot]) | ~is_open[depot]
    over = room < -ROOM_TOLERANCE * np.maximum(problem.capacity, 1.0)
    for j in np.flatnonzero(over & is_open):
        for i in sorted(np.flatnonzero(depot == j), key=lambda i: problem.demand[i]):
            if room[j] >= 0:
                break
            misplaced[i] = True
            room[j] += problem.demand[i]
    for i in np.flatnonzero(misplaced)[np.argsort(-problem.demand[misplaced], kind="stable")]:
        if not misplaced[i]:
            continue
        fits = is_open & (room >= problem.demand[i]) & np.isfinite(score[i])
        if not fits.any():
            fits = np.isfinite(score[i]) & (room + problem.capacity * ~is_open >= problem.demand[i])
        if not fits.any():
            continue
        j = int(np.argmin(np.where(fits, score[i], np.inf)))
        if not is_open[j]:
            is_open[j], room[j] = True, problem.capacity[j]
        depot[i] = j
        room[j] -= problem.demand[i]
    if problem.contract is not None:
        is_open, depot = _repair_reach(problem, problem.contract, is_open, depot, room, score)
    return is_open, depot


def _repair_reach(
    problem: FacilityProblem,
    contract: Contract,
    is_open: BoolArray,
    depot: IntArray,
    room: FloatArray,
    score: FloatArray,
) -> tuple[BoolArray, IntArray]:
    """Unreached sites of short tiers, most calls first, move to their cheapest depot within the
    promise that has room (an open one if any, else the cheapest closed one, opened)."""
    short = reach_short(contract, depot)
    sites = np.arange(problem.sites)
    reached = contract.within[sites, depot]
    for i in np.argsort(-contract.calls, kind="stable"):
        t = contract.site_tier[i]
        if reached[i] or short[t] <= 0:
            continue
        options = contract.within[i] & np.isfinite(score[i])
        options &= np.where(is_open, room, problem.capacity) >= problem.demand[i]
        if not options.any():
            continue
        open_options = options & is_open
        pool = open_options if open_options.any() else options
        j = int(np.argmin(np.where(pool, score[i], np.inf)))
        if not is_open[j]:
            is_open[j], room[j] = True, problem.capacity[j]
        room[depot[i]] += problem.demand[i]
        room[j] -= problem.demand[i]
        depot[i] = j
        short[t] -= contract.calls[i]
        reached[i] = True
    return is_open, depot
