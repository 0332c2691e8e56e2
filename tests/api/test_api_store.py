"""The job store on SQLite and on the real local PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from aftersales.api.store import JobStore, NewJob


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[JobStore]:
    """An empty store on each backend (PostgreSQL: a fresh schema, tables emptied)."""
    if request.param == "sqlite":
        opened = JobStore.from_url(f"sqlite:///{tmp_path / 'jobs.db'}")
    else:
        opened = JobStore.from_url(request.getfixturevalue("postgres_url"))
        with opened.engine.begin() as connection:
            connection.exec_driver_sql("DELETE FROM aftersales_job_events")
            connection.exec_driver_sql("DELETE FROM aftersales_jobs")
    yield opened
    opened.close()


def new_job(key: str | None = None, request_hash: str = "h") -> NewJob:
    """A submission with placeholder documents."""
    return NewJob("{}", '{"time_limit_seconds": 5}', request_hash, idempotency_key=key)


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
    """Jobs left running go back to the queue, finished ones stay finished."""
    running, _ = store.create_job(new_job())
    done, _ = store.create_job(new_job())
    store.claim_next()
    store.claim_next()
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
    assert store.request_cancel(second.id).status == "cancelled"
    flagged = store.request_cancel(first.id)
    assert flagged.status == "running"
    assert store.cancel_requested([first.id, second.id]) == [first.id]


def test_list_pages_newest_first(store: JobStore) -> None:
    """Pages by sequence, newest first, filtered by status."""
    ids = [store.create_job(new_job())[0].id for _ in range(5)]
    page = store.list_jobs(None, 2, None)
    assert [j.id for j in page] == ids[::-1][:2]
    rest = store.list_jobs(None, 10, page[-1].seq)
    assert [j.id for j in rest] == ids[::-1][2:]
    assert store.list_jobs("running", 10, None) == []
