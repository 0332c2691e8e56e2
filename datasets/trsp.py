"""Reader of the TRSP instances of Pillac, Guéret & Medaglia (2013), and their Scenario.

Layout (whitespace-separated; blank lines carry no meaning)::

    C101.100_25-5-5-5                               <- name
    INFO
    CREW COUNT  SKILLS  TOOLS   SPARE PARTS
    25      5       5       5                       <- technicians, skill/tool/part kinds
    DEPOT TECHNICIANS AND REQUESTS
    ID   X     Y     TWS    TWE    Serv   SKILLS   TOOLS    SPARE PARTS
    0    40    50    0      1236   0      [] [] []                  <- central depot
    1    9     6     0      1236   0      [1,3,4] [1,2,3] [3,0,4,4,0]   <- technicians' homes
    26   45    68    912    967    90     [4] [] [1,0,1,0,0]        <- requests

Row 0 is the depot, rows ``1..crew`` the technicians (home, skills and tools held, van units per
part kind), the rest the requests (window for the service start, service time, skills and tools
needed, units per part kind consumed). Travel time equals the Euclidean distance at full
precision; the objective is the total route duration (travel + service + waiting).

:func:`trsp_scenario` turns an instance into the product's Scenario as faithfully as the
contract allows (see its docstring), so the benchmark measures the product's own routing path.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

from aftersales.datasets.routing_scenario import (
    DEPOT_ID,
    PRODUCT_ID,
    routing_scenario,
    time_scale_for,
)
from aftersales.optimizer.schema import Scenario

FIELDS_BEFORE_LISTS = 6
"""ID, X, Y, TWS, TWE, Serv."""
LISTS_PER_ROW = 3
"""SKILLS, TOOLS, SPARE PARTS."""
MUST_SERVE_PENALTY = 100_000.0
"""Unserved penalty of the Scenario: every request must be served."""


@dataclass(frozen=True)
class TrspNode:
    """One row: the depot, a technician's home or a request."""

    id: int
    x: float
    y: float
    ready: float
    due: float
    service: float
    skills: tuple[int, ...]
    tools: tuple[int, ...]
    parts: tuple[int, ...]
    """Units per part kind: held in the van (technicians) or consumed (requests)."""


@dataclass(frozen=True)
class TrspInstance:
    """A TRSP instance: node 0 the depot, 1..crew the technicians, the rest the requests."""

    name: str
    crew: int
    skills: int
    tools: int
    parts: int
    nodes: tuple[TrspNode, ...]

    @property
    def depot(self) -> TrspNode:
        """The central depot (node 0): opening hours and restocks."""
        return self.nodes[0]

    @property
    def technicians(self) -> tuple[TrspNode, ...]:
        """Technician rows, ids 1..crew."""
        return self.nodes[1 : self.crew + 1]

    @property
    def requests(self) -> tuple[TrspNode, ...]:
        """Request rows, ids crew + 1 onwards."""
        return self.nodes[self.crew + 1 :]

    def distance(self, a: int, b: int) -> float:
        """Euclidean distance between nodes ``a`` and ``b`` (= travel time), full precision."""
        return math.hypot(self.nodes[a].x - self.nodes[b].x, self.nodes[a].y - self.nodes[b].y)


_LIST = re.compile(r"\[([^\]]*)\]")


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(v) for v in text.replace(" ", "").split(",") if v)


