"""The pipeline: layers in order, progress events, honest status, plans that validate."""

from __future__ import annotations

import time
from typing import Any

import pytest

from aftersales.optimizer.pipeline import (
    LARGE_NETWORK_SHARE,
    Progress,
    TimeBudget,
    combine_status,
    solve,
)
from aftersales.optimizer.schema import LayerResult, Scenario, SolveOptions
from aftersales.optimizer.validate import validate


def test_full_solve_validates_and_reports_every_layer(scenario_data: dict[str, Any]) -> None:
    """All three layers run, in order, and the plan passes the independent validator."""
    scenario = Scenario.model_validate(scenario_data)
    events: list[Progress] = []
    plan = solve(scenario, progress=events.append)
    assert validate(scenario, plan).ok
    assert plan.status == "feasible"  # inventory and routing are heuristics
    assert [r.layer for r in plan.layers] == ["network", "inventory", "routing"]
    assert [(e.layer, e.event) for e in events] == [
        (layer, event)
        for layer in ("network", "inventory", "routing")
        for event in ("started", "finished")
    ]
    assert {k.tier for k in plan.kpis} == {"gold", "bronze"}
    # d1: 100,000 fixed + 210 travel per year; d2: 80,000 + 5,000 opening + 1,479 travel.
    assert plan.open_depots() == {"d2"}
    assert plan.layers[0].status == "optimal"


def test_layers_not_requested_are_skipped(scenario_data: dict[str, Any]) -> None:
    """Without inventory and routing there is no stock and no route; network is 'skipped'."""
    scenario = Scenario.model_validate(scenario_data)
    plan = solve(scenario, SolveOptions(layers=["inventory"]))
    assert plan.routes == []
    assert plan.stock
    assert plan.layers[0].status == "skipped"
    assert validate(scenario, plan).ok


def test_strict_option_fails_on_unserved_required_request(scenario_data: dict[str, Any]) -> None:
    """A required request nobody can do makes a strict solve infeasible, naming the request.

    Nobody includes the plan's hires: they are routed with their pool's skill, so the request
    asks for a skill that no product's pool has (a request for a pool's skill would be served
    by the hire the staffing makes for it)."""
    scenario_data["skills"].append("welding")
    scenario_data["requests"][0]["required_skills"] = ["welding"]
    scenario = Scenario.model_validate(scenario_data)
    plan = solve(scenario, SolveOptions(strict=True))
    assert plan.status == "infeasible"
    assert "r1 (no_skill)" in plan.layers[-1].message


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        (["optimal", "optimal"], "optimal"),
        (["optimal", "feasible"], "feasible"),
        (["skipped", "time_limit", "optimal"], "time_limit"),
        (["feasible", "infeasible"], "infeasible"),
        (["skipped"], "skipped"),
    ],
)
def test_overall_status_is_the_weakest_layer_claim(statuses: list[str], expected: str) -> None:
    """A plan is only as proven as its least proven layer."""
    results = [LayerResult(layer="network", status=s) for s in statuses]  # type: ignore[arg-type]
    assert combine_status(results) == expected


def test_time_budget_follows_its_shares() -> None:
    """A large contract network leaves the stock layer 20 % of the limit instead of 10 % (by
    hand: 0.2 / (0.2 + 0.4) of what is left after the network, against 0.1 / (0.1 + 0.3)); the
    last layer gets the rest."""
    layers = ["network", "inventory", "routing"]
    large = TimeBudget(time.perf_counter(), 100.0, layers, shares=LARGE_NETWORK_SHARE)
    usual = TimeBudget(time.perf_counter(), 100.0, layers)
    assert large.for_layer("network") == pytest.approx(40.0, abs=1.0)
    assert large.for_layer("inventory") == pytest.approx(100.0 / 3.0, abs=1.0)
    assert usual.for_layer("inventory") == pytest.approx(25.0, abs=1.0)
    assert large.for_layer("routing") == pytest.approx(100.0, abs=1.0)  # nothing after it
