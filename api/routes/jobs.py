"""Solve jobs: submit, poll, list, read the plan, follow events, cancel."""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, HTTPException, Query, Request, Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from aftersales.api.callbacks import Destinations, RefusedDestination
from aftersales.api.deps import CallbacksDep, PoolDep, SettingsDep, StoreDep, TenantDep
from aftersales.api.errors import UNREADABLE_BODY, V1_ERRORS, InputError
from aftersales.api.models import (
    ErrorItem,
    ErrorPublic,
    JobAccepted,
    JobCreate,
    JobOptions,
    JobPublic,
    JobsPublic,
    JobStatusName,
    JobSummary,
)
from aftersales.api.notify import job_finished
from aftersales.api.settings import Settings
from aftersales.api.store import FINAL_STATUSES, Job, JobStore, Limits, NewJob, QueueFull
from aftersales.api.streams import StreamGate
from aftersales.optimizer.diff import PlanDiff, diff_plans
from aftersales.optimizer.previous import PreviousPlanError, require_no_previous
from aftersales.optimizer.schema import Plan

router = APIRouter(prefix="/v1/jobs", tags=["jobs"], responses=V1_ERRORS)

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorPublic, "description": "Unknown job, or another tenant's (same answer)."},
}
MAX_SEQ = 2**31 - 1
"""Largest cursor or event id: the store's sequence columns are 32-bit integers."""


def _job_link(
    operation_id: str, description: str, pointer: str = "/id", **constants: Any
) -> dict[str, Any]:
    """An OpenAPI link from a response that carries a job id (at JSON ``pointer``) to the
    operation ``operation_id`` on that job; clients and stateful fuzzers follow them."""
    parameters = {"job_id": f"$response.body#{pointer}", **constants}
    return {"operationId": operation_id, "parameters": parameters, "description": description}


READ_JOB = _job_link("read_job", "Poll the job: status, progress, plan or error.")
PURGE_JOB = _job_link("cancel_job", "Delete the ended job and its data.", purge=True)
JOB_LINKS: dict[str, Any] = {
    "ReadJob": READ_JOB,
    "ReadJobEvents": _job_link("read_job_events", "Follow the job as server-sent events."),
    "ReadJobPlan": _job_link("read_job_plan", "Fetch the plan once the job succeeded."),
    "CancelJob": _job_link("cancel_job", "Cancel the job (idempotent)."),
    "PurgeJob": PURGE_JOB,
}
"""Where a job's id leads: every operation on that job."""


def _job_or_404(store: JobStore, job_id: str, tenant: str) -> Job:
    """The tenant's job; another tenant's job is answered exactly like an unknown one, so ids
    reveal nothing across tenants."""
    job = store.get_job(job_id, tenant)
    if job is None:
        raise HTTPException(404, f"no job {job_id}")
    return job


def effective_options(payload: JobCreate, settings: Settings) -> JobOptions:
    """The options a job runs with: given ones (checked) or the scenario's (clamped)."""
    if payload.options is not None:
        options = payload.options
        if options.time_limit_seconds > settings.max_time_limit_seconds:
            raise InputError(
                [
                    ErrorItem(
                        pointer="/options/time_limit_seconds",
                        message=f"at most {settings.max_time_limit_seconds:g} s on this server",
                    )
                ]
            )
    else:
        # the scenario's options, with the service's default where `deterministic` is unset
        given = payload.scenario.options.model_dump(exclude={"deterministic"})
        if payload.scenario.options.deterministic is not None:
            given["deterministic"] = payload.scenario.options.deterministic
        options = JobOptions.model_validate(given)
        limit = min(options.time_limit_seconds, settings.max_time_limit_seconds)
        options = options.model_copy(update={"time_limit_seconds": limit})
    if options.callback_url is not None:
        try:
            Destinations.from_settings(settings).check_scheme(str(options.callback_url))
        except RefusedDestination as exc:
            raise InputError(
                [ErrorItem(pointer="/options/callback_url", message=str(exc))]
            ) from exc
    if not options.deterministic:
        options = options.model_copy(update={"seed": secrets.randbelow(2**31)})
    return options


