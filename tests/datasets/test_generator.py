"""Tests of the seeded synthetic scenario generator (aftersales.datasets.generator)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from aftersales.datasets.generator import (
    DAY_BUDGET_MINUTES,
    HORIZON_DAYS,
    SIZES,
    SizeSpec,
    generate_scenario,
    scenario_json,
)
from aftersales.optimizer.network import compile_network, current_network
from aftersales.optimizer.pipeline import solve
from aftersales.optimizer.rates import site_rates
from aftersales.optimizer.schema import MINUTES_PER_DAY, Scenario, SolveOptions
from aftersales.optimizer.simulate.economics import tier_economics
from aftersales.optimizer.staffing import compile_staffing
from aftersales.optimizer.travel import Travel, haversine_km
from aftersales.optimizer.validate import validate

GERMANY = {"lat": (47.27, 55.06), "lon": (5.87, 15.04)}
"""Bounding box of Germany, degrees."""
SEEDS = {"S": 0, "M": 1, "L": 2}
"""Seed used for each size's shared scenario (L is generated once, it takes ~0.3 s)."""


@pytest.fixture(scope="module", params=list(SEEDS))
def generated(request: pytest.FixtureRequest) -> tuple[str, Scenario]:
    """One scenario per size (S, M and L once), shared by the module's tests; do not mutate."""
    size = request.param
    return size, generate_scenario(size, seed=SEEDS[size])


@pytest.fixture
def scenario(generated: tuple[str, Scenario]) -> Scenario:
    """The scenario of the current size."""
    return generated[1]


def test_same_seed_gives_identical_json() -> None:
    """Two runs with the same size, seed and country produce byte-identical JSON."""
    assert scenario_json(generate_scenario("S", seed=7)) == scenario_json(
        generate_scenario("S", seed=7)
    )


def test_different_seeds_differ() -> None:
    """Different seeds produce different scenarios."""
    assert scenario_json(generate_scenario("S", seed=1)) != scenario_json(
        generate_scenario("S", seed=2)
    )


def test_json_round_trips(scenario: Scenario) -> None:
    """The JSON text re-validates into an equal Scenario and ends with a newline."""
    text = scenario_json(scenario)
    assert text.endswith("}\n")
    assert Scenario.model_validate_json(text) == scenario


def test_counts_match_size(generated: tuple[str, Scenario]) -> None:
    """Every collection has the size's count; about a quarter of the depots exist."""
    size, scenario = generated
    spec = SIZES[size]
    assert len(scenario.sites) == spec.sites
    assert len(scenario.depots) == spec.depots
    assert len(scenario.parts) == spec.parts
    assert len(scenario.products) == spec.products
    assert len(scenario.technicians) >= spec.technicians  # a floor: the workload sets it
    assert len(scenario.requests) == spec.requests
    existing = sum(d.existing for d in scenario.depots)
    assert existing == spec.existing_depots >= 2
    assert existing == max(2, round(spec.depots / 4))
    assert scenario.name == f"synthetic-{size}-seed{SEEDS[size]}-DE"


