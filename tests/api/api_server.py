"""Helpers of the API tests: `aftersales serve` in a subprocess on a free loopback port.

Each started server gets a key of tenant ``tests`` (created in its store with the library, as
`aftersales keys create` does) that its ``client()`` sends; ``new_key`` makes keys of other
tenants. Leases are short (10 s) so restarts take jobs over quickly, and callbacks may reach the
tests' receivers on 127.0.0.1 over http (the operator allowlist).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from aftersales.api.keys import create_key
from aftersales.api.store import JobStore

ROOT = Path(__file__).resolve().parents[2]
POSTGRES_URL = os.environ.get(
    "AFTERSALES_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
CALLBACK_SECRET = "test-secret"
FINAL = ("succeeded", "failed", "cancelled")
TEST_ENV = {
    "AFTERSALES_CALLBACK_SECRET": CALLBACK_SECRET,
    "AFTERSALES_CALLBACK_BACKOFF_SECONDS": "0.2",
    "AFTERSALES_LEASE_SECONDS": "10",
    "AFTERSALES_CALLBACK_ALLOW": "127.0.0.1",
    "AFTERSALES_CALLBACK_ALLOW_HTTP": "true",
}


def new_key(db_url: str, tenant: str, expires_days: float | None = None) -> str:
    """A new API key of ``tenant`` in the store at ``db_url``."""
    store = JobStore.from_url(db_url)
    try:
        return create_key(store, tenant, expires_days).secret
    finally:
        store.close()


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """One running `aftersales serve` process (its own session, killed as a group)."""

    db_url: str
    log_path: Path
    workers: int = 2
    env: dict[str, str] = field(default_factory=dict)
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    key: str = ""
    extra_args: tuple[str, ...] = ()

    @property
    def base_url(self) -> str:
        """Root URL of the server."""
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> Server:
        """Start the server and wait until /health answers."""
        self.port = free_port()
        env = {
            **os.environ,
            **TEST_ENV,
            "AFTERSALES_ADMIN_KEY_FILE": str(self.log_path.with_suffix(".admin.key")),
            **self.env,
        }
        command = [
            sys.executable,
            "-c",
            "from aftersales.optimizer.cli import main; main()",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
            "--db",
            self.db_url,
            *self.extra_args,
        ]
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.base_url}/health", timeout=2).status_code == 200:
                    if not self.key and "--no-auth" not in self.extra_args:
                        self.key = new_key(self.db_url, "tests")
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server did not start: {self.log_path.read_text()[-3000:]}")

    def kill_server_only(self) -> None:
        """SIGKILL the server process alone (its solver processes are orphaned)."""
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """Terminate the server and everything in its process group."""
        if self.process is None:
            return
        for sig, wait_seconds in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.process.wait(timeout=wait_seconds)
            except subprocess.TimeoutExpired:
                continue
            if sig == signal.SIGTERM:
                time.sleep(0.2)
        with contextlib.suppress(
            ProcessLookupError
        ):  # leftovers of the group (orphaned solvers) after a clean exit
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process = None

    def client(self, key: str | None = None) -> httpx.Client:
        """An HTTP client for this server sending ``key`` (default: the ``tests`` key)."""
        headers = {"Authorization": f"Bearer {key or self.key}"} if (key or self.key) else {}
        return httpx.Client(base_url=self.base_url, timeout=30, headers=headers)


def wait_for(
    client: httpx.Client, job_id: str, statuses: tuple[str, ...] = FINAL, timeout: float = 60
) -> dict[str, Any]:
    """Poll a job until its status is one of ``statuses``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/v1/jobs/{job_id}").json()
        if job["status"] in statuses:
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} still {job['status']} after {timeout} s")


BROKER_URL = os.environ.get("AFTERSALES_TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")


@dataclass
class Worker:
    """One running `aftersales worker` process (its own session)."""

    db_url: str
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)
    concurrency: int = 1
    process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 90) -> Worker:
        """Start the worker and wait until Celery says it is ready."""
        command = [
            sys.executable,
            "-c",
            "from aftersales.optimizer.cli import main; main()",
            "worker",
            "--broker",
            BROKER_URL,
            "--db",
            self.db_url,
            "--concurrency",
            str(self.concurrency),
        ]
        self.log_path.write_bytes(b"")
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, **TEST_ENV, **self.env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited: {self.log_path.read_text()[-3000:]}")
            if " ready." in self.log_path.read_text():
                return self
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"worker did not start: {self.log_path.read_text()[-3000:]}")

    @property
    def pid(self) -> int:
        """The worker's process id (part of the lease owner it writes on the jobs it runs)."""
        assert self.process is not None
        return self.process.pid

    def stop(self) -> None:
        """Kill the worker's session (it and anything it left in its group)."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)
        self.process = None
