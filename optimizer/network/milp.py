"""The facility location MILP, built as sparse blocks and passed to HiGHS in one call.

Columns: ``open[j]`` (binary) for every depot, then ``assign[p]`` for every candidate pair p =
(site, depot) — binary under single-sourcing, in [0, 1] when a site may be split — then, when
the problem prices stock with a concave curve of S pieces, ``piece_open[j, s]`` (binary: depot j
is priced on piece s) and ``piece_load[j, s]`` (its pooled demand on that piece). Since the curve
is the minimum of its pieces, the solver picks the cheapest piece by itself; no breakpoint ranges
are needed. One function per constraint family; the family names are the row-name prefixes
diagnostics refer to.

Status, objective, bound and gap are read from HiGHS itself (``getModelStatus``, ``getInfo``):
a modelling layer's mapping once reported "Optimal" for a solve stopped at its time limit. The
run itself has a hard deadline (``highs_run.run_until``: a child process, killed if it overruns,
its last reported incumbent kept).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace

import highspy
import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from aftersales.optimizer.highs_run import HighsOutcome, run_until
from aftersales.optimizer.network.contract import ContractBlock, contract_block, read_staffing
from aftersales.optimizer.network.facility import FacilityProblem, Start
from aftersales.optimizer.network.start import contract_values, depot_of_pairs
from aftersales.optimizer.schema import SolveStatus
from aftersales.optimizer.staffing.data import StaffingDecision
from aftersales.optimizer.work import CUT_BY_CAP, cap_seconds, configure_highs

logger = logging.getLogger("aftersales.optimizer.network")

ASSIGN_ONCE = "assign_once"
LINK_OPEN = "link_open"
CAPACITY = "capacity"
DEPOT_COUNT = "depot_count"
PIECE_CHOICE = "stock_piece_choice"
PIECE_LOAD = "stock_piece_load"
POOLED_LOAD = "stock_pooled_load"


@dataclass(frozen=True)
class Columns:
    """Where each variable family starts in the column vector."""

    depots: int
    pairs: int
    pieces: int

    @property
    def assign(self) -> int:
        return self.depots

    @property
    def piece_open(self) -> int:
        return self.depots + self.pairs

    @property
    def piece_load(self) -> int:
        return self.piece_open + self.depots * self.pieces

    @property
    def width(self) -> int:
        return self.piece_load + self.depots * self.pieces


def columns(problem: FacilityProblem) -> Columns:
    """Column layout of a problem's model."""
    return Columns(problem.depots, len(problem.pair_site), problem.pieces)


@dataclass(frozen=True)
class RowBlock:
    """Rows of one constraint family: coefficients over all columns and row bounds."""

    family: str
    matrix: sp.coo_array
    lower: npt.NDArray[np.float64]
    upper: npt.NDArray[np.float64]


@dataclass(frozen=True)
class FacilitySolution:
    """Open mask, per-pair fractions and what HiGHS proved."""

    status: SolveStatus
    is_open: npt.NDArray[np.bool_]
    pair_fraction: npt.NDArray[np.float64]
    objective: float | None
    bound: float | None
    gap: float | None
    build_seconds: float
    solve_seconds: float
    message: str = ""
    staffing: StaffingDecision | None = None
    """Headcount and flows per pool when the model carries the contract rows."""

    @property
    def has_solution(self) -> bool:
        return self.objective is not None


def assign_once_rows(problem: FacilityProblem) -> RowBlock:
    """Σ_j assign[i, j] = 1 for every site i."""
    pairs = len(problem.pair_site)
    matrix = sp.coo_array(
        (np.ones(pairs), (problem.pair_site, problem.depots + np.arange(pairs))),
        shape=(problem.sites, columns(problem).width),
    )
    ones = np.ones(problem.sites)
    return RowBlock(ASSIGN_ONCE, matrix, ones, ones)


