"""Server settings, read from ``AFTERSALES_*`` environment variables (pydantic-settings)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything the HTTP service can be tuned with; defaults give the embedded setup."""

    model_config = SettingsConfigDict(env_prefix="AFTERSALES_", extra="ignore")

    database_url: str = Field(
        default="sqlite:///aftersales-jobs.db",
        description="SQLAlchemy URL of the job store (SQLite file or postgresql+psycopg://...).",
    )
    workers: int = Field(default=2, ge=1, description="Solver processes running at once.")
    max_queue: int = Field(default=100, ge=1, description="Queued jobs before 429.")
    retry_after_seconds: int = Field(default=5, ge=1, description="Retry-After of a 429.")
    max_time_limit_seconds: float = Field(default=600, gt=0, description="Per-job ceiling.")
    max_body_bytes: int = Field(default=20_000_000, ge=1024, description="Request body limit.")
    max_attempts: int = Field(
        default=2, ge=1, description="Runs of a job whose solver process died (2: retry once)."
    )
    deadline_grace_seconds: float = Field(
        default=30, ge=0, description="A solve is killed this long after its time limit."
    )
    callback_secret: str = Field(default="", description="HMAC-SHA256 key of callback bodies.")
    callback_attempts: int = Field(default=5, ge=1)
    callback_backoff_seconds: float = Field(default=0.5, gt=0, description="First retry delay.")
    callback_timeout_seconds: float = Field(default=3, gt=0)
    events_poll_seconds: float = Field(default=0.25, gt=0)
    events_max_seconds: float = Field(default=3600, gt=0, description="Longest SSE stream.")
    no_auth: bool = Field(
        default=False,
        description="Serve without API keys (every request is tenant `default`); refused on a "
        "host other than loopback.",
    )
    admin_key_file: str = Field(
        default="aftersales-admin.key",
        description="Where a new store's admin key is written (mode 0600).",
    )
    tenant_max_queued: int = Field(default=20, ge=1, description="Queued jobs per tenant.")
    tenant_max_running: int = Field(default=2, ge=1, description="Running jobs per tenant.")
    idempotency_hours: float = Field(
        default=24, gt=0, description="An Idempotency-Key returns its job this long."
    )
    lease_seconds: float = Field(
        default=30,
        ge=2,
        description="A running job's lease: renewed by its server every third of it; another "
        "server requeues the job only once the lease has expired.",
    )
    max_validate_bytes: int = Field(
        default=5_000_000, ge=1024, description="Body limit of POST /v1/validate (then 413)."
    )
    events_max_per_tenant: int = Field(default=10, ge=1, description="Open SSE streams each.")
    events_max_total: int = Field(default=100, ge=1, description="Open SSE streams in all.")
    retention_days: float | None = Field(
        default=None, gt=0, description="Ended jobs older than this are deleted (None: kept)."
    )
    max_solver_memory_mb: int | None = Field(
        default=4096,
        ge=64,
        description="Address-space limit (RLIMIT_AS) of each solver process and its children, "
        "MB; the M scenario peaks near 740 MB of address space.",
    )
    solver_nice: int = Field(
        default=10,
        ge=0,
        le=19,
        description="Niceness each solver process adds to its own (inherited by its children: "
        "CBC, simulation workers): on a busy host the API keeps its CPU share and answers "
        "submissions while solves run; 0 runs solvers at the server's priority.",
    )
    callback_allow: str = Field(
        default="",
        description="Comma-separated hosts (names or IPs) callbacks may reach although they are "
        "loopback, private, link-local or reserved.",
    )
    callback_allow_http: bool = Field(
        default=False, description="Allow http:// callback URLs (default: https only)."
    )
    callback_concurrency: int = Field(default=8, ge=1, description="Callbacks sent at once.")
    executor: Literal["local", "celery"] = Field(
        default="local",
        description="Who runs solves: `local` (this server's solver processes) or `celery` "
        "(`aftersales worker` processes on any machine, through the broker).",
    )
    broker_url: str = Field(
        default="amqp://guest:guest@127.0.0.1:5672//",
        description="RabbitMQ URL of the Celery executor (server and workers).",
    )
    celery_queue: str = Field(
        default="aftersales-solve",
        description="Broker queue of solve messages (a priority queue, 0-9). A queue keeps the "
        "arguments it was declared with: change the name to change them.",
    )
    task_time_limit_seconds: float = Field(
        default=3600,
        gt=0,
        description="Longest a worker holds one job's message (its solve is killed then); "
        "must stay below the broker's consumer timeout.",
    )
    broker_consumer_timeout_seconds: float = Field(
        default=7200,
        gt=0,
        description="RabbitMQ's delivery-acknowledgement timeout, declared on the queue "
        "(`x-consumer-timeout`, RabbitMQ >= 3.11.15; older brokers apply their global "
        "`consumer_timeout`, default 1800 s, which must then be set as high in rabbitmq.conf).",
    )
    worker_concurrency: int = Field(
        default=1, ge=1, description="Jobs one `aftersales worker` solves at once."
    )
    outbox_poll_seconds: float = Field(
        default=1.0,
        gt=0,
        description="How often the Celery executor publishes queued jobs not yet with the "
        "broker (refused publishes, requeued jobs, jobs a busy tenant deferred).",
    )
    max_batch_items: int = Field(default=1000, ge=1, description="Items of one batch.")

    @model_validator(mode="after")
    def _limits_nest(self) -> Settings:
        """A job's message must be acknowledged before RabbitMQ gives up on its consumer,
        else the broker closes the worker's channel and redelivers the job mid-solve."""
        if self.task_time_limit_seconds >= self.broker_consumer_timeout_seconds:
            raise ValueError(
                "AFTERSALES_TASK_TIME_LIMIT_SECONDS must be below "
                "AFTERSALES_BROKER_CONSUMER_TIMEOUT_SECONDS"
            )
        return self
