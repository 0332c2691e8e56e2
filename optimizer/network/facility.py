"""The capacitated facility location core that both the scenario network and OR-Library map to.

Only *candidate pairs* (site, depot) carry an assignment variable: pairs a hard tier forbids are
left out. A caller may keep only each site's cheapest pairs (``pair_limit``, ``restrict_pairs``);
``pairs_pruned`` counts what was left out, so a bound is never claimed for pairs not modelled.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from aftersales.optimizer.arrays import FloatArray, IntArray
from aftersales.optimizer.network.contract import Contract
from aftersales.optimizer.network.data import NO_DEPOT, NetworkData

Start = tuple[npt.NDArray[np.bool_], FloatArray]
"""A feasible start or incumbent: open mask and per-pair fractions."""

PULP_PAIRS_LIMIT = 400_000
"""Most pairs handed to PuLP (~1 KB of Python objects each); beyond, each site's cheapest."""


@dataclass(frozen=True)
class FacilityProblem:
    """min Σ open_cost·y + Σ pair_cost·x + offset over open depots y and assignments x."""

    open_cost: FloatArray
    """Cost of having each depot open (may be negative when closing an existing one costs)."""
    offset: float
    """Constant part of the objective (closing costs if every existing depot closed)."""
    pair_site: IntArray
    pair_depot: IntArray
    pair_cost: FloatArray
    """Cost of serving ALL of a site from a depot; pairs sorted by site then depot."""
    demand: FloatArray
    """What a site uses of its depot's capacity, shape (sites,)."""
    capacity: FloatArray
    """Depot capacity, ``inf`` for none, shape (depots,)."""
    single_source: bool
    min_open: int
    max_open: int
    pairs_pruned: int = 0
    """Candidate pairs left out for size (not for hard tiers)."""
    pooled_demand: FloatArray | None = None
    """What each site adds to its depot's pooled stock demand (part units/year), shape (sites,)."""
    stock_curve: tuple[FloatArray, FloatArray] | None = None
    """(slopes, intercepts) of a concave stock cost per open depot: min over pieces of
    ``intercept + slope × pooled demand``, currency/year. None = no stock cost in the model."""
    contract: Contract | None = None
    """Staffing pools and per-tier reach rows appended to the model (HiGHS only); None = the
    plain location model."""

    @property
    def pieces(self) -> int:
        """Number of pieces of the stock cost curve (0 without one)."""
        return 0 if self.stock_curve is None else len(self.stock_curve[0])

    def pooled_load(self, pair_fraction: FloatArray) -> FloatArray:
        """Pooled part demand each depot receives, units/year, shape (depots,)."""
        weight = self.pooled_demand if self.pooled_demand is not None else np.zeros(self.sites)
        return np.bincount(
            self.pair_depot, weights=pair_fraction * weight[self.pair_site], minlength=self.depots
        )

    def piece_costs(self, pair_fraction: FloatArray) -> FloatArray:
        """Stock cost of each depot's pooled load on each curve piece, shape (pieces, depots)."""
        if self.stock_curve is None:
            return np.zeros((0, self.depots))
        slopes, intercepts = self.stock_curve
        return intercepts[:, None] + slopes[:, None] * self.pooled_load(pair_fraction)[None, :]

    def stock_cost(self, is_open: npt.NDArray[np.bool_], pair_fraction: FloatArray) -> float:
        """Curve cost of the pooled demand each open depot receives, currency/year."""
        if not self.pieces:
            return 0.0
        return float(np.min(self.piece_costs(pair_fraction), axis=0)[is_open].sum())

    @property
    def sites(self) -> int:
        return len(self.demand)

    @property
    def depots(self) -> int:
        return len(self.open_cost)

    def dense_cost(self) -> FloatArray:
        """Pair costs as a (sites, depots) matrix with ``inf`` where no pair exists."""
        dense = np.full((self.sites, self.depots), np.inf)
        dense[self.pair_site, self.pair_depot] = self.pair_cost
        return dense

    def capacity_total_without(self, is_open: npt.NDArray[np.bool_]) -> FloatArray:
        """Open capacity left if each depot in turn were closed, shape (depots,)."""
        open_capacity = np.where(is_open, self.capacity, 0.0)
        unlimited = np.isinf(open_capacity)
        if unlimited.sum() > 1:
            return np.full(self.depots, np.inf)
        finite_total = open_capacity[~unlimited].sum()
        if unlimited.any():
            return np.where(unlimited, finite_total, np.inf)
        return finite_total - open_capacity

    def objective(self, is_open: npt.NDArray[np.bool_], pair_fraction: FloatArray) -> float:
        """Objective value of a solution given as open mask and per-pair fractions."""
        fixed = self.open_cost[is_open].sum() + self.offset
        return float(
            fixed + pair_fraction @ self.pair_cost + self.stock_cost(is_open, pair_fraction)
        )


