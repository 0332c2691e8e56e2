"""Batches in the job store: many jobs inserted at once, read and ended as one.

A batch's items are ordinary jobs (``Job.batch_id``) run by whichever executor the server uses,
highest priority first; they count against the tenant's running limit like any job but not
against the per-job queue limits (a nightly batch is hundreds of jobs; its size is capped by
``max_batch_items`` instead). The batch ends when its last item ends: ``close_if_done`` sets
``finished_at`` with one conditional UPDATE, so exactly one caller sends the batch callback.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func, select, update

from aftersales.api.store import (
    FINAL_STATUSES,
    Batch,
    Job,
    JobStore,
    NewJob,
    _event,
    _rowcount,
    new_job_row,
    utcnow,
)


@dataclass(frozen=True)
class BatchItemState:
    """One item of a batch as read back: its job's id, status and error."""

    job_id: str
    status: str
    error: str | None


def create_batch(
    store: JobStore,
    tenant: str,
    items: list[NewJob],
    priority: int = 0,
    callback_url: str | None = None,
) -> tuple[Batch, list[str]]:
    """Store a batch and its items as queued jobs in one transaction; returns the batch and
    the job ids in item order."""
    now = utcnow()
    batch = Batch(
        id=str(uuid.uuid4()),
        tenant=tenant,
        priority=priority,
        items=len(items),
        callback_url=callback_url,
        created_at=now,
    )
    ids: list[str] = []
    with store.session() as session:
        session.add(batch)
        for item in items:
            row = new_job_row(item, now)
            row.tenant, row.priority, row.batch_id = tenant, priority, batch.id
            session.add(row)
            session.flush()
            session.add(_event(row.id, "status", {"status": "queued"}, now))
            ids.append(row.id)
    return batch, ids


def get_batch(store: JobStore, batch_id: str, tenant: str | None = None) -> Batch | None:
    """The batch (of ``tenant`` when given), or None."""
    query = select(Batch).where(Batch.id == batch_id)
    if tenant is not None:
        query = query.where(Batch.tenant == tenant)
    with store.session() as session:
        return session.scalars(query).first()


def batch_items(store: JobStore, batch_id: str) -> list[BatchItemState]:
    """The batch's items in submission order."""
    query = select(Job.id, Job.status, Job.error).where(Job.batch_id == batch_id).order_by(Job.seq)
    with store.session() as session:
        return [BatchItemState(*row) for row in session.execute(query)]


def counts(items: list[BatchItemState]) -> dict[str, int]:
    """Items per status (every status present, zeros included)."""
    tally = Counter(item.status for item in items)
    return {s: tally.get(s, 0) for s in ("queued", "running", "succeeded", "failed", "cancelled")}


def close_if_done(store: JobStore, batch_id: str) -> Batch | None:
    """Mark the batch ended if none of its items is waiting or running; returns the batch
    when *this* call ended it (its callback is this caller's to send), else None."""
    open_items = (
        select(func.count())
        .select_from(Job)
        .where(Job.batch_id == batch_id, Job.status.not_in(FINAL_STATUSES))
    )
    with store.session() as session:
        if session.scalar(open_items):
            return None
        done = session.execute(
            update(Batch)
            .where(Batch.id == batch_id, Batch.finished_at.is_(None))
            .values(finished_at=utcnow())
        )
        if not _rowcount(done):
            return None
        return session.scalars(select(Batch).where(Batch.id == batch_id)).one()
