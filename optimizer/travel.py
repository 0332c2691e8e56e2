"""Travel times (minutes) and road distances (km) between sites and depots.

Three models, chosen by ``scenario.travel.mode``:

* ``haversine``: great-circle km × circuity factor, time = km ÷ speed. Vectorised with numpy so
  that a 10,000-site × 300-depot table is one array operation.
* ``matrix``: explicit minutes and km given in the scenario, looked up by location id.
* ``graph``: fastest paths over a road graph (``road_paths``, networkx Dijkstra from each origin
  asked for, never all pairs); each location stands on its ``node``. No path = ``inf``.

Site, depot and technician home ids share one namespace of *locations* (the schema enforces it).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from aftersales.optimizer.arrays import FloatArray
from aftersales.optimizer.road_paths import GraphPaths, PathEngine
from aftersales.optimizer.schema import Scenario

EARTH_RADIUS_KM = 6371.0088
"""Mean Earth radius (IUGG), km."""


def haversine_km(
    lat1: npt.ArrayLike, lon1: npt.ArrayLike, lat2: npt.ArrayLike, lon2: npt.ArrayLike
) -> FloatArray:
    """Great-circle distance in km between points given in degrees; broadcasts like numpy."""
    phi1, lam1, phi2, lam2 = (
        np.radians(np.asarray(a, dtype=float)) for a in (lat1, lon1, lat2, lon2)
    )
    half_chord = (
        np.sin((phi2 - phi1) / 2) ** 2
        + np.cos(phi1) * np.cos(phi2) * np.sin((lam2 - lam1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(half_chord, 0.0, 1.0)))


class Travel:
    """Travel tables of one scenario: ``km(origins, destinations)`` and ``minutes(...)``."""

    def __init__(self, scenario: Scenario, engine: PathEngine = GraphPaths) -> None:
        """``engine`` computes graph paths (mode 'graph'); the validator passes its own."""
        model = scenario.travel
        self._circuity = model.circuity_factor
        self._speed_kmh = model.speed_kmh
        self._matrix = model.matrix if model.mode == "matrix" else None
        self._paths = engine(model.graph) if model.mode == "graph" and model.graph else None
        homes = {t.home.id: t.home for t in scenario.technicians if t.home is not None}
        places = [*scenario.sites, *scenario.depots, *homes.values()]
        self._node = {p.id: p.id if p.node is None else p.node for p in places}
        coordinates = [(p.id, p.lat, p.lon) for p in places]
        self._index = {loc: i for i, (loc, _, _) in enumerate(coordinates)}
        self._lat = np.array([lat for _, lat, _ in coordinates], dtype=float)
        self._lon = np.array([lon for _, _, lon in coordinates], dtype=float)
        if self._matrix is not None:
            self._matrix_index = {loc: i for i, loc in enumerate(self._matrix.locations)}
            self._matrix_km = np.asarray(self._matrix.km, dtype=float)
            self._matrix_minutes = np.asarray(self._matrix.minutes, dtype=float)

    def km(self, origins: Sequence[str], destinations: Sequence[str]) -> FloatArray:
        """Road km, shape (len(origins), len(destinations))."""
        if self._paths is not None:
            return self._paths.tables(self._nodes(origins), self._nodes(destinations))[1]
        if self._matrix is not None:
            return self._lookup(self._matrix_km, origins, destinations)
        o = self._positions(origins)
        d = self._positions(destinations)
        great_circle = haversine_km(
            self._lat[o][:, None],
            self._lon[o][:, None],
            self._lat[d][None, :],
            self._lon[d][None, :],
        )
        return great_circle * self._circuity

    def minutes(self, origins: Sequence[str], destinations: Sequence[str]) -> FloatArray:
        """Travel minutes, shape (len(origins), len(destinations))."""
        if self._paths is not None:
            return self._paths.tables(self._nodes(origins), self._nodes(destinations))[0]
        if self._matrix is not None:
            return self._lookup(self._matrix_minutes, origins, destinations)
        return self.km(origins, destinations) / self._speed_kmh * 60.0

    def paired_minutes(self, origins: Sequence[str], destinations: Sequence[str]) -> FloatArray:
        """Travel minutes of each (origins[n], destinations[n]) trip, shape (n,).

        Linear in n, unlike the full table ``minutes`` would be for one depot per site.
        """
        if self._paths is not None:
            return self._graph_pairs(origins, destinations)[0]
        if self._matrix is not None:
            return self._paired_lookup(self._matrix_minutes, origins, destinations)
        return self.paired_km(origins, destinations) / self._speed_kmh * 60.0

    def paired_km(self, origins: Sequence[str], destinations: Sequence[str]) -> FloatArray:
        """Road km of each (origins[n], destinations[n]) trip, shape (n,); linear in n (a route
        of n stops needs n + 1 legs, not the n² table ``km`` would build)."""
        if self._paths is not None:
            return self._graph_pairs(origins, destinations)[1]
        if self._matrix is not None:
            return self._paired_lookup(self._matrix_km, origins, destinations)
        _check_pairs(origins, destinations)
        o = self._positions(origins)
        d = self._positions(destinations)
        km = haversine_km(self._lat[o], self._lon[o], self._lat[d], self._lon[d])
        return km * self._circuity

    def _paired_lookup(
        self, table: FloatArray, origins: Sequence[str], destinations: Sequence[str]
    ) -> FloatArray:
        _check_pairs(origins, destinations)
        return table[self._matrix_rows(origins), self._matrix_rows(destinations)]

    def _graph_pairs(
        self, origins: Sequence[str], destinations: Sequence[str]
    ) -> tuple[FloatArray, FloatArray]:
        assert self._paths is not None
        _check_pairs(origins, destinations)
        return self._paths.pairs(self._nodes(origins), self._nodes(destinations))

    def _nodes(self, ids: Sequence[str]) -> list[str]:
        """Graph node of each location."""
        try:
            return [self._node[i] for i in ids]
        except KeyError as missing:
            raise KeyError(f"unknown location {missing}") from None

    def pair(self, origin: str, destination: str) -> tuple[float, float]:
        """(minutes, km) of one trip."""
        return (
            float(self.minutes([origin], [destination])[0, 0]),
            float(self.km([origin], [destination])[0, 0]),
        )

    def _positions(self, ids: Sequence[str]) -> npt.NDArray[np.intp]:
        try:
            return np.fromiter((self._index[i] for i in ids), dtype=np.intp, count=len(ids))
        except KeyError as missing:
            raise KeyError(f"unknown location {missing}") from None

    def _lookup(
        self, table: FloatArray, origins: Sequence[str], destinations: Sequence[str]
    ) -> FloatArray:
        return table[np.ix_(self._matrix_rows(origins), self._matrix_rows(destinations))]

    def _matrix_rows(self, ids: Sequence[str]) -> list[int]:
        """Row (= column) of each location in the explicit matrix."""
        return [self._matrix_index[i] for i in ids]


def _check_pairs(origins: Sequence[str], destinations: Sequence[str]) -> None:
    if len(origins) != len(destinations):
        raise ValueError(f"{len(origins)} origins but {len(destinations)} destinations")
