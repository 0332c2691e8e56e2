"""The planner's report: one self-contained HTML page of plotly figures.

Sections (each a ``<section id=...>`` holding one figure): ``map`` (sites coloured by tier,
ringed red where the promise is not met, open and closed depots, assignment lines),
``gantt`` (technician days of the routing layer), ``frontier`` (the stock layer's cost–service
frontier, the chosen point marked), ``costs`` (cost breakdown) and ``attainment`` (forecast vs
simulated attainment per tier, with the 95 % interval). Above them three tables: each tier's
verdict (met or missed, verified), the reason and the cost to meet its target; fees, cost to
serve and margin per tier (``economics``); the staffing per depot and skill pool; with a previous
plan (``--against``), a ``diff`` section: changes by kind, KPI and cost deltas. plotly.js is
inlined, so the page needs no network. The map is a plain longitude/latitude scatter (aspect
corrected by cos latitude) rather than ``Scattergeo``: plotly's geo base map downloads its
topojson from a CDN, which an offline machine cannot reach.
"""

from __future__ import annotations

import html
import math
from pathlib import Path

import plotly.graph_objects as go
import plotly.io as pio

from aftersales.optimizer.diff import PlanDiff
from aftersales.optimizer.diff_view import diff_tables
from aftersales.optimizer.schema import CostBreakdown, Plan, Route, Scenario, TierKpi
from aftersales.optimizer.simulate.economics import tier_economics
from aftersales.optimizer.simulate.forecast import plan_forecast
from aftersales.optimizer.simulate.results import SimulationResult

TIER_COLOURS = ("#d4a017", "#8c8c8c", "#b06a2c", "#4472c4", "#70ad47", "#7030a0")
"""Colours of tiers in scenario order (gold, silver, bronze, then others)."""


def _kpis(scenario: Scenario, plan: Plan) -> list[TierKpi]:
    if plan.kpis:
        return plan.kpis
    from aftersales.optimizer.validate import validate

    return validate(scenario, plan).kpis


def _within(scenario: Scenario, plan: Plan) -> dict[str, bool]:
    """Site id → within its promise (from the plan's assignments, else recomputed)."""
    if plan.assignments:
        return {a.site: a.within_promise for a in plan.assignments}
    from aftersales.optimizer.travel import Travel

    travel = Travel(scenario)
    tiers = {t.id: t for t in scenario.tiers}
    out = {}
    for site in scenario.sites:
        if site.depot is None:
            out[site.id] = False
            continue
        minutes, _ = travel.pair(site.depot, site.id)
        reach = scenario.costs.dispatch_minutes + minutes
        out[site.id] = reach <= tiers[site.tier].response_minutes + 1e-6
    return out


def map_figure(scenario: Scenario, plan: Plan) -> go.Figure:
    """Sites by tier (red ring: promise not met), depots open/closed, assignment lines."""
    fig = go.Figure()
    depots = {d.id: d for d in scenario.depots}
    sites = {s.id: s for s in scenario.sites}
    serving = {a.site: a.depot for a in plan.assignments} or {
        s.id: s.depot for s in scenario.sites if s.depot is not None
    }
    lon: list[float | None] = []
    lat: list[float | None] = []
    for site_id, depot_id in serving.items():
        site, depot = sites[site_id], depots[depot_id]
        lon += [depot.lon, site.lon, None]
        lat += [depot.lat, site.lat, None]
    fig.add_trace(
        go.Scatter(
            x=lon,
            y=lat,
            mode="lines",
            name="assignment",
            hoverinfo="skip",
            line={"width": 0.6, "color": "rgba(90,90,90,0.35)"},
        )
    )
    within = _within(scenario, plan)
    for i, tier in enumerate(scenario.tiers):
        members = [s for s in scenario.sites if s.tier == tier.id]
        if not members:
            continue
        met = [within.get(s.id, False) for s in members]
        fig.add_trace(
            go.Scatter(
                x=[s.lon for s in members],
                y=[s.lat for s in members],
                mode="markers",
                name=f"{tier.id} sites ({sum(met)}/{len(met)} within promise)",
                text=[
                    f"{s.id} {html.escape(s.name)}<br>tier {tier.id}, depot {serving.get(s.id)}"
                    f"<br>{'within' if ok else 'OUTSIDE'} the {tier.response_minutes:g}-min promise"
                    for s, ok in zip(members, met, strict=True)
                ],
                hoverinfo="text",
                marker={
                    "size": 8,
                    "color": TIER_COLOURS[i % len(TIER_COLOURS)],
                    "line": {
                        "width": [0.5 if ok else 2.5 for ok in met],
                        "color": ["#333" if ok else "#e00000" for ok in met],
                    },
                },
            )
        )
    open_ids = plan.open_depots() if plan.depots else {d.id for d in scenario.depots if d.existing}
    for is_open in (True, False):
        chosen = [d for d in scenario.depots if (d.id in open_ids) == is_open]
        if not chosen:
            continue
        fig.add_trace(
            go.Scatter(
                x=[d.lon for d in chosen],
                y=[d.lat for d in chosen],
                mode="markers",
                name=f"{'open' if is_open else 'closed'} depots ({len(chosen)})",
                text=[f"depot {d.id} {html.escape(d.name)}" for d in chosen],
                hoverinfo="text",
                marker={
                    "symbol": "square" if is_open else "x",
                    "size": 13 if is_open else 9,
                    "color": "#1a7f37" if is_open else "#9a9a9a",
                    "line": {"width": 1, "color": "#111"},
                },
            )
        )
    mean_lat = sum(s.lat for s in scenario.sites) / max(1, len(scenario.sites))
    fig.update_layout(
        title="Sites by tier (red ring: promise not met), depots and assignments",
        xaxis={"title": "longitude °"},
        yaxis={
            "title": "latitude °",
            "scaleanchor": "x",
            "scaleratio": 1 / max(0.2, math.cos(math.radians(mean_lat))),
        },
        height=620,
        legend={"orientation": "h", "y": -0.12},
    )
    return fig


