"""The product's routing path for benchmark instances: Scenario → routing layer → Plan → validator.

Both public routing suites (``solomon``, ``trsp``) call :func:`route_scenario`, so each of their
figures is a figure of the product — the same ``compile_routing`` and ``solve_routing`` call a
user's Scenario goes through — and every plan is checked by ``aftersales.optimizer.validate``.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import dataclass

from aftersales.optimizer.routing import RoutingResult, StockLevels, compile_routing, solve_routing
from aftersales.optimizer.routing.solver import DEFAULT_ENGINE, Engine
from aftersales.optimizer.schema import Scenario
from aftersales.optimizer.validate import validate

ENGINES_SIDE_BY_SIDE: tuple[Engine, ...] = ("pyvrp", "ortools")
"""The engines each routing suite runs on every instance, with the same time limit."""
SETUP_SECONDS = 0.3
"""Time kept back from the limit for compiling the Scenario."""


@dataclass(frozen=True)
class ProductRun:
    """One routing solve of a Scenario and the validator's verdict on its plan."""

    result: RoutingResult
    valid: bool
    violations: list[str]
    seconds: float
    """Wall clock of compile + solve."""


def route_scenario(
    scenario: Scenario,
    time_limit_seconds: float,
    seed: int = 0,
    engine: Engine = DEFAULT_ENGINE,
    stock: StockLevels | None = None,
    deterministic: bool = False,
) -> ProductRun:
    """Compile and route ``scenario`` within the limit, then validate the plan.

    ``deterministic`` runs the routing layer on its work limits (the same plan under any load):
    what a suite does when its request is ``deterministic``.
    """
    started = time.perf_counter()
    data = compile_routing(scenario, stock=stock)
    budget = max(0.1, time_limit_seconds - SETUP_SECONDS - (time.perf_counter() - started))
    result = solve_routing(
        scenario, data, budget, seed=seed, engine=engine, deterministic=deterministic
    )
    seconds = time.perf_counter() - started
    verdict = validate(scenario, result.to_plan())
    return ProductRun(
        result,
        verdict.ok,
        [f"{v.kind} at {v.path}: {v.message}" for v in verdict.violations],
        seconds,
    )


def chosen_instances(requested: Collection[str], known: Collection[str], family: str) -> list[str]:
    """The instances a suite runs: those requested (all known if none); unknown ones refused."""
    names = list(requested) or sorted(known)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"unknown {family} instances {unknown}; known: {', '.join(sorted(known))}")
    return names
