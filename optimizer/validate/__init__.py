"""Independent plan validator: recomputes every rule and figure of docs/semantics.md.

``validate(scenario, plan)`` never trusts the plan's numbers: travel (via ``Travel``), coverage,
capacity, Poisson stock measures, Erlang-B loaner pools, route times, skills, shifts, breaks,
costs and tier KPIs are all recomputed from the Scenario. A bad plan never raises; each broken
rule becomes a ``Violation`` with a JSON pointer into the plan, and checks that depend on an
unknown id are skipped.

Sections left empty in the plan are *not decided* and their checks are skipped:

* ``depots`` empty: openness undecided: no closed-depot or depot-count check; depot fixed and
  change costs are 0.
* ``assignments`` empty: no network checks; site moves, network travel and expected credits are
  0. Each site's scenario ``depot`` (today's) then serves it for coverage KPIs and stock pools.
* ``stock`` empty: no stock checks, no parts-availability rule; holding, emergency and stock-out
  credit costs 0, ``parts_on_hand_probability`` None.
* ``loaners`` empty: decided all the same when ``stock`` is not empty and the scenario sets
  ``inventory.loaner_unavailability_target`` (then every (depot, loanable product) with loans
  lacks its pool); otherwise no loaner checks and ``loaners_per_year`` 0.
* ``routes`` and ``unserved`` both empty: routing undecided: no request bookkeeping; routing
  costs 0 and no request counts as served.
* ``kpis`` empty: not reported, not compared.

Further choices where the spec is silent:

* a time comparison passes within 1e-6 minutes (also ``within_promise``: dispatch + travel ≤
  response + 1e-6); capacity passes within the relative tolerance;
* the first of repeated entries counts, later ones are reported and ignored;
* a stock entry whose pool is neither ``pooled`` nor a customer-exclusive site served from that
  depot is an unknown reference; a negative level is treated as absent (level 0);
* the parts rule reads the *pooled* stock of the technician's depot, as the spec says, also for
  customer-exclusive sites;
* a route without a shift counts all its time as regular labour; a route without stops has no
  legs; a request is on time when its first stop arrives by the due time;
* ``parts_on_hand_probability`` counts a site without a serving depot with fill 0 and is None
  for a tier without part demand;
* per-tier stock targets (``stock_target_missed``) are checked unless the scenario's
  ``inventory.check_fill_targets`` is false: per
  (pool, tier), or per site under ``target_scope: site``, the demand-weighted fill of the
  group's parts must reach the tier's ``fill_target`` within the relative tolerance. Reported
  ``stock_targets`` entries must match the recomputed achieved fill (``stock_mismatch``);
* ``stockout_credits_per_year`` (stock decided): Σ over sites within their promise whose tier's
  response is shorter than ``emergency_delay_minutes`` of Σ_parts demand × (1 − fill in the
  site's pool) × ``credit_per_breach``, uncapped (the expected value of a linear credit per late
  call); sites outside their promise are left out, their calls already pay credits in
  ``expected_credits_per_year``;
* attainment and staffing (docs/semantics.md, "Attainment and staffing"): reach, parts per call
  and Erlang C technician-free probability per site, recomputed here (own code);
  ``attainment_target_missed`` in binding mode when the plan decides assignments (and does not
  report its network layer as skipped); staffing
  decided when ``staffing`` or ``technician_bases`` is not empty, else today's technicians
  form the pools;
* loaner pools: loans per (depot, loanable product) count every site the depot serves, exclusive
  ones included; a pool where the depot serves no unit of the product is no violation (0 loans,
  B(c, 0) = 0 for c ≥ 1) and costs its units; a non-loanable product is an unknown reference;
  ``loaner_target_missed`` when B(c, a) exceeds the target by more than the relative tolerance.
"""

from __future__ import annotations

