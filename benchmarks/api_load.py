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
import contextlib
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
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from aftersales.benchmarks.api_cluster import fresh_schema, own_queue, start_workers, stop_workers
from aftersales.datasets.generator import generate_scenario

FINAL = {"succeeded", "failed", "cancelled"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


CLI = [sys.executable, "-c", "from aftersales.optimizer.cli import main; main()"]


def server_env(folder: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment of the benchmark's server and workers: limits that never refuse a job."""
    return {
        **os.environ,
        "AFTERSALES_MAX_QUEUE": "100000",
        "AFTERSALES_TENANT_MAX_QUEUED": "100000",
        "AFTERSALES_TENANT_MAX_RUNNING": "1000",
        "AFTERSALES_ADMIN_KEY_FILE": str(folder / "admin.key"),
        **(extra or {}),
    }


def start_server(
    folder: Path,
    workers: int,
    db_url: str | None = None,
    env: dict[str, str] | None = None,
    extra_args: tuple[str, ...] = (),
) -> tuple[subprocess.Popen[bytes], str, str | None]:
    """``aftersales serve`` in its own process group; returns it, its base URL and the admin key
    it wrote on its new store (None for a server without keys)."""
    port = _free_port()
    key_file = folder / "admin.key"
    command = [
        *CLI,
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--db",
        db_url or f"sqlite:///{folder / 'jobs.db'}",
        *extra_args,
    ]
    log = (folder / "server.log").open("wb")
    process = subprocess.Popen(
        command,
        env=server_env(folder, env),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
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
    options: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Submit ``jobs`` jobs from ``clients`` threads, wait for all, return the figures
    (``options``: extra job options, e.g. ``deterministic: false``)."""
    auth = {"Authorization": f"Bearer {key}"} if key else {}
    bodies = [
        json.dumps(
            {
                "scenario": json.loads(generate_scenario("S", seed=seed).model_dump_json()),
                "options": {"time_limit_seconds": time_limit, **(options or {})},
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
    mine = [job for job in listed if job["id"] in set(accepted) and job["finished_at"]]
    span = (
        datetime.fromisoformat(max(j["finished_at"] for j in mine)).timestamp()
        - datetime.fromisoformat(min(j["created_at"] for j in mine)).timestamp()
        if mine
        else 0.0
    )
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
        "throughput_per_minute": round(60 * counts.get("succeeded", 0) / span, 2) if span else 0,
        "failed": counts.get("failed", 0),
        "statuses": counts,
        "lost": never_ended,
        "duplicated": duplicated,
    }


def one_setup(args: argparse.Namespace, executor: str, workers: int) -> dict[str, Any]:
    """Start a server (and for ``celery`` its workers, a fresh schema and queue), load it,
    time job lists, stop everything; returns the figures."""
    with contextlib.ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        db_url = stack.enter_context(fresh_schema(args.postgres)) if args.postgres else None
        env: dict[str, str] = {}
        extra: tuple[str, ...] = ()
        if executor == "celery":
            queue = stack.enter_context(own_queue(args.broker))
            env = {"AFTERSALES_CELERY_QUEUE": queue, "AFTERSALES_BROKER_URL": args.broker}
            extra = ("--executor", "celery")
        process, url, key = start_server(folder, workers, db_url, env, extra)
        stack.callback(stop_server, process)
        if executor == "celery":
            store = db_url or f"sqlite:///{folder / 'jobs.db'}"
            worker_env = server_env(folder, env)
            started = start_workers(CLI, workers, args.broker, store, worker_env, folder)
            stack.callback(stop_workers, started)
        options = {"deterministic": False} if args.wall_clock else None
        figures = run(
            url,
            args.jobs,
            args.clients,
            args.scenarios,
            args.time_limit,
            args.timeout,
            key,
            options=options,
        )
        if args.stored:
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
    figures["executor"], figures["workers"] = executor, workers
    figures["load_average"] = [round(x, 2) for x in os.getloadavg()]
    return figures


def main() -> None:
    """Command line of the load benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="Target a running server (default: start one).")
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--scenarios", type=int, default=5, help="Distinct S seeds.")
    parser.add_argument(
        "--executor",
        nargs="+",
        choices=["local", "celery"],
        default=["local"],
        help="Executors to load, one after the other in this run (e.g. local celery).",
    )
    parser.add_argument(
        "--workers",
        type=int,
        nargs="+",
        default=[2],
        help="Solver processes (local) or single-slot `aftersales worker`s (celery); several "
        "values run one after the other.",
    )
    parser.add_argument(
        "--broker", default="amqp://guest:guest@127.0.0.1:5672//", help="RabbitMQ (celery)."
    )
    parser.add_argument(
        "--postgres",
        default=os.environ.get("AFTERSALES_BENCH_POSTGRES_URL"),
        help="PostgreSQL URL: each run gets a fresh schema there (default: a SQLite file).",
    )
    parser.add_argument("--time-limit", type=float, default=5)
    parser.add_argument(
        "--wall-clock",
        action="store_true",
        help="Jobs stop on the clock (`deterministic: false`) instead of the service's default "
        "work limits, which take several times longer on a loaded machine.",
    )
    parser.add_argument("--timeout", type=float, default=900, help="Seconds to wait for all.")
    parser.add_argument("--stored", type=int, default=1000, help="Jobs stored when listing.")
    parser.add_argument("--list-requests", type=int, default=50, help="Timed lists per size.")
    parser.add_argument("--api-key", default=os.environ.get("AFTERSALES_API_KEY"))
    parser.add_argument("--json", type=Path, help="Also write the figures here.")
    args = parser.parse_args()
    # SIGTERM (e.g. `timeout`) unwinds like Ctrl-C, so servers, workers, schemas are cleaned up
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    if args.url is not None:
        results: list[dict[str, Any]] = [
            run(
                args.url,
                args.jobs,
                args.clients,
                args.scenarios,
                args.time_limit,
                args.timeout,
                args.api_key,
                options={"deterministic": False} if args.wall_clock else None,
            )
        ]
    else:
        results = [one_setup(args, e, w) for e in args.executor for w in args.workers]
    text = json.dumps(results if len(results) > 1 else results[0], indent=2)
    print(text)
    if len(results) > 1:
        print(comparison(results))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text + "\n")


def comparison(results: list[dict[str, Any]]) -> str:
    """One line per setup, and each setup's throughput relative to the first one."""
    base = results[0]["throughput_per_minute"] or 1.0
    lines = ["executor workers submit_p50_ms submit_p99_ms per_minute ratio lost duplicated"]
    for r in results:
        latency = r["submit_latency_ms"]
        ratio = r["throughput_per_minute"] / base
        lines.append(
            f"{r['executor']} {r['workers']} {latency['p50']} {latency['p99']} "
            f"{r['throughput_per_minute']} {ratio:.2f} {r['lost']} {r['duplicated']}"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
