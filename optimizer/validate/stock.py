"""Stock checks (plan section ``stock``): pools, Poisson fill and backorders, stock costs.

Pools follow the serving depot of each site (see ``network``): a depot's ``pooled`` pool serves
its non-exclusive sites; a customer-exclusive site has its own pool (pool id = site id) at its
serving depot. An entry naming any other pool is an unknown reference.

Stock costs: holding, emergency shipments, and the *stock-out credits*: a call whose part is out
of stock waits for an emergency shipment (``emergency_delay_minutes``), which breaches every tier
promising less; each such expected late call earns the tier's ``credit_per_breach``. Only sites
within their promise from their serving depot count: a site outside it already pays a (capped)
credit for every call in the network layer's ``expected_credits_per_year``.
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
    NEGATIVE_STOCK,
    RELATIVE_TOLERANCE,
    STOCK_MISMATCH,
    STOCK_TARGET_MISSED,
    UNKNOWN_REFERENCE,
    Collector,
    pointer,
    same_value,
)

POOLED = "pooled"
"""Pool id of a depot's shared stock."""
DAYS_PER_YEAR = 365.0
"""Converts yearly demand to lead-time demand (lead times are in days)."""

PoolKey = tuple[str, str]
"""(depot id, pool id)."""
StockKey = tuple[str, str, str]
"""(depot id, pool id, part id)."""


