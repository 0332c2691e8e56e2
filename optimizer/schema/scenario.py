"""The Scenario: everything a planner knows about the service network, as one validated object.

Times inside a scenario are integers or floats of *minutes*. Absolute times (request opening,
time windows, deadlines) count minutes from the start of the planning horizon (day 0, 00:00);
shift times count minutes from the start of their own day. Day 0 of the horizon is calendar day
``horizon_start_day`` (days since a Monday epoch), so horizon day ``d`` falls on weekday
``(horizon_start_day + d) % 7`` (0 = Monday). Distances are km, money is in the
scenario's currency, rates are per year unless the name says otherwise.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from aftersales.optimizer.schema.common import (
    MINUTES_PER_DAY,
    Identifier,
    NonNegative,
    Positive,
    Probability,
    Strict,
)
from aftersales.optimizer.schema.references import check_references
from aftersales.optimizer.schema.road_graph import RoadGraph

Layer = Literal["network", "inventory", "routing"]
"""The three decision layers, in the order the pipeline runs them."""
ALL_LAYERS: tuple[Layer, ...] = ("network", "inventory", "routing")

RequestKind = Literal["repair", "preventive", "install", "upgrade", "decommission"]

HOURS_PER_YEAR = 8760.0
"""Hours of a 365-day year: the service hours of a 24/7 tier."""
WEEKS_PER_YEAR = 365.0 / 7.0


class ServiceCalendar(Strict):
    """Weekly service hours of a tier: the days and the minutes of day its clock runs.

    Horizon day ``d`` falls on weekday ``(horizon_start_day + d) % 7`` (0 = Monday); with the
    default ``horizon_start_day`` 0, day 0 is a Monday.
    """

    weekdays: list[int] = Field(
        default_factory=lambda: [0, 1, 2, 3, 4],
        description="Days of the week with service hours, 0 = Monday .. 6 = Sunday.",
    )
    start_minute: float = Field(
        default=480, ge=0, lt=MINUTES_PER_DAY, description="Service start, minute of day."
    )
    end_minute: float = Field(
        default=1080, gt=0, le=MINUTES_PER_DAY, description="Service end, minute of day."
    )

    @model_validator(mode="after")
    def _valid_week(self) -> ServiceCalendar:
        if not self.weekdays:
            raise ValueError("a service calendar needs at least one weekday")
        bad = [d for d in self.weekdays if not 0 <= d <= 6]
        if bad:
            raise ValueError(f"weekdays {bad} are not in 0 (Monday) .. 6 (Sunday)")
        if len(set(self.weekdays)) != len(self.weekdays):
            raise ValueError(f"weekdays {self.weekdays} repeat a day")
        if self.end_minute <= self.start_minute:
            raise ValueError(
                f"service end_minute {self.end_minute} must be after start_minute "
                f"{self.start_minute}"
            )
        return self

    @property
    def hours_per_year(self) -> float:
        """Service hours in a 365-day year (weekly hours × 365/7)."""
        weekly = len(self.weekdays) * (self.end_minute - self.start_minute) / 60.0
        return weekly * WEEKS_PER_YEAR

    def is_open(self, minute: float, horizon_start_day: int = 0) -> bool:
        """Whether the clock runs at ``minute`` (absolute minutes from the start of a horizon
        whose day 0 is calendar day ``horizon_start_day``, days since a Monday)."""
        day, minute_of_day = divmod(minute, MINUTES_PER_DAY)
        weekday = (horizon_start_day + int(day)) % 7
        return weekday in self.weekdays and self.start_minute <= minute_of_day < self.end_minute


ServiceHours = Literal["24/7"] | ServiceCalendar
"""When a tier's response clock runs: always, or inside a weekly calendar."""


def service_hours_per_year(hours: ServiceHours) -> float:
    """Hours per year a tier's clock runs: 8,760 for 24/7, else its calendar's."""
    return HOURS_PER_YEAR if hours == "24/7" else hours.hours_per_year


