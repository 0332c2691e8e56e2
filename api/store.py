"""The job store: SQLAlchemy tables for jobs, their events, API keys (SQLite or PostgreSQL).

Every state change is one conditional UPDATE (``WHERE status = ...``), so a job moves through
queued → running → succeeded / failed / cancelled exactly once even when request threads and the
solver pool race. Only server processes write; solver processes never touch the store.

Every job belongs to a tenant and every read is scoped to it. Admission (idempotency look-up,
queue limits, insert) runs under one lock: a process lock on SQLite (one server per SQLite file),
``pg_advisory_xact_lock`` on PostgreSQL (any number of servers), so limits hold under concurrent
submissions. A running job is held by a lease (``owner``, ``lease_until``) that its server renews;
only an expired lease lets another server (or a restart) put the job back in the queue.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, cast

from sqlalchemy import (
    Boolean,
    CursorResult,
    DateTime,
    Engine,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    create_engine,
    delete,
    event,
    func,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, load_only, mapped_column, sessionmaker

JobStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]
FINAL_STATUSES: frozenset[str] = frozenset({"succeeded", "failed", "cancelled"})
DEFAULT_TENANT = "default"
"""Tenant of jobs stored before tenants existed, and of a ``--no-auth`` development server."""
ADMISSION_LOCK_ID = 7_410_214
"""PostgreSQL advisory lock serialising admissions and claims across servers."""


class QueueFull(Exception):
    """A submission over a queue limit (the server's or the tenant's)."""

    def __init__(self, scope: Literal["server", "tenant"], limit: int) -> None:
        super().__init__(f"{scope} queue full ({limit} jobs waiting); retry later")
        self.scope = scope
        self.limit = limit


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
    tenant: Mapped[str] = mapped_column(String(64), index=True, default=DEFAULT_TENANT)
    status: Mapped[str] = mapped_column(String(16), index=True, default="queued")
    idempotency_key: Mapped[str | None] = mapped_column(String(330), unique=True)
    """``tenant`` + a unit separator + the client's key: unique per tenant, not globally."""
    request_hash: Mapped[str] = mapped_column(String(64))
    scenario_json: Mapped[str] = mapped_column(Text)
    options_json: Mapped[str] = mapped_column(Text)
    previous_job_id: Mapped[str | None] = mapped_column(String(36))
    """The tenant's job whose plan warm-starts this one (its plan is copied at submission)."""
    previous_plan_json: Mapped[str | None] = mapped_column(Text)
    """The plan that warm-starts the solve: ``previous_job_id``'s, or one given inline."""
    callback_url: Mapped[str | None] = mapped_column(Text)
    plan_json: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    progress_json: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    solver_pid: Mapped[int | None] = mapped_column(Integer)
    owner: Mapped[str | None] = mapped_column(String(36))
    """The server (instance id) whose solver pool runs the job."""
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    priority: Mapped[int | None] = mapped_column(Integer, default=0)
    """0-9, higher first (a batch's priority); NULL on rows stored before priorities (= 0)."""
    batch_id: Mapped[str | None] = mapped_column(String(36), index=True)
    """The batch the job belongs to, if any."""
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """When the job's message went to the broker (Celery executor); NULL on a queued job =
    still to publish (the outbox). The local pool ignores it."""


Index("ix_aftersales_jobs_tenant_seq", Job.tenant, Job.seq)
"""A tenant's newest jobs first (every list) without sorting the tenant's rows."""

SUMMARY_COLUMNS = (
    Job.seq,
    Job.id,
    Job.tenant,
    Job.status,
    Job.attempts,
    Job.progress_json,
    Job.error,
    Job.created_at,
    Job.started_at,
    Job.finished_at,
    Job.priority,
    Job.batch_id,
)
"""What a job list reads: never the scenario, options or plan documents."""


class JobEvent(Base):
    """One event of a job: a status change or a layer's progress (served as SSE)."""

    __tablename__ = "aftersales_job_events"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("aftersales_jobs.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    data_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ApiKey(Base):
    """An API key: only the SHA-256 of the secret is stored."""

    __tablename__ = "aftersales_api_keys"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(64), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Callback(Base):
    """One job-end callback in the outbox: delivered (or given up) once, retried with back-off."""

    __tablename__ = "aftersales_callbacks"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(String(36), unique=True)
    """Unique: a job ends once, so it has one callback however many requests raced to end it."""
    url: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), index=True, default="pending")
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)