def test_size_table_is_as_specified() -> None:
    """The four sizes have the agreed counts and about one product per ten parts."""
    counts = {
        name: (s.sites, s.depots, s.parts, s.technicians, s.requests) for name, s in SIZES.items()
    }
    assert counts == {
        "S": (50, 8, 20, 6, 40),
        "M": (500, 40, 200, 30, 300),
        "L": (2000, 100, 1000, 100, 1000),
        "XL": (10000, 300, 5000, 300, 3000),
    }
    assert all(s.products == max(4, s.parts // 10) for s in SIZES.values())


def test_ids_are_padded_and_sorted(scenario: Scenario) -> None:
    """Ids of each collection have one width and appear in sorted order."""
    for items in (scenario.sites, scenario.depots, scenario.parts, scenario.products,
                  scenario.technicians, scenario.requests):  # fmt: skip
        ids = [item.id for item in items]
        assert ids == sorted(ids)
        assert len({len(i) for i in ids}) == 1


def test_coordinates_inside_germany(scenario: Scenario) -> None:
    """Every site and depot lies inside Germany's bounding box."""
    places = [(s.id, s.lat, s.lon) for s in scenario.sites]
    places += [(d.id, d.lat, d.lon) for d in scenario.depots]
    for place_id, lat, lon in places:
        assert GERMANY["lat"][0] <= lat <= GERMANY["lat"][1], place_id
        assert GERMANY["lon"][0] <= lon <= GERMANY["lon"][1], place_id


def test_tiers_promise_4h_next_day_and_72h(scenario: Scenario) -> None:
    """Gold, silver and bronze promise 240, 1440 and 4320 minutes; credits are capped sanely."""
    promises = {t.id: (t.response_minutes, t.attainment_target) for t in scenario.tiers}
    assert promises == {"gold": (240, 0.95), "silver": (1440, 0.9), "bronze": (4320, 0.85)}
    for tier in scenario.tiers:
        assert not tier.hard
        assert 0 < tier.credit_per_breach < tier.credit_cap_per_year < tier.annual_fee


def test_site_depot_is_nearest_existing_depot(scenario: Scenario) -> None:
    """Each site's depot today is the great-circle-nearest existing depot."""
    existing = [d for d in scenario.depots if d.existing]
    km = haversine_km(
        np.array([s.lat for s in scenario.sites])[:, None],
        np.array([s.lon for s in scenario.sites])[:, None],
        np.array([d.lat for d in existing])[None, :],
        np.array([d.lon for d in existing])[None, :],
    )
    nearest = [existing[j].id for j in np.argmin(km, axis=1)]
    assert [s.depot for s in scenario.sites] == nearest


def test_every_part_is_used_by_a_product(scenario: Scenario) -> None:
    """Each part is consumed by some product; each product uses at least three parts."""
    used = {usage.part for product in scenario.products for usage in product.parts}
    assert used == {part.id for part in scenario.parts}
    for product in scenario.products:
        assert len(product.parts) >= 3
        assert all(0.05 <= usage.probability <= 0.6 for usage in product.parts)


def test_every_skill_is_needed_and_held(scenario: Scenario) -> None:
    """Every declared skill is some product's skill and some technician's skill."""
    declared = set(scenario.skills)
    assert 4 <= len(declared) <= 8
    assert {product.skill for product in scenario.products} == declared
    assert {s for tech in scenario.technicians for s in tech.skills} == declared
    assert all(tech.skills for tech in scenario.technicians)


def test_technicians_work_weekdays_from_existing_depots(scenario: Scenario) -> None:
    """Technicians live at existing depots and work 08:00-17:00 on each horizon day."""
    existing = {d.id for d in scenario.depots if d.existing}
    assert scenario.policy.horizon_days == HORIZON_DAYS
    assert {tech.depot for tech in scenario.technicians} == existing
    for tech in scenario.technicians:
        assert [(s.day, s.start_minute, s.end_minute) for s in tech.shifts] == [
            (day, 480, 1020) for day in range(HORIZON_DAYS)
        ]
        assert 45 <= tech.hourly_cost <= 75
        assert tech.overtime_cost_per_hour == pytest.approx(1.5 * tech.hourly_cost, abs=0.01)


def test_capacity_fits_todays_network_and_40_percent(scenario: Scenario) -> None:
    """Existing depots carry their sites today; 40 % of the depots can carry all visits."""
    visits = site_rates(scenario).visits_per_year
    capacity = {d.id: d.capacity_calls_per_year or math.inf for d in scenario.depots}
    assert math.inf not in capacity.values()
    load = dict.fromkeys(capacity, 0.0)
    for site, site_visits in zip(scenario.sites, visits, strict=True):
        assert site.depot is not None
        load[site.depot] += site_visits
    assert all(load[d] <= capacity[d] for d in capacity)
    largest = sorted(capacity.values(), reverse=True)[: math.ceil(0.4 * len(capacity))]
    assert sum(largest) >= visits.sum()


def test_requests_match_sites_products_and_horizon(scenario: Scenario) -> None:
    """Requests concern installed products, need only their parts, and fit the horizon."""
    sites = {s.id: s for s in scenario.sites}
    products = {p.id: p for p in scenario.products}
    horizon_end = HORIZON_DAYS * MINUTES_PER_DAY
    for request in scenario.requests:
        product = products[request.product]
        assert request.product in sites[request.site].installed_base
        assert request.required_skills == [product.skill]
        assert set(request.parts) <= {u.part for u in product.parts}
        assert all(0 <= w.start <= w.end <= horizon_end for w in request.time_windows)
        if request.kind == "repair":
            day, minute = divmod(request.opened_minute, MINUTES_PER_DAY)
            assert 0 <= day < HORIZON_DAYS
            assert 420 <= minute <= 960
            assert request.due_minute is None
            assert request.duration_minutes == product.repair_minutes
        else:
            assert not request.parts
            assert request.due_minute == request.time_windows[-1].end
            assert request.deferrable == (request.kind == "preventive")
    kinds = {r.kind for r in scenario.requests}
    assert kinds == {"repair", "preventive", "install"}


def test_every_request_is_a_feasible_day_trip(scenario: Scenario) -> None:
    """Some qualified technician can drive out, do the job and drive back within one shift."""
    travel = Travel(scenario)
    homes = sorted({t.depot for t in scenario.technicians})
    minutes = travel.minutes(homes, [r.site for r in scenario.requests])
    row = {depot: i for i, depot in enumerate(homes)}
    for k, request in enumerate(scenario.requests):
        one_way = min(
            minutes[row[t.depot], k]
            for t in scenario.technicians
            if set(request.required_skills) <= set(t.skills)
        )
        assert 2 * one_way + request.duration_minutes <= DAY_BUDGET_MINUTES + 1e-6, request.id


def test_size_and_country_are_case_insensitive() -> None:
    """Lower-case size and country codes give the canonical scenario."""
    assert generate_scenario("s", seed=3, country="de") == generate_scenario("S", seed=3)


def test_other_country_uses_its_cities() -> None:
    """A French scenario is named for France and lies in metropolitan France's latitudes."""
    scenario = generate_scenario("S", seed=0, country="FR")
    assert scenario.name == "synthetic-S-seed0-FR"
    assert all(41 <= s.lat <= 51.2 for s in scenario.sites)


def test_unknown_size_names_valid_sizes() -> None:
    """An unknown size raises ValueError listing S, M, L and XL."""
    with pytest.raises(ValueError, match=r"unknown size 'XXL'.*S, M, L, XL"):
        generate_scenario("XXL")


def test_unknown_country_raises() -> None:
    """An unknown country code raises ValueError naming the code."""
    with pytest.raises(ValueError, match="unknown country code 'XX'"):
        generate_scenario("S", country="XX")


def test_country_with_too_few_cities_raises() -> None:
    """Luxembourg has too few large cities for eight distinct candidate depots."""
    with pytest.raises(ValueError, match=r"'LU' has \d+ cities.*size S needs 8"):
        generate_scenario("S", country="LU")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"sites": 0}, "sites must be at least 1"),
        ({"depots": 1}, "depots must be at least 2"),
        ({"parts": 11}, "at least 3 per product"),
        ({"technicians": 1}, "must staff each of the 2 existing depots"),
        ({"requests": 2.5}, "requests must be an int"),
    ],
)
def test_size_spec_rejects_bad_counts(changes: dict[str, object], message: str) -> None:
    """SizeSpec refuses counts the generator cannot honour, naming the field."""
    counts: dict[str, object] = {
        "sites": 50, "depots": 8, "parts": 20, "technicians": 6, "requests": 40, "products": 4
    }  # fmt: skip
    with pytest.raises(ValueError, match=message):
        SizeSpec(**{**counts, **changes})  # type: ignore[arg-type]