class Tier(Strict):
    """A service contract level (SLA): what is promised, what it earns, what a breach costs."""

    id: Identifier
    name: str = ""
    response_minutes: Positive = Field(
        description="Promised time from call to technician on site, minutes."
    )
    attainment_target: Probability = Field(
        description="Share of calls that must be answered within the promise, in (0, 1]."
    )
    parts_on_hand_target: Probability | None = Field(
        default=None,
        description="Share of this tier's calls whose parts must be on hand at the serving depot, "
        "in (0, 1]; defaults to attainment_target.",
    )
    annual_fee: NonNegative = Field(default=0, description="Contract fee per site, currency/year.")
    credit_per_breach: NonNegative = Field(
        default=0, description="Service credit owed per call answered late, currency."
    )
    credit_cap_per_year: NonNegative = Field(
        default=0, description="Most credits one site's contract can earn in a year, currency."
    )
    hard: bool = Field(
        default=False,
        description="If true, no site of this tier may be served from a depot outside the promise.",
    )
    service_hours: ServiceHours = Field(
        default="24/7",
        description="When the response clock runs and calls arrive: '24/7' or a weekly "
        "calendar {weekdays, start_minute, end_minute} (weekday 0 = Monday; horizon day d is "
        "weekday (horizon_start_day + d) mod 7).",
    )

    @property
    def service_hours_per_year(self) -> float:
        """Hours per year this tier's clock runs (8,760 for 24/7)."""
        return service_hours_per_year(self.service_hours)

    @property
    def fill_target(self) -> float:
        """Parts-on-hand target, falling back to the attainment target."""
        return self.parts_on_hand_target or self.attainment_target


class PartUsage(Strict):
    """How likely one failure of a product is to consume one unit of a part."""

    part: Identifier
    probability: Probability = Field(description="Probability a failure needs this part, (0, 1].")


class Product(Strict):
    """A kind of installed equipment and what its failures demand."""

    id: Identifier
    name: str = ""
    failure_rate_per_unit_year: Positive = Field(
        description="Failures per installed unit per year."
    )
    preventive_visits_per_unit_year: NonNegative = Field(
        default=0, description="Planned maintenance visits per installed unit per year."
    )
    parts: list[PartUsage] = Field(default_factory=list)
    repair_minutes: Positive = Field(description="On-site repair duration, minutes.")
    skill: Identifier = Field(description="Skill a technician needs to repair this product.")
    criticality: int = Field(default=1, ge=1, le=5, description="1 (low) to 5 (line down).")
    loanable: bool = Field(default=False, description="A loaner unit can replace it during repair.")


class Part(Strict):
    """A spare part: what it costs to hold and how fast it comes back."""

    id: Identifier
    name: str = ""
    unit_cost: Positive = Field(description="Purchase value of one unit, currency.")
    holding_cost_rate_per_year: NonNegative = Field(
        default=0.25, description="Holding cost as a share of unit cost, per year."
    )
    lead_time_days: Positive = Field(
        description="Replenishment (repair or resupply) turnaround of one unit, days."
    )
    volume_liters: NonNegative = Field(default=0, description="Storage volume of one unit, litres.")
    emergency_cost: NonNegative | None = Field(
        default=None,
        description="Cost of one emergency shipment of this part, currency; "
        "defaults to costs.emergency_shipment_cost.",
    )


class Site(Strict):
    """A customer location under contract."""

    id: Identifier
    name: str = ""
    lat: float = Field(ge=-90, le=90, description="Latitude, degrees.")
    lon: float = Field(ge=-180, le=180, description="Longitude, degrees.")
    node: Identifier | None = Field(
        default=None,
        description="Road-graph node it stands on (travel mode 'graph'); default: its id.",
    )
    tier: Identifier
    installed_base: dict[Identifier, int] = Field(
        description="Installed units per product id (each count ≥ 1)."
    )
    depot: Identifier | None = Field(
        default=None,
        description="Depot serving the site today; used when the network layer is not solved.",
    )
    customer_exclusive: bool = Field(
        default=False, description="The customer paid for stock kept apart for it alone."
    )


