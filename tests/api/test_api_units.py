"""Pure pieces of the service: option passing, signatures, error pointers, progress."""

from __future__ import annotations

import hashlib
import hmac
import json

from aftersales.api.callbacks import sign
from aftersales.api.errors import request_errors
from aftersales.api.models import JobOptions
from aftersales.api.solver import progress_message
from aftersales.api.workers import solve_options_json
from aftersales.optimizer.pipeline import Progress
from aftersales.optimizer.schema import SolveOptions


def test_solver_gets_every_solve_option_and_nothing_else() -> None:
    """Job options reach the solver as SolveOptions: service-only fields are dropped."""
    options = JobOptions(time_limit_seconds=7, seed=3, callback_url="http://127.0.0.1:9/x")
    passed = json.loads(solve_options_json(options.model_dump_json()))
    assert set(passed) == set(SolveOptions.model_fields)
    assert SolveOptions.model_validate(passed).seed == 3


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
