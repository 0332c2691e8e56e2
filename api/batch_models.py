"""Request and response bodies of the batch routes (``/v1/batches``)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field

from aftersales.api.batch_store import BatchItemState, counts
from aftersales.api.models import JobCreate, JobStatusName
from aftersales.api.store import Batch, as_utc


class BatchCreate(BaseModel):
    """Many solve requests run as one nightly batch."""

    model_config = ConfigDict(extra="forbid")

    items: list[JobCreate] = Field(
        min_length=1, description="Each a scenario and optional options, as for POST /v1/jobs."
    )
    priority: int = Field(
        default=0, ge=0, le=9, description="0-9, higher first (ahead of single jobs at 0)."
    )
    callback_url: AnyHttpUrl | None = Field(
        default=None,
        description="Receives a POST of the batch (counts and item statuses) when its last "
        "item ends, signed like job callbacks.",
    )


class BatchAccepted(BaseModel):
    """Answer to a batch submission: the batch and its jobs, in item order."""

    id: str
    items: int
    job_ids: list[str]


class BatchItemPublic(BaseModel):
    """One item: its job (poll it at /v1/jobs/{job_id}) and status."""

    index: int
    job_id: str
    status: JobStatusName
    error: str | None = None


class BatchPublic(BaseModel):
    """A batch: one status per item, counts per status, and whether it has ended."""

    id: str
    status: Literal["running", "ended"] = Field(
        description="`ended` once every item succeeded, failed or was cancelled."
    )
    priority: int
    created_at: datetime
    finished_at: datetime | None = None
    counts: dict[str, int] = Field(description="Items per job status.")
    items: list[BatchItemPublic]

    @classmethod
    def of(cls, batch: Batch, items: list[BatchItemState]) -> BatchPublic:
        """The public view of a stored batch and its items."""
        tally = counts(items)
        ended = tally["queued"] == 0 and tally["running"] == 0
        return cls(
            id=batch.id,
            status="ended" if ended else "running",
            priority=batch.priority,
            created_at=as_utc(batch.created_at),  # type: ignore[arg-type]
            finished_at=as_utc(batch.finished_at),
            counts=tally,
            items=[
                BatchItemPublic(index=i, job_id=it.job_id, status=it.status, error=it.error)  # type: ignore[arg-type]
                for i, it in enumerate(items)
            ],
        )