class Depot(Strict):
    """A candidate or existing forward stocking location, home of technicians."""

    id: Identifier
    name: str = ""
    lat: float = Field(ge=-90, le=90, description="Latitude, degrees.")
    lon: float = Field(ge=-180, le=180, description="Longitude, degrees.")
    node: Identifier | None = Field(
        default=None,
        description="Road-graph node it stands on (travel mode 'graph'); default: its id.",
    )
    existing: bool = Field(default=False, description="Open today.")
    fixed_cost_per_year: NonNegative = Field(description="Cost of keeping it open, currency/year.")
    opening_cost: NonNegative = Field(default=0, description="One-off cost to open it, currency.")
    closing_cost: NonNegative = Field(default=0, description="One-off cost to close it, currency.")
    capacity_calls_per_year: Positive | None = Field(
        default=None, description="Most service calls per year it can handle; none = unlimited."
    )


class Shift(Strict):
    """One working day of a technician."""

    day: int = Field(
        ge=0,
        description="Day of the horizon, 0-based (weekday (horizon_start_day + day) mod 7).",
    )
    start_minute: float = Field(ge=0, le=MINUTES_PER_DAY, description="Shift start, minute of day.")
    end_minute: float = Field(
        gt=0, le=2 * MINUTES_PER_DAY, description="Shift end, minute of day (> 1440 past midnight)."
    )

    @model_validator(mode="after")
    def _end_after_start(self) -> Shift:
        if self.end_minute <= self.start_minute:
            raise ValueError(
                f"shift end_minute {self.end_minute} must be after start_minute {self.start_minute}"
            )
        return self


class Home(Strict):
    """Where a technician's routes start and end when that is not the depot (e.g. their home).

    Its ``id`` joins the one namespace of locations (sites, depots, homes): a travel matrix must
    list it; the haversine model uses ``lat``/``lon``.
    """

    id: Identifier
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    node: Identifier | None = Field(
        default=None,
        description="Road-graph node it stands on (travel mode 'graph'); default: its id.",
    )


class Technician(Strict):
    """A field engineer: where they start, what they can do, when they work, what they cost."""

    id: Identifier
    name: str = ""
    depot: Identifier = Field(
        description="Home depot: routes start and end there unless ``home`` is given; restock "
        "stops refill the van there."
    )
    home: Home | None = Field(
        default=None,
        description="Start and end of every route when the technician does not start at the depot.",
    )
    skills: list[Identifier] = Field(default_factory=list)
    tools: list[Identifier] = Field(
        default_factory=list,
        description="Tools in the van at the start of each route; a restock adds every tool.",
    )
    van_stock: dict[Identifier, int] | None = Field(
        default=None,
        description="Units per part id in the van at the start of each route. Given (even empty): "
        "a request's parts come from the van, and a restock stop at the depot refills every part "
        "the depot stocks. None: no van model; parts come from the depot (emergency delay when "
        "it lacks them).",
    )
    shifts: list[Shift] = Field(default_factory=list)
    hourly_cost: NonNegative = Field(default=60, description="Regular labour cost, currency/hour.")
    overtime_cost_per_hour: NonNegative = Field(
        default=90, description="Labour cost past shift end, currency/hour."
    )
    max_overtime_minutes: NonNegative = Field(
        default=0, description="Most minutes a route may run past shift end."
    )
    break_minutes: NonNegative = Field(default=0, description="Length of the daily break, minutes.")
    break_window_start_minute: float = Field(
        default=690,
        ge=0,
        le=2 * MINUTES_PER_DAY,
        description="Earliest break start, minute of day.",
    )
    break_window_end_minute: float = Field(
        default=840, ge=0, le=2 * MINUTES_PER_DAY, description="Latest break end, minute of day."
    )

    @model_validator(mode="after")
    def _break_fits_window(self) -> Technician:
        window = self.break_window_end_minute - self.break_window_start_minute
        if self.break_minutes > 0 and window < self.break_minutes:
            raise ValueError(
                f"break of {self.break_minutes} min does not fit its window "
                f"[{self.break_window_start_minute}, {self.break_window_end_minute}]"
            )
        return self


class TimeWindow(Strict):
    """An interval in which service may *start*, absolute minutes from horizon start."""

    start: float = Field(description="Earliest service start, minutes from horizon start.")
    end: float = Field(description="Latest service start, minutes from horizon start.")

    @model_validator(mode="after")
    def _ordered(self) -> TimeWindow:
        if self.end < self.start:
            raise ValueError(f"time window end {self.end} is before its start {self.start}")
        return self


