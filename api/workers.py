"""The solver pool: one dispatcher thread, one solver *process* per running job.

The dispatcher claims queued jobs from the store while a slot is free, starts each solve in its
own process (``forkserver`` context, with ``aftersales.optimizer.pipeline`` preloaded), relays
progress from the process's pipe into the store, and ends the job when the process answers. A
process that dies without answering (killed, out of memory, crashed) is retried while the job has
runs left (``max_attempts``, default 2: one retry) and then marks the job failed with the reason. A
solve that overruns its time limit by ``deadline_grace_seconds`` is killed and failed. Cancel
kills the process. Nothing is ever left ``running`` by a live server.

Each solver process leads its own process group and gets its own temporary directory
(``TMPDIR``): a kill (cancel, deadline, shutdown) signals the whole group, so a CBC child dies
with its parent, and the directory (CBC's ``.mps`` and solution files) is removed when the process
is reaped. ``max_solver_memory_mb`` caps each solver's address space (``RLIMIT_AS``, inherited by
its children); ``solver_nice`` lowers each solver's CPU priority (inherited by its children) so
that on a busy host the server's request threads are not starved by the solves. Each claimed
job is leased to this pool (``owner``); a thread of its own renews the leases every third of
``lease_seconds`` (a dispatcher busy starting a process on a loaded host cannot let them lapse),
stops a solve whose lease was lost, and requeues other servers' jobs whose lease expired.
"""

from __future__ import annotations

import contextlib
import json
import logging
import multiprocessing
import multiprocessing.forkserver
import os
import shutil
import signal
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

from aftersales.api.ending import death_reason, record_end
from aftersales.api.solver import solve_in_process
from aftersales.api.store import Job, JobStore
from aftersales.optimizer.schema import SolveOptions
from aftersales.optimizer.work import cap_seconds

logger = logging.getLogger("aftersales.api.workers")


def solve_options_json(options_json: str) -> str:
    """The stored job options reduced to ``SolveOptions`` fields."""
    options = json.loads(options_json)
    return json.dumps({k: v for k, v in options.items() if k in SolveOptions.model_fields})


def solve_seconds_cap(options_json: str) -> float:
    """Wall seconds a job's solve may take before it is killed (grace aside): its limit, or a
    deterministic solve's safety cap — it runs on work limits and takes longer under load."""
    options = json.loads(options_json)
    limit = float(options.get("time_limit_seconds", 60))
    return cap_seconds(limit, bool(options.get("deterministic")))


def solver_context() -> Any:
    """The ``forkserver`` context solver processes start from (solver modules preloaded once
    in the fork server, so a job does not pay their import)."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["aftersales.api.solver"])
    return ctx


@dataclass
class _Slot:
    job_id: str
    process: BaseProcess
    conn: Connection
    deadline: float
    temp_dir: str
    outcome: tuple[str, str] | None = None
    stop_reason: str | None = None
    messages: list[tuple[str, Any]] = field(default_factory=list)

    def kill(self) -> None:
        """SIGKILL the solver's process group (it and its children, e.g. ``cbc``)."""
        self.kill_group()
        self.process.kill()

    def kill_group(self) -> None:
        """SIGKILL the group the solver leads (it exists once the solver called setpgrp)."""
        kill_group(self.process.pid or 0)


def kill_group(pid: int) -> None:
    """SIGKILL the process group ``pid`` leads (the solver and its children, e.g. ``cbc``);
    never group 0: killpg(0) would signal the caller's own group."""
    if pid > 0:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)


