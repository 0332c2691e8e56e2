"""A road graph as a travel model: named nodes and edges carrying minutes and km.

Sites, depots and technician homes name the node they stand on (``node``; by default the
location's own id). Travel between two locations is the fastest path over the graph (minutes),
and its km are those of that path (the fewest km among equally fast paths).

Repeated edges: an edge listed again between the same nodes *replaces* the earlier one for the
arcs it covers (the last occurrence wins), the rule under which OR-Library's p-median graphs
reach their published optima. An undirected edge covers both arcs, a directed one only
``source → target``.
"""

from __future__ import annotations

from pydantic import Field

from aftersales.optimizer.schema.common import Identifier, NonNegative, Positive, Strict


class GraphEdge(Strict):
    """One road between two nodes; both ways unless ``directed``."""

    source: Identifier
    target: Identifier
    minutes: Positive = Field(
        description="Driving time along the edge, minutes (> 0: places with no travel between "
        "them share a node)."
    )
    km: NonNegative = Field(description="Length of the edge, km (≥ 0).")
    directed: bool = Field(
        default=False, description="One-way road: only source → target may be driven."
    )


class RoadGraph(Strict):
    """Nodes and edges of a road network (``travel.mode = "graph"``). Repeated node ids and
    edges naming unknown nodes are reported by the scenario's reference checks, located."""

    nodes: list[Identifier] = Field(description="Node ids, unique.")
    edges: list[GraphEdge] = Field(
        default_factory=list,
        description="Roads; a repeated (source, target) replaces the earlier one (last wins).",
    )

    def arcs(self) -> dict[tuple[str, str], tuple[float, float]]:
        """(from, to) → (minutes, km) of every drivable arc, later edges replacing earlier ones."""
        arcs: dict[tuple[str, str], tuple[float, float]] = {}
        for edge in self.edges:
            weights = (float(edge.minutes), float(edge.km))
            arcs[edge.source, edge.target] = weights
            if not edge.directed:
                arcs[edge.target, edge.source] = weights
        return arcs