def link_open_rows(problem: FacilityProblem) -> RowBlock:
    """assign[i, j] ≤ open[j]: the strong linking that makes the LP bound tight."""
    pairs = len(problem.pair_site)
    rows = np.concatenate([np.arange(pairs), np.arange(pairs)])
    cols = np.concatenate([problem.depots + np.arange(pairs), problem.pair_depot])
    values = np.concatenate([np.ones(pairs), -np.ones(pairs)])
    matrix = sp.coo_array((values, (rows, cols)), shape=(pairs, columns(problem).width))
    return RowBlock(LINK_OPEN, matrix, np.full(pairs, -np.inf), np.zeros(pairs))


def capacity_rows(problem: FacilityProblem) -> RowBlock:
    """Σ_i demand[i]·assign[i, j] ≤ capacity[j]·open[j] for every capacitated depot."""
    limited = np.flatnonzero(np.isfinite(problem.capacity))
    row_of_depot = np.full(problem.depots, -1)
    row_of_depot[limited] = np.arange(len(limited))
    use = row_of_depot[problem.pair_depot] >= 0
    rows = np.concatenate([row_of_depot[problem.pair_depot[use]], np.arange(len(limited))])
    cols = np.concatenate([problem.depots + np.flatnonzero(use), limited])
    values = np.concatenate([problem.demand[problem.pair_site[use]], -problem.capacity[limited]])
    matrix = sp.coo_array((values, (rows, cols)), shape=(len(limited), columns(problem).width))
    return RowBlock(CAPACITY, matrix, np.full(len(limited), -np.inf), np.zeros(len(limited)))


def depot_count_rows(problem: FacilityProblem) -> RowBlock:
    """min_open ≤ Σ_j open[j] ≤ max_open (omitted when it cannot bind)."""
    width = columns(problem).width
    if problem.min_open <= 0 and problem.max_open >= problem.depots:
        return RowBlock(DEPOT_COUNT, sp.coo_array((0, width)), np.empty(0), np.empty(0))
    matrix = sp.coo_array(
        (np.ones(problem.depots), (np.zeros(problem.depots, dtype=int), np.arange(problem.depots))),
        shape=(1, width),
    )
    return RowBlock(
        DEPOT_COUNT,
        matrix,
        np.array([float(problem.min_open)]),
        np.array([float(problem.max_open)]),
    )


def piece_choice_rows(problem: FacilityProblem) -> RowBlock:
    """Σ_s piece_open[j, s] = open[j]: an open depot is priced on exactly one piece."""
    layout, m, pieces = columns(problem), problem.depots, problem.pieces
    depot = np.repeat(np.arange(m), pieces)
    rows = np.concatenate([depot, np.arange(m)])
    cols = np.concatenate([layout.piece_open + np.arange(m * pieces), np.arange(m)])
    values = np.concatenate([np.ones(m * pieces), -np.ones(m)])
    matrix = sp.coo_array((values, (rows, cols)), shape=(m, layout.width))
    return RowBlock(PIECE_CHOICE, matrix, np.zeros(m), np.zeros(m))


def piece_load_rows(problem: FacilityProblem) -> RowBlock:
    """piece_load[j, s] ≤ total pooled demand × piece_open[j, s]: load only on the chosen piece."""
    layout, count = columns(problem), problem.depots * problem.pieces
    total = float(problem.pooled_demand.sum()) if problem.pooled_demand is not None else 0.0
    rows = np.concatenate([np.arange(count), np.arange(count)])
    cols = np.concatenate(
        [layout.piece_load + np.arange(count), layout.piece_open + np.arange(count)]
    )
    values = np.concatenate([np.ones(count), np.full(count, -total)])
    matrix = sp.coo_array((values, (rows, cols)), shape=(count, layout.width))
    return RowBlock(PIECE_LOAD, matrix, np.full(count, -np.inf), np.zeros(count))


def pooled_load_rows(problem: FacilityProblem) -> RowBlock:
    """Σ_s piece_load[j, s] = Σ_i pooled_demand[i]·assign[i, j]: the load the curve prices."""
    layout, m, pieces = columns(problem), problem.depots, problem.pieces
    pairs = len(problem.pair_site)
    assert problem.pooled_demand is not None
    rows = np.concatenate([np.repeat(np.arange(m), pieces), problem.pair_depot])
    cols = np.concatenate(
        [layout.piece_load + np.arange(m * pieces), layout.assign + np.arange(pairs)]
    )
    values = np.concatenate([np.ones(m * pieces), -problem.pooled_demand[problem.pair_site]])
    matrix = sp.coo_array((values, (rows, cols)), shape=(m, layout.width))
    return RowBlock(POOLED_LOAD, matrix, np.zeros(m), np.zeros(m))


