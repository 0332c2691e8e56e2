"""Run the decision layers in order — network, inventory, routing — and assemble one Plan.

Each layer hands the next what it decided: open depots and site → depot assignments fix the
stock pools; pooled stock levels fix which jobs must wait for an emergency part. Layers not asked
for fall back to what the scenario says happens today. The finished plan is checked by the
independent validator; a plan that breaks a rule is never reported as feasible.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from aftersales.optimizer.contract import ContractSetup, diagnosed, prepare_contract
from aftersales.optimizer.coupling import solve_network_and_stock
from aftersales.optimizer.inventory import POOLED, InventoryResult, compile_stock, solve_inventory
from aftersales.optimizer.inventory.kept import kept_stock, stable_stock
from aftersales.optimizer.keep_previous import Strategic, better_of
from aftersales.optimizer.network import (
    NetworkData,
    NetworkResult,
    compile_network,
    current_network,
)
from aftersales.optimizer.network.kept import (
    KEPT_METHOD,
    kept_network,
    previous_network,
    with_site_move_cost,
)
from aftersales.optimizer.network.solver import RESTRICT_ABOVE_PAIRS, solve_network
from aftersales.optimizer.previous import checked_previous
from aftersales.optimizer.routing import compile_routing, solve_routing
from aftersales.optimizer.routing.data import RoutingData
from aftersales.optimizer.routing.frozen import Pins, frozen_routing, pinned_visits, with_pins
from aftersales.optimizer.routing.solver import allowed_vehicles
from aftersales.optimizer.schema import (
    Assignment,
    CostBreakdown,
    DepotDecision,
    LayerResult,
    Plan,
    Route,
    Scenario,
    SolveOptions,
    SolveStatus,
    StaffingLevel,
    StockLevel,
    TechnicianBase,
    Unserved,
)
from aftersales.optimizer.schema.plan import sum_costs
from aftersales.optimizer.staffing.plan import staffing_costs, staffing_levels, technician_bases
from aftersales.optimizer.staffing.trim import trim_staffing
from aftersales.optimizer.travel import Travel
from aftersales.optimizer.validate import ATTAINMENT_TARGET_MISSED, validate
from aftersales.optimizer.work import cap_seconds

logger = logging.getLogger("aftersales.optimizer")


@dataclass(frozen=True)
class Progress:
    """One progress event of a solve."""

    layer: str
    event: Literal["started", "finished"]
    elapsed_seconds: float
    message: str = ""
    objective: float | None = None


ProgressCallback = Callable[[Progress], None]


def _ignore(_: Progress) -> None:
    """Default progress callback."""


LAYER_SHARE: dict[str, float] = {"network": 0.6, "inventory": 0.1, "routing": 0.3}
"""Share of the time limit each layer may use; time a layer leaves unused passes on.

The network MILP (with staffing) is the slow layer; routing is anytime. Side by side in one
run on the demo (S seed 0, 60 s, verify, load 6 on 2 cores), network 0.4 / routing 0.5 with
half the limit for the first verify solve → network 0.6 / routing 0.3 with three quarters:
network gap 12.7 % (3.4 s) → 1.2 % (13.5 s), technicians 16 → 14, staffing labour 1.68 M →
1.44 M; every tier verified, no violation in both."""
LARGE_NETWORK_SHARE: dict[str, float] = {"network": 0.4, "inventory": 0.2, "routing": 0.4}
"""The shares when the network model is large (more candidate pairs than
``RESTRICT_ABOVE_PAIRS``, e.g. L) and carries the contract rows: the stock layer gets twice its
usual share. Measured on L (loaded 2-core machine, load 11–14): one stock solve of seed 1
(5,963 marginal steps) took 25 s, so a stock solve given 2–4 s (the usual share split over the
coupled rounds) stopped with gold targets unmet and the validator's stock check made the plan
``error``. The network itself gained nothing from more: on seed 0 at 120 s, 24-s and 30-s
network rounds both ended at 37,453,753 (the local search converges; HiGHS keeps its start)."""


@dataclass(frozen=True)
class TimeBudget:
    """Splits the overall wall-clock limit among the layers still to run."""

    started: float
    limit_seconds: float
    layers: list[str]
    deterministic: bool = False
    """Give each layer its nominal share of the limit, whatever the clock says: a deterministic
    layer turns its seconds into a work budget, which must not depend on how long the layers
    before it took under the machine's load."""
    shares: dict[str, float] = field(default_factory=lambda: LAYER_SHARE)

    def for_layer(self, layer: str) -> float:
        """Seconds for ``layer``: its share of what is left among it and the layers after it
        (of the whole limit among the requested layers, when deterministic)."""
        later = [name for name in self.shares if name in self.layers or name == layer]
        if self.deterministic:
            return self.limit_seconds * self.shares[layer] / sum(self.shares[n] for n in later)
        remaining = max(0.0, self.limit_seconds - (time.perf_counter() - self.started))
        later = later[later.index(layer) :]
        return remaining * self.shares[layer] / sum(self.shares[name] for name in later)


