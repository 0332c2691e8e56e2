"""Aggregate replications into per-tier attainment with confidence intervals, and costs."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np
from scipy.stats import t as student_t

from aftersales.optimizer.simulate.calendar import clock_minutes
from aftersales.optimizer.simulate.data import MINUTES_PER_YEAR, SimulationData
from aftersales.optimizer.simulate.engine import ReplicationResult

CONFIDENCE = 0.95


@dataclass(frozen=True)
class TierSimulation:
    """Simulated service of one tier, next to the analytic forecasts.

    ``attainment`` is the share of calls whose technician is on site *with the parts* (repair
    can start) within the promise: ``ready − opened ≤ response_minutes`` on the tier's clock
    (minutes inside its service hours; wall-clock minutes for 24/7). ``on_site_share``
    counts the technician's arrival alone, ``completed_share`` the end of the repair.
    """

    tier: str
    response_minutes: float
    attainment_target: float
    forecast: float | None
    """Plan forecast: coverage_share × parts_on_hand_probability."""
    call_weighted_forecast: float
    calls_per_year: float
    attainment: float
    ci_low: float
    ci_high: float
    on_site_share: float
    completed_share: float
    p50_response_minutes: float
    p90_response_minutes: float
    p99_response_minutes: float
    stockout_calls_per_year: float
    parts_on_hand_share: float | None
    credits_per_year: float
    breaches_per_year: dict[str, float] = field(default_factory=dict)
    """Breached calls per year by cause: ``outside_promise`` (site out of reach of its serving
    depot), ``parts`` (a stock-out whose emergency delay exceeds the promise), ``technician``
    (waited for a free technician or a shift)."""

    @property
    def agrees(self) -> bool:
        """Simulated attainment within the CI of, or above, the plan forecast."""
        return self.forecast is None or bool(self.ci_high >= self.forecast - 1e-12)


@dataclass(frozen=True)
class SimulationResult:
    """Everything a run measured; money per simulated year."""

    tiers: list[TierSimulation]
    replications: int
    years: float
    seed: int
    call_hours: str
    seconds: float
    technician_utilisation: dict[str, float]
    emergency_shipments_per_year: float
    preventive_visits_per_year: float = 0.0
    preventive_hours_per_year: float = 0.0
    """Technician hours on preventive visits, travel included."""
    costs_per_year: dict[str, float] = field(default_factory=dict)

    @property
    def total_cost_per_year(self) -> float:
        """Sum of the simulated cost components."""
        return float(sum(self.costs_per_year.values()))

    def tier(self, tier_id: str) -> TierSimulation:
        """The result of one tier."""
        return next(t for t in self.tiers if t.tier == tier_id)


def confidence_interval(samples: np.ndarray, successes: int, trials: int) -> tuple[float, float]:
    """95 % CI of a share: Student t across replications, else Wilson over the pooled calls.

    Wilson also serves when every replication gave the same share (typically all calls in
    time): the replications' spread is then 0 and the t interval would collapse to a point,
    claiming a certainty that a few hundred calls cannot give.
    """
    if len(samples) >= 2 and float(np.std(samples, ddof=1)) > 0:
        mean = float(np.mean(samples))
        half = (
            student_t.ppf(0.5 + CONFIDENCE / 2, len(samples) - 1)
            * float(np.std(samples, ddof=1))
            / math.sqrt(len(samples))
        )
        return max(0.0, mean - half), min(1.0, mean + half)
    if trials == 0:
        return 0.0, 1.0
    z = 1.959963984540054
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials**2)) / (1 + z * z / trials)
    return max(0.0, centre - half), min(1.0, centre + half)


def summarise(
    data: SimulationData,
    runs: list[ReplicationResult],
    forecasts: dict[str, float | None],
    call_weighted: dict[str, float],
    attainment_targets: dict[str, float],
    *,
    years: float,
    seed: int,
    call_hours: str,
    seconds: float,
) -> SimulationResult:
    """Per-tier statistics over replications; response percentiles pool all calls."""
    tiers: list[TierSimulation] = []
    credits_total = 0.0
    for i, tier_id in enumerate(data.tier_ids):
        response = data.response_minutes[i]
        shares, responses = [], []
        met = calls = 0
        on_site = completed = stockouts = 0
        demanded = on_hand = 0.0
        credits = 0.0
        causes = {"outside_promise": 0, "parts": 0, "technician": 0}
        parts_late = data.emergency_delay_minutes > response
        for run in runs:
            mask = data.site_tier[run.site] == i
            opened = run.opened[mask]
            window = data.tier_window[i]
            ready = clock_minutes(window, opened, run.ready[mask])
            within = ready <= response + 1e-6
            if mask.any():
                shares.append(within.mean())
            responses.append(ready)
            met += int(within.sum())
            calls += int(mask.sum())
            arrival = clock_minutes(window, opened, run.arrival[mask])
            on_site += int((arrival <= response + 1e-6).sum())
            done = clock_minutes(window, opened, run.completed[mask])
            completed += int((done <= response + 1e-6).sum())
            stockouts += int(run.stockout[mask].sum())
            demanded += run.part_units_demanded[i]
            on_hand += run.part_units_on_hand[i]
            late_sites = run.site[mask][~within]
            outside = ~data.site_within[late_sites]
            by_parts = ~outside & run.stockout[mask][~within] & parts_late
            causes["outside_promise"] += int(outside.sum())
            causes["parts"] += int(by_parts.sum())
            causes["technician"] += int((~outside & ~by_parts).sum())
            credits += _credits(data, i, run.site[mask][~within], opened[~within], years)
        credits_total += credits
        all_responses = np.concatenate(responses) if responses else np.zeros(0)
        low, high = confidence_interval(np.asarray(shares), met, calls)
        p50, p90, p99 = (
            np.percentile(all_responses, [50, 90, 99]) if len(all_responses) else (0, 0, 0)
        )
        n = len(runs) * years
        tiers.append(
            TierSimulation(
                tier=tier_id,
                response_minutes=float(response),
                attainment_target=attainment_targets[tier_id],
                forecast=forecasts.get(tier_id),
                call_weighted_forecast=call_weighted[tier_id],
                calls_per_year=calls / n,
                attainment=met / calls if calls else 0.0,
                ci_low=low,
                ci_high=high,
                on_site_share=on_site / calls if calls else 0.0,
                completed_share=completed / calls if calls else 0.0,
                p50_response_minutes=float(p50),
                p90_response_minutes=float(p90),
                p99_response_minutes=float(p99),
                stockout_calls_per_year=stockouts / n,
                parts_on_hand_share=on_hand / demanded if demanded else None,
                credits_per_year=credits / n,
                breaches_per_year={k: v / n for k, v in causes.items()},
            )
        )
    n = len(runs) * years
    busy = np.sum([r.busy_minutes for r in runs], axis=0)
    shift = np.sum([r.shift_minutes for r in runs], axis=0)
    utilisation = {
        tech: float(busy[t] / shift[t]) if shift[t] > 0 else 0.0
        for t, tech in enumerate(data.tech_ids)
    }
    costs = {
        "depot_fixed": data.depot_fixed_per_year,
        "holding": data.holding_per_year,
        "emergency_shipments": float(sum(r.emergency_cost for r in runs)) / n,
        "call_travel": float(sum(r.travel_km for r in runs)) * data.travel_cost_per_km / n,
        "credits_after_caps": credits_total / n,
    }
    return SimulationResult(
        tiers=tiers,
        replications=len(runs),
        years=years,
        seed=seed,
        call_hours=call_hours,
        seconds=seconds,
        technician_utilisation=utilisation,
        emergency_shipments_per_year=sum(r.emergency_shipments for r in runs) / n,
        preventive_visits_per_year=sum(r.preventive_visits for r in runs) / n,
        preventive_hours_per_year=sum(r.preventive_minutes for r in runs) / 60.0 / n,
        costs_per_year=costs,
    )


def _credits(
    data: SimulationData, tier: int, sites: np.ndarray, opened: np.ndarray, years: float
) -> float:
    """Credits of breached calls, capped per site and simulated year."""
    if len(sites) == 0:
        return 0.0
    last_year = max(0, math.ceil(years) - 1)
    year = np.minimum((opened // MINUTES_PER_YEAR).astype(np.intp), last_year)
    _, counts = np.unique(np.stack([sites, year]), axis=1, return_counts=True)
    per_breach = data.credit_per_breach[tier]
    cap = data.credit_cap_per_year[tier]
    return float(np.minimum(counts * per_breach, cap).sum())


def result_dict(result: SimulationResult) -> dict[str, object]:
    """A JSON-ready dict of a result (numpy scalars as Python numbers, totals included)."""
    out = asdict(result)
    out["total_cost_per_year"] = result.total_cost_per_year
    for tier, source in zip(out["tiers"], result.tiers, strict=True):
        tier["agrees"] = source.agrees
    return _plain(out)  # type: ignore[return-value]


def _plain(value: object) -> object:
    """Replace numpy scalars in nested dicts and lists by Python scalars."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value
