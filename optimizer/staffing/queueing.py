"""Erlang C (M/M/c) figures of a technician pool during service hours.

A pool of ``c`` technicians receives jobs (corrective calls and preventive visits) at an offered
load of ``a`` Erlangs (busy technicians needed on average). A call waits when every technician is
busy; with exponential service of mean ``1/μ`` hours the wait exceeds ``t`` hours with
probability ``C(c, a) × exp(−(c − a) μ t)``. A call keeps its promise when it waits at most its
slack σ (promise − dispatch − travel), so the network model keeps ``P(W ≤ σ) ≥ τ`` per pool
through a table of the most load each headcount carries (``max_load_table``), with the pool's
shortest slack and longest mean service time; docs/semantics.md, "Attainment and staffing".
"""

from __future__ import annotations

import math

import numpy as np

from aftersales.optimizer.arrays import FloatArray

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


def max_load(servers: int, free_probability: float, slack_ratio: float = 0.0) -> float:
    """Largest load (Erlangs) at which ``P(W ≤ σ) ≥ free_probability``; 0 for c = 0.

    ``slack_ratio`` is σ / s, the slack over the mean service time (0: no wait allowed, the
    plain ``1 − C(c, a)``). One entry of :func:`max_load_table`.
    """
    if servers <= 0:
        return 0.0
    return float(_most_loads(servers, free_probability, np.array([slack_ratio]))[0])


def max_load_table(count: int, free_probability: float, slack_ratios: FloatArray) -> FloatArray:
    """Most load each headcount 0..``count`` carries, per slack ratio; shape (ratios, count + 1)."""
    ratios = np.asarray(slack_ratios, dtype=float)
    table = np.zeros((len(ratios), count + 1))
    for servers in range(1, count + 1):
        table[:, servers] = _most_loads(servers, free_probability, ratios)
    return table


def _most_loads(servers: int, free_probability: float, ratios: FloatArray) -> FloatArray:
    """Most load ``servers`` technicians carry at each slack ratio.

    A call is free in time when it waits at most its slack σ:
    ``P(W ≤ σ) = 1 − C(c, a) exp(−(c − a) σ / s)``, which falls as the load rises (``C`` rises
    and the decay slows), so bisection on (0, c) finds the boundary, for all ratios at once.
    """
    low, high = np.zeros(len(ratios)), np.full(len(ratios), float(servers))
    for _ in range(LOAD_BISECTION_STEPS):
        middle = (low + high) / 2
        late = _erlang_c_array(servers, middle) * np.exp(-(servers - middle) * ratios)
        keeps = 1.0 - late >= free_probability
        low = np.where(keeps, middle, low)
        high = np.where(keeps, high, middle)
    return low


def _erlang_c_array(servers: int, loads: FloatArray) -> FloatArray:
    """:func:`erlang_c` for an array of loads in (0, servers), by the same Erlang B recursion."""
    blocking = np.ones_like(loads)
    for k in range(1, servers + 1):
        blocking = loads * blocking / (k + loads * blocking)
    return servers * blocking / (servers - loads * (1.0 - blocking))