def _shares(data: NetworkData, setup: ContractSetup) -> dict[str, float]:
    """``LARGE_NETWORK_SHARE`` for a large contract model, else ``LAYER_SHARE``."""
    pairs = int((~(data.hard[:, None] & ~data.within_promise)).sum())
    large = setup.staffing is not None and pairs > RESTRICT_ABOVE_PAIRS
    return LARGE_NETWORK_SHARE if large else LAYER_SHARE


def combine_status(results: list[LayerResult]) -> SolveStatus:
    """Overall status: the weakest claim any layer that ran can make."""
    ran = [r.status for r in results if r.status != "skipped"]
    for status in ("error", "infeasible", "time_limit", "target_missed", "feasible"):
        if status in ran:
            return status  # type: ignore[return-value]
    return "optimal" if ran else "skipped"


def solve(
    scenario: Scenario,
    options: SolveOptions | None = None,
    progress: ProgressCallback | None = None,
    previous: Plan | None = None,
    *,
    keep_previous: bool = True,
) -> Plan:
    """Solve the layers named in ``options.layers`` (default: the scenario's options).

    ``previous`` (e.g. last night's plan; a plan of an earlier horizon, see ``aftersales roll``,
    is matched by calendar day: ``nightly.align.on_horizon``) warm-starts the network MILP with
    its depots and assignments, and the routing layer, which then never returns routes costlier
    than that plan's and reports how many assignments moved. ``options.freeze`` keeps whole
    layers of it, ``options.freeze_before_minute`` pins its early visits, ``options.stability``
    prices each change against it in every layer's objective; a re-solved network and stock are
    replaced by the previous plan's when those still keep every rule here at no more cost
    (aftersales.optimizer.keep_previous; ``keep_previous=False`` skips that comparison: the
    verify loop's rounds re-solve on purpose a plan found short). Raises ``PreviousPlanError``
    when the options need a previous plan and none is given.
    """
    options = options or scenario.options
    previous = checked_previous(scenario, options, previous)
    if options.verify:
        return _verified(scenario, options, progress, previous)
    notify = progress or _ignore
    started = time.perf_counter()

    def report(
        layer: str, event: Literal["started", "finished"], result: LayerResult | None = None
    ) -> None:
        notify(
            Progress(
                layer,
                event,
                time.perf_counter() - started,
                message=result.message if result else "",
                objective=result.objective if result else None,
            )
        )

    deterministic = options.repeatable
    travel = Travel(scenario)
    report("network", "started")
    network_data = compile_network(scenario, travel)
    setup = prepare_contract(scenario, network_data)
    budget = TimeBudget(
        started,
        options.time_limit_seconds,
        options.layers,
        deterministic,
        _shares(network_data, setup),
    )
    stock_scenario = setup.stock_scenario
    prior = previous_network(network_data, previous) if previous is not None else None
    frozen = set(options.freeze)
    if prior is not None:
        network_data = with_site_move_cost(network_data, prior[1], options.stability.site_move)
    inventory: InventoryResult | None = None
    if "network" in frozen:
        assert previous is not None  # checked_previous
        network = kept_network(network_data, previous, "network frozen (options.freeze)")
        network_report = network.report
    elif {"network", "inventory"} <= set(options.layers):
        network_seconds = budget.for_layer("network")
        coupled = solve_network_and_stock(
            stock_scenario,
            network_data,
            options,
            network_seconds,
            network_seconds * budget.shares["inventory"] / budget.shares["network"],
            previous=prior,
            contract=setup.contract,
        )
        network, inventory = coupled.network, coupled.inventory
        network_report = network.report
    elif "network" in options.layers:
        network = solve_network(
            network_data,
            budget.for_layer("network"),
            mip_gap=options.mip_gap,
            seed=options.seed,
            mip_solver=options.mip_solver,
            previous=prior,
            contract=setup.contract,
            deterministic=deterministic,
        )
        network_report = network.report
    else:
        network = current_network(network_data)
        network_report = network.report.model_copy(
            update={"status": "skipped", "method": "today's network (layer not requested)"}
        )
    report("network", "finished", network_report)
    depots = network.depot_decisions(network_data)
    assignments = network.assignments(network_data)
    layers = [network_report]
    costs = [network.costs]
    if "stock" in frozen:
        assert previous is not None  # checked_previous
        stock_data = compile_stock(stock_scenario, {a.site: a.depot for a in assignments})
        inventory = kept_stock(stock_scenario, stock_data, previous.stock)
        layers.append(inventory.report)
        costs.append(inventory.costs)
    elif "inventory" in options.layers:
        report("inventory", "started")
        if inventory is None:
            stock_data = compile_stock(stock_scenario, {a.site: a.depot for a in assignments})
            inventory = solve_inventory(
                stock_scenario,
                stock_data,
                cap_seconds(budget.for_layer("inventory"), deterministic),
            )
        prices = options.stability
        if previous is not None and (prices.stock_change > 0 or prices.stock_unit > 0):
            stock_data = compile_stock(stock_scenario, {a.site: a.depot for a in assignments})
            inventory, _ = stable_stock(
                stock_scenario, stock_data, inventory, previous.stock, prices
            )
        layers.append(inventory.report)
        costs.append(inventory.costs)
        report("inventory", "finished", inventory.report)
    stock: list[StockLevel] = inventory.stock if inventory else []
    if "network" in frozen:
        assert previous is not None  # checked_previous
        depots, assignments = _kept_sections(network_data, previous)
        levels, bases, trim_note = previous.staffing, previous.technician_bases, ""
    else:
        levels, bases, trim_note = _staffing(scenario, setup, network_data, network, depots, stock)
    if trim_note:
        layers[0] = network_report = network_report.model_copy(
            update={"message": f"{network_report.message}; {trim_note}"}
        )
    compare = keep_previous and previous is not None and not frozen
    if compare and {"network", "inventory"} <= set(options.layers):
        chosen = better_of(
            scenario,
            stock_scenario,
            network_data,
            Strategic(network, inventory, levels, bases),
            previous,
            options.stability,
        )
        if chosen.network.report.method == KEPT_METHOD:
            depots, assignments = _kept_sections(network_data, previous)
            network, inventory = chosen.network, chosen.inventory
            assert inventory is not None
            stock = inventory.stock
            costs = [network.costs, inventory.costs]
            layers = [network.report, inventory.report]
        levels, bases = chosen.staffing, chosen.bases
        layers[0] = network_report = chosen.network.report.model_copy(
            update={"seconds": network_report.seconds}
        )
    costs.append(CostBreakdown(**staffing_costs(bases)))
    routes: list[Route] = []
    unserved: list[Unserved] = []
    if "routing" in frozen:
        assert previous is not None  # checked_previous
        routing_data = _routing_data(scenario, travel, depots, stock, bases)
        routing = frozen_routing(scenario, routing_data, previous, allowed_vehicles(routing_data))
        routes, unserved = routing.routes, routing.unserved
        layers.append(routing.report)
        costs.append(routing.costs)
    elif "routing" in options.layers:
        report("routing", "started")
        routing_data = _routing_data(scenario, travel, depots, stock, bases)
        pins: Pins = {}
        if previous is not None and options.freeze_before_minute is not None:
            pins = pinned_visits(previous, routing_data, options.freeze_before_minute)
            routing_data = with_pins(routing_data, pins)
        # the routing layer is anytime: it uses all the time it is given (no per-request cap)
        routing_seconds = budget.for_layer("routing")
        routing = solve_routing(
            scenario,
            routing_data,
            routing_seconds,
            options.seed,
            previous,
            deterministic=deterministic,
            reassign_cost=options.stability.visit_reassign,
            pins=pins,
        )
        routes, unserved = routing.routes, routing.unserved
        layers.append(_strict_check(routing.report, unserved, options))
        costs.append(routing.costs)
        report("routing", "finished", layers[-1])
    plan = Plan(
        status=combine_status(layers),
        scenario=scenario.name,
        horizon_start_day=scenario.horizon_start_day,
        depots=depots,
        assignments=assignments,
        stock=stock,
        routes=routes,
        unserved=unserved,
        costs=sum_costs(*costs),
        layers=layers,
        stock_targets=inventory.targets if inventory else [],
        stock_totals=inventory.totals if inventory else [],
        stock_frontier=inventory.frontier if inventory else [],
        loaners=inventory.loaners if inventory else [],
        staffing=levels,
        technician_bases=bases,
    )
    plan = _checked(scenario, plan, setup, options)
    plan = _cost_to_meet(scenario, plan, setup, options, budget)
    if options.simulate_replications > 0:
        plan = _simulated(scenario, plan, options, report)
    return plan


