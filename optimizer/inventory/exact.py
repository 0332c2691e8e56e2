"""Exact reference: a MILP that picks one level per (pool, part) from the level tables.

Binary ``y[i, s]`` = pair i holds s units (s = 0 .. top[i]); minimise
``Σ y[i, s] · (holding + emergency + credits)(i, s)`` subject to

* ``choose_one_level``: ``Σ_s y[i, s] = 1`` for every pair;
* ``group_fill_target``: ``Σ_i a[g, i] Σ_s fill(i, s) y[i, s] ≥ target_g`` per group with demand;
* ``holding_budget`` (when a budget is set): ``Σ y[i, s] · holding(i, s) ≤ budget``.

Any level outside a table only adds cost, so the tables lose nothing. Solved by HiGHS; status,
objective, bound and gap are read from HiGHS itself, never inferred.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import highspy
import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from aftersales.optimizer.highs_run import HIGHS_STATUS
from aftersales.optimizer.inventory.tables import LevelTables
from aftersales.optimizer.schema import SolveStatus
from aftersales.optimizer.work import configure_highs

CHOOSE_ONE_LEVEL = "choose_one_level"
GROUP_FILL_TARGET = "group_fill_target"
HOLDING_BUDGET = "holding_budget"
"""Names of the constraint families, in row order."""


@dataclass(frozen=True)
class ExactSolution:
    """What HiGHS reported, and the levels of its incumbent (None without one)."""

    status: SolveStatus
    levels: npt.NDArray[np.intp] | None
    objective: float | None
    bound: float | None
    gap: float | None
    seconds: float
    message: str


def _owner(tables: LevelTables) -> npt.NDArray[np.intp]:
    return np.repeat(np.arange(tables.pairs), np.diff(tables.start))


def choose_one_level_rows(tables: LevelTables) -> sp.csr_array:
    """One row per pair: its level indicators sum to 1."""
    columns = tables.start[-1]
    return sp.csr_array(
        (np.ones(columns), (_owner(tables), np.arange(columns))), shape=(tables.pairs, columns)
    )


def group_fill_rows(tables: LevelTables) -> tuple[sp.csr_array, npt.NDArray[np.intp]]:
    """One row per group with demand: coefficient a[g, i] · fill(i, s) on y[i, s]."""
    groups = np.flatnonzero(tables.group_demand_per_year > 0)
    weight = tables.group_weight[groups, :]  # groups × pairs
    expand = sp.csr_array(
        (tables.fill, (_owner(tables), np.arange(tables.start[-1]))),
        shape=(tables.pairs, tables.start[-1]),
    )
    return sp.csr_array(weight @ expand), groups


def holding_budget_row(tables: LevelTables) -> sp.csr_array:
    """Σ holding(i, s) · y[i, s]."""
    return sp.csr_array(tables.holding.reshape(1, -1))


def solve_exact(
    tables: LevelTables,
    group_target: npt.NDArray[np.float64],
    time_limit_seconds: float,
    *,
    holding_budget_per_year: float | None = None,
    mip_gap: float = 1e-9,
    deterministic: bool = False,
) -> ExactSolution:
    """Optimal levels (within ``mip_gap``) or what HiGHS found by the time limit.

    ``deterministic`` stops on a node budget instead (aftersales.optimizer.work).
    """
    started = time.perf_counter()
    fill_rows, groups = group_fill_rows(tables)
    blocks = [choose_one_level_rows(tables), fill_rows]
    lower = [np.ones(tables.pairs), group_target[groups]]
    upper = [np.ones(tables.pairs), np.full(len(groups), np.inf)]
    if holding_budget_per_year is not None:
        blocks.append(holding_budget_row(tables))
        lower.append(np.array([-np.inf]))
        upper.append(np.array([holding_budget_per_year]))
    matrix = sp.csc_array(sp.vstack(blocks, format="csc"))
    columns = matrix.shape[1]
    lp = highspy.HighsLp()
    lp.num_col_ = columns
    lp.num_row_ = matrix.shape[0]
    lp.col_cost_ = tables.cost
    lp.col_lower_ = np.zeros(columns)
    lp.col_upper_ = np.ones(columns)
    lp.row_lower_ = np.concatenate(lower)
    lp.row_upper_ = np.concatenate(upper)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = matrix.indptr.astype(np.int32)
    lp.a_matrix_.index_ = matrix.indices.astype(np.int32)
    lp.a_matrix_.value_ = matrix.data.astype(np.float64)
    lp.integrality_ = [highspy.HighsVarType.kInteger] * columns
    model = highspy.Highs()
    model.silent()
    model.passModel(lp)
    configure_highs(model, time_limit_seconds, mip_gap=mip_gap, seed=0, deterministic=deterministic)
    model.run()
    model_status = model.getModelStatus()
    status = HIGHS_STATUS.get(model_status, "error")
    info = model.getInfo()
    bound = float(info.mip_dual_bound) if np.isfinite(info.mip_dual_bound) else None
    levels = objective = gap = None
    if info.primal_solution_status == 2:  # kSolutionStatusFeasible
        values = np.asarray(model.getSolution().col_value)
        chosen = np.flatnonzero(values > 0.5)
        levels = (chosen - tables.start[_owner(tables)[chosen]]).astype(np.intp)
        objective = float(info.objective_function_value)
        gap = float(info.mip_gap) if np.isfinite(info.mip_gap) else None
    return ExactSolution(
        status=status,
        levels=levels,
        objective=objective,
        bound=bound,
        gap=gap,
        seconds=time.perf_counter() - started,
        message=model.modelStatusToString(model_status),
    )