def restrict_pairs(
    problem: FacilityProblem, per_site: int, keep: npt.NDArray[np.bool_] | None = None
) -> FacilityProblem:
    """The same problem over each site's ``per_site`` cheapest pairs, plus the pairs ``keep``
    marks (a mask over ``problem``'s pairs: e.g. those a known solution uses)."""
    dense = problem.dense_cost()
    site, depot, _ = candidate_pairs(dense, np.isfinite(dense), per_site * problem.sites)
    if keep is not None and keep.any():
        chosen = np.zeros(dense.shape, dtype=bool)
        chosen[site, depot] = True
        chosen[problem.pair_site[keep], problem.pair_depot[keep]] = True
        site, depot = (index.astype(np.intp) for index in np.nonzero(chosen))
    return replace(
        problem,
        pair_site=site,
        pair_depot=depot,
        pair_cost=dense[site, depot],
        pairs_pruned=problem.pairs_pruned + len(problem.pair_site) - len(site),
    )


def candidate_pairs(
    cost: FloatArray, allowed: npt.NDArray[np.bool_], limit: int
) -> tuple[IntArray, IntArray, int]:
    """Allowed (site, depot) pairs, keeping each site's cheapest when there are over ``limit``."""
    sites, depots = cost.shape
    if allowed.sum() <= limit:
        site, depot = np.nonzero(allowed)
        return site.astype(np.intp), depot.astype(np.intp), 0
    keep = max(2, int(limit // sites))
    ranked = np.where(allowed, cost, np.inf)
    nearest = np.argpartition(ranked, min(keep, depots - 1), axis=1)[:, :keep]
    mask = np.zeros_like(allowed)
    np.put_along_axis(mask, nearest, True, axis=1)
    mask &= allowed
    site, depot = np.nonzero(mask)
    return site.astype(np.intp), depot.astype(np.intp), int(allowed.sum() - mask.sum())


def facility_problem(
    data: NetworkData,
    pair_limit: float = np.inf,
    stock_curve: tuple[FloatArray, FloatArray] | None = None,
) -> FacilityProblem:
    """Map the scenario's network data to the facility core (single-sourcing, workload capacity).

    ``stock_curve`` prices each open depot's pooled part demand (see ``FacilityProblem``).
    Moving a site away from today's depot costs ``change_cost_per_site``.
    """
    cost = data.assignment_cost_per_year.copy()
    moved = (data.current_depot[:, None] != NO_DEPOT) & (
        data.current_depot[:, None] != np.arange(len(data.depot_ids))[None, :]
    )
    cost += moved * data.change_cost_per_site
    # no road path (travel mode 'graph'): the pair has no finite cost and is never a candidate
    allowed = ~(data.hard[:, None] & ~data.within_promise) & np.isfinite(cost)
    site, depot, pruned = candidate_pairs(cost, allowed, pair_limit)
    opening = np.where(data.existing, 0.0, data.opening_cost)
    closing = np.where(data.existing, data.closing_cost, 0.0)
    return FacilityProblem(
        open_cost=data.fixed_cost_per_year + opening - closing,
        offset=float(closing.sum()),
        pair_site=site,
        pair_depot=depot,
        pair_cost=cost[site, depot],
        demand=data.visits_per_year,
        capacity=data.capacity_calls_per_year,
        single_source=True,
        min_open=data.min_open,
        max_open=data.max_open,
        pairs_pruned=pruned,
        pooled_demand=data.pooled_part_demand_per_year,
        stock_curve=stock_curve,
    )


def with_pairs(problem: FacilityProblem, keep: npt.NDArray[np.bool_]) -> FacilityProblem:
    """The same problem over the pairs ``keep`` marks (a mask over ``problem``'s pairs, whose
    order, by site then depot, the subset keeps)."""
    return replace(
        problem,
        pair_site=problem.pair_site[keep],
        pair_depot=problem.pair_depot[keep],
        pair_cost=problem.pair_cost[keep],
        pairs_pruned=problem.pairs_pruned + int((~keep).sum()),
    )


def cheapest_mask(problem: FacilityProblem, per_site: int) -> npt.NDArray[np.bool_]:
    """Mask over ``problem``'s pairs of each site's ``per_site`` cheapest ones."""
    order = np.lexsort((problem.pair_cost, problem.pair_site))
    first = np.searchsorted(problem.pair_site[order], problem.pair_site[order], side="left")
    mask = np.zeros(len(order), dtype=bool)
    mask[order[np.arange(len(order)) - first < per_site]] = True
    return mask