def gantt_figure(scenario: Scenario, plan: Plan) -> go.Figure:
    """One row per technician over the horizon (hours from day 0): route spans, services,
    waiting, restock stops and breaks; the unserved requests with their reasons underneath."""
    fig = go.Figure()
    routes = sorted(plan.routes, key=lambda r: (r.technician, r.day))
    names = [r.technician for r in routes]
    fig.add_trace(
        go.Bar(
            y=names,
            x=[(r.end - r.start) / 60 for r in routes],
            base=[r.start / 60 for r in routes],
            orientation="h",
            name="route (travel)",
            marker={"color": "rgba(68,114,196,0.25)"},
            hovertext=[
                f"{r.technician} day {r.day}: {len(r.visits)} visits, {r.travel_km:.0f} km, "
                f"{(r.end - r.start) / 60:.1f} h paid"
                for r in routes
            ],
        )
    )
    _gantt_bars(fig, "service", "#4472c4", _gantt_services(routes))
    _gantt_bars(fig, "waiting", "#c00000", _gantt_waits(routes))
    restocks = [(r.technician, s) for r in routes for s in r.stops if s.kind == "restock"]
    if restocks:
        fig.add_trace(
            go.Scatter(
                y=[t for t, _ in restocks],
                x=[s.arrival / 60 for _, s in restocks],
                mode="markers",
                name="restock",
                marker={"symbol": "diamond", "size": 11, "color": "#70ad47"},
                hovertext=[f"restock at {s.depot}, {s.arrival:.0f}" for _, s in restocks],
            )
        )
    breaks = [r for r in routes if r.break_ is not None]
    _gantt_bars(
        fig,
        "break",
        "#f4b183",
        [
            (r.technician, r.break_.start, r.break_.end, "break")  # type: ignore[union-attr]
            for r in breaks
        ],
    )
    waiting = sum(b - a for _, a, b, _ in _gantt_waits(routes))
    title = (
        f"Technicians: {len({r.technician for r in routes})} working, {len(routes)} days, "
        f"{sum(len(r.visits) for r in routes)} visits, "
        f"{sum(len(r.stops) - len(r.visits) for r in routes)} restocks, "
        f"{waiting / 60:.1f} h waiting, {len(plan.unserved)} unserved"
    )
    if plan.unserved:
        fig.add_annotation(
            text=_unserved_text(plan),
            xref="paper",
            yref="paper",
            x=0,
            y=-0.2,
            showarrow=False,
            align="left",
        )
    if not routes:
        title = "Technician days: the routing layer did not run (no routes in the plan)"
    fig.update_layout(
        title=title,
        barmode="overlay",
        xaxis={"title": "hours from horizon start (day d = 24·d … 24·d + 24)"},
        yaxis={"autorange": "reversed"},
        height=max(300, 22 * len(set(names)) + 160 + 16 * len({u.reason for u in plan.unserved})),
        margin={"b": 80 + 16 * len({u.reason for u in plan.unserved})},
    )
    return fig


