"""The Plan: the answer to a Scenario, from any subset of the three layers.

Absolute times are minutes from the scenario's horizon start, as in the Scenario; the plan
carries the scenario's ``horizon_start_day`` so its routes map to calendar days on their own.
"""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field, model_validator

from aftersales.optimizer.schema.common import Identifier, NonNegative, Strict
from aftersales.optimizer.schema.scenario import Layer

SolveStatus = Literal[
    "optimal", "feasible", "target_missed", "infeasible", "time_limit", "error", "skipped"
]
"""What a solver proved: ``time_limit`` means stopped with or without an incumbent; see gap.
``target_missed``: the best plan found keeps every rule but some tier's forecast attainment is
below its target (the tier KPIs say which, why, and what meeting it would cost)."""

TechnicianAction = Literal["kept", "moved", "hired", "released"]


class DepotDecision(Strict):
    """Whether a candidate depot is open in the plan."""

    id: Identifier
    open: bool


class Assignment(Strict):
    """Which depot serves a site, and whether its tier's promise can be met from there."""

    site: Identifier
    depot: Identifier
    travel_minutes: NonNegative = Field(description="Depot to site, minutes.")
    within_promise: bool = Field(description="Dispatch + travel ≤ the tier's response minutes.")


class StockLevel(Strict):
    """Base-stock level of one part at one depot, in one stock pool."""

    depot: Identifier
    part: Identifier
    level: int = Field(description="Units kept on hand (order-up-to level S).")
    pool: str = Field(
        default="pooled",
        description="'pooled' for the depot's shared stock, else the site id of exclusive stock.",
    )
    demand_per_year: NonNegative = Field(default=0, description="Poisson demand rate, units/year.")
    fill_probability: float = Field(
        default=0, ge=0, le=1, description="Probability a demand finds the part on hand."
    )
    expected_backorders: NonNegative = Field(default=0, description="Mean units on backorder.")
    holding_cost_per_year: NonNegative = Field(default=0, description="Currency/year.")


class StockTarget(Strict):
    """Achieved parts-on-hand probability of one target group: a tier in a pool, or a site."""

    depot: Identifier
    pool: str = Field(default="pooled", description="'pooled' or the exclusive site's id.")
    tier: Identifier
    site: Identifier | None = Field(default=None, description="Set under the per-site scope.")
    demand_per_year: NonNegative = Field(default=0, description="Group's part demand, units/year.")
    target: float = Field(ge=0, le=1, description="The tier's parts_on_hand target.")
    achieved: float = Field(ge=0, le=1, description="Demand-weighted fill of the group's parts.")


class DepotStockTotal(Strict):
    """Stock of one depot summed over its pools and parts."""

    depot: Identifier
    units: int = Field(default=0, ge=0, description="Σ levels, units.")
    demand_per_year: NonNegative = Field(default=0, description="Σ part demand, units/year.")
    expected_backorders: NonNegative = Field(default=0, description="Σ mean backorders, units.")
    holding_cost_per_year: NonNegative = 0
    emergency_cost_per_year: NonNegative = 0
    stockout_credits_per_year: NonNegative = 0


class FrontierPoint(Strict):
    """One point of the stock cost–service frontier traced by marginal analysis."""

    holding_cost_per_year: NonNegative
    stockout_cost_per_year: NonNegative = Field(
        description="Expected emergency shipment cost plus the stock-out credits they cause."
    )
    parts_on_hand_probability: float = Field(
        ge=0, le=1, description="Demand-weighted fill over all pools and parts."
    )
    tier_parts_on_hand: dict[str, float] = Field(
        default_factory=dict, description="Tier id → demand-weighted fill of its sites' parts."
    )
    chosen: bool = Field(default=False, description="The point the plan's stock levels are.")


class LoanerPool(Strict):
    """Loaner units of a loanable product kept at a depot (Erlang loss sizing)."""

    depot: Identifier
    product: Identifier
    loans_per_year: NonNegative = Field(description="Failures of the product at its sites.")
    offered_load_erlangs: NonNegative = Field(description="Loans per year × loaner days / 365.")
    units: int = Field(ge=0, description="Loaner units kept.")
    no_loaner_probability: float = Field(
        ge=0, le=1, description="Erlang-B probability that a customer finds no loaner."
    )
    cost_per_year: NonNegative = Field(default=0, description="units × loaner cost, currency.")


