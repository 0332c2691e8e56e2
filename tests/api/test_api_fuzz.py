"""Schemathesis fuzzing of /openapi.json: every operation alone, then sequences that follow the
OpenAPI links (submit, poll, events, plan, cancel, purge); no input yields a 5xx."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from api_server import Server, new_key
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Flaky
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server whose accepted jobs stay short: one solver, 2 s time limit at most."""
    folder = tmp_path_factory.mktemp("fuzz")
    env = {
        "AFTERSALES_MAX_TIME_LIMIT_SECONDS": "2",
        "AFTERSALES_MAX_QUEUE": "1000",
        "AFTERSALES_TENANT_MAX_QUEUED": "1000",
        "AFTERSALES_EVENTS_MAX_SECONDS": "3",
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


STATEFUL_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
"""What every step of a stateful run must satisfy: no 5xx, and the status, content type and
body the OpenAPI document declares."""


def test_linked_sequences_keep_to_the_schema(
    api_schema: Any, fuzz_server: Server, s_scenario: dict[str, Any]
) -> None:
    """Stateful fuzzing: schemathesis chains operations along the OpenAPI links (submit → poll /
    events / plan / cancel / purge, list → newest job / next page) with a valid key; every
    answer is below 500 and conforms to the schema. Every other submission carries a valid
    scenario (a generated body is almost always refused, so links would rarely be followed),
    and each accepted job stays invisible to another tenant along the way."""
    auth = {"Authorization": f"Bearer {fuzz_server.key}"}
    other = httpx.Client(
        base_url=fuzz_server.base_url,
        timeout=30,
        headers={"Authorization": f"Bearer {new_key(fuzz_server.db_url, 'outsider')}"},
    )
    valid = {"scenario": s_scenario, "options": {"time_limit_seconds": 1}}
    seen: dict[str, list[Any]] = {
        "submitted": [],
        "batches": [],
        "statuses": [],
        "steps": [],
        "failures": [],
    }

    class Workflow(api_schema.as_state_machine()):  # type: ignore[misc]
        def before_call(self, case: Any) -> None:
            if case.operation.label == "POST /v1/jobs":
                seen["submitted"].append(case.body)
                if len(seen["submitted"]) % 2:
                    case.body = valid
            if case.operation.label == "POST /v1/batches":
                seen["batches"].append(case.body)
                if len(seen["batches"]) % 2:
                    case.body = {"items": [valid], "priority": 1}

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": auth, "timeout": 30}

        def after_call(self, response: Any, case: Any) -> None:
            seen["steps"].append(case.operation.label)
            seen["statuses"].append(response.status_code)
            if case.operation.label == "POST /v1/jobs" and response.status_code == 202:
                job_id = response.json()["id"]
                peeked = (other.get(f"/v1/jobs/{job_id}"), other.delete(f"/v1/jobs/{job_id}"))
                if any(answer.status_code != 404 for answer in peeked):
                    seen["failures"].append(f"tenant 'outsider' reached job {job_id}")
            if case.operation.label == "POST /v1/batches" and response.status_code == 202:
                batch = response.json()["id"]
                peeked = (other.get(f"/v1/batches/{batch}"), other.delete(f"/v1/batches/{batch}"))
                if any(answer.status_code != 404 for answer in peeked):
                    seen["failures"].append(f"tenant 'outsider' reached batch {batch}")

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            try:
                case.validate_response(response, checks=STATEFUL_CHECKS, transport_kwargs=kwargs)
            except FailureGroup as exc:  # kept: a replay that diverges would hide it
                seen["failures"].append(f"{case.operation.label}: {exc}")
                raise

    try:
        for _ in range(3):
            try:
                Workflow.run(
                    settings=settings(
                        max_examples=25,
                        stateful_step_count=6,
                        deadline=None,
                        suppress_health_check=list(HealthCheck),
                        database=None,
                    )
                )
                break
            except Flaky:
                # The live server's state moves on between examples (jobs end, get purged), so
                # Hypothesis may fail to replay a sequence; the steps' own checks still count.
                continue
    finally:
        other.close()
    assert seen["failures"] == []
    assert len(seen["steps"]) >= 40
    linked = {label for label in seen["steps"] if "{job_id}" in label}
    assert {"GET /v1/jobs/{job_id}", "DELETE /v1/jobs/{job_id}"} <= linked
    assert 202 in seen["statuses"]
    assert 200 in seen["statuses"]
