"""``check`` against a reference: planted regressions fail, the reference itself passes.

Everything here works on small hand-made documents; no solver runs.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console
from typer.testing import CliRunner

from aftersales.benchmarks.__main__ import app
from aftersales.benchmarks.check import Rule, compare, failures, judge, junit, markdown, table

TOLERANCES: dict[str, Any] = {
    "default": {
        "gap": {"better": "lower", "abs": 0.001},
        "cost": {"better": "lower", "rel": 0.01},
        "unserved": {"better": "lower", "abs": 0},
        "violations": {"better": "lower", "abs": 0},
        "attainment_simulated": {"better": "higher", "abs": 0.05, "floor": "target"},
        "attainment_forecast": {"better": "higher", "abs": 0.005, "floor": "target"},
        "time_ratio": {"better": "higher", "factor": 3},
        "status": {"better": "info"},
        "target": {"better": "info"},
    },
    "suites": {"orlib-cap": {"gap": {"better": "lower", "abs": 1e-6}}},
}
METRICS: dict[str, Any] = {
    "orlib-cap": {
        "cap41": {"gap": 0.0, "time_ratio": 6.0, "status": "optimal"},
        "(suite)": {"gap": 0.0, "time_ratio": 6.0},
    },
    "routing-S": {"S/ours": {"cost": 1000.0, "unserved": 3, "unserved:no_capacity": 2}},
    "pipeline": {
        "S": {
            "attainment_forecast:gold": 0.97,
            "attainment_simulated:gold": 0.96,
            "target:gold": 0.95,
            "violations": 0,
        }
    },
}


def _reference() -> dict[str, Any]:
    return {
        "profile": "quick",
        "provenance": {"commit": "abc", "date": "2026-12-01"},
        "tolerances": copy.deepcopy(TOLERANCES),
        "metrics": copy.deepcopy(METRICS),
    }


def _planted(suite: str, instance: str, metric: str, value: Any) -> dict[str, Any]:
    """The reference's metrics with one figure changed (or removed when value is ...)."""
    metrics = copy.deepcopy(METRICS)
    if value is ...:
        del metrics[suite][instance][metric]
    else:
        metrics[suite][instance][metric] = value
    return metrics


def _failed(metrics: dict[str, Any]) -> list[str]:
    return [f.label() for f in failures(compare(metrics, METRICS, TOLERANCES))]


def test_reference_against_itself_passes() -> None:
    """Every figure equals its reference: no failure, nothing new."""
    findings = compare(METRICS, METRICS, TOLERANCES)
    assert not failures(findings)
    assert {f.verdict for f in findings} <= {"ok", "info"}


@pytest.mark.parametrize(
    ("suite", "instance", "metric", "value"),
    [
        # a worse gap: 0 → 1e-4 against 1e-6 allowed on proven optima
        ("orlib-cap", "cap41", "gap", 1e-4),
        # one more unserved request, abs tolerance 0
        ("routing-S", "S/ours", "unserved", 4),
        ("routing-S", "S/ours", "unserved:no_capacity", 3),
        # a violation where there was none
        ("pipeline", "S", "violations", 1),
        # cost 1000 → 1010.5: above 1000 + 1 % = 1010
        ("routing-S", "S/ours", "cost", 1010.5),
        # time ratio 6 → 1.9: below 6 ÷ 3 = 2
        ("orlib-cap", "cap41", "time_ratio", 1.9),
        # a figure the solver no longer gives
        ("orlib-cap", "cap41", "gap", None),
    ],
)
def test_planted_regression_fails(suite: str, instance: str, metric: str, value: Any) -> None:
    """Each planted regression is the one failure, named suite, instance and metric."""
    assert _failed(_planted(suite, instance, metric, value)) == [f"{suite} {instance} {metric}"]


def test_attainment_below_target_fails_within_tolerance() -> None:
    """Simulated gold 0.96 → 0.94 is inside the 0.05 allowance but below the 0.95 target."""
    findings = compare(
        _planted("pipeline", "S", "attainment_simulated:gold", 0.94), METRICS, TOLERANCES
    )
    (failure,) = failures(findings)
    assert failure.metric == "attainment_simulated:gold"
    assert "below the target 0.95" in failure.reason


def test_attainment_drop_above_target_passes() -> None:
    """Forecast gold 0.97 → 0.966: a drop of 0.004 ≤ 0.005, still above the 0.95 target."""
    assert _failed(_planted("pipeline", "S", "attainment_forecast:gold", 0.966)) == []


def test_within_tolerance_and_improvements_pass() -> None:
    """Cost +0.9 % (≤ 1 %), a ratio 6 → 2.1 (≥ 2) and fewer unserved all pass."""
    metrics = _planted("routing-S", "S/ours", "cost", 1009.0)
    metrics["orlib-cap"]["cap41"]["time_ratio"] = 2.1
    metrics["routing-S"]["S/ours"]["unserved"] = 1
    findings = compare(metrics, METRICS, TOLERANCES)
    assert not failures(findings)
    assert [f.metric for f in findings if f.verdict == "better"] == ["unserved"]


def test_missing_metric_instance_and_suite_fail() -> None:
    """A metric, an instance and a suite of the reference absent from the results all fail."""
    metrics = _planted("pipeline", "S", "attainment_forecast:gold", ...)
    del metrics["orlib-cap"]["(suite)"]
    del metrics["routing-S"]
    labels = _failed(metrics)
    assert labels == [
        "orlib-cap (suite) *",
        "routing-S * *",
        "pipeline S attainment_forecast:gold",
    ]


