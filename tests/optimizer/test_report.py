"""Tests of the planner's HTML report (aftersales.optimizer.simulate.report)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aftersales.datasets.generator import generate_scenario
from aftersales.optimizer.cli import app
from aftersales.optimizer.pipeline import solve
from aftersales.optimizer.schema import Plan, Scenario, StaffingLevel, TechnicianBase
from aftersales.optimizer.simulate import SimulationSettings, simulate
from aftersales.optimizer.simulate.report import report_html


@pytest.fixture(scope="module")
def solved() -> tuple[Scenario, Plan]:
    """Generated S scenario (seed 0) solved on all three layers."""
    scenario = generate_scenario("S", seed=0)
    plan = solve(scenario, scenario.options.model_copy(update={"time_limit_seconds": 20}))
    assert plan.routes
    assert plan.stock_frontier
    return scenario, plan


def _figure(page: str, name: str) -> dict:
    """The plotly figure JSON (data and layout) embedded in section ``name``."""
    section = re.search(f'<section id="{name}">(.*?)</section>', page, re.S)
    assert section, f"section {name} missing"
    call = re.search(
        r'Plotly\.newPlot\(\s*"[^"]+",\s*(\[.*?\]),\s*(\{.*?\}),\s*\{"displaylogo"',
        section.group(1),
        re.S,
    )
    assert call, f"no plotly figure in {name}"
    return {"data": json.loads(call.group(1)), "layout": json.loads(call.group(2))}


def test_report_has_map_gantt_frontier_with_plan_numbers(solved: tuple[Scenario, Plan]) -> None:
    """Map, Gantt, frontier, costs and attainment are there and carry the plan's figures."""
    scenario, plan = solved
    result = simulate(scenario, plan, SimulationSettings(0.25, 2, seed=0, workers=1))
    page = report_html(scenario, plan, result)
    assert "<script src=" not in page  # self-contained: plotly.js inlined
    assert page.count("<section id=") == 5

    geo = _figure(page, "map")
    names = [trace.get("name", "") for trace in geo["data"]]
    assert f"open depots ({len(plan.open_depots())})" in names
    gold = next(k for k in plan.kpis if k.tier == "gold")
    assert f"gold sites ({gold.sites_within_promise}/{gold.sites} within promise)" in names

    gantt = _figure(page, "gantt")
    visits = sum(len(r.visits) for r in plan.routes)
    assert f"{len(plan.routes)} days, {visits} visits" in gantt["layout"]["title"]["text"]
    service = next(t for t in gantt["data"] if t["name"] == "service")
    assert len(service["y"]) == visits
    assert set(service["y"]) == {r.technician for r in plan.routes}  # one row per technician
    if plan.unserved:
        notes = " ".join(a["text"] for a in gantt["layout"]["annotations"])
        assert all(u.request in notes or "…" in notes for u in plan.unserved[:3])

    frontier = _figure(page, "frontier")
    chosen = next(p for p in plan.stock_frontier if p.chosen)
    star = next(t for t in frontier["data"] if t["name"] == "chosen stock levels")
    assert star["x"] == [pytest.approx(chosen.holding_cost_per_year)]
    assert star["y"] == [pytest.approx(chosen.parts_on_hand_probability)]

    costs = _figure(page, "costs")
    assert f"{plan.costs.annual_total:,.0f}" in costs["layout"]["title"]["text"]

    attainment = _figure(page, "attainment")
    simulated = next(t for t in attainment["data"] if t["name"].startswith("simulated"))
    assert simulated["y"] == [pytest.approx(result.tier(t).attainment) for t in simulated["x"]]


def test_cli_report_writes_html(solved: tuple[Scenario, Plan], tmp_path: Path) -> None:
    """`aftersales report SCENARIO PLAN -o report.html` writes the page."""
    scenario, plan = solved
    scenario_path, plan_path = tmp_path / "s.json", tmp_path / "p.json"
    scenario_path.write_text(scenario.model_dump_json())
    plan_path.write_text(plan.model_dump_json())
    out = tmp_path / "report.html"
    result = CliRunner().invoke(
        app,
        [
            "report",
            str(scenario_path),
            str(plan_path),
            "-o",
            str(out),
            "--replications",
            "2",
            "--years",
            "0.25",
        ],
    )
    assert result.exit_code == 0, result.output
    assert '<section id="gantt">' in out.read_text()