class StaffingLevel(Strict):
    """Technicians of one skill pool at one open depot, their workload and queueing figures.

    Workload counts corrective calls and preventive visits of the sites the depot serves whose
    product needs the pool's skill, each for its repair minutes plus the round trip from the
    depot. The queueing figures are Erlang C (M/M/c) during service hours (docs/semantics.md).
    """

    depot: Identifier
    skill: Identifier
    technicians: int = Field(ge=0, description="Headcount based at the depot in this pool.")
    calls_per_year: NonNegative = Field(default=0, description="Corrective calls, calls/year.")
    visits_per_year: NonNegative = Field(default=0, description="Preventive visits, visits/year.")
    workload_hours_per_year: NonNegative = Field(
        default=0, description="Repairs + preventive visits + their round trips, hours/year."
    )
    capacity_hours_per_year: NonNegative = Field(
        default=0, description="technicians × technician_hours_per_year, hours/year."
    )
    utilisation: NonNegative = Field(
        default=0, description="workload / capacity (inf-free: 0 without capacity and load)."
    )
    offered_load_erlangs: NonNegative = Field(
        default=0,
        description="Busy technicians needed on average during service hours: Σ sites "
        "workload / the site's tier service hours per year (Erlangs).",
    )
    wait_probability: float = Field(
        default=0,
        ge=0,
        le=1,
        description="Erlang C probability that a call finds every technician of the pool busy "
        "(1 when the load reaches the headcount).",
    )


class TechnicianBase(Strict):
    """Where one technician of the plan is based, and what the change costs."""

    technician: Identifier = Field(description="Technician id; hires get generated ids.")
    skill: Identifier = Field(description="The pool the technician counts in (once).")
    action: TechnicianAction
    from_depot: Identifier | None = Field(
        default=None, description="Home depot today; None when hired."
    )
    depot: Identifier | None = Field(
        default=None, description="Home depot in the plan; None when released."
    )
    one_off_cost: NonNegative = Field(
        default=0, description="Hiring, relocation or release cost, currency (0 when kept)."
    )
    labour_per_year: NonNegative = Field(
        default=0,
        description="Labour while employed in the plan, currency/year (0 when released).",
    )


class Break(Strict):
    """A technician's break inside a route, absolute minutes."""

    start: float
    end: float


StopKind = Literal["visit", "restock"]
"""A stop serves a request (``visit``) or refills the van at a depot (``restock``)."""


class Stop(Strict):
    """One stop of a route, absolute minutes from horizon start.

    A ``visit`` serves ``request`` at its site. A ``restock`` stops at ``depot`` (the
    technician's depot) and refills the van: every tool, and every part the depot stocks; it
    takes no service time (start = end).
    """

    kind: StopKind = "visit"
    request: Identifier | None = Field(default=None, description="Served request (visits).")
    depot: Identifier | None = Field(default=None, description="Restocking depot (restocks).")
    arrival: float = Field(description="Arrival at the site or depot.")
    start: float = Field(description="Service start (≥ arrival; waits for the time window).")
    end: float = Field(description="Service end.")

    @model_validator(mode="after")
    def _kind_fields(self) -> Stop:
        if self.kind == "visit" and (self.request is None or self.depot is not None):
            raise ValueError("a visit stop names its request and no depot")
        if self.kind == "restock" and (self.depot is None or self.request is not None):
            raise ValueError("a restock stop names its depot and no request")
        return self


class Route(Strict):
    """One technician's day."""

    technician: Identifier
    day: int = Field(ge=0)
    depot: Identifier | None = Field(
        default=None,
        description="Depot the route starts and ends at; default the technician's home depot. "
        "Technicians of a depot the plan closes work from the nearest open one.",
    )
    start: float = Field(description="Leaves the depot, minutes from horizon start.")
    end: float = Field(description="Back at the depot, minutes from horizon start.")
    stops: list[Stop] = Field(default_factory=list)
    break_: Break | None = Field(default=None, alias="break")
    travel_km: NonNegative = 0
    travel_minutes: NonNegative = 0

    model_config = ConfigDict(populate_by_name=True, extra="forbid", serialize_by_alias=True)

    @property
    def visits(self) -> list[Stop]:
        """The stops that serve a request (restock stops left out)."""
        return [s for s in self.stops if s.kind == "visit"]


