"""The FastAPI app: routers per resource, the job store, the solver pool, callbacks.

``create_app(settings)`` builds an app whose lifespan opens the store (creating its tables),
writes an admin API key on a new store, requeues jobs whose lease expired, and starts the executor
(the local solver pool, or the Celery outbox: ``executor.py``) and the callback sender; shutdown
kills the local pool's running solves and puts their jobs back in the queue.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.routing import APIRoute

from aftersales.api.callbacks import CallbackSender, Destinations
from aftersales.api.errors import install_error_handlers
from aftersales.api.executor import make_executor
from aftersales.api.keys import bootstrap_admin_key
from aftersales.api.middleware import BodyLimitMiddleware
from aftersales.api.notify import job_finished
from aftersales.api.routes import batches, health, jobs, schemas, validation
from aftersales.api.settings import Settings
from aftersales.api.store import JobStore
from aftersales.api.streams import StreamGate

logger = logging.getLogger("aftersales.api")


def operation_id(route: APIRoute) -> str:
    """Stable OpenAPI operation ids: the handler's name (``create_job``, ``read_jobs``)."""
    return route.name


def create_app(settings: Settings | None = None) -> FastAPI:
    """The HTTP service over ``aftersales.optimizer.pipeline`` for ``settings`` (default:
    environment)."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = JobStore.from_url(settings.database_url)
        if not settings.no_auth:
            bootstrap_admin_key(store, Path(settings.admin_key_file))
        requeued = store.requeue_interrupted()
        if requeued:
            logger.warning("requeued %d jobs left running: %s", len(requeued), requeued)
        secret = settings.callback_secret
        if not secret:
            secret = secrets.token_hex(32)
            logger.warning("no AFTERSALES_CALLBACK_SECRET set: callbacks signed with a random key")
        callbacks = CallbackSender(
            store,
            secret,
            attempts=settings.callback_attempts,
            backoff_seconds=settings.callback_backoff_seconds,
            timeout_seconds=settings.callback_timeout_seconds,
            concurrency=settings.callback_concurrency,
            destinations=Destinations.from_settings(settings),
            poll_seconds=min(1.0, settings.callback_backoff_seconds),
        )
        pool = make_executor(
            settings,
            store,
            on_finished=lambda job_id: job_finished(store, callbacks, job_id),
            maintenance=retention(store, settings.retention_days),
        )
        app.state.settings, app.state.store = settings, store
        app.state.pool, app.state.callbacks = pool, callbacks
        callbacks.start()
        pool.start()
        try:
            yield
        finally:
            pool.stop()
            callbacks.stop()
            store.close()

    app = FastAPI(
        title="aftersales-optimizer",
        version="0.1.0",
        summary="Asynchronous solve jobs over the after-sales service network optimizer.",
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
    )
    app.state.settings = settings
    app.state.streams = StreamGate(settings.events_max_per_tenant, settings.events_max_total)
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        path_limits={"/v1/validate": settings.max_validate_bytes},
    )
    install_error_handlers(app)
    for module in (health, jobs, batches, validation, schemas):
        app.include_router(module.router)
    return app


def retention(
    store: JobStore, days: float | None, every_seconds: float = 3600
) -> Callable[[], None]:
    """A housekeeping step deleting ended jobs older than ``days`` at most once per
    ``every_seconds`` (a no-op without a retention setting)."""
    last = [float("-inf")]

    def purge() -> None:
        if days is None or time.monotonic() - last[0] < every_seconds:
            return
        last[0] = time.monotonic()
        removed = store.purge_older_than(days)
        if removed:
            logger.info("retention: deleted %d jobs ended over %g days ago", removed, days)

    return purge
