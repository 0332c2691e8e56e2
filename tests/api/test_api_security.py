"""Tenants, API keys and limits against a real server (SQLite and PostgreSQL stores)."""

from __future__ import annotations

import stat
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from api_server import ROOT, new_key, wait_for
from sqlalchemy import create_engine, text

from aftersales.api.store import JobStore

ROUTES = [
    ("GET", "/v1/jobs"),
    ("POST", "/v1/jobs"),
    ("GET", "/v1/jobs/x"),
    ("GET", "/v1/jobs/x/plan"),
    ("GET", "/v1/jobs/x/diff?against=x"),
    ("GET", "/v1/jobs/x/events"),
    ("DELETE", "/v1/jobs/x"),
    ("POST", "/v1/validate"),
    ("GET", "/v1/schema/scenario"),
]


def aftersales(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the `aftersales` command line."""
    command = [sys.executable, "-c", "from aftersales.optimizer.cli import main; main()", *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    """A job store URL on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'jobs.db'}"
    return request.getfixturevalue("postgres_url")


def test_every_v1_route_needs_a_key(server_factory: Any) -> None:
    """Without a key, or with a malformed one, every /v1 route answers 401 + WWW-Authenticate."""
    server = server_factory(workers=1)
    for key in (None, "as_0123456789ab_" + "A" * 43, "garbage"):
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        for method, path in ROUTES:
            response = httpx.request(method, server.base_url + path, headers=headers, json={})
            assert response.status_code == 401, (key, method, path, response.text)
            assert response.headers["www-authenticate"].startswith("Bearer")


def test_admin_key_file_on_new_store(server_factory: Any) -> None:
    """A new store gets an admin key in a 0600 file named in the log; the key works."""
    server = server_factory(workers=1)
    path = server.log_path.with_suffix(".admin.key")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert str(path) in server.log_path.read_text()
    with server.client(path.read_text().strip()) as admin:
        assert admin.get("/v1/jobs").status_code == 200


def test_tenants_cannot_see_each_other(server_factory: Any, db_url: str, s_scenario: dict) -> None:
    """Tenant b cannot read, fetch, follow, cancel, purge or list tenant a's job (404 as for
    an unknown id); the same Idempotency-Key in two tenants makes two jobs."""
    server = server_factory(db_url=db_url, workers=1)
    key_a, key_b = new_key(db_url, "tenant-a"), new_key(db_url, "tenant-b")
    body = {"scenario": s_scenario, "options": {"time_limit_seconds": 5}}
    idem = {"Idempotency-Key": "same-key"}
    with server.client(key_a) as a, server.client(key_b) as b:
        job_a = a.post("/v1/jobs", json=body, headers=idem).json()["id"]
        job_b = b.post("/v1/jobs", json=body, headers=idem).json()["id"]
        assert job_a != job_b
        wait_for(a, job_a)
        for method, path in [
            ("GET", f"/v1/jobs/{job_a}"),
            ("GET", f"/v1/jobs/{job_a}/plan"),
            ("GET", f"/v1/jobs/{job_a}/diff?against={job_a}"),
            ("GET", f"/v1/jobs/{job_a}/events"),
            ("DELETE", f"/v1/jobs/{job_a}"),
            ("DELETE", f"/v1/jobs/{job_a}?purge=true"),
        ]:
            theirs = b.request(method, path)
            unknown = b.request(method, path.replace(job_a, "no-such-job"))
            assert theirs.status_code == unknown.status_code == 404, (method, path)
            assert theirs.json()["detail"].replace(job_a, "ID") == unknown.json()["detail"].replace(
                "no-such-job", "ID"
            )
        assert [j["id"] for j in b.get("/v1/jobs").json()["data"]] == [job_b]
        assert a.get(f"/v1/jobs/{job_a}").json()["status"] == "succeeded"
        assert a.delete(f"/v1/jobs/{job_a}?purge=true").status_code == 200
        assert a.get(f"/v1/jobs/{job_a}").status_code == 404
        wait_for(b, job_b)


def test_expired_and_revoked_keys_get_401(server_factory: Any, s_scenario: dict) -> None:
    """`aftersales keys create/list/revoke` on the server's store: the printed key works until
    revoked; an expired key gets 401."""
    server = server_factory(workers=1)
    created = aftersales("keys", "create", "--tenant", "ops", "--db", server.db_url)
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip().splitlines()[-1]
    key_id = key.split("_")[1]
    listed = aftersales("keys", "list", "--db", server.db_url)
    assert key_id in listed.stdout
    assert key.split("_")[2] not in listed.stdout  # the secret is never shown again
    with server.client(key) as ops:
        assert ops.get("/v1/jobs").status_code == 200
        assert aftersales("keys", "revoke", key_id, "--db", server.db_url).returncode == 0
        assert ops.get("/v1/jobs").status_code == 401
    expiring = aftersales(
        "keys", "create", "--tenant", "ops", "--expires", "1", "--db", server.db_url
    )
    expiring_key = expiring.stdout.strip().splitlines()[-1]
    engine = create_engine(server.db_url)
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE aftersales_api_keys SET expires_at = :past WHERE id = :id"),
            {"past": "2020-01-01 00:00:00", "id": expiring_key.split("_")[1]},
        )
    engine.dispose()
    with server.client(expiring_key) as ops:
        assert ops.get("/v1/jobs").status_code == 401
    assert aftersales("keys", "revoke", "nope", "--db", server.db_url).returncode == 2


