"""A previous plan's network in this scenario: as a warm start, as a frozen layer, and the
stability price of moving away from it.

A re-solve (``pipeline.solve(..., previous=plan)``) reads last night's open depots and site →
depot assignments by id. ``SolveOptions.freeze = ["network"]`` keeps them as they were; the
``stability.site_move`` price makes every other depot of a site dearer by that much in the
network models' objective, so a site moves only when the move pays for itself.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import numpy.typing as npt

from aftersales.optimizer.network.data import NetworkData, network_costs
from aftersales.optimizer.network.result import NetworkResult
from aftersales.optimizer.schema import LayerResult, Plan

KEPT_METHOD = "kept from the previous plan"


def previous_network(
    data: NetworkData, plan: Plan
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.intp]] | None:
    """A previous plan's network by index, or None if it does not cover this scenario."""
    depot_index = {d: j for j, d in enumerate(data.depot_ids)}
    assigned = {a.site: depot_index.get(a.depot) for a in plan.assignments}
    if any(assigned.get(site) is None for site in data.site_ids):
        return None
    is_open = np.array([d in plan.open_depots() for d in data.depot_ids], dtype=bool)
    return is_open, np.array([assigned[site] for site in data.site_ids], dtype=np.intp)


def with_site_move_cost(
    data: NetworkData, depot_of_site: npt.NDArray[np.intp], site_move: float
) -> NetworkData:
    """``data`` whose models charge ``site_move`` (currency) for serving a site from any depot
    but ``depot_of_site``'s (the previous plan's); unchanged when the price is 0."""
    if site_move <= 0:
        return data
    moved = np.arange(len(data.depot_ids))[None, :] != depot_of_site[:, None]
    return replace(data, stability_cost=np.where(moved, float(site_move), 0.0))


def kept_network(data: NetworkData, plan: Plan, why: str) -> NetworkResult:
    """The previous plan's network as this solve's network layer, costed under this scenario.

    Raises ValueError naming the sites the plan does not assign to a depot of this scenario.
    ``why`` says in the layer's message why it was kept (frozen, or cheaper than the re-solve).
    """
    given = previous_network(data, plan)
    if given is None:
        known = set(data.depot_ids)
        assigned = {a.site for a in plan.assignments if a.depot in known}
        missing = [s for s in data.site_ids if s not in assigned]
        raise ValueError(
            f"the previous plan cannot be kept: it assigns no depot of this scenario to "
            f"{len(missing)} site(s), e.g. {', '.join(missing[:5])}"
        )
    is_open, depot_of_site = given
    costs = network_costs(data, is_open, depot_of_site)
    report = LayerResult(
        layer="network",
        status="feasible",
        method=KEPT_METHOD,
        objective=costs.annual_total,
        message=why,
    )
    return NetworkResult(report, is_open, depot_of_site, costs)