def test_new_figures_are_reported_not_failed() -> None:
    """A new metric, instance and suite (e.g. a suite added to the profile) are 'new'."""
    metrics = copy.deepcopy(METRICS)
    metrics["pipeline"]["S"]["attainment_simulated:platinum"] = 0.5
    metrics["orlib-cap"]["cap71"] = {"gap": 0.0}
    metrics["trsp"] = {"(suite)": {"gap": 0.01}}
    findings = compare(metrics, METRICS, TOLERANCES)
    assert not failures(findings)
    new = {(f.suite, f.instance, f.metric) for f in findings if f.verdict == "new"}
    assert new == {
        ("pipeline", "S", "attainment_simulated:platinum"),
        ("orlib-cap", "cap71", "*"),
        ("trsp", "*", "*"),
    }


def test_suite_rule_overrides_default() -> None:
    """orlib-cap's gap allows 1e-6; the same 5e-4 step passes under the default 0.001."""
    assert _failed(_planted("orlib-cap", "cap41", "gap", 5e-4)) == ["orlib-cap cap41 gap"]
    reference = copy.deepcopy(METRICS)
    reference["pipeline"]["S"]["gap"] = 0.0
    results = copy.deepcopy(reference)
    results["pipeline"]["S"]["gap"] = 5e-4
    assert not failures(compare(results, reference, TOLERANCES))


def test_status_change_is_info_only() -> None:
    """optimal → time_limit is shown but judged by the figures, not failed."""
    assert _failed(_planted("orlib-cap", "cap41", "status", "time_limit")) == []


def test_rule_refuses_unknown_keys_and_bad_values() -> None:
    """A misspelt key or a negative allowance cannot silently loosen a check."""
    with pytest.raises(ValueError, match="unknown tolerance keys"):
        Rule.parse({"better": "lower", "absolute": 5})
    with pytest.raises(ValueError, match="non-negative"):
        Rule.parse({"better": "lower", "abs": -1})
    with pytest.raises(ValueError, match="better must be"):
        Rule.parse({"better": "smaller"})


@given(
    reference=st.integers(-(10**6), 10**6),
    step=st.integers(0, 10**6),
    allowance=st.integers(0, 1000),
    better=st.sampled_from(["lower", "higher"]),
)
def test_moving_in_the_better_direction_never_fails(
    reference: int, step: int, allowance: int, better: str
) -> None:
    """Equal or better figures always pass; worse ones fail exactly when past the allowance."""
    rule = Rule(better=better, abs=allowance)  # type: ignore[arg-type]
    improved = reference - step if better == "lower" else reference + step
    worsened = reference + step if better == "lower" else reference - step
    assert judge(rule, reference, improved)[0] in ("ok", "better")
    assert (judge(rule, reference, worsened)[0] == "regression") == (step > allowance)


def test_outputs_parse() -> None:
    """The table renders; Markdown rows have 8 cells; the JUnit XML counts one failure."""
    findings = compare(_planted("pipeline", "S", "violations", 2), METRICS, TOLERANCES)
    console = Console(record=True, width=200)
    console.print(table(findings, everything=True))
    text = console.export_text()
    assert "pipeline" in text
    assert "regression" in text
    lines = markdown(findings).splitlines()
    assert lines[0] == "## Benchmark check: FAILED"
    rows = [line for line in lines if line.startswith("| ") and "---" not in line]
    assert rows
    assert all(line.count(" | ") == 7 for line in rows)
    assert any("pipeline | S | violations | 0 | 2" in line for line in rows)
    root = ElementTree.fromstring(junit(findings))
    assert root.get("failures") == "1"
    (failed,) = root.iter("failure")
    assert "violations" in (failed.get("message") or "")
    cases = {(c.get("classname"), c.get("name")) for c in root.iter("testcase")}
    assert ("pipeline", "S") in cases
    assert ("orlib-cap", "cap41") in cases


def _write(path: Path, document: dict[str, Any]) -> Path:
    path.write_text(json.dumps(document))
    return path


def test_cli_exit_codes_and_files(tmp_path: Path) -> None:
    """check: 0 on the reference, 1 naming the regression, 2 on a file without metrics."""
    reference = _write(tmp_path / "ref.json", _reference())
    runner = CliRunner()
    same = runner.invoke(app, ["check", str(reference), "--against", str(reference)])
    assert same.exit_code == 0, same.output
    worse = _write(
        tmp_path / "worse.json",
        {"metrics": _planted("routing-S", "S/ours", "unserved", 4)},
    )
    md, xml = tmp_path / "summary.md", tmp_path / "junit.xml"
    result = runner.invoke(
        app,
        [
            "check",
            str(worse),
            "--against",
            str(reference),
            "--markdown",
            str(md),
            "--junit",
            str(xml),
        ],
    )
    assert result.exit_code == 1
    assert "REGRESSION routing-S S/ours unserved" in result.output
    assert "FAILED" in md.read_text()
    assert ElementTree.parse(xml).getroot().get("failures") == "1"
    broken = _write(tmp_path / "broken.json", {"rows": []})
    bad = runner.invoke(app, ["check", str(broken), "--against", str(reference)])
    assert bad.exit_code == 2
    assert "no 'metrics' object" in bad.output
