"""Reader of OR-Library p-median graphs (Beasley 1985, ``pmed1`` … ``pmed40``).

Layout (whitespace-separated integers)::

    n e p            nodes, undirected edges, number of medians
    i j c            e lines: an edge between nodes i and j (1-based) of length c

The graph becomes a road graph of the product (``RoadGraph``: nodes "1" … "n", each edge's
length as both its minutes and its km). A node pair listed twice keeps its **last** length
(shared/instances/orlib-pmed/README.md: the published optima hold under that rule), which is
``RoadGraph``'s own rule for repeated edges.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aftersales.optimizer.schema.road_graph import GraphEdge, RoadGraph


@dataclass(frozen=True)
class PmedInstance:
    """An OR-Library p-median graph."""

    name: str
    p: int
    """Number of medians (depots) to open."""
    graph: RoadGraph
    """Nodes "1" … "n" in order; undirected edges as listed (repeats: last wins)."""


def read_orlib_pmed(path: Path) -> PmedInstance:
    """Parse a ``pmedN.txt`` file; ValueError naming the problem if it is malformed."""
    tokens = path.read_text().split()
    try:
        numbers = [int(t) for t in tokens]
    except ValueError as exc:
        raise ValueError(f"{path.name}: not a p-median file ({exc})") from None
    if len(numbers) < 3:
        raise ValueError(f"{path.name}: missing the 'n e p' header")
    n, e, p = numbers[:3]
    body = numbers[3:]
    if len(body) != 3 * e:
        raise ValueError(f"{path.name}: header says {e} edges, file holds {len(body) / 3:g}")
    if not 1 <= p <= n:
        raise ValueError(f"{path.name}: p = {p} is not within 1..{n}")
    edges = [
        GraphEdge(source=str(i), target=str(j), minutes=c, km=c)
        for i, j, c in zip(body[0::3], body[1::3], body[2::3], strict=True)
    ]
    graph = RoadGraph(nodes=[str(k) for k in range(1, n + 1)], edges=edges)
    return PmedInstance(name=path.stem, p=p, graph=graph)
