"""Tests of the ``contract`` suite: the rule-of-thumb plan, the closing note, and a short run."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aftersales.benchmarks.__main__ import app
from aftersales.benchmarks.contract import (
    RULE_OF_THUMB_UTILISATION,
    closing_note,
    rule_of_thumb_plan,
)
from aftersales.datasets.generator import generate_scenario
from aftersales.optimizer.validate import ATTAINMENT_TARGET_MISSED, validate


def test_rule_of_thumb_keeps_todays_network_and_staffs_to_80_percent() -> None:
    """Today's depots, every pool at ⌈workload / (0.8 × 1,720 h)⌉, a valid plan apart from
    the targets it may miss (its status says so)."""
    scenario = generate_scenario("S", seed=0)
    plan = rule_of_thumb_plan(scenario)
    verdict = validate(scenario, plan)
    assert [v.kind for v in verdict.violations if v.kind != ATTAINMENT_TARGET_MISSED] == []
    missed = bool(verdict.of_kind(ATTAINMENT_TARGET_MISSED))
    assert plan.status == ("target_missed" if missed else "feasible")
    assert {a.site: a.depot for a in plan.assignments} == {s.id: s.depot for s in scenario.sites}
    hours = scenario.costs.technician_hours_per_year
    for pool in plan.staffing:
        needed = math.ceil(pool.workload_hours_per_year / (RULE_OF_THUMB_UTILISATION * hours))
        assert pool.technicians == needed, pool
        assert pool.utilisation <= RULE_OF_THUMB_UTILISATION + 1e-9
    kept = [b for b in plan.technician_bases if b.action == "kept"]
    assert all(b.depot == b.from_depot for b in kept)


def test_closing_note_differences_by_hand() -> None:
    """Binding 100 vs priced 70 and rule of thumb 90 recurring: +30 and +10; with simulated
    credits 105 vs 95 and 80: +10 and +25."""
    rows = [
        {"size": "S", "plan": p, "violations": 0, "recurring_cost_per_year": r,
         "cost_with_simulated_credits_per_year": c}
        for p, r, c in (("binding", 100.0, 105.0), ("priced", 70.0, 95.0),
                        ("rule_of_thumb", 90.0, 80.0))
    ]  # fmt: skip
    tiers = [
        {"size": "S", "plan": "binding", "verified": True, "within_2_points": True},
        {"size": "S", "plan": "priced", "verified": False, "within_2_points": False},
        {"size": "S", "plan": "rule_of_thumb", "verified": True, "within_2_points": True},
    ]
    note = closing_note(rows, tiers)["S"]
    assert note["binding_minus_priced_recurring"] == 30.0
    assert note["binding_minus_rule_of_thumb_recurring"] == 10.0
    assert note["binding_minus_priced_with_simulated_credits"] == 10.0
    assert note["binding_minus_rule_of_thumb_with_simulated_credits"] == 25.0
    assert note["binding_all_tiers_verified"] is True
    assert note["priced_tiers_verified"] == 0


@pytest.mark.slow
def test_contract_suite_runs_on_s(tmp_path: Path) -> None:
    """`run --suite contract --size S` writes three plans and their tiers, side by side."""
    out = tmp_path / "contract.json"
    result = CliRunner().invoke(
        app,
        ["run", "--suite", "contract", "--size", "S", "--time-limit", "10", "--json", str(out)],
    )
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text())
    assert [r["plan"] for r in document["rows"]] == ["binding", "priced", "rule_of_thumb"]
    assert all(r["violations"] == 0 for r in document["rows"])
    tiers = {(t["plan"], t["tier"]) for t in document["tiers"]}
    assert len(tiers) == 3 * 3  # three plans × gold, silver, bronze
    for t in document["tiers"]:
        assert t["ci_low"] <= t["simulated"] <= t["ci_high"]
        assert t["margin_per_year"] == pytest.approx(
            t["fees_per_year"] - t["cost_to_serve_per_year"]
        )
    assert "binding_minus_priced_recurring" in document["summary"]["S"]
