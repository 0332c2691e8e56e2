"""The Celery executor for real: `aftersales serve --executor celery` and two `aftersales worker`
processes on 127.0.0.1, RabbitMQ and PostgreSQL (started by `.ci/run` when down).

Each module run uses a queue of its own (deleted afterwards), so messages of other runs cannot
reach these workers. Leases are 10 s (``TEST_ENV``): a SIGKILLed worker's job is requeued by the
server's janitor within about 14 s.
"""

from __future__ import annotations

import json
import os
import signal
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_server import BROKER_URL, Server, Worker, wait_for
from kombu import Connection
from sqlalchemy import create_engine, text

from aftersales.datasets.generator import generate_scenario
from aftersales.optimizer.schema import Plan, Scenario
from aftersales.optimizer.validate import validate

WALL_CLOCK = {"deterministic": False}
SHORT = {"time_limit_seconds": 2, **WALL_CLOCK}


@dataclass
class Cluster:
    """A server and two workers sharing one PostgreSQL schema and one broker queue."""

    server: Server
    workers: list[Worker]
    db_url: str

    def query(self, sql: str, **params: Any) -> list[Any]:
        """Rows of a query on the job store (what the workers wrote)."""
        engine = create_engine(self.db_url)
        try:
            with engine.connect() as connection:
                return list(connection.execute(text(sql), params))
        finally:
            engine.dispose()

    def owner_worker(self, job_id: str) -> Worker:
        """The worker whose lease holds a running job (its pid is in the lease owner)."""
        owner = self.query("SELECT owner FROM aftersales_jobs WHERE id = :id", id=job_id)[0][0]
        pid = int(owner.split(":")[1])
        return next(w for w in self.workers if w.process is not None and w.pid == pid)

    def solver_pid(self, job_id: str, timeout: float = 60) -> int:
        """The solver process of a running job."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rows = self.query("SELECT solver_pid FROM aftersales_jobs WHERE id = :id", id=job_id)
            if rows and rows[0][0]:
                return int(rows[0][0])
            time.sleep(0.05)
        raise AssertionError(f"job {job_id} got no solver process")


def _broker_reachable() -> None:
    try:
        with Connection(BROKER_URL, connect_timeout=5) as connection:
            connection.ensure_connection(max_retries=1)
    except Exception as exc:
        pytest.fail(f"RabbitMQ at {BROKER_URL} unreachable ({exc}); start it (see .ci/run)")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, postgres_url: str) -> Iterator[Cluster]:
    """Server (Celery executor) + two single-slot workers on PostgreSQL and RabbitMQ."""
    _broker_reachable()
    folder = tmp_path_factory.mktemp("celery")
    queue = f"aftersales-test-{uuid.uuid4().hex[:10]}"
    env = {
        "AFTERSALES_CELERY_QUEUE": queue,
        "AFTERSALES_TENANT_MAX_QUEUED": "200",
        "AFTERSALES_MAX_QUEUE": "500",
        "AFTERSALES_TENANT_MAX_RUNNING": "4",
    }
    server = Server(postgres_url, folder / "server.log", 1, env)
    server.extra_args = ("--executor", "celery", "--broker", BROKER_URL)
    workers = [Worker(postgres_url, folder / f"worker{i}.log", env) for i in range(2)]
    running = Cluster(server.start(), [w.start() for w in workers], postgres_url)
    yield running
    for worker in workers:
        worker.stop()
    server.stop()
    with Connection(BROKER_URL) as connection:
        connection.default_channel.queue_delete(queue)


def _submit(client: httpx.Client, scenario: dict, options: dict) -> str:
    response = client.post("/v1/jobs", json={"scenario": scenario, "options": options})
    assert response.status_code == 202, response.text
    return response.json()["id"]


def _status_events(cluster: Cluster, job_id: str) -> list[str]:
    rows = cluster.query(
        "SELECT data_json FROM aftersales_job_events WHERE job_id = :id AND kind = 'status' "
        "ORDER BY seq",
        id=job_id,
    )
    return [json.loads(row[0])["status"] for row in rows]


def _group_alive(pgid: int) -> list[int]:
    """Processes (not zombies) in process group ``pgid``."""
    alive = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            alive.append(int(entry.name))
    return alive


def test_twenty_jobs_all_succeed_on_two_workers(cluster: Cluster, s_scenario: dict) -> None:
    """20 jobs: each succeeds once, in one attempt; both workers solve; progress reaches the
    row (so /events streams layer events); a plan passes the validator."""
    with cluster.server.client() as client:
        ids = [_submit(client, s_scenario, SHORT) for _ in range(20)]
        jobs = [wait_for(client, job_id, timeout=600) for job_id in ids]
        assert [j["status"] for j in jobs] == ["succeeded"] * 20, [j["error"] for j in jobs]
        assert {j["attempts"] for j in jobs} == {1}
        for job_id in ids:
            assert _status_events(cluster, job_id) == ["queued", "running", "succeeded"]
        owners = cluster.query(
            "SELECT DISTINCT split_part(owner, ':', 2) FROM aftersales_jobs WHERE id = ANY(:ids)",
            ids=ids,
        )
        assert {int(row[0]) for row in owners} == {w.pid for w in cluster.workers}
        with client.stream("GET", f"/v1/jobs/{ids[0]}/events") as stream:
            kinds = [line[7:] for line in stream.iter_lines() if line.startswith("event: ")]
        assert "layer" in kinds
        assert kinds[-1] == "end"
        plan = Plan.model_validate(client.get(f"/v1/jobs/{ids[0]}/plan").json())
        report = validate(Scenario.model_validate(s_scenario), plan)
        assert report.ok, report


def test_cancel_running_job_kills_its_solver_group(cluster: Cluster, m_scenario: dict) -> None:
    """Cancel of a job running on a worker: its solver process group is gone within 2 s."""
    with cluster.server.client() as client:
        job_id = _submit(client, m_scenario, {"time_limit_seconds": 120, **WALL_CLOCK})
        wait_for(client, job_id, ("running",), timeout=120)
        pid = cluster.solver_pid(job_id)
        time.sleep(1.0)  # let the solver start its own children (HiGHS child, CBC)
        started = time.monotonic()
        assert client.delete(f"/v1/jobs/{job_id}").json()["status"] == "cancelled"
        while _group_alive(pid):
            assert time.monotonic() - started < 2.0, _group_alive(pid)
            time.sleep(0.02)
        assert _status_events(cluster, job_id)[-1] == "cancelled"


def test_sigkill_worker_mid_job_runs_it_again(
    cluster: Cluster, m_scenario: dict, s_scenario: dict
) -> None:
    """SIGKILL of the worker running a job: the job runs again on the other worker and
    succeeds; no job is lost or completed twice; the orphaned solver kills itself."""
    with cluster.server.client() as client:
        victim = _submit(client, m_scenario, {"time_limit_seconds": 8, **WALL_CLOCK})
        wait_for(client, victim, ("running",), timeout=120)
        solver = cluster.solver_pid(victim)
        others = [_submit(client, s_scenario, SHORT) for _ in range(3)]
        dead = cluster.owner_worker(victim)
        assert dead.process is not None
        os.kill(dead.pid, signal.SIGKILL)
        dead.process.wait(timeout=10)
        deadline = time.monotonic() + 10  # the orphan watch: pipe closed -> group killed
        while _group_alive(solver):
            assert time.monotonic() < deadline, _group_alive(solver)
            time.sleep(0.1)
        jobs = [wait_for(client, job_id, timeout=300) for job_id in [victim, *others]]
        assert [j["status"] for j in jobs] == ["succeeded"] * 4, [j["error"] for j in jobs]
        assert jobs[0]["attempts"] == 2
        events = _status_events(cluster, victim)
        assert events.count("running") == 2
        assert events.count("succeeded") == 1
        assert events[-1] == "succeeded"
        for job_id in others:
            assert _status_events(cluster, job_id).count("succeeded") == 1
    dead.start()  # later tests get both workers again
    assert all(w.process is not None and w.process.poll() is None for w in cluster.workers)


def test_batch_of_thirty_completes_with_one_status_per_item(
    cluster: Cluster, listener: Any
) -> None:
    """A batch of 30 small scenarios (S, seeds 0-29) on the two workers: every item ends
    succeeded, the batch reads one status per item in order, and its callback comes once."""
    httpd, handler = listener
    items = [
        {
            "scenario": json.loads(generate_scenario("S", seed=seed).model_dump_json()),
            "options": {"time_limit_seconds": 1, "layers": ["network", "inventory"], **WALL_CLOCK},
        }
        for seed in range(30)
    ]
    callback = f"http://127.0.0.1:{httpd.server_port}/batch"
    with cluster.server.client() as client:
        answer = client.post(
            "/v1/batches", json={"items": items, "priority": 5, "callback_url": callback}
        )
        assert answer.status_code == 202, answer.text
        accepted = answer.json()
        assert accepted["items"] == 30
        deadline = time.monotonic() + 900
        while (batch := client.get(f"/v1/batches/{accepted['id']}").json())["status"] != "ended":
            assert time.monotonic() < deadline, batch["counts"]
            time.sleep(1.0)
        assert [item["job_id"] for item in batch["items"]] == accepted["job_ids"]
        assert [item["index"] for item in batch["items"]] == list(range(30))
        assert batch["counts"]["succeeded"] == 30, batch["items"]
        assert batch["finished_at"] is not None
        deadline = time.monotonic() + 30  # the sender retries after the listener's first 503
        while len(handler.received) < 2:
            assert time.monotonic() < deadline, handler.received
            time.sleep(0.1)
    bodies = [json.loads(body) for body, _signature, _attempt in handler.received]
    assert {body["id"] for body in bodies} == {accepted["id"]}
    assert bodies[-1]["counts"]["succeeded"] == 30
