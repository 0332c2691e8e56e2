"""Pure pieces of the service: option passing, signatures, error pointers, progress."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aftersales.api.callbacks import Destinations, RefusedDestination, internal, sign
from aftersales.api.errors import request_errors
from aftersales.api.main import create_app
from aftersales.api.models import JobCreate, JobOptions
from aftersales.api.routes.jobs import effective_options
from aftersales.api.settings import Settings
from aftersales.api.solver import progress_message
from aftersales.api.workers import solve_options_json, solve_seconds_cap
from aftersales.optimizer.pipeline import Progress
from aftersales.optimizer.schema import SolveOptions


def test_solver_gets_every_solve_option_and_nothing_else() -> None:
    """Job options reach the solver as SolveOptions: service-only fields are dropped."""
    options = JobOptions(time_limit_seconds=7, seed=3, callback_url="http://127.0.0.1:9/x")
    passed = json.loads(solve_options_json(options.model_dump_json()))
    assert set(passed) == set(SolveOptions.model_fields)
    assert SolveOptions.model_validate(passed).seed == 3
    assert SolveOptions.model_validate(passed).repeatable  # the service's default: work limits


def test_a_deterministic_job_may_run_to_its_safety_cap() -> None:
    """A deterministic job is killed only past the layers' safety cap (3x its limit, 60 s more
    at least); a wall-clock job at its limit (grace aside)."""
    assert solve_seconds_cap(JobOptions(time_limit_seconds=100).model_dump_json()) == 300.0
    wall = JobOptions(time_limit_seconds=100, deterministic=False)
    assert solve_seconds_cap(wall.model_dump_json()) == 100.0
    assert solve_seconds_cap(JobOptions(time_limit_seconds=5).model_dump_json()) == 65.0


def test_job_without_options_is_deterministic_unless_the_scenario_says(
    scenario_data: dict[str, Any],
) -> None:
    """A job that gives no options runs on work limits (the service's default) unless the
    scenario's own options set ``deterministic``; the rest of the scenario's options is kept."""
    settings = Settings()
    unset = JobCreate.model_validate({"scenario": scenario_data})
    assert effective_options(unset, settings).deterministic is True
    scenario_data["options"] = {"seed": 4, "deterministic": False}
    chosen = effective_options(JobCreate.model_validate({"scenario": scenario_data}), settings)
    assert chosen.deterministic is False
    scenario_data["options"] = {"seed": 4, "deterministic": True}
    kept = effective_options(JobCreate.model_validate({"scenario": scenario_data}), settings)
    assert (kept.deterministic, kept.seed) == (True, 4)


def test_signature_is_hmac_sha256_of_body() -> None:
    """The callback signature is sha256= and the hex HMAC of the exact body."""
    body = b'{"id":"x"}'
    expected = hmac.new(b"k", body, hashlib.sha256).hexdigest()
    assert sign("k", body) == f"sha256={expected}"


def test_request_errors_point_into_the_body() -> None:
    """FastAPI locations become JSON pointers from the body root; query errors say so."""
    errors = request_errors(
        [
            {"loc": ("body", "scenario", "sites", 0, "tier"), "msg": "unknown tier", "type": "x"},
            {"loc": ("query", "limit"), "msg": "too small", "type": "x"},
            {"loc": ("body", "scenario", "a/b"), "msg": "m", "type": "x"},
        ]
    )
    assert [(e.pointer, e.location) for e in errors] == [
        ("/scenario/sites/0/tier", "body"),
        ("/limit", "query"),
        ("/scenario/a~1b", "body"),
    ]


def test_progress_percent_counts_finished_layers() -> None:
    """Percent is the share of requested layers (network always runs) finished."""
    finished: set[str] = set()
    layers = ["network", "routing"]
    assert progress_message(Progress("network", "started", 0.0), layers, finished)["percent"] == 0
    done = progress_message(Progress("network", "finished", 1.0, objective=5.0), layers, finished)
    assert done["percent"] == 50.0
    assert done["objective"] == 5.0


def public(_host: str, _port: int) -> list[str]:
    """A resolver answering one public address (documentation range is reserved, so not it)."""
    return ["93.184.215.14"]


def test_callback_scheme_rules() -> None:
    """https passes; http only where the operator allows it; other schemes never."""
    strict, lenient = Destinations(), Destinations(allow_http=True)
    strict.check("https://hooks.example.com/x", resolver=public)
    with pytest.raises(RefusedDestination, match="must use https"):
        strict.check("http://hooks.example.com/x", resolver=public)
    lenient.check("http://hooks.example.com/x", resolver=public)
    with pytest.raises(RefusedDestination, match="must use https or http"):
        lenient.check("ftp://hooks.example.com/x", resolver=public)


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "172.16.0.9", "192.168.1.1", "169.254.169.254", "224.0.0.1",
     "240.0.0.1", "0.0.0.0", "::1", "fe80::1", "fc00::1", "::ffff:127.0.0.1"],
)  # fmt: skip
def test_internal_addresses_are_refused(address: str) -> None:
    """A host resolving to a loopback, private, link-local, multicast or reserved address is
    refused unless the allowlist names that host or address."""
    rules = Destinations(allow_http=True)
    with pytest.raises(RefusedDestination, match="internal address"):
        rules.check("https://hooks.example.com/x", resolver=lambda _h, _p: [address])
    allowed = Destinations(allow_http=True, allow=frozenset({address}))
    allowed.check("https://hooks.example.com/x", resolver=lambda _h, _p: [address])
    by_name = Destinations(allow_http=True, allow=frozenset({"hooks.example.com"}))
    by_name.check("https://hooks.example.com/x", resolver=lambda _h, _p: [address])


def test_one_internal_address_among_public_ones_is_refused() -> None:
    """Any internal address of a host refuses it (a connection could reach that one)."""
    with pytest.raises(RefusedDestination, match=r"10\.0\.0\.1"):
        Destinations().check(
            "https://h.example.com/", resolver=lambda _h, _p: ["93.184.215.14", "10.0.0.1"]
        )


def test_decimal_ip_resolves_to_loopback_and_is_refused() -> None:
    """`http://2130706433/` is 127.0.0.1 once resolved, and refused as loopback."""
    with pytest.raises(RefusedDestination, match=r"127\.0\.0\.1"):
        Destinations(allow_http=True).check("http://2130706433:8080/hook")


@given(st.ip_addresses(network="10.0.0.0/8") | st.ip_addresses(network="fe80::/10"))
def test_every_private_or_link_local_address_is_internal(address: Any) -> None:
    """Hypothesis: every address of 10/8 and fe80::/10 counts as internal."""
    assert internal(str(address))


def test_openapi_documents_the_errors_every_v1_route_sends() -> None:
    """Every /v1 operation documents 401 (no valid key) and 422 with the ErrorPublic body the
    server sends (FastAPI's default 422 body differs), as stateful fuzzing requires."""
    document = create_app().openapi()
    operations = [
        (path, operation)
        for path, methods in document["paths"].items()
        if path.startswith("/v1")
        for operation in methods.values()
    ]
    assert len(operations) >= 8
    for path, operation in operations:
        for status in ("401", "422"):
            schema = operation["responses"][status]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorPublic"}, (path, status)


def test_openapi_links_lead_from_a_job_id_to_its_operations() -> None:
    """A submission's 202 links to polling, events, plan, cancel and purge of that job id."""
    paths = create_app().openapi()["paths"]
    links = paths["/v1/jobs"]["post"]["responses"]["202"]["links"]
    targets = {(link["operationId"], link["parameters"].get("purge")) for link in links.values()}
    assert targets == {
        ("read_job", None),
        ("read_job_events", None),
        ("read_job_plan", None),
        ("cancel_job", None),
        ("cancel_job", True),
    }
    assert all(link["parameters"]["job_id"] == "$response.body#/id" for link in links.values())
    newest = paths["/v1/jobs"]["get"]["responses"]["200"]["links"]["ReadNewestJob"]
    assert newest["parameters"]["job_id"] == "$response.body#/data/0/id"
