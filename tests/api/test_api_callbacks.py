"""Callbacks against a real server: refused internal receivers, the outbox across a restart."""

from __future__ import annotations

import time
from typing import Any

from api_server import wait_for

from aftersales.api.store import JobStore


def _wait_received(handler: Any, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while len(handler.received) < count and time.monotonic() < deadline:
        time.sleep(0.05)


def test_callback_to_loopback_refused_without_allowlist(
    server_factory: Any, s_scenario: dict, listener: Any
) -> None:
    """Without the operator allowlist a callback to 127.0.0.1 is never sent: the outbox row
    fails as refused; an http URL is a 422 where http is not allowed."""
    httpd, handler = listener
    env = {"AFTERSALES_CALLBACK_ALLOW": ""}
    server = server_factory(workers=1, env=env)
    url = f"http://127.0.0.1:{httpd.server_address[1]}/hook"
    options = {"time_limit_seconds": 5, "callback_url": url}
    with server.client() as client:
        job_id = client.post("/v1/jobs", json={"scenario": s_scenario, "options": options})
        job_id = job_id.json()["id"]
        assert wait_for(client, job_id)["status"] == "succeeded"
        decimal = {**options, "callback_url": f"http://2130706433:{httpd.server_address[1]}/"}
        other = client.post("/v1/jobs", json={"scenario": s_scenario, "options": decimal})
        wait_for(client, other.json()["id"])
    store = JobStore.from_url(server.db_url)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            rows = store.callbacks_of(job_id) + store.callbacks_of(other.json()["id"])
            if len(rows) == 2 and all(r.status == "failed" for r in rows):
                break
            time.sleep(0.1)
    finally:
        store.close()
    assert [r.status for r in rows] == ["failed", "failed"]
    assert all("refused" in r.last_error and "127.0.0.1" in r.last_error for r in rows)
    assert handler.received == []
    https_only = server_factory(workers=1, env={"AFTERSALES_CALLBACK_ALLOW_HTTP": "false"})
    with https_only.client() as client:
        refused = client.post("/v1/jobs", json={"scenario": s_scenario, "options": options})
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["pointer"] == "/options/callback_url"


def test_callback_retried_across_restart(
    server_factory: Any, s_scenario: dict, listener: Any
) -> None:
    """With the allowlist, a callback failing twice is retried by the restarted server from
    the outbox and delivered once, attempts numbered 1, 2, 3."""
    httpd, handler = listener
    handler.fail_first = 2
    env = {"AFTERSALES_CALLBACK_BACKOFF_SECONDS": "3"}
    server = server_factory(workers=1, env=env)
    url = f"http://127.0.0.1:{httpd.server_address[1]}/hook"
    options = {"time_limit_seconds": 5, "callback_url": url}
    with server.client() as client:
        job_id = client.post("/v1/jobs", json={"scenario": s_scenario, "options": options})
        job_id = job_id.json()["id"]
        wait_for(client, job_id)
    _wait_received(handler, 1, timeout=15)
    server.stop()  # before the retry 3 s later
    assert len(handler.received) == 1
    server_factory(db_url=server.db_url, workers=1, env=env)
    _wait_received(handler, 3, timeout=30)
    time.sleep(1)
    attempts = [attempt for _, _, attempt in handler.received]
    assert attempts == ["1", "2", "3"]
    assert all(job_id.encode() in body for body, _, _ in handler.received)
