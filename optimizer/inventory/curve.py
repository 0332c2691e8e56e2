"""Refit the network layer's inventory-cost approximation from a solved tactical layer.

The strategic MILP prices stock per depot as a function of the part demand the depot pools. Risk
pooling makes that function concave: doubling a depot's demand less than doubles its safety stock
(square-root law). From a solved layer we take one point per depot — x = pooled part demand,
units/year; y = holding + expected emergency cost of its pooled stock, currency/year — fit the
power law ``y = scale · x^exponent`` (least squares in logs, exponent clipped to
[:data:`MIN_EXPONENT`, 1]) and sample it at a few breakpoints. Linear interpolation of a concave
function between breakpoints is a concave piecewise-linear function through the origin, which a
MILP can model with SOS2 / λ-variables or, because it is concave, as the minimum of its segments.

Customer-exclusive pools are left out: their stock does not pool with anyone, so its cost follows
the site wherever it is served.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from aftersales.optimizer.arrays import FloatArray
from aftersales.optimizer.inventory.data import POOLED, StockData
from aftersales.optimizer.inventory.result import demand_pairs, evaluate_levels

MIN_EXPONENT = 0.3
"""Lower clip of the fitted exponent (a flatter curve would reward piling all demand on one
depot beyond what any pooling delivers)."""
EXTRAPOLATION = 1.5
"""The last breakpoint lies this factor beyond the largest observed depot demand."""


@dataclass(frozen=True)
class InventoryCostCurve:
    """Concave piecewise-linear stock cost of one depot vs. its pooled part demand.

    ``cost_per_year[n]`` at ``demand_per_year[n]``; ``demand_per_year[0] == 0`` and
    ``cost_per_year[0] == 0``; linear between breakpoints and along the last segment beyond.
    """

    demand_per_year: FloatArray
    """Breakpoints, units/year, increasing, starting at 0."""
    cost_per_year: FloatArray
    """Stock cost at each breakpoint, currency/year."""
    scale: float
    """Fitted power law: cost = scale · demand^exponent."""
    exponent: float
    points: int
    """Depots the fit used."""

    def __call__(self, demand_per_year: npt.ArrayLike) -> FloatArray:
        """Stock cost per year at the given pooled demand (extrapolated along the last piece)."""
        x = np.asarray(demand_per_year, dtype=float)
        slope, intercept = self.segments()
        return np.min(intercept[:, None] + slope[:, None] * x.reshape(1, -1), axis=0).reshape(
            x.shape
        )

    def segments(self) -> tuple[FloatArray, FloatArray]:
        """(slopes, intercepts) of the pieces; concavity makes cost = min over pieces."""
        dx = np.diff(self.demand_per_year)
        slope = np.diff(self.cost_per_year) / dx
        intercept = self.cost_per_year[:-1] - slope * self.demand_per_year[:-1]
        return slope, intercept


def depot_cost_points(data: StockData, levels: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Per pooled pool: (part demand per year, holding + stock-out cost per year).

    ``levels`` are aligned with :func:`~aftersales.optimizer.inventory.result.demand_pairs` (the
    order of ``InventoryResult.stock``).
    """
    pools, parts, demand = demand_pairs(data)
    ev = evaluate_levels(data, pools, parts, demand, np.asarray(levels, dtype=np.int64))
    cost = np.bincount(pools, weights=ev.cost_per_year, minlength=data.pools)
    rate = np.bincount(pools, weights=demand, minlength=data.pools)
    pooled = np.array([name == POOLED for name in data.pool_names], dtype=bool) & (rate > 0)
    return rate[pooled], cost[pooled]


def fit_inventory_cost_curve(
    data: StockData, levels: npt.ArrayLike, segments: int = 4
) -> InventoryCostCurve:
    """Fit the concave piecewise-linear per-depot stock cost of a solved layer.

    ``levels`` are the chosen level of each (pool, part) pair with demand, in
    ``demand_pairs(data)`` order — e.g. ``[s.level for s in result.stock]``. Breakpoints are
    0, the smallest depot demand, the depot-demand quantiles 1/segments .. (segments−1)/segments,
    the largest depot demand and EXTRAPOLATION × it. Raises ValueError without pooled demand.
    """
    if segments < 1:
        raise ValueError(f"segments must be at least 1, got {segments}")
    x, y = depot_cost_points(data, levels)
    keep = y > 0
    if not keep.any():
        raise ValueError("no pooled pool with demand and stock cost to fit a curve to")
    x, y = x[keep], y[keep]
    if len(np.unique(x)) >= 2:
        exponent = np.polyfit(np.log(x), np.log(y), 1)[0]
        exponent = float(np.clip(exponent, MIN_EXPONENT, 1.0))
        scale = float(np.exp(np.mean(np.log(y) - exponent * np.log(x))))
    else:
        exponent, scale = 1.0, float(np.sum(y) / np.sum(x))
    inner = np.quantile(x, np.arange(1, segments) / segments) if segments > 1 else np.zeros(0)
    observed = [x.min(), *inner, x.max(), EXTRAPOLATION * x.max()]
    breaks = np.unique(np.concatenate([[0.0], observed]))
    return InventoryCostCurve(
        demand_per_year=breaks,
        cost_per_year=scale * breaks**exponent,
        scale=scale,
        exponent=exponent,
        points=len(x),
    )
