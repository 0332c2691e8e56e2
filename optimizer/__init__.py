"""aftersales-optimizer: service network, spare-parts stock and technician routing, one Plan."""

from optimizer.pipeline import solve
from optimizer.schema import Plan, Scenario, SolveOptions
from optimizer.validate import validate

__all__ = ["Plan", "Scenario", "SolveOptions", "solve", "validate"]
__version__ = "0.1.0"