def contract_columns(problem: FacilityProblem) -> ContractBlock | None:
    """The contract block (staffing, tier reach) of a problem that carries one."""
    if problem.contract is None:
        return None
    layout = columns(problem)
    return contract_block(
        problem.contract, problem.pair_site, problem.pair_depot, layout.assign, layout.width
    )


def model_rows(problem: FacilityProblem) -> tuple[list[RowBlock], ContractBlock | None]:
    """Every row family of the model, in row order, over the whole column vector (the contract
    block's columns included), and that block (None without a contract)."""
    blocks = [
        assign_once_rows(problem),
        link_open_rows(problem),
        capacity_rows(problem),
        depot_count_rows(problem),
    ]
    if problem.pieces:
        blocks += [piece_choice_rows(problem), piece_load_rows(problem), pooled_load_rows(problem)]
    extra = contract_columns(problem)
    if extra is not None:
        width = columns(problem).width + len(extra.cost)
        blocks = [_widen(b, width) for b in blocks]
        blocks += [RowBlock(name, m, lo, up) for name, m, lo, up in extra.rows]
    return blocks, extra


def build_model(problem: FacilityProblem) -> highspy.Highs:
    """Assemble every family into one column-wise HiGHS model."""
    blocks, extra = model_rows(problem)
    layout = columns(problem)
    width = layout.width + (len(extra.cost) if extra else 0)
    matrix = sp.csc_array(sp.vstack([b.matrix for b in blocks], format="csc"))
    lp = highspy.HighsLp()
    lp.num_col_ = width
    lp.num_row_ = matrix.shape[0]
    extra_cost = [extra.cost] if extra else []
    lp.col_cost_ = np.concatenate(
        [problem.open_cost, problem.pair_cost, *_piece_costs(problem), *extra_cost]
    )
    lp.col_lower_ = np.zeros(width)
    lp.col_upper_ = np.concatenate(
        [
            np.ones(layout.piece_load),
            np.full(layout.width - layout.piece_load, np.inf),
            *([extra.upper] if extra else []),
        ]
    )
    lp.row_lower_ = np.concatenate([b.lower for b in blocks])
    lp.row_upper_ = np.concatenate([b.upper for b in blocks])
    lp.offset_ = problem.offset + (extra.offset if extra else 0.0)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = matrix.indptr.astype(np.int32)
    lp.a_matrix_.index_ = matrix.indices.astype(np.int32)
    lp.a_matrix_.value_ = matrix.data.astype(np.float64)
    integer = highspy.HighsVarType.kInteger
    continuous = highspy.HighsVarType.kContinuous
    pair_type = integer if problem.single_source else continuous
    pieces = problem.depots * problem.pieces
    lp.integrality_ = (
        [integer] * problem.depots
        + [pair_type] * len(problem.pair_site)
        + [integer] * pieces
        + [continuous] * pieces
        + [integer] * (width - layout.width)
    )
    model = highspy.Highs()
    model.silent()
    model.passModel(lp)
    return model


def _widen(block: RowBlock, width: int) -> RowBlock:
    """The same rows over a wider column vector (appended columns get no coefficient)."""
    matrix = sp.coo_array(
        (block.matrix.data, (block.matrix.row, block.matrix.col)),
        shape=(block.matrix.shape[0], width),
    )
    return RowBlock(block.family, matrix, block.lower, block.upper)


def _piece_costs(problem: FacilityProblem) -> list[npt.NDArray[np.float64]]:
    """Objective coefficients of piece_open (intercepts) and piece_load (slopes)."""
    if problem.stock_curve is None:
        return []
    slopes, intercepts = problem.stock_curve
    return [np.tile(intercepts, problem.depots), np.tile(slopes, problem.depots)]


