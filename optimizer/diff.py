"""What changed between two plans: the nightly re-plan's change report (``aftersales diff``).

``diff_plans(old, new)`` compares decisions, not indices: routes by *calendar* day (each plan's
``horizon_start_day`` + route day), so two plans of horizons rolled apart still match visit for
visit. Sections one plan decides and the other leaves empty are not compared (``not_compared``
names them) rather than counted as every entry added or removed. Rules:

* depots opened / closed: open in ``new`` and not in ``old`` / the reverse;
* sites moved: a site assigned in both plans to different depots;
* staffing changes: a (depot, skill) pool whose headcount differs (a pool absent counts 0);
* stock changes: a (depot, pool, part) whose level differs (absent = 0); units changed is the
  sum of the absolute level differences;
* visits reassigned: a request served in both plans by another technician or on another
  calendar day; retimed: same technician and day, service start moved by more than
  ``minutes_tolerance``;
* unserved added / removed: request ids in ``new``'s unserved list and not ``old``'s / the reverse
  (a request the new plan no longer lists at all, e.g. rolled out, counts as removed);
* KPI deltas per tier and cost deltas: ``new − old``; first-year = ``CostBreakdown.annual_total``
  (yearly costs plus one-off changes), yearly = first-year without the one-off components,
  horizon = the routing horizon's costs.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from aftersales.optimizer.schema import MINUTES_PER_DAY, CostBreakdown, Plan, TierKpi

ONE_OFF_COMPONENTS = ("depot_change_one_off", "site_moves_one_off", "staffing_changes_one_off")
"""Cost components paid once (the rest of ``annual_total`` recurs every year)."""
TIER_METRICS = (
    "forecast_attainment",
    "coverage_share",
    "parts_on_hand_probability",
    "technician_share",
    "requests_served",
    "requests_on_time",
    "simulated_attainment",
)
"""The TierKpi fields a diff compares per tier."""
COUNT_KEYS = (
    "depots_opened",
    "depots_closed",
    "sites_moved",
    "staffing_changes",
    "stock_changes",
    "stock_units_changed",
    "visits_reassigned",
    "visits_retimed",
    "unserved_added",
    "unserved_removed",
)
"""Keys of ``PlanDiff.counts()``, in display order."""


class Delta(BaseModel):
    """One figure in both plans; ``delta`` = new − old, null when either is unknown."""

    old: float | None = None
    new: float | None = None
    delta: float | None = None

    @classmethod
    def of(cls, old: float | None, new: float | None) -> Delta:
        """The pair and its difference."""
        return cls(old=old, new=new, delta=None if old is None or new is None else new - old)


class SiteMove(BaseModel):
    """A site served from another depot."""

    site: str
    old_depot: str
    new_depot: str


class StaffingChange(BaseModel):
    """A skill pool of a depot whose headcount changed."""

    depot: str
    skill: str
    old: int
    new: int


class StockChange(BaseModel):
    """A stock level that changed, units."""

    depot: str
    part: str
    pool: str = "pooled"
    old: int
    new: int


class Visit(BaseModel):
    """Who serves a request when, on the calendar: day and minutes count from the Monday epoch of
    ``horizon_start_day``, so visits of plans with different horizons compare directly."""

    technician: str
    day: int = Field(description="Calendar day: the plan's horizon_start_day + route day.")
    start: float = Field(description="Service start, calendar minutes (day × 1440 + minute).")


class VisitChange(BaseModel):
    """A request served in both plans, before and after."""

    request: str
    old: Visit
    new: Visit


class TierDelta(BaseModel):
    """KPI deltas of one tier (the fields of ``TIER_METRICS``)."""

    tier: str
    metrics: dict[str, Delta]


class PlanDiff(BaseModel):
    """Every change from ``old`` to ``new`` (module docstring for the rules)."""

    minutes_tolerance: float = Field(description="Start moves up to this are not retimed, min.")
    old_horizon_start_day: int
    new_horizon_start_day: int
    old_status: str
    new_status: str
    not_compared: list[str] = Field(
        default_factory=list, description="Sections only one of the plans decides."
    )
    depots_opened: list[str] = Field(default_factory=list)
    depots_closed: list[str] = Field(default_factory=list)
    sites_moved: list[SiteMove] = Field(default_factory=list)
    staffing_changes: list[StaffingChange] = Field(default_factory=list)
    stock_changes: list[StockChange] = Field(default_factory=list)
    visits_reassigned: list[VisitChange] = Field(default_factory=list)
    visits_retimed: list[VisitChange] = Field(default_factory=list)
    unserved_added: list[str] = Field(default_factory=list)
    unserved_removed: list[str] = Field(default_factory=list)
    tiers: list[TierDelta] = Field(default_factory=list)
    costs: dict[str, Delta] = Field(
        default_factory=dict,
        description="first_year, yearly and horizon totals, then each component that changed.",
    )

    def counts(self) -> dict[str, int]:
        """Number of changes of each kind (keys ``COUNT_KEYS``)."""
        units = sum(abs(c.new - c.old) for c in self.stock_changes)
        sized = {key: len(getattr(self, key)) for key in COUNT_KEYS if key != "stock_units_changed"}
        return {key: units if key == "stock_units_changed" else sized[key] for key in COUNT_KEYS}


def diff_plans(old: Plan, new: Plan, *, minutes_tolerance: float = 30.0) -> PlanDiff:
    """Compare two plans of the same network (e.g. last night's and tonight's)."""
    not_compared = [
        name
        for name in ("depots", "assignments", "staffing", "stock", "routes")
        if bool(getattr(old, name)) != bool(getattr(new, name))
    ]
    diff = PlanDiff(
        minutes_tolerance=minutes_tolerance,
        old_horizon_start_day=old.horizon_start_day,
        new_horizon_start_day=new.horizon_start_day,
        old_status=old.status,
        new_status=new.status,
        not_compared=not_compared,
        tiers=_tier_deltas(old.kpis, new.kpis),
        costs=_cost_deltas(old.costs, new.costs),
    )
    if "depots" not in not_compared:
        before, after = old.open_depots(), new.open_depots()
        diff.depots_opened = sorted(after - before)
        diff.depots_closed = sorted(before - after)
    if "assignments" not in not_compared:
        depot_of = {a.site: a.depot for a in old.assignments}
        diff.sites_moved = [
            SiteMove(site=a.site, old_depot=depot_of[a.site], new_depot=a.depot)
            for a in new.assignments
            if a.site in depot_of and depot_of[a.site] != a.depot
        ]
    if "staffing" not in not_compared:
        diff.staffing_changes = _staffing_changes(old, new)
    if "stock" not in not_compared:
        diff.stock_changes = _stock_changes(old, new)
    if "routes" not in not_compared:
        diff.visits_reassigned, diff.visits_retimed = _visit_changes(old, new, minutes_tolerance)
    before_unserved = {u.request for u in old.unserved}
    after_unserved = {u.request for u in new.unserved}
    diff.unserved_added = sorted(after_unserved - before_unserved)
    diff.unserved_removed = sorted(before_unserved - after_unserved)
    return diff


def _staffing_changes(old: Plan, new: Plan) -> list[StaffingChange]:
    before = {(s.depot, s.skill): s.technicians for s in old.staffing}
    after = {(s.depot, s.skill): s.technicians for s in new.staffing}
    return [
        StaffingChange(depot=d, skill=k, old=before.get((d, k), 0), new=after.get((d, k), 0))
        for d, k in sorted(before.keys() | after.keys())
        if before.get((d, k), 0) != after.get((d, k), 0)
    ]


def _stock_changes(old: Plan, new: Plan) -> list[StockChange]:
    before = {(s.depot, s.pool, s.part): s.level for s in old.stock}
    after = {(s.depot, s.pool, s.part): s.level for s in new.stock}
    return [
        StockChange(
            depot=d, pool=p, part=k, old=before.get((d, p, k), 0), new=after.get((d, p, k), 0)
        )
        for d, p, k in sorted(before.keys() | after.keys())
        if before.get((d, p, k), 0) != after.get((d, p, k), 0)
    ]


def visits_by_request(plan: Plan) -> dict[str, Visit]:
    """Request id → its visit on the calendar (first visit when a plan repeats one)."""
    out: dict[str, Visit] = {}
    for route in plan.routes:
        day = plan.horizon_start_day + route.day
        for stop in route.visits:
            if stop.request is not None and stop.request not in out:
                start = plan.horizon_start_day * MINUTES_PER_DAY + stop.start
                out[stop.request] = Visit(technician=route.technician, day=day, start=start)
    return out


def _visit_changes(
    old: Plan, new: Plan, tolerance: float
) -> tuple[list[VisitChange], list[VisitChange]]:
    before, after = visits_by_request(old), visits_by_request(new)
    reassigned: list[VisitChange] = []
    retimed: list[VisitChange] = []
    for request in sorted(before.keys() & after.keys()):
        was, now = before[request], after[request]
        change = VisitChange(request=request, old=was, new=now)
        if (was.technician, was.day) != (now.technician, now.day):
            reassigned.append(change)
        elif abs(now.start - was.start) > tolerance:
            retimed.append(change)
    return reassigned, retimed


def _tier_deltas(old: list[TierKpi], new: list[TierKpi]) -> list[TierDelta]:
    before, after = {k.tier: k for k in old}, {k.tier: k for k in new}
    tiers = [k.tier for k in old] + [k.tier for k in new if k.tier not in before]
    return [
        TierDelta(
            tier=tier,
            metrics={
                name: Delta.of(_metric(before.get(tier), name), _metric(after.get(tier), name))
                for name in TIER_METRICS
            },
        )
        for tier in tiers
    ]


def _metric(kpi: TierKpi | None, name: str) -> float | None:
    value = None if kpi is None else getattr(kpi, name)
    return None if value is None else float(value)


def yearly_total(costs: CostBreakdown) -> float:
    """Recurring yearly network, stock and staffing cost: first-year without one-off changes."""
    return costs.annual_total - sum(getattr(costs, name) for name in ONE_OFF_COMPONENTS)


def _cost_deltas(old: CostBreakdown, new: CostBreakdown) -> dict[str, Delta]:
    out = {
        "first_year": Delta.of(old.annual_total, new.annual_total),
        "yearly": Delta.of(yearly_total(old), yearly_total(new)),
        "horizon": Delta.of(old.horizon_total, new.horizon_total),
    }
    for name in CostBreakdown.model_fields:
        before, after = getattr(old, name), getattr(new, name)
        if before != after:
            out[name] = Delta.of(before, after)
    return out
