"""The aftersales CLI: exit codes, located errors, JSON Schema and an end-to-end solve."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from aftersales.optimizer.cli import app
from aftersales.optimizer.schema import Plan

runner = CliRunner()


def _write(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(json.dumps(data))
    return path


def test_solve_then_validate(tmp_path: Path, scenario_data: dict[str, Any]) -> None:
    """solve writes a plan that validate accepts with exit code 0."""
    scenario = _write(tmp_path / "scenario.json", scenario_data)
    plan = tmp_path / "plan.json"
    solved = runner.invoke(app, ["solve", str(scenario), "-o", str(plan)])
    assert solved.exit_code == 0, solved.output
    assert "SLA attainment per tier" in solved.output
    checked = runner.invoke(app, ["validate", str(scenario), str(plan)])
    assert checked.exit_code == 0, checked.output
    assert "no violation" in checked.output


def test_solve_deterministic_runs_every_layer_on_work_limits(
    tmp_path: Path, scenario_data: dict[str, Any]
) -> None:
    """--deterministic reaches the layers: the routing layer reports its work limits, and the
    plan keeps every rule."""
    scenario = _write(tmp_path / "scenario.json", scenario_data)
    plan_path = tmp_path / "plan.json"
    solved = runner.invoke(app, ["solve", str(scenario), "-o", str(plan_path), "--deterministic"])
    assert solved.exit_code == 0, solved.output
    plan = Plan.model_validate_json(plan_path.read_text())
    routing = next(layer for layer in plan.layers if layer.layer == "routing")
    assert routing.method.endswith("+deterministic")
    assert "deterministic work limits" in routing.message
    checked = runner.invoke(app, ["validate", str(scenario), str(plan_path)])
    assert checked.exit_code == 0, checked.output


def test_validate_exits_1_on_a_violation(tmp_path: Path, scenario_data: dict[str, Any]) -> None:
    """A plan that serves a request twice is rejected with exit code 1."""
    scenario = _write(tmp_path / "scenario.json", scenario_data)
    plan_path = tmp_path / "plan.json"
    runner.invoke(app, ["solve", str(scenario), "-o", str(plan_path)])
    plan = Plan.model_validate_json(plan_path.read_text())
    route = plan.routes[0]
    route.stops.append(route.stops[0].model_copy())
    plan_path.write_text(plan.model_dump_json())
    result = runner.invoke(app, ["validate", str(scenario), str(plan_path)])
    assert result.exit_code == 1
    assert "violation" in result.output


def test_bad_scenario_exits_2_with_pointer(tmp_path: Path, scenario_data: dict[str, Any]) -> None:
    """A dangling tier reference is reported with its JSON pointer and exit code 2."""
    scenario_data["sites"][1]["tier"] = "platinum"
    scenario = _write(tmp_path / "scenario.json", scenario_data)
    result = runner.invoke(app, ["solve", str(scenario)])
    assert result.exit_code == 2
    assert "/sites/1/tier: unknown tier 'platinum'" in result.output


def test_missing_file_exits_2(tmp_path: Path) -> None:
    """A scenario path that does not exist is a clear input error."""
    result = runner.invoke(app, ["solve", str(tmp_path / "nope.json")])
    assert result.exit_code == 2
    assert "cannot read" in result.output


def test_unknown_layer_is_rejected(tmp_path: Path, scenario_data: dict[str, Any]) -> None:
    """--layers accepts only the three layer names."""
    scenario = _write(tmp_path / "scenario.json", scenario_data)
    result = runner.invoke(app, ["solve", str(scenario), "--layers", "network,magic"])
    assert result.exit_code == 2
    assert "network, inventory, routing" in result.output


def test_schema_command_prints_json_schema() -> None:
    """`aftersales schema plan` prints a JSON Schema with the Plan's keys."""
    result = runner.invoke(app, ["schema", "plan"])
    assert result.exit_code == 0
    assert {"routes", "layers"} <= set(json.loads(result.output)["properties"])


def test_over_promised_scenario_is_missed_with_reason(tmp_path: Path) -> None:
    """generate --over-promised → solve exits 3 (target missed) naming the tier, the reason and
    the unreachable sites; strict exits 1; validate exits 1 on attainment_target_missed."""
    scenario = tmp_path / "over.json"
    plan = tmp_path / "plan.json"
    made = runner.invoke(app, ["generate", "--over-promised", "-o", str(scenario)])
    assert made.exit_code == 0, made.output
    options = ["--layers", "network", "--time-limit", "20"]
    solved = runner.invoke(app, ["solve", str(scenario), "-o", str(plan), *options])
    assert solved.exit_code == 3, solved.output
    assert "tier gold MISSED" in solved.output
    assert "no candidate depot reaches" in solved.output
    strict = runner.invoke(app, ["solve", str(scenario), "--strict", *options])
    assert strict.exit_code == 1, strict.output
    checked = runner.invoke(app, ["validate", str(scenario), str(plan)])
    assert checked.exit_code == 1
    assert "attainment_target_missed" in checked.output


def test_nightly_and_freeze_need_a_previous_plan(
    tmp_path: Path, scenario_data: dict[str, Any]
) -> None:
    """--nightly (network and stock frozen) without a previous plan exits 2 saying so; a bad
    --freeze layer or --stability price exits 2 naming the choices."""
    scenario = str(_write(tmp_path / "scenario.json", scenario_data))
    nightly = runner.invoke(app, ["solve", scenario, "--nightly"])
    assert nightly.exit_code == 2
    assert "freeze network, stock" in nightly.output
    assert "previous plan" in nightly.output
    bad_layer = runner.invoke(app, ["solve", scenario, "--freeze", "depots"])
    assert bad_layer.exit_code == 2
    assert "network, stock, routing" in bad_layer.output
    bad_price = runner.invoke(app, ["solve", scenario, "--stability", "site_move=-1"])
    assert bad_price.exit_code == 2
    assert "visit_reassign" in bad_price.output
