"""The job store on SQLite and on the real local PostgreSQL."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text, update

from aftersales.api.keys import create_key, tenant_of
from aftersales.api.store import ApiKey, Job, JobStore, Limits, NewJob, QueueFull, utcnow


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[JobStore]:
    """An empty store on each backend (PostgreSQL: a fresh schema, tables emptied)."""
    if request.param == "sqlite":
        opened = JobStore.from_url(f"sqlite:///{tmp_path / 'jobs.db'}")
    else:
        opened = JobStore.from_url(request.getfixturevalue("postgres_url"))
        with opened.engine.begin() as connection:
            connection.exec_driver_sql("DELETE FROM aftersales_job_events")
            connection.exec_driver_sql("DELETE FROM aftersales_callbacks")
            connection.exec_driver_sql("DELETE FROM aftersales_jobs")
            connection.exec_driver_sql("DELETE FROM aftersales_api_keys")
    yield opened
    opened.close()


def new_job(key: str | None = None, request_hash: str = "h", tenant: str = "a") -> NewJob:
    """A submission of ``tenant`` with placeholder documents."""
    return NewJob(
        "{}", '{"time_limit_seconds": 5}', request_hash, idempotency_key=key, tenant=tenant
    )


def test_create_and_read(store: JobStore) -> None:
    """A created job is queued, readable and has a status event."""
    job, created = store.create_job(new_job())
    assert created
    assert store.get_job(job.id).status == "queued"
    assert [e.kind for e in store.events_after(job.id, 0)] == ["status"]
    assert store.get_job("missing") is None


def test_idempotency_key_returns_same_job(store: JobStore) -> None:
    """A second insert with the same key returns the first job."""
    first, _ = store.create_job(new_job("k1"))
    second, created = store.create_job(new_job("k1"))
    assert not created
    assert second.id == first.id
    assert store.count("queued") == 1


def test_claim_each_job_once_under_races(store: JobStore) -> None:
    """Four threads claiming ten jobs get each exactly once."""
    ids = {store.create_job(new_job())[0].id for _ in range(10)}
    claimed: list[str] = []
    lock = threading.Lock()

    def claim() -> None:
        while (job := store.claim_next()) is not None:
            with lock:
                claimed.append(job.id)

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(claimed) == sorted(ids)
    assert store.count("running") == 10


def test_finish_only_once(store: JobStore) -> None:
    """A job ends once: a second finish is refused."""
    job, _ = store.create_job(new_job())
    store.claim_next()
    assert store.finish(job.id, "succeeded", plan_json="{}")
    assert not store.finish(job.id, "failed", error="late")
    assert store.get_job(job.id).status == "succeeded"


def test_requeue_interrupted(store: JobStore) -> None:
    """Jobs left running with an expired lease go back to the queue, ended ones stay ended."""
    running, _ = store.create_job(new_job())
    done, _ = store.create_job(new_job())
    store.claim_next("gone", lease_seconds=0)
    store.claim_next("gone", lease_seconds=0)
    store.finish(done.id, "succeeded", plan_json="{}")
    assert store.requeue_interrupted() == [running.id]
    assert store.get_job(running.id).status == "queued"
    assert store.get_job(done.id).status == "succeeded"
    assert store.claim_next().attempts == 2


def test_cancel_queued_and_flag_running(store: JobStore) -> None:
    """Cancel ends a queued job at once and flags a running one."""
    first, _ = store.create_job(new_job())
    second, _ = store.create_job(new_job())
    store.claim_next()
    cancelled, ended = store.request_cancel(second.id)
    assert (cancelled.status, ended) == ("cancelled", True)
    assert store.request_cancel(second.id)[1] is False  # a second cancel ends nothing
    flagged, ended = store.request_cancel(first.id)
    assert (flagged.status, ended) == ("running", False)
    assert store.cancel_requested([first.id, second.id]) == [first.id]


def test_list_pages_newest_first(store: JobStore) -> None:
    """Pages by sequence, newest first, filtered by status."""
    ids = [store.create_job(new_job())[0].id for _ in range(5)]
    page = store.list_jobs("a", None, 2, None)
    assert [j.id for j in page] == ids[::-1][:2]
    rest = store.list_jobs("a", None, 10, page[-1].seq)
    assert [j.id for j in rest] == ids[::-1][2:]
    assert store.list_jobs("a", "running", 10, None) == []
    assert store.list_jobs("b", None, 10, None) == []


def test_live_lease_is_not_requeued_and_lost_lease_is_reported(store: JobStore) -> None:
    """A renewed lease keeps its job; once expired another server requeues it and the first
    server learns from renew_leases that it lost the job (so it cannot finish it)."""
    job, _ = store.create_job(new_job())
    store.claim_next("server-1", lease_seconds=30)
    assert store.requeue_expired() == []
    assert store.renew_leases("server-1", [job.id], 30) == [job.id]
    store.renew_leases("server-1", [job.id], 0)  # lease ends now
    time.sleep(0.01)
    assert store.requeue_expired() == [job.id]
    again = store.claim_next("server-2", lease_seconds=30)
    assert again.id == job.id
    assert again.attempts == 2
    assert store.renew_leases("server-1", [job.id], 30) == []
    assert not store.finish(job.id, "succeeded", plan_json="{}", owner="server-1")
    assert store.finish(job.id, "succeeded", plan_json="{}", owner="server-2")


def test_jobs_are_scoped_to_their_tenant(store: JobStore) -> None:
    """Tenant b neither reads, lists, cancels nor purges tenant a's job."""
    job, _ = store.create_job(new_job(tenant="a"))
    assert store.get_job(job.id, "b") is None
    assert store.get_job(job.id, "a").id == job.id
    assert store.list_jobs("b", None, 10, None) == []
    assert store.request_cancel(job.id, "b") == (None, False)
    assert store.get_job(job.id).status == "queued"
    assert store.count("queued", "a") == 1
    assert store.count("queued", "b") == 0


