"""What the pipeline needs to keep the contract: the MILP's contract rows, the stock layer's
per-call fill targets, and the diagnosis of tiers whose target no plan can meet.

``prepare_contract`` splits each tier's attainment target into allowances
(``staffing.allowances``), caps each tier's reach allowance at the best reach any network has
(sites no candidate depot reaches within the promise can never count), and raises each tier's
parts-on-hand target to the per-unit fill that guarantees the parts allowance per call.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aftersales.optimizer.network import NetworkData
from aftersales.optimizer.network.contract import Contract
from aftersales.optimizer.rates import SiteRates, site_rates
from aftersales.optimizer.schema import Scenario, TierKpi
from aftersales.optimizer.staffing import (
    StaffingData,
    TierAllowance,
    compile_staffing,
    technician_allowance,
    tier_allowances,
    unit_fill_target,
)


@dataclass(frozen=True)
class ContractSetup:
    """Allowances, reach limits and the inputs of the contract-keeping solve."""

    binding: bool
    free_probability: float
    allowances: dict[str, TierAllowance]
    best_reach: dict[str, float]
    """Tier → call-weighted share of its calls whose site some candidate depot reaches."""
    unreachable: dict[str, list[str]]
    staffing: StaffingData | None
    contract: Contract
    stock_scenario: Scenario
    """The scenario with each tier's parts_on_hand_target raised to its per-call guarantee."""

    def reach_short(self, tier: str) -> bool:
        """The tier's reach allowance exceeds what any network reaches."""
        return self.allowances[tier].reach > self.best_reach[tier] + 1e-12


def prepare_contract(scenario: Scenario, data: NetworkData) -> ContractSetup:
    """Allowances, contract rows and the stock scenario for a solve (binding or priced)."""
    binding = scenario.policy.attainment == "binding"
    free = technician_allowance(scenario) if binding else 0.0
    allowances = tier_allowances(scenario, max(free, 1e-9))
    rates = site_rates(scenario)
    calls = rates.failures_per_year
    reachable = data.within_promise.any(axis=1)
    tier_ids = [t.id for t in scenario.tiers]
    totals = np.bincount(data.site_tier, weights=calls, minlength=len(tier_ids))
    reached = np.bincount(data.site_tier, weights=calls * reachable, minlength=len(tier_ids))
    best_reach = {
        t: float(reached[k] / totals[k]) if totals[k] > 0 else 1.0 for k, t in enumerate(tier_ids)
    }
    unreachable = {t: [] for t in tier_ids}
    for i in np.flatnonzero(~reachable):
        unreachable[tier_ids[data.site_tier[i]]].append(data.site_ids[i])
    required = np.array(
        [min(allowances[t].reach, best_reach[t]) if binding else 0.0 for t in tier_ids]
    )
    contract = Contract(
        minutes=data.minutes,
        within=data.within_promise,
        calls=calls,
        site_tier=data.site_tier,
        reach_required=required,
        staffing=compile_staffing(scenario, free),
    )
    return ContractSetup(
        binding=binding,
        free_probability=free,
        allowances=allowances,
        best_reach=best_reach,
        unreachable=unreachable,
        staffing=contract.staffing,
        contract=contract,
        stock_scenario=_stock_scenario(scenario, allowances, rates) if binding else scenario,
    )


def _stock_scenario(
    scenario: Scenario, allowances: dict[str, TierAllowance], rates: SiteRates
) -> Scenario:
    """The scenario with parts targets raised so that each tier's calls meet its allowance."""
    units = np.asarray(rates.part_demand_per_year.sum(axis=1)).ravel()
    calls = rates.failures_per_year
    ratio: dict[str, float] = {}
    for i, site in enumerate(scenario.sites):
        if units[i] > 0:
            ratio[site.tier] = min(ratio.get(site.tier, np.inf), calls[i] / units[i])
    tiers = []
    for tier in scenario.tiers:
        needed = unit_fill_target(allowances[tier.id], ratio.get(tier.id, 1.0))
        target = max(tier.fill_target, needed)
        tiers.append(tier.model_copy(update={"parts_on_hand_target": min(1.0, target)}))
    return scenario.model_copy(update={"tiers": tiers})


PRICED_MISS = "priced: breach cheaper than keeping the target"
"""How a priced plan's miss of a reachable target begins its reason: the model chose it."""


def diagnosed(setup: ContractSetup, kpis: list[TierKpi]) -> list[TierKpi]:
    """Tier KPIs with the solver's diagnosis of every missed target.

    A tier no plan can meet (sites no candidate depot reaches) says so in either policy; any
    other miss of a priced plan is the model's choice (``PRICED_MISS``), of a binding plan a
    shortfall of the solve, with the attainment's three factors either way.
    """
    out = []
    for kpi in kpis:
        if kpi.target_met is not False:
            out.append(kpi)
            continue
        best = setup.best_reach[kpi.tier]
        if setup.reach_short(kpi.tier):
            listed = ", ".join(setup.unreachable[kpi.tier][:10])
            reason = (
                f"{len(setup.unreachable[kpi.tier])} site(s) no candidate depot reaches within "
                f"the promise ({listed}): at most {best:.1%} of the tier's calls can be reached "
                f"in time, so no plan meets {kpi.attainment_target:.1%}"
            )
        else:
            reason = (
                f"forecast {kpi.forecast_attainment or 0:.1%} < target "
                f"{kpi.attainment_target:.1%}: reach {kpi.reach_share or 0:.1%}, parts "
                f"{kpi.parts_share or 0:.1%}, technician free {kpi.technician_share or 0:.1%}"
            )
            if not setup.binding:
                reason = f"{PRICED_MISS}; {reason}"
        out.append(
            kpi.model_copy(update={"best_reachable_attainment": best, "miss_reason": reason})
        )
    return out
