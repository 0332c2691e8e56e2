"""How a tier's attainment target is split into reach, parts and technician allowances.

Attainment of a tier is ``Σ λ_s r_s p_s t_s / Σ λ_s``. When every reached site's technician
factor is at least ``τ`` and the tier's call-weighted parts factor at least ``π``, the attainment
is at least ``τ × (π + ρ − 1)`` where ``ρ`` is the call-weighted reach (the calls not reached lose
at most their share of the parts factor). The network model requires ``ρ ≥ ρ_T``, every pool
``1 − C(c, a) ≥ τ``, and the stock layer ``π_T``, with ``τ (π_T + ρ_T − 1) = target``.

The split is fixed, not optimised: ``τ = 1 − TECHNICIAN_LOSS_SHARE × (1 − highest target)`` (one
free probability for all pools, since a pool serves every tier); a tier whose emergency delay fits
inside its promise needs no parts allowance (``π = 1``); the others share the rest equally
between reach and parts.
"""

from __future__ import annotations

from dataclasses import dataclass

from aftersales.optimizer.schema import Scenario, Tier

TECHNICIAN_LOSS_SHARE = 0.75
"""Share of the tightest tier's allowed loss (1 − target) given to waiting for a technician.

Technicians are the dearest lever (a hire costs a year's labour) while the parts and reach
allowances cost stock and depots, far less per point. Measured side by side in one run (default
options, 60 s, loaded machine), cube root of 0.95 (τ = 0.983, the first rule) → share 0.75
(τ = 0.9625): technicians S seeds 0/1/2 19/17/22 → 18/14/18, M seed 0 135 → 126; first-year
cost S 2.83/2.58/3.73 M → 2.70/2.24/3.23 M, M 18.7 → 18.0 M; stock cost up 1–12 %; every tier
met, every plan valid. The reach and parts allowances share the rest."""


@dataclass(frozen=True)
class TierAllowance:
    """Reach and parts allowances of one tier (the technician allowance is scenario-wide)."""

    tier: str
    target: float
    reach: float
    """Call-weighted share of calls within promise the network must reach."""
    parts: float
    """Call-weighted probability a call's parts do not break it."""

    @property
    def parts_matter(self) -> bool:
        return self.parts < 1.0


def parts_matter(tier: Tier, emergency_delay_minutes: float) -> bool:
    """A stock-out breaks a call only when the emergency delay exceeds the promise."""
    return tier.response_minutes < emergency_delay_minutes


def technician_allowance(scenario: Scenario) -> float:
    """τ = 1 − TECHNICIAN_LOSS_SHARE × (1 − highest target); 1 without technicians.

    τ ≥ every target (the share is ≤ 1), so each tier's ``target / τ`` is a probability.
    """
    if not scenario.technicians:
        return 1.0
    highest = max(t.attainment_target for t in scenario.tiers)
    return 1.0 - TECHNICIAN_LOSS_SHARE * (1.0 - highest)


def tier_allowances(scenario: Scenario, free_probability: float) -> dict[str, TierAllowance]:
    """Reach and parts allowances per tier such that ``τ (π + ρ − 1) = target``."""
    delay = scenario.costs.emergency_delay_minutes
    out = {}
    for tier in scenario.tiers:
        share = min(1.0, tier.attainment_target / free_probability)
        if parts_matter(tier, delay):
            reach = parts = (share + 1.0) / 2.0
        else:
            reach, parts = share, 1.0
        out[tier.id] = TierAllowance(tier.id, tier.attainment_target, reach, parts)
    return out


def unit_fill_target(allowance: TierAllowance, calls_per_unit_min: float) -> float:
    """Per-unit fill a stock group needs so that its calls meet the parts allowance.

    Calls broken by a stock-out are at most the units short: Σ calls × p ≥ calls − (1 − F) ×
    units, so ``F ≥ 1 − (1 − π) × calls/units`` per group; the tier's smallest calls-per-unit
    ratio over its sites makes it hold for every group.
    """
    if not allowance.parts_matter:
        return 0.0
    return min(1.0, max(0.0, 1.0 - (1.0 - allowance.parts) * calls_per_unit_min))
