"""Reader of Solomon (1987) and Gehring–Homberger (1999) VRPTW instance files.

Layout (whitespace-separated; blank lines, trailing blanks and CRLF carry no meaning)::

    C101                                            <- name (first line)
    VEHICLE
    NUMBER     CAPACITY
      25         200                                <- fleet limit K, capacity Q
    CUSTOMER
    CUST NO.  XCOORD.  YCOORD.  DEMAND  READY TIME  DUE DATE  SERVICE TIME
        0      40       50        0        0         1236        0   <- depot; DUE DATE = horizon
        1      45       68       10      912          967       90
    ...

Every customer row holds seven numbers; row ``i`` must carry customer number ``i`` (the depot is
row 0). Travel time equals distance; service starts inside ``[READY TIME, DUE DATE]``.

Distances follow the DIMACS / CVRPLIB convention of the published optima: each arc is the
Euclidean distance truncated to one decimal. :func:`dimacs_tenths` is the one rounding function
for it: it returns the arc in integer *tenths*, exactly, so integer solvers scale every time by 10.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from aftersales.datasets.routing_scenario import (
    DEPOT_ID,
    PRODUCT_ID,
    routing_scenario,
    time_scale_for,
)
from aftersales.optimizer.schema import Scenario

FIELDS_PER_ROW = 7
"""CUST NO., XCOORD., YCOORD., DEMAND, READY TIME, DUE DATE, SERVICE TIME."""
TENTHS = 10
"""Integer solvers work in tenths of a distance / time unit (the DIMACS scaling)."""


@dataclass(frozen=True)
class SolomonInstance:
    """A VRPTW instance: one depot (index 0) and customers 1..n, as in the file.

    Arrays are indexed by the file's customer number, so entry 0 is the depot.
    """

    name: str
    num_vehicles: int
    """Fleet limit K."""
    capacity: int
    """Capacity Q of every vehicle."""
    x: npt.NDArray[np.float64]
    y: npt.NDArray[np.float64]
    demand: npt.NDArray[np.int64]
    ready: npt.NDArray[np.float64]
    """Earliest service start (READY TIME); the depot's is the horizon start."""
    due: npt.NDArray[np.float64]
    """Latest service start (DUE DATE); the depot's is the latest return."""
    service: npt.NDArray[np.float64]

    @property
    def num_customers(self) -> int:
        """Customers, the depot not counted."""
        return len(self.x) - 1

    def distance_tenths(self) -> npt.NDArray[np.int64]:
        """DIMACS arc lengths in integer tenths, shape (n + 1, n + 1)."""
        return dimacs_tenths(self.x, self.y)


