"""Contract rows of the location MILP: staffing per (depot, skill) pool and per-tier reach.

Columns appended after the facility model's (one block per pool q = (j, k), j-major):
``headcount[q, c]`` (binary: the pool has c technicians, c = 0..C_q), then ``hired[q]``,
``released[q]``, ``moved_in[q]``, ``moved_out[q]`` (integers). Rows, one family per function:

* ``staff_choice``: Σ_c headcount[q, c] = 1;
* ``staff_open``: Σ_{c≥1} headcount[q, c] ≤ open[j] (a closed depot has no technicians);
* ``staff_hours``: Σ_i work[i, j, k]·assign[i, j] ≤ u × hours × Σ_c c·headcount[q, c];
* ``staff_queue``: Σ_i load[i, j, k]·assign[i, j] ≤ Σ_c max_load(c, τ)·headcount[q, c]
  (Erlang C: 1 − C(c, a) ≥ τ; the table is exact at every integer headcount);
* ``staff_balance``: Σ_c c·headcount[q, c] − hired + released − moved_in + moved_out = today's;
* ``staff_leavers``: moved_out + released ≤ today's;
* ``staff_moves``: Σ_j moved_in[j, k] = Σ_j moved_out[j, k] per skill;
* ``staff_link``: assign[i, j] ≤ Σ_{c ≥ c_min} headcount[q, c] for every pair with work of skill
  k, c_min the headcount the site alone needs — the linking that makes the LP bound tight (a
  pool with any work needs its first technicians, like ``link_open`` for depots);
* ``tier_reach`` (binding mode): Σ_{i ∈ T, within[i, j]} calls_i·assign[i, j] ≥ ρ_T Σ_{i ∈ T}
  calls_i.

Objective: hired × (yearly labour + hiring cost) + released × (release cost − the pool's mean
labour) + moved_in × relocation cost, plus today's labour as a constant.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from aftersales.optimizer.arrays import BoolArray, FloatArray, IntArray
from aftersales.optimizer.staffing.data import (
    MAX_HEADCOUNT_PER_POOL,
    StaffingData,
    StaffingDecision,
)

STAFF_CHOICE = "staff_choice"
STAFF_OPEN = "staff_open"
STAFF_HOURS = "staff_hours"
STAFF_QUEUE = "staff_queue"
STAFF_BALANCE = "staff_balance"
STAFF_LEAVERS = "staff_leavers"
STAFF_MOVES = "staff_moves"
STAFF_LINK = "staff_link"
TIER_REACH = "tier_reach"

LINK_ROWS = False
"""Whether to add the ``staff_link`` rows. Off: on S seed 0 they left the root bound and the
time to optimality unchanged (44 s vs 46 s), and on M they add about a million nonzeros."""

FLOWS = 4
"""hired, released, moved_in, moved_out per pool."""


@dataclass(frozen=True)
class Contract:
    """What the contract rows need, by index (sites i, depots j, skills k, tiers t)."""

    minutes: FloatArray
    """Depot → site travel minutes, shape (sites, depots)."""
    within: BoolArray
    calls: FloatArray
    """Corrective calls per site per year (the SLA calls)."""
    site_tier: IntArray
    reach_required: FloatArray
    """ρ_T per tier; 0 where nothing is required (priced mode)."""
    staffing: StaffingData | None
    headcount_limit: IntArray | None = None
    """C_q per pool, shape (depots, skills)."""
    load_table: FloatArray | None = None
    """max_load(c, τ) for c = 0..max C_q."""

    @property
    def pools(self) -> int:
        if self.staffing is None:
            return 0
        return self.staffing.existing.size

    def headcount_offsets(self) -> IntArray:
        """Start of each pool's headcount columns inside the block, then the block's flows."""
        assert self.headcount_limit is not None
        sizes = self.headcount_limit.ravel() + 1
        return np.concatenate([[0], np.cumsum(sizes)]).astype(np.intp)

    @property
    def width(self) -> int:
        """Columns this block appends."""
        if self.staffing is None:
            return 0
        return int(self.headcount_offsets()[-1]) + FLOWS * self.pools


def with_limits(contract: Contract, pair_site: IntArray, pair_depot: IntArray) -> Contract:
    """Headcount limits per pool: enough for every candidate site of the depot, plus today's."""
    staffing = contract.staffing
    if staffing is None:
        return contract
    depots, skills = staffing.existing.shape
    table = staffing.load_table(MAX_HEADCOUNT_PER_POOL)
    limit = np.zeros((depots, skills), dtype=np.intp)
    for k in range(skills):
        work = staffing.work_hours(contract.minutes, k)[pair_site, pair_depot]
        load = staffing.load_erlangs(contract.minutes, k)[pair_site, pair_depot]
        total_work = np.bincount(pair_depot, weights=work, minlength=depots)
        total_load = np.bincount(pair_depot, weights=load, minlength=depots)
        for j in range(depots):
            needed = staffing.headcount_needed(total_work[j], total_load[j], table)
            limit[j, k] = min(MAX_HEADCOUNT_PER_POOL, max(needed, staffing.existing[j, k]))
    return replace(contract, headcount_limit=limit, load_table=table[: int(limit.max()) + 1])


