"""What the validator returns: violations with JSON pointers, recomputed KPIs and costs.

Also the violation kinds (one string constant per rule of ``docs/semantics.md``), the
tolerances of that page, and the small helpers every checker module shares.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, computed_field

from aftersales.optimizer.schema import CostBreakdown, TierKpi

TIME_TOLERANCE_MINUTES = 1e-6
"""Absolute tolerance on every time comparison, minutes."""
RELATIVE_TOLERANCE = 1e-6
"""Relative tolerance on money, km, demand rates and probabilities."""

# --- network ---------------------------------------------------------------------------------
UNKNOWN_REFERENCE = "unknown_reference"
"""An id in the plan names nothing in the scenario (or no existing stock pool, or a loaner pool of
a product that is not loanable)."""
DUPLICATE_ENTRY = "duplicate_entry"
"""The same depot, site, stock (depot, pool, part), loaner (depot, product), unserved request or
KPI tier listed twice."""
SITE_UNASSIGNED = "site_unassigned"
"""Assignments are given but a scenario site has none."""
CLOSED_DEPOT = "closed_depot"
"""A site is assigned to, or a route starts from, a depot the plan does not keep open."""
OVER_CAPACITY = "over_capacity"
"""Visits per year of a depot's sites exceed its capacity_calls_per_year."""
HARD_TIER_BREACH = "hard_tier_breach"
"""A site of a hard tier is assigned to a depot outside its response promise."""
ASSIGNMENT_MISMATCH = "assignment_mismatch"
"""An assignment's reported travel_minutes or within_promise differs from the recomputed one."""
NO_ROAD_PATH = "no_road_path"
"""Travel mode 'graph': a site is assigned to a depot, or a route drives a leg, with no path."""
DEPOT_COUNT = "depot_count"
"""The number of open depots is outside policy min_open_depots / max_open_depots."""
# --- stock -----------------------------------------------------------------------------------
NEGATIVE_STOCK = "negative_stock"
"""A stock level below zero."""
STOCK_MISMATCH = "stock_mismatch"
"""A stock entry's demand, fill probability, backorders or holding cost differs."""
STOCK_TARGET_MISSED = "stock_target_missed"
"""A tier's demand-weighted fill in a pool (or at a site) is below its parts-on-hand target;
checked unless the scenario's ``inventory.check_fill_targets`` is false."""
# --- loaners ---------------------------------------------------------------------------------
LOANER_MISMATCH = "loaner_mismatch"
"""A loaner pool's loans, offered load, no-loaner probability or cost differs."""
LOANER_TARGET_MISSED = "loaner_target_missed"
"""A (depot, loanable product) with loans has no loaner pool, or its Erlang-B probability of
finding no loaner exceeds the scenario's ``inventory.loaner_unavailability_target``."""
# --- routes ----------------------------------------------------------------------------------
NO_SHIFT = "no_shift"
"""A route on a day its technician has no shift."""
DUPLICATE_ROUTE = "duplicate_route"
"""A second route of the same technician on the same day."""
SHIFT_START = "shift_start"
"""A route leaves the depot before its shift starts."""
SHIFT_END = "shift_end"
"""A route returns after shift end + max_overtime_minutes."""
TRAVEL_TIME = "travel_time"
"""The gap before an arrival is shorter than the travel (+ a break taken in the gap)."""
ARRIVAL_AFTER_START = "arrival_after_start"
"""Service starts before the technician arrives."""
SERVICE_DURATION = "service_duration"
"""A stop's end is not its start + the request's duration_minutes."""
BEFORE_OPENED = "before_opened"
"""Service starts before the request was opened."""
TIME_WINDOW = "time_window"
"""Service starts outside every time window of the request."""
MISSING_SKILL = "missing_skill"
"""The technician lacks a skill the request needs."""
PINNED_ELSEWHERE = "pinned_elsewhere"
"""A pinned request is served by another technician."""
PARTS_NOT_AVAILABLE = "parts_not_available"
"""Service starts before an emergency shipment of an out-of-stock part can arrive."""
MISSING_TOOL = "missing_tool"
"""The van lacks a tool the request needs (not carried, no restock before the visit)."""
VAN_SHORT = "van_short"
"""The van holds fewer units of a part than the visit consumes (after earlier visits)."""
RESTOCK_INVALID = "restock_invalid"
"""A restock stop at an unknown, closed or other depot, by a technician without a van model,
or with a service time."""
MISSING_BREAK = "missing_break"
"""A route that needs a break has none."""
BREAK_INVALID = "break_invalid"
"""A break is too short, outside its window or route, or overlaps a service."""
DOUBLE_VISIT = "double_visit"
"""A request is served by more than one stop."""
REQUEST_MISSING = "request_missing"
"""A request is neither served nor listed as unserved."""
SERVED_AND_UNSERVED = "served_and_unserved"
"""A request is both served and listed as unserved."""
ROUTE_TOTALS = "route_totals"
"""A route's reported travel_km or travel_minutes differs from the sum of its legs."""
# --- totals ----------------------------------------------------------------------------------
COST_MISMATCH = "cost_mismatch"
"""A reported cost component differs from the recomputed one."""
KPI_MISMATCH = "kpi_mismatch"
"""A reported tier KPI differs from the recomputed one (checked only when kpis are reported)."""
# --- contract (attainment and staffing) ------------------------------------------------------
ATTAINMENT_TARGET_MISSED = "attainment_target_missed"
"""Binding mode: a tier's recomputed forecast attainment is below its attainment target."""
STAFFING_MISMATCH = "staffing_mismatch"
"""A staffing entry or technician base differs from what the scenario and the bases imply."""
STAFFING_OVER_HOURS = "staffing_over_hours"
"""A pool's workload exceeds max_technician_utilisation × its capacity hours."""
# --- horizon ---------------------------------------------------------------------------------
HORIZON_MISMATCH = "horizon_mismatch"
"""The plan's horizon_start_day is not the scenario's: its days mean other calendar days."""

