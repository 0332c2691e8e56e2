"""Tests of the SLA-attainment simulation (aftersales.optimizer.simulate) on the generated S
scenario."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from aftersales.datasets.generator import generate_scenario
from aftersales.optimizer.cli import app
from aftersales.optimizer.pipeline import solve
from aftersales.optimizer.schema import Plan, Scenario
from aftersales.optimizer.simulate import SimulationSettings, compile_simulation, simulate
from aftersales.optimizer.simulate.calendar import next_shift_start, sample_times, shift_end
from aftersales.optimizer.simulate.results import confidence_interval
from aftersales.optimizer.validate import validate

QUARTER = 0.25
"""Simulated years in most tests: enough calls, little time."""


@pytest.fixture(scope="module")
def small() -> tuple[Scenario, Plan]:
    """Generated S scenario (seed 0) and its network + stock plan."""
    scenario = generate_scenario("S", seed=0)
    options = scenario.options.model_copy(
        update={"layers": ["network", "inventory"], "time_limit_seconds": 20}
    )
    plan = solve(scenario, options)
    assert validate(scenario, plan).ok
    return scenario, plan


def test_settings_reject_bad_values() -> None:
    """Non-positive years, zero replications and unknown call hours are refused."""
    with pytest.raises(ValueError, match="years"):
        SimulationSettings(years=0)
    with pytest.raises(ValueError, match="replications"):
        SimulationSettings(replications=0)
    with pytest.raises(ValueError, match="call_hours"):
        SimulationSettings(call_hours="never")  # type: ignore[arg-type]


def test_calendar_mon_fri_shift() -> None:
    """Monday 08:00-17:00: on shift at 09:00 (ends 17:00); Saturday's next shift is Monday 08:00."""
    week = [(480.0, 1020.0)]  # Monday only, minutes of the week
    assert shift_end(week, 540.0) == 1020.0
    assert shift_end(week, 1020.0) is None
    saturday = 5 * 1440.0
    assert next_shift_start(week, saturday) == 7 * 1440.0 + 480.0


def test_sampled_calls_fall_in_the_window() -> None:
    """Under 'shifts' every call time lies inside a weekly window and before the horizon."""
    window = [(d * 1440 + 480.0, d * 1440 + 1020.0) for d in range(5)]
    times = sample_times(np.random.default_rng(1), 5000, 365 * 1440.0, window)
    minute_of_week = times % (7 * 1440)
    inside = np.zeros(len(times), dtype=bool)
    for a, b in window:
        inside |= (minute_of_week >= a) & (minute_of_week < b)
    assert inside.all()
    assert times.max() < 365 * 1440.0


def test_reproducible_and_parallel_equals_serial(small: tuple[Scenario, Plan]) -> None:
    """Same seed, same result; two worker processes give the numbers of one."""
    scenario, plan = small
    serial = simulate(scenario, plan, SimulationSettings(QUARTER, 2, seed=3, workers=1))
    parallel = simulate(scenario, plan, SimulationSettings(QUARTER, 2, seed=3, workers=2))
    for a, b in zip(serial.tiers, parallel.tiers, strict=True):
        assert a.attainment == b.attainment
        assert a.p90_response_minutes == b.p90_response_minutes
    assert serial.costs_per_year == parallel.costs_per_year


def test_unlimited_technicians_match_call_weighted_forecast(small: tuple[Scenario, Plan]) -> None:
    """With a technician always free, the simulation reproduces the analytic forecast (95 % CI)."""
    scenario, plan = small
    settings = SimulationSettings(1.0, 10, seed=0, workers=2, unlimited_technicians=True)
    result = simulate(scenario, plan, settings)
    for tier in result.tiers:
        assert tier.ci_low - 1e-9 <= tier.call_weighted_forecast <= tier.ci_high + 1e-9
        assert tier.agrees, tier


