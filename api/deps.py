"""Dependencies of the route handlers, as ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from aftersales.api.callbacks import CallbackSender
from aftersales.api.settings import Settings
from aftersales.api.store import JobStore
from aftersales.api.workers import SolverPool


def get_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    return request.app.state.settings


def get_store(request: Request) -> JobStore:
    """The job store opened at start-up."""
    return request.app.state.store


def get_pool(request: Request) -> SolverPool:
    """The solver pool started at start-up."""
    return request.app.state.pool


def get_callbacks(request: Request) -> CallbackSender:
    """The callback sender started at start-up."""
    return request.app.state.callbacks


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[JobStore, Depends(get_store)]
PoolDep = Annotated[SolverPool, Depends(get_pool)]
CallbacksDep = Annotated[CallbackSender, Depends(get_callbacks)]