class Request(Strict):
    """A service job at a site."""

    id: Identifier
    site: Identifier
    product: Identifier
    kind: RequestKind = "repair"
    opened_minute: float = Field(description="When the call came in, minutes from horizon start.")
    duration_minutes: Positive = Field(description="On-site service time, minutes.")
    required_skills: list[Identifier] = Field(default_factory=list)
    tools: list[Identifier] = Field(
        default_factory=list, description="Tools the technician must carry (not consumed)."
    )
    parts: dict[Identifier, int] = Field(
        default_factory=dict, description="Units needed per part id (each ≥ 1)."
    )
    time_windows: list[TimeWindow] = Field(
        default_factory=list, description="When service may start; empty = any time."
    )
    due_minute: float | None = Field(
        default=None,
        description="SLA due time, minutes from horizon start; default opened + tier response.",
    )
    deferrable: bool = Field(default=False, description="May be left for a later plan at a cost.")
    priority: int = Field(default=1, ge=1, le=5)
    pinned_technician: Identifier | None = Field(
        default=None, description="Already dispatched: must stay with this technician."
    )


class TravelMatrix(Strict):
    """Explicit travel times and distances between named locations (site and depot ids)."""

    locations: list[Identifier]
    minutes: list[list[NonNegative]]
    km: list[list[NonNegative]]

    @model_validator(mode="after")
    def _square(self) -> TravelMatrix:
        n = len(self.locations)
        for name in ("minutes", "km"):
            rows = getattr(self, name)
            if len(rows) != n or any(len(row) != n for row in rows):
                raise ValueError(f"{name} must be a {n} x {n} matrix (one row per location)")
        return self


class TravelModel(Strict):
    """How travel times and distances are obtained."""

    mode: Literal["haversine", "matrix", "graph"] = "haversine"
    circuity_factor: float = Field(
        default=1.3, ge=1, description="Road km per great-circle km (≥ 1)."
    )
    speed_kmh: Positive = Field(default=60, description="Average road speed, km/h.")
    matrix: TravelMatrix | None = None
    graph: RoadGraph | None = Field(
        default=None,
        description="Road graph of mode 'graph': travel is the fastest path over its edges.",
    )

    @model_validator(mode="after")
    def _matrix_given(self) -> TravelModel:
        if self.mode == "matrix" and self.matrix is None:
            raise ValueError("travel mode 'matrix' needs a matrix")
        if self.mode == "graph" and self.graph is None:
            raise ValueError("travel mode 'graph' needs a graph")
        return self


class CostParameters(Strict):
    """Money and time constants that are not tied to one entity."""

    currency: str = "EUR"
    travel_cost_per_km: NonNegative = Field(default=0.5, description="Vehicle cost, currency/km.")
    dispatch_minutes: NonNegative = Field(
        default=30, description="Time from call to technician leaving the depot, minutes."
    )
    emergency_shipment_cost: NonNegative = Field(
        default=250, description="Cost of one emergency part shipment, currency."
    )
    emergency_delay_minutes: NonNegative = Field(
        default=720, description="Time for an emergency shipment to reach the site, minutes."
    )
    deferral_penalty: NonNegative = Field(
        default=200, description="Cost of leaving a deferrable request for later, currency."
    )
    unserved_penalty: NonNegative = Field(
        default=5000, description="Cost of leaving a non-deferrable request unserved, currency."
    )
    change_cost_per_site: NonNegative = Field(
        default=0, description="Cost of moving a site to another depot than today's, currency."
    )
    technician_hours_per_year: Positive = Field(
        default=1720,
        description="Productive hours of one technician per year (the staffing capacity), hours.",
    )
    max_technician_utilisation: Probability = Field(
        default=0.85,
        description="Most share of a pool's productive hours its workload (repairs, preventive "
        "visits and their travel) may fill, in (0, 1].",
    )
    technician_cost_per_year: NonNegative = Field(
        default=103_200,
        description="Yearly labour of a hired technician, currency/year (existing technicians "
        "cost hourly_cost × technician_hours_per_year).",
    )
    hiring_cost_per_technician: NonNegative = Field(
        default=15_000, description="One-off cost of hiring and training a technician, currency."
    )
    relocation_cost_per_technician: NonNegative = Field(
        default=10_000,
        description="One-off cost of moving a technician's home base to another depot, currency.",
    )
    release_cost_per_technician: NonNegative = Field(
        default=30_000,
        description="One-off cost of releasing a technician (severance), currency.",
    )


