"""Smoke test of the TRSP benchmark: the independent checker and one short product solve."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aftersales.benchmarks.__main__ import app
from aftersales.benchmarks.trsp import INSTANCES_DIR, best_known, check_trsp
from aftersales.datasets.trsp import parse_trsp, read_trsp

C202 = INSTANCES_DIR / "C202.100_25-5-5-5.txt"
TINY = """TINY
INFO
CREW COUNT SKILLS TOOLS SPARE PARTS
1 1 1 1
DEPOT TECHNICIANS AND REQUESTS
ID X Y TWS TWE Serv SKILLS TOOLS SPARE PARTS
0 0 0 0 100 0 [] [] []
1 0 10 0 100 0 [0] [] [1]
2 0 20 30 40 5 [0] [0] [1]
3 0 30 0 100 5 [0] [] [1]
"""
"""Depot at (0,0), home at (0,10), request 2 at (0,20) window 30-40, request 3 at (0,30)."""


def test_checker_computes_the_least_duration() -> None:
    """Home → 0 (restock) → 2 → 3 → home: travel 10 + 20 + 10 + 20 = 60, service 10.

    Leaving at the latest departure (the backward pass: 40 - 20 - 10 = 10) reaches request 2
    at 40, no waiting: duration 70 (leaving at 0 would wait 10 and last 80).
    """
    instance = parse_trsp(TINY)
    check = check_trsp(instance, [{"technician": 1, "stops": [0, 2, 3]}])
    assert check.feasible, check.problems
    assert check.duration == pytest.approx(70)


def test_checker_rejects_broken_rules() -> None:
    """No restock: tool 0 is missing for request 2 and the one part runs short at request 3."""
    instance = parse_trsp(TINY)
    problems = check_trsp(instance, [{"technician": 1, "stops": [2, 3]}]).problems
    assert any("lacks tools" in p for p in problems)
    assert any("runs short" in p for p in problems)
    assert any("not served" in p for p in check_trsp(instance, []).problems)


def test_solve_serves_every_request(tmp_path: Path) -> None:
    """`solve --format trsp C202 --time-limit 3`: all 100 served, checker and validator agree."""
    out = tmp_path / "c202.json"
    result = CliRunner().invoke(
        app,
        ["solve", "--format", "trsp", str(C202), "--time-limit", "3", "--solution", str(out)],
    )
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text())
    assert document["feasible"], document["problems"]
    assert document["served"] == 100
    check = check_trsp(read_trsp(C202), document["routes"])
    assert check.feasible, check.problems
    assert document["duration"] == pytest.approx(check.duration, abs=1e-2)
    assert check.duration >= best_known()["C202.100_25-5-5-5"] - 1e-3  # never below the BKS