Segment = tuple[str, float, float, str]
"""(row, start minute, end minute, hover text) of one Gantt bar."""


def _gantt_services(routes: list[Route]) -> list[Segment]:
    return [
        (r.technician, s.start, s.end, f"{s.request}: arrive {s.arrival:.0f}, start {s.start:.0f}")
        for r in routes
        for s in r.visits
    ]


def _gantt_waits(routes: list[Route]) -> list[Segment]:
    """Waiting before each service: arrival to start, minus a break taken there."""
    waits = []
    for r in routes:
        for s in r.visits:
            idle = s.start - s.arrival
            if r.break_ is not None:
                idle -= max(0.0, min(r.break_.end, s.start) - max(r.break_.start, s.arrival))
            if idle > 1e-6:
                waits.append((r.technician, s.start - idle, s.start, f"waits {idle:.0f} min"))
    return waits


def _gantt_bars(fig: go.Figure, name: str, color: str, segments: list[Segment]) -> None:
    if segments:
        fig.add_trace(
            go.Bar(
                y=[row for row, _, _, _ in segments],
                x=[(b - a) / 60 for _, a, b, _ in segments],
                base=[a / 60 for _, a, _, _ in segments],
                orientation="h",
                name=name,
                marker={"color": color},
                hovertext=[text for _, _, _, text in segments],
            )
        )


def _unserved_text(plan: Plan, shown: int = 12) -> str:
    """Unserved requests by reason: counts and the first ids of each."""
    by_reason: dict[str, list[str]] = {}
    for u in plan.unserved:
        by_reason.setdefault(u.reason, []).append(u.request)
    lines = [
        f"{reason} ({len(ids)}): " + ", ".join(ids[:shown]) + (" …" if len(ids) > shown else "")
        for reason, ids in sorted(by_reason.items())
    ]
    return "Unserved — " + "<br>".join(lines)


def frontier_figure(plan: Plan) -> go.Figure:
    """Holding cost vs parts-on-hand probability of the stock layer; the chosen point marked."""
    fig = go.Figure()
    points = sorted(plan.stock_frontier, key=lambda p: p.holding_cost_per_year)
    fig.add_trace(
        go.Scatter(
            x=[p.holding_cost_per_year for p in points],
            y=[p.parts_on_hand_probability for p in points],
            mode="lines+markers",
            name="frontier",
            text=[f"stock-outs {p.stockout_cost_per_year:,.0f}/y" for p in points],
        )
    )
    chosen = [p for p in points if p.chosen]
    if chosen:
        fig.add_trace(
            go.Scatter(
                x=[p.holding_cost_per_year for p in chosen],
                y=[p.parts_on_hand_probability for p in chosen],
                mode="markers",
                name="chosen stock levels",
                marker={"size": 16, "symbol": "star", "color": "#e00000"},
            )
        )
    fig.update_layout(
        title="Stock cost–service frontier" + ("" if points else " (the stock layer did not run)"),
        xaxis={"title": "holding cost per year"},
        yaxis={"title": "parts-on-hand probability", "tickformat": ".1%"},
        height=420,
    )
    return fig


def cost_figure(plan: Plan, result: SimulationResult | None, currency: str) -> go.Figure:
    """Plan cost breakdown (annual components), and the simulated yearly cost if simulated."""
    names = [n for n in CostBreakdown.model_fields if getattr(plan.costs, n)]
    fig = go.Figure(
        go.Bar(
            x=[getattr(plan.costs, n) for n in names],
            y=names,
            orientation="h",
            name="plan",
            text=[f"{getattr(plan.costs, n):,.0f}" for n in names],
            textposition="auto",
        )
    )
    if result is not None:
        sim = list(result.costs_per_year)
        fig.add_trace(
            go.Bar(
                x=[result.costs_per_year[n] for n in sim],
                y=[f"simulated {n}" for n in sim],
                orientation="h",
                name="simulated per year",
                text=[f"{result.costs_per_year[n]:,.0f}" for n in sim],
                textposition="auto",
            )
        )
    fig.update_layout(
        title=f"Cost breakdown ({currency}); first-year network + stock total "
        f"{plan.costs.annual_total:,.0f}"
        + (f", simulated total {result.total_cost_per_year:,.0f}/y" if result else ""),
        height=max(320, 34 * (len(names) + (5 if result else 0)) + 120),
        yaxis={"autorange": "reversed"},
    )
    return fig


