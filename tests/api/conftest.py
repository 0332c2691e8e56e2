"""Fixtures of the API tests: real servers, scenarios, a PostgreSQL schema."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_server import POSTGRES_URL, Server
from sqlalchemy import create_engine, text

from aftersales.datasets.generator import generate_scenario


@pytest.fixture(scope="session")
def s_scenario() -> dict[str, Any]:
    """The generated S scenario (seed 0) as JSON data."""
    return json.loads(generate_scenario("S", seed=0).model_dump_json())


@pytest.fixture(scope="session")
def m_scenario() -> dict[str, Any]:
    """The generated M scenario (seed 0): a solve of several seconds under a 10 s limit."""
    return json.loads(generate_scenario("M", seed=0).model_dump_json())


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[Any]:
    """Start servers on demand; all are stopped at teardown."""
    started: list[Server] = []

    def start(
        db_url: str | None = None,
        workers: int = 2,
        env: dict[str, str] | None = None,
        extra_args: tuple[str, ...] = (),
    ) -> Server:
        url = db_url or f"sqlite:///{tmp_path / 'jobs.db'}"
        server = Server(url, tmp_path / f"server{len(started)}.log", workers, env or {})
        server.extra_args = extra_args
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server shared by a test module: SQLite store, two solver processes."""
    folder = tmp_path_factory.mktemp("server")
    running = Server(f"sqlite:///{folder / 'jobs.db'}", folder / "server.log").start()
    yield running
    running.stop()


@pytest.fixture
def client(server: Server) -> Iterator[httpx.Client]:
    """HTTP client of the shared server."""
    with server.client() as http:
        yield http


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh schema in the `test` database of the local PostgreSQL; dropped afterwards."""
    schema = f"aftersales_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL)
    try:
        with admin.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
    except Exception as exc:
        pytest.fail(f"PostgreSQL at {POSTGRES_URL} unreachable ({exc}); start it (see .ci/run)")
    separator = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


class _Listener(BaseHTTPRequestHandler):
    received: list[tuple[bytes, str, str]]
    fail_first: int

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(
            (
                body,
                self.headers["X-Aftersales-Signature"],
                self.headers["X-Aftersales-Delivery-Attempt"],
            )
        )
        status = 503 if len(type(self).received) <= type(self).fail_first else 200
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_: Any) -> None:
        return


@pytest.fixture
def listener() -> Any:
    """A callback receiver on 127.0.0.1 that fails its first delivery."""
    handler = type("Handler", (_Listener,), {"received": [], "fail_first": 1})
    httpd = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
    )
    thread.start()
    yield httpd, handler
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)
