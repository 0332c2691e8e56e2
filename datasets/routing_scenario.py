"""A Scenario for routing benchmarks given as a plain matrix (TRSP, Solomon).

The benchmark readers describe technicians and requests; this module adds what the contract
needs around them (one tier without SLA pressure, one product, the depot, sites, an explicit
travel matrix) so that the instance goes through the product's own routing path.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aftersales.optimizer.schema import MINUTES_PER_DAY, Scenario

DEPOT_ID = "depot"
PRODUCT_ID = "job"
TIER_ID = "benchmark"
ANY_SKILL = "any"


def time_scale_for(horizon: float) -> float:
    """Scenario minutes per instance time unit: 1, or ½ when the horizon exceeds a shift's limit.

    A shift may end at most 2 × 1440 minutes after midnight; longer horizons (Solomon C2 and
    the TRSP instances built on it: 3390) are halved. Every time (travel, service, windows)
    scales alike, so feasibility and the optimal routes are unchanged and durations convert back
    exactly.
    """
    return 1.0 if horizon <= 2 * MINUTES_PER_DAY else 0.5


def routing_scenario(
    name: str,
    locations: Sequence[str],
    km: Sequence[Sequence[float]],
    scale: float,
    technicians: list[dict[str, Any]],
    requests: list[dict[str, Any]],
    *,
    skills: Sequence[str] = (),
    parts: Sequence[str] = (),
    unserved_penalty: float,
    travel_cost_per_km: float,
) -> Scenario:
    """The Scenario around ``technicians`` and ``requests`` (dicts of the schema's fields).

    ``locations`` name the rows of ``km``: the depot (``DEPOT_ID``), technician homes and the
    request sites. Travel minutes are ``km × scale``. The one tier promises the whole horizon,
    so only the requests' own windows and due times matter.
    """
    if not skills:  # everyone holds the one skill of the product
        skills = [ANY_SKILL]
        technicians = [{**t, "skills": [ANY_SKILL]} for t in technicians]
    sites = sorted({r["site"] for r in requests})
    horizon = max(s["end_minute"] for t in technicians for s in t["shifts"])
    return Scenario.model_validate(
        {
            "name": name,
            "skills": list(skills),
            "tiers": [{"id": TIER_ID, "response_minutes": horizon, "attainment_target": 1}],
            "products": [
                {
                    "id": PRODUCT_ID,
                    "failure_rate_per_unit_year": 1,
                    "repair_minutes": 1,
                    "skill": skills[0],
                }
            ],
            "parts": [{"id": p, "unit_cost": 1, "lead_time_days": 1} for p in parts],
            "sites": [
                {
                    "id": site,
                    "lat": 0.0,
                    "lon": 0.0,
                    "tier": TIER_ID,
                    "installed_base": {PRODUCT_ID: 1},
                }
                for site in sites
            ],
            "depots": [
                {"id": DEPOT_ID, "lat": 0.0, "lon": 0.0, "existing": True, "fixed_cost_per_year": 0}
            ],
            "technicians": technicians,
            "requests": requests,
            "travel": {
                "mode": "matrix",
                "matrix": {
                    "locations": list(locations),
                    "km": [list(row) for row in km],
                    "minutes": [[d * scale for d in row] for row in km],
                },
            },
            "costs": {
                "travel_cost_per_km": travel_cost_per_km,
                "unserved_penalty": unserved_penalty,
            },
            "policy": {"horizon_days": max(1, -(-int(horizon) // MINUTES_PER_DAY))},
        }
    )
