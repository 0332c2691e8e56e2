"""What a routing solve returns, and the horizon cost of its routes."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from aftersales.optimizer.routing.data import Job, RoutingData
from aftersales.optimizer.schema import CostBreakdown, LayerResult, Plan, Route, Scenario, Unserved


@dataclass(frozen=True)
class RoutingResult:
    """Routes and unserved requests with their cost over the routing horizon."""

    report: LayerResult
    routes: list[Route]
    unserved: list[Unserved]
    costs: CostBreakdown

    def to_plan(self) -> Plan:
        """A plan holding only this layer's decisions (for checking them on their own)."""
        return Plan(
            status=self.report.status,
            routes=self.routes,
            unserved=self.unserved,
            costs=self.costs,
        )


def unserved_cost(scenario: Scenario, job: Job, credit_per_breach: float) -> float:
    """Cost of leaving ``job`` unserved (docs/semantics.md, "Unserved requests").

    Deferrable and beyond-horizon work costs the deferral penalty (it is carried over, not
    late). Other work costs the unserved penalty plus its tier's credit per breach, since an
    unserved call certainly breaches its promise: gold work is therefore left last.
    """
    costs = scenario.costs
    if job.deferrable or job.beyond_horizon:
        return costs.deferral_penalty
    return costs.unserved_penalty + credit_per_breach


def routing_costs(
    scenario: Scenario, data: RoutingData, routes: list[Route], unserved: list[Unserved]
) -> CostBreakdown:
    """Travel, labour, overtime, capped lateness credits and unserved penalties of a plan."""
    vehicles = {(v.technician, v.day): v for v in data.vehicles}
    jobs = {j.id: j for j in data.jobs}
    costs = scenario.costs
    labour = overtime = 0.0
    late_by_site: Counter[str] = Counter()
    for route in routes:
        v = vehicles[route.technician, route.day]
        labour += (min(route.end, v.shift_end) - route.start) / 60 * v.hourly_cost
        overtime += max(0.0, route.end - v.shift_end) / 60 * v.overtime_cost_per_hour
        for stop in route.visits:
            job = jobs[stop.request or ""]
            if stop.arrival > job.due:
                late_by_site[job.site] += 1
    tiers = {t.id: t for t in scenario.tiers}
    tier_of_site = {s.id: tiers[s.tier] for s in scenario.sites}
    credits = sum(
        min(count * tier_of_site[site].credit_per_breach, tier_of_site[site].credit_cap_per_year)
        for site, count in late_by_site.items()
    )
    penalty = sum(
        unserved_cost(
            scenario, jobs[u.request], tier_of_site[jobs[u.request].site].credit_per_breach
        )
        for u in unserved
    )
    return CostBreakdown(
        route_travel=sum(r.travel_km for r in routes) * costs.travel_cost_per_km,
        route_labour=labour,
        route_overtime=overtime,
        route_lateness_credits=credits,
        unserved_penalty=penalty,
    )
