"""Compiled staffing data: workload per site and skill, today's pools, costs and allowances.

Work of site i for skill k when served from depot j, hours/year:
``repair_hours[i, k] + jobs[i, k] × 2 × minutes[i, j] / 60`` — each job (corrective call or
preventive visit of a product needing skill k) takes its repair time plus the round trip. Its
offered load (Erlangs) divides by the site's tier service hours per year (docs/semantics.md).
Both are computed on demand from per-site vectors, so no (sites × depots × skills) array is kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aftersales.optimizer.arrays import FloatArray, IntArray
from aftersales.optimizer.schema import Scenario, Technician
from aftersales.optimizer.staffing.queueing import max_load

MINUTES_PER_HOUR = 60.0
MAX_HEADCOUNT_PER_POOL = 60
"""Largest headcount the network model offers one (depot, skill) pool."""


def pool_skill(technician: Technician) -> str | None:
    """The one pool a technician counts in today: its first skill (None without skills)."""
    return technician.skills[0] if technician.skills else None


@dataclass(frozen=True)
class StaffingData:
    """Staffing inputs by index: sites i, depots j, skills k (pool = (j, k))."""

    skills: tuple[str, ...]
    depot_ids: tuple[str, ...]
    calls: FloatArray
    """Corrective calls per year, shape (sites, skills)."""
    jobs: FloatArray
    """Corrective calls + preventive visits per year, shape (sites, skills)."""
    repair_hours: FloatArray
    """On-site hours per year of those jobs, shape (sites, skills)."""
    service_hours_per_year: FloatArray
    """Service hours per year of each site's tier, shape (sites,)."""
    existing: IntArray
    """Today's technicians per pool, shape (depots, skills)."""
    labour_per_year: FloatArray
    """Mean yearly labour of today's technicians per pool (0 if none), shape (depots, skills)."""
    hours_per_technician: float
    max_utilisation: float
    hire_cost_per_year: float
    hiring_cost: float
    relocation_cost: float
    release_cost: float
    free_probability: float
    """τ: each pool keeps 1 − C(c, a) ≥ τ (the technician allowance)."""

    def work_hours(self, minutes: FloatArray, k: int) -> FloatArray:
        """Hours/year of skill ``k`` work of site i served from depot j, shape like minutes."""
        with np.errstate(invalid="ignore"):  # 0 jobs × no road path (inf): never a candidate
            travel = self.jobs[:, k, None] * 2.0 * minutes / MINUTES_PER_HOUR
        return self.repair_hours[:, k, None] + travel

    def load_erlangs(self, minutes: FloatArray, k: int) -> FloatArray:
        """Offered load of skill ``k`` work of site i from depot j during its service hours."""
        return self.work_hours(minutes, k) / self.service_hours_per_year[:, None]

    def load_table(self, count: int) -> FloatArray:
        """Most load (Erlangs) headcounts 0..count carry at the free probability τ."""
        return np.array([max_load(c, self.free_probability) for c in range(count + 1)])

    def headcount_needed(self, work_hours: float, load: float, table: FloatArray) -> int:
        """Smallest headcount meeting the hours rule and the queue rule (len(table) if none)."""
        capacity = self.max_utilisation * self.hours_per_technician
        for c, most in enumerate(table):
            if work_hours <= capacity * c + 1e-9 and load <= most + 1e-12:
                return c
        return len(table)


@dataclass(frozen=True)
class StaffingDecision:
    """Headcount and flows per pool, shape (depots, skills) each."""

    headcount: IntArray
    hired: IntArray
    released: IntArray
    moved_in: IntArray
    moved_out: IntArray


def decision_cost(data: StaffingData, decision: StaffingDecision) -> float:
    """First-year staffing cost of a decision as the MILP prices it (pool mean labour)."""
    kept = data.existing - decision.released
    return float(
        (data.labour_per_year * kept).sum()
        + decision.hired.sum() * (data.hire_cost_per_year + data.hiring_cost)
        + decision.released.sum() * data.release_cost
        + decision.moved_in.sum() * data.relocation_cost
    )


def compile_staffing(scenario: Scenario, free_probability: float) -> StaffingData | None:
    """Staffing data of a scenario; None when it lists no technicians (staffing not modelled)."""
    if not scenario.technicians:
        return None
    product_skills = [p.skill for p in scenario.products]
    tech_skills = [s for t in scenario.technicians for s in t.skills]
    skills = tuple(dict.fromkeys([*product_skills, *scenario.skills, *tech_skills]))
    skill_index = {s: k for k, s in enumerate(skills)}
    depot_index = {d.id: j for j, d in enumerate(scenario.depots)}
    products = {p.id: p for p in scenario.products}
    tiers = {t.id: t for t in scenario.tiers}
    sites = len(scenario.sites)
    calls = np.zeros((sites, len(skills)))
    jobs = np.zeros((sites, len(skills)))
    repair = np.zeros((sites, len(skills)))
    for i, site in enumerate(scenario.sites):
        for product_id, units in site.installed_base.items():
            product = products[product_id]
            k = skill_index[product.skill]
            failures = units * product.failure_rate_per_unit_year
            visits = failures + units * product.preventive_visits_per_unit_year
            calls[i, k] += failures
            jobs[i, k] += visits
            repair[i, k] += visits * product.repair_minutes / MINUTES_PER_HOUR
    costs = scenario.costs
    existing = np.zeros((len(scenario.depots), len(skills)), dtype=np.intp)
    labour = np.zeros(existing.shape)
    for technician in scenario.technicians:
        skill = pool_skill(technician)
        if skill is None:
            continue
        j, k = depot_index[technician.depot], skill_index[skill]
        existing[j, k] += 1
        labour[j, k] += technician.hourly_cost * costs.technician_hours_per_year
    return StaffingData(
        skills=skills,
        depot_ids=tuple(depot_index),
        calls=calls,
        jobs=jobs,
        repair_hours=repair,
        service_hours_per_year=np.array(
            [tiers[s.tier].service_hours_per_year for s in scenario.sites]
        ),
        existing=existing,
        labour_per_year=np.divide(labour, existing, out=np.zeros(labour.shape), where=existing > 0),
        hours_per_technician=costs.technician_hours_per_year,
        max_utilisation=costs.max_technician_utilisation,
        hire_cost_per_year=costs.technician_cost_per_year,
        hiring_cost=costs.hiring_cost_per_technician,
        relocation_cost=costs.relocation_cost_per_technician,
        release_cost=costs.release_cost_per_technician,
        free_probability=free_probability,
    )