def test_idempotency_keys_are_per_tenant_and_expire(store: JobStore) -> None:
    """The same key in two tenants gives two jobs; an expired key gives a new job."""
    first, _ = store.create_job(new_job("nightly", tenant="a"))
    other, created = store.create_job(new_job("nightly", tenant="b"))
    assert created
    assert other.id != first.id
    assert store.find_by_key("a", "nightly").id == first.id
    with store.session() as session:  # age the job past the 24 h key lifetime
        old = utcnow() - timedelta(hours=25)
        session.execute(update(Job).where(Job.id == first.id).values(created_at=old))
    fresh, created = store.create_job(new_job("nightly", tenant="a"))
    assert created
    assert fresh.id != first.id


def test_queue_limit_is_atomic(store: JobStore) -> None:
    """50 concurrent submissions against a tenant limit of 10 admit exactly 10."""
    limits = Limits(max_queue=1000, tenant_max_queued=10)

    def submit(_: int) -> bool:
        try:
            store.create_job(new_job(), limits)
        except QueueFull:
            return False
        return True

    with ThreadPoolExecutor(max_workers=16) as pool:
        admitted = sum(pool.map(submit, range(50)))
    assert admitted == 10
    assert store.count("queued", "a") == 10
    with pytest.raises(QueueFull, match="server queue full"):
        store.create_job(new_job(tenant="b"), Limits(max_queue=10, tenant_max_queued=10))


def test_claim_respects_tenant_running_limit(store: JobStore) -> None:
    """With one running job allowed per tenant, a's second job waits while b's starts."""
    a1, _ = store.create_job(new_job(tenant="a"))
    store.create_job(new_job(tenant="a"))
    b1, _ = store.create_job(new_job(tenant="b"))
    assert store.claim_next("s", tenant_max_running=1).id == a1.id
    assert store.claim_next("s", tenant_max_running=1).id == b1.id
    assert store.claim_next("s", tenant_max_running=1) is None


def test_purge_removes_only_ended_jobs(store: JobStore) -> None:
    """Purging deletes an ended job with its events; a queued job and young jobs stay."""
    done, _ = store.create_job(new_job())
    waiting, _ = store.create_job(new_job())
    store.claim_next("s")
    store.finish(done.id, "succeeded", plan_json="{}")
    assert not store.purge_job(waiting.id)
    assert not store.purge_job(done.id, "b")
    assert store.purge_older_than(1) == 0  # ended just now
    assert store.purge_older_than(0) == 1
    assert store.get_job(done.id) is None
    assert store.events_after(done.id, 0) == []
    assert store.get_job(waiting.id).status == "queued"


def test_keys_expire_and_revoke(store: JobStore) -> None:
    """A key maps to its tenant until it expires or is revoked; a wrong secret never does."""
    key = create_key(store, "acme", expires_days=1)
    assert tenant_of(store, key.secret) == "acme"
    assert tenant_of(store, key.secret[:-1] + ("A" if key.secret[-1] != "A" else "B")) is None
    assert tenant_of(store, "as_nothing") is None
    with store.session() as session:
        past = utcnow() - timedelta(seconds=1)
        session.execute(update(ApiKey).where(ApiKey.id == key.id).values(expires_at=past))
    assert tenant_of(store, key.secret) is None
    other = create_key(store, "acme")
    assert store.revoke_key(other.id)
    assert not store.revoke_key(other.id)
    assert tenant_of(store, other.secret) is None
    assert "secret" not in {c.name for c in ApiKey.__table__.columns}


