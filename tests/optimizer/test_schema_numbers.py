"""Finite numbers within ±1e12 in every contract model; linear paired travel for the validator."""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import Field, ValidationError

from aftersales.optimizer.schema import Scenario
from aftersales.optimizer.schema.common import MAX_MAGNITUDE, Strict
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


class _Nested(Strict):
    """Numbers in every shape a contract model holds them: plain, optional, lists, dicts."""

    plain: float = 0.0
    count: int = 0
    maybe: float | None = None
    table: list[list[float]] = Field(default_factory=list)
    by_id: dict[str, int] = Field(default_factory=dict)
    capped: float = Field(default=0.0, le=5.0)


NUMBERS = st.floats(min_value=-MAX_MAGNITUDE, max_value=MAX_MAGNITUDE)
INTEGERS = st.integers(-(10**12), 10**12)


@given(
    plain=NUMBERS,
    count=INTEGERS,
    maybe=st.none() | NUMBERS,
    table=st.lists(st.lists(NUMBERS, max_size=4), max_size=4),
    by_id=st.dictionaries(st.text(max_size=3), INTEGERS, max_size=4),
    huge=st.floats(min_value=MAX_MAGNITUDE + 1, allow_infinity=False)
    | st.integers(min_value=10**12 + 1, max_value=10**300),
    sign=st.sampled_from([1, -1]),
)
def test_every_number_is_bounded_wherever_it_sits(
    plain: float,
    count: int,
    maybe: float | None,
    table: list[list[float]],
    by_id: dict[str, int],
    huge: float,
    sign: int,
) -> None:
    """Hypothesis: numbers within ±1e12 pass in every shape; one number beyond it, put in any
    shape, fails at exactly its location (list index, dictionary key)."""
    data = {"plain": plain, "count": count, "maybe": maybe, "table": table, "by_id": by_id}
    assert _Nested.model_validate(data).table == table
    beyond = sign * huge
    for field, value, loc in [
        ("plain", float(beyond), ("plain",)),
        ("count", int(beyond), ("count",)),
        ("maybe", float(beyond), ("maybe",)),
        ("table", [*table, [0.0, float(beyond)]], ("table", len(table), 1)),
        ("by_id", {**by_id, "k" * 4: int(beyond)}, ("by_id", "k" * 4)),
    ]:
        with pytest.raises(ValidationError) as caught:
            _Nested.model_validate({**data, field: value})
        assert [e["loc"] for e in caught.value.errors()] == [loc]


def test_a_tighter_bound_is_kept() -> None:
    """A field's own, tighter bound stays (the magnitude bound only adds where it is wider)."""
    with pytest.raises(ValidationError, match="less than or equal to 5"):
        _Nested(capped=6.0)
    assert _Nested.model_json_schema()["properties"]["capped"]["maximum"] == 5.0


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
