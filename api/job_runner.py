"""One attempt at one job on a Celery worker: claim it, solve it in a child process group.

The job row is the truth; the broker message only says "job X may be waiting". The attempt claims
the row (``JobStore.claim_job``: a queued job, or a running one whose lease expired because its
worker died), then runs ``solver.solve_in_process`` in a process of the worker's fork server (the
local pool's: solver modules preloaded once, not imported per job; the worker uses a thread pool,
so its processes may have children), which leads a process group of its own, and supervises it:
progress messages go to the row (so ``/events`` works as with the local pool), the
lease is renewed every third of ``lease_seconds``, the cancel flag is polled every
``flag_poll_seconds``, and on cancel, deadline or a lost lease the attempt SIGKILLs the child's
whole process group itself (Celery's ``revoke(terminate=True)`` is never used: it signals a pool
process that may have moved on to another task). The result is written only while the attempt
still holds the lease.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from aftersales.api.ending import death_reason, record_end
from aftersales.api.settings import Settings
from aftersales.api.solver import solve_in_process
from aftersales.api.store import ClaimOutcome, Job, JobStore
from aftersales.api.workers import (
    kill_group,
    solve_options_json,
    solve_seconds_cap,
    solver_context,
)

logger = logging.getLogger("aftersales.api.job_runner")


@dataclass
class _Child:
    """A running solve: the process, what it said, why it was stopped."""

    process: BaseProcess
    outcome: tuple[str, Any] | None = None
    stop_reason: str | None = None

    def kill(self, reason: str) -> None:
        """SIGKILL the child's process group (the solver and e.g. ``cbc``), once."""
        if self.stop_reason is None:
            self.stop_reason = reason
        kill_group(self.process.pid or 0)
        self.process.kill()


@dataclass
class JobRunner:
    """Runs attempts for a worker identified by ``owner`` (host, pid and a random id)."""

    store: JobStore
    settings: Settings
    owner: str
    on_finished: Callable[[str], None] = lambda _job_id: None
    flag_poll_seconds: float = 0.5

    def run(self, job_id: str) -> ClaimOutcome:
        """One attempt at ``job_id``; returns what the claim gave (``claimed`` once solved)."""
        outcome, job = self.store.claim_job(
            job_id,
            self.owner,
            self.settings.lease_seconds,
            self.settings.tenant_max_running,
            self.settings.max_attempts,
        )
        if outcome == "ended":
            self.on_finished(job_id)
        if outcome != "claimed" or job is None:
            logger.info("job %s not run here: %s", job_id, outcome)
            return outcome
        if self._solve(job):
            self.on_finished(job_id)
        return outcome

    def _solve(self, job: Job) -> bool:
        """Solve a claimed job; True if this attempt ended it."""
        folder = tempfile.mkdtemp(prefix=f"aftersales-{job.id[:8]}-")
        context = solver_context()
        receiver, sender = context.Pipe(duplex=False)
        try:
            process = context.Process(
                target=solve_in_process,
                args=(sender, job.scenario_json, solve_options_json(job.options_json)),
                kwargs={
                    "temp_dir": folder,
                    "memory_mb": self.settings.max_solver_memory_mb,
                    "nice": self.settings.solver_nice,
                    "previous_json": job.previous_plan_json,
                },
                name=f"solver-{job.id}",
                daemon=True,
            )
            process.start()
            sender.close()
            child = _Child(process)
            self.store.set_solver_pid(job.id, process.pid)
            logger.info("job %s attempt %d: solver %d", job.id, job.attempts, process.pid)
            reader = threading.Thread(
                target=self._read, args=(job.id, child, receiver), daemon=True
            )
            reader.start()
            self._supervise(job, child)
            kill_group(process.pid or 0)  # children the solver left behind
            reader.join(timeout=10)
            ended = record_end(self.store, job.id, self.owner, child.stop_reason, child.outcome)
            if ended is not None:
                return ended
            return self._died(job, process.exitcode)
        finally:
            sender.close()  # (already closed once the solver started)
            receiver.close()
            shutil.rmtree(folder, ignore_errors=True)

    def _read(self, job_id: str, child: _Child, conn: Connection) -> None:
        """Relay the child's messages: progress to the row, the answer to ``child``."""
        while True:
            try:
                kind, payload = conn.recv()
            except (EOFError, OSError):
                return
            if kind == "progress":
                try:
                    self.store.record_progress(job_id, payload)
                except Exception:  # a database hiccup loses one progress event, not the solve
                    logger.exception("job %s: progress not recorded", job_id)
            else:
                child.outcome = (kind, payload)

    def _supervise(self, job: Job, child: _Child) -> None:
        """Wait for the child; kill it on deadline, cancel flag or lost lease."""
        limit = min(
            solve_seconds_cap(job.options_json) + self.settings.deadline_grace_seconds,
            self.settings.task_time_limit_seconds,
        )
        deadline = time.monotonic() + limit
        next_flag = next_lease = time.monotonic()
        while child.process.is_alive():
            child.process.join(timeout=0.1)
            now = time.monotonic()
            if child.stop_reason is not None:
                continue
            if now > deadline:
                child.kill("time limit exceeded: solver killed")
                continue
            try:
                if now >= next_flag:
                    next_flag = now + self.flag_poll_seconds
                    if self.store.cancel_requested([job.id]):
                        child.kill("cancelled")
                if now >= next_lease:
                    next_lease = now + self.settings.lease_seconds / 3
                    held = self.store.renew_leases(
                        self.owner, [job.id], self.settings.lease_seconds
                    )
                    if not held:
                        logger.warning("job %s: lease lost; its solve is stopped here", job.id)
                        child.kill("lease lost")
            except Exception:  # the database may be back before the lease runs out
                logger.exception("job %s: store unreachable while supervising", job.id)

    def _died(self, job: Job, returncode: int | None) -> bool:
        """The solver died without answering: run the job again while it has runs left."""
        reason = death_reason(returncode, self.settings.max_solver_memory_mb)
        if job.attempts < self.settings.max_attempts:
            logger.warning("job %s: %s; retrying", job.id, reason)
            self.store.requeue(job.id, f"{reason}; retried", owner=self.owner)
            return False
        logger.warning("job %s: %s; failed", job.id, reason)
        return self.store.finish(job.id, "failed", error=reason, owner=self.owner)
