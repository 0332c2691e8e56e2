"""Compare a benchmark run with a reference: which figures got worse beyond their tolerance.

Both documents carry ``metrics`` (``{suite: {instance: {metric: value}}}``, see
``aftersales.benchmarks.metrics``); the reference also carries ``tolerances``. A metric's rule
is looked up from the most to the least specific entry: ``suites[suite][metric]``,
``suites[suite][family]``, ``default[metric]``, ``default[family]`` (the family is the metric name
before ``:``). A rule says which direction is better and how far the result may move the other
way:

- ``{"better": "lower", "abs": a, "rel": r}``: a regression when
  ``result > reference + max(a, r × |reference|)``;
- ``{"better": "higher", ...}``: the mirror image; with ``"floor": "target"`` also a regression
  when the result falls below the instance's ``target:TIER`` while the reference met it;
- ``{"better": "higher", "factor": f}`` (time ratios): a regression when
  ``result < reference ÷ f``;
- ``{"better": "info"}``: reported, never a regression.

A suite, instance or metric of the reference that the results lack — or a number the results
give as null — is a regression; one the reference lacks is reported as new, never a failure.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal
from xml.etree import ElementTree

from rich.table import Table

from aftersales.benchmarks.metrics import Metrics

Verdict = Literal["ok", "better", "regression", "missing", "new", "info"]
FAILING: frozenset[str] = frozenset({"regression", "missing"})

INFO_RULE: dict[str, Any] = {"better": "info"}
"""Rule of a metric no tolerance entry names: reported, never a regression."""


@dataclass(frozen=True)
class Rule:
    """How far one metric may move in its worse direction before it is a regression."""

    better: Literal["lower", "higher", "info"]
    abs: float = 0.0
    rel: float = 0.0
    factor: float | None = None
    floor: Literal["target"] | None = None

    def __post_init__(self) -> None:
        if self.better not in ("lower", "higher", "info"):
            raise ValueError(f"better must be lower, higher or info, not {self.better!r}.")
        if self.abs < 0 or self.rel < 0:
            raise ValueError("abs and rel tolerances must be non-negative.")
        if self.factor is not None and self.factor < 1:
            raise ValueError("a ratio factor must be at least 1.")

    @classmethod
    def parse(cls, entry: Mapping[str, Any]) -> Rule:
        """A rule from its JSON entry (unknown keys are refused, so a typo cannot loosen it)."""
        unknown = set(entry) - {"better", "abs", "rel", "factor", "floor", "why"}
        if unknown:
            raise ValueError(f"unknown tolerance keys {sorted(unknown)} in {dict(entry)}")
        return cls(
            better=entry["better"],
            abs=float(entry.get("abs", 0.0)),
            rel=float(entry.get("rel", 0.0)),
            factor=None if entry.get("factor") is None else float(entry["factor"]),
            floor=entry.get("floor"),
        )

    def describe(self) -> str:
        """The allowance in words, for the table (``≤ +0.5 %``, ``≥ ÷4``)."""
        if self.better == "info":
            return "info"
        sign = "+" if self.better == "lower" else "−"
        if self.factor is not None:
            return f"≥ ref ÷ {self.factor:g}"
        parts = [f"{sign}{self.abs:g}"] if self.abs or not self.rel else []
        if self.rel:
            parts.append(f"{sign}{100 * self.rel:g} %")
        text = " or ".join(parts)
        return text + (", ≥ target" if self.floor == "target" else "")


@dataclass(frozen=True)
class Finding:
    """One compared figure."""

    suite: str
    instance: str
    metric: str
    reference: Any
    result: Any
    verdict: Verdict
    allowed: str = ""
    reason: str = ""

    @property
    def failed(self) -> bool:
        """A regression or a figure gone missing."""
        return self.verdict in FAILING

    def label(self) -> str:
        """``suite instance metric`` — the name of a regression in every output."""
        return f"{self.suite} {self.instance} {self.metric}"


def rule_for(tolerances: Mapping[str, Any], suite: str, metric: str) -> Rule:
    """The most specific tolerance entry of ``metric`` in ``suite``."""
    family = metric.split(":")[0]
    per_suite = tolerances.get("suites", {}).get(suite, {})
    default = tolerances.get("default", {})
    for table, name in ((per_suite, metric), (per_suite, family), (default, metric)):
        if name in table:
            return Rule.parse(table[name])
    return Rule.parse(default.get(family, INFO_RULE))


def _number(value: Any) -> float | None:
    """bool → 0/1, int/float → float, anything else None."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    return None


def judge(
    rule: Rule, reference: Any, result: Any, target: float | None = None
) -> tuple[Verdict, str]:
    """Verdict on one metric and, for a regression, why."""
    if rule.better == "info":
        return "info", ""
    if reference is None:
        return ("ok", "") if result is None else ("better", "a value where the reference had none")
    ref, new = _number(reference), _number(result)
    if ref is None:  # a label, e.g. a status under a non-info rule: it must not change
        return (
            ("ok", "") if result == reference else ("regression", f"{result!r}, not {reference!r}")
        )
    if new is None:
        return "missing", f"no value (reference {reference})"
    if rule.factor is not None:
        limit = ref / rule.factor if rule.better == "higher" else ref * rule.factor
    else:
        slack = max(rule.abs, rule.rel * abs(ref))
        limit = ref + slack if rule.better == "lower" else ref - slack
    worse = new > limit if rule.better == "lower" else new < limit
    if worse:
        return "regression", f"{new:.6g} beyond the allowed {limit:.6g}"
    if rule.floor == "target" and target is not None and ref >= target > new:
        return "regression", f"{new:.6g} below the target {target:g} the reference met"
    moved = new < ref if rule.better == "lower" else new > ref
    return ("better" if moved else "ok"), ""


