"""Bounded work against a real server: finite numbers, parameters that do not parse, the
validator's size, solver process groups and temporary files, memory caps, SSE caps, purging."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_server import ROOT, new_key, wait_for

from aftersales.optimizer.schema import Plan


def group_members(pgid: int) -> list[tuple[int, str]]:
    """(pid, command line) of every live process in process group ``pgid``."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            state, group = fields[0], int(fields[2])
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError, ValueError):
            continue
        if group == pgid and state != "Z":
            members.append((int(entry.name), command))
    return members


def rss_mb(pid: int) -> float:
    """Resident memory of a process, MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for {pid}")


def test_nan_infinity_and_huge_numbers_get_422(client: httpx.Client, s_scenario: dict) -> None:
    """NaN, Infinity and 1e308 (finite but beyond ±1e12) are refused at their pointer."""
    text = json.dumps({"scenario": s_scenario, "options": {"time_limit_seconds": 5}})
    cost = json.dumps(s_scenario["parts"][0]["unit_cost"])
    minute = json.dumps(s_scenario["requests"][0]["opened_minute"])
    needle = f'"unit_cost": {cost}'
    assert text.count(needle) >= 1
    for token, field, original in [
        ("NaN", "unit_cost", cost),
        ("Infinity", "unit_cost", cost),
        ("-Infinity", "unit_cost", cost),
        ("1e308", "unit_cost", cost),
        ("1e308", "opened_minute", minute),
    ]:
        body = text.replace(f'"{field}": {original}', f'"{field}": {token}', 1)
        response = client.post(
            "/v1/jobs", content=body, headers={"content-type": "application/json"}
        )
        assert response.status_code == 422, (token, field, response.text[:200])
        pointers = {e["pointer"] for e in response.json()["errors"]}
        prefix = "/scenario/parts/0/" if field == "unit_cost" else "/scenario/requests/0/"
        assert prefix + field in pointers, (token, pointers)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_unparsable_parameters_get_422(
    server_factory: Any, backend: str, request: pytest.FixtureRequest, s_scenario: dict
) -> None:
    """A non-ASCII-digit or over-int32 cursor and a bad Last-Event-ID are 422, not 500."""
    db = request.getfixturevalue("postgres_url") if backend == "postgresql" else None
    server = server_factory(db_url=db, workers=1)
    with server.client() as client:
        job_id = client.post(
            "/v1/jobs", json={"scenario": s_scenario, "options": {"time_limit_seconds": 5}}
        ).json()["id"]
        for cursor in ["²", "١٢", "99999999999", "-1", "1e3"]:
            response = client.get("/v1/jobs", params={"cursor": cursor})
            assert response.status_code == 422, cursor
            assert response.json()["errors"][0]["location"] == "query"
        assert client.get("/v1/jobs", params={"cursor": "2147483647"}).status_code == 200
        for last in ["abc", "99999999999", "²".encode()]:
            response = client.get(f"/v1/jobs/{job_id}/events", headers={"Last-Event-ID": last})
            assert response.status_code == 422, last
            assert response.json()["errors"][0]["location"] == "header"
        wait_for(client, job_id)


def test_validate_8000_stop_route_is_quick_and_flat(server_factory: Any, s_scenario: dict) -> None:
    """A route repeating one stop 8,000 times (~0.9 MB) gets 422 in under a second with flat
    server memory; over the validate body limit it is a 413 before parsing."""
    server = server_factory(workers=1, env={"AFTERSALES_MAX_VALIDATE_BYTES": "600000"})
    with server.client() as client:
        options = {"time_limit_seconds": 5}
        job_id = client.post("/v1/jobs", json={"scenario": s_scenario, "options": options})
        plan = client.get(f"/v1/jobs/{wait_for(client, job_id.json()['id'])['id']}/plan").json()
        Plan.model_validate(plan)
        route = next(r for r in plan["routes"] if r["stops"])
        route["stops"] = [route["stops"][0]] * 8000
        small_plan = json.loads(json.dumps(plan))
        next(r for r in small_plan["routes"] if r["stops"])["stops"] = route["stops"][:2000]
        body = json.dumps({"scenario": s_scenario, "plan": small_plan}).encode()
        assert len(body) < 600_000
        before = rss_mb(server.process.pid)
        started = time.monotonic()
        response = client.post(
            "/v1/validate", content=body, headers={"content-type": "application/json"}
        )
        seconds = time.monotonic() - started
        assert response.status_code == 422
        assert response.json()["errors"][0]["pointer"] == "/plan/routes"
        assert seconds < 1.0
        assert rss_mb(server.process.pid) - before < 100
        big = json.dumps({"scenario": s_scenario, "plan": plan}).encode()
        assert len(big) > 600_000
        assert (
            client.post(
                "/v1/validate", content=big, headers={"content-type": "application/json"}
            ).status_code
            == 413
        )


def test_cancelled_cbc_solve_leaves_no_process_and_no_file(
    server_factory: Any, m_scenario: dict, tmp_path: Path
) -> None:
    """Cancelling a CBC solve kills the solver's whole process group (the `cbc` child too)
    and removes its temporary directory (the .mps model file)."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    server = server_factory(workers=1, env={"TMPDIR": str(temp)})
    options = {"time_limit_seconds": 60, "mip_solver": "cbc", "layers": ["network"]}
    with server.client() as client:
        job_id = client.post("/v1/jobs", json={"scenario": m_scenario, "options": options})
        job_id = job_id.json()["id"]
        deadline = time.monotonic() + 60
        cbc: list[tuple[int, str]] = []
        solver = 0
        while not cbc and time.monotonic() < deadline:
            job = client.get(f"/v1/jobs/{job_id}").json()
            assert job["status"] in ("queued", "running"), job
            solver = _solver_pid(server.db_url, job_id) or 0
            cbc = [m for m in group_members(solver) if "cbc" in m[1]] if solver else []
            time.sleep(0.1)
        assert cbc, "no cbc child appeared"
        assert list(temp.glob("aftersales-*/*.mps")), "CBC wrote no model file"
        assert client.delete(f"/v1/jobs/{job_id}").json()["status"] in ("running", "cancelled")
        assert wait_for(client, job_id, timeout=10)["status"] == "cancelled"

    def leftovers() -> list[Path]:  # pymp-* is the live server's multiprocessing folder
        return [p for p in temp.rglob("*") if not p.name.startswith(("pymp-", "listener-"))]

    deadline = time.monotonic() + 5
    while (group_members(solver) or leftovers()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert group_members(solver) == []
    assert leftovers() == []


def _solver_pid(db_url: str, job_id: str) -> int | None:
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            return connection.execute(
                text("SELECT solver_pid FROM aftersales_jobs WHERE id = :id"), {"id": job_id}
            ).scalar()
    finally:
        engine.dispose()


def test_solver_memory_limit_fails_job_clearly(server_factory: Any, s_scenario: dict) -> None:
    """A solver over AFTERSALES_MAX_SOLVER_MEMORY_MB fails its job with a memory error."""
    env = {"AFTERSALES_MAX_SOLVER_MEMORY_MB": "300", "AFTERSALES_MAX_ATTEMPTS": "1"}
    server = server_factory(workers=1, env=env)
    with server.client() as client:
        job_id = client.post(
            "/v1/jobs", json={"scenario": s_scenario, "options": {"time_limit_seconds": 5}}
        ).json()["id"]
        job = wait_for(client, job_id, timeout=60)
    assert job["status"] == "failed"
    assert "memory" in job["error"]
    assert "300 MB" in job["error"]  # an S solve peaks near 450 MB of address space


def test_event_streams_are_capped(server_factory: Any, m_scenario: dict) -> None:
    """Beyond 2 open streams per tenant or 3 in all, /events answers 429; a closed stream
    frees its slot."""
    env = {"AFTERSALES_EVENTS_MAX_PER_TENANT": "2", "AFTERSALES_EVENTS_MAX_TOTAL": "3"}
    server = server_factory(workers=1, env=env)
    other = new_key(server.db_url, "other")
    body = {"scenario": m_scenario, "options": {"time_limit_seconds": 20}}
    with server.client() as mine, server.client(other) as theirs:
        job = mine.post("/v1/jobs", json=body).json()["id"]
        their_job = theirs.post("/v1/jobs", json=body).json()["id"]
        path, their_path = f"/v1/jobs/{job}/events", f"/v1/jobs/{their_job}/events"
        first = mine.send(mine.build_request("GET", path), stream=True)
        second = mine.send(mine.build_request("GET", path), stream=True)
        assert (first.status_code, second.status_code) == (200, 200)
        assert mine.get(path).status_code == 429
        third = theirs.send(theirs.build_request("GET", their_path), stream=True)
        assert third.status_code == 200
        assert theirs.get(their_path).status_code == 429  # total cap
        first.close()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            with mine.stream("GET", path) as again:
                if again.status_code == 200:
                    break
            time.sleep(0.2)
        assert again.status_code == 200
        second.close()
        third.close()
        mine.delete(f"/v1/jobs/{job}")
        theirs.delete(f"/v1/jobs/{their_job}")


def test_purge_command_and_purge_route(server_factory: Any, s_scenario: dict) -> None:
    """`DELETE ?purge=true` deletes an ended job (409 while it runs); `aftersales jobs purge
    --older-than 0` deletes every ended job."""
    server = server_factory(workers=1)
    body = {"scenario": s_scenario, "options": {"time_limit_seconds": 5}}
    with server.client() as client:
        ids = [client.post("/v1/jobs", json=body).json()["id"] for _ in range(3)]
        assert client.delete(f"/v1/jobs/{ids[2]}?purge=true").status_code in (409, 200)
        for job_id in ids:
            wait_for(client, job_id)
        purged = client.delete(f"/v1/jobs/{ids[0]}?purge=true")
        assert purged.status_code == 200
        assert client.get(f"/v1/jobs/{ids[0]}").status_code == 404
        command = [sys.executable, "-c", "from aftersales.optimizer.cli import main; main()"]
        done = subprocess.run(
            [*command, "jobs", "purge", "--older-than", "0", "--db", server.db_url],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ},
        )
        assert done.returncode == 0, done.stderr
        assert "deleted" in done.stdout
        assert client.get("/v1/jobs").json()["data"] == []