from aftersales.optimizer.schema import Plan, Scenario
from aftersales.optimizer.validate.attainment import check_attainment
from aftersales.optimizer.validate.context import Context
from aftersales.optimizer.validate.costs import check_costs, recomputed_costs
from aftersales.optimizer.validate.kpis import check_kpis, tier_kpis
from aftersales.optimizer.validate.loaners import check_loaners, erlang_loss
from aftersales.optimizer.validate.network import check_network
from aftersales.optimizer.validate.report import (
    ALL_KINDS,
    ARRIVAL_AFTER_START,
    ASSIGNMENT_MISMATCH,
    ATTAINMENT_TARGET_MISSED,
    BEFORE_OPENED,
    BREAK_INVALID,
    CLOSED_DEPOT,
    COST_MISMATCH,
    DEPOT_COUNT,
    DOUBLE_VISIT,
    DUPLICATE_ENTRY,
    DUPLICATE_ROUTE,
    HARD_TIER_BREACH,
    HORIZON_MISMATCH,
    KPI_MISMATCH,
    LOANER_MISMATCH,
    LOANER_TARGET_MISSED,
    MISSING_BREAK,
    MISSING_SKILL,
    NEGATIVE_STOCK,
    NO_SHIFT,
    OVER_CAPACITY,
    PARTS_NOT_AVAILABLE,
    PINNED_ELSEWHERE,
    RELATIVE_TOLERANCE,
    REQUEST_MISSING,
    ROUTE_TOTALS,
    SERVED_AND_UNSERVED,
    SERVICE_DURATION,
    SHIFT_END,
    SHIFT_START,
    SITE_UNASSIGNED,
    STAFFING_MISMATCH,
    STAFFING_OVER_HOURS,
    STOCK_MISMATCH,
    STOCK_TARGET_MISSED,
    TIME_TOLERANCE_MINUTES,
    TIME_WINDOW,
    TRAVEL_TIME,
    UNKNOWN_REFERENCE,
    Collector,
    ValidationReport,
    Violation,
)
from aftersales.optimizer.validate.routes import check_routes
from aftersales.optimizer.validate.staffing import check_staffing
from aftersales.optimizer.validate.stock import (
    check_stock,
    check_stock_targets,
    fill_and_backorders,
)

__all__ = [
    "ALL_KINDS",
    "ARRIVAL_AFTER_START",
    "ASSIGNMENT_MISMATCH",
    "ATTAINMENT_TARGET_MISSED",
    "BEFORE_OPENED",
    "BREAK_INVALID",
    "CLOSED_DEPOT",
    "COST_MISMATCH",
    "DEPOT_COUNT",
    "DOUBLE_VISIT",
    "DUPLICATE_ENTRY",
    "DUPLICATE_ROUTE",
    "HARD_TIER_BREACH",
    "HORIZON_MISMATCH",
    "KPI_MISMATCH",
    "LOANER_MISMATCH",
    "LOANER_TARGET_MISSED",
    "MISSING_BREAK",
    "MISSING_SKILL",
    "NEGATIVE_STOCK",
    "NO_SHIFT",
    "OVER_CAPACITY",
    "PARTS_NOT_AVAILABLE",
    "PINNED_ELSEWHERE",
    "RELATIVE_TOLERANCE",
    "REQUEST_MISSING",
    "ROUTE_TOTALS",
    "SERVED_AND_UNSERVED",
    "SERVICE_DURATION",
    "SHIFT_END",
    "SHIFT_START",
    "SITE_UNASSIGNED",
    "STAFFING_MISMATCH",
    "STAFFING_OVER_HOURS",
    "STOCK_MISMATCH",
    "STOCK_TARGET_MISSED",
    "TIME_TOLERANCE_MINUTES",
    "TIME_WINDOW",
    "TRAVEL_TIME",
    "UNKNOWN_REFERENCE",
    "ValidationReport",
    "Violation",
    "erlang_loss",
    "fill_and_backorders",
    "validate",
]


def validate(scenario: Scenario, plan: Plan) -> ValidationReport:
    """Check ``plan`` against ``scenario``; return violations, recomputed KPIs and costs."""
    ctx = Context.build(scenario)
    out = Collector()
    if plan.horizon_start_day != scenario.horizon_start_day:
        out.add(
            HORIZON_MISMATCH,
            "/horizon_start_day",
            f"the plan's horizon starts on calendar day {plan.horizon_start_day}, the "
            f"scenario's on day {scenario.horizon_start_day}",
        )
    network = check_network(ctx, plan, out)
    stock = check_stock(ctx, plan, network.serving, network.within, out)
    check_stock_targets(ctx, plan, network.serving, stock, out)
    loaners = check_loaners(ctx, plan, network.serving, out)
    routes = check_routes(ctx, plan, network.open_depots, stock, out)
    staffing = check_staffing(ctx, plan, network, out)
    kpis = tier_kpis(ctx, network, stock, routes, staffing)
    skipped = any(r.layer == "network" and r.status == "skipped" for r in plan.layers)
    decided = bool(plan.assignments) and not skipped
    check_attainment(ctx, decided, {k.tier: k.forecast_attainment for k in kpis}, out)
    check_kpis(plan, kpis, out)
    costs = recomputed_costs(
        network.costs, stock.costs, loaners.costs, routes.costs, staffing.costs
    )
    check_costs(plan.costs, costs, out)
    return ValidationReport(violations=out.violations, kpis=kpis, costs=costs)
