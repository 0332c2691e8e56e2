"""Travel model: haversine against hand-computed values, circuity and speed, explicit matrices."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from aftersales.optimizer.schema import Scenario
from aftersales.optimizer.travel import EARTH_RADIUS_KM, Travel, haversine_km


@pytest.mark.parametrize(
    ("a", "b", "expected_km"),
    [
        ((0.0, 0.0), (0.0, 1.0), 2 * math.pi * EARTH_RADIUS_KM / 360),  # 1° of the equator
        ((0.0, 0.0), (90.0, 0.0), math.pi * EARTH_RADIUS_KM / 2),  # equator to pole
        ((50.0, 8.0), (50.0, 8.0), 0.0),
        # Frankfurt (50.1109, 8.6821) to Berlin (52.5200, 13.4050): 423.6 km great circle
        ((50.1109, 8.6821), (52.5200, 13.4050), 423.6),
    ],
)
def test_haversine_matches_hand_values(
    a: tuple[float, float], b: tuple[float, float], expected_km: float
) -> None:
    """Great-circle km of known pairs (the city pair to 0.1 km)."""
    assert haversine_km(*a, *b) == pytest.approx(expected_km, abs=0.1)


def test_haversine_broadcasts() -> None:
    """One call fills a whole origin × destination table."""
    table = haversine_km(np.zeros((3, 1)), np.zeros((3, 1)), np.zeros((1, 4)), np.arange(4.0))
    assert table.shape == (3, 4)
    assert table[2, 1] == pytest.approx(2 * math.pi * EARTH_RADIUS_KM / 360)


def test_road_km_and_minutes_apply_circuity_and_speed(scenario_data: dict[str, Any]) -> None:
    """Road km = great circle × circuity; minutes = km ÷ speed × 60."""
    scenario_data["travel"] = {"circuity_factor": 1.5, "speed_kmh": 75}
    travel = Travel(Scenario.model_validate(scenario_data))
    great_circle = float(haversine_km(50.1, 8.1, 50.0, 8.0))  # d1 → s1
    minutes, km = travel.pair("d1", "s1")
    assert km == pytest.approx(1.5 * great_circle)
    assert minutes == pytest.approx(1.5 * great_circle / 75 * 60)


def test_explicit_matrix_is_looked_up_by_id(scenario_data: dict[str, Any]) -> None:
    """In matrix mode the given minutes and km are returned, in the asked order."""
    ids = ["s1", "s2", "d1", "d2"]
    scenario_data["travel"] = {
        "mode": "matrix",
        "matrix": {
            "locations": ids,
            "minutes": [[10 * i + j for j in range(4)] for i in range(4)],
            "km": [[100 * i + j for j in range(4)] for i in range(4)],
        },
    }
    travel = Travel(Scenario.model_validate(scenario_data))
    assert travel.minutes(["d2", "s1"], ["s2"]).tolist() == [[31.0], [1.0]]
    assert travel.pair("d1", "s2") == (21.0, 201.0)
    assert travel.paired_minutes(["d2", "s1"], ["s2", "d1"]).tolist() == [31.0, 2.0]


@pytest.mark.parametrize("mode", ["haversine", "matrix"])
def test_paired_minutes_is_the_diagonal_of_the_table(
    scenario_data: dict[str, Any], mode: str
) -> None:
    """One trip per (origin, destination) pair equals the same cell of the full table."""
    ids = ["s1", "s2", "d1", "d2"]
    if mode == "matrix":
        scenario_data["travel"] = {
            "mode": "matrix",
            "matrix": {
                "locations": ids,
                "minutes": [[7 * i + 3 * j for j in range(4)] for i in range(4)],
                "km": [[0] * 4 for _ in range(4)],
            },
        }
    travel = Travel(Scenario.model_validate(scenario_data))
    origins, destinations = ["d1", "d2", "d1"], ["s1", "s2", "s2"]
    table = travel.minutes(origins, destinations)
    assert travel.paired_minutes(origins, destinations) == pytest.approx(np.diag(table))
    with pytest.raises(ValueError, match="2 origins but 1 destinations"):
        travel.paired_minutes(["d1", "d2"], ["s1"])


def test_matrix_must_cover_every_location(scenario_data: dict[str, Any]) -> None:
    """A matrix missing a site is rejected naming the site."""
    scenario_data["travel"] = {
        "mode": "matrix",
        "matrix": {"locations": ["s1"], "minutes": [[0]], "km": [[0]]},
    }
    with pytest.raises(ValueError, match="location 's2' has no row"):
        Scenario.model_validate(scenario_data)
