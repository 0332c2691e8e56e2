"""What happens when a job ends: its signed callback goes to the outbox, if it asked for one."""

from __future__ import annotations

import json

from aftersales.api.batch_models import BatchPublic
from aftersales.api.batch_store import batch_items, close_if_done
from aftersales.api.callbacks import CallbackSender
from aftersales.api.models import JobSummary
from aftersales.api.store import FINAL_STATUSES, JobStore


def callback_body(summary: JobSummary) -> bytes:
    """The callback's JSON body: the job summary and where to read the plan."""
    data = json.loads(summary.model_dump_json())
    data["url"] = f"/v1/jobs/{summary.id}"
    data["plan_url"] = f"/v1/jobs/{summary.id}/plan" if summary.status == "succeeded" else None
    return json.dumps(data, separators=(",", ":")).encode()


def job_finished(store: JobStore, callbacks: CallbackSender | None, job_id: str) -> None:
    """Queue the callback of a job that has ended (no-op for a requeued job, and for a job
    whose callback is already queued: one callback per job end). ``callbacks`` is None on a
    Celery worker: the servers' senders find the outbox row on their next poll."""
    job = store.get_job(job_id)
    if job is None or job.status not in FINAL_STATUSES:
        return
    if job.batch_id is not None:
        batch_finished(store, callbacks, job.batch_id)
    if not job.callback_url:
        return
    body = callback_body(JobSummary.from_job(job)).decode()
    if store.enqueue_callback(job_id, job.callback_url, body) and callbacks is not None:
        callbacks.wake()


def batch_finished(store: JobStore, callbacks: CallbackSender | None, batch_id: str) -> None:
    """End the batch if that was its last open item, and queue its callback (once: the
    batch's id keys its outbox row)."""
    batch = close_if_done(store, batch_id)
    if batch is None or not batch.callback_url:
        return
    view = BatchPublic.of(batch, batch_items(store, batch_id))
    data = json.loads(view.model_dump_json())
    data["url"] = f"/v1/batches/{batch_id}"
    body = json.dumps(data, separators=(",", ":"))
    if store.enqueue_callback(batch_id, batch.callback_url, body) and callbacks is not None:
        callbacks.wake()
