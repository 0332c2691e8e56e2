"""Pairs by pricing: the MILP of a large model gets the pairs that can improve it, not a fixed cut.

A large model's MILP sees only a subset R of the site-depot pairs. R is grown by column
generation on the LP relaxation of the model *as built* (the strong ``link_open`` linking, the
capacity, stock-curve and contract rows: staffing hours and queue, tier reach): solve the LP over
R, price every pair outside R with the LP's row duals π,

    rc_ij = c_ij − Σ_rows a_r,ij · π_r

(its ``link_open`` row is new and gets dual 0), add each site's most negative ones, repeat until
no pair prices out (or the time share ends).

**Why the bound holds for the whole model.** For any dual vector π of the LP over R (optimal
there), every solution (x, y, …) of the *whole* model, integer or not, satisfies

    cost ≥ LP_R + Σ_{(i,j) ∉ R} rc_ij · x_ij

because the restricted columns' reduced-cost terms and the rows' slack terms are ≥ 0 by the dual
signs, and an excluded pair's only new row (x_ij ≤ y_j) has dual 0. Each site's excluded pairs
sum to at most 1 (``assign_once``), so ``bound = LP_R + Σ_i min(0, min_{j: (i,j) ∉ R} rc_ij)``
is a lower bound for the whole model (Farley's bound; the LP bound itself once nothing prices
out). The contract rows are part of π, so this holds with the attainment and staffing rows too.

**Why the restricted MILP's bound holds too (single-sourcing).** With x binary, a solution that
uses an excluded pair (i, j) has x_ij = 1 and so costs at least
``bound + rc_ij − min(0, m_i)``, m_i the site's least excluded reduced cost. The MILP's pair set
is therefore R plus every pair with ``rc_ij − min(0, m_i) < U − bound``, U the cost of a known
solution of the whole model (the start): every solution cheaper than U lies inside it, so the
whole model's optimum is min(U, the restricted optimum), and ``min(U, restricted MILP bound)``
is a valid bound for the whole model. When that set is larger than ``PAIR_BUDGET`` it is cut
and only the LP bound is claimed. With split assignments (OR-Library) x_ij may be a fraction,
the argument fails, and only the LP bound (or the Lagrangian) is claimed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from aftersales.optimizer.arrays import FloatArray
from aftersales.optimizer.highs_run import solve_lp_until
from aftersales.optimizer.network.contract import STAFF_LINK
from aftersales.optimizer.network.facility import (
    FacilityProblem,
    Start,
    cheapest_mask,
    with_pairs,
)
from aftersales.optimizer.network.milp import LINK_OPEN, build_model, columns, model_rows

PER_PAIR_FAMILIES = (LINK_OPEN, STAFF_LINK)
"""Row families with a row per pair: an excluded pair's rows there are new (dual 0)."""
ADD_PER_SITE = 4
"""Most pairs added per site and round: each site's most negative reduced costs."""
MAX_ROUNDS = 30
PAIR_BUDGET = 40_000
"""Most pairs the restricted MILP gets from the cover (HiGHS's root LP grows faster than its
columns, DESIGN.md "Pitfalls")."""


@dataclass(frozen=True)
class Pricing:
    """What one LP over a pair subset proves about the whole model."""

    lp_value: float
    """The LP's optimum over the subset (currency/year, the model's objective)."""
    bound: float
    """Farley's bound: ``lp_value`` plus each site's most negative excluded reduced cost."""
    reduced: FloatArray
    """Reduced cost of every pair of the whole model (the LP's own on the subset's pairs)."""
    priced: npt.NDArray[np.bool_]
    """The subset the LP was solved over (a mask over the whole model's pairs)."""
    open_value: FloatArray
    """Each depot's ``open`` in the LP's solution (fractional)."""
    rounds: int = 1
    """LP solves the column generation took."""


class PairPricer:
    """Prices every pair of ``problem`` against the duals of an LP over a subset of them."""

    def __init__(self, problem: FacilityProblem) -> None:
        self.problem = problem
        blocks, _ = model_rows(problem)
        layout = columns(problem)
        kept = [b for b in blocks if b.family not in PER_PAIR_FAMILIES]
        self.families = [(b.family, b.matrix.shape[0]) for b in kept]
        matrix = sp.csc_array(sp.vstack([b.matrix for b in kept], format="csc"))
        self.pair_rows = matrix[:, layout.assign : layout.piece_open]
        """Coefficients of each pair's column in the rows every subset shares."""

    def price(self, priced: npt.NDArray[np.bool_], deadline: float) -> Pricing | None:
        """Solve the LP over the pairs ``priced`` marks (by ``deadline``, a perf_counter value)
        and price every pair; None when the LP did not solve in time."""
        problem = self.problem
        subset = with_pairs(problem, priced)
        model = build_model(subset)
        model.setOptionValue("time_limit", max(0.1, deadline - time.perf_counter()))
        # the strong linking makes the LP degenerate: on capb's first round (8,000 pairs) the
        # dual simplex took 15.5 s, the interior point method (with crossover, for the
        # duals) 2.3 s to the same optimum
        model.setOptionValue("solver", "ipm")
        lp = solve_lp_until(model, deadline)
        if lp is None:
            return None
        blocks, _ = model_rows(subset)
        duals, start = [], 0
        for block in blocks:
            rows = block.matrix.shape[0]
            if block.family not in PER_PAIR_FAMILIES:
                duals.append(lp.row_dual[start : start + rows])
            start += rows
        reduced = problem.pair_cost - self.pair_rows.T @ np.concatenate(duals)
        layout = columns(subset)
        reduced[priced] = lp.col_dual[layout.assign : layout.piece_open]
        opened = lp.col_value[: problem.depots]
        pricing = Pricing(lp.objective, lp.objective, reduced, priced.copy(), opened)
        least = site_least(problem, pricing)
        return replace(pricing, bound=lp.objective + float(least.sum()))


