"""The CBC path keeps its deadline: a run that would overrun is stopped, its incumbent kept."""

from __future__ import annotations

import stat
import time
from pathlib import Path

import pulp
import pytest

from aftersales.benchmarks.orlib_cap import FOLDER, LARGE_FOLDER, facility_from_cap
from aftersales.datasets.orlib_cap import read_orlib_cap
from aftersales.optimizer import cbc_run
from aftersales.optimizer.network.pulp_model import build_pulp, solve_facility_cbc


def test_cbc_that_ignores_its_limit_and_the_interrupt_is_killed(tmp_path: Path) -> None:
    """A CBC stand-in that ignores ``-sec`` and SIGINT (as CBC does in its root LP): killed at
    deadline + grace, and no incumbent is claimed."""
    stubborn = tmp_path / "cbc"
    stubborn.write_text("#!/bin/sh\ntrap '' INT\nsleep 60\n")
    stubborn.chmod(stubborn.stat().st_mode | stat.S_IEXEC)
    model = build_pulp(facility_from_cap(read_orlib_cap(FOLDER / "cap41.txt")))[0]
    solver = pulp.COIN_CMD(msg=False, path=str(stubborn))
    deadline = time.perf_counter() + 2.0
    run = cbc_run.solve_cbc_until(model, solver, deadline)
    late = time.perf_counter() - deadline
    assert run.interrupted
    assert run.killed
    assert not run.found
    assert late <= cbc_run.GRACE_SECONDS + 1.0


def test_cbc_on_capb_is_stopped_at_its_deadline() -> None:
    """capb (100,000 pairs; CBC's root LP alone outlasts the limit; it ran 14 min against 120 s
    before): CBC returns within the grace period of its deadline (or of the end of writing its
    model, which PuLP does unbounded, in Python), never claiming optimality."""
    problem = facility_from_cap(read_orlib_cap(LARGE_FOLDER / "capb.txt", capacity=5000))
    model = build_pulp(problem)[0]
    solver = pulp.PULP_CBC_CMD(msg=False, gapRel=0.0)
    deadline = time.perf_counter() + 15.0
    run = cbc_run.solve_cbc_until(model, solver, deadline)
    late = time.perf_counter() - max(deadline, run.written_at)
    assert run.interrupted
    assert late <= cbc_run.GRACE_SECONDS + 1.0
    assert model.sol_status != pulp.LpSolutionOptimal


def test_cbc_path_reports_time_limit_not_optimal_when_cut() -> None:
    """Through the product's CBC path: status ``time_limit``, no bound claimed, and an
    incumbent only if CBC wrote one (its cost recomputed from the decision)."""
    problem = facility_from_cap(read_orlib_cap(LARGE_FOLDER / "capb.txt", capacity=5000))
    solution = solve_facility_cbc(problem, 25.0, mip_gap=0.0)
    assert solution.status == "time_limit"
    assert solution.bound is None
    if solution.objective is not None:
        assert solution.objective == pytest.approx(
            problem.objective(solution.is_open, solution.pair_fraction)
        )
