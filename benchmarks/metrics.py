"""Comparable quality figures of a suite's results: ``{instance: {metric: value}}``.

A suite's rows carry their own column names (``gap %`` in percent for Solomon, ``gap`` as a
fraction for OR-Library, ``cost_per_year`` for inventory, ``SLA met gold`` for routing).
``check`` compares *metrics* instead: canonical names whose family (the part before ``:``) picks
the tolerance in the reference file, in one unit per family:

==========================  =========================================================  ========
metric (family[:detail])    meaning                                                    better
==========================  =========================================================  ========
gap                         (ours − published optimum or best known) ÷ it, a fraction  lower
bound_gap                   the solver's own (objective − bound) ÷ objective           lower
objective                   the solver's objective (distance, location cost)            lower
cost[:part]                 cost of the plan, currency (per year or per horizon)        lower
unserved[:reason]           requests left unserved (by reason)                          lower
attainment_forecast:TIER    analytic attainment (coverage × parts on hand), 0–1         higher
attainment_simulated:TIER   simulated attainment (mean over replications), 0–1          higher
target:TIER                 the tier's attainment target, 0–1 (the floor of the above)  –
fill:TIER                   parts-on-hand probability of the tier, 0–1                  higher
sla_met:TIER                requests of the tier reached by their due time ÷ requests   higher
targets_missed              stock targets the validator finds missed                    lower
violations                  validator violations                                        lower
valid, feasible             the plan passed its independent check (1) or not (0)        higher
time_ratio                  baseline seconds ÷ ours, both measured in the same run      higher
status                      solver status, reported only                                –
==========================  =========================================================  ========

Each instance's key joins the row's identifying columns (``instance``, ``size``, ``network``,
``method``, unless the suite names its own) with ``/``. Every suite also gets a summary instance
:data:`SUITE_ROW` aggregating its instances (sums of counts, mean and max gap, geometric-mean
time ratio), so a suite-wide drift that no single instance shows beyond its tolerance is still
caught.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

Metrics = dict[str, dict[str, Any]]
"""instance key → metric name → value (number, bool, str or None)."""

SUITE_ROW = "(suite)"
"""Instance key of a suite's aggregate metrics."""
KEY_COLUMNS = ("instance", "size", "network", "method")
"""Row columns that identify an instance, in the order they are joined."""

COLUMNS: dict[str, tuple[str, float]] = {
    "gap": ("gap", 1.0),
    "gap %": ("gap", 0.01),
    "objective": ("objective", 1.0),
    "cost": ("cost", 1.0),
    "cost_per_year": ("cost", 1.0),
    "unserved": ("unserved", 1.0),
    "violations": ("violations", 1.0),
    "targets_missed": ("targets_missed", 1.0),
    "valid": ("valid", 1.0),
    "feasible": ("feasible", 1.0),
    "status": ("status", 1.0),
}
"""Row column → (metric, factor to the metric's unit), shared by every suite."""
PREFIXES: dict[str, str] = {
    "SLA met ": "sla_met:",
    "fill_": "fill:",
    "unserved ": "unserved:",
    "forecast ": "attainment_forecast:",
    "simulated ": "attainment_simulated:",
    "target ": "target:",
    "cost ": "cost:",
}
"""Row column prefix → metric prefix (the rest of the column names the tier or reason)."""


@dataclass(frozen=True)
class SuiteColumns:
    """How one suite's rows differ from the shared column names."""

    columns: Mapping[str, tuple[str, float]] = field(default_factory=dict)
    """Extra or overriding column → (metric, factor) entries."""
    time_ratio: tuple[str, tuple[str, ...]] | None = None
    """(baseline seconds column, our seconds columns summed): both from the same run."""
    keys: tuple[str, ...] = KEY_COLUMNS
    """Columns naming an instance (``network``'s ``method`` column describes, not names)."""


