"""SLA-attainment simulation of a plan (discrete-event, SimPy), its comparison with the plan's
analytic forecast, and the verify loop.

A year (or ``years``) of failures per site and product is sampled as Poisson processes inside
each tier's service hours, with preventive visits beside them; each failure draws its parts from
the plan's stock pools (METRIC backorder rule: every demand orders one unit back; a stock-out
waits for an emergency shipment) and is served by the nearest free qualified technician of the
serving depot — the plan's crew (``technician_bases``) on the queueing model's roster. The
per-tier *attainment* is the share of calls whose technician is on site with the parts within
the promise, on the tier's service-hours clock; it is compared with the plan's
``forecast_attainment``. Rules in detail: ``data`` and ``crew`` (serving depot, pools,
candidates, roster), ``engine`` (event logic), ``results`` (statistics, credits), ``settings``,
``verify`` (``options.verify``), ``economics`` (fees, cost to serve, margin per tier).
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
