"""Analytic forecasts of attainment that the simulation is compared with.

* **Plan forecast** (what the plan claims): the tier KPI's ``forecast_attainment`` (docs/
  semantics.md, "Attainment and staffing"); a plan without it falls back to
  ``coverage_share × parts_on_hand_probability`` (``coverage_share`` alone without stock).
* **Call-weighted forecast** (a refinement, same assumptions about technicians): the share of
  the tier's *calls* (weights = failures per year of each site and product) that are within
  the promise and find every needed part on hand, where parts are drawn independently and each
  pool/part has the Poisson fill ``P(D ≤ S − 1)``; a call with a stock-out still attains when
  ``emergency_delay_minutes`` fits in the promise.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import poisson

from aftersales.optimizer.schema import TierKpi
from aftersales.optimizer.simulate.data import MINUTES_PER_YEAR, SimulationData


def plan_forecast(kpi: TierKpi) -> float:
    """The KPI's ``forecast_attainment`` (reach × parts × technician free, call-weighted);
    for a plan without it, coverage_share × parts_on_hand_probability."""
    if kpi.forecast_attainment is not None:
        return kpi.forecast_attainment
    parts = kpi.parts_on_hand_probability
    return kpi.coverage_share * (1.0 if parts is None else parts)


def pool_fill(data: SimulationData) -> dict[tuple[int, int], float]:
    """(pool, part) → Poisson fill P(D ≤ S − 1) of its lead-time demand."""
    fill = {}
    for (pool, part), rate in data.pool_part_rate.items():
        level = data.levels.get((pool, part), 0)
        mean = rate * data.part_lead_minutes[part] / MINUTES_PER_YEAR
        fill[(pool, part)] = float(poisson.cdf(level - 1, mean)) if level > 0 else 0.0
    return fill


def call_weighted_forecast(data: SimulationData) -> dict[str, float]:
    """Tier id → call-weighted analytic attainment (see the module docstring)."""
    fill = pool_fill(data) if data.stock_decided else {}
    weight = np.zeros(len(data.tier_ids))
    good = np.zeros(len(data.tier_ids))
    for stream in data.streams:
        tier = data.site_tier[stream.site]
        weight[tier] += stream.rate_per_year
        if not data.site_within[stream.site]:
            continue
        all_on_hand = 1.0
        if data.stock_decided:
            pool = int(data.site_pool[stream.site])
            for part, probability in data.product_parts[stream.product]:
                all_on_hand *= 1.0 - probability * (1.0 - fill.get((pool, part), 0.0))
        late_parts_ok = data.emergency_delay_minutes <= data.response_minutes[tier]
        good[tier] += stream.rate_per_year * (all_on_hand + (1 - all_on_hand) * late_parts_ok)
    return {
        tier: float(good[i] / weight[i]) if weight[i] > 0 else 0.0
        for i, tier in enumerate(data.tier_ids)
    }
