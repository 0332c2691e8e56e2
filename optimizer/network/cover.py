"""Fewest depots that reach every site within a promise: the set-covering MILP.

Which promises are coverable at all, and by how many depots, is a strategic question of its own
(DESIGN.md: the strategic layer decides "which tier promises are coverable at all"); the p-center
(``graph_location``) asks it once per candidate radius. The model is the plain set cover —
``min Σ y_j`` s.t. ``Σ_{j reaches i} y_j ≥ 1`` for every site i — not the facility core with an
assignment column per pair: on pmed1 at radius 126 (cover number 6) HiGHS proved the plain model
in 0.23 s and the facility form in 26 s (load ≈ 8, 2 cores).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import highspy
import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_array

from aftersales.optimizer.highs_run import run_until
from aftersales.optimizer.work import configure_highs


@dataclass(frozen=True)
class Cover:
    """A cover (open mask, None without one), its size and HiGHS's proven lower bound."""

    is_open: npt.NDArray[np.bool_] | None
    count: int | None
    bound: float | None
    status: str

    def at_most(self, p: int) -> bool | None:
        """True: p depots suffice (a cover of ≤ p found); False: proven not; None: unknown."""
        if self.count is not None and self.count <= p:
            return True
        if self.status == "infeasible" or (self.bound is not None and self.bound > p + 1e-6):
            return False
        if self.status == "optimal":
            return False
        return None


def min_cover(reaches: npt.NDArray[np.bool_], time_limit_seconds: float, seed: int = 0) -> Cover:
    """Fewest depots so each site (row) is reached by one; ``reaches`` is (sites, depots)."""
    started = time.perf_counter()
    sites, depots = reaches.shape
    if not reaches.any(axis=1).all():
        return Cover(None, None, None, "infeasible")
    matrix = csr_array(reaches.astype(float))
    model = highspy.Highs()
    model.setOptionValue("output_flag", False)
    columns = np.arange(depots, dtype=np.int32)
    model.addVars(depots, np.zeros(depots), np.ones(depots))
    model.changeColsCost(depots, columns, np.ones(depots))
    model.changeColsIntegrality(depots, columns, np.full(depots, highspy.HighsVarType.kInteger))
    model.addRows(
        sites,
        np.ones(sites),
        np.full(sites, highspy.kHighsInf),
        matrix.nnz,
        matrix.indptr.astype(np.int32),
        matrix.indices.astype(np.int32),
        matrix.data,
    )
    configure_highs(
        model, time_limit_seconds, mip_gap=0.0, seed=seed, deterministic=False, started=started
    )
    outcome = run_until(model, started + time_limit_seconds)
    if outcome.values is None:
        return Cover(None, None, outcome.bound, outcome.status)
    is_open = outcome.values[:depots] > 0.5
    return Cover(is_open, int(is_open.sum()), outcome.bound, outcome.status)