def _simulated(
    scenario: Scenario,
    plan: Plan,
    options: SolveOptions,
    report: Callable[[str, Literal["started", "finished"]], None],
) -> Plan:
    """Attach simulated attainment (aftersales.optimizer.simulate) to the plan's KPIs."""
    from aftersales.optimizer.simulate import SimulationSettings, simulate, with_simulation

    report("simulate", "started")
    settings = SimulationSettings(
        years=options.simulate_years,
        replications=options.simulate_replications,
        seed=options.seed,
    )
    plan = with_simulation(plan, simulate(scenario, plan, settings))
    report("simulate", "finished")
    return plan


def _verified(
    scenario: Scenario,
    options: SolveOptions,
    progress: ProgressCallback | None,
    previous: Plan | None,
) -> Plan:
    """``options.verify``: solve, simulate, tighten the short tiers and re-solve, a bounded
    number of rounds, within the one time limit (aftersales.optimizer.simulate.verify)."""
    from aftersales.optimizer.simulate.verify import verify_loop

    def once(tightened: Scenario, round_options: SolveOptions, start: Plan | None) -> Plan:
        # a later round's start is the plan found short: re-solve it, never keep it as it is
        return solve(tightened, round_options, progress, start, keep_previous=start is previous)

    def recheck(original: Scenario, plan: Plan) -> Plan:
        # Judge a plan solved for tightened targets against the original ones: fresh KPIs, and
        # the layers' status without their verdict on the tightened targets.
        layers = [
            r.model_copy(update={"status": "feasible"}) if r.status == "target_missed" else r
            for r in plan.layers
        ]
        fresh = plan.model_copy(update={"kpis": [], "status": combine_status(layers)})
        return _checked(original, fresh, None, options)

    plan, _ = verify_loop(scenario, options, once, recheck, previous)
    return plan


