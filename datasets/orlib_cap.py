"""Reader of OR-Library capacitated warehouse location files (Beasley 1988, ``capNN``, ``capa``).

Layout (whitespace-separated tokens, line breaks carry no meaning)::

    m n
    s_1 f_1          capacity and fixed cost of each of the m warehouses
    ...              (the large capa/capb/capc files carry the word 'capacity' instead of s_i)
    d_1              demand of customer 1, then the cost of serving ALL of it from each warehouse
    c_11 ... c_m1
    ...

Customers may be split across warehouses: serving a fraction x of customer j from warehouse i
costs ``c_ij * x`` and uses ``d_j * x`` of i's capacity.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

CAPACITY_PLACEHOLDER = "capacity"


@dataclass(frozen=True)
class CapInstance:
    """An OR-Library capacitated warehouse location instance."""

    name: str
    capacity: npt.NDArray[np.float64]
    """Capacity of each warehouse, shape (m,)."""
    fixed_cost: npt.NDArray[np.float64]
    """Fixed opening cost of each warehouse, shape (m,)."""
    demand: npt.NDArray[np.float64]
    """Demand of each customer, shape (n,)."""
    cost: npt.NDArray[np.float64]
    """Cost of serving all of customer j from warehouse i, shape (m, n)."""


def _number(token: str, what: str) -> float:
    try:
        return float(token)
    except ValueError:
        raise ValueError(f"{what}: expected a number, got {token!r}") from None


def parse_orlib_cap(text: str, name: str = "", capacity: float | None = None) -> CapInstance:
    """Parse the text of a ``cap`` file; ``capacity`` replaces the word 'capacity' if present."""
    tokens = text.split()
    if len(tokens) < 2:
        raise ValueError("expected 'm n' on the first line")
    m, n = (int(_number(t, "header")) for t in tokens[:2])
    if m < 1 or n < 1:
        raise ValueError(f"header: need at least one warehouse and one customer, got {m} {n}")
    expected = 2 + 2 * m + n * (1 + m)
    if len(tokens) != expected:
        raise ValueError(
            f"{m} warehouses × {n} customers need {expected} numbers, found {len(tokens)}"
        )
    caps, fixed = [], []
    for i in range(m):
        token = tokens[2 + 2 * i]
        if token.lower() == CAPACITY_PLACEHOLDER:
            if capacity is None:
                raise ValueError("the file says 'capacity' instead of a number: give --capacity")
            caps.append(capacity)
        else:
            caps.append(_number(token, f"capacity of warehouse {i + 1}"))
        fixed.append(_number(tokens[3 + 2 * i], f"fixed cost of warehouse {i + 1}"))
    body = np.array([_number(t, "customer block") for t in tokens[2 + 2 * m :]]).reshape(n, m + 1)
    return CapInstance(
        name=name,
        capacity=np.array(caps),
        fixed_cost=np.array(fixed),
        demand=body[:, 0].copy(),
        cost=body[:, 1:].T.copy(),
    )


def read_orlib_cap(path: Path, capacity: float | None = None) -> CapInstance:
    """Read a ``cap`` file from disk."""
    return parse_orlib_cap(Path(path).read_text(), name=Path(path).stem, capacity=capacity)