def parse_trsp(text: str) -> TrspInstance:
    """Parse the text of a TRSP file; raises ``ValueError`` naming the line of any problem."""
    lines = [line.strip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    if len(lines) < 6:
        raise ValueError("TRSP file too short: expected name, INFO block and node table")
    name = lines[0]
    try:
        header = lines.index("INFO")
        crew, skills, tools, parts = (int(v) for v in lines[header + 2].split())
        table = next(k for k, line in enumerate(lines) if line.startswith("ID"))
    except (ValueError, StopIteration) as exc:
        raise ValueError(f"TRSP file '{name}': malformed INFO block or no ID header") from exc
    nodes: list[TrspNode] = []
    for number, line in enumerate(lines[table + 1 :], start=table + 2):
        fields = line.split(maxsplit=FIELDS_BEFORE_LISTS)
        lists = _LIST.findall(fields[-1]) if len(fields) > FIELDS_BEFORE_LISTS else []
        if len(fields) != FIELDS_BEFORE_LISTS + 1 or len(lists) != LISTS_PER_ROW:
            raise ValueError(f"line {number}: expected 6 numbers and 3 bracketed lists: {line!r}")
        try:
            node = TrspNode(
                int(fields[0]),
                *(float(v) for v in fields[1:FIELDS_BEFORE_LISTS]),  # type: ignore[arg-type]
                *(_ints(v) for v in lists),  # type: ignore[arg-type]
            )
        except ValueError as exc:
            raise ValueError(f"line {number}: {exc}") from exc
        if node.id != len(nodes):
            raise ValueError(f"line {number}: node id {node.id}, expected {len(nodes)}")
        if len(node.parts) not in (0, parts):
            raise ValueError(f"line {number}: {len(node.parts)} part counts, expected {parts}")
        nodes.append(node)
    if len(nodes) <= crew + 1:
        raise ValueError(f"TRSP file '{name}': {len(nodes)} nodes for a crew of {crew}")
    return TrspInstance(name, crew, skills, tools, parts, tuple(nodes))


def read_trsp(path: str | Path) -> TrspInstance:
    """Read a TRSP instance file."""
    return parse_trsp(Path(path).read_text())


def time_scale(instance: TrspInstance) -> float:
    """Scenario minutes per instance time unit (see ``routing_scenario.time_scale_for``)."""
    return time_scale_for(instance.depot.due)


def node_id(instance: TrspInstance, node: int) -> str:
    """Location id of a node in the Scenario: ``depot``, ``home<k>`` or ``site<k>``."""
    if node == 0:
        return DEPOT_ID
    return f"home{node}" if node <= instance.crew else f"site{node}"


def trsp_scenario(instance: TrspInstance) -> Scenario:
    """The instance as a Scenario of the routing layer.

    One depot (``depot``, the restocking place), one technician ``t<k>`` per crew member with
    ``home`` = its own coordinates, skills ``skill<i>``, tools ``tool<i>`` and ``van_stock``
    ``part<i>``; one site and one non-deferrable request ``r<node>`` per request row, due at the
    end of its window (TRSP has no SLA, so nothing is late); one shift on day 0 spanning the
    depot's hours. Travel is an explicit matrix of the full-precision Euclidean distances (km)
    and their times (minutes, × :func:`time_scale`). Costs: no km cost and 60/hour of route
    duration, so the Scenario's routing cost is the TRSP objective (total duration) in scaled
    minutes.
    """
    scale = time_scale(instance)
    ids = [node_id(instance, n.id) for n in instance.nodes]
    n = len(instance.nodes)
    km = [[instance.distance(a, b) for b in range(n)] for a in range(n)]
    part_ids = [f"part{p}" for p in range(instance.parts)]
    depot = instance.depot
    shift = {"day": 0, "start_minute": depot.ready * scale, "end_minute": depot.due * scale}
    technicians = [
        {
            "id": f"t{t.id}",
            "depot": DEPOT_ID,
            "home": {"id": node_id(instance, t.id), "lat": 0.0, "lon": 0.0},
            "skills": [f"skill{s}" for s in t.skills],
            "tools": [f"tool{k}" for k in t.tools],
            "van_stock": dict(zip(part_ids, t.parts, strict=True)),
            "shifts": [shift],
            "hourly_cost": 60.0,  # one currency unit per minute of route duration
            "overtime_cost_per_hour": 60.0,
        }
        for t in instance.technicians
    ]
    requests = [
        {
            "id": f"r{r.id}",
            "site": node_id(instance, r.id),
            "product": PRODUCT_ID,
            "opened_minute": 0,
            "duration_minutes": r.service * scale,
            "required_skills": [f"skill{s}" for s in r.skills],
            "tools": [f"tool{k}" for k in r.tools],
            "parts": {p: u for p, u in zip(part_ids, r.parts, strict=True) if u > 0},
            "time_windows": [{"start": r.ready * scale, "end": r.due * scale}],
            "due_minute": r.due * scale,
        }
        for r in instance.requests
    ]
    return routing_scenario(
        instance.name,
        ids,
        km,
        scale,
        technicians,
        requests,
        skills=[f"skill{s}" for s in range(instance.skills)],
        parts=part_ids,
        unserved_penalty=MUST_SERVE_PENALTY,
        travel_cost_per_km=0.0,
    )
