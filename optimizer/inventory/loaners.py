"""Loaner pools: how many loaner units of each loanable product each depot keeps.

While a customer's unit of a ``loanable`` product is away for repair, the customer borrows a
loaner from the serving depot. Loans arrive as a Poisson stream (the product's failures at the
depot's sites, exclusive ones included) and each lasts ``loaner_days``; a customer who finds every
loaner out is turned away. That is an Erlang loss system M/G/c/c, whose blocking probability
depends on the loan-time distribution only through its mean (insensitivity), so

    B(c, a) with offered load a = loans per year × loaner_days / 365 (erlangs)

and the pool is the smallest c with B(c, a) ≤ the scenario's ``loaner_unavailability_target``.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import numpy.typing as npt

from aftersales.optimizer.arrays import FloatArray
from aftersales.optimizer.inventory.data import DAYS_PER_YEAR
from aftersales.optimizer.schema import LoanerPool, Scenario


def erlang_b(servers: npt.ArrayLike, load: npt.ArrayLike) -> FloatArray:
    """Erlang loss probability B(c, a), by the stable recursion B(k) = a·B(k−1) / (k + a·B(k−1)).

    ``servers`` are non-negative integers, ``load`` non-negative erlangs (broadcast together).
    """
    servers, load = np.broadcast_arrays(
        np.asarray(servers, dtype=np.int64), np.asarray(load, dtype=float)
    )
    blocking = np.ones(servers.shape)
    for k in range(1, int(servers.max(initial=0)) + 1):
        step = load * blocking / (k + load * blocking)
        blocking = np.where(k <= servers, step, blocking)
    return blocking


def servers_for_blocking(load: npt.ArrayLike, target: float) -> npt.NDArray[np.int64]:
    """Smallest c with B(c, a) ≤ target, per load (0 where the load is 0)."""
    load = np.asarray(load, dtype=float)
    if not 0 < target <= 1:
        raise ValueError(f"blocking target must lie in (0, 1], got {target}")
    servers = np.zeros(load.shape, dtype=np.int64)
    blocking = np.ones(load.shape)
    open_ = (load > 0) & (blocking > target)
    k = 0
    while open_.any():
        k += 1
        blocking = np.where(open_, load * blocking / (k + load * blocking), blocking)
        servers = np.where(open_, k, servers)
        open_ &= blocking > target
    return servers


def size_loaners(
    scenario: Scenario,
    depot_of_site: dict[str, str],
    target: float,
    loaner_days: float,
    cost_per_unit_year: float = 0.0,
) -> list[LoanerPool]:
    """One LoanerPool per (depot, loanable product) with failures, depot-then-product order."""
    loanable = {p.id: p for p in scenario.products if p.loanable}
    loans: dict[tuple[str, str], float] = defaultdict(float)
    for site in scenario.sites:
        for product_id, units in site.installed_base.items():
            product = loanable.get(product_id)
            if product is not None:
                key = (depot_of_site[site.id], product_id)
                loans[key] += units * product.failure_rate_per_unit_year
    keys = sorted(loans)
    rate = np.array([loans[k] for k in keys], dtype=float)
    load = rate * loaner_days / DAYS_PER_YEAR
    units = servers_for_blocking(load, target)
    blocking = erlang_b(units, load)
    return [
        LoanerPool(
            depot=depot,
            product=product,
            loans_per_year=float(r),
            offered_load_erlangs=float(a),
            units=int(c),
            no_loaner_probability=float(b),
            cost_per_year=float(c * cost_per_unit_year),
        )
        for (depot, product), r, a, c, b in zip(keys, rate, load, units, blocking, strict=True)
    ]
