"""Dependencies of the route handlers, as ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from aftersales.api.callbacks import CallbackSender
from aftersales.api.executor import Executor
from aftersales.api.keys import tenant_of
from aftersales.api.settings import Settings
from aftersales.api.store import DEFAULT_TENANT, JobStore

bearer = HTTPBearer(
    auto_error=False,
    description="An API key (`aftersales keys create --tenant NAME`) as `Bearer <key>`.",
)


def get_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    return request.app.state.settings


def get_store(request: Request) -> JobStore:
    """The job store opened at start-up."""
    return request.app.state.store


def get_pool(request: Request) -> Executor:
    """The executor started at start-up (the local solver pool or Celery)."""
    return request.app.state.pool


def get_callbacks(request: Request) -> CallbackSender:
    """The callback sender started at start-up."""
    return request.app.state.callbacks


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[JobStore, Depends(get_store)]
PoolDep = Annotated[Executor, Depends(get_pool)]
CallbacksDep = Annotated[CallbackSender, Depends(get_callbacks)]
CredentialsDep = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def optional_tenant(
    credentials: CredentialsDep, store: StoreDep, settings: SettingsDep
) -> str | None:
    """The tenant of a valid key, if one was sent (``default`` without auth), else None."""
    if settings.no_auth:
        return DEFAULT_TENANT
    if credentials is None:
        return None
    return tenant_of(store, credentials.credentials)


def get_tenant(credentials: CredentialsDep, store: StoreDep, settings: SettingsDep) -> str:
    """The tenant of the request's API key; 401 without a valid (unexpired, unrevoked) key."""
    if settings.no_auth:
        return DEFAULT_TENANT
    if credentials is None:
        raise HTTPException(
            401,
            "missing API key: send Authorization: Bearer <key>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    tenant = tenant_of(store, credentials.credentials)
    if tenant is None:
        raise HTTPException(
            401,
            "invalid, expired or revoked API key",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    return tenant


TenantDep = Annotated[str, Depends(get_tenant)]
OptionalTenantDep = Annotated[str | None, Depends(optional_tenant)]
