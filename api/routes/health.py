"""Liveness of the service and its job store."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy.exc import SQLAlchemyError

from aftersales.api.deps import PoolDep, SettingsDep, StoreDep
from aftersales.api.models import HealthPublic

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthPublic)
def read_health(store: StoreDep, pool: PoolDep, settings: SettingsDep) -> HealthPublic:
    """Service status, database reachability, solver processes and queue length."""
    try:
        store.ping()
        queued = store.count("queued")
        database = "ok"
    except SQLAlchemyError as exc:
        queued, database = 0, f"unreachable: {type(exc).__name__}"
    return HealthPublic(
        status="ok" if database == "ok" else "degraded",
        database=database,
        workers=settings.workers,
        running=pool.running(),
        queued=queued,
    )