def test_report_tables_mark_tiers_and_show_margin_and_staffing(
    tiny_scenario: Scenario, good_plan: Plan
) -> None:
    """Tier verdicts (missed with reason and cost to fix, verified), margin and staffing rows."""
    gold, silver = good_plan.kpis
    kpis = [
        gold.model_copy(update={"forecast_attainment": 0.96, "target_met": True, "verified": True}),
        silver.model_copy(
            update={
                "forecast_attainment": 0.5,
                "target_met": False,
                "miss_reason": "S3 out of reach",
                "cost_to_meet_target": 1234.0,
            }
        ),
    ]
    plan = good_plan.model_copy(
        update={
            "kpis": kpis,
            "staffing": [
                StaffingLevel(
                    depot="D1",
                    skill="mech",
                    technicians=2,
                    workload_hours_per_year=1000,
                    capacity_hours_per_year=3440,
                    utilisation=1000 / 3440,
                    offered_load_erlangs=0.11,
                    wait_probability=0.01,
                )
            ],
            "technician_bases": [
                TechnicianBase(
                    technician="T1", skill="mech", action="kept", from_depot="D1", depot="D1"
                ),
                TechnicianBase(technician="H1", skill="mech", action="hired", depot="D1"),
            ],
        }
    )
    page = report_html(tiny_scenario, plan, None)
    tiers = re.search(r'<table id="tier-table">(.*?)</table>', page, re.S)
    assert tiers
    assert "met, verified" in tiers.group(1)
    assert "MISSED" in tiers.group(1)
    assert "S3 out of reach" in tiers.group(1)
    assert "1,234" in tiers.group(1)
    money = re.search(r'<table id="economics-table">(.*?)</table>', page, re.S)
    assert money
    assert "10,000" in money.group(1)  # gold fees: 2 sites × 5,000
    staff = re.search(r'<table id="staffing-table">(.*?)</table>', page, re.S)
    assert staff
    assert "<td>1/0/1/0</td>" in staff.group(1)  # T1 kept, H1 hired at D1
    assert "<td>29%</td>" in staff.group(1)  # 1,000 / 3,440 h


def test_cli_report_against_a_previous_plan_adds_the_diff(
    solved: tuple[Scenario, Plan], tmp_path: Path
) -> None:
    """`report --against OLD` adds a diff section whose tables count the changes from OLD: here
    one site served from another depot yesterday, and a day-later horizon (every visit on
    another calendar day)."""
    scenario, plan = solved
    first = plan.assignments[0]
    other = next(d for d in sorted(plan.open_depots()) if d != first.depot)
    moved = [first.model_copy(update={"depot": other}), *plan.assignments[1:]]
    yesterday = plan.model_copy(update={"assignments": moved, "horizon_start_day": 1})
    paths = {name: tmp_path / f"{name}.json" for name in ("scenario", "plan", "old")}
    paths["scenario"].write_text(scenario.model_dump_json())
    paths["plan"].write_text(plan.model_dump_json())
    paths["old"].write_text(yesterday.model_dump_json())
    out = tmp_path / "report.html"
    args = ["report", str(paths["scenario"]), str(paths["plan"]), "-o", str(out)]
    result = CliRunner().invoke(app, [*args, "--replications", "0", "--against", str(paths["old"])])
    assert result.exit_code == 0, result.output
    page = out.read_text()
    section = re.search('<section id="diff">(.*?)</section>', page, re.S)
    assert section, "diff section missing"
    rows = dict(re.findall(r"<tr><td>(\w+)</td><td>(\d+)</td>", section.group(1)))
    visits = sum(len(r.visits) for r in plan.routes)
    assert rows["sites_moved"] == "1"
    assert rows["visits_reassigned"] == str(visits)
    assert rows["depots_opened"] == rows["unserved_added"] == "0"
    assert f"{first.site} ({other} → {first.depot})" in section.group(1)
