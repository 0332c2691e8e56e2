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

PYVRP_ITERATIONS_PER_SECOND: tuple[tuple[int, float], ...] = (
    (50, 2_600.0),
    (150, 1_700.0),
    (500, 480.0),
    (1_500, 120.0),
    (10**9, 30.0),
)
"""(most jobs, PyVRP iterations per second) of single-trip models, smallest class first:
generated S (40 jobs), Solomon c101 (100), generated M (300) and L (1,000), measured on the
calibration machine (benchmarks/README.md)."""
MULTI_TRIP_FACTOR = 0.1
"""Iterations of a model with van stock and restock trips run this much slower (TRSP C202 and
R102, 100 jobs: 160-190 iterations/s against c101's 1,700)."""
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


def pyvrp_iterations(jobs: int, seconds: float, multi_trip: bool) -> int:
    """PyVRP iterations that take about ``seconds`` on the calibration machine."""
    rate = _rate(PYVRP_ITERATIONS_PER_SECOND, jobs) * (MULTI_TRIP_FACTOR if multi_trip else 1.0)
    return max(MIN_ITERATIONS, math.ceil(rate * seconds))


def ortools_solutions(jobs: int, seconds: float) -> int:
    """OR-Tools solutions (first + improving) that take about ``seconds`` there."""
    return max(MIN_SOLUTIONS, math.ceil(_rate(ORTOOLS_SOLUTIONS_PER_SECOND, jobs) * seconds))
