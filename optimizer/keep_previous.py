"""A warm re-solve is never worse than keeping the previous plan's network and stock.

After the network and stock layers re-solve against a previous plan, the previous plan's
network, staffing and stock are costed under *this* scenario and checked by the validator. If
they still keep every rule (capacity, hard promises, attainment and stock targets) and their
first-year cost is no more than the re-solved one's plus the stability cost of its changes,
they are kept instead. Either way the network layer's message says which was kept and both
figures. (The routing layer keeps its own promise: the previous routes are one of its
candidates.)
"""

from __future__ import annotations

from dataclasses import dataclass

from aftersales.optimizer.inventory import InventoryResult, compile_stock
from aftersales.optimizer.inventory.kept import change_cost, kept_stock, levels_of
from aftersales.optimizer.inventory.solver import settings_of
from aftersales.optimizer.inventory.tables import level_tables
from aftersales.optimizer.network import NetworkData, NetworkResult
from aftersales.optimizer.network.kept import kept_network, previous_network
from aftersales.optimizer.schema import (
    CostBreakdown,
    Plan,
    Scenario,
    StabilityCosts,
    StaffingLevel,
    TechnicianBase,
)
from aftersales.optimizer.schema.plan import sum_costs
from aftersales.optimizer.staffing.plan import staffing_costs
from aftersales.optimizer.validate import validate


@dataclass(frozen=True)
class Strategic:
    """Network, stock and staffing sections of one plan, as the pipeline assembles them."""

    network: NetworkResult
    inventory: InventoryResult | None
    staffing: list[StaffingLevel]
    bases: list[TechnicianBase]

    def costs(self) -> CostBreakdown:
        """Network, stock and staffing cost components."""
        stock = [self.inventory.costs] if self.inventory is not None else []
        staffing = CostBreakdown(**staffing_costs(self.bases))
        return sum_costs(self.network.costs, *stock, staffing)

    def first_year(self) -> float:
        """Network + stock + staffing first-year cost, currency."""
        return self.costs().annual_total


def kept_strategic(
    scenario: Scenario, stock_scenario: Scenario, data: NetworkData, previous: Plan, why: str
) -> Strategic:
    """The previous plan's network, staffing and stock, costed under this scenario."""
    network = kept_network(data, previous, why)
    depot_of = {a.site: a.depot for a in previous.assignments}
    stock_data = compile_stock(stock_scenario, {s.id: depot_of[s.id] for s in scenario.sites})
    return Strategic(
        network,
        kept_stock(stock_scenario, stock_data, previous.stock, why),
        previous.staffing,
        previous.technician_bases,
    )


def stability_cost(
    stock_scenario: Scenario,
    data: NetworkData,
    solved: Strategic,
    previous: Plan,
    prices: StabilityCosts,
) -> float:
    """What the re-solved sections' changes against ``previous`` cost at ``prices``."""
    prior = previous_network(data, previous)
    moves = 0 if prior is None else int((prior[1] != solved.network.depot_of_site).sum())
    cost = prices.site_move * moves
    if solved.inventory is not None and (prices.stock_change > 0 or prices.stock_unit > 0):
        assigned = solved.network.assignments(data)
        stock_data = compile_stock(stock_scenario, {a.site: a.depot for a in assigned})
        tables = level_tables(stock_data, settings_of(stock_scenario).max_level_per_part)
        levels = levels_of(stock_data, tables, solved.inventory.stock)
        cost += change_cost(levels, levels_of(stock_data, tables, previous.stock), prices)
    return cost


def better_of(
    scenario: Scenario,
    stock_scenario: Scenario,
    data: NetworkData,
    solved: Strategic,
    previous: Plan,
    prices: StabilityCosts,
) -> Strategic:
    """``solved``, or the previous plan's sections when they keep every rule here and cost no
    more than ``solved`` plus the stability cost of its changes; the network report says which."""
    changes = stability_cost(stock_scenario, data, solved, previous, prices)
    new_total = solved.first_year()
    try:
        kept = kept_strategic(
            scenario, stock_scenario, data, previous, "kept from the previous plan (cheaper)"
        )
    except (KeyError, ValueError) as error:
        return _noted(solved, f"previous plan's network not comparable here ({error})")
    draft = Plan(
        status="feasible",
        scenario=scenario.name,
        horizon_start_day=scenario.horizon_start_day,
        depots=kept.network.depot_decisions(data),
        assignments=previous.assignments,
        stock=kept.inventory.stock if kept.inventory is not None else [],
        staffing=kept.staffing,
        technician_bases=kept.bases,
        costs=kept.costs(),
        loaners=kept.inventory.loaners if kept.inventory is not None else [],
    )
    broken = sorted({v.kind for v in validate(scenario, draft).violations})
    kept_total = kept.first_year()
    figures = (
        f"previous plan's network + stock here {kept_total:,.0f} first-year, re-solved "
        f"{new_total:,.0f} + stability {changes:,.0f}"
    )
    if broken:
        return _noted(solved, f"kept the re-solve: {figures}; previous breaks {', '.join(broken)}")
    if kept_total <= new_total + changes + 1e-6:
        why = f"kept the previous plan's network and stock: {figures}"
        return Strategic(
            _with_message(kept.network, why), kept.inventory, kept.staffing, kept.bases
        )
    return _noted(solved, f"kept the re-solve: {figures}")


def _with_message(network: NetworkResult, message: str) -> NetworkResult:
    report = network.report.model_copy(update={"message": message})
    return NetworkResult(
        report, network.is_open, network.depot_of_site, network.costs, network.staffing
    )


def _noted(solved: Strategic, note: str) -> Strategic:
    """``solved`` with ``note`` appended to its network report's message."""
    message = "; ".join(filter(None, [solved.network.report.message, note]))
    return Strategic(
        _with_message(solved.network, message), solved.inventory, solved.staffing, solved.bases
    )
