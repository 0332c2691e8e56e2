"""A one-site scenario built by hand, shared by the simulation and verify tests."""

from __future__ import annotations

from aftersales.optimizer.schema import Scenario


def one_site(
    *,
    failures: float = 100.0,
    preventive: float = 0.0,
    lead_days: float = 7.3,
    repair_minutes: float = 60.0,
    response_minutes: float = 240.0,
    shifts: list[dict[str, float]] | None = None,
    unit_cost: float = 100.0,
) -> Scenario:
    """One gold site 10 km from its depot, one product needing part A every time, one
    technician; rates are per year for the single installed unit."""
    return Scenario.model_validate(
        {
            "skills": ["mech"],
            "tiers": [
                {"id": "gold", "response_minutes": response_minutes, "attainment_target": 0.9}
            ],
            "products": [
                {
                    "id": "P",
                    "failure_rate_per_unit_year": failures,
                    "preventive_visits_per_unit_year": preventive,
                    "parts": [{"part": "A", "probability": 1.0}],
                    "repair_minutes": repair_minutes,
                    "skill": "mech",
                }
            ],
            "parts": [{"id": "A", "unit_cost": unit_cost, "lead_time_days": lead_days}],
            "sites": [
                {
                    "id": "S",
                    "lat": 0.0,
                    "lon": 0.0,
                    "tier": "gold",
                    "installed_base": {"P": 1},
                    "depot": "D",
                }
            ],
            "depots": [{"id": "D", "lat": 0.0, "lon": 0.0, "fixed_cost_per_year": 0}],
            "technicians": [{"id": "T", "depot": "D", "skills": ["mech"], "shifts": shifts or []}],
            "travel": {
                "mode": "matrix",
                "matrix": {
                    "locations": ["S", "D"],
                    "minutes": [[0, 20], [20, 0]],
                    "km": [[0, 10], [10, 0]],
                },
            },
            "costs": {"dispatch_minutes": 30, "emergency_delay_minutes": 720},
        }
    )