class Policy(Strict):
    """Business rules that bound the decisions."""

    min_open_depots: int | None = Field(default=None, ge=0)
    max_open_depots: int | None = Field(default=None, ge=1)
    horizon_days: int = Field(default=5, ge=1, description="Days covered by routing.")
    attainment: Literal["binding", "priced"] = Field(
        default="binding",
        description="'binding': each tier's forecast attainment must reach its target (a "
        "constraint of the network model); 'priced': breaches only cost their credits, and a "
        "site whose expected credits reach its cap also costs its annual fee (contract at risk).",
    )

    @model_validator(mode="after")
    def _bounds_ordered(self) -> Policy:
        low, high = self.min_open_depots, self.max_open_depots
        if low is not None and high is not None and low > high:
            raise ValueError(f"min_open_depots {low} exceeds max_open_depots {high}")
        return self


class InventorySettings(Strict):
    """Rules of the tactical (stock) layer. Leaving the section out keeps every default,
    including the validator's per-tier target check."""

    target_scope: Literal["depot", "site"] = Field(
        default="depot",
        description="Where a tier's parts-on-hand target is measured: the demand-weighted fill "
        "of each stock pool over its tier sites' parts ('depot'), or of each site ('site').",
    )
    check_fill_targets: bool = Field(
        default=True,
        description="Validator reports stock_target_missed when a target group falls short.",
    )
    max_level_per_part: int | None = Field(
        default=None, ge=1, description="Most units of one part in one pool; none = unbounded."
    )
    holding_budget_per_year: NonNegative | None = Field(
        default=None, description="Cap on total stock holding cost, currency/year; none = no cap."
    )
    loaner_unavailability_target: Probability | None = Field(
        default=None,
        description="Most probability that a customer of a loanable product finds no loaner at "
        "its depot (Erlang loss), in (0, 1]; none = loaner pools are not sized.",
    )
    loaner_days: Positive = Field(
        default=14, description="Days a loaner stays out: repair turnaround of the customer's unit."
    )
    loaner_cost_per_unit_year: NonNegative = Field(
        default=0, description="Cost of keeping one loaner unit, currency/year."
    )


FrozenLayer = Literal["network", "stock", "routing"]
"""A layer ``SolveOptions.freeze`` can keep as in the previous plan."""
FROZEN_LAYERS: tuple[FrozenLayer, ...] = ("network", "stock", "routing")


class StabilityCosts(Strict):
    """What a re-solve pays, in its objective, for each change against the previous plan.

    These are the planner's prices of disruption (a customer told of a new depot, a stock
    transfer, a technician's day rearranged), not costs the scenario's business data knows; they
    only mean something when a previous plan is given, so they live in the solve options: the
    same scenario can be solved cold, warm, or warm at a price per change. All default to 0
    (no stability term; old files load unchanged).
    """

    site_move: NonNegative = Field(
        default=0,
        description="Cost of serving a site from another depot than the previous plan's, "
        "currency per site (added to the network MILP's assignment cost).",
    )
    stock_change: NonNegative = Field(
        default=0,
        description="Cost of changing one stock level from the previous plan's, currency per "
        "(depot, part, pool) level changed.",
    )
    stock_unit: NonNegative = Field(
        default=0,
        description="Cost of each unit a stock level moves from the previous plan's, "
        "currency per unit (up or down).",
    )
    visit_reassign: NonNegative = Field(
        default=0,
        description="Cost of serving a request of the previous plan on another technician or "
        "calendar day, currency per visit (also a request the previous plan served and this "
        "one leaves unserved).",
    )

    @property
    def any(self) -> bool:
        """Whether any change has a price."""
        return any(
            v > 0 for v in (self.site_move, self.stock_change, self.stock_unit, self.visit_reassign)
        )


