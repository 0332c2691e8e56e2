"""Staffing checks (plan sections ``staffing`` and ``technician_bases``) and the skill pools.

The pools every attainment figure uses come from here: the plan's bases when staffing is
decided, else today's technicians (each counted once, in its first skill). Workload and offered
load are recomputed from the Scenario with this module's own code (docs/semantics.md,
"Attainment and staffing"); the solver's staffing code is not imported.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from aftersales.optimizer.schema import Plan
from aftersales.optimizer.validate.context import Context
from aftersales.optimizer.validate.loaners import erlang_loss
from aftersales.optimizer.validate.network import NetworkOutcome
from aftersales.optimizer.validate.report import (
    CLOSED_DEPOT,
    DUPLICATE_ENTRY,
    RELATIVE_TOLERANCE,
    STAFFING_MISMATCH,
    STAFFING_OVER_HOURS,
    UNKNOWN_REFERENCE,
    Collector,
    pointer,
    same_value,
)

PoolKey = tuple[str, str]
"""(depot id, skill id)."""


@dataclass
class PoolFigures:
    """Recomputed workload of one (depot, skill) pool, per year."""

    calls: float = 0.0
    jobs: float = 0.0
    work_hours: float = 0.0
    load_erlangs: float = 0.0

    @property
    def mean_service_hours(self) -> float:
        return self.work_hours / self.jobs if self.jobs > 0 else 0.0


@dataclass
class StaffingOutcome:
    """Headcount and workload per pool; whether technicians are modelled at all."""

    modelled: bool
    """False when the scenario lists no technicians and the plan decides no staffing."""
    headcount: dict[PoolKey, int]
    pools: dict[PoolKey, PoolFigures]
    costs: dict[str, float] = field(
        default_factory=lambda: {"staffing_labour_per_year": 0.0, "staffing_changes_one_off": 0.0}
    )
    _wait: dict[PoolKey, float] = field(default_factory=dict)

    def wait(self, key: PoolKey) -> float:
        """Erlang C of a pool (headcount, offered load), computed once per pool."""
        if key not in self._wait:
            pool = self.pools.get(key, PoolFigures())
            self._wait[key] = wait_probability(self.headcount.get(key, 0), pool.load_erlangs)
        return self._wait[key]


def wait_probability(technicians: int, load: float) -> float:
    """Erlang C: C = c B / (c − a (1 − B)) from the validator's own Erlang B; 1 if a ≥ c."""
    if load <= 0:
        return 0.0
    if technicians <= 0 or load >= technicians:
        return 1.0
    blocking = float(erlang_loss([technicians], [load])[0])
    return technicians * blocking / (technicians - load * (1.0 - blocking))


def pool_figures(ctx: Context, network: NetworkOutcome) -> dict[PoolKey, PoolFigures]:
    """Calls, jobs, work hours (repair + round trip) and offered load per (depot, skill)."""
    pools: dict[PoolKey, PoolFigures] = defaultdict(PoolFigures)
    for site_id, depot in network.serving.items():
        site = ctx.sites[site_id]
        minutes = network.minutes[site_id]
        hours = ctx.tier_of(site_id).service_hours_per_year
        for product_id, units in site.installed_base.items():
            product = ctx.products[product_id]
            calls = units * product.failure_rate_per_unit_year
            jobs = calls + units * product.preventive_visits_per_unit_year
            work = jobs * (product.repair_minutes + 2.0 * minutes) / 60.0
            pool = pools[depot, product.skill]
            pool.calls += calls
            pool.jobs += jobs
            pool.work_hours += work
            pool.load_erlangs += work / hours
    return dict(pools)


def check_staffing(
    ctx: Context, plan: Plan, network: NetworkOutcome, out: Collector
) -> StaffingOutcome:
    """Check technician bases and staffing entries; return the pools attainment uses."""
    pools = pool_figures(ctx, network)
    if not plan.staffing and not plan.technician_bases:
        headcount: dict[PoolKey, int] = defaultdict(int)
        for technician in ctx.scenario.technicians:
            if technician.skills:
                headcount[technician.depot, technician.skills[0]] += 1
        return StaffingOutcome(bool(ctx.scenario.technicians), dict(headcount), pools)
    headcount, costs = _check_bases(ctx, plan, network, out)
    _check_levels(ctx, plan, network, pools, headcount, out)
    return StaffingOutcome(True, headcount, pools, costs)


