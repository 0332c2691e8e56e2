"""SLA-attainment simulation of a plan (discrete-event, SimPy) and its comparison with the
plan's analytic forecast.

A year (or ``years``) of failures per site and product is sampled as Poisson processes; each
failure draws its parts, takes them from the plan's stock pools (one-for-one replenishment after
the lead time; a stock-out waits for an emergency shipment), and is served by the nearest free
qualified technician of the serving depot, who works the scenario's weekly shift pattern. The
per-tier *attainment* is the share of calls whose technician is on site with the parts within
the promise; it is compared with the plan forecast ``coverage_share × parts_on_hand_probability``
(see ``forecast``). Rules in detail: ``data`` (serving depot, pools, candidates, calendar),
``engine`` (event logic), ``results`` (statistics, credits), ``settings``.
"""

from aftersales.optimizer.simulate.data import SimulationData, compile_simulation
from aftersales.optimizer.simulate.forecast import call_weighted_forecast, plan_forecast
from aftersales.optimizer.simulate.kpis import with_simulation
from aftersales.optimizer.simulate.results import SimulationResult, TierSimulation
from aftersales.optimizer.simulate.runner import simulate
from aftersales.optimizer.simulate.settings import SimulationSettings

__all__ = [
    "SimulationData",
    "SimulationResult",
    "SimulationSettings",
    "TierSimulation",
    "call_weighted_forecast",
    "compile_simulation",
    "plan_forecast",
    "simulate",
    "with_simulation",
]