class Batch(Base):
    """A batch of jobs submitted together (nightly runs): one priority, one end callback."""

    __tablename__ = "aftersales_batches"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(36), unique=True, index=True)
    tenant: Mapped[str] = mapped_column(String(64), index=True)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    items: Mapped[int] = mapped_column(Integer)
    callback_url: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """When its last item ended (set once: the caller that sets it sends the callback)."""


@dataclass(frozen=True)
class NewJob:
    """What a submission stores."""

    scenario_json: str
    options_json: str
    request_hash: str
    idempotency_key: str | None = None
    callback_url: str | None = None
    tenant: str = DEFAULT_TENANT
    previous_job_id: str | None = None
    previous_plan_json: str | None = None
    priority: int = 0
    batch_id: str | None = None


ClaimOutcome = Literal["claimed", "gone", "busy", "ended"]
"""What claiming one named job gave: it is ours now; it is not waiting (running under a live
lease elsewhere, or ended); its tenant is at its running limit (try later); it has used its
runs or was cancelled (ended now)."""


@dataclass(frozen=True)
class Limits:
    """Admission limits: jobs waiting on the server and per tenant; idempotency key lifetime."""

    max_queue: int = 100
    tenant_max_queued: int = 100
    idempotency_hours: float = 24.0


def scoped_key(tenant: str, key: str) -> str:
    """The stored idempotency key: per tenant, so two tenants may use the same key."""
    return f"{tenant}\x1f{key}"


