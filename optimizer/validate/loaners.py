"""Loaner checks (plan section ``loaners``) and the loaner cost (docs/semantics.md, "Loaners").

While a customer's unit of a ``loanable`` product is away for repair, the serving depot lends a
loaner. Per (depot, loanable product) the loans are the product's failures at the sites the
depot serves (customer-exclusive ones included): Σ units × failure_rate_per_unit_year; each loan
lasts ``loaner_days``, so the offered load is a = loans × loaner_days / 365 erlangs. With c units
the probability that a customer finds no loaner is the Erlang loss B(c, a), computed here as

    B(c, a) = P(N = c) / P(N ≤ c),  N ~ Poisson(a)

(the truncated-Poisson form, not the solver's recursion), with a series fallback where P(N ≤ c)
underflows. B(0, a) = 1; B(c, 0) = 0 for c ≥ 1.

The section is *decided* when ``plan.loaners`` is not empty, or when ``plan.stock`` is not empty
and the scenario sets ``inventory.loaner_unavailability_target``; otherwise nothing is checked
and the loaner cost is 0. Entries naming an unknown depot or product, or a product that is not
loanable, are unknown references; of repeated (depot, product) entries the first counts. A pool
where the depot serves no unit of the product is allowed (0 loans, load 0): it only costs.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy.stats import poisson

from aftersales.optimizer.arrays import FloatArray
from aftersales.optimizer.schema import InventorySettings, Plan
from aftersales.optimizer.validate.context import Context
from aftersales.optimizer.validate.report import (
    DUPLICATE_ENTRY,
    LOANER_MISMATCH,
    LOANER_TARGET_MISSED,
    RELATIVE_TOLERANCE,
    UNKNOWN_REFERENCE,
    Collector,
    pointer,
    same_value,
)
from aftersales.optimizer.validate.stock import DAYS_PER_YEAR, known_depot

LoanerKey = tuple[str, str]
"""(depot id, product id)."""

_SMALLEST_CDF = 1e-280
"""Below this P(N ≤ c) the ratio pmf / cdf loses precision (subnormals): use the series."""


def erlang_loss(units: npt.ArrayLike, load: npt.ArrayLike) -> FloatArray:
    """Erlang-B probability B(c, a) that all c loaners are out, for offered load a erlangs.

    B(c, a) = P(N = c) / P(N ≤ c) with N ~ Poisson(a): both scipy values keep their relative
    accuracy (B to ~1e-12) for every c ≥ 0 and a up to ~700. Beyond that, for c far below a,
    P(N ≤ c) underflows; there 1 / B = Σ_{j=0..c} Π_{i<j} (c − i) / a, a sum of decreasing terms.
    """
    c, a = np.broadcast_arrays(np.asarray(units, dtype=float), np.asarray(load, dtype=float))
    pmf = poisson.pmf(c, a)
    cdf = poisson.cdf(c, a)
    ok = cdf > _SMALLEST_CDF
    blocking = np.divide(pmf, cdf, out=np.ones(c.shape), where=ok)
    for n in zip(*np.nonzero(~ok), strict=True):
        blocking[n] = 1.0 / _inverse_series(int(c[n]), float(a[n]))
    return np.clip(blocking, 0.0, 1.0)


def _inverse_series(units: int, load: float) -> float:
    """1 / B(c, a) = Σ_{j=0..c} c! / ((c − j)! a^j), summed until the terms stop counting."""
    total = term = 1.0
    for j in range(1, units + 1):
        term *= (units - j + 1) / load
        total += term
        if term < 1e-17 * total:
            break
    return total


def loans_per_year(ctx: Context, serving: dict[str, str]) -> dict[LoanerKey, float]:
    """(depot, loanable product) → failures per year of the product at the depot's sites."""
    loans: dict[LoanerKey, float] = defaultdict(float)
    for site_id, depot in serving.items():
        for product_id, units in ctx.sites[site_id].installed_base.items():
            product = ctx.products[product_id]
            if product.loanable:
                loans[(depot, product_id)] += units * product.failure_rate_per_unit_year
    return dict(loans)


@dataclass
class LoanerOutcome:
    """Whether the loaner section is decided, and its recomputed cost."""

    decided: bool
    costs: dict[str, float] = field(default_factory=lambda: {"loaners_per_year": 0.0})


