"""Server settings, read from ``AFTERSALES_*`` environment variables (pydantic-settings)."""

from __future__ import annotations

from pydantic import Field
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
    callback_timeout_seconds: float = Field(default=5, gt=0)
    events_poll_seconds: float = Field(default=0.25, gt=0)
    events_max_seconds: float = Field(default=3600, gt=0, description="Longest SSE stream.")