ALL_KINDS: tuple[str, ...] = (
    UNKNOWN_REFERENCE,
    DUPLICATE_ENTRY,
    SITE_UNASSIGNED,
    CLOSED_DEPOT,
    OVER_CAPACITY,
    HARD_TIER_BREACH,
    ASSIGNMENT_MISMATCH,
    DEPOT_COUNT,
    NEGATIVE_STOCK,
    STOCK_MISMATCH,
    STOCK_TARGET_MISSED,
    LOANER_MISMATCH,
    LOANER_TARGET_MISSED,
    NO_SHIFT,
    DUPLICATE_ROUTE,
    SHIFT_START,
    SHIFT_END,
    TRAVEL_TIME,
    ARRIVAL_AFTER_START,
    SERVICE_DURATION,
    BEFORE_OPENED,
    TIME_WINDOW,
    MISSING_SKILL,
    PINNED_ELSEWHERE,
    PARTS_NOT_AVAILABLE,
    MISSING_BREAK,
    BREAK_INVALID,
    DOUBLE_VISIT,
    REQUEST_MISSING,
    SERVED_AND_UNSERVED,
    ROUTE_TOTALS,
    COST_MISMATCH,
    KPI_MISMATCH,
    ATTAINMENT_TARGET_MISSED,
    STAFFING_MISMATCH,
    STAFFING_OVER_HOURS,
    HORIZON_MISMATCH,
)
"""Every violation kind the validator can report."""


class Violation(BaseModel):
    """One broken rule: its kind, a readable message and a JSON pointer into the plan."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: str = Field(description="One of the kinds in ALL_KINDS.")
    message: str
    path: str = Field(description="JSON pointer into the plan, e.g. '/routes/3/stops/1/start'.")


class ValidationReport(BaseModel):
    """Violations of a plan plus the KPIs and costs recomputed from the scenario alone."""

    violations: list[Violation] = Field(default_factory=list)
    kpis: list[TierKpi] = Field(default_factory=list)
    costs: CostBreakdown = Field(default_factory=CostBreakdown)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def ok(self) -> bool:
        """True when the plan breaks no rule."""
        return not self.violations

    def of_kind(self, kind: str) -> list[Violation]:
        """The violations of one kind, in the order found."""
        return [v for v in self.violations if v.kind == kind]


class Collector:
    """Accumulates violations while the checkers run."""

    def __init__(self) -> None:
        self.violations: list[Violation] = []

    def add(self, kind: str, path: str, message: str) -> None:
        """Record one violation."""
        self.violations.append(Violation(kind=kind, message=message, path=path))


def pointer(*parts: str | int) -> str:
    """JSON pointer (RFC 6901) from path segments: ``pointer("routes", 3) == "/routes/3"``."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def same_time(reported: float, recomputed: float) -> bool:
    """Times agree within TIME_TOLERANCE_MINUTES."""
    return abs(reported - recomputed) <= TIME_TOLERANCE_MINUTES


def same_value(reported: float, recomputed: float) -> bool:
    """Money, km, rates or probabilities agree within RELATIVE_TOLERANCE (min. scale 1)."""
    return abs(reported - recomputed) <= RELATIVE_TOLERANCE * max(1.0, abs(recomputed))
