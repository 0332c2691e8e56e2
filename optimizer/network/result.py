"""What a network solve returns, and how it becomes the Plan's depot and assignment sections."""

from __future__ import annotations

from dataclasses import dataclass

from aftersales.optimizer.arrays import BoolArray, IntArray
from aftersales.optimizer.network.data import NetworkData
from aftersales.optimizer.schema import Assignment, CostBreakdown, DepotDecision, LayerResult
from aftersales.optimizer.staffing.data import StaffingDecision


@dataclass(frozen=True)
class NetworkResult:
    """Open mask and one depot index per site, with their costs and the solver's report."""

    report: LayerResult
    is_open: BoolArray
    depot_of_site: IntArray
    costs: CostBreakdown
    staffing: StaffingDecision | None = None
    """Headcount and flows per (depot, skill) pool, when the model decided staffing."""

    def depot_decisions(self, data: NetworkData) -> list[DepotDecision]:
        """One decision per candidate depot."""
        return [
            DepotDecision(id=depot_id, open=bool(is_open))
            for depot_id, is_open in zip(data.depot_ids, self.is_open, strict=True)
        ]

    def assignments(self, data: NetworkData) -> list[Assignment]:
        """One assignment per site, with the travel minutes and promise check of its depot."""
        return [
            Assignment(
                site=site_id,
                depot=data.depot_ids[j],
                travel_minutes=float(data.minutes[i, j]),
                within_promise=bool(data.within_promise[i, j]),
            )
            for i, (site_id, j) in enumerate(zip(data.site_ids, self.depot_of_site, strict=True))
        ]
