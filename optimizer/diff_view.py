"""A PlanDiff as text tables: one source for the CLI's rich tables and the HTML report's."""

from __future__ import annotations

from dataclasses import dataclass

from aftersales.optimizer.diff import (
    COUNT_KEYS,
    Delta,
    PlanDiff,
    SiteMove,
    StaffingChange,
    StockChange,
    VisitChange,
)

SHOWN = 6
"""Examples listed per change kind (the JSON output lists them all)."""
SHARE_METRICS = {
    "forecast_attainment",
    "coverage_share",
    "parts_on_hand_probability",
    "technician_share",
    "simulated_attainment",
}
"""Tier metrics that are probabilities (shown in %; their deltas in points)."""


@dataclass(frozen=True)
class TextTable:
    """A titled table of strings."""

    title: str
    head: tuple[str, ...]
    rows: list[list[str]]


def diff_tables(diff: PlanDiff) -> list[TextTable]:
    """Changes by kind (with examples), KPI deltas per tier and cost deltas."""
    days = f"calendar day {diff.old_horizon_start_day} → {diff.new_horizon_start_day}"
    counts = diff.counts()
    changes = [[key, str(counts[key]), _examples(diff, key)] for key in COUNT_KEYS]
    if diff.not_compared:
        changes.append(["not compared", "–", ", ".join(diff.not_compared)])
    kpis = [
        [tier.tier, name, *_delta_cells(delta, name in SHARE_METRICS)]
        for tier in diff.tiers
        for name, delta in tier.metrics.items()
        if delta.old is not None or delta.new is not None
    ]
    costs = [[name, *_delta_cells(delta, False)] for name, delta in diff.costs.items()]
    return [
        TextTable(
            f"Changes ({days}; status {diff.old_status} → {diff.new_status})",
            ("kind", "count", "examples"),
            changes,
        ),
        TextTable("KPIs per tier", ("tier", "metric", "old", "new", "change"), kpis),
        TextTable("Costs", ("cost", "old", "new", "change"), costs),
    ]


def _examples(diff: PlanDiff, key: str) -> str:
    if key == "stock_units_changed":
        return ""
    items = getattr(diff, key)
    shown = [_example(item) for item in items[:SHOWN]]
    more = f", … {len(items) - SHOWN} more" if len(items) > SHOWN else ""
    return ", ".join(shown) + more


def _example(item: object) -> str:
    if isinstance(item, str):
        return item
    if isinstance(item, VisitChange):
        was, now = item.old, item.new
        return (
            f"{item.request} ({was.technician} day {was.day} {_clock(was.start)} → "
            f"{now.technician} day {now.day} {_clock(now.start)})"
        )
    if isinstance(item, SiteMove):
        return f"{item.site} ({item.old_depot} → {item.new_depot})"
    if isinstance(item, StaffingChange):
        return f"{item.depot}/{item.skill} {item.old} → {item.new}"
    if isinstance(item, StockChange):
        return f"{item.depot}/{item.pool}/{item.part} {item.old} → {item.new}"
    return str(item)


def _clock(calendar_minute: float) -> str:
    minute = round(calendar_minute) % 1440
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _delta_cells(delta: Delta, share: bool) -> list[str]:
    def show(value: float | None) -> str:
        if value is None:
            return "–"
        return f"{value:.1%}" if share else f"{value:,.0f}"

    if delta.delta is None:
        change = "–"
    elif share:
        change = f"{100 * delta.delta:+.1f} pt"
    else:
        change = f"{delta.delta:+,.0f}"
    return [show(delta.old), show(delta.new), change]
