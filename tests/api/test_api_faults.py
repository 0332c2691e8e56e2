"""Limits and faults: a full queue, a SIGKILLed server, a killed solver, a PostgreSQL store."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path
from typing import Any

from api_server import wait_for
from sqlalchemy import create_engine, text

LONG = {"time_limit_seconds": 10}
WALL_CLOCK = {"deterministic": False}
"""Jobs these tests wait for run on the wall clock: a deterministic job runs its whole work
budget (M's contract MILP spends ~30 s in its root LP, capped only at 3x its share + 60 s), and
what is tested here is the fault handling, not the plan."""


def _state(pid: int) -> str:
    """The state letter of a process (Z: a zombie waiting for its parent)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "gone"


def solver_pid(db_url: str, job_id: str, timeout: float = 30) -> int:
    """The solver process of a running job, read from the job store."""
    engine = create_engine(db_url)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            with engine.connect() as connection:
                pid = connection.execute(
                    text("SELECT solver_pid FROM aftersales_jobs WHERE id = :id"), {"id": job_id}
                ).scalar()
            if pid:
                return int(pid)
            time.sleep(0.05)
    finally:
        engine.dispose()
    raise AssertionError(f"job {job_id} got no solver process")


def test_full_queue_is_429_with_retry_after(server_factory: Any, m_scenario: dict) -> None:
    """With one solver busy and two jobs queued, the next submission gets 429 + Retry-After."""
    server = server_factory(workers=1, env={"AFTERSALES_MAX_QUEUE": "2"})
    with server.client() as client:
        body = {"scenario": m_scenario, "options": LONG}
        ids = [client.post("/v1/jobs", json=body).json()["id"]]
        wait_for(client, ids[0], ("running",), timeout=30)
        ids += [client.post("/v1/jobs", json=body).json()["id"] for _ in range(2)]
        refused = client.post("/v1/jobs", json=body)
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "5"
        for job_id in ids[1:]:  # queued jobs are cancelled at once
            assert client.delete(f"/v1/jobs/{job_id}").json()["status"] == "cancelled"
        client.delete(f"/v1/jobs/{ids[0]}")
        assert client.post("/v1/jobs", json=body).status_code == 202


def test_sigkill_server_then_restart_finishes_job(server_factory: Any, m_scenario: dict) -> None:
    """SIGKILL of the server mid-solve: its solver kills itself; after a restart the job
    succeeds, none lost or doubled."""
    server = server_factory(workers=1)
    with server.client() as client:
        body = {"scenario": m_scenario, "options": {"time_limit_seconds": 6, **WALL_CLOCK}}
        running = client.post("/v1/jobs", json=body).json()["id"]
        queued = client.post("/v1/jobs", json=body).json()["id"]
        wait_for(client, running, ("running",), timeout=30)
    orphan = solver_pid(server.db_url, running)
    old_group = server.process.pid
    server.kill_server_only()
    deadline = time.monotonic() + 10  # the solver notices its fork server is gone
    while Path(f"/proc/{orphan}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not Path(f"/proc/{orphan}").exists() or "Z" in _state(orphan)
    restarted = server_factory(db_url=server.db_url, workers=1)
    with contextlib.suppress(ProcessLookupError):  # orphaned solver of the killed server
        os.killpg(old_group, signal.SIGKILL)
    with restarted.client() as client:
        for job_id in (running, queued):
            job = wait_for(client, job_id, timeout=90)
            assert job["status"] == "succeeded", job["error"]
        assert client.get(f"/v1/jobs/{running}").json()["attempts"] == 2
        listed = [j["id"] for j in client.get("/v1/jobs", params={"limit": 100}).json()["data"]]
        assert sorted(listed) == sorted([running, queued])


def test_graceful_restart_requeues_running_job(server_factory: Any, m_scenario: dict) -> None:
    """SIGTERM to the server's group mid-solve: the job is requeued and succeeds after restart."""
    server = server_factory(workers=1)
    with server.client() as client:
        body = {"scenario": m_scenario, "options": {"time_limit_seconds": 6, **WALL_CLOCK}}
        job_id = client.post("/v1/jobs", json=body).json()["id"]
        wait_for(client, job_id, ("running",), timeout=30)
    server.stop()
    restarted = server_factory(db_url=server.db_url, workers=1)
    with restarted.client() as client:
        job = wait_for(client, job_id, timeout=90)
        assert job["status"] == "succeeded", job["error"]
        assert job["attempts"] in (1, 2)  # 1 if the solve finished while shutting down


def test_killed_solver_is_retried_once_then_fails(server_factory: Any, m_scenario: dict) -> None:
    """A SIGKILLed solver is retried once; killed again, the job fails with the reason."""
    server = server_factory(workers=1)
    with server.client() as client:
        body = {"scenario": m_scenario, "options": LONG}
        job_id = client.post("/v1/jobs", json=body).json()["id"]
        first = solver_pid(server.db_url, job_id)
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while (second := solver_pid(server.db_url, job_id)) == first:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert client.get(f"/v1/jobs/{job_id}").json()["attempts"] == 2
        os.kill(second, signal.SIGKILL)
        job = wait_for(client, job_id, timeout=30)
        assert job["status"] == "failed"
        assert "SIGKILL" in job["error"]
        assert client.get("/health").json()["status"] == "ok"
        small = {"scenario": m_scenario, "options": {"time_limit_seconds": 3, **WALL_CLOCK}}
        later = client.post("/v1/jobs", json=small).json()["id"]
        assert wait_for(client, later, timeout=60)["status"] == "succeeded"


def test_server_on_postgres(server_factory: Any, postgres_url: str, s_scenario: dict) -> None:
    """The server runs jobs with its store in the real PostgreSQL."""
    server = server_factory(db_url=postgres_url, workers=1)
    with server.client() as client:
        job_id = client.post(
            "/v1/jobs", json={"scenario": s_scenario, "options": {"time_limit_seconds": 5}}
        ).json()["id"]
        assert wait_for(client, job_id)["status"] == "succeeded"
        assert client.get("/health").json()["database"] == "ok"


def test_solver_runs_at_lower_cpu_priority(server_factory: Any, m_scenario: dict) -> None:
    """A solver process runs AFTERSALES_SOLVER_NICE steps nicer than its server, so solves
    cannot starve the server's request threads."""
    server = server_factory(workers=1, env={"AFTERSALES_SOLVER_NICE": "7"})
    assert server.process is not None
    with server.client() as client:
        job_id = client.post("/v1/jobs", json={"scenario": m_scenario, "options": LONG}).json()[
            "id"
        ]
        pid = solver_pid(server.db_url, job_id)
        expected = min(19, os.getpriority(os.PRIO_PROCESS, server.process.pid) + 7)
        deadline = time.monotonic() + 10  # the pid is stored as soon as the process starts
        while os.getpriority(os.PRIO_PROCESS, pid) != expected:
            assert time.monotonic() < deadline, os.getpriority(os.PRIO_PROCESS, pid)
            time.sleep(0.05)
        assert client.delete(f"/v1/jobs/{job_id}").json()["status"] == "cancelled"
