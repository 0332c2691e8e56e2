"""aftersales-optimizer: service network, spare-parts stock and technician routing, one Plan."""

from optimizer.schema import Plan, Scenario, SolveOptions

__all__ = ["Plan", "Scenario", "SolveOptions"]
__version__ = "0.1.0"
