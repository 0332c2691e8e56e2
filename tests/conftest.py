"""Fixtures shared by every test package: a minimal valid scenario as plain JSON data."""

from __future__ import annotations

import copy
from typing import Any

import pytest

MINIMAL_SCENARIO: dict[str, Any] = {
    "name": "minimal",
    "skills": ["electrical", "mechanical"],
    "tiers": [
        {"id": "gold", "response_minutes": 240, "attainment_target": 0.95,
         "credit_per_breach": 500, "credit_cap_per_year": 2000},
        {"id": "bronze", "response_minutes": 4320, "attainment_target": 0.8},
    ],
    "products": [
        {"id": "scanner", "failure_rate_per_unit_year": 2.0, "repair_minutes": 90,
         "skill": "electrical", "parts": [{"part": "board", "probability": 0.5}]},
        {"id": "press", "failure_rate_per_unit_year": 1.0, "repair_minutes": 60,
         "skill": "mechanical", "parts": [{"part": "valve", "probability": 0.25}]},
    ],
    "parts": [
        {"id": "board", "unit_cost": 1000, "lead_time_days": 7.3},
        {"id": "valve", "unit_cost": 40, "lead_time_days": 3.65},
    ],
    "sites": [
        {"id": "s1", "lat": 50.0, "lon": 8.0, "tier": "gold", "installed_base": {"scanner": 2}},
        {"id": "s2", "lat": 50.2, "lon": 8.3, "tier": "bronze",
         "installed_base": {"press": 4, "scanner": 1}, "depot": "d1"},
    ],
    "depots": [
        {"id": "d1", "lat": 50.1, "lon": 8.1, "existing": True, "fixed_cost_per_year": 100000},
        {"id": "d2", "lat": 51.0, "lon": 9.0, "fixed_cost_per_year": 80000, "opening_cost": 5000},
    ],
    "technicians": [
        {"id": "t1", "depot": "d1", "skills": ["electrical", "mechanical"],
         "shifts": [{"day": 0, "start_minute": 480, "end_minute": 1020}],
         "break_minutes": 30},
    ],
    "requests": [
        {"id": "r1", "site": "s1", "product": "scanner", "opened_minute": 500,
         "duration_minutes": 90, "required_skills": ["electrical"], "parts": {"board": 1}},
        {"id": "r2", "site": "s2", "product": "press", "kind": "preventive", "opened_minute": 0,
         "duration_minutes": 60, "deferrable": True,
         "time_windows": [{"start": 480, "end": 960}], "due_minute": 1020},
    ],
    "options": {"time_limit_seconds": 10},
}  # fmt: skip


@pytest.fixture
def scenario_data() -> dict[str, Any]:
    """A fresh deep copy of the minimal scenario, free to mutate."""
    return copy.deepcopy(MINIMAL_SCENARIO)