def piece_values(
    problem: FacilityProblem, is_open: npt.NDArray[np.bool_], pair_fraction: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """piece_open and piece_load columns matching a solution: each open depot on its best piece."""
    if not problem.pieces:
        return np.zeros(0)
    best = np.argmin(problem.piece_costs(pair_fraction), axis=0)
    chosen = np.zeros((problem.depots, problem.pieces))
    chosen[np.arange(problem.depots), best] = is_open
    load = problem.pooled_load(pair_fraction)
    return np.concatenate([chosen.ravel(), (chosen * load[:, None]).ravel()])


def solve_facility(
    problem: FacilityProblem,
    time_limit_seconds: float,
    mip_gap: float = 1e-4,
    seed: int = 0,
    warm_start: Start | None = None,
    deterministic: bool = False,
    interior_point: bool = False,
) -> FacilitySolution:
    """Solve with HiGHS within the time limit, optionally from a feasible start.

    ``deterministic`` stops on a node budget instead of the clock (aftersales.optimizer.work).
    ``interior_point`` has HiGHS solve its MIP LPs by interior point (``mip_lp_solver``): the
    strong linking makes them degenerate. capb at capacity 5,000 over its 12,134 cheapest pairs,
    60 s each, side by side (load 15): the default left the root LP unfinished (bound 0),
    interior point finished it and found an incumbent. On M's 20,000 pairs (network suite, 30 s,
    load 17) it did harm: time_limit at +31 % against the reference's optimum in 21 s.
    """
    started = time.perf_counter()
    model = build_model(problem)
    build_seconds = time.perf_counter() - started
    configure_highs(
        model,
        time_limit_seconds,
        mip_gap=mip_gap,
        seed=seed,
        deterministic=deterministic,
        started=started,
    )
    if interior_point:
        model.setOptionValue("mip_lp_solver", "ipm")
    if problem.contract is not None and problem.contract.staffing is not None:
        # HiGHS's MIP presolve spent 34 s on M's contract model (26k columns, 25k binary
        # headcount choices) without finishing; without it the root LP bound came in 32 s.
        model.setOptionValue("presolve", "off")
    if warm_start is not None:
        solution = highspy.HighsSolution()
        is_open, fraction = warm_start
        solution.col_value = np.concatenate(
            [
                is_open.astype(float),
                fraction,
                piece_values(problem, is_open, fraction),
                contract_values(problem, depot_of_pairs(problem, fraction)),
            ]
        ).tolist()
        solution.value_valid = True
        model.setSolution(solution)
    outcome = run_until(model, started + cap_seconds(time_limit_seconds, deterministic))
    solve_seconds = time.perf_counter() - started - build_seconds
    solution = _read_solution(problem, outcome, build_seconds, solve_seconds)
    if deterministic and outcome.clock_stopped:
        logger.warning("network MILP: %s", CUT_BY_CAP)
        return replace(solution, message=f"{solution.message}; {CUT_BY_CAP}")
    return solution


def _read_solution(
    problem: FacilityProblem, outcome: HighsOutcome, build_seconds: float, solve_seconds: float
) -> FacilitySolution:
    if outcome.values is None:
        return FacilitySolution(
            status=outcome.status,
            is_open=np.zeros(problem.depots, dtype=bool),
            pair_fraction=np.zeros(0),
            objective=None,
            bound=outcome.bound,
            gap=None,
            build_seconds=build_seconds,
            solve_seconds=solve_seconds,
            message=outcome.message,
        )
    values = outcome.values
    layout = columns(problem)
    is_open = values[: problem.depots] > 0.5
    fraction = np.clip(values[layout.assign : layout.piece_open], 0.0, 1.0)
    if problem.single_source:
        fraction = np.round(fraction)
    staffing = (
        read_staffing(problem.contract, values[layout.width :])
        if problem.contract is not None
        else None
    )
    return FacilitySolution(
        status=outcome.status,  # type: ignore[arg-type]
        is_open=is_open,
        pair_fraction=fraction,
        objective=outcome.objective,
        bound=outcome.bound,
        gap=outcome.gap,
        build_seconds=build_seconds,
        solve_seconds=solve_seconds,
        message=outcome.message,
        staffing=staffing,
    )
