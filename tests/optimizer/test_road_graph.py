"""Travel over a road graph: fastest paths (networkx, and the validator's scipy twin), the
repeated-edge rule, one-way roads, unreachable places, bad graphs, and a solve end to end."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

from aftersales.optimizer.pipeline import solve
from aftersales.optimizer.road_paths import GraphPaths, PathEngine
from aftersales.optimizer.schema import Plan, RoadGraph, Scenario
from aftersales.optimizer.travel import Travel
from aftersales.optimizer.validate import validate
from aftersales.optimizer.validate.graph_paths import ScipyGraphPaths

ENGINES: list[PathEngine] = [GraphPaths, ScipyGraphPaths]


def _edge(source: str, target: str, minutes: float, km: float, **more: Any) -> dict[str, Any]:
    return {"source": source, "target": target, "minutes": minutes, "km": km, **more}


GRAPH: dict[str, Any] = {
    "nodes": ["D1", "A", "B", "X", "D2"],
    "edges": [
        _edge("D1", "B", 5, 3),  # replaced by the repeat below: the last occurrence wins
        _edge("D1", "A", 20, 15),
        _edge("A", "B", 10, 8, directed=True),  # one way: B → A must go round by D1
        _edge("D1", "B", 50, 40),
        _edge("D1", "X", 10, 2),  # D1 → X → A is as fast as D1 → A and 11 km shorter
        _edge("X", "A", 10, 2, directed=True),
    ],  # D2 has no road: nothing reaches it, it reaches nothing
}


def _graph_scenario(scenario_data: dict[str, Any]) -> dict[str, Any]:
    """The minimal scenario on GRAPH: s1 on A, s2 on B, d1 on its own id's node, d2 on D2."""
    scenario_data["sites"][0]["node"] = "A"
    scenario_data["sites"][1]["node"] = "B"
    scenario_data["depots"][0]["id"] = "D1"
    scenario_data["depots"][1]["node"] = "D2"
    scenario_data["sites"][1]["depot"] = "D1"
    scenario_data["technicians"][0]["depot"] = "D1"
    scenario_data["travel"] = {"mode": "graph", "graph": GRAPH}
    return scenario_data


@pytest.mark.parametrize("engine", ENGINES)
def test_one_way_roads_and_the_last_repeated_edge(engine: PathEngine) -> None:
    """D1 → B is 30 min via A (not 5 min: the repeat replaced that edge with 50 min); B → A
    takes 70 min round by D1 (A → B is one way), 40 + 4 km; km are those of the path taken."""
    paths = engine(RoadGraph.model_validate(GRAPH))
    minutes, km = paths.tables(["D1", "B", "A"], ["B", "A"])
    assert minutes.tolist() == [[30, 20], [0, 70], [10, 0]]
    assert km.tolist() == [[12, 4], [0, 44], [8, 0]]


@pytest.mark.parametrize("engine", ENGINES)
def test_km_are_the_fewest_among_equally_fast_paths(engine: PathEngine) -> None:
    """D1 → A: direct (20 min, 15 km) and via X (20 min, 4 km) tie on time; 4 km is reported."""
    minutes, km = engine(RoadGraph.model_validate(GRAPH)).pairs(["D1", "A"], ["A", "D1"])
    assert minutes.tolist() == [20, 20]
    assert km.tolist() == [4, 15]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_node_without_roads_is_unreachable(engine: PathEngine) -> None:
    """No path is inf both ways, minutes and km alike."""
    minutes, km = engine(RoadGraph.model_validate(GRAPH)).tables(["D1", "D2"], ["D2", "D1"])
    assert minutes.tolist() == [[np.inf, 0], [0, np.inf]]
    assert km.tolist() == [[np.inf, 0], [0, np.inf]]


def test_travel_searches_only_from_the_origins_asked(scenario_data: dict[str, Any]) -> None:
    """Depots → sites runs one Dijkstra per depot node, never one per node of the graph."""
    engines: list[GraphPaths] = []

    def recording(graph: RoadGraph) -> GraphPaths:
        engines.append(GraphPaths(graph))
        return engines[-1]

    travel = Travel(Scenario.model_validate(_graph_scenario(scenario_data)), engine=recording)
    minutes = travel.minutes(["D1", "d2"], ["s1", "s2"])
    assert minutes.tolist() == [[20, 30], [np.inf, np.inf]]
    assert engines[0].searches == 2  # D1 and D2 of the graph's 5 nodes
    assert travel.pair("s2", "s1") == (70, 44)


