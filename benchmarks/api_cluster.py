"""What a load run of the Celery executor needs besides the server: a fresh PostgreSQL schema,
a broker queue of its own and ``aftersales worker`` processes (``api_load --executor celery``)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from kombu import Connection
from sqlalchemy import create_engine, text


@contextlib.contextmanager
def fresh_schema(postgres_url: str) -> Iterator[str]:
    """A new schema in the database at ``postgres_url``, dropped afterwards; yields a URL whose
    connections use it."""
    schema = f"aftersales_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(postgres_url)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in postgres_url else "?"
    try:
        yield f"{postgres_url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@contextlib.contextmanager
def own_queue(broker_url: str) -> Iterator[str]:
    """A queue name for one run, deleted afterwards (with any message left in it)."""
    name = f"aftersales-bench-{uuid.uuid4().hex[:10]}"
    try:
        yield name
    finally:
        with contextlib.suppress(Exception), Connection(broker_url) as connection:
            connection.default_channel.queue_delete(name)


def start_workers(
    cli: list[str], count: int, broker_url: str, db_url: str, env: dict[str, str], folder: Path
) -> list[subprocess.Popen[bytes]]:
    """``count`` single-slot workers, each in its own session; returns once all are ready."""
    processes = []
    for index in range(count):
        log_path = folder / f"worker{index}.log"
        with log_path.open("wb") as log:
            processes.append(
                subprocess.Popen(
                    [*cli, "worker", "--broker", broker_url, "--db", db_url, "--concurrency", "1"],
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        deadline = time.monotonic() + 120
        while " ready." not in log_path.read_text():
            if processes[-1].poll() is not None or time.monotonic() > deadline:
                stop_workers(processes)
                raise RuntimeError(f"worker did not start; see {log_path}")
            time.sleep(0.2)
    return processes


def stop_workers(processes: list[subprocess.Popen[bytes]]) -> None:
    """SIGKILL each worker's session (the benchmark's jobs have all ended by then)."""
    for process in processes:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)