def site_least(problem: FacilityProblem, pricing: Pricing) -> FloatArray:
    """Each site's least reduced cost over the pairs its LP left out, capped at 0."""
    least = np.zeros(problem.sites)
    np.minimum.at(least, problem.pair_site[~pricing.priced], pricing.reduced[~pricing.priced])
    return least


def generate_pairs(
    problem: FacilityProblem,
    initial: npt.NDArray[np.bool_],
    deadline: float,
    max_rounds: int = MAX_ROUNDS,
    first_deadline: float = -np.inf,
) -> tuple[npt.NDArray[np.bool_], Pricing | None]:
    """Column generation from the pairs ``initial`` marks until no pair prices out, the rounds
    run out or ``deadline`` (perf_counter) passes: the grown mask and the last LP's pricing.
    Until one LP has solved, ``first_deadline`` stands for ``deadline`` when it is later: the
    first LP's duals and open values are what the bound and the rounded start need."""
    pricer = PairPricer(problem)
    mask, last, widen = initial.copy(), None, 2
    for rounds in range(1, max_rounds + 1):
        until = deadline if last is not None else max(deadline, first_deadline)
        if time.perf_counter() >= until:
            break
        pricing = pricer.price(mask, until)
        if pricing is None:
            if time.perf_counter() >= until or mask.all():
                break
            # no LP optimum in time left: the subset is too narrow for the capacities
            mask |= cheapest_mask(problem, widen)
            widen *= 2
            continue
        last = replace(pricing, rounds=rounds)
        tolerance = 1e-9 * max(1.0, abs(pricing.lp_value))
        negative = np.flatnonzero((pricing.reduced < -tolerance) & ~mask)
        if not len(negative):
            break
        order = negative[np.lexsort((pricing.reduced[negative], problem.pair_site[negative]))]
        site = problem.pair_site[order]
        rank = np.arange(len(order)) - np.searchsorted(site, site, side="left")
        mask[order[rank < ADD_PER_SITE]] = True
    return mask, last


def cover(
    problem: FacilityProblem, mask: npt.NDArray[np.bool_], pricing: Pricing, upper: float
) -> tuple[npt.NDArray[np.bool_], bool]:
    """``mask`` plus every pair that may be in a single-sourced solution cheaper than ``upper``
    (see the module's docstring), and whether all of them fit in ``PAIR_BUDGET``; when they do
    not, ``mask`` comes back alone and the second value is False: a MILP over the budget's
    cheapest reduced costs found nothing better than the start on capb in 70 s (load 16), where
    one over each site's cheapest pairs plus the priced ones stays at the root LP's pace."""
    least = site_least(problem, pricing)
    lifted = pricing.reduced - least[problem.pair_site]
    needed = (lifted < upper - pricing.bound) & ~mask
    if needed.sum() > PAIR_BUDGET - int(mask.sum()):
        return mask, False
    return mask | needed, True


def rounded_start(
    problem: FacilityProblem, mask: npt.NDArray[np.bool_], pricing: Pricing, deadline: float
) -> Start | None:
    """A split-assignment start from the LP: the depots it opens at least half, then by their
    LP value until their capacity covers the demand, each site's demand sent over ``mask``'s
    pairs to them by the transportation LP (HiGHS, by ``deadline``). None for single-sourcing
    (the assignment would be a MILP) or when that LP finds no plan in time."""
    if problem.single_source or problem.contract is not None or problem.pieces:
        return None
    order = np.argsort(-pricing.open_value, kind="stable")
    is_open = pricing.open_value >= 0.5
    for j in order:
        if np.where(is_open, problem.capacity, 0.0).sum() >= problem.demand.sum():
            break
        is_open[j] = True
    count = int(is_open.sum())
    if not problem.min_open <= count <= problem.max_open:
        return None
    usable = mask & is_open[problem.pair_depot]
    model = build_model(with_pairs(problem, usable))
    fixed = is_open.astype(float)
    model.changeColsBounds(problem.depots, np.arange(problem.depots, dtype=np.int32), fixed, fixed)
    model.setOptionValue("time_limit", max(0.1, deadline - time.perf_counter()))
    lp = solve_lp_until(model, deadline)
    if lp is None:
        return None
    fraction = np.zeros(len(problem.pair_site))
    fraction[usable] = np.clip(lp.col_value[problem.depots : problem.depots + usable.sum()], 0, 1)
    return is_open, fraction
