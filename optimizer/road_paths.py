"""Fastest paths over a road graph with networkx: one Dijkstra per origin node, on demand.

Only the origins asked for are searched (each depot for the network layer, each of the routing
day's places for routing), never all pairs of the graph, and each origin's search is kept for
later calls. Minutes are the fastest path's; km are those of that path (the fewest km among
equally fast paths). A node no path reaches is ``inf`` in both.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import networkx as nx
import numpy as np

from aftersales.optimizer.arrays import FloatArray
from aftersales.optimizer.schema.road_graph import RoadGraph


class ShortestPaths(Protocol):
    """What ``Travel`` asks of a shortest-path engine (node ids in, minutes and km out)."""

    def tables(
        self, origins: Sequence[str], destinations: Sequence[str]
    ) -> tuple[FloatArray, FloatArray]: ...

    def pairs(
        self, origins: Sequence[str], destinations: Sequence[str]
    ) -> tuple[FloatArray, FloatArray]: ...


PathEngine = Callable[[RoadGraph], ShortestPaths]
"""Builds a shortest-path engine for a graph: ``GraphPaths`` here, the validator its own."""


class GraphPaths:
    """Minutes and km of fastest paths from chosen origin nodes of one road graph."""

    def __init__(self, graph: RoadGraph) -> None:
        arcs = graph.arcs()
        self._graph = nx.DiGraph()
        self._graph.add_nodes_from(graph.nodes)
        self._graph.add_weighted_edges_from(
            ((u, v, minutes) for (u, v), (minutes, _) in arcs.items()), weight="minutes"
        )
        self._arc_km = {arc: km for arc, (_, km) in arcs.items()}
        self._position = {node: i for i, node in enumerate(graph.nodes)}
        self._searched: dict[str, tuple[FloatArray, FloatArray]] = {}

    @property
    def searches(self) -> int:
        """Single-origin searches run so far (each origin node once)."""
        return len(self._searched)

    def from_origin(self, origin: str) -> tuple[FloatArray, FloatArray]:
        """(minutes, km) from ``origin`` to every node, in the graph's node order; inf = no path."""
        if origin not in self._searched:
            self._searched[origin] = self._search(origin)
        return self._searched[origin]

    def tables(
        self, origins: Sequence[str], destinations: Sequence[str]
    ) -> tuple[FloatArray, FloatArray]:
        """(minutes, km) tables of shape (len(origins), len(destinations)), origins and
        destinations given as node ids."""
        columns = self._positions(destinations)
        minutes = np.empty((len(origins), len(destinations)))
        km = np.empty_like(minutes)
        for row, origin in enumerate(origins):
            to_minutes, to_km = self.from_origin(origin)
            minutes[row] = to_minutes[columns]
            km[row] = to_km[columns]
        return minutes, km

    def pairs(
        self, origins: Sequence[str], destinations: Sequence[str]
    ) -> tuple[FloatArray, FloatArray]:
        """(minutes, km) of each (origins[n], destinations[n]) trip, shape (n,)."""
        columns = self._positions(destinations)
        minutes = np.empty(len(origins))
        km = np.empty(len(origins))
        for n, origin in enumerate(origins):
            to_minutes, to_km = self.from_origin(origin)
            minutes[n] = to_minutes[columns[n]]
            km[n] = to_km[columns[n]]
        return minutes, km

    def _positions(self, nodes: Sequence[str]) -> np.ndarray:
        try:
            return np.fromiter((self._position[n] for n in nodes), dtype=np.intp, count=len(nodes))
        except KeyError as missing:
            raise KeyError(f"unknown graph node {missing}") from None

    def _search(self, origin: str) -> tuple[FloatArray, FloatArray]:
        """Dijkstra on minutes; km by one pass over the nodes in the order Dijkstra settled them
        (edge minutes are > 0, so every predecessor on a fastest path is settled before the node
        it leads to)."""
        if origin not in self._position:
            raise KeyError(f"unknown graph node '{origin}'")
        predecessors, settled = nx.dijkstra_predecessor_and_distance(
            self._graph, origin, weight="minutes"
        )
        arc_km = self._arc_km
        path_km: dict[str, float] = {}
        for node in settled:
            before = predecessors[node]
            path_km[node] = min([path_km[u] + arc_km[u, node] for u in before]) if before else 0.0
        rows = np.fromiter((self._position[n] for n in settled), dtype=np.intp, count=len(settled))
        minutes = np.full(len(self._position), np.inf)
        km = np.full(len(self._position), np.inf)
        minutes[rows] = np.fromiter(settled.values(), dtype=float, count=len(settled))
        km[rows] = np.fromiter(path_km.values(), dtype=float, count=len(settled))
        return minutes, km
