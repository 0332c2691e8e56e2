"""Suite rows → canonical metrics, suite aggregates, the quick profile and its reference."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aftersales.benchmarks.__main__ import app
from aftersales.benchmarks.check import INFO_RULE, Rule, compare, failures, rule_for
from aftersales.benchmarks.metrics import SUITE_ROW, suite_metrics
from aftersales.benchmarks.profiles import PROFILES, QUICK
from aftersales.benchmarks.reference import DEFAULT_TOLERANCES, load_document, reference_path
from aftersales.benchmarks.registry import SUITES, load_all

ORLIB = {
    "rows": [
        # ratio 0.6 / 0.2 = 3; gap 0
        {"instance": "cap41", "ours": 100.0, "gap": 0.0, "status": "optimal", "seconds": 0.2,
         "baseline_seconds": 0.6, "baseline_gap": 0.5},
        # ratio 1.2 / 0.1 = 12; gap 0.002
        {"instance": "cap71", "ours": 200.0, "gap": 0.002, "status": "optimal", "seconds": 0.1,
         "baseline_seconds": 1.2, "baseline_gap": 0.0},
    ]
}  # fmt: skip


def test_orlib_rows_become_metrics() -> None:
    """``ours`` is the objective, the baseline's gap is not ours, the ratio is baseline ÷ ours."""
    metrics = suite_metrics("orlib-cap", ORLIB)
    assert metrics["cap41"] == {
        "objective": 100.0,
        "gap": 0.0,
        "status": "optimal",
        "time_ratio": pytest.approx(3.0),
    }
    # aggregate: mean gap (0 + 0.002) / 2 = 0.001, max 0.002, geometric mean √(3 × 12) = 6
    summary = metrics[SUITE_ROW]
    assert summary["instances"] == 2
    assert summary["gap"] == pytest.approx(0.001)
    assert summary["gap:max"] == pytest.approx(0.002)
    assert summary["time_ratio"] == pytest.approx(6.0)


def test_percent_gap_prefixes_and_counts() -> None:
    """Solomon's ``gap %`` becomes a fraction; tier and reason columns get their prefixes."""
    solomon = suite_metrics("solomon", {"rows": [{"instance": "r101", "gap %": 0.25}]})
    assert solomon["r101"]["gap"] == pytest.approx(0.0025)
    routing = suite_metrics(
        "routing",
        {
            "rows": [
                {"size": "S", "method": "ours", "cost": 10.0, "unserved": 3,
                 "unserved no_capacity": 2, "SLA met gold": 0.5, "valid": True, "violations": 0},
                {"size": "S", "method": "greedy", "cost": 12.0, "unserved": 4,
                 "unserved no_capacity": 4, "SLA met gold": 0.25, "valid": True, "violations": 1},
            ]
        },
    )  # fmt: skip
    assert routing["S/ours"] == {
        "cost": 10.0,
        "unserved": 3,
        "unserved:no_capacity": 2,
        "sla_met:gold": 0.5,
        "valid": True,
        "violations": 0,
    }
    # sums over both rows: unserved 3 + 4, violations 0 + 1, valid 1 + 1
    assert routing[SUITE_ROW]["unserved"] == 7
    assert routing[SUITE_ROW]["unserved:no_capacity"] == 6
    assert routing[SUITE_ROW]["violations"] == 1
    assert routing[SUITE_ROW]["valid"] == 2


def test_missing_gap_makes_the_suite_gap_missing() -> None:
    """One instance without a solution: the mean gap is null, so a check flags it."""
    metrics = suite_metrics(
        "solomon", {"rows": [{"instance": "a", "gap %": 1.0}, {"instance": "b", "gap %": None}]}
    )
    assert metrics[SUITE_ROW]["gap"] is None


def test_duplicate_instance_is_refused() -> None:
    """Two rows with one key would hide each other."""
    with pytest.raises(ValueError, match="two rows for instance 'S'"):
        suite_metrics("network", {"rows": [{"size": "S"}, {"size": "S"}]})


