"""Batches of solve jobs (nightly runs): submit many at one priority, read, cancel."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Response

from aftersales.api.batch_models import BatchAccepted, BatchCreate, BatchPublic
from aftersales.api.batch_store import batch_items, get_batch
from aftersales.api.batch_store import create_batch as store_batch
from aftersales.api.callbacks import Destinations, RefusedDestination
from aftersales.api.deps import CallbacksDep, PoolDep, SettingsDep, StoreDep, TenantDep
from aftersales.api.errors import UNREADABLE_BODY, V1_ERRORS, InputError
from aftersales.api.models import ErrorItem, ErrorPublic
from aftersales.api.notify import batch_finished, job_finished
from aftersales.api.routes.jobs import new_job
from aftersales.api.store import Batch, JobStore

router = APIRouter(prefix="/v1/batches", tags=["batches"], responses=V1_ERRORS)

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorPublic, "description": "Unknown batch, or another tenant's."},
}


def _batch_link(operation_id: str, description: str) -> dict[str, Any]:
    """An OpenAPI link from a response carrying a batch id to an operation on that batch."""
    parameters = {"batch_id": "$response.body#/id"}
    return {"operationId": operation_id, "parameters": parameters, "description": description}


BATCH_LINKS: dict[str, Any] = {
    "ReadBatch": _batch_link("read_batch", "One status per item, counts."),
    "CancelBatch": _batch_link("cancel_batch", "Cancel every item not yet ended."),
}


def _batch_or_404(store: JobStore, batch_id: str, tenant: str) -> Batch:
    batch = get_batch(store, batch_id, tenant)
    if batch is None:
        raise HTTPException(404, f"no batch {batch_id}")
    return batch


@router.post(
    "",
    status_code=202,
    response_model=BatchAccepted,
    responses={
        202: {"description": "Stored; every item queued.", "links": BATCH_LINKS},
        **UNREADABLE_BODY,
        413: {"model": ErrorPublic, "description": "Body too large."},
    },
)
def create_batch(
    payload: BatchCreate,
    response: Response,
    store: StoreDep,
    pool: PoolDep,
    settings: SettingsDep,
    tenant: TenantDep,
) -> BatchAccepted:
    """Submit many scenarios as one batch (at most `AFTERSALES_MAX_BATCH_ITEMS`): each item is a
    job run highest priority first; the batch's callback is sent when its last item ends."""
    if len(payload.items) > settings.max_batch_items:
        message = f"at most {settings.max_batch_items} items on this server"
        raise InputError([ErrorItem(pointer="/items", message=message)])
    callback = str(payload.callback_url) if payload.callback_url else None
    if callback is not None:
        try:
            Destinations.from_settings(settings).check_scheme(callback)
        except RefusedDestination as exc:
            raise InputError([ErrorItem(pointer="/callback_url", message=str(exc))]) from exc
    items = [new_job(item, settings, tenant) for item in payload.items]
    batch, job_ids = store_batch(store, tenant, items, payload.priority, callback)
    pool.wake()
    response.headers["Location"] = f"/v1/batches/{batch.id}"
    return BatchAccepted(id=batch.id, items=len(job_ids), job_ids=job_ids)


@router.get(
    "/{batch_id}",
    response_model=BatchPublic,
    responses={200: {"description": "The batch.", "links": BATCH_LINKS}, **NOT_FOUND},
)
def read_batch(batch_id: str, store: StoreDep, tenant: TenantDep) -> BatchPublic:
    """One status per item (in submission order), counts per status, and whether it ended."""
    batch = _batch_or_404(store, batch_id, tenant)
    return BatchPublic.of(batch, batch_items(store, batch_id))


@router.delete(
    "/{batch_id}",
    response_model=BatchPublic,
    responses={
        200: {
            "description": "The batch after cancelling: queued items cancelled, running "
            "ones stopped (each waited for up to 2 s; poll if one is still running).",
            "links": {"ReadBatch": BATCH_LINKS["ReadBatch"]},
        },
        **NOT_FOUND,
    },
)
def cancel_batch(
    batch_id: str,
    store: StoreDep,
    pool: PoolDep,
    callbacks: CallbacksDep,
    tenant: TenantDep,
) -> BatchPublic:
    """Cancel every item not yet ended (idempotent); ended items keep their status."""
    _batch_or_404(store, batch_id, tenant)
    running: list[str] = []
    for item in batch_items(store, batch_id):
        if item.status not in ("queued", "running"):
            continue
        job, ended = store.request_cancel(item.job_id, tenant)
        if ended:
            job_finished(store, callbacks, item.job_id)
        elif job is not None and job.status == "running":
            running.append(item.job_id)
    for job_id in running:  # every flag is set first: the solves stop side by side
        pool.cancel(job_id, timeout=2.0)
    batch_finished(store, callbacks, batch_id)
    return BatchPublic.of(_batch_or_404(store, batch_id, tenant), batch_items(store, batch_id))