def test_todays_technicians_fit_the_workload(generated: tuple[str, Scenario]) -> None:
    """Each (existing depot, skill) pool — a technician counts in his first skill's — carries
    today's work by the hours rule (work ≤ 85 % × 1,720 h × technicians, recomputed by the
    staffing model), and holds no technician more than that rule needs (at least one per
    depot) once the size's floor of technicians is passed."""
    size, scenario = generated
    data = compile_network(scenario)
    staffing = compile_staffing(scenario, 0.0)
    assert staffing is not None
    today = current_network(data)
    sites = np.arange(len(data.site_ids))
    capacity = staffing.max_utilisation * staffing.hours_per_technician
    need = np.zeros(staffing.existing.shape, dtype=int)
    for k in range(len(staffing.skills)):
        work = staffing.work_hours(data.minutes, k)[sites, today.depot_of_site]
        pool_work = np.bincount(today.depot_of_site, weights=work, minlength=len(data.depot_ids))
        assert (pool_work <= capacity * staffing.existing[:, k] * (1 + 1e-6)).all()
        need[:, k] = np.ceil(pool_work / capacity - 1e-6)
    existing = data.existing
    need[existing & (need.sum(axis=1) == 0), 0] = 1
    if need.sum() >= SIZES[size].technicians:
        assert (staffing.existing <= np.maximum(need, 1) * (staffing.existing > 0)).all()
        assert staffing.existing.sum() <= need.sum() + existing.sum()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fees_pay_for_the_cost_to_serve(seed: int) -> None:
    """S seeds 0-2 solved (network and stock, binding): every tier's fees exceed its cost to
    serve as the report shares it (positive margin)."""
    scenario = generate_scenario("S", seed=seed)
    options = SolveOptions(layers=["network", "inventory"], time_limit_seconds=30)
    plan = solve(scenario, options)
    assert validate(scenario, plan).violations == []
    economics = {e.tier: e for e in tier_economics(scenario, plan)}
    assert set(economics) == {"gold", "silver", "bronze"}
    for tier in economics.values():
        assert tier.margin_per_year > 0, tier