def test_scenario_on_a_graph_solves_end_to_end_and_validates(scenario_data: dict[str, Any]) -> None:
    """The whole pipeline on the graph: d2 (no road) is never chosen, assignments and the route
    carry graph travel, and the validator (its own scipy paths) agrees."""
    scenario = Scenario.model_validate(_graph_scenario(scenario_data))
    plan = solve(scenario)
    report = validate(scenario, plan)
    assert report.ok, report.violations
    assert {(a.site, a.depot, a.travel_minutes) for a in plan.assignments} == {
        ("s1", "D1", 20),
        ("s2", "D1", 30),
    }
    (route,) = plan.routes
    assert [s.request for s in route.stops] == ["r1", "r2"]
    # D1 → A (20 min, 4 km via X), A → B (10 min, 8 km), B → D1 (50 min, 40 km)
    assert (route.travel_minutes, route.travel_km) == (80, 52)


def test_a_job_its_technician_cannot_reach_is_left_undone(scenario_data: dict[str, Any]) -> None:
    """r2 is pinned to t2, based at d2 on the roadless node: no leg of t2's can be driven, so
    routing leaves r2 undone (deferrable) and r1 goes to t1; the plan validates."""
    data = _graph_scenario(scenario_data)
    data["depots"][1]["existing"] = True  # open today, so t2 keeps it as base
    data["technicians"].append({**data["technicians"][0], "id": "t2", "depot": "d2"})
    data["requests"][1]["pinned_technician"] = "t2"
    data["options"]["layers"] = ["routing"]
    scenario = Scenario.model_validate(data)
    plan = solve(scenario)
    assert validate(scenario, plan).ok
    assert {(r.technician, s.request) for r in plan.routes for s in r.stops} == {("t1", "r1")}
    assert [u.request for u in plan.unserved] == ["r2"]


@pytest.mark.parametrize(
    ("change", "where", "words"),
    [
        (
            lambda g: g["edges"].append(_edge("A", "Z", 1, 1)),
            ("travel", "graph", "edges", 6, "target"),
            "unknown graph node 'Z'",
        ),
        (lambda g: g["edges"].append(_edge("A", "B", -1, 1)), ("travel", "graph", "edges"), ""),
        (lambda g: g["edges"].append(_edge("A", "B", 0, 1)), ("travel", "graph", "edges"), ""),
        (lambda g: g["edges"].append(_edge("A", "B", 1, -2)), ("travel", "graph", "edges"), ""),
        (lambda g: g["nodes"].append("A"), ("travel", "graph", "nodes", 5), "listed twice"),
    ],
)
def test_bad_graphs_are_located_validation_errors(
    scenario_data: dict[str, Any], change: Any, where: tuple[str, ...], words: str
) -> None:
    """Unknown nodes, negative (or zero) minutes, negative km, repeated nodes."""
    data = _graph_scenario(scenario_data)
    data["travel"]["graph"] = {"nodes": list(GRAPH["nodes"]), "edges": list(GRAPH["edges"])}
    change(data["travel"]["graph"])
    with pytest.raises(ValidationError) as caught:
        Scenario.model_validate(data)
    (error,) = caught.value.errors()
    assert error["loc"][: len(where)] == where
    assert words in error["msg"]


def test_a_location_on_an_unknown_node_is_named(scenario_data: dict[str, Any]) -> None:
    """A site's node, and a depot standing on its own id, must be nodes of the graph."""
    data = _graph_scenario(scenario_data)
    data["sites"][0]["node"] = "nowhere"
    data["depots"][0]["id"] = "D9"
    data["sites"][1]["depot"] = "D9"
    data["technicians"][0]["depot"] = "D9"
    with pytest.raises(ValidationError) as caught:
        Scenario.model_validate(data)
    located = {(e["loc"], e["input"]) for e in caught.value.errors()}
    assert located == {(("sites", 0, "node"), "nowhere"), (("depots", 0, "id"), "D9")}


def test_graph_mode_needs_a_graph(scenario_data: dict[str, Any]) -> None:
    scenario_data["travel"] = {"mode": "graph"}
    with pytest.raises(ValidationError, match="needs a graph"):
        Scenario.model_validate(scenario_data)


def test_validator_names_assignments_and_legs_without_a_road(scenario_data: dict[str, Any]) -> None:
    """A plan serving s1 from the roadless d2, or routing t1 from d2, is refused by name (not
    priced at inf and not a crash)."""
    scenario = Scenario.model_validate(_graph_scenario(scenario_data))
    plan = solve(scenario)
    assert validate(scenario, plan).ok
    served = plan.model_dump()
    served["assignments"][0]["depot"] = "d2"
    served["depots"] = [{**d, "open": True} for d in served["depots"]]
    routed = plan.model_dump()
    routed["routes"][0]["depot"] = "d2"
    for document, where in ((served, "/assignments/0/depot"), (routed, "/routes/0")):
        report = validate(scenario, Plan.model_validate(document))
        assert [v.path for v in report.violations if v.kind == "no_road_path"] == [where]
