"""A HiGHS run with a hard wall-clock deadline: the model runs in a forked child process.

HiGHS checks its ``time_limit`` (and the interrupt callbacks of
``work.stop_at_deadline``) only
at some points: inside the root LP's dual simplex it does not, and the XL location model ran
over 5 minutes past a 102-s limit there. So ``run_until`` forks; the child runs the model
already built (copy-on-write, nothing is pickled on the way in) and sends through a pipe each
improving solution HiGHS reports (``cbMipImprovingSolution``), its dual bound about once a
second (``cbMipInterrupt``) and the final answer. The parent waits for that answer until the
deadline plus ``GRACE_SECONDS``; then it kills the child (SIGKILL by pid) and keeps the last
incumbent and bound the child reported.

The child stays in the parent's process group, so the API's kill of a solver's group (#14)
reaches it too; it also stops by itself when its parent is gone (checked in the interrupt
callbacks). Where ``os.fork`` is missing the model runs in this process, best effort.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import highspy
import numpy as np
from highspy.highs import HighsCallbackEvent

from aftersales.optimizer.arrays import FloatArray
from aftersales.optimizer.schema import SolveStatus

logger = logging.getLogger("aftersales.optimizer")

GRACE_SECONDS = 0.5
"""Time past the deadline the child may take to answer by itself before it is killed."""
BOUND_REPORT_SECONDS = 1.0
"""Least time between two dual-bound reports of the child."""

HIGHS_STATUS: dict[object, SolveStatus] = {
    highspy.HighsModelStatus.kOptimal: "optimal",
    highspy.HighsModelStatus.kInfeasible: "infeasible",
    highspy.HighsModelStatus.kTimeLimit: "time_limit",
    highspy.HighsModelStatus.kInterrupt: "time_limit",
    highspy.HighsModelStatus.kSolutionLimit: "time_limit",  # a deterministic run's node limit
}
_CLOCK_STOPS = (highspy.HighsModelStatus.kTimeLimit, highspy.HighsModelStatus.kInterrupt)
"""HiGHS statuses of a run the wall clock stopped (not a work limit)."""


@dataclass(frozen=True)
class HighsOutcome:
    """What a run produced: status, the best solution's column values and what was proven."""

    status: SolveStatus
    """``optimal``, ``infeasible``, ``time_limit`` or ``error``."""
    values: FloatArray | None
    """Column values of the best solution (None without one)."""
    objective: float | None
    bound: float | None
    gap: float | None
    message: str
    killed: bool = False
    """The child overran its deadline and was killed; the fields are its last reports."""
    clock_stopped: bool = False
    """The wall clock stopped the run (time limit, interrupt or kill), not a work limit."""


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def _final(model: highspy.Highs) -> HighsOutcome:
    """The outcome HiGHS reports after ``run`` returned."""
    info = model.getInfo()
    feasible = info.primal_solution_status == 2  # kSolutionStatusFeasible
    return HighsOutcome(
        status=HIGHS_STATUS.get(model.getModelStatus(), "error"),
        values=np.asarray(model.getSolution().col_value) if feasible else None,
        objective=float(info.objective_function_value) if feasible else None,
        bound=_finite(info.mip_dual_bound),
        gap=_finite(info.mip_gap) if feasible else None,
        message=model.modelStatusToString(model.getModelStatus()),
        clock_stopped=model.getModelStatus() in _CLOCK_STOPS,
    )


def _report_to(conn: Connection, model: highspy.Highs, parent: int) -> None:
    """Register the child's callbacks: incumbents and (throttled) bounds go to ``conn``."""
    last = [0.0]

    def improving(event: HighsCallbackEvent) -> None:
        out = event.data_out
        values = np.array(out.mip_solution, dtype=float)
        conn.send(("incumbent", float(out.objective_function_value), values, out.mip_dual_bound))

    def interrupt(event: HighsCallbackEvent) -> None:
        if os.getppid() != parent:
            event.interrupt()  # the parent is gone: nobody waits for this answer
        now = time.monotonic()
        if now - last[0] >= BOUND_REPORT_SECONDS:
            last[0] = now
            conn.send(("bound", float(event.data_out.mip_dual_bound)))

    model.cbMipImprovingSolution += improving
    model.cbMipInterrupt += interrupt