def _check_bases(
    ctx: Context, plan: Plan, network: NetworkOutcome, out: Collector
) -> tuple[dict[PoolKey, int], dict[str, float]]:
    costs = ctx.scenario.costs
    declared = set(ctx.scenario.skills) | {p.skill for p in ctx.scenario.products}
    declared |= {s for t in ctx.scenario.technicians for s in t.skills}
    headcount: dict[PoolKey, int] = defaultdict(int)
    labour = one_off = 0.0
    seen: set[str] = set()
    for i, base in enumerate(plan.technician_bases):
        path = pointer("technician_bases", i)
        if base.technician in seen:
            out.add(DUPLICATE_ENTRY, path, f"technician '{base.technician}' twice")
            continue
        seen.add(base.technician)
        existing = ctx.technicians.get(base.technician)
        if base.depot is not None and base.depot not in ctx.depots:
            out.add(UNKNOWN_REFERENCE, path + "/depot", f"unknown depot '{base.depot}'")
            continue
        problems = []
        if existing is None:
            expected_action, expected_from = "hired", None
            expected_one_off, expected_labour = (
                costs.hiring_cost_per_technician,
                costs.technician_cost_per_year,
            )
            if base.skill not in declared:
                problems.append(f"skill '{base.skill}' is not declared")
        else:
            expected_from = existing.depot
            expected_action = (
                "released"
                if base.depot is None
                else ("kept" if base.depot == existing.depot else "moved")
            )
            expected_one_off = {
                "released": costs.release_cost_per_technician,
                "moved": costs.relocation_cost_per_technician,
                "kept": 0.0,
            }[expected_action]
            expected_labour = (
                0.0
                if expected_action == "released"
                else existing.hourly_cost * costs.technician_hours_per_year
            )
            if base.skill not in existing.skills:
                problems.append(f"skill '{base.skill}' is not one of {existing.skills}")
        if base.action != expected_action:
            problems.append(f"action '{base.action}', expected '{expected_action}'")
        if base.from_depot != expected_from:
            problems.append(f"from_depot '{base.from_depot}', expected '{expected_from}'")
        if base.action != "released" and base.depot is None:
            problems.append("depot missing")
        if not same_value(base.one_off_cost, expected_one_off):
            problems.append(f"one_off_cost {base.one_off_cost}, expected {expected_one_off}")
        if not same_value(base.labour_per_year, expected_labour):
            problems.append(f"labour_per_year {base.labour_per_year}, expected {expected_labour}")
        for problem in problems:
            out.add(STAFFING_MISMATCH, path, f"technician '{base.technician}': {problem}")
        labour += expected_labour
        one_off += expected_one_off
        if base.depot is None:
            continue
        if network.open_depots is not None and base.depot not in network.open_depots:
            out.add(CLOSED_DEPOT, path + "/depot", f"technician based at closed '{base.depot}'")
        headcount[base.depot, base.skill] += 1
    for technician in ctx.scenario.technicians:
        if technician.skills and technician.id not in seen:
            out.add(
                STAFFING_MISMATCH,
                pointer("technician_bases"),
                f"technician '{technician.id}' has no base in the plan",
            )
            labour += technician.hourly_cost * costs.technician_hours_per_year
            headcount[technician.depot, technician.skills[0]] += 1
    return dict(headcount), {
        "staffing_labour_per_year": labour,
        "staffing_changes_one_off": one_off,
    }


def _check_levels(
    ctx: Context,
    plan: Plan,
    network: NetworkOutcome,
    pools: dict[PoolKey, PoolFigures],
    headcount: dict[PoolKey, int],
    out: Collector,
) -> None:
    costs = ctx.scenario.costs
    reported: dict[PoolKey, int] = {}
    for i, level in enumerate(plan.staffing):
        key = (level.depot, level.skill)
        path = pointer("staffing", i)
        if level.depot not in ctx.depots:
            out.add(UNKNOWN_REFERENCE, path + "/depot", f"unknown depot '{level.depot}'")
            continue
        if key in reported:
            out.add(DUPLICATE_ENTRY, path, f"pool {key} twice")
            continue
        reported[key] = i
        figures = pools.get(key, PoolFigures())
        count = headcount.get(key, 0)
        capacity = count * costs.technician_hours_per_year
        expected = {
            "calls_per_year": figures.calls,
            "visits_per_year": figures.jobs - figures.calls,
            "workload_hours_per_year": figures.work_hours,
            "capacity_hours_per_year": capacity,
            "utilisation": figures.work_hours / capacity if capacity > 0 else 0.0,
            "offered_load_erlangs": figures.load_erlangs,
            "wait_probability": wait_probability(count, figures.load_erlangs),
        }
        if level.technicians != count:
            out.add(
                STAFFING_MISMATCH,
                path + "/technicians",
                f"pool {key}: {level.technicians} reported, {count} based there",
            )
        for name, value in expected.items():
            if not same_value(getattr(level, name), value):
                out.add(
                    STAFFING_MISMATCH,
                    f"{path}/{name}",
                    f"pool {key} {name}: {getattr(level, name)} reported, {value} recomputed",
                )
    open_depots = network.open_depots
    for key in sorted(pools.keys() | headcount.keys()):
        figures = pools.get(key, PoolFigures())
        count = headcount.get(key, 0)
        if open_depots is not None and key[0] not in open_depots:
            continue
        if key not in reported and (count > 0 or figures.jobs > 0):
            out.add(STAFFING_MISMATCH, pointer("staffing"), f"pool {key} has no staffing entry")
        limit = costs.max_technician_utilisation * count * costs.technician_hours_per_year
        if figures.work_hours > limit * (1 + RELATIVE_TOLERANCE) + RELATIVE_TOLERANCE:
            out.add(
                STAFFING_OVER_HOURS,
                pointer("staffing"),
                f"pool {key}: workload {figures.work_hours:.1f} h/year > "
                f"{costs.max_technician_utilisation:g} × {count} × "
                f"{costs.technician_hours_per_year:g} h",
            )