def test_store_from_before_tenants_still_opens(tmp_path: Path) -> None:
    """A store created before tenants and leases gains the columns; its jobs become tenant
    `default` and keep their idempotency key look-up working."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "CREATE TABLE aftersales_jobs (seq INTEGER PRIMARY KEY, id VARCHAR(36) UNIQUE, "
                "status VARCHAR(16), idempotency_key VARCHAR(255) UNIQUE, request_hash "
                "VARCHAR(64), scenario_json TEXT, options_json TEXT, callback_url TEXT, "
                "plan_json TEXT, error TEXT, progress_json TEXT, attempts INTEGER, "
                "cancel_requested BOOLEAN, solver_pid INTEGER, created_at DATETIME, "
                "started_at DATETIME, finished_at DATETIME)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO aftersales_jobs (id, status, request_hash, scenario_json, "
                "options_json, attempts, cancel_requested, created_at) VALUES ('old', 'queued', "
                "'h', '{}', '{}', 0, 0, '2026-01-01 00:00:00')"
            )
        )
    engine.dispose()
    store = JobStore.from_url(url)
    try:
        assert store.get_job("old", "default").status == "queued"
        job, created = store.create_job(new_job(tenant="default"))
        assert created
        assert [j.id for j in store.list_jobs("default", None, 10, None)] == [job.id, "old"]
    finally:
        store.close()


def test_list_reads_summary_columns_only(store: JobStore) -> None:
    """Listed jobs carry no scenario, options or plan: those columns are never read."""
    job, _ = store.create_job(new_job())
    store.claim_next("s")
    store.finish(job.id, "succeeded", plan_json='{"big": 1}')
    (listed,) = store.list_jobs("a", None, 10, None)
    unloaded = inspect(listed).unloaded
    assert {"scenario_json", "options_json", "plan_json"} <= unloaded
    assert listed.status == "succeeded"


def _expire_lease(store: JobStore, job_id: str) -> None:
    with store.session() as session:
        session.execute(
            update(Job).where(Job.id == job_id).values(lease_until=utcnow() - timedelta(seconds=1))
        )


def test_claim_job_by_lease_runs_a_job_once_at_a_time(store: JobStore) -> None:
    """A Celery attempt claims a queued job; a duplicate message finds it held; once the lease
    expires (worker died) another worker takes it over and the first can no longer write a
    result; past max_attempts the job fails instead of running again."""
    job, _ = store.create_job(new_job())
    outcome, claimed = store.claim_job(job.id, "w1", 30, max_attempts=2)
    assert outcome == "claimed"
    assert claimed is not None
    assert (claimed.status, claimed.attempts, claimed.owner) == ("running", 1, "w1")
    assert store.claim_job(job.id, "w2", 30, max_attempts=2) == ("gone", None)
    _expire_lease(store, job.id)
    outcome, taken = store.claim_job(job.id, "w2", 30, max_attempts=2)
    assert outcome == "claimed"
    assert taken is not None
    assert taken.attempts == 2
    assert not store.finish(job.id, "succeeded", plan_json="{}", owner="w1")
    _expire_lease(store, job.id)
    outcome, ended = store.claim_job(job.id, "w3", 30, max_attempts=2)
    assert outcome == "ended"
    assert ended is not None
    assert store.get_job(job.id).status == "failed"
    assert "2 runs" in (store.get_job(job.id).error or "")
    assert store.claim_job(job.id, "w3", 30) == ("gone", None)
    statuses = [e.data_json for e in store.events_after(job.id, 0) if e.kind == "status"]
    assert sum('"running"' in s for s in statuses) == 2


def test_claim_job_respects_tenant_limit_across_workers(store: JobStore) -> None:
    """A tenant running its limit on one worker: another worker's claim is `busy` and the job
    stays queued; another tenant's job is claimed."""
    first, _ = store.create_job(new_job(tenant="a"))
    second, _ = store.create_job(new_job(tenant="a"))
    other, _ = store.create_job(new_job(tenant="b"))
    assert store.claim_job(first.id, "w1", 30, tenant_max_running=1)[0] == "claimed"
    assert store.claim_job(second.id, "w2", 30, tenant_max_running=1) == ("busy", None)
    assert store.get_job(second.id).status == "queued"
    assert store.claim_job(other.id, "w2", 30, tenant_max_running=1)[0] == "claimed"


def test_outbox_lists_unpublished_queued_jobs_by_priority(store: JobStore) -> None:
    """The outbox sends queued jobs without a message, highest priority first; a requeued job
    (its worker died) is to be published again."""
    low, _ = store.create_job(new_job())
    high, _ = store.create_job(NewJob("{}", "{}", "h", tenant="a", priority=7))
    assert store.unpublished() == [(high.id, 7), (low.id, 0)]
    store.mark_published([high.id, low.id])
    assert store.unpublished() == []
    store.claim_job(low.id, "w1", 30)
    assert store.requeue(low.id, "worker died", owner="w1")
    assert store.unpublished() == [(low.id, 0)]