def attainment_figure(kpis: list[TierKpi], result: SimulationResult | None) -> go.Figure:
    """Target, plan forecast and simulated attainment (95 % CI error bars) per tier."""
    tiers = [k.tier for k in kpis]
    fig = go.Figure()
    fig.add_trace(go.Bar(x=tiers, y=[k.attainment_target for k in kpis], name="target"))
    fig.add_trace(
        go.Bar(
            x=tiers,
            y=[plan_forecast(k) for k in kpis],
            name="forecast (reach × parts × technician)",
        )
    )
    if result is not None:
        sims = [result.tier(t) for t in tiers]
        fig.add_trace(
            go.Bar(
                x=tiers,
                y=[s.attainment for s in sims],
                name=f"simulated ({result.replications} × {result.years:g} y)",
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": [s.ci_high - s.attainment for s in sims],
                    "arrayminus": [s.attainment - s.ci_low for s in sims],
                },
            )
        )
    fig.update_layout(
        title="Attainment per tier: target, analytic forecast, simulation",
        barmode="group",
        yaxis={"tickformat": ".0%", "range": [0, 1.05]},
        height=420,
    )
    return fig


def _share(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def _table(table_id: str, head: tuple[str, ...], rows: list[list[str]]) -> str:
    """An HTML table, every cell escaped."""
    header = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>" for cells in rows
    )
    return f'<table id="{table_id}"><tr>{header}</tr>{body}</table>'


def tier_verdict(kpi: TierKpi) -> str:
    """``met``/``MISSED`` against the target, with ``, verified``/``, NOT verified`` when the
    verify loop or a simulation judged it."""
    met = kpi.target_met
    if met is None:
        met = plan_forecast(kpi) >= kpi.attainment_target - 1e-6
    verdict = "met" if met else "MISSED"
    if kpi.verified is not None:
        verdict += ", verified" if kpi.verified else ", NOT verified"
    return verdict


def _tier_table(kpis: list[TierKpi], result: SimulationResult | None) -> str:
    head = (
        "tier",
        "target",
        "forecast",
        "verdict",
        "reach",
        "parts",
        "technician free",
        "simulated",
        "95 % CI",
        "p90 response min",
        "breaches/y by cause",
        "reason",
        "cost to meet target",
    )
    rows = []
    for k in kpis:
        s = result.tier(k.tier) if result else None
        fix = k.cost_to_meet_target
        cells = [
            k.tier,
            f"{k.attainment_target:.1%}",
            f"{plan_forecast(k):.1%}",
            tier_verdict(k),
            _share(k.reach_share if k.reach_share is not None else k.coverage_share),
            _share(k.parts_share if k.parts_share is not None else k.parts_on_hand_probability),
            _share(k.technician_share),
            f"{s.attainment:.1%}" if s else "–",
            f"{s.ci_low:.1%} – {s.ci_high:.1%}" if s else "–",
            f"{s.p90_response_minutes:.0f}" if s else "–",
            ", ".join(f"{c} {v:.0f}" for c, v in s.breaches_per_year.items() if v) if s else "–",
            k.miss_reason or "–",
            "–" if fix is None else f"{fix:,.0f}",
        ]
        rows.append(cells)
    return _table("tier-table", head, rows)


def economics_table(scenario: Scenario, plan: Plan, result: SimulationResult | None) -> str:
    """Fees, cost to serve and margin per tier (rules: ``simulate.economics``)."""
    head = (
        "tier",
        "sites",
        "visits/y",
        "fees/y",
        "shared cost/y",
        "credits/y" + (" (simulated)" if result else " (expected)"),
        "contracts at risk/y",
        "cost to serve/y",
        "margin/y",
    )
    rows = [
        [
            e.tier,
            str(e.sites),
            f"{e.visits_per_year:,.0f}",
            f"{e.fees_per_year:,.0f}",
            f"{e.shared_cost_per_year:,.0f}",
            f"{e.credits_per_year:,.0f}",
            f"{e.contracts_at_risk_per_year:,.0f}",
            f"{e.cost_to_serve_per_year:,.0f}",
            f"{e.margin_per_year:,.0f}",
        ]
        for e in tier_economics(scenario, plan, result)
    ]
    return _table("economics-table", head, rows)


