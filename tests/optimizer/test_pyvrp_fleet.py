"""Merging interchangeable technician-days into PyVRP vehicle types, and orders ↔ solutions."""

from __future__ import annotations

import numpy as np
from pyvrp import Client, Depot, Location, ProblemData, VehicleType

from aftersales.optimizer.routing.pyvrp_fleet import (
    initial_solution,
    merge_identical,
    orders_of,
    with_unserved_type,
)
from aftersales.optimizer.routing.timing import RESTOCK_INDEX


def _types() -> list[VehicleType]:
    """Vehicles 0 and 1 alike but for the name; vehicle 2 reloads at depot 1."""
    return [
        VehicleType(1, capacity=[2], name="a"),
        VehicleType(1, capacity=[2], name="b"),
        VehicleType(1, capacity=[2], reload_depots=[1], name="c"),
    ]


def _problem(types: list[VehicleType]) -> ProblemData:
    """Two depots (locations 0, 1) and three clients (locations 2–4) on a line."""
    places = range(5)
    matrix = np.array([[abs(a - b) for b in places] for a in places])
    return ProblemData(
        [Location(x=float(p), y=0.0) for p in places],
        [Client(location=p, delivery=[1]) for p in (2, 3, 4)],
        [Depot(location=0), Depot(location=1)],
        types,
        [matrix],
        [matrix],
    )


def test_identical_types_merge_and_others_stay_apart() -> None:
    fleet = merge_identical(_types())
    assert fleet.members == [[0, 1], [2]]
    assert [t.num_available for t in fleet.types] == [2, 1]
    assert fleet.type_of == {0: 0, 1: 0, 2: 1}


def test_a_different_reload_depot_or_capacity_keeps_types_apart() -> None:
    fleet = merge_identical([VehicleType(1, capacity=[2]), VehicleType(1, capacity=[3])])
    assert fleet.members == [[0], [1]]


def test_orders_round_trip_through_a_solution_with_a_restock() -> None:
    fleet = merge_identical(_types())
    problem = _problem(fleet.types)
    jobs = [10, 11, 12]  # the layer's job index of each client
    client_of = {j: k for k, j in enumerate(jobs)}
    orders = [[12], [], [10, RESTOCK_INDEX, 11]]
    solution = initial_solution(problem, fleet, orders, client_of)
    assert solution.num_clients() == 3
    assert sorted(r.num_trips() for r in solution.routes()) == [1, 2]
    assert orders_of(solution, fleet, jobs) == orders


def test_unknown_jobs_and_restocks_a_type_cannot_make_are_dropped() -> None:
    fleet = merge_identical(_types())
    problem = _problem(fleet.types)
    orders = [[RESTOCK_INDEX, 10, RESTOCK_INDEX, 99], [], [RESTOCK_INDEX]]
    solution = initial_solution(problem, fleet, orders, {10: 0})
    assert orders_of(solution, fleet, [10, 11, 12]) == [[10], [], []]


def test_the_unserved_type_takes_what_the_orders_leave_and_maps_to_no_one() -> None:
    """Required job 11 is in no order: the start puts it on the unserved type (the fleet's last),
    and the orders read back leave it out — the exact timing reports it unserved."""
    fleet = with_unserved_type(merge_identical(_types()), jobs=1, dimensions=1, profile=0)
    assert len(fleet.types) == 3
    assert fleet.members == [[0, 1], [2]]
    assert fleet.types[-1].num_available == 1
    problem = _problem(fleet.types)
    jobs = [10, 11, 12]
    client_of = {j: k for k, j in enumerate(jobs)}
    solution = initial_solution(problem, fleet, [[10], [], [12]], client_of, required=[11])
    assert solution.num_clients() == 3
    assert sorted(r.vehicle_type() for r in solution.routes()) == [0, 1, 2]
    assert orders_of(solution, fleet, jobs) == [[10], [], [12]]