@dataclass(frozen=True)
class LpOutcome:
    """An LP's optimal primal and dual values (HiGHS's signs: ``row_dual`` ≤ 0 on a binding
    ≤ row of a minimisation, reduced cost = cost − Aᵀ·row_dual)."""

    objective: float
    col_value: FloatArray
    col_dual: FloatArray
    row_dual: FloatArray


def _lp_final(model: highspy.Highs) -> LpOutcome | None:
    """The LP's solution when HiGHS proved it optimal, else None."""
    if model.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    solution = model.getSolution()
    return LpOutcome(
        objective=float(model.getInfo().objective_function_value),
        col_value=np.asarray(solution.col_value),
        col_dual=np.asarray(solution.col_dual),
        row_dual=np.asarray(solution.row_dual),
    )


def _child(
    conn: Connection, model: highspy.Highs, parent: int, final: Callable[[highspy.Highs], Any]
) -> None:
    """Run the model and send the final outcome; never returns."""
    code = 0
    try:
        highspy.Highs.resetGlobalScheduler(False)  # the parent's worker threads are not here
        _report_to(conn, model, parent)
        model.run()
        conn.send(("done", final(model)))
    except BaseException:
        logger.exception("HiGHS child failed")
        code = 1
    finally:
        conn.close()
        os._exit(code)


class _Reports:
    """The parent's view of the child's reports so far."""

    def __init__(self) -> None:
        self.values: FloatArray | None = None
        self.objective: float | None = None
        self.bound: float | None = None
        self.done: Any = None
        self.finished = False
        """The child sent its final answer (``done``, which an LP's may give as None)."""

    def take(self, message: tuple[Any, ...]) -> None:
        kind = message[0]
        if kind == "incumbent":
            _, objective, values, bound = message
            if self.objective is None or objective < self.objective:
                self.objective, self.values = objective, values
            self.bound = _finite(bound) if _finite(bound) is not None else self.bound
        elif kind == "bound":
            self.bound = _finite(message[1]) if _finite(message[1]) is not None else self.bound
        elif kind == "done":
            self.done, self.finished = message[1], True

    def cut(self, reason: str) -> HighsOutcome:
        """The outcome of a child that gave no final answer."""
        gap = None
        if self.objective is not None and self.bound is not None and self.objective != 0:
            gap = max(0.0, (self.objective - self.bound) / abs(self.objective))
        return HighsOutcome(
            status="time_limit",
            values=self.values,
            objective=self.objective,
            bound=self.bound,
            gap=gap,
            message=reason,
            killed=True,
            clock_stopped=True,
        )


def solve_lp_until(model: highspy.Highs, deadline: float) -> LpOutcome | None:
    """Solve ``model``'s LP (relaxation) by ``deadline`` plus ``GRACE_SECONDS``, in a child
    killed at the deadline like ``run_until``'s; None unless HiGHS proved it optimal in time."""
    model.setOptionValue("solve_relaxation", True)
    outcome = run_until(model, deadline, _lp_final)
    return outcome if isinstance(outcome, LpOutcome) else None


def run_until(
    model: highspy.Highs,
    deadline: float,
    final: Callable[[highspy.Highs], Any] = _final,
) -> Any:
    """Run ``model`` (options and start already set) and answer by ``deadline`` (a
    ``time.perf_counter()`` value) plus ``GRACE_SECONDS``, whatever HiGHS does.

    The answer is ``final(model)`` computed in the child (``HighsOutcome`` by default), or the
    last reported incumbent (a ``HighsOutcome``) when the child had to be killed."""
    if not hasattr(os, "fork"):
        model.run()
        return final(model)
    receiver, sender = multiprocessing.Pipe(duplex=False)
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        receiver.close()
        _child(sender, model, parent, final)
    sender.close()
    reports = _Reports()
    try:
        while not reports.finished:
            left = deadline + GRACE_SECONDS - time.perf_counter()
            if left <= 0 or not receiver.poll(left):
                break
            try:
                reports.take(receiver.recv())
            except (EOFError, OSError):
                break  # the child exited (or died) without a final answer
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        receiver.close()
    if reports.finished:
        return reports.done
    late = time.perf_counter() - deadline
    reason = (
        f"HiGHS killed {late:.1f} s past its deadline"
        if late > 0
        else "HiGHS stopped without an answer"
    )
    logger.warning("%s; the last incumbent it reported is kept", reason)
    return reports.cut(reason)