class SolverPool:
    """Runs queued jobs in solver processes, at most ``size`` at once."""

    def __init__(
        self,
        store: JobStore,
        size: int,
        *,
        max_attempts: int = 2,
        deadline_grace_seconds: float = 30,
        on_finished: Callable[[str], None] | None = None,
        lease_seconds: float = 30,
        tenant_max_running: int = 1_000_000,
        max_solver_memory_mb: int | None = None,
        solver_nice: int = 0,
        maintenance: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        self.size = size
        self.max_attempts = max_attempts
        self.deadline_grace_seconds = deadline_grace_seconds
        self.lease_seconds = lease_seconds
        self.tenant_max_running = tenant_max_running
        self.max_solver_memory_mb = max_solver_memory_mb
        self.solver_nice = solver_nice
        self.maintenance = maintenance or (lambda: None)
        self.owner = str(uuid.uuid4())
        self._leased: set[str] = set()
        """Jobs this pool claimed and has not concluded (starting or running)."""
        self.on_finished = on_finished or (lambda _job_id: None)
        self._ctx = solver_context()
        self._slots: dict[str, _Slot] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="solver-pool", daemon=True)
        self._lease_thread = threading.Thread(
            target=self._keep_leases, name="solver-leases", daemon=True
        )
        self._last_flag_check = 0.0

    # --- public ------------------------------------------------------------------------------

    def start(self) -> None:
        """Start dispatching, and renewing leases in a thread of their own (a dispatcher busy
        starting a process on a loaded host must not let its other leases lapse)."""
        try:  # start the fork server (and its preloaded solver imports) before the first job
            multiprocessing.forkserver.ensure_running()
        except Exception:  # it also starts on first use
            logger.exception("cannot start the fork server yet")
        self._thread.start()
        self._lease_thread.start()

    def wake(self) -> None:
        """A job was queued: look at the queue now."""
        self._wake.set()

    def running(self) -> int:
        """Solver processes alive now."""
        with self._lock:
            return len(self._slots)

    def cancel(self, job_id: str, timeout: float = 2.0) -> None:
        """Stop a running job of this pool: kill its process and wait for the job to end. A
        job claimed but whose process is still starting is killed as soon as it exists."""
        end = time.monotonic() + timeout
        while True:
            with self._lock:
                slot = self._slots.get(job_id)
                if slot is None and job_id not in self._leased:
                    return
                if slot is not None and slot.stop_reason is None:
                    slot.stop_reason = "cancelled"
                    slot.kill()
                    self._wake.set()
            if time.monotonic() >= end:
                return
            time.sleep(0.02)

    def stop(self) -> None:
        """Stop the pool: kill solver processes and put their jobs back in the queue."""
        self._stopping.set()
        self._wake.set()
        self._thread.join(timeout=10)
        self._lease_thread.join(timeout=10)
        with self._lock:
            slots = list(self._slots.values())
            self._slots.clear()
            self._leased.clear()
        for slot in slots:
            slot.kill()
            slot.process.join(timeout=2)
            shutil.rmtree(slot.temp_dir, ignore_errors=True)
            self.store.requeue(slot.job_id, "server stopped", owner=self.owner)

    # --- dispatcher --------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self._fill_slots()
                self._wait_and_drain()
                self._check_flags()
                self._reap()
            except Exception:  # the dispatcher must outlive a database hiccup
                logger.exception("solver pool iteration failed")
                time.sleep(0.5)

    def _fill_slots(self) -> None:
        while len(self._slots) < self.size and not self._stopping.is_set():
            job = self.store.claim_next(self.owner, self.lease_seconds, self.tenant_max_running)
            if job is None:
                return
            with self._lock:
                self._leased.add(job.id)
            if job.cancel_requested:
                self.store.finish(
                    job.id, "cancelled", error="cancelled by request", owner=self.owner
                )
                self._release(job.id)
                self.on_finished(job.id)
                continue
            self._start(job)

    def _release(self, job_id: str) -> None:
        """The pool no longer holds this job: stop renewing its lease."""
        with self._lock:
            self._leased.discard(job_id)

    def _start(self, job: Job) -> None:
        receiver, sender = self._ctx.Pipe(duplex=False)
        temp_dir = tempfile.mkdtemp(prefix=f"aftersales-{job.id[:8]}-")
        process = self._ctx.Process(
            target=solve_in_process,
            args=(sender, job.scenario_json, solve_options_json(job.options_json)),
            kwargs={
                "temp_dir": temp_dir,
                "memory_mb": self.max_solver_memory_mb,
                "nice": self.solver_nice,
                "previous_json": job.previous_plan_json,
            },
            name=f"solver-{job.id}",
            daemon=True,
        )
        try:
            process.start()
        except Exception as exc:  # e.g. the fork server was killed: it restarts on next use
            logger.exception("cannot start a solver process")
            shutil.rmtree(temp_dir, ignore_errors=True)
            reason = f"cannot start solver process: {exc}"
            self._release(job.id)
            if self._stopping.is_set() or job.attempts < self.max_attempts:
                self.store.requeue(job.id, reason, owner=self.owner)
                time.sleep(0.5)
            elif self.store.finish(job.id, "failed", error=reason, owner=self.owner):
                self.on_finished(job.id)
            return
        finally:
            sender.close()
        deadline = time.monotonic() + solve_seconds_cap(job.options_json)
        deadline += self.deadline_grace_seconds
        with self._lock:
            self._slots[job.id] = _Slot(job.id, process, receiver, deadline, temp_dir)
        self.store.set_solver_pid(job.id, process.pid)
        logger.info("job %s started in solver process %s", job.id, process.pid)

    def _wait_and_drain(self) -> None:
        with self._lock:
            slots = list(self._slots.values())
        if not slots:
            self._wake.wait(timeout=0.5)
            self._wake.clear()
            return
        waitables: list[Any] = [s.conn for s in slots] + [s.process.sentinel for s in slots]
        wait(waitables, timeout=0.2)
        self._wake.clear()
        for slot in slots:
            self._drain(slot)

    def _drain(self, slot: _Slot) -> None:
        try:
            while slot.conn.poll():
                kind, payload = slot.conn.recv()
                if kind == "progress":
                    self.store.record_progress(slot.job_id, payload)
                else:
                    slot.outcome = (kind, payload)
        except (EOFError, OSError):
            return

    def _check_flags(self) -> None:
        """Cancel flags set in the store (by any server), and overrun deadlines."""
        now = time.monotonic()
        with self._lock:
            slots = list(self._slots.values())
        for slot in slots:
            if slot.stop_reason is None and now > slot.deadline:
                slot.stop_reason = "time limit exceeded: solver killed"
                slot.kill()
        if now - self._last_flag_check < 0.5 or not slots:
            return
        self._last_flag_check = now
        for job_id in self.store.cancel_requested([s.job_id for s in slots]):
            with self._lock:
                flagged = self._slots.get(job_id)
                if flagged is not None and flagged.stop_reason is None:
                    flagged.stop_reason = "cancelled"
                    flagged.kill()

    def _keep_leases(self) -> None:
        while not self._stopping.wait(self.lease_seconds / 3):
            try:
                self._check_leases()
            except Exception:  # must outlive a database hiccup, like the dispatcher
                logger.exception("lease renewal failed")

    def _check_leases(self) -> None:
        """Renew this pool's leases; stop solves whose lease was lost; requeue expired ones."""
        with self._lock:
            leased = list(self._leased)
        held = set(self.store.renew_leases(self.owner, leased, self.lease_seconds))
        with self._lock:
            slots = [s for s in self._slots.values() if s.job_id in leased]
        for slot in slots:
            if slot.job_id not in held and slot.stop_reason is None:
                logger.warning("job %s: lease lost; its solve is stopped here", slot.job_id)
                slot.stop_reason = "lease lost"
                slot.kill()
        requeued = self.store.requeue_expired()
        if requeued:
            logger.warning("requeued %d jobs whose lease expired: %s", len(requeued), requeued)
            self._wake.set()
        self.maintenance()

    def _reap(self) -> None:
        with self._lock:
            slots = list(self._slots.values())
        for slot in slots:
            if slot.process.is_alive() and slot.outcome is None:
                continue
            slot.process.join(timeout=5 if slot.outcome else 0.5)
            if slot.process.is_alive():  # answered but lingers
                slot.process.kill()
                slot.process.join(timeout=2)
            self._drain(slot)
            slot.conn.close()
            slot.kill_group()  # children the solver left behind
            shutil.rmtree(slot.temp_dir, ignore_errors=True)
            ended = self._conclude(slot)
            with self._lock:
                self._slots.pop(slot.job_id, None)
                self._leased.discard(slot.job_id)
            if ended:
                self.on_finished(slot.job_id)

    def _conclude(self, slot: _Slot) -> bool:
        """Record how the solve ended; True if this ended the job (one callback per end)."""
        owner = self.owner
        ended = record_end(self.store, slot.job_id, owner, slot.stop_reason, slot.outcome)
        if ended is not None:
            return ended
        reason = death_reason(slot.process.exitcode, self.max_solver_memory_mb)
        job = self.store.get_job(slot.job_id)
        if self._stopping.is_set() or slot.process.exitcode == FORK_SERVER_LOST:
            # A SIGTERM to the server's process group (systemd, Ctrl-C) ends the fork server
            # before the server notices it is stopping: not the solve's fault, so no retry used.
            self.store.requeue(slot.job_id, "server stopped", owner=owner)
        elif job is not None and job.attempts < self.max_attempts:
            logger.warning("job %s: %s; retrying", slot.job_id, reason)
            self.store.requeue(slot.job_id, f"{reason}; retried", owner=owner)
        else:
            logger.warning("job %s: %s; failed", slot.job_id, reason)
            return self.store.finish(slot.job_id, "failed", error=reason, owner=owner)
        return False


FORK_SERVER_LOST = 255
"""Exit code multiprocessing reports when the fork server, not the solver, went away."""
