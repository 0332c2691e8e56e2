"""Rich tables a planner reads after a solve or a validation (CLI only; no model code)."""

from __future__ import annotations

from rich.table import Table

from aftersales.optimizer.diff_view import TextTable
from aftersales.optimizer.schema import CostBreakdown, LayerResult, TierKpi


def _money(value: float) -> str:
    return f"{value:,.0f}"


def cost_table(costs: CostBreakdown, currency: str) -> Table:
    """Cost by component, annual and routing-horizon totals."""
    table = Table(title=f"Cost by component ({currency})")
    table.add_column("component")
    table.add_column("cost", justify="right")
    for name in CostBreakdown.model_fields:
        value = getattr(costs, name)
        if value:
            table.add_row(name, _money(value))
    table.add_row("[b]first-year network + stock total[/b]", f"[b]{_money(costs.annual_total)}[/b]")
    table.add_row("[b]routing horizon total[/b]", f"[b]{_money(costs.horizon_total)}[/b]")
    return table


def _share(part: int, whole: int) -> str:
    return f"{part}/{whole} ({part / whole:.0%})" if whole else "–"


def coverage_table(kpis: list[TierKpi], routed: bool = True) -> Table:
    """SLA per tier: forecast attainment against target (met or missed), its factors, sites
    within promise, parts on hand and requests on time.

    ``routed`` is False when no routing was decided: requests on time then show as "–".
    """
    table = Table(title="SLA attainment per tier")
    columns = ("tier", "target", "forecast", "contract", "reach", "parts", "technician free",
               "sites within promise", "parts on hand", "requests on time")  # fmt: skip
    for column in columns:
        table.add_column(column, justify="left" if column in ("tier", "contract") else "right")
    for kpi in kpis:
        parts = kpi.parts_on_hand_probability
        table.add_row(
            kpi.tier,
            f"{kpi.attainment_target:.0%}",
            _percent(kpi.forecast_attainment),
            _verdict(kpi),
            _percent(kpi.reach_share),
            _percent(kpi.parts_share),
            _percent(kpi.technician_share),
            _share(kpi.sites_within_promise, kpi.sites),
            "–" if parts is None else f"{parts:.1%}",
            _share(kpi.requests_on_time, kpi.requests) if routed else "–",
        )
    return table


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def _verdict(kpi: TierKpi) -> str:
    """met / MISSED (and verified by simulation when the verify loop ran)."""
    if kpi.target_met is None:
        return "–"
    text = "[green]met[/green]" if kpi.target_met else "[red]MISSED[/red]"
    if kpi.verified is not None:
        text += ", verified" if kpi.verified else ", [red]not verified[/red]"
    return text


def missed_targets(kpis: list[TierKpi]) -> list[str]:
    """One line per missed tier: why, the best reachable attainment, the cost to meet it."""
    lines = []
    for kpi in kpis:
        if kpi.target_met is not False:
            continue
        line = f"tier {kpi.tier} MISSED: {kpi.miss_reason or 'forecast below target'}"
        if kpi.best_reachable_attainment is not None:
            line += f"; best reachable ≤ {kpi.best_reachable_attainment:.1%}"
        if kpi.cost_to_meet_target is not None:
            line += f"; cost to meet it {_money(kpi.cost_to_meet_target)} a year"
        else:
            line += "; no cost to fix known (none found or none exists)"
        if kpi.unreachable_sites:
            line += f"; unreachable sites: {', '.join(kpi.unreachable_sites[:10])}"
        lines.append(line)
    return lines


def layer_table(layers: list[LayerResult]) -> Table:
    """Each layer's solver report: status, method, objective, bound, gap, seconds."""
    table = Table(title="Layers")
    for column in ("layer", "status", "method", "objective", "bound", "gap", "seconds"):
        table.add_column(column)
    for r in layers:
        table.add_row(
            r.layer,
            r.status,
            r.method,
            "–" if r.objective is None else _money(r.objective),
            "–" if r.bound is None else _money(r.bound),
            "–" if r.gap is None else f"{r.gap:.3%}",
            f"{r.seconds:.2f}",
        )
    return table


def layer_messages(layers: list[LayerResult]) -> list[str]:
    """Each layer's full message, one line each (too long for a table cell)."""
    return [f"{r.layer}: {r.message}" for r in layers if r.message]


def verification_table(kpis: list[TierKpi]) -> Table | None:
    """Forecast vs simulated attainment per tier and whether the simulation verified it
    (None when the plan was not simulated)."""
    simulated = [k for k in kpis if k.simulated_ci_low is not None]
    if not simulated:
        return None
    table = Table(title="Simulated attainment per tier (95 % CI)")
    columns = ("tier", "target", "forecast", "simulated", "95 % CI", "low − target", "verified")
    for column in columns:
        table.add_column(column, justify="left" if column == "tier" else "right")
    for kpi in simulated:
        low, high = kpi.simulated_ci_low or 0.0, kpi.simulated_ci_high or 0.0
        forecast = kpi.forecast_attainment
        verified = kpi.verified if kpi.verified is not None else low >= kpi.attainment_target
        table.add_row(
            kpi.tier,
            f"{kpi.attainment_target:.1%}",
            "–" if forecast is None else f"{forecast:.1%}",
            f"{kpi.simulated_attainment or 0.0:.1%}",
            f"{low:.1%} – {high:.1%}",
            f"{100 * (low - kpi.attainment_target):+.1f} pt",
            "[green]yes[/green]" if verified else "[red]no[/red]",
        )
    return table


def text_table(table: TextTable) -> Table:
    """A rich table of a ``TextTable`` (first column left, the others right-aligned)."""
    out = Table(title=table.title)
    for i, column in enumerate(table.head):
        out.add_column(column, justify="left" if i == 0 or column == "examples" else "right")
    for row in table.rows:
        out.add_row(*row)
    return out
