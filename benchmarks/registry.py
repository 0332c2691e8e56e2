"""Benchmark formats (``solve --format``) and suites (``run --suite``) by name.

Each benchmark module registers its own entries with the decorators below; ``load_all`` imports
every module of the package so that the CLI sees every entry. Adding a benchmark = adding one
module to ``benchmarks/``; no list to edit.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

NOT_BENCHMARKS = frozenset(
    {"__main__", "registry", "deadline", "check", "metrics", "profiles", "reference"}
    # standalone commands that register nothing; api_load needs httpx, a dev extra, and
    # `python -m aftersales.benchmarks` must run on the plain install
    | {"api_load", "calibrate"}
)

DEFAULT_TIME_LIMIT = 10.0
"""Seconds per solve when neither the user nor the suite says otherwise."""

SHARED_INSTANCES = Path(__file__).resolve().parents[2] / "shared" / "instances"
"""Public benchmark instances, in the ``shared/`` folder beside the repository."""


@dataclass(frozen=True)
class SolveRequest:
    """Arguments of ``python -m aftersales.benchmarks solve``."""

    path: Path
    time_limit_seconds: float
    seed: int
    extra: dict[str, Any]
    """Format-specific options (e.g. ``capacity`` for OR-Library files with 'capacity')."""


@dataclass(frozen=True)
class SuiteRequest:
    """Arguments of ``python -m aftersales.benchmarks run``."""

    time_limit_seconds: float
    seed: int
    instances: tuple[str, ...]
    """Subset of instance names; empty = the whole suite."""
    sizes: tuple[str, ...]
    """Scenario sizes for suites on generated scenarios; empty = the suite's default."""
    time_limit_given: bool = True
    """False when the user gave no limit: suites with their own per-size limits use those."""
    deterministic: bool = False
    """Solve on work limits (``SolveOptions.deterministic``) in suites that go through the
    product's routing or pipeline: the same figures under any load; the wall clock then only
    caps a run (aftersales.optimizer.work). False = the wall clock alone."""


Solver = Callable[[SolveRequest], dict[str, Any]]
"""Solves one file; returns the JSON-serialisable solution document."""
Suite = Callable[[SuiteRequest], dict[str, Any]]
"""Runs a suite with its baseline side by side; returns rows and summary as JSON data."""

FORMATS: dict[str, Solver] = {}
SUITES: dict[str, Suite] = {}


def solver(name: str) -> Callable[[Solver], Solver]:
    """Register a file format solver under ``name``."""

    def register(function: Solver) -> Solver:
        FORMATS[name] = function
        return function

    return register


def suite(name: str) -> Callable[[Suite], Suite]:
    """Register a suite under ``name``."""

    def register(function: Suite) -> Suite:
        SUITES[name] = function
        return function

    return register


def load_all() -> None:
    """Import every module of the package so its entries register."""
    package = Path(__file__).parent
    for module in pkgutil.iter_modules([str(package)]):
        if module.name not in NOT_BENCHMARKS:
            importlib.import_module(f"aftersales.benchmarks.{module.name}")
