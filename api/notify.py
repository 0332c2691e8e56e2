"""What happens when a job ends: its signed callback goes to the outbox, if it asked for one."""

from __future__ import annotations

import json

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
    if job is None or job.status not in FINAL_STATUSES or not job.callback_url:
        return
    body = callback_body(JobSummary.from_job(job)).decode()
    if store.enqueue_callback(job_id, job.callback_url, body) and callbacks is not None:
        callbacks.wake()
