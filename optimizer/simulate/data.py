"""Compile a Scenario and a Plan into the frozen, index-based data one replication needs.

Everything here is plain tuples and numpy arrays so that the data pickles cheaply to the worker
processes. Rules (see ``optimizer/simulate/__init__.py`` for the full list):

* Serving depot of a site: its assignment in the plan, else today's ``site.depot``.
* Pools: a site draws from the ``pooled`` pool of its serving depot, a customer-exclusive site
  from its own pool (pool id = site id) at that depot. With ``plan.stock`` empty the stock layer
  did not run: parts are always on hand. Otherwise a (pool, part) without an entry has level 0.
* Technicians work from their home depot; one whose home depot the plan closes works from the
  nearest open depot (as routes do). Candidates of a call: the qualified technicians working
  from the serving depot; if there are none, every qualified technician of an open depot,
  nearest first.
* Weekly shift pattern: shift ``day`` d falls on weekday ``d mod 7`` (day 0 = Monday); a
  technician without shifts works Monday-Friday 08:00-17:00.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from aftersales.optimizer.arrays import FloatArray, IntArray
from aftersales.optimizer.inventory.data import POOLED
from aftersales.optimizer.schema import Plan, Scenario, Shift
from aftersales.optimizer.travel import Travel

MINUTES_PER_WEEK = 7 * 1440
MINUTES_PER_YEAR = 365 * 1440
DEFAULT_WEEK: tuple[tuple[float, float], ...] = tuple(
    (d * 1440 + 480.0, d * 1440 + 1020.0) for d in range(5)
)
"""Monday-Friday 08:00-17:00 as minutes of the week."""


@dataclass(frozen=True)
class Stream:
    """Failures of one product at one site: a Poisson process."""

    site: int
    product: int
    rate_per_year: float


@dataclass(frozen=True)
class SimulationData:
    """What one replication needs, by index."""

    tier_ids: tuple[str, ...]
    response_minutes: FloatArray
    credit_per_breach: FloatArray
    credit_cap_per_year: FloatArray
    site_ids: tuple[str, ...]
    site_tier: IntArray
    site_pool: IntArray
    """Pool index of each site (its depot's pooled pool or its exclusive pool)."""
    site_depot: IntArray
    """Serving depot index per site (-1: none)."""
    site_within: npt.NDArray[np.bool_]
    """Dispatch + travel from the serving depot within the tier's promise (the analytic rule)."""
    streams: tuple[Stream, ...]
    product_parts: tuple[tuple[tuple[int, float], ...], ...]
    """Per product: (part index, usage probability)."""
    product_repair_minutes: FloatArray
    part_ids: tuple[str, ...]
    part_lead_minutes: FloatArray
    part_emergency_cost: FloatArray
    pool_names: tuple[tuple[str, str], ...]
    """(depot id, pool id) of each pool."""
    levels: dict[tuple[int, int], int]
    """(pool, part) → base-stock level; missing = 0."""
    stock_decided: bool
    depot_ids: tuple[str, ...]
    tech_ids: tuple[str, ...]
    tech_depot: IntArray
    """Depot each technician works from."""
    tech_week: tuple[tuple[tuple[float, float], ...], ...]
    """Per technician: shift intervals as minutes of the week (may pass the week's end)."""
    tech_hourly_cost: FloatArray
    candidates: dict[tuple[int, int], tuple[int, ...]]
    """(site, product) → candidate technicians, nearest first."""
    depot_site_minutes: FloatArray
    depot_site_km: FloatArray
    service_week: tuple[tuple[float, float], ...]
    """Union of the technicians' weekly shift intervals (the call window under 'shifts')."""
    dispatch_minutes: float
    emergency_delay_minutes: float
    travel_cost_per_km: float
    holding_per_year: float
    depot_fixed_per_year: float


def weekly_pattern(shifts: Sequence[Shift]) -> tuple[tuple[float, float], ...]:
    """Shift intervals of a technician folded onto one week (day d → weekday d mod 7)."""
    if not shifts:
        return DEFAULT_WEEK
    seen: set[tuple[float, float]] = set()
    for shift in shifts:
        offset = (shift.day % 7) * 1440
        seen.add((offset + shift.start_minute, offset + shift.end_minute))
    return tuple(sorted(seen))


def merge_intervals(intervals: list[tuple[float, float]]) -> tuple[tuple[float, float], ...]:
    """Union of intervals, sorted, within one week (parts past the week's end wrap around)."""
    pieces: list[tuple[float, float]] = []
    for start, end in intervals:
        if end <= MINUTES_PER_WEEK:
            pieces.append((start, end))
        else:
            pieces.append((start, MINUTES_PER_WEEK))
            pieces.append((0.0, end - MINUTES_PER_WEEK))
    pieces.sort()
    merged: list[list[float]] = []
    for start, end in pieces:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple((a, b) for a, b in merged)


def compile_simulation(scenario: Scenario, plan: Plan) -> SimulationData:
    """Index the scenario and the plan's decisions for the simulation."""
    travel = Travel(scenario)
    tiers = {t.id: i for i, t in enumerate(scenario.tiers)}
    products = {p.id: i for i, p in enumerate(scenario.products)}
    parts = {k.id: i for i, k in enumerate(scenario.parts)}
    depots = {d.id: i for i, d in enumerate(scenario.depots)}
    depot_ids = [d.id for d in scenario.depots]
    site_ids = [s.id for s in scenario.sites]
    assigned = {a.site: a.depot for a in plan.assignments}
    open_ids = {d.id for d in plan.depots if d.open} if plan.depots else set(depot_ids)

    minutes = travel.minutes(depot_ids, site_ids)
    km = travel.km(depot_ids, site_ids)
    depot_minutes = travel.minutes(depot_ids, depot_ids)

    site_depot = np.full(len(site_ids), -1, dtype=np.intp)
    for s, site in enumerate(scenario.sites):
        depot = assigned.get(site.id, site.depot if not plan.assignments else None)
        if depot is not None:
            site_depot[s] = depots[depot]
    pools: dict[tuple[str, str], int] = {}
    site_pool = np.full(len(site_ids), -1, dtype=np.intp)
    for s, site in enumerate(scenario.sites):
        if site_depot[s] < 0:
            continue
        key = (depot_ids[site_depot[s]], site.id if site.customer_exclusive else POOLED)
        site_pool[s] = pools.setdefault(key, len(pools))
    levels: dict[tuple[int, int], int] = {}
    for entry in plan.stock:
        pool = pools.get((entry.depot, entry.pool))
        if pool is None or entry.part not in parts:
            continue
        levels.setdefault((pool, parts[entry.part]), max(0, entry.level))

    tier_of_site = np.array([tiers[s.tier] for s in scenario.sites], dtype=np.intp)
    response = np.array([t.response_minutes for t in scenario.tiers], dtype=float)
    dispatch = scenario.costs.dispatch_minutes
    within = np.array(
        [
            site_depot[s] >= 0
            and dispatch + minutes[site_depot[s], s] <= response[tier_of_site[s]] + 1e-6
            for s in range(len(site_ids))
        ],
        dtype=bool,
    )

    open_index = [depots[d] for d in depot_ids if d in open_ids]
    tech_depot = np.empty(len(scenario.technicians), dtype=np.intp)
    for t, tech in enumerate(scenario.technicians):
        home = depots[tech.depot]
        if tech.depot not in open_ids and open_index:
            home = min(open_index, key=lambda j, h=home: depot_minutes[h, j])
        tech_depot[t] = home
    tech_week = tuple(weekly_pattern(tech.shifts) for tech in scenario.technicians)
    skills = [set(tech.skills) for tech in scenario.technicians]

    streams: list[Stream] = []
    candidates: dict[tuple[int, int], tuple[int, ...]] = {}
    for s, site in enumerate(scenario.sites):
        for product_id, units in site.installed_base.items():
            p = products[product_id]
            product = scenario.products[p]
            streams.append(Stream(s, p, units * product.failure_rate_per_unit_year))
            qualified = [t for t in range(len(skills)) if product.skill in skills[t]]
            local = [t for t in qualified if tech_depot[t] == site_depot[s]]
            if local:
                candidates[(s, p)] = tuple(local)
            else:
                pool = [t for t in qualified if tech_depot[t] in open_index] or qualified
                candidates[(s, p)] = tuple(sorted(pool, key=lambda t: minutes[tech_depot[t], s]))

    emergency = scenario.costs.emergency_shipment_cost
    return SimulationData(
        tier_ids=tuple(t.id for t in scenario.tiers),
        response_minutes=response,
        credit_per_breach=np.array([t.credit_per_breach for t in scenario.tiers], dtype=float),
        credit_cap_per_year=np.array([t.credit_cap_per_year for t in scenario.tiers], dtype=float),
        site_ids=tuple(site_ids),
        site_tier=tier_of_site,
        site_pool=site_pool,
        site_depot=site_depot,
        site_within=within,
        streams=tuple(streams),
        product_parts=tuple(
            tuple((parts[u.part], u.probability) for u in p.parts) for p in scenario.products
        ),
        product_repair_minutes=np.array([p.repair_minutes for p in scenario.products], float),
        part_ids=tuple(parts),
        part_lead_minutes=np.array([k.lead_time_days * 1440.0 for k in scenario.parts], float),
        part_emergency_cost=np.array(
            [emergency if k.emergency_cost is None else k.emergency_cost for k in scenario.parts],
            dtype=float,
        ),
        pool_names=tuple(pools),
        levels=levels,
        stock_decided=bool(plan.stock),
        depot_ids=tuple(depot_ids),
        tech_ids=tuple(t.id for t in scenario.technicians),
        tech_depot=tech_depot,
        tech_week=tech_week,
        tech_hourly_cost=np.array([t.hourly_cost for t in scenario.technicians], dtype=float),
        candidates=candidates,
        depot_site_minutes=np.asarray(minutes, dtype=float),
        depot_site_km=np.asarray(km, dtype=float),
        service_week=merge_intervals([iv for week in tech_week for iv in week])
        or merge_intervals(list(DEFAULT_WEEK)),
        dispatch_minutes=float(dispatch),
        emergency_delay_minutes=float(scenario.costs.emergency_delay_minutes),
        travel_cost_per_km=float(scenario.costs.travel_cost_per_km),
        holding_per_year=float(plan.costs.holding_per_year),
        depot_fixed_per_year=float(plan.costs.depot_fixed_per_year),
    )


def group_levels(data: SimulationData) -> dict[int, dict[int, int]]:
    """Pool → part → level, for initialising on-hand stock."""
    out: dict[int, dict[int, int]] = defaultdict(dict)
    for (pool, part), level in data.levels.items():
        out[pool][part] = level
    return out