def compare(
    results: Mapping[str, Metrics],
    reference: Mapping[str, Metrics],
    tolerances: Mapping[str, Any],
) -> list[Finding]:
    """Every metric of the reference against the results, then what only the results have."""
    findings: list[Finding] = []
    for suite, instances in reference.items():
        if suite not in results:
            findings.append(Finding(suite, "*", "*", "present", None, "missing", "", "suite gone"))
            continue
        for instance, metrics in instances.items():
            got = results[suite].get(instance)
            if got is None:
                findings.append(
                    Finding(suite, instance, "*", "present", None, "missing", "", "instance gone")
                )
                continue
            for metric, value in metrics.items():
                rule = rule_for(tolerances, suite, metric)
                if metric not in got:
                    findings.append(
                        Finding(suite, instance, metric, value, None, "missing", "", "metric gone")
                    )
                    continue
                tier = metric.split(":", 1)[1] if ":" in metric else ""
                target = _number(got.get(f"target:{tier}")) if tier else None
                verdict, reason = judge(rule, value, got[metric], target)
                findings.append(
                    Finding(
                        suite,
                        instance,
                        metric,
                        value,
                        got[metric],
                        verdict,
                        rule.describe(),
                        reason,
                    )
                )
            findings += [
                Finding(suite, instance, m, None, v, "new")
                for m, v in got.items()
                if m not in metrics
            ]
        findings += [
            Finding(suite, instance, "*", None, "present", "new")
            for instance in results[suite]
            if instance not in instances
        ]
    findings += [
        Finding(suite, "*", "*", None, "present", "new")
        for suite in results
        if suite not in reference
    ]
    return findings


def failures(findings: Iterable[Finding]) -> list[Finding]:
    """The regressions and missing figures."""
    return [f for f in findings if f.failed]


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return "–" if value is None else str(value)


COLUMNS = ("suite", "instance", "metric", "reference", "result", "allowed", "verdict", "reason")
STYLE: dict[str, str] = {"regression": "bold red", "missing": "bold red", "better": "green"}


def _cells(finding: Finding) -> list[str]:
    return [
        finding.suite,
        finding.instance,
        finding.metric,
        _cell(finding.reference),
        _cell(finding.result),
        finding.allowed,
        finding.verdict,
        finding.reason,
    ]


def table(findings: list[Finding], *, everything: bool = False) -> Table:
    """A rich table: the failures first, then (with ``everything``) all other figures."""
    shown = failures(findings) + ([f for f in findings if not f.failed] if everything else [])
    out = Table(title=f"benchmark check: {len(failures(findings))} regression(s)")
    for column in COLUMNS:
        out.add_column(column, justify="left" if column in ("suite", "instance") else "right")
    for finding in shown:
        out.add_row(*_cells(finding), style=STYLE.get(finding.verdict))
    return out


def verdict_counts(findings: Iterable[Finding]) -> dict[str, int]:
    """How many findings of each verdict."""
    counts: dict[str, int] = {}
    for finding in findings:
        counts[finding.verdict] = counts.get(finding.verdict, 0) + 1
    return counts


def markdown(findings: list[Finding], title: str = "Benchmark check") -> str:
    """A GitHub-flavoured Markdown summary: verdict, regressions, then every figure folded."""
    failed = failures(findings)
    counts = ", ".join(f"{n} {v}" for v, n in sorted(verdict_counts(findings).items()))
    lines = [
        f"## {title}: {'FAILED' if failed else 'passed'}",
        "",
        f"{len(findings)} figures compared ({counts}).",
        "",
    ]

    def rows(selection: list[Finding]) -> list[str]:
        head = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
        escaped = [[c.replace("|", "\\|") for c in _cells(f)] for f in selection]
        return head + ["| " + " | ".join(cells) + " |" for cells in escaped]

    if failed:
        lines += ["### Regressions", "", *rows(failed), ""]
    lines += ["<details><summary>All figures</summary>", "", *rows(findings), "", "</details>", ""]
    return "\n".join(lines)


def junit(findings: list[Finding]) -> str:
    """JUnit XML: one test suite per benchmark suite, one test case per instance."""
    root = ElementTree.Element("testsuites", name="benchmark check")
    by_suite: dict[str, dict[str, list[Finding]]] = {}
    for finding in findings:
        by_suite.setdefault(finding.suite, {}).setdefault(finding.instance, []).append(finding)
    total_failed = 0
    for suite, instances in by_suite.items():
        node = ElementTree.SubElement(root, "testsuite", name=suite, tests=str(len(instances)))
        suite_failed = 0
        for instance, items in instances.items():
            case = ElementTree.SubElement(node, "testcase", classname=suite, name=instance)
            failed = failures(items)
            if failed:
                suite_failed += 1
                failure = ElementTree.SubElement(
                    case,
                    "failure",
                    type="regression",
                    message="; ".join(f"{f.metric}: {f.reason}" for f in failed),
                )
                failure.text = "\n".join(
                    f"{f.label()}: reference {_cell(f.reference)}, result {_cell(f.result)}, "
                    f"allowed {f.allowed or '–'}: {f.reason}"
                    for f in failed
                )
        node.set("failures", str(suite_failed))
        total_failed += suite_failed
    root.set("tests", str(sum(len(i) for i in by_suite.values())))
    root.set("failures", str(total_failed))
    return ElementTree.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