UnservedReason = Literal[
    "beyond_horizon",
    "no_skill",
    "no_tool",
    "no_part",
    "no_time",
    "deferred",
    "not_solved",
    "no_skilled_technician",
    "no_reachable_window",
    "no_capacity",
]
"""Why a request is unserved (docs/semantics.md, "Unserved requests"). The last three are the
reasons of plan files written before ``no_skill``/``no_time`` existed: still loadable, never
written now."""


class Unserved(Strict):
    """A request the plan does not serve, and why."""

    request: Identifier
    reason: UnservedReason
    detail: str = ""


class CostBreakdown(Strict):
    """Costs by component. ``*_per_year`` are annual; one-off and horizon costs say so."""

    depot_fixed_per_year: NonNegative = 0
    depot_change_one_off: NonNegative = Field(
        default=0, description="Opening of new and closing of existing depots, one-off."
    )
    site_moves_one_off: NonNegative = Field(
        default=0, description="Sites moved away from today's depot × change_cost_per_site."
    )
    network_travel_per_year: NonNegative = Field(
        default=0, description="Expected calls × round trip km × cost/km."
    )
    expected_credits_per_year: NonNegative = Field(
        default=0, description="Capped credits of sites served outside their promise."
    )
    holding_per_year: NonNegative = 0
    emergency_per_year: NonNegative = Field(
        default=0, description="Expected emergency shipments × their cost."
    )
    stockout_credits_per_year: NonNegative = Field(
        default=0,
        description="Expected credits of calls whose part is out of stock and whose emergency "
        "shipment arrives after the tier's promise (sites within their promise only; uncapped).",
    )
    loaners_per_year: NonNegative = Field(
        default=0, description="Loaner units kept × loaner_cost_per_unit_year."
    )
    route_travel: NonNegative = Field(default=0, description="Routing horizon: km × cost/km.")
    route_labour: NonNegative = Field(default=0, description="Routing horizon: regular hours.")
    route_overtime: NonNegative = Field(default=0, description="Routing horizon: overtime hours.")
    route_lateness_credits: NonNegative = Field(
        default=0, description="Routing horizon: credits for visits after their SLA due time."
    )
    unserved_penalty: NonNegative = Field(
        default=0, description="Routing horizon: deferral and unserved penalties."
    )
    staffing_labour_per_year: NonNegative = Field(
        default=0, description="Labour of every technician the plan employs, currency/year."
    )
    staffing_changes_one_off: NonNegative = Field(
        default=0, description="Hiring, relocation and release costs, one-off."
    )
    contracts_at_risk_per_year: NonNegative = Field(
        default=0,
        description="Priced mode: annual fees of sites whose expected credits reach their cap "
        "(the customer may terminate), currency/year.",
    )

    @property
    def annual_total(self) -> float:
        """First-year network and stock cost: annual costs plus one-off changes."""
        return (
            self.depot_fixed_per_year
            + self.depot_change_one_off
            + self.site_moves_one_off
            + self.network_travel_per_year
            + self.expected_credits_per_year
            + self.holding_per_year
            + self.emergency_per_year
            + self.stockout_credits_per_year
            + self.loaners_per_year
            + self.staffing_labour_per_year
            + self.staffing_changes_one_off
            + self.contracts_at_risk_per_year
        )

    @property
    def horizon_total(self) -> float:
        """Cost of the routing horizon."""
        return (
            self.route_travel
            + self.route_labour
            + self.route_overtime
            + self.route_lateness_credits
            + self.unserved_penalty
        )


def sum_costs(*parts: CostBreakdown) -> CostBreakdown:
    """Component-wise sum of cost breakdowns (each layer fills its own components)."""
    fields = CostBreakdown.model_fields
    return CostBreakdown(**{name: sum(getattr(p, name) for p in parts) for name in fields})


