"""A one-tier contract scenario of the staffing tests: sites east of D1, D2 0.6° east."""

from __future__ import annotations

from aftersales.optimizer.schema import Scenario


def contract_scenario(
    rate: float,
    units: list[int],
    offsets: list[float],
    existing: int,
    target: float,
    hours: float = 400.0,
    service_hours: object = "24/7",
) -> Scenario:
    """One gold tier, one skill, sites east of D1 (D2 lies 0.6° east); km by haversine."""
    sites = [
        {
            "id": f"S{n + 1}",
            "lat": 50.0,
            "lon": 10.0 + offset,
            "tier": "gold",
            "installed_base": {"P1": count},
            "depot": "D1",
        }
        for n, (count, offset) in enumerate(zip(units, offsets, strict=True))
    ]
    return Scenario.model_validate(
        {
            "skills": ["mech"],
            "tiers": [
                {
                    "id": "gold",
                    "response_minutes": 90,
                    "attainment_target": target,
                    "credit_per_breach": 100,
                    "credit_cap_per_year": 300,
                    "service_hours": service_hours,
                }
            ],
            "products": [
                {
                    "id": "P1",
                    "failure_rate_per_unit_year": rate,
                    "repair_minutes": 60,
                    "skill": "mech",
                }
            ],
            "sites": sites,
            "depots": [
                {
                    "id": "D1",
                    "lat": 50.0,
                    "lon": 10.0,
                    "existing": True,
                    "fixed_cost_per_year": 1000,
                    "closing_cost": 300,
                },
                {
                    "id": "D2",
                    "lat": 50.0,
                    "lon": 10.6,
                    "fixed_cost_per_year": 600,
                    "opening_cost": 500,
                },
            ],
            "technicians": [
                {"id": f"T{n + 1}", "depot": "D1", "skills": ["mech"], "hourly_cost": 50}
                for n in range(existing)
            ],
            "costs": {
                "technician_hours_per_year": hours,
                "technician_cost_per_year": 30_000,
                "hiring_cost_per_technician": 5_000,
                "relocation_cost_per_technician": 2_000,
                "release_cost_per_technician": 4_000,
            },
        }
    )
