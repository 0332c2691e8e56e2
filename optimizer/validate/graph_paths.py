"""The validator's own fastest paths over a road graph (scipy's Dijkstra, not networkx).

``validate`` never trusts the solver's numbers, and in travel mode 'graph' the solver's come
from ``aftersales.optimizer.road_paths`` (networkx). This module recomputes them another way:
scipy.sparse.csgraph's Dijkstra gives the fastest minutes from each origin asked for, then the km
of the fewest-km fastest path follow from the *tight* arcs (those on some fastest path), taken
in order of arrival time. Same semantics (docs/semantics.md, "Travel"), separate code.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.sparse import csr_array
from scipy.sparse.csgraph import dijkstra

from aftersales.optimizer.arrays import FloatArray
from aftersales.optimizer.schema.road_graph import RoadGraph

TIGHT_TOLERANCE_MINUTES = 1e-9
"""An arc lies on a fastest path when it arrives within this many minutes of the fastest time."""


class ScipyGraphPaths:
    """Same interface as ``road_paths.GraphPaths``: ``tables`` and ``pairs`` over node ids."""

    def __init__(self, graph: RoadGraph) -> None:
        self._position = {node: i for i, node in enumerate(graph.nodes)}
        arcs = graph.arcs()
        self._tail = np.array([self._position[u] for u, _ in arcs], dtype=np.intp)
        self._head = np.array([self._position[v] for _, v in arcs], dtype=np.intp)
        self._arc_minutes = np.array([m for m, _ in arcs.values()], dtype=float)
        self._arc_km = np.array([k for _, k in arcs.values()], dtype=float)
        n = len(self._position)
        self._matrix = csr_array((self._arc_minutes, (self._tail, self._head)), shape=(n, n))
        self._rows: dict[int, tuple[FloatArray, FloatArray]] = {}

    def tables(
        self, origins: Sequence[str], destinations: Sequence[str]
    ) -> tuple[FloatArray, FloatArray]:
        """(minutes, km), shape (len(origins), len(destinations)); inf where no path."""
        rows = self._search(self._positions(origins))
        columns = self._positions(destinations)
        minutes = np.array([rows[o][0][columns] for o in self._positions(origins)])
        km = np.array([rows[o][1][columns] for o in self._positions(origins)])
        shape = (len(origins), len(destinations))
        return minutes.reshape(shape), km.reshape(shape)

    def pairs(
        self, origins: Sequence[str], destinations: Sequence[str]
    ) -> tuple[FloatArray, FloatArray]:
        """(minutes, km) of each (origins[n], destinations[n]) trip, shape (n,)."""
        heads = self._positions(origins)
        rows = self._search(heads)
        columns = self._positions(destinations)
        minutes = np.array([rows[o][0][c] for o, c in zip(heads, columns, strict=True)])
        km = np.array([rows[o][1][c] for o, c in zip(heads, columns, strict=True)])
        return minutes, km

    def _positions(self, nodes: Sequence[str]) -> list[int]:
        try:
            return [self._position[n] for n in nodes]
        except KeyError as missing:
            raise KeyError(f"unknown graph node {missing}") from None

    def _search(self, origins: list[int]) -> dict[int, tuple[FloatArray, FloatArray]]:
        """Search the origins not searched yet, all in one scipy call."""
        new = sorted(set(origins) - set(self._rows))
        if new:
            minutes = np.atleast_2d(dijkstra(self._matrix, directed=True, indices=new))
            for origin, row in zip(new, minutes, strict=True):
                self._rows[origin] = (row, self._fewest_km(row))
        return self._rows

    def _fewest_km(self, minutes: FloatArray) -> FloatArray:
        """km of the fewest-km fastest path to each node: over the tight arcs, in arrival order
        (arc minutes are > 0, so a tight arc's tail arrives strictly before its head)."""
        km = np.full(len(minutes), np.inf)
        km[minutes == 0] = 0.0
        arrive = minutes[self._tail] + self._arc_minutes
        tight = np.isfinite(arrive)
        tight[tight] = np.abs(arrive[tight] - minutes[self._head[tight]]) <= TIGHT_TOLERANCE_MINUTES
        tails, heads, lengths = self._tail[tight], self._head[tight], self._arc_km[tight]
        order = np.argsort(minutes[tails], kind="stable")
        for tail, head, length in zip(tails[order], heads[order], lengths[order], strict=True):
            km[head] = min(km[head], km[tail] + length)
        return km
