"""The job store: SQLAlchemy tables for jobs and their events (SQLite or PostgreSQL).

Every state change is one conditional UPDATE (``WHERE status = ...``), so a job moves through
queued → running → succeeded / failed / cancelled exactly once even when request threads and the
solver pool race. Only the server process writes; solver processes never touch the store.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, cast

from sqlalchemy import (
    Boolean,
    CursorResult,
    DateTime,
    Engine,
    ForeignKey,
    Integer,
    String,
    Text,
    create_engine,
    event,
    func,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

JobStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]
FINAL_STATUSES: frozenset[str] = frozenset({"succeeded", "failed", "cancelled"})


def utcnow() -> datetime:
    """Timezone-aware now in UTC."""
    return datetime.now(UTC)


def as_utc(moment: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes: read them as UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    """Declarative base of the store's tables."""


class Job(Base):
    """One solve request and everything known about it."""

    __tablename__ = "aftersales_jobs"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(36), unique=True, index=True)
    status: Mapped[str] = mapped_column(String(16), index=True, default="queued")
    idempotency_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    scenario_json: Mapped[str] = mapped_column(Text)
    options_json: Mapped[str] = mapped_column(Text)
    callback_url: Mapped[str | None] = mapped_column(Text)
    plan_json: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    progress_json: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    solver_pid: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class JobEvent(Base):
    """One event of a job: a status change or a layer's progress (served as SSE)."""

    __tablename__ = "aftersales_job_events"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("aftersales_jobs.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    data_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class NewJob:
    """What a submission stores."""

    scenario_json: str
    options_json: str
    request_hash: str
    idempotency_key: str | None = None
    callback_url: str | None = None


def make_engine(url: str) -> Engine:
    """Engine for ``url``; SQLite gets WAL, a busy timeout and cross-thread use."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, pool_pre_ping=True
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


class JobStore:
    """Persistent jobs and events; every method is one short transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def from_url(cls, url: str) -> JobStore:
        """Open (and create the tables of) the store at ``url``."""
        store = cls(make_engine(url))
        store.create_tables()
        return store

    def create_tables(self) -> None:
        """Create missing tables (idempotent)."""
        Base.metadata.create_all(self.engine)

    def close(self) -> None:
        """Release the connection pool."""
        self.engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed on success, rolled back on error."""
        with self._sessions() as session, session.begin():
            yield session

    def ping(self) -> None:
        """Raise if the database cannot be reached."""
        with self.session() as session:
            session.execute(select(1))

    # --- submissions -------------------------------------------------------------------------

    def find_by_key(self, key: str) -> Job | None:
        """The job submitted with an Idempotency-Key, if any."""
        with self.session() as session:
            return session.scalars(select(Job).where(Job.idempotency_key == key)).first()

    def create_job(self, new: NewJob) -> tuple[Job, bool]:
        """Insert a queued job; with a known idempotency key return that job instead."""
        now = utcnow()
        job = Job(
            id=str(uuid.uuid4()),
            status="queued",
            idempotency_key=new.idempotency_key,
            request_hash=new.request_hash,
            scenario_json=new.scenario_json,
            options_json=new.options_json,
            callback_url=new.callback_url,
            attempts=0,
            cancel_requested=False,
            created_at=now,
        )
        try:
            with self.session() as session:
                session.add(job)
                session.flush()
                session.add(_event(job.id, "status", {"status": "queued"}, now))
        except IntegrityError:
            if new.idempotency_key is None:
                raise
            existing = self.find_by_key(new.idempotency_key)
            if existing is None:
                raise
            return existing, False
        return job, True

    # --- reading -----------------------------------------------------------------------------

    def get_job(self, job_id: str) -> Job | None:
        """The job with this id, or None."""
        with self.session() as session:
            return session.scalars(select(Job).where(Job.id == job_id)).first()

    def list_jobs(self, status: str | None, limit: int, before_seq: int | None) -> list[Job]:
        """Newest first; ``before_seq`` continues a previous page."""
        query = select(Job).order_by(Job.seq.desc()).limit(limit)
        if status is not None:
            query = query.where(Job.status == status)
        if before_seq is not None:
            query = query.where(Job.seq < before_seq)
        with self.session() as session:
            return list(session.scalars(query))

    def count(self, status: str) -> int:
        """Number of jobs in ``status``."""
        with self.session() as session:
            return session.scalar(select(func.count()).where(Job.status == status)) or 0

    def events_after(self, job_id: str, after_seq: int) -> list[JobEvent]:
        """Events of a job newer than ``after_seq``, oldest first."""
        query = (
            select(JobEvent)
            .where(JobEvent.job_id == job_id, JobEvent.seq > after_seq)
            .order_by(JobEvent.seq)
            .limit(500)
        )
        with self.session() as session:
            return list(session.scalars(query))

    def cancel_requested(self, job_ids: list[str]) -> list[str]:
        """Which of these running jobs were asked to stop."""
        if not job_ids:
            return []
        query = select(Job.id).where(
            Job.id.in_(job_ids), Job.status == "running", Job.cancel_requested.is_(True)
        )
        with self.session() as session:
            return list(session.scalars(query))

    # --- transitions -------------------------------------------------------------------------

    def claim_next(self) -> Job | None:
        """Move the oldest queued job to running and return it (None if the queue is empty)."""
        for _ in range(5):
            with self.session() as session:
                job_id = session.scalars(
                    select(Job.id).where(Job.status == "queued").order_by(Job.seq).limit(1)
                ).first()
                if job_id is None:
                    return None
                now = utcnow()
                claimed = _rowcount(
                    session.execute(
                        update(Job)
                        .where(Job.id == job_id, Job.status == "queued")
                        .values(
                            status="running",
                            started_at=now,
                            attempts=Job.attempts + 1,
                            progress_json=None,
                            solver_pid=None,
                        )
                    )
                )
                if claimed:
                    session.add(_event(job_id, "status", {"status": "running"}, now))
                    return session.scalars(select(Job).where(Job.id == job_id)).one()
        return None

    def set_solver_pid(self, job_id: str, pid: int | None) -> None:
        """Record which process solves a job (for operators and fault tests)."""
        with self.session() as session:
            session.execute(update(Job).where(Job.id == job_id).values(solver_pid=pid))

    def record_progress(self, job_id: str, progress: dict[str, Any]) -> None:
        """Store the latest progress of a running job and append it as a layer event."""
        now = utcnow()
        with self.session() as session:
            session.execute(
                update(Job)
                .where(Job.id == job_id, Job.status == "running")
                .values(progress_json=json.dumps(progress))
            )
            session.add(_event(job_id, "layer", progress, now))

    def finish(
        self,
        job_id: str,
        status: JobStatus,
        *,
        plan_json: str | None = None,
        error: str | None = None,
        only_from: tuple[str, ...] = ("queued", "running"),
    ) -> bool:
        """End a job once; False if it had already ended (or was not in ``only_from``)."""
        now = utcnow()
        with self.session() as session:
            done = _rowcount(
                session.execute(
                    update(Job)
                    .where(Job.id == job_id, Job.status.in_(only_from))
                    .values(
                        status=status,
                        plan_json=plan_json,
                        error=error,
                        finished_at=now,
                        solver_pid=None,
                    )
                )
            )
            if done:
                data: dict[str, Any] = {"status": status}
                if error:
                    data["error"] = error
                session.add(_event(job_id, "status", data, now))
            return bool(done)

    def requeue(self, job_id: str, reason: str) -> bool:
        """Put a running job back in the queue (its solver died or the server stops)."""
        now = utcnow()
        with self.session() as session:
            done = _rowcount(
                session.execute(
                    update(Job)
                    .where(Job.id == job_id, Job.status == "running")
                    .values(status="queued", solver_pid=None, error=reason, progress_json=None)
                )
            )
            if done:
                session.add(_event(job_id, "status", {"status": "queued", "reason": reason}, now))
            return bool(done)

    def request_cancel(self, job_id: str) -> Job | None:
        """Cancel a queued job at once; flag a running one for the pool to stop."""
        with self.session() as session:
            session.execute(
                update(Job)
                .where(Job.id == job_id, Job.status.in_(("queued", "running")))
                .values(cancel_requested=True)
            )
        self.finish(job_id, "cancelled", error="cancelled by request", only_from=("queued",))
        return self.get_job(job_id)

    def requeue_interrupted(self) -> list[str]:
        """At start-up: jobs left running by a previous server go back to the queue."""
        with self.session() as session:
            ids = list(session.scalars(select(Job.id).where(Job.status == "running")))
        return [job_id for job_id in ids if self.requeue(job_id, "server restarted")]


def _event(job_id: str, kind: str, data: dict[str, Any], now: datetime) -> JobEvent:
    return JobEvent(job_id=job_id, kind=kind, data_json=json.dumps(data), created_at=now)


def _rowcount(result: Any) -> int:
    """Rows an UPDATE touched."""
    return cast("CursorResult[Any]", result).rowcount