def test_profile_names_registered_suites_once_each() -> None:
    """Every step of every profile is a registered suite, and step names are unique."""
    load_all()
    for steps in PROFILES.values():
        assert {s.suite for s in steps} <= set(SUITES)
        assert len({s.name for s in steps}) == len(steps)


def test_committed_reference_covers_the_quick_profile() -> None:
    """Every reference step is in the profile, every metric has a rule, it passes itself.

    A step added to the profile may precede its reference (check reports it as new).
    """
    reference = load_document(reference_path("quick"))
    assert set(reference["metrics"]) <= {s.name for s in QUICK}
    assert reference["provenance"]["commit"]
    tolerances = reference["tolerances"]
    for suite, instances in reference["metrics"].items():
        for metrics in instances.values():
            for metric in metrics:
                rule = rule_for(tolerances, suite, metric)
                # every metric has a deliberate entry: status, target and counts say 'info'
                family = metric.split(":")[0]
                named = family in tolerances["default"] or metric in tolerances["default"]
                assert named, f"{suite} {metric} has no tolerance entry"
                assert isinstance(rule, Rule)
    assert not failures(compare(reference["metrics"], reference["metrics"], tolerances))


def test_default_tolerances_parse() -> None:
    """Every default and per-suite entry is a valid rule; the fallback is info."""
    for table in [DEFAULT_TOLERANCES["default"], *DEFAULT_TOLERANCES["suites"].values()]:
        for entry in table.values():
            Rule.parse(entry)
    assert Rule.parse(INFO_RULE).better == "info"


def test_reference_update_keeps_tolerances(tmp_path: Path) -> None:
    """`reference update --from` records the run's provenance and keeps the file's tolerances."""
    results = {
        "profile": "quick",
        "provenance": {"commit": "new", "date": "2026-12-01T10:00:00+00:00"},
        "wall_seconds": 200.0,
        "metrics": {"network": {"S": {"objective": 1.0}}},
    }
    source = tmp_path / "results.json"
    source.write_text(json.dumps(results))
    target = tmp_path / "quick.json"
    curated = {"default": {"objective": {"better": "lower", "rel": 0.5, "why": "hand-set"}}}
    target.write_text(json.dumps({"metrics": {}, "tolerances": curated}))
    runner = CliRunner()
    done = runner.invoke(
        app, ["reference", "update", "--from", str(source), "--output", str(target)]
    )
    assert done.exit_code == 0, done.output
    written = json.loads(target.read_text())
    assert written["tolerances"] == curated
    assert written["provenance"]["commit"] == "new"
    assert written["metrics"] == results["metrics"]
    reset = runner.invoke(
        app,
        ["reference", "update", "--from", str(source), "--output", str(target),
         "--reset-tolerances"],
    )  # fmt: skip
    assert reset.exit_code == 0, reset.output
    assert json.loads(target.read_text())["tolerances"] == DEFAULT_TOLERANCES


def test_run_needs_exactly_one_of_suite_and_profile() -> None:
    """Neither or both is a usage error (exit 2) before anything runs."""
    runner = CliRunner()
    assert runner.invoke(app, ["run"]).exit_code == 2
    both = runner.invoke(app, ["run", "--suite", "network", "--profile", "quick"])
    assert both.exit_code == 2
    assert "exactly one" in both.output
    limited = runner.invoke(app, ["run", "--profile", "quick", "--time-limit", "5"])
    assert limited.exit_code == 2


def test_ratio_without_seconds_is_null() -> None:
    """Zero seconds give no ratio, and the suite's geometric mean is then null, not partial."""
    metrics = suite_metrics(
        "orlib-cap",
        {
            "rows": [
                {"instance": "a", "seconds": 0.0, "baseline_seconds": 1.0},
                {"instance": "b", "seconds": 1.0, "baseline_seconds": 2.0},
            ]
        },
    )
    assert metrics["a"]["time_ratio"] is None
    assert metrics["b"]["time_ratio"] == 2.0
    assert metrics[SUITE_ROW]["time_ratio"] is None
