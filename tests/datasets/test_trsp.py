"""Tests of the TRSP reader and its Scenario (aftersales.datasets.trsp) over the real files."""

from __future__ import annotations

from pathlib import Path

import pytest

from aftersales.datasets.trsp import parse_trsp, read_trsp, time_scale, trsp_scenario
from aftersales.optimizer.routing import compile_routing

TRSP_DIR = Path(__file__).resolve().parents[3] / "shared" / "instances" / "trsp"
FILES = sorted(TRSP_DIR.glob("*.txt"))


def test_all_six_files_read() -> None:
    """Each file: 25 technicians, 100 requests, 5 kinds of skills, tools and parts."""
    assert len(FILES) == 6
    for path in FILES:
        instance = read_trsp(path)
        assert (instance.crew, instance.skills, instance.tools, instance.parts) == (25, 5, 5, 5)
        assert (len(instance.technicians), len(instance.requests)) == (25, 100)


def test_rows_as_in_the_file() -> None:
    """R102: technician 1 at (51, 31) holds skills [0, 2], tools [0, 1, 2], van [2,2,0,5,0];
    request 26 at (41, 49) needs skill 2 and parts [1,1,0,0,0], window 0-204, 10 min."""
    instance = read_trsp(TRSP_DIR / "R102.100_25-5-5-5.txt")
    tech, request = instance.nodes[1], instance.nodes[26]
    assert (tech.x, tech.y, tech.skills, tech.tools, tech.parts) == (
        51, 31, (0, 2), (0, 1, 2), (2, 2, 0, 5, 0)
    )  # fmt: skip
    assert (request.skills, request.parts, request.ready, request.due, request.service) == (
        (2,), (1, 1, 0, 0, 0), 0, 204, 10
    )  # fmt: skip
    assert instance.distance(0, 26) == pytest.approx((6**2 + 14**2) ** 0.5)  # (35,35)→(41,49)


def test_malformed_rows_are_rejected() -> None:
    """A missing bracketed list or a skipped node id names its line."""
    text = (TRSP_DIR / "R102.100_25-5-5-5.txt").read_text()
    lines = text.splitlines()
    row = next(k for k, line in enumerate(lines) if line.startswith("26 "))
    broken = [*lines[:row], lines[row].rsplit("[", 1)[0], *lines[row + 1 :]]
    with pytest.raises(ValueError, match="bracketed lists"):
        parse_trsp("\n".join(broken))
    skipped = [*lines[:row], *lines[row + 1 :]]
    with pytest.raises(ValueError, match="expected 26"):
        parse_trsp("\n".join(skipped))
    with pytest.raises(ValueError, match="too short"):
        parse_trsp("X\nINFO\n")


def test_scenario_keeps_every_rule() -> None:
    """C202's Scenario: homes, van stock, tools, skills per technician; horizon halved (3390)."""
    instance = read_trsp(TRSP_DIR / "C202.100_25-5-5-5.txt")
    assert time_scale(instance) == 0.5
    scenario = trsp_scenario(instance)
    tech = scenario.technicians[0]
    node = instance.nodes[1]
    assert tech.home is not None
    assert tech.home.id == "home1"
    assert tech.van_stock == {f"part{p}": n for p, n in enumerate(node.parts)}
    assert tech.tools == [f"tool{k}" for k in node.tools]
    data = compile_routing(scenario)
    assert data.vehicles[0].location != data.vehicles[0].restock_location
    assert data.minutes[data.vehicles[0].location, data.vehicles[0].restock_location] == (
        pytest.approx(instance.distance(1, 0) * 0.5)
    )
