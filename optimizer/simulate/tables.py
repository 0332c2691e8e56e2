"""Rich table of a simulation result (CLI only)."""

from __future__ import annotations

from rich.table import Table

from aftersales.optimizer.simulate.results import SimulationResult


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def attainment_table(result: SimulationResult) -> Table:
    """Simulated vs forecast attainment per tier, with response percentiles and breaches."""
    table = Table(
        title=f"Simulated SLA attainment ({result.replications} × {result.years:g} y, "
        f"calls: {result.call_hours}; response in each tier's service hours)"
    )
    columns = (
        "tier",
        "target",
        "forecast",
        "call-weighted",
        "simulated",
        "95 % CI",
        "p50/p90/p99 min",
        "calls/y",
        "stock-out calls/y",
        "breaches/y by cause",
        "ok",
    )
    for column in columns:
        table.add_column(column, justify="left" if column == "tier" else "right")
    for t in result.tiers:
        causes = ", ".join(f"{k} {v:.0f}" for k, v in t.breaches_per_year.items() if v)
        table.add_row(
            t.tier,
            _pct(t.attainment_target),
            _pct(t.forecast),
            _pct(t.call_weighted_forecast),
            _pct(t.attainment),
            f"{t.ci_low:.1%} – {t.ci_high:.1%}",
            f"{t.p50_response_minutes:.0f}/{t.p90_response_minutes:.0f}/"
            f"{t.p99_response_minutes:.0f}",
            f"{t.calls_per_year:.0f}",
            f"{t.stockout_calls_per_year:.1f}",
            causes or "–",
            "[green]yes[/green]" if t.agrees else "[red]no[/red]",
        )
    return table


def cost_table(result: SimulationResult, currency: str) -> Table:
    """Simulated cost per year by component, and technician utilisation."""
    table = Table(title=f"Simulated cost per year ({currency})")
    table.add_column("component")
    table.add_column("cost", justify="right")
    for name, value in result.costs_per_year.items():
        table.add_row(name, f"{value:,.0f}")
    table.add_row("[b]total[/b]", f"[b]{result.total_cost_per_year:,.0f}[/b]")
    util = list(result.technician_utilisation.values())
    if util:
        table.add_row(
            "technician utilisation mean / max", f"{sum(util) / len(util):.0%} / {max(util):.0%}"
        )
    table.add_row("emergency shipments per year", f"{result.emergency_shipments_per_year:.1f}")
    table.add_row(
        "preventive visits per year (technician hours)",
        f"{result.preventive_visits_per_year:,.0f} ({result.preventive_hours_per_year:,.0f} h)",
    )
    return table
