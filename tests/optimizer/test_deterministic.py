"""Deterministic solves (issue #12 item 5, #11 item 4): work limits instead of the wall clock."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import highspy
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aftersales.benchmarks.orlib_cap import FOLDER, facility_from_cap
from aftersales.datasets.generator import generate_scenario
from aftersales.datasets.orlib_cap import read_orlib_cap
from aftersales.optimizer.network.milp import solve_facility
from aftersales.optimizer.pipeline import LAYER_SHARE, TimeBudget, solve
from aftersales.optimizer.routing.budget import (
    MIN_ITERATIONS,
    PYVRP_ITERATIONS_PER_SECOND,
    ortools_solutions,
    pyvrp_iterations,
)
from aftersales.optimizer.schema import Plan, Scenario, SolveOptions
from aftersales.optimizer.validate import validate
from aftersales.optimizer.work import (
    CUT_BY_CAP,
    MIN_EXTRA_SECONDS,
    SAFETY_FACTOR,
    cap_seconds,
    configure_highs,
    node_budget,
)

HOG_SECONDS = 120.0
"""A CPU hog stops by itself after this long, should the test die before killing it."""
SPIN = f"import time\nend = time.monotonic() + {HOG_SECONDS}\nwhile time.monotonic() < end: pass"


@contextmanager
def cpu_hogs() -> Iterator[None]:
    """One busy-looping process per core beside the test, for as long as the block runs."""
    hogs = [subprocess.Popen([sys.executable, "-c", SPIN]) for _ in range(os.cpu_count() or 2)]
    try:
        yield
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()


def comparable(plan: Plan) -> dict[str, Any]:
    """The plan's JSON without what may differ between identical solves: each layer's wall
    seconds (the only wall times a deterministic plan carries; it has no timestamps)."""
    document = json.loads(plan.model_dump_json())
    for layer in document["layers"]:
        layer.pop("seconds")
    return document


@pytest.fixture(scope="module")
def small_real() -> Scenario:
    """Generated S (seed 0), solved with every layer on work budgets of a 2-s limit: the
    contract MILP stops on its node limit (it needs about 500 nodes to close), the routing
    search on its iteration limit, and 2 simulated quarter-years check the plan."""
    scenario = generate_scenario("S", seed=0)
    options = scenario.options.model_copy(
        update={
            "time_limit_seconds": 2.0,
            "deterministic": True,
            "refit_rounds": 0,
            "simulate_replications": 2,
            "simulate_years": 0.25,
        }
    )
    return scenario.model_copy(update={"options": options})


def test_deterministic_solve_repeats_under_cpu_load(small_real: Scenario) -> None:
    """The same deterministic solve, idle and beside one CPU hog per core, gives the same plan
    byte for byte (layer wall seconds aside), and that plan keeps every rule."""
    idle = solve(small_real)
    with cpu_hogs():
        loaded = solve(small_real)
    for plan in (idle, loaded):
        cut = [layer.layer for layer in plan.layers if CUT_BY_CAP in layer.message]
        # only a machine slowed down past the cap (3x the share, 60 s at least) may cut
        assert not cut, f"{cut} cut by the cap at load {os.getloadavg()}"
    routing = next(layer for layer in idle.layers if layer.layer == "routing")
    assert "deterministic work limits: PyVRP" in routing.message
    network = next(layer for layer in idle.layers if layer.layer == "network")
    assert "Solution limit reached" in network.message  # the node limit, not the clock, stopped
    assert comparable(idle) == comparable(loaded)
    assert idle.kpis
    assert all(k.simulated_attainment is not None for k in idle.kpis)
    report = validate(small_real, idle)
    assert report.ok, report.violations[:5]


def test_old_scenario_options_load_and_default_to_the_wall_clock() -> None:
    """Options written before the field existed load; unset means the wall clock in Python."""
    options = SolveOptions.model_validate({"time_limit_seconds": 5, "seed": 1})
    assert options.deterministic is None
    assert not options.repeatable
    assert SolveOptions(deterministic=True).repeatable


def test_deterministic_time_budget_ignores_the_clock() -> None:
    """A deterministic budget gives each layer its nominal share, however long the layers
    before it took (here: a start 100 s in the past, past the whole 10-s limit)."""
    layers = ["network", "inventory", "routing"]
    past = TimeBudget(started=-100.0, limit_seconds=10.0, layers=layers, deterministic=True)
    assert past.for_layer("network") == pytest.approx(10.0 * LAYER_SHARE["network"])
    assert past.for_layer("routing") == pytest.approx(10.0 * LAYER_SHARE["routing"])
    only_routing = TimeBudget(-100.0, 10.0, ["routing"], deterministic=True)
    assert only_routing.for_layer("routing") == pytest.approx(10.0)
    assert TimeBudget(-100.0, 10.0, layers).for_layer("routing") == 0.0  # the clock's budget


def test_cap_is_generous_and_only_for_deterministic_runs() -> None:
    """The safety cap: 3x the share, at least 60 s more; a wall-clock run keeps its share."""
    assert cap_seconds(10.0, False) == 10.0
    assert cap_seconds(2.0, True) == 2.0 + MIN_EXTRA_SECONDS
    assert cap_seconds(100.0, True) == 100.0 * SAFETY_FACTOR


@given(
    jobs=st.integers(1, 5_000),
    seconds=st.floats(0.01, 3_600),
    more=st.floats(0, 3_600),
    dimensions=st.integers(0, 20),
)
def test_work_budgets_grow_with_time(
    jobs: int, seconds: float, more: float, dimensions: int
) -> None:
    """More time never buys less work; a model with more load dimensions never gets more
    iterations."""
    assert pyvrp_iterations(jobs, seconds + more, dimensions) >= pyvrp_iterations(
        jobs, seconds, dimensions
    )
    assert pyvrp_iterations(jobs, seconds, dimensions + 1) <= pyvrp_iterations(
        jobs, seconds, dimensions
    )
    assert pyvrp_iterations(jobs, seconds, dimensions) >= MIN_ITERATIONS
    assert ortools_solutions(jobs, seconds + more) >= ortools_solutions(jobs, seconds)
    assert node_budget(seconds + more) >= node_budget(seconds)


def test_iteration_rate_falls_with_size() -> None:
    """Larger models get fewer iterations per second (each iteration costs more)."""
    rates = [rate for _, rate in PYVRP_ITERATIONS_PER_SECOND]
    assert rates == sorted(rates, reverse=True)
    # 40 jobs (S) for 2 s: 2,600 iterations a second -> 5,200
    assert pyvrp_iterations(40, 2.0, 0) == 5_200
    # Solomon's one capacity dimension keeps the full rate; TRSP's 9 get a tenth of it
    assert pyvrp_iterations(100, 1.0, 1) == 1_700
    assert pyvrp_iterations(100, 1.0, 9) == 170


def test_deterministic_highs_runs_on_one_thread_and_a_node_limit() -> None:
    """configure_highs sets one thread, the seed and the node budget of the share."""
    model = highspy.Highs()
    configure_highs(model, 3.0, mip_gap=1e-4, seed=7, deterministic=True)
    options = model.getOptions()
    assert options.threads == 1
    assert options.random_seed == 7
    assert options.mip_max_nodes == node_budget(3.0)
    assert options.time_limit == pytest.approx(cap_seconds(3.0, True), abs=0.1)


def test_deterministic_milp_repeats_and_reports_its_node_limit() -> None:
    """cap131 (50 depots x 50 sites) stopped by a 50-node budget gives the same solution twice
    and says the work limit stopped it; the time_limit status says it is not proven."""
    problem = facility_from_cap(read_orlib_cap(FOLDER / "cap131.txt"))
    first, second = (solve_facility(problem, 0.1, deterministic=True) for _ in range(2))
    assert first.has_solution
    assert first.objective == second.objective
    assert (first.is_open == second.is_open).all()
    assert first.status in ("optimal", "time_limit")
    if first.status == "time_limit":
        assert "Solution limit reached" in first.message