@dataclass(frozen=True)
class ContractBlock:
    """Appended columns (cost, bounds, integrality) and rows over the whole column vector."""

    cost: FloatArray
    upper: FloatArray
    offset: float
    rows: list[tuple[str, sp.coo_array, FloatArray, FloatArray]]


def contract_block(
    contract: Contract,
    pair_site: IntArray,
    pair_depot: IntArray,
    assign_start: int,
    block_start: int,
) -> ContractBlock:
    """Every contract row family over a model whose block starts at column ``block_start``."""
    width = block_start + contract.width
    rows = []
    reach = _reach_rows(contract, pair_site, pair_depot, assign_start, width)
    if reach is not None:
        rows.append(reach)
    staffing = contract.staffing
    if staffing is None:
        return ContractBlock(np.zeros(0), np.zeros(0), 0.0, rows)
    assert contract.headcount_limit is not None
    assert contract.load_table is not None
    pools = contract.pools
    flows = block_start + int(contract.headcount_offsets()[-1])
    hired, released = flows + np.arange(pools), flows + pools + np.arange(pools)
    moved_in, moved_out = flows + 2 * pools + np.arange(pools), flows + 3 * pools + np.arange(pools)
    counts = [np.arange(c + 1) for c in contract.headcount_limit.ravel()]
    pool_of_col = np.concatenate([np.full(len(c), q) for q, c in enumerate(counts)])
    count_of_col = np.concatenate(counts).astype(float)
    headcount_cols = block_start + np.arange(len(pool_of_col))
    existing = staffing.existing.ravel().astype(float)
    skills = staffing.existing.shape[1]
    rows.append(_rows(STAFF_CHOICE, pools, width, [(pool_of_col, headcount_cols, 1.0)], 1.0, 1.0))
    depot_of_pool = np.arange(pools) // skills
    staffed = count_of_col > 0
    rows.append(
        _rows(
            STAFF_OPEN,
            pools,
            width,
            [
                (pool_of_col[staffed], headcount_cols[staffed], 1.0),
                (np.arange(pools), depot_of_pool, -1.0),
            ],
            -np.inf,
            0.0,
        )
    )
    capacity = staffing.max_utilisation * staffing.hours_per_technician
    table = contract.load_table
    work_terms, load_terms = [], []
    for k in range(skills):
        work = staffing.work_hours(contract.minutes, k)[pair_site, pair_depot]
        load = staffing.load_erlangs(contract.minutes, k)[pair_site, pair_depot]
        used = work > 0
        pool = pair_depot[used] * skills + k
        work_terms.append((pool, assign_start + np.flatnonzero(used), work[used]))
        load_terms.append((pool, assign_start + np.flatnonzero(used), load[used]))
    if LINK_ROWS:
        rows.append(_link_rows(contract, pair_site, pair_depot, assign_start, block_start, width))
    rows.append(
        _rows(
            STAFF_HOURS,
            pools,
            width,
            [*work_terms, (pool_of_col, headcount_cols, -capacity * count_of_col)],
            -np.inf,
            0.0,
        )
    )
    rows.append(
        _rows(
            STAFF_QUEUE,
            pools,
            width,
            [*load_terms, (pool_of_col, headcount_cols, -table[count_of_col.astype(int)])],
            -np.inf,
            0.0,
        )
    )
    every = np.arange(pools)
    rows.append(
        _rows(
            STAFF_BALANCE,
            pools,
            width,
            [
                (pool_of_col, headcount_cols, count_of_col),
                (every, hired, -1.0),
                (every, released, 1.0),
                (every, moved_in, -1.0),
                (every, moved_out, 1.0),
            ],
            existing,
            existing,
        )
    )
    rows.append(
        _rows(
            STAFF_LEAVERS,
            pools,
            width,
            [(every, moved_out, 1.0), (every, released, 1.0)],
            -np.inf,
            existing,
        )
    )
    skill_of_pool = every % skills
    rows.append(
        _rows(
            STAFF_MOVES,
            skills,
            width,
            [(skill_of_pool, moved_in, 1.0), (skill_of_pool, moved_out, -1.0)],
            0.0,
            0.0,
        )
    )
    labour = staffing.labour_per_year.ravel()
    cost = np.concatenate(
        [
            np.zeros(len(pool_of_col)),
            np.full(pools, staffing.hire_cost_per_year + staffing.hiring_cost),
            staffing.release_cost - labour,
            np.full(pools, staffing.relocation_cost),
            np.zeros(pools),
        ]
    )
    upper = np.concatenate(
        [
            np.ones(len(pool_of_col)),
            np.full(pools, float(MAX_HEADCOUNT_PER_POOL)),
            existing,
            np.full(pools, float(existing.sum())),
            existing,
        ]
    )
    return ContractBlock(cost, upper, float(labour @ existing), rows)