def test_no_auth_is_loopback_only(server_factory: Any, tmp_path: Any) -> None:
    """--no-auth serves without keys on 127.0.0.1 and refuses to start on 0.0.0.0."""
    refused = aftersales(
        "serve", "--no-auth", "--host", "0.0.0.0", "--db", f"sqlite:///{tmp_path / 'x.db'}"
    )
    assert refused.returncode != 0
    assert "loopback" in refused.stderr
    server = server_factory(workers=1, extra_args=("--no-auth",))
    assert httpx.get(server.base_url + "/v1/jobs").status_code == 200
    assert not server.log_path.with_suffix(".admin.key").exists()


def test_fifty_concurrent_submissions_against_limit_ten(
    server_factory: Any, db_url: str, s_scenario: dict, m_scenario: dict
) -> None:
    """With the tenant's one running slot busy, 50 concurrent submissions against a queued
    limit of 10 are admitted exactly 10 times; the other 40 get 429 with Retry-After."""
    env = {"AFTERSALES_TENANT_MAX_QUEUED": "10", "AFTERSALES_TENANT_MAX_RUNNING": "1"}
    server = server_factory(db_url=db_url, workers=1, env=env)
    key = new_key(db_url, "burst")
    with server.client(key) as client:
        blocker = client.post(
            "/v1/jobs", json={"scenario": m_scenario, "options": {"time_limit_seconds": 30}}
        ).json()["id"]
        wait_for(client, blocker, ("running",), timeout=30)
        body = {"scenario": s_scenario, "options": {"time_limit_seconds": 5}}

        def submit(_: int) -> httpx.Response:
            with server.client(key) as own:
                return own.post("/v1/jobs", json=body)

        with ThreadPoolExecutor(max_workers=25) as pool:
            answers = list(pool.map(submit, range(50)))
        codes = sorted(a.status_code for a in answers)
        assert codes.count(202) == 10, codes
        assert codes.count(429) == 40
        assert all(a.headers.get("retry-after") for a in answers if a.status_code == 429)
        for answer in answers:
            if answer.status_code == 202:
                client.delete(f"/v1/jobs/{answer.json()['id']}")
        client.delete(f"/v1/jobs/{blocker}")


def test_concurrent_cancels_send_one_callback(
    server_factory: Any, m_scenario: dict, listener: Any
) -> None:
    """Eight concurrent DELETEs of one queued job all answer 200 cancelled; one callback."""
    httpd, handler = listener
    handler.fail_first = 0
    env = {"AFTERSALES_TENANT_MAX_RUNNING": "1"}
    server = server_factory(workers=1, env=env)
    url = f"http://127.0.0.1:{httpd.server_address[1]}/hook"
    with server.client() as client:
        long = {"scenario": m_scenario, "options": {"time_limit_seconds": 30}}
        blocker = client.post("/v1/jobs", json=long).json()["id"]
        wait_for(client, blocker, ("running",), timeout=30)
        options = {"time_limit_seconds": 5, "callback_url": url}
        queued = client.post("/v1/jobs", json={"scenario": m_scenario, "options": options})
        job_id = queued.json()["id"]
        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(pool.map(lambda _: client.delete(f"/v1/jobs/{job_id}"), range(8)))
        assert [a.status_code for a in answers] == [200] * 8
        assert {a.json()["status"] for a in answers} == {"cancelled"}
        client.delete(f"/v1/jobs/{blocker}")
        wait_for(client, blocker)
    time.sleep(3)  # any duplicate callback would be sent within this
    assert len(handler.received) == 1


def test_two_servers_on_one_postgres_never_run_a_job_twice(
    server_factory: Any, postgres_url: str, s_scenario: dict
) -> None:
    """Two servers share one PostgreSQL store: every job runs once (one `running` event, one
    attempt) while both servers dispatch."""
    first = server_factory(db_url=postgres_url, workers=1)
    second = server_factory(db_url=postgres_url, workers=1)
    key = new_key(postgres_url, "shared")
    body = {"scenario": s_scenario, "options": {"time_limit_seconds": 3}}
    with first.client(key) as one, second.client(key) as two:
        ids = [(one if i % 2 else two).post("/v1/jobs", json=body).json()["id"] for i in range(6)]
        jobs = [wait_for(one, job_id, timeout=120) for job_id in ids]
    assert [j["status"] for j in jobs] == ["succeeded"] * 6
    assert [j["attempts"] for j in jobs] == [1] * 6
    store = JobStore.from_url(postgres_url)
    try:
        for job_id in ids:
            starts = [e for e in store.events_after(job_id, 0) if '"running"' in e.data_json]
            assert len(starts) == 1, job_id
        owners = {store.get_job(job_id).owner for job_id in ids}
    finally:
        store.close()
    assert len(owners) == 2  # both servers ran jobs
