"""The Scenario/Plan contract: round trips, JSON Schema export and located error messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pydantic import ValidationError

from aftersales.optimizer.schema import Plan, Route, Scenario, field_errors, json_pointer

Mutation = Callable[[dict[str, Any]], None]


def test_minimal_scenario_is_valid(scenario_data: dict[str, Any]) -> None:
    """The shared fixture passes every check."""
    scenario = Scenario.model_validate(scenario_data)
    assert [s.id for s in scenario.sites] == ["s1", "s2"]


def test_scenario_json_round_trip(scenario_data: dict[str, Any]) -> None:
    """Scenario → JSON → Scenario gives an equal object."""
    scenario = Scenario.model_validate(scenario_data)
    assert Scenario.model_validate_json(scenario.model_dump_json()) == scenario


def test_plan_round_trip_keeps_break_alias() -> None:
    """A route's break is written as 'break' and read back."""
    plan = Plan(
        status="feasible",
        routes=[
            Route(
                technician="t1", day=0, start=480, end=900, **{"break": {"start": 700, "end": 730}}
            )
        ],
    )
    text = plan.model_dump_json()
    assert '"break":{"start":700.0' in text
    assert Plan.model_validate_json(text) == plan


@pytest.mark.parametrize("model", [Scenario, Plan])
def test_json_schema_exports_required_keys(model: type[Scenario] | type[Plan]) -> None:
    """Both documents export a JSON Schema naming the keys scripts rely on."""
    properties = model.model_json_schema()["properties"]
    expected = (
        {
            "tiers",
            "products",
            "parts",
            "sites",
            "depots",
            "technicians",
            "requests",
            "travel",
            "costs",
        }
        if model is Scenario
        else {
            "status",
            "depots",
            "assignments",
            "stock",
            "routes",
            "unserved",
            "costs",
            "kpis",
            "layers",
        }
    )
    assert expected <= set(properties)


def _set(path: tuple[Any, ...], value: Any) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        target = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return mutate


def _append(collection: str, index: int) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        data[collection].append(dict(data[collection][index]))

    return mutate


BAD_INPUTS: list[tuple[str, Mutation, str, str]] = [
    ("duplicate site", _append("sites", 0), "/sites/2/id", "duplicate sites id 's1'"),
    ("duplicate depot", _append("depots", 1), "/depots/2/id", "duplicate depots id 'd2'"),
    ("site id equals depot id", _set(("depots", 0, "id"), "s1"), "/depots/0/id", "also a site id"),
    ("unknown tier", _set(("sites", 0, "tier"), "platinum"), "/sites/0/tier",
     "unknown tier 'platinum'"),
    ("unknown product", _set(("sites", 1, "installed_base"), {"lathe": 1}),
     "/sites/1/installed_base/lathe", "unknown product 'lathe'"),
    ("unknown part", _set(("products", 0, "parts", 0, "part"), "gear"),
     "/products/0/parts/0/part", "unknown part 'gear'"),
    ("unknown depot of site", _set(("sites", 1, "depot"), "d9"), "/sites/1/depot",
     "unknown depot 'd9'"),
    ("unknown technician depot", _set(("technicians", 0, "depot"), "d9"),
     "/technicians/0/depot", "unknown depot 'd9'"),
    ("unknown skill", _set(("technicians", 0, "skills"), ["welding"]),
     "/technicians/0/skills/0", "unknown skill 'welding'"),
    ("unknown required skill", _set(("requests", 0, "required_skills"), ["x"]),
     "/requests/0/required_skills/0", "unknown skill 'x'"),
    ("unknown request site", _set(("requests", 0, "site"), "s9"), "/requests/0/site",
     "unknown site 's9'"),
    ("unknown pinned technician", _set(("requests", 0, "pinned_technician"), "t9"),
     "/requests/0/pinned_technician", "unknown technician 't9'"),
    ("zero duration", _set(("requests", 0, "duration_minutes"), 0),
     "/requests/0/duration_minutes", "greater than 0"),
    ("negative repair time", _set(("products", 0, "repair_minutes"), -5),
     "/products/0/repair_minutes", "greater than 0"),
    ("zero installed units", _set(("sites", 0, "installed_base"), {"scanner": 0}),
     "/sites/0/installed_base/scanner", "installed units must be ≥ 1"),
    ("target above one", _set(("tiers", 0, "attainment_target"), 1.5),
     "/tiers/0/attainment_target", "less than or equal to 1"),
    ("target zero", _set(("tiers", 0, "attainment_target"), 0),
     "/tiers/0/attainment_target", "greater than 0"),
    ("latitude out of range", _set(("sites", 0, "lat"), 95), "/sites/0/lat",
     "less than or equal to 90"),
    ("longitude out of range", _set(("depots", 0, "lon"), -181),
     "/depots/0/lon", "greater than or equal to -180"),
    ("shift end before start",
     _set(("technicians", 0, "shifts"), [{"day": 0, "start_minute": 600, "end_minute": 500}]),
     "/technicians/0/shifts/0", "must be after start_minute"),
    ("shift outside horizon",
     _set(("technicians", 0, "shifts"), [{"day": 9, "start_minute": 480, "end_minute": 900}]),
     "/technicians/0/shifts/0/day", "outside the 5-day horizon"),
    ("time window reversed", _set(("requests", 1, "time_windows"), [{"start": 900, "end": 100}]),
     "/requests/1/time_windows/0", "before its start"),
    ("unknown key", _set(("sites", 0, "colour"), "red"), "/sites/0/colour", "Extra inputs"),
    ("missing field", _set(("tiers", 0), {"id": "gold"}), "/tiers/0/response_minutes",
     "Field required"),
    ("min depots above count", _set(("policy",), {"min_open_depots": 5}),
     "/policy/min_open_depots", "exceeds the 2 candidate depots"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("mutate", "pointer", "message"),
    [case[1:] for case in BAD_INPUTS],
    ids=[case[0] for case in BAD_INPUTS],
)
def test_bad_input_names_field_and_reason(
    scenario_data: dict[str, Any], mutate: Mutation, pointer: str, message: str
) -> None:
    """Each kind of bad input is rejected with its JSON pointer and a precise message."""
    mutate(scenario_data)
    with pytest.raises(ValidationError) as caught:
        Scenario.model_validate(scenario_data)
    found = {(e.pointer, e.message) for e in field_errors(caught.value)}
    assert any(p == pointer and message in m for p, m in found), found


def test_all_reference_errors_reported_together(scenario_data: dict[str, Any]) -> None:
    """Several dangling references are reported in one error, not one at a time."""
    scenario_data["sites"][0]["tier"] = "x"
    scenario_data["requests"][1]["site"] = "y"
    with pytest.raises(ValidationError) as caught:
        Scenario.model_validate(scenario_data)
    pointers = {e.pointer for e in field_errors(caught.value)}
    assert {"/sites/0/tier", "/requests/1/site"} <= pointers


def test_json_pointer_escapes_special_characters() -> None:
    """RFC 6901: '~' becomes '~0' and '/' becomes '~1'."""
    assert (
        json_pointer(("sites", 0, "installed_base", "a/b~c")) == "/sites/0/installed_base/a~1b~0c"
    )
