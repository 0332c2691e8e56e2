"""The nightly workflow on the command line: solve, roll, solve warm (--previous), diff."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from aftersales.optimizer.cli import app
from aftersales.optimizer.diff import COUNT_KEYS, PlanDiff
from aftersales.optimizer.schema import Plan, Scenario

runner = CliRunner()


def _two_days(data: dict[str, Any]) -> dict[str, Any]:
    """The minimal scenario over two days: t1 works both, a third request opens on day 1."""
    data["policy"] = {"horizon_days": 2}
    data["technicians"][0]["shifts"].append({"day": 1, "start_minute": 480, "end_minute": 1020})
    data["requests"].append(
        {"id": "r3", "site": "s2", "product": "press", "opened_minute": 1440 + 500,
         "duration_minutes": 60, "required_skills": ["mechanical"]}
    )  # fmt: skip
    return data


def _routing_message(path: Path) -> str:
    plan = Plan.model_validate_json(path.read_text())
    return next(layer.message for layer in plan.layers if layer.layer == "routing")


def test_nightly_workflow_roll_solve_warm_and_diff(
    tmp_path: Path, scenario_data: dict[str, Any]
) -> None:
    scenario = tmp_path / "scenario.json"
    scenario.write_text(json.dumps(_two_days(scenario_data)))
    plan, rolled, warm = tmp_path / "plan.json", tmp_path / "next.json", tmp_path / "warm.json"
    limit = ["--time-limit", "6", "--deterministic"]
    solved = runner.invoke(app, ["solve", str(scenario), "-o", str(plan), *limit])
    assert solved.exit_code == 0, solved.output
    assert "assignments moved" not in _routing_message(plan)

    rolling = runner.invoke(
        app, ["roll", str(scenario), str(plan), "--days", "1", "-o", str(rolled)]
    )
    assert rolling.exit_code == 0, rolling.output
    next_night = Scenario.model_validate_json(rolled.read_text())
    assert next_night.horizon_start_day == 1
    assert [len(t.shifts) for t in next_night.technicians] == [1]
    served_day_0 = {
        s.request for r in Plan.model_validate_json(plan.read_text()).routes if r.day == 0
        for s in r.visits
    }  # fmt: skip
    assert {r.id for r in next_night.requests} == {"r1", "r2", "r3"} - served_day_0

    args = ["solve", str(rolled), "--previous", str(plan), "-o", str(warm), *limit]
    resolved = runner.invoke(app, args)
    assert resolved.exit_code == 0, resolved.output
    assert "assignments moved" in _routing_message(warm)  # the routing layer started from it
    assert Plan.model_validate_json(warm.read_text()).horizon_start_day == 1
    checked = runner.invoke(app, ["validate", str(rolled), str(warm)])
    assert checked.exit_code == 0, checked.output

    table = runner.invoke(app, ["diff", str(plan), str(warm)])
    assert table.exit_code == 0, table.output
    assert "visits_reassigned" in table.output
    assert "calendar day 0 → 1" in table.output
    as_json = runner.invoke(app, ["diff", str(plan), str(warm), "--json"])
    assert as_json.exit_code == 0, as_json.output
    diff = PlanDiff.model_validate_json(as_json.output)
    assert list(diff.counts()) == list(COUNT_KEYS)
    assert (diff.old_horizon_start_day, diff.new_horizon_start_day) == (0, 1)


def test_roll_and_diff_reject_bad_input(tmp_path: Path, scenario_data: dict[str, Any]) -> None:
    scenario = tmp_path / "scenario.json"
    scenario.write_text(json.dumps(scenario_data))
    other = tmp_path / "other.json"
    other.write_text(Plan(status="feasible", horizon_start_day=4).model_dump_json())
    result = runner.invoke(app, ["roll", str(scenario), str(other)])
    assert result.exit_code == 2
    assert "calendar day 4" in result.output
    missing = runner.invoke(app, ["diff", str(other), str(tmp_path / "none.json")])
    assert missing.exit_code == 2
