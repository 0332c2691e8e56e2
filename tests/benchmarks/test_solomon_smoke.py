"""Smoke test of the Solomon benchmark: read, solve briefly, check independently (no timings)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from aftersales.benchmarks.__main__ import app
from aftersales.benchmarks.solomon import INSTANCES_DIR, check_solution, published_optima
from aftersales.datasets.solomon import read_solomon

C101 = INSTANCES_DIR / "c101.txt"


def _cvrplib_routes(name: str) -> list[list[int]]:
    """The published distance-only optimal routes of an instance."""
    text = (INSTANCES_DIR / "cvrplib_solutions" / f"{name}.sol").read_text()
    return [
        [int(t) for t in line.split(":")[1].split()]
        for line in text.splitlines()
        if line.startswith("Route")
    ]


def test_checker_reproduces_the_published_optimum() -> None:
    """r101's CVRPLIB routes are feasible and measure exactly 1637.7 (the bks.csv value)."""
    check = check_solution(read_solomon(INSTANCES_DIR / "r101.txt"), _cvrplib_routes("r101"))
    assert check.feasible, check.problems
    assert check.distance == published_optima()["r101"] == 1637.7


def test_checker_rejects_a_broken_solution() -> None:
    """Reversing a c101 route breaks its windows; dropping one route leaves customers out."""
    instance = read_solomon(C101)
    routes = _cvrplib_routes("c101")
    reversed_first = [routes[0][::-1], *routes[1:]]
    assert any("after its due date" in p for p in check_solution(instance, reversed_first).problems)
    assert any("not visited" in p for p in check_solution(instance, routes[1:]).problems)


def test_solve_writes_a_feasible_solution(tmp_path: Path) -> None:
    """`solve --format solomon c101 --time-limit 2` writes routes that the checker accepts."""
    out = tmp_path / "c101.json"
    result = CliRunner().invoke(
        app,
        ["solve", "--format", "solomon", str(C101), "--time-limit", "2", "--solution", str(out)],
    )
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text())
    assert set(document) >= {"routes", "distance", "vehicles", "seconds"}
    check = check_solution(read_solomon(C101), document["routes"])
    assert check.feasible, check.problems
    assert document["distance"] == check.distance
    assert document["vehicles"] == len(document["routes"]) <= 25
    assert document["seconds"] <= 2.5
    assert all(0 not in route for route in document["routes"])  # depot left out
