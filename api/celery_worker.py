"""``aftersales worker``: a Celery worker that solves the jobs of the shared job store.

Run it on any machine that reaches the broker and the database. Each of ``concurrency`` threads
runs one job at a time (``job_runner.JobRunner``): the thread only supervises a solver process,
so threads, not a prefork pool, are the right pool: nothing CPU-bound runs in the worker, a
solve is killed by its own attempt, and each thread holds exactly one unacknowledged message
(prefetch 1 per thread). A job whose tenant is at its running limit everywhere is published
again after ``defer_seconds`` and its message acknowledged.
"""

from __future__ import annotations

import logging
import multiprocessing.forkserver
import os
import socket
import time
import uuid

from celery import Celery

from aftersales.api.celery_app import TASK_NAME, make_celery, publish
from aftersales.api.job_runner import JobRunner
from aftersales.api.notify import job_finished
from aftersales.api.settings import Settings
from aftersales.api.store import JobStore
from aftersales.api.workers import solver_context

logger = logging.getLogger("aftersales.api.celery_worker")


def worker_id() -> str:
    """This worker's lease owner: host, pid and a random part (unique across restarts)."""
    return f"{socket.gethostname()[:16]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def build_worker_app(
    settings: Settings, store: JobStore, defer_seconds: float = 1.0
) -> tuple[Celery, JobRunner]:
    """The Celery app with the solve task registered, and the runner it calls."""
    app = make_celery(settings)
    runner = JobRunner(
        store, settings, worker_id(), on_finished=lambda job_id: job_finished(store, None, job_id)
    )

    @app.task(name=TASK_NAME, acks_late=True, ignore_result=True)
    def solve_job(job_id: str) -> str:
        outcome = runner.run(job_id)
        if outcome == "busy":  # the tenant runs its limit elsewhere: try again a bit later
            time.sleep(defer_seconds)
            job = store.get_job(job_id)
            if job is not None and job.status == "queued":
                publish(app, job_id, job.priority or 0)
        return outcome

    return app, runner


def run_worker(settings: Settings, concurrency: int | None = None) -> None:
    """Run a worker until SIGTERM/SIGINT (warm shutdown: running solves finish first)."""
    store = JobStore.from_url(settings.database_url)
    app, runner = build_worker_app(settings, store)
    solver_context()  # sets the fork server's preload list
    try:  # the fork server preloads the solver modules before the first job arrives
        multiprocessing.forkserver.ensure_running()
    except Exception:  # it also starts on first use
        logger.exception("cannot start the fork server yet")
    threads = concurrency or settings.worker_concurrency
    logger.info("worker %s: %d threads on queue %s", runner.owner, threads, settings.celery_queue)
    try:
        app.Worker(
            pool="threads",
            concurrency=threads,
            prefetch_multiplier=1,
            without_mingle=True,
            without_gossip=True,
            without_heartbeat=True,
            optimization="fair",
            loglevel="INFO",
            hostname=f"aftersales-{runner.owner}",
        ).start()
    finally:
        store.close()
