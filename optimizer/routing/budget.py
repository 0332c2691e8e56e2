"""Work budgets of a deterministic routing search: seconds → PyVRP iterations, OR-Tools solutions.

A deterministic solve (``SolveOptions.deterministic``) stops the search on work, not on the
clock, so its plan depends only on the input and the seed. The work it gets is its time share
turned into iterations at the rate the search reaches *for that model size* on an idle 2-core
machine: it then takes about its share there, and the same work (hence the same plan) anywhere
else, only slower or faster. The rates were measured once with ``python -m
aftersales.benchmarks.calibrate`` (benchmarks/README.md, "Deterministic runs"); a machine much
slower than the reference only hits the wall-clock safety cap (aftersales.optimizer.work).
"""

from __future__ import annotations

import math
from bisect import bisect_left

from aftersales.optimizer.routing.data import RoutingData

PYVRP_ITERATIONS_PER_SECOND: tuple[tuple[int, float], ...] = (
    (50, 2_600.0),
    (150, 1_700.0),
    (500, 480.0),
    (1_500, 120.0),
    (10**9, 30.0),
)
"""(most jobs, PyVRP iterations per second) of models with at most one load dimension:
generated S (40 jobs), Solomon c101 (100), generated M (300) and L (1,000), measured on the
calibration machine (benchmarks/README.md)."""
LOADED_FACTOR = 0.1
"""Iterations of a model whose vans carry several kinds of tools and parts (one PyVRP load
dimension each) run this much slower: TRSP C202 and R102 (100 jobs, 9 dimensions, 14 skill
profiles) reach 160-190 iterations/s against Solomon c101's 1,700 (one dimension)."""
ORTOOLS_SOLUTIONS_PER_SECOND: tuple[tuple[int, float], ...] = (
    (50, 4.0),
    (150, 60.0),
    (500, 4.0),
    (10**9, 1.0),
)
"""(most jobs, OR-Tools solutions per second), guided local search: S's many technician-days
give few solutions (16 in 4.5 s), Solomon and TRSP 100 about 55-150 a second, M 13 in 3.4 s."""
MIN_ITERATIONS = 100
"""Least PyVRP iterations of a deterministic search: a short share still searches."""
MIN_SOLUTIONS = 2
"""Least OR-Tools solutions: the first one and one improvement."""


def _rate(table: tuple[tuple[int, float], ...], jobs: int) -> float:
    """The rate of the smallest size class holding ``jobs``."""
    sizes = [size for size, _ in table]
    return table[min(bisect_left(sizes, jobs), len(table) - 1)][1]


def load_dimensions(data: RoutingData) -> int:
    """Load dimensions of the PyVRP model: one per tool and part kind when vans are modelled."""
    if not any(v.van is not None for v in data.vehicles):
        return 0
    tools = {t for job in data.jobs for t in job.tools}
    parts = {p for job in data.jobs for p, _ in job.part_units}
    return len(tools) + len(parts)


def pyvrp_iterations(jobs: int, seconds: float, dimensions: int) -> int:
    """PyVRP iterations that take about ``seconds`` on the calibration machine, for a model of
    ``jobs`` jobs and ``dimensions`` load dimensions."""
    rate = _rate(PYVRP_ITERATIONS_PER_SECOND, jobs) * (LOADED_FACTOR if dimensions > 1 else 1.0)
    return max(MIN_ITERATIONS, math.ceil(rate * seconds))


def ortools_solutions(jobs: int, seconds: float) -> int:
    """OR-Tools solutions (first + improving) that take about ``seconds`` there."""
    return max(MIN_SOLUTIONS, math.ceil(_rate(ORTOOLS_SOLUTIONS_PER_SECOND, jobs) * seconds))
