"""A CBC run with a hard wall-clock deadline, keeping the incumbent CBC had at that time.

CBC ignores its ``-sec`` limit inside its root LP and cut loops (the OR-Library capb model ran
14 minutes against 120 s). PuLP's ``PULP_CBC_CMD`` waits for the CBC process without a limit,
so the run is started here: the model is written as MPS the way PuLP does it, CBC runs as a
child process (in this process's group, so the API's kill of a solver's group reaches it), and
at the deadline it gets SIGINT — CBC's own handler then stops the search and writes the best
solution it has to the solution file — and, if it has not exited ``GRACE_SECONDS`` later,
SIGKILL. Whatever solution file is there is read back through PuLP (``readsol_MPS``); without
one the run reports no incumbent. PuLP's building and writing of the model come before and
are not bounded: they happen in this process, in Python.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import time
from dataclasses import dataclass

import pulp

logger = logging.getLogger("aftersales.optimizer")

GRACE_SECONDS = 2.0
"""Time CBC gets after SIGINT to write its incumbent before it is killed."""


@dataclass(frozen=True)
class CbcRun:
    """How a deadline-bound CBC run ended (the model's variables hold any solution read)."""

    found: bool
    """A solution file was read: the model's variables hold CBC's best solution."""
    interrupted: bool
    """The deadline stopped CBC (SIGINT), before it ended by itself."""
    killed: bool
    """CBC did not answer the interrupt in time and was killed."""
    seconds: float
    written_at: float
    """When the MPS file was written (perf_counter): PuLP's building and writing of the model
    are not bounded by the deadline (capb: 47 s at load 15 against a 25-s limit)."""


def solve_cbc_until(model: pulp.LpProblem, solver: pulp.PULP_CBC_CMD, deadline: float) -> CbcRun:
    """Solve ``model`` with CBC (``solver``'s path and options) and answer by ``deadline`` (a
    ``time.perf_counter()`` value) plus ``GRACE_SECONDS``, whatever CBC does."""
    started = time.perf_counter()
    mps, solution = solver.create_tmp_files(model.name, "mps", "sol")
    variables, variable_names, constraint_names, _ = model.writeMPS(mps, rename=1)
    written_at = time.perf_counter()
    if written_at >= deadline:  # writing the model used up the time
        solver.delete_tmp_files(mps, solution)
        logger.warning("CBC not started: the deadline passed while its model was written")
        return CbcRun(False, True, False, time.perf_counter() - started, written_at)
    options = " ".join(f"-{option}" for option in solver.options + solver.getOptions())
    seconds = max(1.0, deadline - time.perf_counter())
    args = [solver.path, mps, *options.split(), "-sec", f"{seconds:.1f}"]
    args += ["-solve", "-printingOptions", "all", "-solution", solution]
    process = subprocess.Popen(
        args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    interrupted = killed = False
    try:
        process.wait(timeout=max(0.0, deadline - time.perf_counter()))
    except subprocess.TimeoutExpired:
        interrupted = True
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            killed = True
            process.kill()
            process.wait()
        logger.warning(
            "CBC %s %.1f s past its deadline",
            "killed" if killed else "interrupted",
            time.perf_counter() - deadline,
        )
    found = os.path.exists(solution) and os.path.getsize(solution) > 0
    if found:
        status, values, _, _, _, sol_status = solver.readsol_MPS(
            solution, model, variables, variable_names, constraint_names
        )
        model.assignVarsVals(values)
        model.assignStatus(status, sol_status)
        found = sol_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible)
    solver.delete_tmp_files(mps, solution)
    return CbcRun(found, interrupted, killed, time.perf_counter() - started, written_at)