def staffing_table(plan: Plan) -> str:
    """Technicians, hours and Erlang C wait per depot and skill pool, with the base changes."""
    changes: dict[tuple[str, str], dict[str, int]] = {}
    for base in plan.technician_bases:
        depot = base.depot if base.depot is not None else base.from_depot
        key = (depot or "–", base.skill)
        changes.setdefault(key, {}).setdefault(base.action, 0)
        changes[key][base.action] += 1
    head = (
        "depot",
        "skill",
        "technicians",
        "kept/moved in/hired/released",
        "workload h/y",
        "capacity h/y",
        "utilisation",
        "offered load (Erlang)",
        "P(wait)",
    )
    rows = []
    for level in sorted(plan.staffing, key=lambda x: (x.depot, x.skill)):
        moves = changes.get((level.depot, level.skill), {})
        rows.append(
            [
                level.depot,
                level.skill,
                str(level.technicians),
                "/".join(str(moves.get(a, 0)) for a in ("kept", "moved", "hired", "released")),
                f"{level.workload_hours_per_year:,.0f}",
                f"{level.capacity_hours_per_year:,.0f}",
                f"{level.utilisation:.0%}",
                f"{level.offered_load_erlangs:.2f}",
                f"{level.wait_probability:.1%}",
            ]
        )
    if not rows:
        return "<p id='staffing-table'>Staffing not decided by this plan.</p>"
    return _table("staffing-table", head, rows)


def diff_section(diff: PlanDiff | None) -> str:
    """The changes against a previous plan as HTML tables (empty without one)."""
    if diff is None:
        return ""
    tables = "".join(
        f"<h3>{html.escape(t.title)}</h3>{_table(f'diff-table-{i}', t.head, t.rows)}"
        for i, t in enumerate(diff_tables(diff))
    )
    return f'<section id="diff"><h2>Changes against the previous plan</h2>{tables}</section>'


def report_html(
    scenario: Scenario,
    plan: Plan,
    result: SimulationResult | None,
    diff: PlanDiff | None = None,
) -> str:
    """The whole report as one HTML string (plotly.js inlined once); ``diff`` adds the changes
    against a previous plan."""
    kpis = _kpis(scenario, plan)
    currency = scenario.costs.currency
    figures = [
        ("map", map_figure(scenario, plan)),
        ("gantt", gantt_figure(scenario, plan)),
        ("frontier", frontier_figure(plan)),
        ("costs", cost_figure(plan, result, scenario.costs.currency)),
        ("attainment", attainment_figure(kpis, result)),
    ]
    parts = []
    for i, (name, fig) in enumerate(figures):
        div = pio.to_html(
            fig,
            full_html=False,
            include_plotlyjs=(i == 0),
            div_id=f"{name}-figure",
            config={"displaylogo": False, "responsive": True},
        )
        parts.append(f'<section id="{name}">{div}</section>')
    sim_note = (
        f"Simulation: {result.replications} replications × {result.years:g} year(s), seed "
        f"{result.seed}, calls during {result.call_hours}; {result.seconds:.1f} s."
        if result
        else "Not simulated."
    )
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>Plan report: {html.escape(plan.scenario or scenario.name)}</title>"
        "<style>body{font-family:sans-serif;margin:16px 32px}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;"
        "text-align:right}section{margin-bottom:24px}</style></head><body>"
        f"<h1>Plan report: {html.escape(plan.scenario or scenario.name)}</h1>"
        f"<p>Status <b>{html.escape(plan.status)}</b>; {len(plan.open_depots())} open depots; "
        f"{len(plan.stock)} stock levels; {len(plan.routes)} routes. {html.escape(sim_note)}</p>"
        f"<h2>Contract per tier</h2>{_tier_table(kpis, result)}"
        f"<h2>Fees, cost to serve and margin per tier ({html.escape(currency)}/year)</h2>"
        f"{economics_table(scenario, plan, result)}"
        f"<h2>Staffing per depot and skill</h2>{staffing_table(plan)}"
        + diff_section(diff)
        + "".join(parts)
        + "</body></html>"
    )


def write_report(
    scenario: Scenario,
    plan: Plan,
    result: SimulationResult | None,
    path: Path,
    diff: PlanDiff | None = None,
) -> Path:
    """Write the report to ``path`` (folders created) and return it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(report_html(scenario, plan, result, diff), encoding="utf-8")
    return path
