"""Verify a plan by simulation; tighten the tiers it finds short (``options.verify``).

Loop (at most ``options.verify_rounds`` re-solves):

1. Simulate the plan against the *original* scenario (``simulate_replications`` replications,
   5 when it is 0, of ``simulate_years``).
2. A tier is *verified* when its simulated lower 95 % bound reaches its target. When every tier
   with calls is verified, or no round is left, stop.
3. Otherwise tighten each short tier *inside the model*: its model target becomes
   ``max(model target, forecast) + (target − simulated lower bound)``, capped at
   ``MAX_MODEL_TARGET``. The binding network model then buys the attainment the simulation
   found missing with whatever is cheapest (staff, stock or coverage). Re-solve the tightened
   scenario, warm-started from the current plan, and go to 1.

Under ``policy.attainment = "priced"`` targets do not bind, so the loop only simulates and
reports (no re-solve). The plan returned is the first one whose every tier is verified, else the
last one solved (a tighter plan never forecasts less than the one before it). Its KPIs are the
validator's recomputation against the original scenario, plus the simulated figures and
``verified``.

Time: the loop shares the solve's wall-clock limit. The first solve gets ``FIRST_SOLVE_SHARE``
of it; each re-solve gets what is left divided by the rounds still possible; a round with less
than ``MIN_ROUND_SECONDS`` left is skipped (the tiers stay unverified and the log says why). A
simulation already running is not interrupted: its time counts against the rounds after it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from aftersales.optimizer.schema import Plan, Scenario, SolveOptions
from aftersales.optimizer.simulate.kpis import with_simulation
from aftersales.optimizer.simulate.results import SimulationResult
from aftersales.optimizer.simulate.runner import simulate
from aftersales.optimizer.simulate.settings import SimulationSettings

logger = logging.getLogger("aftersales.optimizer.simulate")

DEFAULT_VERIFY_REPLICATIONS = 5
"""Replications per verification when ``options.simulate_replications`` is 0."""
MAX_MODEL_TARGET = 0.999
"""Highest target a tightened tier asks of the model (1.0 would demand certainty)."""
FIRST_SOLVE_SHARE = 0.75
"""Most plans verify in the first round (S and M seeds 0-2 all did), so the first solve gets
most of the limit; a re-solve starts from the plan before it (measurement: pipeline.LAYER_SHARE)."""
MIN_ROUND_SECONDS = 1.0

Resolve = Callable[[Scenario, SolveOptions, Plan | None], Plan]
"""Solve a scenario once (no verification) with options and an optional warm-start plan."""
Recheck = Callable[[Scenario, Plan], Plan]
"""The plan with its KPIs and status recomputed against a scenario (the pipeline's check)."""


@dataclass(frozen=True)
class VerifyRound:
    """What one round of the loop saw: per tier the model target and the simulated bound."""

    round: int
    model_targets: dict[str, float]
    ci_low: dict[str, float]
    verified: dict[str, bool]


def verify_settings(options: SolveOptions) -> SimulationSettings:
    """Simulation settings of the verify loop (seeded by ``options.seed``)."""
    return SimulationSettings(
        years=options.simulate_years,
        replications=options.simulate_replications or DEFAULT_VERIFY_REPLICATIONS,
        seed=options.seed,
    )


def short_tiers(result: SimulationResult) -> dict[str, float]:
    """Tier → shortfall ``target − lower 95 % bound`` of the tiers with calls below target."""
    return {
        t.tier: t.attainment_target - t.ci_low
        for t in result.tiers
        if t.calls_per_year > 0 and t.ci_low < t.attainment_target - 1e-12
    }


def tightened(
    scenario: Scenario, model_targets: dict[str, float], result: SimulationResult, plan: Plan
) -> dict[str, float]:
    """New model targets: a short tier asks ``max(model, forecast) + shortfall`` (capped)."""
    forecasts = {k.tier: k.forecast_attainment for k in plan.kpis}
    out = dict(model_targets)
    for tier, shortfall in short_tiers(result).items():
        forecast = forecasts.get(tier) or 0.0
        out[tier] = min(MAX_MODEL_TARGET, max(out[tier], forecast) + shortfall)
    return out


def with_targets(scenario: Scenario, targets: dict[str, float]) -> Scenario:
    """The scenario with each tier's attainment target replaced (parts target kept)."""
    tiers = [
        t.model_copy(
            update={
                "attainment_target": targets[t.id],
                "parts_on_hand_target": t.parts_on_hand_target,
            }
        )
        for t in scenario.tiers
    ]
    return scenario.model_copy(update={"tiers": tiers})


def mark_verified(plan: Plan, result: SimulationResult) -> Plan:
    """The plan with simulated KPIs and ``verified`` = lower bound ≥ target per tier."""
    plan = with_simulation(plan, result)
    short = short_tiers(result)
    simulated = {t.tier for t in result.tiers if t.calls_per_year > 0}
    kpis = [
        k.model_copy(update={"verified": k.tier not in short if k.tier in simulated else None})
        for k in plan.kpis
    ]
    return plan.model_copy(update={"kpis": kpis})


def verify_loop(
    scenario: Scenario,
    options: SolveOptions,
    resolve: Resolve,
    recheck: Recheck,
    previous: Plan | None = None,
) -> tuple[Plan, list[VerifyRound]]:
    """Solve, simulate, tighten and re-solve (see the module docstring)."""
    started = time.perf_counter()
    limit = options.time_limit_seconds
    # Targets bind only under the binding policy: a priced model would ignore the tightening.
    rounds = options.verify_rounds if scenario.policy.attainment == "binding" else 0
    settings = verify_settings(options)
    first = options.model_copy(
        update={
            "time_limit_seconds": limit * FIRST_SOLVE_SHARE if rounds else limit,
            "verify": False,
            "simulate_replications": 0,
        }
    )
    plan = resolve(scenario, first, previous)
    model_targets = {t.id: t.attainment_target for t in scenario.tiers}
    history: list[VerifyRound] = []
    for round_ in range(rounds + 1):
        result = simulate(scenario, plan, settings)
        plan = mark_verified(plan, result)
        short = short_tiers(result)
        history.append(
            VerifyRound(
                round_,
                dict(model_targets),
                {t.tier: t.ci_low for t in result.tiers},
                {t.tier: t.tier not in short for t in result.tiers},
            )
        )
        logger.info(
            "verify round %d: %s",
            round_,
            ", ".join(f"{t.tier} {t.ci_low:.3f}/{t.attainment_target:.3f}" for t in result.tiers),
        )
        if not short or round_ == rounds:
            break
        if options.repeatable:  # work budgets: each round its nominal share, not the clock's
            left = limit * (1 - FIRST_SOLVE_SHARE) * (rounds - round_) / rounds
        else:
            left = limit - (time.perf_counter() - started)
        seconds = left / (rounds - round_)
        if seconds < MIN_ROUND_SECONDS:
            logger.warning(
                "verify: %.1f s left, no time for round %d; %s stay unverified",
                left,
                round_ + 1,
                ", ".join(sorted(short)),
            )
            break
        model_targets = tightened(scenario, model_targets, result, plan)
        again = options.model_copy(
            update={"time_limit_seconds": seconds, "verify": False, "simulate_replications": 0}
        )
        candidate = resolve(with_targets(scenario, model_targets), again, plan)
        plan = recheck(scenario, candidate)
    return plan, history
