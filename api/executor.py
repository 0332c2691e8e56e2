"""Who runs the solves: the executor interface, its Celery implementation and the factory.

Two implementations: ``workers.SolverPool`` (the default: solver processes of this server; the
embedded setup, ``make demo`` and most tests need nothing else) and ``CeleryExecutor`` (solves run
by ``aftersales worker`` processes on any machine that reaches the broker and the database).

The Celery executor never solves: the request thread stores the job and wakes the *outbox*
thread, which publishes every queued job whose message is not yet with the broker and marks it
published. A publish that fails (broker down) leaves the job unpublished; the thread retries it
every ``outbox_poll_seconds``, and also republishes jobs put back in the queue (a dead worker's
job after its lease expired, a job deferred by its tenant's running limit). The same thread
requeues running jobs whose lease expired. Cancel sets the job's flag (the route does that); the
worker running it polls the flag and kills its solve, and ``cancel`` waits for the row to end.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

from aftersales.api.settings import Settings
from aftersales.api.store import FINAL_STATUSES, JobStore

logger = logging.getLogger("aftersales.api.executor")


class Executor(Protocol):
    """What the server needs from whoever runs its solves."""

    def start(self) -> None:
        """Begin running (or handing out) queued jobs."""

    def stop(self) -> None:
        """Stop; jobs not finished stay in (or go back to) the queue."""

    def wake(self) -> None:
        """A job was queued: hand it out now."""

    def cancel(self, job_id: str, timeout: float = 2.0) -> None:
        """Stop a running job whose cancel flag is set; wait up to ``timeout`` for it to end."""

    def running(self) -> int:
        """Solves running now (for /health)."""


class CeleryExecutor:
    """Hands jobs to Celery workers through RabbitMQ (see the module docstring)."""

    def __init__(
        self,
        store: JobStore,
        settings: Settings,
        maintenance: Callable[[], None] | None = None,
        publish: Callable[[str, int], None] | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.maintenance = maintenance or (lambda: None)
        if publish is None:
            from aftersales.api.celery_app import make_celery
            from aftersales.api.celery_app import publish as send

            app = make_celery(settings)
            publish = lambda job_id, priority: send(app, job_id, priority)  # noqa: E731
        self._publish = publish
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="outbox", daemon=True)
        self._last_janitor = float("-inf")

    def start(self) -> None:
        """Start the outbox thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop publishing; running jobs stay with their workers."""
        self._stopping.set()
        self._wake.set()
        self._thread.join(timeout=10)

    def wake(self) -> None:
        """A job was queued: publish it now."""
        self._wake.set()

    def cancel(self, job_id: str, timeout: float = 2.0) -> None:
        """The flag is set; its worker kills the solve within its poll period: wait for it."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            job = self.store.get_job(job_id)
            if job is None or job.status in FINAL_STATUSES:
                return
            time.sleep(0.05)

    def running(self) -> int:
        """Jobs running now on every worker."""
        return self.store.count("running")

    def publish_pending(self) -> int:
        """Publish queued jobs not yet with the broker; returns how many were sent."""
        sent = 0
        for _ in range(1000):  # bounded: at most 100,000 jobs per call
            pending = self.store.unpublished(100)
            if not pending:
                break
            done: list[str] = []
            try:
                for job_id, priority in pending:
                    self._publish(job_id, priority)
                    done.append(job_id)
            finally:
                self.store.mark_published(done)
                sent += len(done)
            if len(pending) < 100:
                break
        return sent

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.publish_pending()
                self._janitor()
            except Exception:  # broker or database down: retried next round
                logger.exception("outbox round failed")
            self._wake.wait(timeout=self.settings.outbox_poll_seconds)
            self._wake.clear()

    def _janitor(self) -> None:
        """Every third of a lease: requeue running jobs whose worker stopped renewing."""
        now = time.monotonic()
        if now - self._last_janitor < self.settings.lease_seconds / 3:
            return
        self._last_janitor = now
        requeued = self.store.requeue_expired()
        if requeued:
            logger.warning("requeued %d jobs whose lease expired: %s", len(requeued), requeued)
            self.publish_pending()
        self.maintenance()


def make_executor(
    settings: Settings,
    store: JobStore,
    on_finished: Callable[[str], None],
    maintenance: Callable[[], None],
) -> Executor:
    """The executor ``settings.executor`` names."""
    if settings.executor == "celery":
        return CeleryExecutor(store, settings, maintenance=maintenance)
    from aftersales.api.workers import SolverPool

    return SolverPool(
        store,
        settings.workers,
        max_attempts=settings.max_attempts,
        deadline_grace_seconds=settings.deadline_grace_seconds,
        on_finished=on_finished,
        lease_seconds=settings.lease_seconds,
        tenant_max_running=settings.tenant_max_running,
        max_solver_memory_mb=settings.max_solver_memory_mb,
        solver_nice=settings.solver_nice,
        maintenance=maintenance,
    )