def _kept_sections(
    data: NetworkData, previous: Plan
) -> tuple[list[DepotDecision], list[Assignment]]:
    """The previous plan's depot and assignment rows of this scenario's depots and sites, as
    they were (byte for byte in the plan JSON)."""
    depots, sites = set(data.depot_ids), set(data.site_ids)
    return (
        [d for d in previous.depots if d.id in depots],
        [a for a in previous.assignments if a.site in sites],
    )


def _routing_data(
    scenario: Scenario,
    travel: Travel,
    depots: list[DepotDecision],
    stock: list[StockLevel],
    bases: list[TechnicianBase],
) -> RoutingData:
    """Technician-days and jobs under the plan's open depots, pooled stock and bases."""
    pooled = {(s.depot, s.part): s.level for s in stock if s.pool == POOLED}
    return compile_routing(
        scenario,
        open_depots={d.id for d in depots if d.open},
        stock=pooled if stock else None,
        travel=travel,
        bases=bases or None,
    )


def _strict_check(
    result: LayerResult, unserved: list[Unserved], options: SolveOptions
) -> LayerResult:
    """Under ``strict``, any unserved non-deferrable request fails the routing layer."""
    hard = [u for u in unserved if u.reason != "deferred"]
    if not options.strict or not hard:
        return result
    listed = ", ".join(f"{u.request} ({u.reason})" for u in hard[:20])
    return result.model_copy(
        update={"status": "infeasible", "message": f"strict: unserved {listed}"}
    )


def _staffing(
    scenario: Scenario,
    setup: ContractSetup,
    data: NetworkData,
    network: NetworkResult,
    depots: list[DepotDecision],
    stock: list[StockLevel],
) -> tuple[list[StaffingLevel], list[TechnicianBase], str]:
    """The plan's staffing sections when the network model decided staffing, else empty; the
    decision is trimmed first (``staffing.trim``) and the note says what the trim saved."""
    if setup.staffing is None or network.staffing is None:
        return [], [], ""
    network_plan = Plan(
        status="feasible",
        scenario=scenario.name,
        horizon_start_day=scenario.horizon_start_day,
        depots=depots,
        assignments=network.assignments(data),
        stock=stock,
    )
    trim = trim_staffing(scenario, network_plan, setup.staffing, network.staffing)
    levels = staffing_levels(
        setup.staffing,
        trim.decision.headcount,
        network.is_open,
        network.depot_of_site,
        data.minutes,
    )
    note = (
        f"staffing trim: {trim.removed} technician(s) fewer, {trim.saved_first_year:,.0f} "
        "first-year cost saved"
        if trim.removed
        else ""
    )
    return levels, technician_bases(scenario, setup.staffing, trim.decision), note


