"""Pairs by pricing: the priced MILP reaches the whole model's optimum and its bounds hold."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from aftersales.benchmarks.orlib_cap import FOLDER, facility_from_cap, published_optima
from aftersales.datasets.orlib_cap import read_orlib_cap
from aftersales.optimizer.network.facility import FacilityProblem, cheapest_mask
from aftersales.optimizer.network.milp import build_model, solve_facility
from aftersales.optimizer.network.pricing import generate_pairs

OPTIMA = published_optima()


def full_lp(problem: FacilityProblem) -> float:
    """The LP relaxation's optimum over every pair (the value pricing must reach)."""
    model = build_model(problem)
    model.setOptionValue("solve_relaxation", True)
    model.run()
    return float(model.getInfo().objective_function_value)


@pytest.fixture
def priced_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """The large-model path (pricing) forced on a small file, from each site's cheapest pair."""
    import aftersales.optimizer.network.solver as network_solver

    monkeypatch.setattr(network_solver, "RESTRICT_ABOVE_PAIRS", 0)
    monkeypatch.setattr(network_solver, "NARROW_PAIRS_PER_SITE", 1)
    monkeypatch.setattr(network_solver, "MIN_NARROW_PAIRS_PER_SITE", 1)


@pytest.mark.parametrize("name", ["cap41", "cap131"])
def test_priced_split_model_reaches_the_published_optimum(name: str, priced_path: None) -> None:
    """Split assignment: the MILP over the priced pairs finds the whole model's optimum."""
    from aftersales.optimizer.network.solver import solve_large

    problem = facility_from_cap(read_orlib_cap(FOLDER / f"{name}.txt"))
    solution, method = solve_large(problem, 60, mip_gap=0.0)
    assert "priced pairs" in method
    assert solution.objective == pytest.approx(OPTIMA[name], rel=1e-6)
    assert solution.bound is not None
    assert solution.bound <= OPTIMA[name] * (1 + 1e-9)
    assert problem.objective(solution.is_open, solution.pair_fraction) == pytest.approx(
        solution.objective, rel=1e-9
    )


@pytest.mark.parametrize("name", ["cap71", "cap131"])
def test_priced_single_source_model_proves_the_full_models_optimum(
    name: str, priced_path: None
) -> None:
    """Single-sourcing: the same optimum as HiGHS on every pair, and ``optimal`` proven by the
    priced MILP's bound (the reduced-cost cover), not just found."""
    from aftersales.optimizer.network.solver import solve_large

    problem = replace(facility_from_cap(read_orlib_cap(FOLDER / f"{name}.txt")), single_source=True)
    full = solve_facility(problem, 60, mip_gap=0.0)
    assert full.status == "optimal"
    assert full.objective is not None
    solution, method = solve_large(problem, 60, mip_gap=0.0)
    assert "priced pairs" in method
    assert solution.status == "optimal"
    assert solution.objective == pytest.approx(full.objective, rel=1e-6)
    assert solution.bound is not None
    assert solution.bound <= full.objective * (1 + 1e-9)
    served = np.bincount(problem.pair_site, weights=solution.pair_fraction, minlength=problem.sites)
    assert served == pytest.approx(np.ones(problem.sites))


@pytest.mark.parametrize("name", ["cap41", "cap131"])
def test_column_generation_reaches_the_full_lp_and_each_bound_holds(name: str) -> None:
    """From each site's cheapest pair: every round's Farley bound ≤ the LP over every pair, and
    once nothing prices out the restricted LP equals it."""
    import time

    problem = facility_from_cap(read_orlib_cap(FOLDER / f"{name}.txt"))
    optimum = full_lp(problem)
    initial = cheapest_mask(problem, 1)
    bounds = []
    for rounds in range(1, 6):  # a first round may widen a subset too narrow for the capacities
        _, early = generate_pairs(problem, initial, time.perf_counter() + 60, max_rounds=rounds)
        if early is not None:
            bounds.append(early.bound)
    assert bounds
    assert max(bounds) <= optimum * (1 + 1e-9)
    mask, last = generate_pairs(problem, initial, time.perf_counter() + 60, max_rounds=200)
    assert last is not None
    assert mask.sum() < len(problem.pair_site)
    assert last.lp_value == pytest.approx(optimum, rel=1e-7)
    assert last.bound == pytest.approx(optimum, rel=1e-7)


@pytest.mark.parametrize("name", ["cap101", "cap131"])
def test_cover_holds_every_pair_of_the_single_source_optimum(name: str) -> None:
    """After two pricing rounds from each site's cheapest pair, the cover against a cost above
    the optimum's holds every pair the whole model's optimum uses, though the priced pairs
    alone do not."""
    import time

    from aftersales.optimizer.network.heuristic import heuristic_solution
    from aftersales.optimizer.network.pricing import cover

    problem = replace(facility_from_cap(read_orlib_cap(FOLDER / f"{name}.txt")), single_source=True)
    full = solve_facility(problem, 60, mip_gap=0.0)
    assert full.status == "optimal"
    used = full.pair_fraction > 0.5
    start = heuristic_solution(problem)
    assert start is not None
    initial = cheapest_mask(problem, 1)
    mask, pricing = generate_pairs(problem, initial, time.perf_counter() + 60, max_rounds=2)
    assert pricing is not None
    assert not np.all(mask[used])  # the priced pairs alone miss part of the optimum
    upper = max(problem.objective(*start), full.objective) * 1.001
    covering, covered = cover(problem, mask, pricing, upper)
    assert covered
    assert np.all(covering[used])
    assert covering.sum() < len(problem.pair_site)


@pytest.mark.parametrize("name", ["cap41", "cap131"])
def test_rounded_start_is_a_feasible_split_plan(name: str) -> None:
    """The LP-rounding start serves every customer once over open warehouses within capacity,
    and costs no less than the optimum (it is a plan of the whole model)."""
    import time

    from aftersales.optimizer.network.pricing import rounded_start

    problem = facility_from_cap(read_orlib_cap(FOLDER / f"{name}.txt"))
    mask, pricing = generate_pairs(problem, cheapest_mask(problem, 3), time.perf_counter() + 60)
    assert pricing is not None
    start = rounded_start(problem, mask, pricing, time.perf_counter() + 60)
    assert start is not None
    is_open, fraction = start
    served = np.bincount(problem.pair_site, weights=fraction, minlength=problem.sites)
    assert served == pytest.approx(np.ones(problem.sites))
    assert np.all(fraction[~is_open[problem.pair_depot]] == 0)
    weights = fraction * problem.demand[problem.pair_site]
    load = np.bincount(problem.pair_depot, weights=weights, minlength=problem.depots)
    assert np.all(load <= problem.capacity * (1 + 1e-7))
    assert problem.objective(is_open, fraction) >= OPTIMA[name] * (1 - 1e-9)
