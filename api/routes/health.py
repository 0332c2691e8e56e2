"""Liveness of the service and its job store."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy.exc import SQLAlchemyError

from aftersales.api.deps import OptionalTenantDep, PoolDep, SettingsDep, StoreDep
from aftersales.api.models import HealthPublic

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthPublic, response_model_exclude_none=True)
def read_health(
    store: StoreDep, pool: PoolDep, settings: SettingsDep, tenant: OptionalTenantDep
) -> HealthPublic:
    """`ok` or `degraded`; with a valid API key also the database, solver processes and the
    key's tenant's queue (a caller without a key learns nothing about load)."""
    try:
        store.ping()
        database = "ok"
    except SQLAlchemyError as exc:
        database = f"unreachable: {type(exc).__name__}"
    status = "ok" if database == "ok" else "degraded"
    if tenant is None:
        return HealthPublic(status=status)
    queued = store.count("queued", tenant) if database == "ok" else 0
    return HealthPublic(
        status=status,
        database=database,
        workers=settings.workers,
        running=pool.running(),
        queued=queued,
    )
