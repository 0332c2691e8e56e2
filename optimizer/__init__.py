"""The solver core (``aftersales.optimizer``): the layers, the pipeline and the validator."""

from aftersales.optimizer.pipeline import solve
from aftersales.optimizer.schema import Plan, Scenario, SolveOptions
from aftersales.optimizer.validate import validate

__all__ = ["Plan", "Scenario", "SolveOptions", "solve", "validate"]
