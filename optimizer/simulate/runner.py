"""Run independent replications (in parallel processes) and summarise them."""

from __future__ import annotations

import logging
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from aftersales.optimizer.schema import Plan, Scenario
from aftersales.optimizer.simulate.data import SimulationData, compile_simulation
from aftersales.optimizer.simulate.engine import ReplicationResult, run_replication
from aftersales.optimizer.simulate.forecast import call_weighted_forecast, plan_forecast
from aftersales.optimizer.simulate.results import SimulationResult, summarise
from aftersales.optimizer.simulate.settings import SimulationSettings

logger = logging.getLogger("aftersales.optimizer.simulate")


def replication_seeds(seed: int, replications: int) -> list[np.random.SeedSequence]:
    """Independent child seeds: replication r always gets the same stream for a root seed."""
    return np.random.SeedSequence(seed).spawn(replications)


def run_replications(data: SimulationData, settings: SimulationSettings) -> list[ReplicationResult]:
    """All replications, in ``settings.workers`` processes (results in replication order)."""
    seeds = replication_seeds(settings.seed, settings.replications)
    workers = min(settings.workers, settings.replications)
    if multiprocessing.current_process().daemon:
        workers = 1  # a daemonic worker (e.g. of the API's pool) may not start processes
    if workers == 1:
        return [run_replication(data, settings, s) for s in seeds]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(run_replication, [data] * len(seeds), [settings] * len(seeds), seeds))


def simulate(
    scenario: Scenario, plan: Plan, settings: SimulationSettings | None = None
) -> SimulationResult:
    """Simulate ``plan`` over ``settings.years`` and compare with its analytic forecast.

    The plan forecast of a tier is its KPI ``coverage_share × parts_on_hand_probability``;
    when ``plan.kpis`` is empty the validator recomputes the KPIs from the scenario.
    """
    settings = settings or SimulationSettings()
    started = time.perf_counter()
    data = compile_simulation(scenario, plan, settings.roster)
    kpis = plan.kpis
    if not kpis:
        from aftersales.optimizer.validate import validate

        kpis = validate(scenario, plan).kpis
    forecasts: dict[str, float | None] = {k.tier: plan_forecast(k) for k in kpis}
    runs = run_replications(data, settings)
    result = summarise(
        data,
        runs,
        forecasts,
        call_weighted_forecast(data),
        {t.id: t.attainment_target for t in scenario.tiers},
        years=settings.years,
        seed=settings.seed,
        call_hours=settings.call_hours,
        seconds=time.perf_counter() - started,
    )
    logger.info("simulated %d replications in %.1f s", settings.replications, result.seconds)
    return result
