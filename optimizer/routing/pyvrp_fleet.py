"""Between the routing layer's technician-days and PyVRP's fleet and solutions.

PyVRP searches over *vehicle types*; the routing layer over technician-days. Technician-days
whose types differ only by name (Solomon's 25 identical vans, a team's identical shifts) become
one type with ``num_available`` vehicles: PyVRP's local search then keeps one empty route per
type instead of one per technician, and its moves treat the vehicles as interchangeable. This
module merges such types, builds a PyVRP solution from the layer's orders (a warm start for the
search) and maps the search's routes back to orders per technician-day.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
    """Vehicle indices per type, in the routing layer's order."""

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


def initial_solution(
    problem: ProblemData,
    fleet: Fleet,
    orders: Sequence[Sequence[int]],
    client_of: Mapping[int, int],
) -> Solution:
    """The layer's orders (job indices, ``RESTOCK_INDEX`` between trips) as a PyVRP solution.

    Jobs the model does not carry (absent from ``client_of``: job index → client index) are
    left out; a restock becomes a reload at the type's depot, or is dropped when the type
    cannot reload. The solution may break the model's constraints: the search repairs it.
    """
    routes = []
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
