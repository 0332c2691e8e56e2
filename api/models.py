"""Request and response bodies of the HTTP API (the Scenario and Plan are
aftersales.optimizer.schema's)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field

from aftersales.api.store import Job, as_utc
from aftersales.optimizer.schema import Plan, Scenario, SolveOptions, TierKpi
from aftersales.optimizer.schema.plan import CostBreakdown
from aftersales.optimizer.validate import Violation

JobStatusName = Literal["queued", "running", "succeeded", "failed", "cancelled"]


class JobOptions(SolveOptions):
    """Solve options of one job: the scenario's SolveOptions plus how the service runs it."""

    callback_url: AnyHttpUrl | None = Field(
        default=None,
        description="Receives a POST of the job summary when the job ends, signed in the "
        "X-Aftersales-Signature header (sha256=HMAC-SHA256 of the body).",
    )
    deterministic: bool = Field(
        default=True,
        description="The scenario option `deterministic` with the service's default, true: "
        "every layer stops on work limits and `seed` is used as given, so a rerun gives the "
        "same plan under any server load. False stops the layers on the wall clock and draws "
        "a fresh seed (recorded in the job's options).",
    )


class JobCreate(BaseModel):
    """A solve request: the scenario, optionally options replacing the scenario's own, and
    optionally the previous plan to warm-start from (one of ``previous_job_id`` and
    ``previous_plan``)."""

    model_config = ConfigDict(extra="forbid")

    scenario: Scenario
    options: JobOptions | None = None
    previous_job_id: str | None = Field(
        default=None,
        max_length=36,
        description="A job of yours with a plan (e.g. last night's): its plan warm-starts the "
        "network and routing layers (routes matched by calendar day). Unknown or another "
        "tenant's: 422; no plan (yet): 409.",
    )
    previous_plan: Plan | None = Field(
        default=None,
        description="A previous plan given inline instead of previous_job_id (not both: 422).",
    )


class JobProgress(BaseModel):
    """Latest progress of a running job."""

    layer: str
    event: Literal["started", "finished"]
    percent: float = Field(description="Share of requested layers finished, 0-100.")
    objective: float | None = Field(default=None, description="Objective of the layer just done.")
    elapsed_seconds: float
    message: str = ""


class JobSummary(BaseModel):
    """A job without its documents (as listed)."""

    id: str
    status: JobStatusName
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    attempts: int = Field(description="Solver runs started (a dead solver is retried once).")
    progress: JobProgress | None = None
    error: str | None = Field(default=None, description="Why the job failed, or last retry.")

    @classmethod
    def from_job(cls, job: Job) -> JobSummary:
        """Summary of a stored job."""
        return cls(**_summary_fields(job))


class PreviousJob(BaseModel):
    """Where a job's warm start came from: another job's plan, a plan sent inline, or nowhere
    (a cold solve)."""

    id: str | None = Field(
        default=None, description="The job whose plan warm-starts this one (null when inline)."
    )
    inline: bool = Field(default=False, description="The plan came in the body (previous_plan).")


class JobPublic(JobSummary):
    """A job with its effective options and, once succeeded, its plan."""

    options: JobOptions
    cancel_requested: bool = False
    previous: PreviousJob = Field(
        default_factory=lambda: PreviousJob(),
        description="The previous plan that warm-starts the solve (id null and inline false: "
        "a cold solve).",
    )
    plan: Plan | None = None

    @classmethod
    def from_job(cls, job: Job) -> JobPublic:
        """Full view of a stored job."""
        plan = Plan.model_validate_json(job.plan_json) if job.plan_json else None
        return cls(
            **_summary_fields(job),
            options=JobOptions.model_validate_json(job.options_json),
            cancel_requested=job.cancel_requested,
            previous=PreviousJob(
                id=job.previous_job_id,
                inline=job.previous_plan_json is not None and job.previous_job_id is None,
            ),
            plan=plan,
        )


class JobAccepted(BaseModel):
    """Answer to a submission: where to poll."""

    id: str
    status: JobStatusName


class JobsPublic(BaseModel):
    """One page of jobs, newest first."""

    data: list[JobSummary]
    count: int
    next_cursor: str | None = Field(default=None, description="Pass as `cursor` for the next page.")


class ValidatePublicRequest(BaseModel):
    """A scenario and a plan to check against it."""

    model_config = ConfigDict(extra="forbid")

    scenario: Scenario
    plan: Plan


class ValidationPublic(BaseModel):
    """Violations of a plan plus KPIs and costs recomputed from the scenario alone."""

    ok: bool
    violations: list[Violation]
    kpis: list[TierKpi]
    costs: CostBreakdown


class ErrorItem(BaseModel):
    """One problem of a request: where (JSON pointer into the body or the parameter) and what."""

    pointer: str
    message: str
    location: Literal["body", "query", "path", "header", "cookie"] = "body"


class ErrorPublic(BaseModel):
    """Error answer: a summary and, for 422, every located problem."""

    detail: str
    errors: list[ErrorItem] = Field(default_factory=list)


class HealthPublic(BaseModel):
    """Liveness; the details only for a caller with a valid key."""

    status: Literal["ok", "degraded"]
    database: str | None = None
    workers: int | None = None
    running: int | None = Field(default=None, description="Solver processes of this server.")
    queued: int | None = Field(default=None, description="Queued jobs of the key's tenant.")


def _summary_fields(job: Job) -> dict[str, Any]:
    progress = (
        JobProgress.model_validate(json.loads(job.progress_json)) if job.progress_json else None
    )
    return {
        "id": job.id,
        "status": job.status,
        "created_at": as_utc(job.created_at),
        "started_at": as_utc(job.started_at),
        "finished_at": as_utc(job.finished_at),
        "attempts": job.attempts,
        "progress": progress,
        "error": job.error,
    }
