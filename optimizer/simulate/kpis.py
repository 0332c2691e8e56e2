"""Write simulated attainment into a Plan's KPI section, next to the analytic forecast."""

from __future__ import annotations

from aftersales.optimizer.schema import Plan
from aftersales.optimizer.simulate.results import SimulationResult


def with_simulation(plan: Plan, result: SimulationResult) -> Plan:
    """A copy of ``plan`` whose TierKpi carry the simulated attainment, CI and p90 response."""
    kpis = []
    for kpi in plan.kpis:
        tiers = [t for t in result.tiers if t.tier == kpi.tier]
        if not tiers:
            kpis.append(kpi)
            continue
        tier = tiers[0]
        kpis.append(
            kpi.model_copy(
                update={
                    "simulated_attainment": float(tier.attainment),
                    "simulated_ci_low": float(tier.ci_low),
                    "simulated_ci_high": float(tier.ci_high),
                    "simulated_p90_response_minutes": float(tier.p90_response_minutes),
                }
            )
        )
    return plan.model_copy(update={"kpis": kpis})