def _link_rows(
    contract: Contract,
    pair_site: IntArray,
    pair_depot: IntArray,
    assign_start: int,
    block_start: int,
    width: int,
) -> tuple[str, sp.coo_array, FloatArray, FloatArray]:
    """assign[p] − Σ_{c ≥ c_min(p, k)} headcount[q, c] ≤ 0 per pair p and skill k it works."""
    staffing = contract.staffing
    assert staffing is not None
    assert contract.headcount_limit is not None
    assert contract.load_table is not None
    skills = staffing.existing.shape[1]
    limit = contract.headcount_limit.ravel()
    offsets = block_start + contract.headcount_offsets()
    capacity = staffing.max_utilisation * staffing.hours_per_technician
    rows, cols, values = [], [], []
    count = 0
    for k in range(skills):
        work = staffing.work_hours(contract.minutes, k)[pair_site, pair_depot]
        load = staffing.load_erlangs(contract.minutes, k)[pair_site, pair_depot]
        used = np.flatnonzero(work > 0)
        pool = pair_depot[used] * skills + k
        by_load = np.searchsorted(contract.load_table, load[used] - 1e-12)
        by_hours = np.ceil(work[used] / capacity - 1e-9).astype(np.intp)
        first = np.minimum(np.maximum(by_load, by_hours), limit[pool] + 1)
        width_of_row = limit[pool] + 1 - first
        row = count + np.arange(len(used))
        rows += [row, np.repeat(row, width_of_row)]
        starts = np.repeat(offsets[pool] + first, width_of_row)
        within = np.arange(width_of_row.sum()) - np.repeat(
            np.cumsum(width_of_row) - width_of_row, width_of_row
        )
        cols += [assign_start + used, starts + within]
        values += [np.ones(len(used)), -np.ones(int(width_of_row.sum()))]
        count += len(used)
    matrix = sp.coo_array(
        (np.concatenate(values), (np.concatenate(rows), np.concatenate(cols))),
        shape=(count, width),
    )
    return STAFF_LINK, matrix, np.full(count, -np.inf), np.zeros(count)


def _reach_rows(
    contract: Contract, pair_site: IntArray, pair_depot: IntArray, assign_start: int, width: int
) -> tuple[str, sp.coo_array, FloatArray, FloatArray] | None:
    """Σ calls of reached sites of tier t ≥ ρ_t × Σ calls of tier t (tiers that require reach)."""
    required = contract.reach_required
    tiers = np.flatnonzero(required > 0)
    if not len(tiers):
        return None
    row_of_tier = np.full(len(required), -1)
    row_of_tier[tiers] = np.arange(len(tiers))
    tier_of_pair = row_of_tier[contract.site_tier[pair_site]]
    use = (tier_of_pair >= 0) & contract.within[pair_site, pair_depot]
    totals = np.bincount(contract.site_tier, weights=contract.calls, minlength=len(required))
    lower = required[tiers] * totals[tiers] * (1.0 - 1e-9)
    return _rows(
        TIER_REACH,
        len(tiers),
        width,
        [(tier_of_pair[use], assign_start + np.flatnonzero(use), contract.calls[pair_site[use]])],
        lower,
        np.inf,
    )


def _rows(
    family: str,
    count: int,
    width: int,
    terms: list[tuple[npt.ArrayLike, npt.ArrayLike, npt.ArrayLike]],
    lower: float | FloatArray,
    upper: float | FloatArray,
) -> tuple[str, sp.coo_array, FloatArray, FloatArray]:
    """One row family from (row, column, value) terms; scalar bounds are broadcast."""
    row = np.concatenate([np.broadcast_to(np.asarray(r), np.shape(c)) for r, c, _ in terms])
    col = np.concatenate([np.asarray(c) for _, c, _ in terms])
    value = np.concatenate(
        [np.broadcast_to(np.asarray(v, dtype=float), np.shape(c)) for _, c, v in terms]
    )
    matrix = sp.coo_array((value, (row, col)), shape=(count, width))
    return (
        family,
        matrix,
        np.broadcast_to(np.asarray(lower, dtype=float), (count,)).copy(),
        np.broadcast_to(np.asarray(upper, dtype=float), (count,)).copy(),
    )


def read_staffing(contract: Contract, values: FloatArray) -> StaffingDecision | None:
    """The staffing decision in a solution's block values (None without staffing)."""
    staffing = contract.staffing
    if staffing is None or contract.headcount_limit is None:
        return None
    shape = staffing.existing.shape
    offsets = contract.headcount_offsets()
    headcount = np.array(
        [int(np.argmax(values[offsets[q] : offsets[q + 1]])) for q in range(contract.pools)]
    )
    flows = np.rint(values[offsets[-1] :]).astype(np.intp).reshape(FLOWS, -1)
    return StaffingDecision(headcount.reshape(shape), *(flow.reshape(shape) for flow in flows))
