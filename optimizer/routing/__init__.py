"""Operational layer: which technician does which job, when and in which order."""

from aftersales.optimizer.routing.data import RoutingData, StockLevels, compile_routing
from aftersales.optimizer.routing.greedy import greedy_dispatch
from aftersales.optimizer.routing.result import RoutingResult, routing_costs
from aftersales.optimizer.routing.solver import solve_routing

__all__ = [
    "RoutingData",
    "RoutingResult",
    "StockLevels",
    "compile_routing",
    "greedy_dispatch",
    "routing_costs",
    "solve_routing",
]