NIGHTLY_FREEZE: tuple[FrozenLayer, ...] = ("network", "stock")
"""The recommended nightly options: network and stock kept, routing re-solved warm."""


class SolveOptions(Strict):
    """How to solve: which layers, how long, how reproducibly."""

    time_limit_seconds: Positive = Field(default=60, description="Wall-clock limit, all layers.")
    seed: int = Field(default=0, ge=0)
    layers: list[Layer] = Field(default_factory=lambda: list(ALL_LAYERS))
    mip_gap: float = Field(default=1e-4, ge=0, lt=1, description="Relative MILP gap to stop at.")
    mip_solver: Literal["highs", "cbc"] = "highs"
    strict: bool = Field(
        default=False,
        description="Fail the solve if a non-deferrable request is unserved or a tier's "
        "attainment target is missed (with the same diagnosis).",
    )
    simulate_replications: int = Field(
        default=0,
        ge=0,
        description="Replications of the SLA-attainment simulation run after the solve; 0 = off.",
    )
    simulate_years: float = Field(default=1, gt=0, description="Simulated years per replication.")
    refit_rounds: int = Field(
        default=1,
        ge=0,
        le=5,
        description="Times the network's stock-cost curve is refitted from the inventory layer "
        "and the network re-solved (when both layers run).",
    )
    verify: bool = Field(
        default=False,
        description="Simulate the plan after the solve; tighten and re-solve the tiers whose "
        "simulated lower 95 % bound is below target.",
    )
    verify_rounds: int = Field(
        default=2, ge=0, le=10, description="Most tighten-and-re-solve rounds of verify."
    )
    deterministic: bool | None = Field(
        default=None,
        description="Stop every layer on work limits derived from its time share and the "
        "instance size (HiGHS nodes on one thread, routing-search iterations) instead of the "
        "wall clock, so the same scenario, options and seed give the same plan on a loaded or "
        "an idle machine; the wall clock stays a safety cap of 3x each share. Unset: the "
        "interface's default (false in Python and the CLI, true over HTTP).",
    )

    freeze: list[FrozenLayer] = Field(
        default_factory=list,
        description="Layers kept as in the previous plan (needs one): 'network' keeps open "
        "depots, assignments and staffing; 'stock' keeps the stock levels; 'routing' keeps the "
        "routes (moved into this scenario's horizon). Nightly: ['network', 'stock'].",
    )
    freeze_before_minute: float | None = Field(
        default=None,
        description="Pin every visit of the previous plan that starts before this minute "
        "(minutes from this scenario's horizon start): same technician, day and start. "
        "Needs a previous plan; none = no pins.",
    )
    stability: StabilityCosts = Field(
        default_factory=StabilityCosts,
        description="Costs per change against the previous plan, in each layer's objective.",
    )

    @property
    def repeatable(self) -> bool:
        """Whether this solve runs on work limits (``deterministic``, unset = false)."""
        return bool(self.deterministic)


class Scenario(Strict):
    """Everything one solve needs. Cross-references are checked on construction."""

    name: str = "scenario"
    horizon_start_day: int = Field(
        default=0,
        ge=0,
        description="Calendar day of the horizon's day 0, days since a Monday epoch: horizon "
        "day d falls on weekday (horizon_start_day + d) mod 7 (0 = Monday). `aftersales roll` "
        "advances it; 0 (a Monday) for files written before it existed.",
    )
    skills: list[Identifier] = Field(default_factory=list, description="Declared skill ids.")
    tiers: list[Tier]
    products: list[Product]
    parts: list[Part] = Field(default_factory=list)
    sites: list[Site]
    depots: list[Depot]
    technicians: list[Technician] = Field(default_factory=list)
    requests: list[Request] = Field(default_factory=list)
    travel: TravelModel = Field(default_factory=TravelModel)
    costs: CostParameters = Field(default_factory=CostParameters)
    policy: Policy = Field(default_factory=Policy)
    options: SolveOptions = Field(default_factory=SolveOptions)
    inventory: InventorySettings | None = Field(
        default=None, description="Stock-layer rules; none = defaults, no target check."
    )

    @model_validator(mode="after")
    def _references_resolve(self) -> Scenario:
        check_references(self)
        return self