def new_job_row(new: NewJob, now: datetime, key: str | None = None) -> Job:
    """The queued row of a submission (``key``: its scoped idempotency key)."""
    return Job(
        id=str(uuid.uuid4()),
        tenant=new.tenant,
        status="queued",
        idempotency_key=key,
        request_hash=new.request_hash,
        scenario_json=new.scenario_json,
        options_json=new.options_json,
        previous_job_id=new.previous_job_id,
        previous_plan_json=new.previous_plan_json,
        callback_url=new.callback_url,
        attempts=0,
        cancel_requested=False,
        created_at=now,
        priority=new.priority,
        batch_id=new.batch_id,
    )


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
    """Persistent jobs, events, keys and callbacks; every method is one short transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._admission_lock = threading.Lock()
        self._postgres = engine.dialect.name == "postgresql"

    @classmethod
    def from_url(cls, url: str) -> JobStore:
        """Open (and create or upgrade the tables of) the store at ``url``."""
        store = cls(make_engine(url))
        store.create_tables()
        return store

    def create_tables(self) -> None:
        """Create missing tables and add columns newer than a store's tables (idempotent)."""
        Base.metadata.create_all(self.engine)
        existing = inspect(self.engine)
        with self.engine.begin() as connection:
            for table in Base.metadata.sorted_tables:
                have = {c["name"] for c in existing.get_columns(table.name)}
                for column in table.columns:
                    if column.name in have:
                        continue
                    kind = column.type.compile(dialect=self.engine.dialect)
                    connection.execute(
                        text(f"ALTER TABLE {table.name} ADD COLUMN {column.name} {kind}")
                    )
            for table in Base.metadata.sorted_tables:
                for index in table.indexes:  # indexes newer than an existing table
                    index.create(connection, checkfirst=True)
            connection.execute(
                update(Job).where(Job.tenant.is_(None)).values(tenant=DEFAULT_TENANT)
            )

    def close(self) -> None:
        """Release the connection pool."""
        self.engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed on success, rolled back on error."""
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def serialised(self) -> Iterator[Session]:
        """A transaction no other admission or claim runs beside (on any server sharing a
        PostgreSQL database; on SQLite, in this process)."""
        with self._admission_lock, self.session() as session:
            if self._postgres:
                session.execute(
                    text("SELECT pg_advisory_xact_lock(:id)"), {"id": ADMISSION_LOCK_ID}
                )
            yield session

    def ping(self) -> None:
        """Raise if the database cannot be reached."""
        with self.session() as session:
            session.execute(select(1))

    # --- API keys ------------------------------------------------------------------------------

    def add_key(self, key: ApiKey) -> None:
        """Store a new key (its hash)."""
        with self.session() as session:
            session.add(key)

    def get_key(self, key_id: str) -> ApiKey | None:
        """The key with this id, or None."""
        with self.session() as session:
            return session.get(ApiKey, key_id)

    def list_keys(self) -> list[ApiKey]:
        """Every key, oldest first."""
        with self.session() as session:
            return list(session.scalars(select(ApiKey).order_by(ApiKey.created_at)))

    def count_keys(self) -> int:
        """Number of keys ever created (0 on a new store)."""
        with self.session() as session:
            return session.scalar(select(func.count()).select_from(ApiKey)) or 0

    def revoke_key(self, key_id: str) -> bool:
        """Revoke a key; False if unknown or already revoked."""
        with self.session() as session:
            done = session.execute(
                update(ApiKey)
                .where(ApiKey.id == key_id, ApiKey.revoked_at.is_(None))
                .values(revoked_at=utcnow())
            )
            return bool(_rowcount(done))

    # --- submissions -------------------------------------------------------------------------

    def find_by_key(self, tenant: str, key: str) -> Job | None:
        """The job a tenant submitted with an Idempotency-Key, if any (and not expired)."""
        with self.session() as session:
            return session.scalars(
                select(Job).where(Job.idempotency_key == scoped_key(tenant, key))
            ).first()

    def create_job(self, new: NewJob, limits: Limits | None = None) -> tuple[Job, bool]:
        """Insert a queued job, or return the tenant's job with the same idempotency key.

        Raises ``QueueFull`` when the server or the tenant has its limit of queued jobs. The
        look-up, the counts and the insert form one serialised transaction, so the limits hold
        however many submissions race.
        """
        limits = limits or Limits()
        now = utcnow()
        key = scoped_key(new.tenant, new.idempotency_key) if new.idempotency_key else None
        with self.serialised() as session:
            if key is not None:
                cutoff = now - timedelta(hours=limits.idempotency_hours)
                session.execute(
                    update(Job)
                    .where(Job.idempotency_key == key, Job.created_at < cutoff)
                    .values(idempotency_key=None)
                )
                existing = session.scalars(select(Job).where(Job.idempotency_key == key)).first()
                if existing is not None:
                    return existing, False
            queued = select(func.count()).select_from(Job).where(Job.status == "queued")
            if (session.scalar(queued) or 0) >= limits.max_queue:
                raise QueueFull("server", limits.max_queue)
            mine = queued.where(Job.tenant == new.tenant)
            if (session.scalar(mine) or 0) >= limits.tenant_max_queued:
                raise QueueFull("tenant", limits.tenant_max_queued)
            job = new_job_row(new, now, key)
            session.add(job)
            session.flush()
            session.add(_event(job.id, "status", {"status": "queued"}, now))
        return job, True

    # --- reading -----------------------------------------------------------------------------

    def get_job(self, job_id: str, tenant: str | None = None) -> Job | None:
        """The job with this id (of ``tenant`` when given), or None."""
        query = select(Job).where(Job.id == job_id)
        if tenant is not None:
            query = query.where(Job.tenant == tenant)
        with self.session() as session:
            return session.scalars(query).first()

    def list_jobs(
        self, tenant: str | None, status: str | None, limit: int, before_seq: int | None
    ) -> list[Job]:
        """Summaries newest first (documents not read); ``before_seq`` continues a page."""
        query = select(Job).options(load_only(*SUMMARY_COLUMNS)).order_by(Job.seq.desc())
        query = query.limit(limit)
        if tenant is not None:
            query = query.where(Job.tenant == tenant)
        if status is not None:
            query = query.where(Job.status == status)
        if before_seq is not None:
            query = query.where(Job.seq < before_seq)
        with self.session() as session:
            return list(session.scalars(query))

    def count(self, status: str, tenant: str | None = None) -> int:
        """Number of jobs in ``status`` (of ``tenant`` when given)."""
        query = select(func.count()).select_from(Job).where(Job.status == status)
        if tenant is not None:
            query = query.where(Job.tenant == tenant)
        with self.session() as session:
            return session.scalar(query) or 0

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

    def claim_next(
        self, owner: str = "", lease_seconds: float = 60, tenant_max_running: int = 1_000_000
    ) -> Job | None:
        """Move the oldest queued job of a tenant below its running limit to running, leased
        to ``owner`` for ``lease_seconds``; None if no job may start."""
        busy = (
            select(Job.tenant)
            .where(Job.status == "running")
            .group_by(Job.tenant)
            .having(func.count() >= tenant_max_running)
        )
        with self.serialised() as session:
            job_id = session.scalars(
                select(Job.id)
                .where(Job.status == "queued", Job.tenant.not_in(busy))
                .order_by(func.coalesce(Job.priority, 0).desc(), Job.seq)
                .limit(1)
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
                        owner=owner,
                        lease_until=now + timedelta(seconds=lease_seconds),
                    )
                )
            )
            if not claimed:
                return None
            session.add(_event(job_id, "status", {"status": "running"}, now))
            return session.scalars(select(Job).where(Job.id == job_id)).one()

    def claim_job(
        self,
        job_id: str,
        owner: str,
        lease_seconds: float,
        tenant_max_running: int = 1_000_000,
        max_attempts: int = 2,
    ) -> tuple[ClaimOutcome, Job | None]:
        """Take the named job for ``owner`` (a Celery worker's attempt): a queued job, or a
        running one whose lease expired (its worker died; the broker redelivered its message).
        A job that has used ``max_attempts`` runs fails instead; a tenant at its running limit
        (counted over every worker) leaves the job queued, to be published again."""
        now = utcnow()
        takeable = (Job.status == "queued") | (
            (Job.status == "running") & (Job.lease_until.is_(None) | (Job.lease_until < now))
        )
        with self.serialised() as session:
            job = session.scalars(select(Job).where(Job.id == job_id, takeable)).first()
            if job is None:
                return "gone", None
            if job.cancel_requested or job.attempts >= max_attempts:
                reason = (
                    "cancelled by request"
                    if job.cancel_requested
                    else f"its worker died in each of its {job.attempts} runs"
                )
                job.status = "failed" if not job.cancel_requested else "cancelled"
                job.error, job.finished_at, job.lease_until, job.owner = reason, now, None, None
                session.add(_event(job_id, "status", {"status": job.status, "error": reason}, now))
                return "ended", job
            running = (
                select(func.count())
                .select_from(Job)
                .where(Job.status == "running", Job.tenant == job.tenant, Job.id != job_id)
            )
            if (session.scalar(running) or 0) >= tenant_max_running:
                if job.status == "running":  # an expired lease: back to the queue
                    job.status, job.owner, job.lease_until = "queued", None, None
                    job.published_at = None
                return "busy", None
            job.status, job.started_at, job.attempts = "running", now, job.attempts + 1
            job.progress_json, job.solver_pid, job.owner = None, None, owner
            job.lease_until = now + timedelta(seconds=lease_seconds)
            session.add(_event(job_id, "status", {"status": "running"}, now))
            session.flush()
            return "claimed", job

    def unpublished(self, limit: int = 100) -> list[tuple[str, int]]:
        """Queued jobs whose broker message is still to send (the outbox), highest priority
        and oldest first: ``(id, priority)``."""
        query = (
            select(Job.id, func.coalesce(Job.priority, 0))
            .where(Job.status == "queued", Job.published_at.is_(None))
            .order_by(func.coalesce(Job.priority, 0).desc(), Job.seq)
            .limit(limit)
        )
        with self.session() as session:
            return [(row[0], int(row[1])) for row in session.execute(query)]

    def mark_published(self, job_ids: list[str]) -> None:
        """Their messages are with the broker."""
        if not job_ids:
            return
        with self.session() as session:
            session.execute(
                update(Job)
                .where(Job.id.in_(job_ids), Job.status == "queued")
                .values(published_at=utcnow())
            )

    def renew_leases(self, owner: str, job_ids: list[str], lease_seconds: float) -> list[str]:
        """Extend the leases ``owner`` holds on these jobs; returns the ids it still holds
        (a job missing from the answer was requeued or ended elsewhere: stop its solve)."""
        if not job_ids:
            return []
        held = (Job.id.in_(job_ids), Job.owner == owner, Job.status == "running")
        with self.session() as session:
            session.execute(
                update(Job)
                .where(*held)
                .values(lease_until=utcnow() + timedelta(seconds=lease_seconds))
            )
            return list(session.scalars(select(Job.id).where(*held)))

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
        owner: str | None = None,
    ) -> bool:
        """End a job once; False if it had already ended (or was not in ``only_from``, or is
        no longer leased to ``owner`` when given)."""
        now = utcnow()
        condition = [Job.id == job_id, Job.status.in_(only_from)]
        if owner is not None:
            condition.append(Job.owner == owner)
        with self.session() as session:
            done = _rowcount(
                session.execute(
                    update(Job)
                    .where(*condition)
                    .values(
                        status=status,
                        plan_json=plan_json,
                        error=error,
                        finished_at=now,
                        solver_pid=None,
                        lease_until=None,
                    )
                )
            )
            if done:
                data: dict[str, Any] = {"status": status}
                if error:
                    data["error"] = error
                session.add(_event(job_id, "status", data, now))
            return bool(done)

    def requeue(self, job_id: str, reason: str, owner: str | None = None) -> bool:
        """Put a running job back in the queue (its solver died, the server stops, or its
        lease expired); with ``owner``, only while that server holds it."""
        now = utcnow()
        condition = [Job.id == job_id, Job.status == "running"]
        if owner is not None:
            condition.append(Job.owner == owner)
        with self.session() as session:
            done = _rowcount(
                session.execute(
                    update(Job)
                    .where(*condition)
                    .values(
                        status="queued",
                        solver_pid=None,
                        error=reason,
                        progress_json=None,
                        owner=None,
                        lease_until=None,
                        published_at=None,
                    )
                )
            )
            if done:
                session.add(_event(job_id, "status", {"status": "queued", "reason": reason}, now))
            return bool(done)

    def request_cancel(self, job_id: str, tenant: str | None = None) -> tuple[Job | None, bool]:
        """Cancel a queued job at once; flag a running one for its pool to stop.

        Returns the job and whether *this* call ended it (so exactly one caller sends the
        callback however many cancel at once).
        """
        owned = [Job.id == job_id] if tenant is None else [Job.id == job_id, Job.tenant == tenant]
        with self.session() as session:
            session.execute(
                update(Job)
                .where(*owned, Job.status.in_(("queued", "running")))
                .values(cancel_requested=True)
            )
        if self.get_job(job_id, tenant) is None:
            return None, False
        ended = self.finish(
            job_id, "cancelled", error="cancelled by request", only_from=("queued",)
        )
        return self.get_job(job_id, tenant), ended

    def requeue_expired(self) -> list[str]:
        """Running jobs whose lease expired (their server died or lost the database) go back
        to the queue; a live server renews its leases long before."""
        now = utcnow()
        with self.session() as session:
            ids = list(
                session.scalars(
                    select(Job.id).where(
                        Job.status == "running",
                        (Job.lease_until.is_(None)) | (Job.lease_until < now),
                    )
                )
            )
        return [job_id for job_id in ids if self._requeue_if_expired(job_id, now)]

    def _requeue_if_expired(self, job_id: str, now: datetime) -> bool:
        with self.session() as session:
            done = _rowcount(
                session.execute(
                    update(Job)
                    .where(
                        Job.id == job_id,
                        Job.status == "running",
                        (Job.lease_until.is_(None)) | (Job.lease_until < now),
                    )
                    .values(
                        status="queued",
                        solver_pid=None,
                        error="lease expired (server stopped or lost)",
                        progress_json=None,
                        owner=None,
                        lease_until=None,
                        published_at=None,
                    )
                )
            )
            if done:
                data = {"status": "queued", "reason": "lease expired"}
                session.add(_event(job_id, "status", data, now))
            return bool(done)

    def requeue_interrupted(self) -> list[str]:
        """At start-up: jobs whose server is gone (lease expired) go back to the queue."""
        return self.requeue_expired()

    # --- callback outbox ---------------------------------------------------------------------

    def enqueue_callback(self, job_id: str, url: str, body: str) -> bool:
        """Add a job's end callback to the outbox once; False if it is already there."""
        try:
            with self.session() as session:
                query = select(Callback.seq).where(Callback.job_id == job_id)
                if session.scalars(query).first() is not None:
                    return False
                session.add(
                    Callback(
                        job_id=job_id,
                        url=url,
                        body=body,
                        status="pending",
                        attempt=0,
                        due_at=utcnow(),
                    )
                )
        except IntegrityError:  # a racing request enqueued it first
            return False
        return True

    def claim_callbacks(self, limit: int, hold_seconds: float) -> list[Callback]:
        """Take up to ``limit`` due callbacks for ``hold_seconds`` (another server takes them
        only after that, so a crashed sender's callbacks are retried, not lost)."""
        now = utcnow()
        due = (
            Callback.status == "pending",
            Callback.due_at <= now,
            (Callback.claimed_until.is_(None)) | (Callback.claimed_until < now),
        )
        taken: list[Callback] = []
        with self.session() as session:
            candidates = list(
                session.scalars(select(Callback).where(*due).order_by(Callback.due_at).limit(limit))
            )
            for row in candidates:
                hold = now + timedelta(seconds=hold_seconds)
                claimed = session.execute(
                    update(Callback)
                    .where(Callback.seq == row.seq, *due)
                    .values(claimed_until=hold)
                    .execution_options(synchronize_session=False)
                )
                if _rowcount(claimed):
                    taken.append(row)
        return taken

    def callback_done(
        self, seq: int, *, sent: bool, error: str | None, retry_in: float | None
    ) -> None:
        """Record an attempt: sent, retried after ``retry_in`` seconds, or given up (None)."""
        values: dict[str, Any] = {"attempt": Callback.attempt + 1, "claimed_until": None}
        if sent:
            values["status"] = "sent"
        elif retry_in is None:
            values |= {"status": "failed", "last_error": error}
        else:
            values |= {"last_error": error, "due_at": utcnow() + timedelta(seconds=retry_in)}
        with self.session() as session:
            session.execute(update(Callback).where(Callback.seq == seq).values(**values))

    def callbacks_of(self, job_id: str) -> list[Callback]:
        """The outbox rows of a job (for operators and tests)."""
        with self.session() as session:
            return list(session.scalars(select(Callback).where(Callback.job_id == job_id)))

    # --- retention ---------------------------------------------------------------------------

    def purge_job(self, job_id: str, tenant: str | None = None) -> bool:
        """Delete an ended job with its events and callbacks; False if unknown or not ended."""
        with self.session() as session:
            query = select(Job.id).where(Job.id == job_id, Job.status.in_(FINAL_STATUSES))
            if tenant is not None:
                query = query.where(Job.tenant == tenant)
            if session.scalars(query).first() is None:
                return False
            _delete_jobs(session, [job_id])
            return True

    def purge_older_than(self, days: float, batch: int = 500) -> int:
        """Delete ended jobs that finished more than ``days`` ago; returns how many."""
        cutoff = utcnow() - timedelta(days=days)
        removed = 0
        while True:
            with self.session() as session:
                ids = list(
                    session.scalars(
                        select(Job.id)
                        .where(Job.status.in_(FINAL_STATUSES), Job.finished_at < cutoff)
                        .limit(batch)
                    )
                )
                if not ids:
                    return removed
                _delete_jobs(session, ids)
                removed += len(ids)


def _delete_jobs(session: Session, ids: list[str]) -> None:
    session.execute(delete(JobEvent).where(JobEvent.job_id.in_(ids)))
    session.execute(delete(Callback).where(Callback.job_id.in_(ids)))
    session.execute(delete(Job).where(Job.id.in_(ids)))


def _event(job_id: str, kind: str, data: dict[str, Any], now: datetime) -> JobEvent:
    return JobEvent(job_id=job_id, kind=kind, data_json=json.dumps(data), created_at=now)


def _rowcount(result: Any) -> int:
    """Rows an UPDATE touched."""
    return cast("CursorResult[Any]", result).rowcount
