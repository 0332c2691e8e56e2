"""Finite numbers within ±1e12 in every contract model; linear paired travel for the validator."""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from aftersales.optimizer.schema import Scenario
from aftersales.optimizer.schema.common import MAX_MAGNITUDE, out_of_range
from aftersales.optimizer.travel import Travel

BAD = [math.nan, math.inf, -math.inf, 1e308, -1e308, MAX_MAGNITUDE * 1.01]


def _errors_at(data: dict[str, Any]) -> set[tuple[Any, ...]]:
    try:
        Scenario.model_validate(data)
    except ValidationError as exc:
        return {tuple(e["loc"]) for e in exc.errors()}
    return set()


@pytest.mark.parametrize("value", BAD)
def test_non_finite_or_huge_numbers_are_refused_where_they_are(
    scenario_data: dict[str, Any], value: float
) -> None:
    """NaN, ±Infinity and magnitudes beyond 1e12 fail at the field, in typed and plain floats."""
    typed = copy.deepcopy(scenario_data)
    typed["parts"][0]["unit_cost"] = value
    assert ("parts", 0, "unit_cost") in _errors_at(typed)
    plain = copy.deepcopy(scenario_data)
    plain["requests"][0]["opened_minute"] = value
    assert ("requests", 0, "opened_minute") in _errors_at(plain)


def test_numbers_at_the_bound_pass(scenario_data: dict[str, Any]) -> None:
    """Exactly 1e12 is allowed (the bound is inclusive)."""
    data = copy.deepcopy(scenario_data)
    data["parts"][0]["unit_cost"] = MAX_MAGNITUDE
    assert _errors_at(data) == set()


@given(
    st.recursive(
        st.floats(min_value=-MAX_MAGNITUDE, max_value=MAX_MAGNITUDE)
        | st.integers(-(10**12), 10**12),
        lambda children: st.lists(children, max_size=4),
        max_leaves=20,
    )
)
def test_out_of_range_accepts_every_bounded_nesting(value: Any) -> None:
    """Hypothesis: numbers and nested lists of numbers within ±1e12 are never out of range,
    and appending one number beyond it anywhere makes them so."""
    assert not out_of_range(value)
    assert out_of_range([value, 2 * MAX_MAGNITUDE])


def test_paired_travel_equals_the_table_diagonal(scenario_data: dict[str, Any]) -> None:
    """paired_km/paired_minutes give the diagonal of the full tables, without building them."""
    travel = Travel(Scenario.model_validate(scenario_data))
    places = [s["id"] for s in scenario_data["sites"]] + [d["id"] for d in scenario_data["depots"]]
    origins, destinations = places[:-1], places[1:]
    np.testing.assert_allclose(
        travel.paired_km(origins, destinations), np.diagonal(travel.km(origins, destinations))
    )
    np.testing.assert_allclose(
        travel.paired_minutes(origins, destinations),
        np.diagonal(travel.minutes(origins, destinations)),
    )
    with pytest.raises(ValueError, match="origins"):
        travel.paired_km(origins, destinations[:-1])