def dimacs_tenths(x: npt.ArrayLike, y: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """All-pairs ``floor(10 × euclid)`` as int64: the DIMACS arc (truncated to 0.1) × 10.

    Integer coordinates (every Solomon and Gehring–Homberger file) are handled exactly with an
    integer square root; other coordinates fall back to ``floor(10 × hypot)`` in floating point.
    """
    xs, ys = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    dx = xs[:, None] - xs[None, :]
    dy = ys[:, None] - ys[None, :]
    if np.all(xs == np.round(xs)) and np.all(ys == np.round(ys)):
        squared = 100 * (dx.astype(np.int64) ** 2 + dy.astype(np.int64) ** 2)
        root = np.floor(np.sqrt(squared.astype(np.float64))).astype(np.int64)
        # Correct the float square root to the exact integer one (isqrt) where it is off by one.
        root -= (root * root > squared).astype(np.int64)
        root += ((root + 1) * (root + 1) <= squared).astype(np.int64)
        return root
    return np.floor(TENTHS * np.hypot(dx, dy)).astype(np.int64)


def dimacs_distance(tenths: int) -> float:
    """A total in tenths as the published one-decimal value."""
    return round(tenths / TENTHS, 1)


def _numbers(line: str, line_number: int) -> list[float]:
    try:
        return [float(token) for token in line.split()]
    except ValueError:
        raise ValueError(f"line {line_number}: expected numbers, got {line.strip()!r}") from None


def parse_solomon(text: str, name: str = "") -> SolomonInstance:
    """Parse the text of a Solomon / Gehring–Homberger file.

    Raises
    ------
    ValueError
        Naming the problem: missing VEHICLE or CUSTOMER section, a fleet line that is not two
        positive integers, a customer row without seven numbers, customer numbers out of order,
        negative demand or service time, a window that closes before it opens, no customers.
    """
    lines = text.splitlines()
    header = [(i + 1, line.strip()) for i, line in enumerate(lines) if line.strip()]
    if not header:
        raise ValueError("empty file")
    upper = [line.upper() for _, line in header]
    if "VEHICLE" not in upper:
        raise ValueError("no VEHICLE section")
    if "CUSTOMER" not in upper:
        raise ValueError("no CUSTOMER section")
    vehicle_at, customer_at = upper.index("VEHICLE"), upper.index("CUSTOMER")
    fleet = [
        (number, line)
        for number, line in header[vehicle_at + 1 : customer_at]
        if not line.upper().startswith("NUMBER")
    ]
    if len(fleet) != 1:
        raise ValueError("VEHICLE section: expected one line 'NUMBER CAPACITY'")
    fleet_numbers = _numbers(fleet[0][1], fleet[0][0])
    if len(fleet_numbers) != 2 or any(v <= 0 or v != int(v) for v in fleet_numbers):
        raise ValueError(
            f"line {fleet[0][0]}: fleet must be two positive integers NUMBER CAPACITY, "
            f"got {fleet[0][1]!r}"
        )
    rows: list[list[float]] = []
    for number, line in header[customer_at + 1 :]:
        if line.upper().startswith("CUST"):
            continue
        values = _numbers(line, number)
        if len(values) != FIELDS_PER_ROW:
            raise ValueError(
                f"line {number}: a customer row needs {FIELDS_PER_ROW} numbers "
                f"(CUST NO. X Y DEMAND READY DUE SERVICE), got {len(values)}"
            )
        if values[0] != len(rows):
            raise ValueError(
                f"line {number}: customer number {values[0]:g} out of order, expected {len(rows)}"
            )
        if values[3] < 0 or values[6] < 0:
            raise ValueError(f"line {number}: negative demand or service time")
        if values[5] < values[4]:
            raise ValueError(
                f"line {number}: time window [{values[4]:g}, {values[5]:g}] closes before it opens"
            )
        rows.append(values)
    if len(rows) < 2:
        raise ValueError("CUSTOMER section: need the depot row and at least one customer")
    table = np.array(rows, dtype=np.float64)
    return SolomonInstance(
        name=name or header[0][1],
        num_vehicles=int(fleet_numbers[0]),
        capacity=int(fleet_numbers[1]),
        x=table[:, 1].copy(),
        y=table[:, 2].copy(),
        demand=table[:, 3].astype(np.int64),
        ready=table[:, 4].copy(),
        due=table[:, 5].copy(),
        service=table[:, 6].copy(),
    )


def read_solomon(path: str | Path) -> SolomonInstance:
    """Read a Solomon / Gehring–Homberger file; the name is the file stem in lower case."""
    path = Path(path)
    return parse_solomon(path.read_text(), name=path.stem.lower())


LOAD_PART = "load"
"""The part that carries Solomon demand: the van holds the capacity and never restocks."""


def solomon_scenario(instance: SolomonInstance) -> Scenario:
    """The instance as a Scenario of the routing layer, for the product's own path.

    ``K`` technicians ``v1..vK`` at the depot, each with a van of ``capacity`` units of part
    ``load`` (demand becomes parts consumed; the routing call gets an empty stock so that a
    restock supplies nothing: routes are single trips), one shift spanning the depot's hours;
    one site and request ``c<i>`` per customer. Travel: the DIMACS arcs (km, one decimal) and
    the same minutes × ``time_scale_for``. Costs: 1 per km and no labour, so the routing cost is
    the Solomon distance.
    """
    scale = time_scale_for(float(instance.due[0]))
    tenths = instance.distance_tenths()
    km = (tenths / TENTHS).tolist()
    ids = [DEPOT_ID] + [f"c{i}" for i in range(1, len(instance.x))]
    shift = {
        "day": 0,
        "start_minute": float(instance.ready[0]) * scale,
        "end_minute": float(instance.due[0]) * scale,
    }
    technicians = [
        {
            "id": f"v{k}",
            "depot": DEPOT_ID,
            "van_stock": {LOAD_PART: instance.capacity},
            "shifts": [shift],
            "hourly_cost": 0.0,
            "overtime_cost_per_hour": 0.0,
        }
        for k in range(1, instance.num_vehicles + 1)
    ]
    requests = [
        {
            "id": f"c{i}",
            "site": f"c{i}",
            "product": PRODUCT_ID,
            "opened_minute": 0,
            "duration_minutes": float(instance.service[i]) * scale,
            "parts": {LOAD_PART: int(instance.demand[i])} if instance.demand[i] > 0 else {},
            "time_windows": [
                {"start": float(instance.ready[i]) * scale, "end": float(instance.due[i]) * scale}
            ],
            "due_minute": float(instance.due[i]) * scale,
        }
        for i in range(1, len(instance.x))
    ]
    return routing_scenario(
        instance.name,
        ids,
        km,
        scale,
        technicians,
        requests,
        parts=[LOAD_PART],
        unserved_penalty=100_000.0,
        travel_cost_per_km=1.0,
    )
