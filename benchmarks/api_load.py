"""Load benchmark of the HTTP service: many concurrent submissions of S scenarios.

``python -m aftersales.benchmarks.api_load`` starts ``aftersales serve`` on a free loopback port
with a fresh SQLite store (or targets ``--url``), then ``--clients`` threads each with its own HTTP
client submit ``--jobs`` jobs in total (S scenarios, seeds cycling over ``--scenarios``), and
poll until every job has ended or ``--timeout`` passes. It prints and optionally writes (``--json``)
the submit latency (p50, p99, max), jobs completed, failed, lost (accepted but unknown or never
ended) and duplicated, and the wall time. Then (``--stored``, default 1,000) it tops the store up
to that many jobs (submitted and cancelled at once) and times job-list requests (``limit=20`` and
``limit=100``, p50 and p99 over ``--list-requests``). Requests carry ``Authorization: Bearer
<key>``: the key of ``--api-key``, ``AFTERSALES_API_KEY``, or the admin key a started server wrote
on its new store. Not a test: figures depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from aftersales.datasets.generator import generate_scenario

FINAL = {"succeeded", "failed", "cancelled"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(folder: Path, workers: int) -> tuple[subprocess.Popen[bytes], str, str | None]:
    """``aftersales serve`` in its own process group; returns it, its base URL and the admin key
    it wrote on its new store (None for a server without keys)."""
    port = _free_port()
    key_file = folder / "admin.key"
    env = {
        **os.environ,
        "AFTERSALES_MAX_QUEUE": "100000",
        "AFTERSALES_TENANT_MAX_QUEUED": "100000",
        "AFTERSALES_ADMIN_KEY_FILE": str(key_file),
    }
    command = [
        sys.executable,
        "-c",
        "from aftersales.optimizer.cli import main; main()",
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--db",
        f"sqlite:///{folder / 'jobs.db'}",
    ]
    log = (folder / "server.log").open("wb")
    process = subprocess.Popen(
        command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("server exited; see " + str(folder / "server.log"))
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                key = key_file.read_text().strip() if key_file.exists() else None
                return process, url, key
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    stop_server(process)
    raise RuntimeError("server did not start")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's group, then SIGKILL what is left."""
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
            process.wait(timeout=wait)
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            continue


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (``share`` in 0..1) of a non-empty list."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))
    return ordered[rank]


def list_jobs(client: httpx.Client) -> list[dict[str, Any]]:
    """Every job summary on the server, following the pagination cursor."""
    jobs: list[dict[str, Any]] = []
    cursor = None
    for _ in range(10_000):
        params: dict[str, Any] = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/jobs", params=params).json()
        jobs += page["data"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    return jobs


def latency_ms(latencies: list[float]) -> dict[str, float]:
    """p50, p99 and max of request durations in seconds, as milliseconds."""
    return {
        "p50": round(1000 * percentile(latencies, 0.50), 1),
        "p99": round(1000 * percentile(latencies, 0.99), 1),
        "max": round(1000 * max(latencies), 1),
    }


def list_latency(
    client: httpx.Client, body: bytes, stored: int, requests: int, clients: int
) -> dict[str, Any]:
    """Top the store up to ``stored`` jobs (each cancelled at once), then time job lists."""
    have = len(list_jobs(client))

    def filler(_: int) -> None:
        response = client.post(
            "/v1/jobs", content=body, headers={"content-type": "application/json"}
        )
        if response.status_code == 202:
            client.delete(f"/v1/jobs/{response.json()['id']}")

    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(filler, range(max(0, stored - have))))
    figures: dict[str, Any] = {"stored_jobs": len(list_jobs(client))}
    for limit in (20, 100):
        latencies = []
        for _ in range(requests):
            started = time.perf_counter()
            client.get("/v1/jobs", params={"limit": limit}).raise_for_status()
            latencies.append(time.perf_counter() - started)
        figures[f"list_limit_{limit}_ms"] = latency_ms(latencies)
    return figures


