"""Schemathesis fuzzing of every operation in /openapi.json: no input yields a 500."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from api_server import Server
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server whose accepted jobs stay short: one solver, 2 s time limit at most."""
    folder = tmp_path_factory.mktemp("fuzz")
    env = {
        "AFTERSALES_MAX_TIME_LIMIT_SECONDS": "2",
        "AFTERSALES_MAX_QUEUE": "1000",
        "AFTERSALES_TENANT_MAX_QUEUED": "1000",
    }
    running = Server(f"sqlite:///{folder / 'jobs.db'}", folder / "server.log", 1, env).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def api_schema(fuzz_server: Server) -> Any:
    """The live OpenAPI document of the fuzz server."""
    schema = schemathesis.openapi.from_url(f"{fuzz_server.base_url}/openapi.json", timeout=30)
    schema.base_url = fuzz_server.base_url
    return schema


def test_no_server_error(api_schema: Any, fuzz_server: Server) -> None:
    """Generated requests with a valid key to every operation never get a 5xx answer (15
    examples each)."""
    auth = {"Authorization": f"Bearer {fuzz_server.key}"}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 9
    statuses: list[int] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=15,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def check(case: Any) -> None:
            response = case.call_and_validate(checks=[not_a_server_error], timeout=30, headers=auth)
            statuses.append(response.status_code)

        check()
    assert len(statuses) >= 5 * len(operations)
    assert any(200 <= status < 300 for status in statuses)
    assert any(status == 422 for status in statuses)