def fingerprint(payload: JobCreate) -> tuple[str, str]:
    """The scenario as stored and the request's hash (what an Idempotency-Key is bound to)."""
    scenario_json = payload.scenario.model_dump_json()
    given = payload.options.model_dump_json() if payload.options else "null"
    request = f"{scenario_json}\n{given}"
    previous_plan = getattr(payload, "previous_plan", None)
    previous_job_id = getattr(payload, "previous_job_id", None)
    inline = previous_plan.model_dump_json() if previous_plan else None
    if previous_job_id is not None or inline is not None:  # earlier hashes unchanged
        request += f"\n{previous_job_id}\n{inline}"
    return scenario_json, hashlib.sha256(request.encode()).hexdigest()


def new_job(
    payload: JobCreate,
    settings: Settings,
    tenant: str,
    printed: tuple[str, str] | None = None,
    idempotency_key: str | None = None,
    previous_plan_json: str | None = None,
) -> NewJob:
    """What a submission stores: the scenario, its effective options (checked), its hash and
    the previous plan it starts warm from (``previous_plan_json``, already resolved)."""
    scenario_json, request_hash = printed or fingerprint(payload)
    options = effective_options(payload, settings)
    if previous_plan_json is None:
        _check_needs_no_previous(options)
    return NewJob(
        scenario_json=scenario_json,
        options_json=options.model_dump_json(),
        request_hash=request_hash,
        idempotency_key=idempotency_key or None,
        callback_url=str(options.callback_url) if options.callback_url else None,
        tenant=tenant,
        previous_job_id=getattr(payload, "previous_job_id", None),
        previous_plan_json=previous_plan_json,
    )


def _check_needs_no_previous(options: JobOptions) -> None:
    """422 at submission (not a failed job later) when options keep parts of a previous plan
    (``freeze``, ``freeze_before_minute``) but the job names none."""
    try:
        require_no_previous(options)
    except PreviousPlanError as exc:
        pointer = "/options/freeze" if options.freeze else "/options/freeze_before_minute"
        raise InputError([ErrorItem(pointer=pointer, message=str(exc))]) from exc


@router.post(
    "",
    status_code=202,
    response_model=JobAccepted,
    responses={
        202: {
            "description": "Stored and queued (or the job of a reused Idempotency-Key).",
            "links": JOB_LINKS,
        },
        **UNREADABLE_BODY,
        409: {
            "model": ErrorPublic,
            "description": "Idempotency-Key reused for another body, or previous_job_id has no "
            "plan (yet).",
        },
        413: {"model": ErrorPublic, "description": "Body too large."},
        429: {"model": ErrorPublic, "description": "Queue full; see Retry-After."},
    },
)
def create_job(
    payload: JobCreate,
    response: Response,
    store: StoreDep,
    pool: PoolDep,
    settings: SettingsDep,
    tenant: TenantDep,
    idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
) -> JobAccepted:
    """Submit a scenario to solve; the job is stored before this answers 202."""
    scenario_json, request_hash = fingerprint(payload)
    if idempotency_key:
        existing = store.find_by_key(tenant, idempotency_key)
        if existing is not None:
            return _accepted(existing, request_hash, response)
    inline = payload.previous_plan.model_dump_json() if payload.previous_plan else None
    previous_json = _previous_plan(payload, store, tenant) or inline
    limits = Limits(settings.max_queue, settings.tenant_max_queued, settings.idempotency_hours)
    printed = (scenario_json, request_hash)
    new = new_job(payload, settings, tenant, printed, idempotency_key, previous_json)
    try:
        job, _created = store.create_job(new, limits)
    except QueueFull as exc:
        raise HTTPException(
            429, str(exc), headers={"Retry-After": str(settings.retry_after_seconds)}
        ) from exc
    pool.wake()
    return _accepted(job, request_hash, response)


def _previous_plan(payload: JobCreate, store: JobStore, tenant: str) -> str | None:
    """The plan JSON of ``previous_job_id`` (None without one): 422 when both a job id and an
    inline plan are given or the job is unknown (or another tenant's: the same answer), 409
    when it has no plan (yet)."""
    if payload.previous_job_id is not None and payload.previous_plan is not None:
        message = "give previous_job_id or previous_plan, not both"
        raise InputError([ErrorItem(pointer="/previous_plan", message=message)])
    if payload.previous_job_id is None:
        return None
    previous = store.get_job(payload.previous_job_id, tenant)
    if previous is None:
        message = f"no job {payload.previous_job_id}"
        raise InputError([ErrorItem(pointer="/previous_job_id", message=message)])
    if previous.plan_json is None:
        raise HTTPException(409, f"previous job {previous.id} is {previous.status}: no plan")
    return previous.plan_json