class TierKpi(Strict):
    """Forecast service of one tier."""

    tier: Identifier
    sites: int = 0
    sites_within_promise: int = 0
    coverage_share: float = Field(default=0, description="Sites within promise / sites.")
    parts_on_hand_probability: float | None = Field(
        default=None,
        description="Call-weighted probability that all of a call's parts are on hand at its "
        "serving depot (null without stock).",
    )
    forecast_attainment: float | None = Field(
        default=None,
        description="Call-weighted probability that a corrective call sees a qualified "
        "technician on site with its parts within the promise: Σ calls × reach × parts × "
        "technician-free / Σ calls (docs/semantics.md, Attainment).",
    )
    reach_share: float | None = Field(
        default=None, description="Call-weighted share of calls whose site is within promise."
    )
    parts_share: float | None = Field(
        default=None,
        description="Call-weighted probability a call is not broken by a stock-out (1 when the "
        "emergency delay fits inside the promise).",
    )
    technician_share: float | None = Field(
        default=None,
        description="Call-weighted probability a qualified technician is free in time (Erlang C).",
    )
    target_met: bool | None = Field(
        default=None, description="forecast_attainment ≥ attainment_target (null: not forecast)."
    )
    verified: bool | None = Field(
        default=None,
        description="Set by the verify loop: simulated lower 95 % bound ≥ target; null = not run.",
    )
    best_reachable_attainment: float | None = Field(
        default=None,
        description="Solver diagnosis when missed: the best attainment any plan can reach.",
    )
    cost_to_meet_target: float | None = Field(
        default=None,
        description="Solver diagnosis when missed: extra first-year cost of the cheapest plan "
        "meeting the target, currency; null when none exists or not computed.",
    )
    miss_reason: str = Field(default="", description="Why the target is missed; empty if met.")
    unreachable_sites: list[str] = Field(
        default_factory=list,
        description="Sites of the tier that no candidate depot reaches within the promise.",
    )
    requests: int = 0
    requests_served: int = 0
    requests_on_time: int = Field(default=0, description="Served by their SLA due time.")
    attainment_target: float = 0
    simulated_attainment: float | None = Field(
        default=None,
        description="Simulated share of calls with the technician on site with the parts within "
        "the promise (mean over replications); null when not simulated.",
    )
    simulated_ci_low: float | None = Field(
        default=None, description="Lower end of the 95 % confidence interval of the above."
    )
    simulated_ci_high: float | None = Field(
        default=None, description="Upper end of the 95 % confidence interval of the above."
    )
    simulated_p90_response_minutes: float | None = Field(
        default=None, description="Simulated 90th percentile of call to repair start, minutes."
    )


class LayerResult(Strict):
    """What one layer's solver reported."""

    layer: Layer
    status: SolveStatus
    method: str = Field(default="", description="Algorithm or solver used.")
    objective: float | None = None
    bound: float | None = Field(default=None, description="Best proven bound (minimisation).")
    gap: float | None = Field(default=None, description="(objective − bound) / |objective|.")
    seconds: NonNegative = 0
    message: str = ""


class Plan(Strict):
    """The answer: decisions of every layer that ran, their costs and forecast service."""

    status: SolveStatus
    scenario: str = Field(default="", description="Name of the scenario solved.")
    horizon_start_day: int = Field(
        default=0,
        ge=0,
        description="The scenario's horizon_start_day (calendar day of horizon day 0, days since "
        "a Monday epoch): a route's calendar day is horizon_start_day + day, so plans of "
        "different horizons compare by calendar day.",
    )
    depots: list[DepotDecision] = Field(default_factory=list)
    assignments: list[Assignment] = Field(default_factory=list)
    stock: list[StockLevel] = Field(default_factory=list)
    routes: list[Route] = Field(default_factory=list)
    unserved: list[Unserved] = Field(default_factory=list)
    costs: CostBreakdown = Field(default_factory=CostBreakdown)
    kpis: list[TierKpi] = Field(default_factory=list)
    layers: list[LayerResult] = Field(default_factory=list)
    stock_targets: list[StockTarget] = Field(
        default_factory=list, description="Achieved parts-on-hand per target group (stock layer)."
    )
    stock_totals: list[DepotStockTotal] = Field(default_factory=list)
    stock_frontier: list[FrontierPoint] = Field(
        default_factory=list, description="Cost–service frontier of the stock layer, for plots."
    )
    loaners: list[LoanerPool] = Field(default_factory=list)
    staffing: list[StaffingLevel] = Field(
        default_factory=list, description="Per open depot and skill pool (network layer)."
    )
    technician_bases: list[TechnicianBase] = Field(
        default_factory=list,
        description="Every technician of the plan: kept, moved, hired or released.",
    )

    def open_depots(self) -> set[str]:
        """Ids of the depots the plan keeps or opens."""
        return {d.id for d in self.depots if d.open}
