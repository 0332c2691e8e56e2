"""Lookups and per-site rates derived once from the Scenario, shared by every checker."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from aftersales.optimizer.schema import (
    Depot,
    Part,
    Product,
    Request,
    Scenario,
    Shift,
    Site,
    Technician,
    TechnicianBase,
    Tier,
)
from aftersales.optimizer.schema.common import MINUTES_PER_DAY
from aftersales.optimizer.schema.crew import planned_technicians, released_technicians
from aftersales.optimizer.travel import Travel
from aftersales.optimizer.validate.graph_paths import ScipyGraphPaths
from aftersales.optimizer.validate.report import TIME_TOLERANCE_MINUTES


@dataclass(frozen=True)
class SiteRates:
    """Yearly rates of one site, from its installed base (docs/semantics.md, "Rates")."""

    failures_per_year: float
    visits_per_year: float
    part_demand_per_year: dict[str, float]
    """Units per year per part id; only parts with positive demand."""


def site_rates(site: Site, products: dict[str, Product]) -> SiteRates:
    """Failures, visits (failures + preventive) and part demand of a site, per year."""
    failures = visits = 0.0
    demand: dict[str, float] = defaultdict(float)
    for product_id, units in site.installed_base.items():
        product = products[product_id]
        site_failures = units * product.failure_rate_per_unit_year
        failures += site_failures
        visits += units * (
            product.failure_rate_per_unit_year + product.preventive_visits_per_unit_year
        )
        for usage in product.parts:
            demand[usage.part] += site_failures * usage.probability
    return SiteRates(failures, visits, dict(demand))


@dataclass
class Context:
    """The scenario indexed by id, its travel model and per-site rates."""

    scenario: Scenario
    travel: Travel
    tiers: dict[str, Tier]
    products: dict[str, Product]
    parts: dict[str, Part]
    sites: dict[str, Site]
    depots: dict[str, Depot]
    technicians: dict[str, Technician]
    """The scenario's technicians (today's staff)."""
    crew: dict[str, Technician]
    """Who may have routes under the plan: today's staff without plan bases, else the plan's
    kept, moved (at their plan depot) and hired technicians (``schema.crew``)."""
    released: frozenset[str]
    """Technicians the plan releases."""
    requests: dict[str, Request]
    shifts: dict[tuple[str, int], Shift]
    """(crew technician id, day) → that day's shift."""
    rates: dict[str, SiteRates]

    @classmethod
    def build(cls, scenario: Scenario, bases: Sequence[TechnicianBase] = ()) -> Context:
        """Index a scenario and the crew of a plan's ``bases``; cost is linear in their size."""
        products = {p.id: p for p in scenario.products}
        crew = planned_technicians(scenario, bases)
        return cls(
            scenario=scenario,
            travel=Travel(scenario, engine=ScipyGraphPaths),
            tiers={t.id: t for t in scenario.tiers},
            products=products,
            parts={p.id: p for p in scenario.parts},
            sites={s.id: s for s in scenario.sites},
            depots={d.id: d for d in scenario.depots},
            technicians={t.id: t for t in scenario.technicians},
            crew={t.id: t for t in crew},
            released=released_technicians(bases),
            requests={r.id: r for r in scenario.requests},
            shifts={(t.id, s.day): s for t in crew for s in t.shifts},
            rates={s.id: site_rates(s, products) for s in scenario.sites},
        )

    def tier_of(self, site_id: str) -> Tier:
        """The tier of a (known) site."""
        return self.tiers[self.sites[site_id].tier]

    def due_minute(self, request: Request) -> float:
        """SLA due time, absolute minutes: due_minute, else opened + the tier's response."""
        if request.due_minute is not None:
            return request.due_minute
        return request.opened_minute + self.tier_of(request.site).response_minutes

    def effective_skills(self, request: Request) -> list[str]:
        """required_skills if given, else the product's skill."""
        return request.required_skills or [self.products[request.product].skill]

    def within_promise(self, site_id: str, travel_minutes: float) -> bool:
        """Dispatch + depot→site travel within the tier's response minutes (± time tolerance)."""
        response = self.tier_of(site_id).response_minutes
        reach = self.scenario.costs.dispatch_minutes + travel_minutes
        return reach <= response + TIME_TOLERANCE_MINUTES


def day_start(day: int) -> float:
    """Absolute minute at which day ``day`` begins."""
    return float(day * MINUTES_PER_DAY)