MIN_FIX_SECONDS = 2.0
"""Least time left in the limit for the binding solve that prices a priced plan's missed tiers."""


def _cost_to_meet(
    scenario: Scenario,
    plan: Plan,
    setup: ContractSetup,
    options: SolveOptions,
    budget: TimeBudget,
) -> Plan:
    """Priced mode: ``cost_to_meet_target`` of each missed tier that some network can reach.

    The same scenario under ``policy.attainment = "binding"`` is solved (network and stock
    layers of this solve, no routing) in the time left of the limit; the figure is that plan's
    first-year network + stock total minus this plan's, for each tier the binding plan meets.
    A tier no network reaches keeps its diagnosis (none exists); with less than
    ``MIN_FIX_SECONDS`` left, or a binding plan that misses the tier too, the reason says so.
    Binding mode needs no second solve: its plan already is the cheapest it found that meets
    what can be met.
    """
    missed = [k for k in plan.kpis if k.target_met is False and not setup.reach_short(k.tier)]
    if setup.binding or not missed or "network" not in options.layers:
        return plan
    seconds = options.time_limit_seconds - (time.perf_counter() - budget.started)
    met: dict[str, float] = {}
    if seconds >= MIN_FIX_SECONDS:
        binding = scenario.model_copy(
            update={"policy": scenario.policy.model_copy(update={"attainment": "binding"})}
        )
        layers = [name for name in ("network", "inventory") if name in options.layers]
        kept = solve(
            binding,
            options.model_copy(
                update={
                    "layers": layers,
                    "time_limit_seconds": seconds,
                    "verify": False,
                    "simulate_replications": 0,
                }
            ),
        )
        extra = kept.costs.annual_total - plan.costs.annual_total
        met = {k.tier: extra for k in kept.kpis if k.target_met}
    kpis = []
    for kpi in plan.kpis:
        if kpi in missed:
            if kpi.tier in met:
                kpi = kpi.model_copy(update={"cost_to_meet_target": met[kpi.tier]})
            else:
                why = (
                    "no time left in the limit"
                    if seconds < MIN_FIX_SECONDS
                    else "the binding solve found no plan meeting it in the time left"
                )
                kpi = kpi.model_copy(
                    update={"miss_reason": f"{kpi.miss_reason}; cost to meet it unknown: {why}"}
                )
        kpis.append(kpi)
    return plan.model_copy(update={"kpis": kpis})


def _checked(
    scenario: Scenario,
    plan: Plan,
    setup: ContractSetup | None = None,
    options: SolveOptions | None = None,
) -> Plan:
    """Attach the validator's KPIs; downgrade the status if the plan breaks any rule.

    A plan whose only violations are missed attainment targets keeps every rule: its status is
    ``target_missed`` (never ``feasible``, also when a layer stopped at its time limit: the
    layer's own status says so) with each missed tier diagnosed, or ``infeasible`` under
    ``options.strict``.
    """
    verdict = validate(scenario, plan)
    kpis = diagnosed(setup, verdict.kpis) if setup is not None else verdict.kpis
    update: dict[str, object] = {"kpis": kpis}
    broken = [v for v in verdict.violations if v.kind != ATTAINMENT_TARGET_MISSED]
    missed = [v for v in verdict.violations if v.kind == ATTAINMENT_TARGET_MISSED]
    if broken:
        for violation in broken[:20]:
            logger.error(
                "plan violates %s at %s: %s", violation.kind, violation.path, violation.message
            )
        update["status"] = "error"
    elif missed:
        for violation in missed:
            logger.warning("%s", violation.message)
        strict = options is not None and options.strict
        if strict:
            update["status"] = "infeasible"
        elif plan.status in ("optimal", "feasible", "time_limit"):
            update["status"] = "target_missed"  # each layer's own status stays in plan.layers
    return plan.model_copy(update=update)