def _accepted(job: Job, request_hash: str, response: Response) -> JobAccepted:
    if job.request_hash != request_hash:
        raise HTTPException(409, "Idempotency-Key already used for a different request")
    response.headers["Location"] = f"/v1/jobs/{job.id}"
    return JobAccepted(id=job.id, status=job.status)  # type: ignore[arg-type]


@router.get(
    "",
    response_model=JobsPublic,
    responses={
        200: {
            "description": "A page of the tenant's jobs, newest first.",
            "links": {
                "ReadNewestJob": _job_link(
                    "read_job", "Poll the newest job of the page.", pointer="/data/0/id"
                ),
                "NextPage": {
                    "operationId": "read_jobs",
                    "parameters": {"cursor": "$response.body#/next_cursor"},
                    "description": "The next page (while `next_cursor` is not null).",
                },
            },
        },
    },
)
def read_jobs(
    store: StoreDep,
    tenant: TenantDep,
    status: JobStatusName | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=32)] = None,
) -> JobsPublic:
    """List the tenant's jobs, newest first, optionally of one status; follow `next_cursor`."""
    before = _sequence(cursor, "/cursor", "query") if cursor else None
    jobs = store.list_jobs(tenant, status, limit + 1, before)
    page = jobs[:limit]
    next_cursor = str(page[-1].seq) if len(jobs) > limit else None
    return JobsPublic(
        data=[JobSummary.from_job(j) for j in page], count=len(page), next_cursor=next_cursor
    )


def _sequence(value: str, pointer: str, location: Literal["query", "header"]) -> int:
    """A cursor or event id: ASCII digits only, at most ``MAX_SEQ`` (else 422)."""
    if not (value.isascii() and value.isdigit()) or int(value) > MAX_SEQ:
        raise InputError(
            [
                ErrorItem(
                    pointer=pointer,
                    message=f"not a sequence number (digits 0-9, at most {MAX_SEQ})",
                    location=location,
                )
            ]
        )
    return int(value)


@router.get(
    "/{job_id}",
    response_model=JobPublic,
    responses={200: {"description": "The job.", "links": JOB_LINKS}, **NOT_FOUND},
)
def read_job(job_id: str, store: StoreDep, tenant: TenantDep) -> JobPublic:
    """Status, progress, timestamps and, once done, the plan or the error of a job."""
    return JobPublic.from_job(_job_or_404(store, job_id, tenant))


@router.get(
    "/{job_id}/plan",
    response_model=Plan,
    responses={**NOT_FOUND, 409: {"model": ErrorPublic, "description": "No plan (yet)."}},
)
def read_job_plan(job_id: str, store: StoreDep, tenant: TenantDep) -> Response:
    """The plan of a succeeded job."""
    job = _job_or_404(store, job_id, tenant)
    if job.plan_json is None:
        raise HTTPException(409, f"job {job_id} is {job.status}: no plan")
    return Response(job.plan_json, media_type="application/json")


@router.get(
    "/{job_id}/diff",
    response_model=PlanDiff,
    responses={
        200: {"description": "What changed from the `against` job's plan to this job's."},
        **NOT_FOUND,
        409: {"model": ErrorPublic, "description": "One of the two jobs has no plan (yet)."},
    },
)
def read_job_diff(
    job_id: str,
    store: StoreDep,
    tenant: TenantDep,
    against: Annotated[
        str, Query(max_length=36, description="The earlier job (e.g. last night's), same tenant.")
    ],
    minutes_tolerance: Annotated[
        float, Query(ge=0, le=1440, description="A visit moved by at most this is kept, min.")
    ] = 30.0,
) -> PlanDiff:
    """Depots opened/closed, sites moved, staffing and stock changes, visits reassigned (other
    technician or calendar day) or retimed, unserved added/removed, KPI and cost deltas."""
    new, old = _job_or_404(store, job_id, tenant), _job_or_404(store, against, tenant)
    for job in (old, new):
        if job.plan_json is None:
            raise HTTPException(409, f"job {job.id} is {job.status}: no plan")
    return diff_plans(
        Plan.model_validate_json(old.plan_json or ""),
        Plan.model_validate_json(new.plan_json or ""),
        minutes_tolerance=minutes_tolerance,
    )