def fill_and_backorders(
    mean_demand: npt.ArrayLike, level: npt.ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Fill probability P(D <= S-1) (0 when S = 0) and E[(D-S)+] for D ~ Poisson(mean_demand).

    E[(D-S)+] = Σ_{x>S} (x-S) p(x) = μ·P(D >= S) − S·P(D > S) = (μ − S)·sf(S) + μ·pmf(S): no
    cancellation of large terms, accurate for means up to 1e5 and beyond; μ = 0 is allowed.
    """
    mu = np.asarray(mean_demand, dtype=float)
    s = np.asarray(level, dtype=float)
    fill = np.where(s > 0, poisson.cdf(s - 1, mu), 0.0)
    backorders = (mu - s) * poisson.sf(s, mu) + mu * poisson.pmf(s, mu)
    return np.asarray(fill, dtype=float), np.maximum(np.asarray(backorders, dtype=float), 0.0)


def pool_of(ctx: Context, site_id: str, depot: str) -> PoolKey:
    """The pool a site draws from at its serving depot."""
    return (depot, site_id if ctx.sites[site_id].customer_exclusive else POOLED)


def pool_demand(ctx: Context, serving: dict[str, str]) -> dict[PoolKey, dict[str, float]]:
    """Yearly part demand λ per pool: Σ part_demand_per_year of the pool's sites."""
    demand: dict[PoolKey, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for site_id, depot in serving.items():
        parts = demand[pool_of(ctx, site_id, depot)]
        for part, rate in ctx.rates[site_id].part_demand_per_year.items():
            parts[part] += rate
    return demand


@dataclass
class StockOutcome:
    """What later checks need from the stock section, and its recomputed costs."""

    decided: bool
    """False when plan.stock is empty (the stock layer did not run)."""
    fill: dict[StockKey, float] = field(default_factory=dict)
    """Recomputed fill probability of every (pool, part) with demand or an entry."""
    levels: dict[StockKey, int] = field(default_factory=dict)
    """Levels of valid entries; a missing key means level 0."""
    costs: dict[str, float] = field(
        default_factory=lambda: {
            "holding_per_year": 0.0,
            "emergency_per_year": 0.0,
            "stockout_credits_per_year": 0.0,
        }
    )

    def pooled_level(self, depot: str, part: str) -> int:
        """Level of a part in a depot's pooled stock (0 without an entry)."""
        return self.levels.get((depot, POOLED, part), 0)


def check_stock(
    ctx: Context, plan: Plan, serving: dict[str, str], within: dict[str, bool], out: Collector
) -> StockOutcome:
    """Check entries, recompute Poisson measures per (pool, part) and the stock costs.

    ``serving`` and ``within`` are the network's serving depot and within-promise flag per site.
    """
    if not plan.stock:
        return StockOutcome(decided=False)
    demand = pool_demand(ctx, serving)
    entries = _check_entries(ctx, plan, serving, out)
    keys = sorted(
        {(d, p, part) for (d, p), parts in demand.items() for part, rate in parts.items() if rate}
        | entries.keys()
    )
    rate = np.array([demand.get(k[:2], {}).get(k[2], 0.0) for k in keys], dtype=float)
    lead_days = np.array([ctx.parts[k[2]].lead_time_days for k in keys], dtype=float)
    levels = {k: plan.stock[i].level for k, i in entries.items()}
    level = np.array([levels.get(k, 0) for k in keys], dtype=float)
    fill, backorders = fill_and_backorders(rate * lead_days / DAYS_PER_YEAR, level)
    _check_entry_figures(ctx, plan, entries, keys, rate, fill, backorders, out)
    fills = dict(zip(keys, fill.tolist(), strict=True))
    return StockOutcome(
        decided=True,
        fill=fills,
        levels=levels,
        costs={
            "holding_per_year": sum(_holding(ctx, k, s) for k, s in levels.items()),
            "emergency_per_year": _emergency(ctx, keys, rate, fill),
            "stockout_credits_per_year": _stockout_credits(ctx, serving, within, fills),
        },
    )


def _check_entries(
    ctx: Context, plan: Plan, serving: dict[str, str], out: Collector
) -> dict[StockKey, int]:
    """(depot, pool, part) → index of its valid entry; bad ids, pools, repeats, negatives."""
    entries: dict[StockKey, int] = {}
    for i, entry in enumerate(plan.stock):
        known = known_depot(ctx, entry.depot, pointer("stock", i, "depot"), out)
        if entry.part not in ctx.parts:
            out.add(UNKNOWN_REFERENCE, pointer("stock", i, "part"), f"unknown part '{entry.part}'")
            known = False
        if known and not _pool_exists(ctx, entry.depot, entry.pool, serving):
            out.add(
                UNKNOWN_REFERENCE,
                pointer("stock", i, "pool"),
                f"no stock pool '{entry.pool}' at depot '{entry.depot}' (not 'pooled' nor a "
                "customer-exclusive site served from this depot)",
            )
            known = False
        if entry.level < 0:
            out.add(NEGATIVE_STOCK, pointer("stock", i, "level"), f"level {entry.level} < 0")
            known = False
        if not known:
            continue
        key = (entry.depot, entry.pool, entry.part)
        if key in entries:
            out.add(
                DUPLICATE_ENTRY,
                pointer("stock", i),
                f"stock of part '{entry.part}' in pool '{entry.pool}' at depot '{entry.depot}' "
                f"listed twice (first at /stock/{entries[key]})",
            )
            continue
        entries[key] = i
    return entries


def known_depot(ctx: Context, depot: str, path: str, out: Collector) -> bool:
    """True for a depot of the scenario; else an unknown reference at ``path``."""
    if depot in ctx.depots:
        return True
    out.add(UNKNOWN_REFERENCE, path, f"unknown depot '{depot}'")
    return False


def _pool_exists(ctx: Context, depot: str, pool: str, serving: dict[str, str]) -> bool:
    """'pooled' exists at every depot; a site pool only for an exclusive site served there."""
    if pool == POOLED:
        return True
    site = ctx.sites.get(pool)
    return site is not None and site.customer_exclusive and serving.get(pool) == depot


def _check_entry_figures(
    ctx: Context,
    plan: Plan,
    entries: dict[StockKey, int],
    keys: list[StockKey],
    rate: FloatArray,
    fill: FloatArray,
    backorders: FloatArray,
    out: Collector,
) -> None:
    """Reported demand, fill, backorders and holding cost of each entry equal the recomputed."""
    position = {k: n for n, k in enumerate(keys)}
    for key, i in entries.items():
        entry, n = plan.stock[i], position[key]
        recomputed = {
            "demand_per_year": float(rate[n]),
            "fill_probability": float(fill[n]),
            "expected_backorders": float(backorders[n]),
            "holding_cost_per_year": _holding(ctx, key, entry.level),
        }
        for name, value in recomputed.items():
            reported = getattr(entry, name)
            if not same_value(reported, value):
                out.add(
                    STOCK_MISMATCH,
                    pointer("stock", i, name),
                    f"{name} {reported} reported, {value} recomputed for part '{entry.part}' "
                    f"in pool '{entry.pool}' at depot '{entry.depot}'",
                )


def _holding(ctx: Context, key: StockKey, level: int) -> float:
    """Holding cost per year of S units: S × unit_cost × holding_cost_rate_per_year."""
    part = ctx.parts[key[2]]
    return level * part.unit_cost * part.holding_cost_rate_per_year


def _emergency(ctx: Context, keys: list[StockKey], rate: FloatArray, fill: FloatArray) -> float:
    """Expected emergency shipments per year × their cost, over all pools and parts."""
    default = ctx.scenario.costs.emergency_shipment_cost
    cost = np.array(
        [
            default if ctx.parts[k[2]].emergency_cost is None else ctx.parts[k[2]].emergency_cost
            for k in keys
        ],
        dtype=float,
    )
    return float(np.sum(rate * (1.0 - fill) * cost))


def _stockout_credits(
    ctx: Context, serving: dict[str, str], within: dict[str, bool], fill: dict[StockKey, float]
) -> float:
    """Expected credits per year of calls made late by a stock-out (docs/semantics.md, "Stock").

    Σ over sites within their promise whose tier promises less than the emergency delay of
    Σ_parts part_demand_per_year × (1 − fill of the part in the site's pool) × credit_per_breach.
    Not capped: the cap belongs to the network's credits of sites outside their promise, and those
    sites are left out here (every call of theirs is already late there). Linear in the sites.
    """
    delay = ctx.scenario.costs.emergency_delay_minutes
    credits = 0.0
    for site_id, depot in serving.items():
        tier = ctx.tier_of(site_id)
        if not within.get(site_id, False) or tier.response_minutes >= delay:
            continue
        pool = pool_of(ctx, site_id, depot)
        short = sum(
            rate * (1.0 - fill.get((*pool, part), 0.0))
            for part, rate in ctx.rates[site_id].part_demand_per_year.items()
        )
        credits += short * tier.credit_per_breach
    return credits


GroupKey = tuple[str, str, str, str | None]
"""(depot id, pool id, tier id, site id under the per-site scope else None)."""


def group_fill(
    ctx: Context, serving: dict[str, str], stock: StockOutcome, per_site: bool
) -> dict[GroupKey, tuple[float, float]]:
    """Target group → (part demand per year, demand-weighted fill) from the recomputed fills."""
    weight: dict[GroupKey, float] = defaultdict(float)
    filled: dict[GroupKey, float] = defaultdict(float)
    for site_id, depot in serving.items():
        pool = pool_of(ctx, site_id, depot)
        key = (*pool, ctx.sites[site_id].tier, site_id if per_site else None)
        for part, rate in ctx.rates[site_id].part_demand_per_year.items():
            weight[key] += rate
            filled[key] += rate * stock.fill.get((*pool, part), 0.0)
    return {k: (w, filled[k] / w) for k, w in weight.items() if w > 0}


def check_stock_targets(
    ctx: Context, plan: Plan, serving: dict[str, str], stock: StockOutcome, out: Collector
) -> None:
    """Each target group's fill reaches its tier's target; reported stock_targets match.

    Runs only when stock is decided and the scenario's ``inventory`` section asks for it.
    """
    settings = ctx.scenario.inventory or InventorySettings()
    if not stock.decided or not settings.check_fill_targets:
        return
    groups = group_fill(ctx, serving, stock, settings.target_scope == "site")
    for key in sorted(groups, key=lambda k: (k[0], k[1], k[2], k[3] or "")):
        demand, achieved = groups[key]
        target = ctx.tiers[key[2]].fill_target
        if achieved < target - RELATIVE_TOLERANCE:
            where = f"site '{key[3]}' of " if key[3] is not None else ""
            out.add(
                STOCK_TARGET_MISSED,
                pointer("stock"),
                f"{where}tier '{key[2]}' in pool '{key[1]}' at depot '{key[0]}': parts on hand "
                f"{achieved:.6f} < target {target} (demand {demand:.4g} units/year)",
            )
    for i, entry in enumerate(plan.stock_targets):
        found = groups.get((entry.depot, entry.pool, entry.tier, entry.site))
        if found is not None and not same_value(entry.achieved, found[1]):
            out.add(
                STOCK_MISMATCH,
                pointer("stock_targets", i, "achieved"),
                f"achieved {entry.achieved} reported, {found[1]} recomputed",
            )
