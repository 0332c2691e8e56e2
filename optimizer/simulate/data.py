"""Compile a Scenario and a Plan into the frozen, index-based data one replication needs.

Everything here is plain tuples and numpy arrays so that the data pickles cheaply to the worker
processes. Rules (see ``optimizer/simulate/__init__.py`` for the full list):

* Serving depot of a site: its assignment in the plan, else today's ``site.depot``.
* Pools: a site draws from the ``pooled`` pool of its serving depot, a customer-exclusive site
  from its own pool (pool id = site id) at that depot. With ``plan.stock`` empty the stock layer
  did not run: parts are always on hand. Otherwise a (pool, part) without an entry has level 0.
* Technicians: the plan's ``technician_bases`` when given, else today's staff (a technician
  whose home depot the plan closes works from the nearest open depot, as routes do); when they
  take calls is their roster (``crew``). Candidates of a call: the qualified technicians working
  from the serving depot; if there are none, every qualified technician of an open depot,
  nearest first.
* Weekly shift pattern: shift ``day`` d falls on weekday ``(horizon_start_day + d) mod 7``
  (0 = Monday; the simulated clock starts on a Monday); a
  technician without shifts works Monday-Friday 08:00-17:00. Preventive visits arrive in the
  union of the crew's own shifts.
* Service hours of a tier: ``"24/7"`` (window ``None``: calls around the clock, the response
  clock always runs) or its calendar folded onto one week.
* Preventive visits: one Poisson stream per (site, product) with rate units ×
  ``preventive_visits_per_unit_year``; a visit lasts the product's ``repair_minutes`` (the
  schema has no separate preventive duration) and is served by the same candidates as a repair.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from aftersales.optimizer.arrays import FloatArray, IntArray
from aftersales.optimizer.inventory.data import POOLED
from aftersales.optimizer.schema import Plan, Scenario, Tier
from aftersales.optimizer.simulate.crew import (
    DEFAULT_WEEK,
    Roster,
    crew_arrays,
    merge_intervals,
    plan_crew,
    rostered_weeks,
)
from aftersales.optimizer.travel import Travel

MINUTES_PER_YEAR = 365 * 1440


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
    preventive_streams: tuple[Stream, ...]
    """Planned maintenance visits per (site, product): technician workload, not SLA calls."""
    tier_window: tuple[tuple[tuple[float, float], ...] | None, ...]
    """Per tier: service hours as minutes of the week; None = 24/7."""
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
    pool_part_rate: dict[tuple[int, int], float]
    """(pool, part) → Poisson demand, units/year (warm start of the outstanding orders)."""
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


def tier_window(tier: Tier) -> tuple[tuple[float, float], ...] | None:
    """A tier's service hours as minutes of the week, or None for ``"24/7"``."""
    hours = tier.service_hours
    if isinstance(hours, str):
        return None
    return merge_intervals(
        [(d * 1440.0 + hours.start_minute, d * 1440.0 + hours.end_minute) for d in hours.weekdays]
    )


def pool_part_rates(
    streams: Sequence[Stream],
    site_pool: IntArray,
    product_parts: Sequence[Sequence[tuple[int, float]]],
) -> dict[tuple[int, int], float]:
    """(pool, part) → part demand of the pool's failure streams, units/year."""
    demand: dict[tuple[int, int], float] = defaultdict(float)
    for stream in streams:
        pool = int(site_pool[stream.site])
        for part, probability in product_parts[stream.product]:
            demand[(pool, part)] += stream.rate_per_year * probability
    return dict(demand)


def compile_simulation(
    scenario: Scenario, plan: Plan, roster: Roster = "service_hours"
) -> SimulationData:
    """Index the scenario and the plan's decisions for the simulation (``roster``: see
    ``optimizer/simulate/crew.py``)."""
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
    nearest_open = {
        depots[d]: min(open_index, key=lambda j, h=depots[d]: depot_minutes[h, j])
        for d in depot_ids
        if d not in open_ids and open_index
    }
    crew = plan_crew(scenario, plan, depots, nearest_open)
    tech_depot, tech_hourly_cost = crew_arrays(crew)
    windows = tuple(tier_window(t) for t in scenario.tiers)
    depot_windows: dict[int, list[tuple[tuple[float, float], ...] | None]] = {}
    for s in range(len(site_ids)):
        if site_depot[s] >= 0:
            depot_windows.setdefault(int(site_depot[s]), []).append(windows[tier_of_site[s]])
    tech_week = rostered_weeks(crew, roster, depot_windows)
    skills = [member.skills for member in crew]

    streams: list[Stream] = []
    preventive: list[Stream] = []
    candidates: dict[tuple[int, int], tuple[int, ...]] = {}
    for s, site in enumerate(scenario.sites):
        for product_id, units in site.installed_base.items():
            p = products[product_id]
            product = scenario.products[p]
            streams.append(Stream(s, p, units * product.failure_rate_per_unit_year))
            if product.preventive_visits_per_unit_year > 0:
                preventive.append(Stream(s, p, units * product.preventive_visits_per_unit_year))
            qualified = [t for t in range(len(skills)) if product.skill in skills[t]]
            local = [t for t in qualified if tech_depot[t] == site_depot[s]]
            if local:
                candidates[(s, p)] = tuple(local)
            else:
                pool = [t for t in qualified if tech_depot[t] in open_index] or qualified
                candidates[(s, p)] = tuple(sorted(pool, key=lambda t: minutes[tech_depot[t], s]))

    emergency = scenario.costs.emergency_shipment_cost
    product_parts = tuple(
        tuple((parts[u.part], u.probability) for u in p.parts) for p in scenario.products
    )
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
        preventive_streams=tuple(preventive),
        tier_window=windows,
        product_parts=product_parts,
        product_repair_minutes=np.array([p.repair_minutes for p in scenario.products], float),
        part_ids=tuple(parts),
        part_lead_minutes=np.array([k.lead_time_days * 1440.0 for k in scenario.parts], float),
        part_emergency_cost=np.array(
            [emergency if k.emergency_cost is None else k.emergency_cost for k in scenario.parts],
            dtype=float,
        ),
        pool_names=tuple(pools),
        levels=levels,
        pool_part_rate=pool_part_rates(streams, site_pool, product_parts),
        stock_decided=bool(plan.stock),
        depot_ids=tuple(depot_ids),
        tech_ids=tuple(m.id for m in crew),
        tech_depot=tech_depot,
        tech_week=tech_week,
        tech_hourly_cost=tech_hourly_cost,
        candidates=candidates,
        depot_site_minutes=np.asarray(minutes, dtype=float),
        depot_site_km=np.asarray(km, dtype=float),
        service_week=merge_intervals([iv for m in crew for iv in m.shifts])
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