@router.delete(
    "/{job_id}",
    response_model=JobSummary,
    responses={
        200: {
            "description": "The job as cancelled (or as it was when purged).",
            "links": {"ReadJob": READ_JOB, "PurgeJob": PURGE_JOB},
        },
        **NOT_FOUND,
        409: {
            "model": ErrorPublic,
            "description": "Cancel: the job already succeeded or failed. Purge: not ended yet.",
        },
    },
)
def cancel_job(
    job_id: str,
    store: StoreDep,
    pool: PoolDep,
    callbacks: CallbacksDep,
    tenant: TenantDep,
    purge: bool = False,
) -> JobSummary:
    """Cancel a queued or running job (a running solve is stopped within 2 s); cancelling a
    cancelled job answers the same again. `purge=true` deletes an ended job and its data."""
    if purge:
        job = _job_or_404(store, job_id, tenant)
        if job.status not in FINAL_STATUSES or not store.purge_job(job_id, tenant):
            raise HTTPException(409, f"job {job_id} is {job.status}: cancel it before purging")
        return JobSummary.from_job(job)
    job, ended = store.request_cancel(job_id, tenant)
    if job is None:
        raise HTTPException(404, f"no job {job_id}")
    if job.status in ("succeeded", "failed"):
        raise HTTPException(409, f"job {job_id} already {job.status}")
    if ended:  # this request ended the job: the one callback is its to send
        job_finished(store, callbacks, job_id)
    elif job.status == "running":
        pool.cancel(job_id, timeout=2.0)
        job = _job_or_404(store, job_id, tenant)
    return JobSummary.from_job(job)


@router.get(
    "/{job_id}/events",
    response_class=StreamingResponse,
    responses={
        **NOT_FOUND,
        422: {"model": ErrorPublic, "description": "Last-Event-ID is not an event id."},
        429: {"model": ErrorPublic, "description": "Too many open event streams."},
        200: {
            "description": "Server-sent events: `status` (queued, running, ...), `layer` "
            "(started/finished, percent, objective), then `end`.",
            "content": {"text/event-stream": {}},
        },
    },
)
async def read_job_events(
    job_id: str,
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    tenant: TenantDep,
    last_event_id: Annotated[str | None, Header(max_length=32)] = None,
) -> StreamingResponse:
    """Follow a job as server-sent events until it ends."""
    after = _sequence(last_event_id, "/last-event-id", "header") if last_event_id else 0
    await run_in_threadpool(_job_or_404, store, job_id, tenant)
    gate: StreamGate = request.app.state.streams
    if not gate.open(tenant):
        raise HTTPException(
            429,
            "too many open event streams; poll GET /v1/jobs/{id} instead or retry later",
            headers={"Retry-After": str(settings.retry_after_seconds)},
        )
    return StreamingResponse(
        gate.guard(tenant, _event_stream(store, settings, job_id, after)),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _event_stream(
    store: JobStore, settings: Settings, job_id: str, after: int
) -> AsyncIterator[str]:
    end = time.monotonic() + settings.events_max_seconds
    last_sent = time.monotonic()
    while time.monotonic() < end:
        job = await run_in_threadpool(store.get_job, job_id)
        events = await run_in_threadpool(store.events_after, job_id, after)
        for event in events:
            after = event.seq
            yield f"id: {event.seq}\nevent: {event.kind}\ndata: {event.data_json}\n\n"
            last_sent = time.monotonic()
        if job is None or (not events and job.status in FINAL_STATUSES):
            status = job.status if job else "unknown"
            yield f"event: end\ndata: {json.dumps({'status': status})}\n\n"
            return
        if not events:
            if time.monotonic() - last_sent > 15:
                yield ": keep-alive\n\n"
                last_sent = time.monotonic()
            await asyncio.sleep(settings.events_poll_seconds)