SUITES: dict[str, SuiteColumns] = {
    "orlib-cap": SuiteColumns(
        {"ours": ("objective", 1.0)}, time_ratio=("baseline_seconds", ("seconds",))
    ),
    "orlib-pmed": SuiteColumns(
        {"ours": ("objective", 1.0), "bound_gap": ("bound_gap", 1.0)},
        time_ratio=("baseline_seconds", ("seconds",)),
    ),
    # through the product's routing call; the default engine (PyVRP) is the guarded one
    "solomon": SuiteColumns({"pyvrp": ("objective", 1.0), "pyvrp gap %": ("gap", 0.01)}),
    "trsp": SuiteColumns({"pyvrp": ("objective", 1.0), "pyvrp gap %": ("gap", 0.01)}),
    "network": SuiteColumns(
        {"gap": ("bound_gap", 1.0)},
        time_ratio=("base_wall_s", ("build_s", "solve_s")),
        keys=("size",),
    ),
    "contract": SuiteColumns({"recurring_cost_per_year": ("cost", 1.0)}, keys=("size", "plan")),
}
"""Suites whose columns need more than :data:`COLUMNS` and :data:`PREFIXES`; a suite that uses
the shared names (e.g. ``inventory``, ``routing``, ``pipeline``) needs no entry."""

SUMMED = frozenset({"unserved", "violations", "targets_missed", "valid", "feasible"})
"""Families whose suite aggregate is the sum over instances (counts, and True = 1)."""


def instance_key(row: Mapping[str, Any], keys: tuple[str, ...] = KEY_COLUMNS) -> str:
    """The row's identifying columns joined with ``/`` (``M/today/frontier``)."""
    parts = [str(row[c]) for c in keys if row.get(c) is not None]
    return "/".join(parts) or "?"


def row_metrics(row: Mapping[str, Any], spec: SuiteColumns) -> dict[str, Any]:
    """The canonical metrics of one row, in their families' units."""
    columns = {**COLUMNS, **spec.columns}
    metrics: dict[str, Any] = {}
    for column, value in row.items():
        if column in columns:
            name, factor = columns[column]
        else:
            prefix = next((p for p in PREFIXES if column.startswith(p)), None)
            if prefix is None:
                continue
            name, factor = PREFIXES[prefix] + column[len(prefix) :], 1.0
        metrics[name] = _scaled(value, factor)
    if spec.time_ratio is not None:
        metrics["time_ratio"] = _ratio(row, *spec.time_ratio)
    return metrics


def _scaled(value: Any, factor: float) -> Any:
    """Numbers times ``factor``; bools, strings and None unchanged."""
    if isinstance(value, bool) or not isinstance(value, int | float) or factor == 1.0:
        return value
    return value * factor


def _ratio(row: Mapping[str, Any], baseline: str, ours: tuple[str, ...]) -> float | None:
    """Baseline seconds ÷ our seconds, None when either is missing or ours is zero."""
    ours_seconds = [row.get(c) for c in ours]
    if row.get(baseline) is None or any(s is None for s in ours_seconds):
        return None
    total = float(sum(ours_seconds))  # type: ignore[arg-type]
    return float(row[baseline]) / total if total > 0 else None


def aggregate(instances: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Suite-wide figures: counts summed, gap mean and max, time ratio geometric mean."""
    values: dict[str, list[Any]] = {}
    for metrics in instances.values():
        for name, value in metrics.items():
            values.setdefault(name, []).append(value)
    summary: dict[str, Any] = {"instances": len(instances)}
    for name, seen in sorted(values.items()):
        family = name.split(":")[0]
        numbers = [float(v) for v in seen if isinstance(v, int | float)]
        complete = bool(numbers) and len(numbers) == len(seen)
        # an instance without a value makes the aggregate null, which a check flags
        if family in SUMMED:
            summary[name] = sum(numbers) if complete else None
        elif family == "gap":
            summary["gap"] = sum(numbers) / len(numbers) if complete else None
            summary["gap:max"] = max(numbers) if complete else None
        elif family == "time_ratio":
            positive = complete and all(n > 0 for n in numbers)
            logs = [math.log(n) for n in numbers] if positive else []
            summary[name] = math.exp(sum(logs) / len(logs)) if positive else None
    return summary


def suite_metrics(suite: str, document: Mapping[str, Any]) -> Metrics:
    """Every row's metrics by instance key, plus the suite aggregate under SUITE_ROW."""
    spec = SUITES.get(suite, SuiteColumns())
    instances: Metrics = {}
    for row in document.get("rows", []):
        key = instance_key(row, spec.keys)
        if key in instances:
            raise ValueError(f"suite {suite}: two rows for instance {key!r}")
        instances[key] = row_metrics(row, spec)
    return {**instances, SUITE_ROW: aggregate(instances)}