def test_replications_without_spread_fall_back_to_wilson() -> None:
    """Ten replications that all attain 100 % give Wilson's interval over the 200 calls, not [1, 1].

    Wilson at p = 1, n = 200, z = 1.96: low = 1 / (1 + z²/n) = 1 / 1.019208 = 0.981154.
    """
    low, high = confidence_interval(np.ones(10), successes=200, trials=200)
    assert low == pytest.approx(0.981154, abs=1e-6)
    assert high == 1.0
    spread = confidence_interval(np.array([0.9, 1.0]), successes=19, trials=20)
    assert spread[0] < 0.95 < spread[1]  # t interval: mean 0.95, half-width 12.71 × 0.05


def test_too_little_stock_at_one_depot_shows_the_breach(small: tuple[Scenario, Plan]) -> None:
    """Emptying the stock of the depot of most covered gold sites breaks gold calls on parts."""
    scenario, plan = small
    gold_sites = {s.id for s in scenario.sites if s.tier == "gold"}
    covered = [a for a in plan.assignments if a.site in gold_sites and a.within_promise]
    depot = Counter(a.depot for a in covered).most_common(1)[0][0]
    starved = plan.model_copy(
        update={
            "stock": [
                s.model_copy(update={"level": 0}) if s.depot == depot else s for s in plan.stock
            ],
            "kpis": [],
        }
    )
    settings = SimulationSettings(1.0, 4, seed=0, workers=2)
    good = simulate(scenario, plan, settings).tier("gold")
    bad_result = simulate(scenario, starved, settings)
    bad = bad_result.tier("gold")
    # Same seed, same calls (common random numbers): only the stock differs.
    # The good plan's fill is below 1 (a rare gold stock-out breaks a call: < 2 a year); the
    # starved depot's gold calls (≈ 8.75 a year need a part) all wait for a shipment.
    assert good.breaches_per_year["parts"] < 2
    assert bad.breaches_per_year["parts"] >= good.breaches_per_year["parts"] + 2
    assert bad.attainment < good.attainment
    assert bad.stockout_calls_per_year > good.stockout_calls_per_year
    assert bad.attainment < bad.attainment_target
    assert bad.parts_on_hand_share is not None
    assert good.parts_on_hand_share is not None
    assert bad.parts_on_hand_share < good.parts_on_hand_share
    assert bad_result.emergency_shipments_per_year > 0


def test_compile_counts_streams_and_candidates(small: tuple[Scenario, Plan]) -> None:
    """One failure stream per (site, product) of the installed base, each with candidates."""
    scenario, plan = small
    data = compile_simulation(scenario, plan)
    assert len(data.streams) == sum(len(s.installed_base) for s in scenario.sites)
    assert all(data.candidates[(s.site, s.product)] for s in data.streams)


def test_pipeline_simulate_option_fills_kpis(small: tuple[Scenario, Plan]) -> None:
    """simulate_replications > 0 adds simulated KPIs that the validator accepts."""
    scenario, _ = small
    options = scenario.options.model_copy(
        update={
            "layers": ["network", "inventory"],
            "simulate_replications": 2,
            "simulate_years": QUARTER,
        }
    )
    plan = solve(scenario, options)
    assert all(k.simulated_attainment is not None for k in plan.kpis)
    assert all(k.simulated_ci_low <= k.simulated_ci_high for k in plan.kpis)  # type: ignore[operator]
    assert validate(scenario, plan).ok


def test_cli_simulate_writes_plan_with_simulated_kpis(
    small: tuple[Scenario, Plan], tmp_path: Path
) -> None:
    """`aftersales simulate` prints the table and writes the plan with simulated KPIs."""
    scenario, plan = small
    scenario_path, plan_path = tmp_path / "s.json", tmp_path / "p.json"
    scenario_path.write_text(scenario.model_dump_json())
    plan_path.write_text(plan.model_dump_json())
    out = tmp_path / "out.json"
    result = CliRunner().invoke(
        app,
        [
            "simulate",
            str(scenario_path),
            str(plan_path),
            "--years",
            "0.25",
            "--replications",
            "2",
            "-o",
            str(out),
            "--json",
            str(tmp_path / "result.json"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Simulated SLA attainment" in result.output
    summary = json.loads((tmp_path / "result.json").read_text())
    assert [t["tier"] for t in summary["tiers"]] == [t.id for t in scenario.tiers]
    written = Plan.model_validate_json(out.read_text())
    assert all(k.simulated_attainment is not None for k in written.kpis)