def run(
    url: str,
    jobs: int,
    clients: int,
    scenarios: int,
    time_limit: float,
    timeout: float,
    key: str | None = None,
) -> dict[str, Any]:
    """Submit ``jobs`` jobs from ``clients`` threads, wait for all, return the figures."""
    auth = {"Authorization": f"Bearer {key}"} if key else {}
    bodies = [
        json.dumps(
            {
                "scenario": json.loads(generate_scenario("S", seed=seed).model_dump_json()),
                "options": {"time_limit_seconds": time_limit},
            }
        ).encode()
        for seed in range(scenarios)
    ]
    latencies: list[float] = []
    accepted: list[str] = []
    refused: list[int] = []
    lock = threading.Lock()
    local = threading.local()

    def submit(index: int) -> None:
        if not hasattr(local, "client"):
            local.client = httpx.Client(base_url=url, timeout=60, headers=auth)
        started = time.perf_counter()
        response = local.client.post(
            "/v1/jobs",
            content=bodies[index % len(bodies)],
            headers={"content-type": "application/json"},
        )
        elapsed = time.perf_counter() - started
        with lock:
            latencies.append(elapsed)
            if response.status_code == 202:
                accepted.append(response.json()["id"])
            else:
                refused.append(response.status_code)

    wall = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(submit, range(jobs)))
    submitted_seconds = time.perf_counter() - wall
    statuses: dict[str, str] = {}
    listed: list[str] = []
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=url, timeout=30, headers=auth) as client:
        while time.monotonic() < deadline:
            listed = list_jobs(client)
            statuses = {job["id"]: job["status"] for job in listed}
            if all(statuses.get(i) in FINAL for i in accepted):
                break
            time.sleep(1.0)
    listed_ids = [job["id"] for job in listed]
    total_seconds = time.perf_counter() - wall
    counts: dict[str, int] = {}
    for job_id in accepted:
        status = statuses.get(job_id, "lost")
        counts[status] = counts.get(status, 0) + 1
    never_ended = sum(1 for i in accepted if statuses.get(i) not in FINAL)
    duplicated = len(listed_ids) - len(set(listed_ids)) + len(accepted) - len(set(accepted))
    return {
        "jobs": jobs,
        "clients": clients,
        "accepted": len(accepted),
        "refused": len(refused),
        "submit_latency_ms": latency_ms(latencies),
        "submit_seconds": round(submitted_seconds, 2),
        "total_seconds": round(total_seconds, 2),
        "completed": counts.get("succeeded", 0),
        "failed": counts.get("failed", 0),
        "statuses": counts,
        "lost": never_ended,
        "duplicated": duplicated,
    }


def main() -> None:
    """Command line of the load benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="Target a running server (default: start one).")
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--scenarios", type=int, default=5, help="Distinct S seeds.")
    parser.add_argument("--workers", type=int, default=2, help="Solver processes of the server.")
    parser.add_argument("--time-limit", type=float, default=5)
    parser.add_argument("--timeout", type=float, default=900, help="Seconds to wait for all.")
    parser.add_argument("--stored", type=int, default=1000, help="Jobs stored when listing.")
    parser.add_argument("--list-requests", type=int, default=50, help="Timed lists per size.")
    parser.add_argument("--api-key", default=os.environ.get("AFTERSALES_API_KEY"))
    parser.add_argument("--json", type=Path, help="Also write the figures here.")
    args = parser.parse_args()
    process = None
    with tempfile.TemporaryDirectory() as folder:
        url, key = args.url, args.api_key
        if url is None:
            process, url, key = start_server(Path(folder), args.workers)
        try:
            figures = run(
                url, args.jobs, args.clients, args.scenarios, args.time_limit, args.timeout, key
            )
            body = json.dumps(
                {
                    "scenario": json.loads(generate_scenario("S", seed=0).model_dump_json()),
                    "options": {"time_limit_seconds": args.time_limit},
                }
            ).encode()
            auth = {"Authorization": f"Bearer {key}"} if key else {}
            with httpx.Client(base_url=url, timeout=60, headers=auth) as client:
                figures["list"] = list_latency(
                    client, body, args.stored, args.list_requests, args.clients
                )
        finally:
            if process is not None:
                stop_server(process)
    figures["workers"] = args.workers
    text = json.dumps(figures, indent=2)
    print(text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
