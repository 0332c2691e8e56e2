"""Erlang C (M/M/c) figures of a technician pool during service hours.

A pool of ``c`` technicians receives jobs (corrective calls and preventive visits) at an offered
load of ``a`` Erlangs (busy technicians needed on average). A call waits when every technician is
busy; with exponential service of mean ``1/μ`` hours the wait exceeds ``t`` hours with
probability ``C(c, a) × exp(−(c − a) μ t)``. The network model keeps ``1 − C(c, a) ≥ τ`` through
a table of the most load each headcount carries (``max_load``); docs/semantics.md, "Attainment
and staffing".
"""

from __future__ import annotations

import math

LOAD_BISECTION_STEPS = 60
"""Bisection steps of ``max_load``: the interval (0, c) shrinks 2^60-fold, far below 1e-9."""


def erlang_c(servers: int, load_erlangs: float) -> float:
    """Probability that an arriving call finds all ``servers`` busy (1 when load ≥ servers).

    Computed through the Erlang B recursion ``B(k) = a B(k−1) / (k + a B(k−1))``, which is
    stable for large ``c``; then ``C = c B / (c − a (1 − B))``.
    """
    if load_erlangs <= 0:
        return 0.0
    if servers <= 0 or load_erlangs >= servers:
        return 1.0
    blocking = 1.0
    for k in range(1, servers + 1):
        blocking = load_erlangs * blocking / (k + load_erlangs * blocking)
    return servers * blocking / (servers - load_erlangs * (1.0 - blocking))


def wait_exceeds(
    servers: int, load_erlangs: float, mean_service_hours: float, wait_hours: float
) -> float:
    """P(wait > ``wait_hours``) of a call in an M/M/c queue; 1 when the pool is overloaded."""
    if load_erlangs <= 0:
        return 0.0
    if servers <= 0 or load_erlangs >= servers:
        return 1.0
    decay = (servers - load_erlangs) / mean_service_hours
    return erlang_c(servers, load_erlangs) * math.exp(-decay * max(0.0, wait_hours))


def max_load(servers: int, free_probability: float) -> float:
    """Largest load (Erlangs) at which ``1 − C(servers, a) ≥ free_probability``; 0 for c = 0.

    ``C`` increases with the load, so bisection on (0, servers) finds the boundary.
    """
    if servers <= 0:
        return 0.0
    low, high = 0.0, float(servers)
    for _ in range(LOAD_BISECTION_STEPS):
        middle = (low + high) / 2
        if 1.0 - erlang_c(servers, middle) >= free_probability:
            low = middle
        else:
            high = middle
    return low
