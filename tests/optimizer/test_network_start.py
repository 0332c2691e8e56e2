"""Contract model at scale: the repaired start, the local search and the MILP's hard deadline."""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import pytest
from highspy.highs import HighsCallbackEvent

from aftersales.datasets.generator import generate_scenario
from aftersales.optimizer.contract import prepare_contract
from aftersales.optimizer.network import compile_network, current_network, milp
from aftersales.optimizer.network.contract import with_limits
from aftersales.optimizer.network.facility import FacilityProblem, facility_problem
from aftersales.optimizer.network.local_search import improve_start
from aftersales.optimizer.network.milp import FacilitySolution
from aftersales.optimizer.network.start import (
    depot_of_pairs,
    pair_fractions,
    repair_start,
    start_cost,
)
from aftersales.optimizer.pipeline import solve
from aftersales.optimizer.schema import SolveOptions
from aftersales.optimizer.validate import validate


def _contract_problem(seed: int) -> tuple[FacilityProblem, np.ndarray, np.ndarray]:
    """S scenario ``seed`` as the contract model, with today's network."""
    scenario = generate_scenario("S", seed=seed)
    data = compile_network(scenario)
    problem = facility_problem(data)
    contract = with_limits(
        prepare_contract(scenario, data).contract, problem.pair_site, problem.pair_depot
    )
    problem = replace(problem, contract=contract)
    today = current_network(data)
    return problem, today.is_open, today.depot_of_site


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_local_search_is_never_worse_than_its_start(seed: int) -> None:
    """Today's network, repaired, keeps the contract rows; the local search only improves it and
    its result keeps them too (``start_cost`` is finite only when they hold)."""
    problem, is_open, depot = _contract_problem(seed)
    repaired = repair_start(problem, is_open, depot)
    before = start_cost(problem, *repaired)
    assert np.isfinite(before)
    (better_open, better_depot), after = improve_start(problem, *repaired, seconds=30)
    assert after <= before
    assert start_cost(problem, better_open, better_depot) == pytest.approx(after)


def test_start_kept_when_highs_finds_nothing_keeps_the_contract(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With HiGHS answering nothing, the plan is the improved start: the validator finds no
    violation and every tier meets its target."""

    def nothing(problem: FacilityProblem, *_: object, **__: object) -> FacilitySolution:
        return FacilitySolution(
            status="time_limit",
            is_open=np.zeros(problem.depots, dtype=bool),
            pair_fraction=np.zeros(0),
            objective=None,
            bound=None,
            gap=None,
            build_seconds=0.0,
            solve_seconds=0.0,
        )

    monkeypatch.setattr("aftersales.optimizer.network.solver.solve_facility", nothing)
    scenario = generate_scenario("S", seed=0)
    plan = solve(scenario, SolveOptions(layers=["network"], time_limit_seconds=20))
    assert "repaired start is kept" in plan.layers[0].message
    assert "start: given network repaired" in plan.layers[0].message  # today's, as the pipeline
    assert validate(scenario, plan).violations == []
    assert all(k.target_met for k in plan.kpis)
    assert plan.staffing


def test_overrunning_milp_is_cut_at_its_deadline_with_its_incumbent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A HiGHS run that stops answering once it has an incumbent (as in a long root LP) is
    killed at its deadline; the incumbent it reported is returned, priced as the model prices
    it (the start's contract cost or better)."""
    problem, is_open, depot = _contract_problem(0)
    start = repair_start(problem, is_open, depot)
    build = milp.build_model

    def stuck(p: FacilityProblem) -> object:
        model = build(p)

        def hang(event: HighsCallbackEvent) -> None:
            if np.isfinite(event.data_out.mip_primal_bound):
                time.sleep(3600)

        model.cbMipInterrupt += hang
        return model

    monkeypatch.setattr(milp, "build_model", stuck)
    fraction = pair_fractions(problem, start[1])
    assert fraction is not None
    started = time.perf_counter()
    solution = milp.solve_facility(problem, 5.0, warm_start=(start[0], fraction))
    assert time.perf_counter() - started < 60  # against the hour the child would hang
    assert solution.status == "time_limit"
    assert "killed" in solution.message
    assert solution.objective is not None
    assert solution.objective <= start_cost(problem, *start) * (1 + 1e-9)
    assert start_cost(
        problem, solution.is_open, depot_of_pairs(problem, solution.pair_fraction)
    ) <= solution.objective * (1 + 1e-9)


def test_repair_moves_sites_off_closed_and_overfull_depots() -> None:
    """Depot 0 holds 3 sites of demand 1 but has room for 2; site 3 sits at closed depot 2, to
    which site 3 has no pair. Repaired: the smallest site of depot 0 (site 2, demand 1; ties
    keep the order) moves to depot 1, and site 3 moves to its cheapest open depot with room."""
    problem = FacilityProblem(
        open_cost=np.array([10.0, 10.0, 10.0]),
        offset=0.0,
        pair_site=np.array([0, 0, 1, 1, 2, 2, 3, 3]),
        pair_depot=np.array([0, 1, 0, 1, 0, 1, 0, 1]),
        pair_cost=np.array([1.0, 5.0, 1.0, 5.0, 1.0, 2.0, 3.0, 1.0]),
        demand=np.array([1.0, 1.0, 1.0, 1.0]),
        capacity=np.array([2.0, 2.0, 2.0]),
        single_source=True,
        min_open=0,
        max_open=3,
    )
    is_open = np.array([True, True, False])
    depot = np.array([0, 0, 0, 2])
    assert start_cost(problem, is_open, depot) == np.inf
    repaired_open, repaired = repair_start(problem, is_open, depot)
    assert np.isfinite(start_cost(problem, repaired_open, repaired))
    load = np.bincount(repaired, weights=problem.demand, minlength=3)
    assert (load <= problem.capacity).all()
    assert repaired.tolist() == [1, 0, 0, 1]
