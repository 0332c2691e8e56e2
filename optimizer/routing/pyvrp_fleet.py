"""Between the routing layer's technician-days and PyVRP's fleet and solutions.

PyVRP searches over *vehicle types*; the routing layer over technician-days. Technician-days
whose types differ only by name (Solomon's 25 identical vans, a team's identical shifts) become
one type with ``num_available`` vehicles: PyVRP's local search then keeps one empty route per
type instead of one per technician, and its moves treat the vehicles as interchangeable. This
module merges such types, builds a PyVRP solution from the layer's orders (a warm start for the
search) and maps the search's routes back to orders per technician-day.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from pyvrp import Activity, ActivityType, ProblemData, Route, Solution, VehicleType

from aftersales.optimizer.routing.timing import RESTOCK_INDEX

_SIGNATURE_FIELDS = (
    "capacity",
    "start_depot",
    "end_depot",
    "fixed_cost",
    "tw_early",
    "tw_late",
    "shift_duration",
    "max_overtime",
    "max_distance",
    "unit_distance_cost",
    "unit_duration_cost",
    "unit_overtime_cost",
    "profile",
    "start_late",
    "initial_load",
    "reload_depots",
    "max_reloads",
)
"""Every attribute of a ``VehicleType`` but ``num_available`` and ``name``."""


@dataclass(frozen=True)
class Fleet:
    """PyVRP vehicle types and the technician-days (vehicle indices) each stands for."""

    types: list[VehicleType]
    members: list[list[int]]
    """Vehicle indices per type, in the routing layer's order. Types beyond these (the
    *unserved* type, see ``with_unserved_type``) stand for no technician-day."""

    @property
    def type_of(self) -> dict[int, int]:
        """Vehicle index → type index."""
        return {v: t for t, vs in enumerate(self.members) for v in vs}


def merge_identical(types: Sequence[VehicleType]) -> Fleet:
    """One type per distinct technician-day (``types`` has one type per vehicle, one each)."""
    members: dict[tuple[object, ...], list[int]] = {}
    for v, vehicle_type in enumerate(types):
        members.setdefault(_signature(vehicle_type), []).append(v)
    groups = list(members.values())
    merged = [
        types[vs[0]].replace(num_available=len(vs), name=",".join(types[v].name for v in vs))
        for vs in groups
    ]
    return Fleet(merged, groups)


def with_unserved_type(fleet: Fleet, jobs: int, dimensions: int, profile: int) -> Fleet:
    """The fleet plus one *unserved* type: ``jobs`` vehicles from depot 0 on ``profile``, whose
    distance into a job is its unserved penalty (unit distance cost 1, no duration cost).

    PyVRP's hard ``required`` keeps the search on complete solutions (what serves TRSP best),
    but a model whose required jobs cannot all fit has no feasible solution, and the search
    then never leaves its start. A job on this type costs its penalty, exactly as leaving it
    unserved: the model always has a feasible solution and the economics do not change.
    """
    spare = VehicleType(
        num_available=jobs,
        capacity=list(fleet.types[0].capacity) if fleet.types else [],
        start_depot=0,
        end_depot=0,
        unit_distance_cost=1,
        unit_duration_cost=0,
        profile=profile,
        initial_load=[0] * dimensions,
        name="unserved",
    )
    return Fleet([*fleet.types, spare], fleet.members)


def initial_solution(
    problem: ProblemData,
    fleet: Fleet,
    orders: Sequence[Sequence[int]],
    client_of: Mapping[int, int],
    required: Collection[int] = (),
) -> Solution:
    """The layer's orders (job indices, ``RESTOCK_INDEX`` between trips) as a PyVRP solution.

    Jobs the model does not carry (absent from ``client_of``: job index → client index) are
    left out; a restock becomes a reload at the type's depot, or is dropped when the type
    cannot reload. Jobs of ``required`` the orders leave out go one each on the unserved type
    (the fleet's last type beyond its members). The solution may break the model's
    constraints: the search repairs it.
    """
    routes = []
    placed = {j for order in orders for j in order}
    spare = len(fleet.members)
    for j in sorted(set(required) - placed):
        routes.append(Route(problem, [Activity(ActivityType.CLIENT, client_of[j])], spare))
    for t, vehicles in enumerate(fleet.members):
        reload = fleet.types[t].reload_depots
        for v in vehicles:
            activities: list[Activity] = []
            for j in orders[v]:
                if j == RESTOCK_INDEX:
                    if reload and activities and not activities[-1].is_depot():
                        activities.append(Activity(ActivityType.DEPOT, reload[0]))
                elif j in client_of:
                    activities.append(Activity(ActivityType.CLIENT, client_of[j]))
            while activities and activities[-1].is_depot():
                activities.pop()
            if activities:
                routes.append(Route(problem, activities, t))
    return Solution(problem, routes)


def orders_of(solution: Solution, fleet: Fleet, jobs: Sequence[int]) -> list[list[int]]:
    """Orders per technician-day (job indices, ``RESTOCK_INDEX`` between trips); the routes of
    a merged type go to its technician-days in order."""
    free = [list(vs) for vs in fleet.members]
    orders: list[list[int]] = [[] for _ in fleet.type_of]
    for route in solution.routes():
        if route.vehicle_type() >= len(free):  # the unserved type: these jobs stay unserved
            continue
        order: list[int] = []
        trip = 0
        for activity in route:
            if not activity.is_client():
                continue
            if activity.trip != trip:
                order.append(RESTOCK_INDEX)
                trip = activity.trip
            order.append(jobs[activity.idx])
        orders[free[route.vehicle_type()].pop(0)] = order
    return orders


def _signature(vehicle_type: VehicleType) -> tuple[object, ...]:
    """What makes two vehicle types interchangeable (lists as tuples, to hash)."""
    values = (getattr(vehicle_type, name) for name in _SIGNATURE_FIELDS)
    return tuple(tuple(v) if isinstance(v, list) else v for v in values)