def check_loaners(
    ctx: Context, plan: Plan, serving: dict[str, str], out: Collector
) -> LoanerOutcome:
    """Check loaner entries and the unavailability target; recompute the loaner cost."""
    settings = ctx.scenario.inventory or InventorySettings()
    target = settings.loaner_unavailability_target
    if not plan.loaners and not (plan.stock and target is not None):
        return LoanerOutcome(decided=False)
    loans = loans_per_year(ctx, serving)
    entries = _check_entries(ctx, plan, out)
    keys = list(entries)
    units = np.array([plan.loaners[entries[k]].units for k in keys], dtype=float)
    rate = np.array([loans.get(k, 0.0) for k in keys], dtype=float)
    load = rate * settings.loaner_days / DAYS_PER_YEAR
    blocking = erlang_loss(units, load)
    cost = units * settings.loaner_cost_per_unit_year
    for n, key in enumerate(keys):
        i = entries[key]
        recomputed = {
            "loans_per_year": float(rate[n]),
            "offered_load_erlangs": float(load[n]),
            "no_loaner_probability": float(blocking[n]),
            "cost_per_year": float(cost[n]),
        }
        for name, value in recomputed.items():
            reported = getattr(plan.loaners[i], name)
            if not same_value(reported, value):
                out.add(
                    LOANER_MISMATCH,
                    pointer("loaners", i, name),
                    f"{name} {reported} reported, {value} recomputed for product '{key[1]}' at "
                    f"depot '{key[0]}'",
                )
    if target is not None:
        achieved = {
            k: (plan.loaners[entries[k]].units, float(b))
            for k, b in zip(keys, blocking, strict=True)
        }
        _check_target(target, settings.loaner_days, loans, entries, achieved, out)
    return LoanerOutcome(decided=True, costs={"loaners_per_year": float(cost.sum())})


def _check_entries(ctx: Context, plan: Plan, out: Collector) -> dict[LoanerKey, int]:
    """(depot, product) → index of its valid entry; reports unknown ids and repeats."""
    entries: dict[LoanerKey, int] = {}
    for i, entry in enumerate(plan.loaners):
        known = known_depot(ctx, entry.depot, pointer("loaners", i, "depot"), out)
        product = ctx.products.get(entry.product)
        if product is None:
            out.add(
                UNKNOWN_REFERENCE,
                pointer("loaners", i, "product"),
                f"unknown product '{entry.product}'",
            )
            known = False
        elif not product.loanable:
            out.add(
                UNKNOWN_REFERENCE,
                pointer("loaners", i, "product"),
                f"product '{entry.product}' is not loanable",
            )
            known = False
        if not known:
            continue
        key = (entry.depot, entry.product)
        if key in entries:
            out.add(
                DUPLICATE_ENTRY,
                pointer("loaners", i),
                f"loaners of product '{entry.product}' at depot '{entry.depot}' listed twice "
                f"(first at /loaners/{entries[key]})",
            )
            continue
        entries[key] = i
    return entries


def _check_target(
    target: float,
    loaner_days: float,
    loans: dict[LoanerKey, float],
    entries: dict[LoanerKey, int],
    achieved: dict[LoanerKey, tuple[int, float]],
    out: Collector,
) -> None:
    """Every (depot, loanable product) with loans has a pool with B(c, a) ≤ target.

    ``achieved``: (depot, product) of each valid entry → (units, recomputed B(c, a)).
    """
    for key in sorted(loans):
        rate = loans[key]
        if rate <= 0:
            continue
        i = entries.get(key)
        if i is None:
            out.add(
                LOANER_TARGET_MISSED,
                pointer("loaners"),
                f"no loaner pool of product '{key[1]}' at depot '{key[0]}' ({rate:.4g} loans/year, "
                f"{rate * loaner_days / DAYS_PER_YEAR:.4g} erlangs); target {target}",
            )
        elif achieved[key][1] > target + RELATIVE_TOLERANCE:
            units, blocking = achieved[key]
            out.add(
                LOANER_TARGET_MISSED,
                pointer("loaners", i, "units"),
                f"product '{key[1]}' at depot '{key[0]}': {units} loaners leave a no-loaner "
                f"probability of {blocking:.6f} > target {target}",
            )
