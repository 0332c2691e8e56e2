"""Network and inventory solved together: the stock-cost curve refitted between the two layers.

The network MILP prices each open depot's stock by a concave curve of the part demand it pools
(risk pooling makes a larger depot cheaper per unit of demand). The curve comes from the
tactical layer: first from the stock that today's network needs, then refitted from the stock
the newly chosen network needs, ``options.refit_rounds`` times. Every round's first-year total
(network + staffing + stock, each from its own layer) is recorded; the cheapest round is kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from aftersales.optimizer.inventory import InventoryResult, compile_stock, solve_inventory
from aftersales.optimizer.inventory.curve import fit_inventory_cost_curve
from aftersales.optimizer.inventory.data import StockData
from aftersales.optimizer.network import NetworkData, NetworkResult, current_network
from aftersales.optimizer.network.contract import Contract
from aftersales.optimizer.network.solver import solve_network
from aftersales.optimizer.schema import Scenario, SolveOptions
from aftersales.optimizer.staffing.data import decision_cost
from aftersales.optimizer.work import cap_seconds

Curve = tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]
CURVE_SEGMENTS = 4


@dataclass(frozen=True)
class CoupledResult:
    """The kept round's network and stock, and every round's first-year total."""

    network: NetworkResult
    inventory: InventoryResult
    round_totals: list[float]
    kept_round: int


def _stock_for(
    scenario: Scenario, data: NetworkData, network: NetworkResult, seconds: float
) -> tuple[StockData, InventoryResult]:
    depot_of_site = {
        site: data.depot_ids[j]
        for site, j in zip(data.site_ids, network.depot_of_site, strict=True)
    }
    stock_data = compile_stock(scenario, depot_of_site)
    return stock_data, solve_inventory(scenario, stock_data, seconds)


def _curve(stock_data: StockData, inventory: InventoryResult) -> Curve | None:
    """Slopes and intercepts fitted to a solved stock, or None without pooled stock cost."""
    try:
        curve = fit_inventory_cost_curve(
            stock_data, [s.level for s in inventory.stock], segments=CURVE_SEGMENTS
        )
    except ValueError:
        return None
    return curve.segments()


def solve_network_and_stock(
    scenario: Scenario,
    data: NetworkData,
    options: SolveOptions,
    network_seconds: float,
    inventory_seconds: float,
    previous: tuple[npt.NDArray[np.bool_], npt.NDArray[np.intp]] | None = None,
    contract: Contract | None = None,
) -> CoupledResult:
    """Alternate network and inventory solves; keep the round with the lowest first-year total.

    ``contract`` (staffing and tier reach rows) goes to every network solve; ``scenario`` is
    the one whose tiers carry the stock layer's fill targets.
    """
    rounds = 1 + options.refit_rounds
    # the greedy stock search is deterministic unless its deadline cuts it: a deterministic
    # solve gives it the safety cap (aftersales.optimizer.work)
    per_stock = cap_seconds(inventory_seconds / (rounds + 1), options.repeatable)
    stock_data, inventory = _stock_for(scenario, data, current_network(data), per_stock)
    curve = _curve(stock_data, inventory)
    best: CoupledResult | None = None
    totals: list[float] = []
    network_seconds_used = 0.0
    for index in range(rounds):
        network = solve_network(
            data,
            network_seconds / rounds,
            mip_gap=options.mip_gap,
            seed=options.seed,
            mip_solver=options.mip_solver,
            stock_curve=curve,
            previous=previous,
            contract=contract,
            deterministic=options.repeatable,
        )
        network_seconds_used += network.report.seconds or 0.0
        stock_data, inventory = _stock_for(scenario, data, network, per_stock)
        staffing = (
            decision_cost(contract.staffing, network.staffing)
            if contract is not None
            and contract.staffing is not None
            and network.staffing is not None
            else 0.0
        )
        totals.append(network.costs.annual_total + inventory.costs.annual_total + staffing)
        if best is None or totals[-1] < totals[best.kept_round]:
            best = CoupledResult(network, inventory, totals, index)
        curve = _curve(stock_data, inventory)
    assert best is not None
    note = (
        f"stock-cost curve fitted from today's network, refitted {rounds - 1}x; first-year "
        f"network + stock total per round: {', '.join(f'{t:,.0f}' for t in totals)} "
        f"(kept round {best.kept_round + 1})"
    )
    report = best.network.report
    annotated = report.model_copy(
        update={
            "message": f"{note}; kept round: {report.message}",
            "seconds": network_seconds_used,  # every round's wall time, not the kept one's
        }
    )
    network = NetworkResult(
        annotated,
        best.network.is_open,
        best.network.depot_of_site,
        best.network.costs,
        best.network.staffing,
    )
    return CoupledResult(network, best.inventory, totals, best.kept_round)
