"""Parameters of a simulation run: horizon, replications, seed, workers, call hours."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from aftersales.optimizer.simulate.crew import Roster

CallHours = Literal["tier", "shifts", "always"]
"""When failures are reported: in each tier's service hours (``tier``, the contract), during the
weekly window of the technicians' shifts (``shifts``), or around the clock (``always``)."""


@dataclass(frozen=True)
class SimulationSettings:
    """How to simulate a plan.

    Parameters
    ----------
    years
        Simulated horizon of each replication, years of 365 days.
    replications
        Independent replications; the confidence interval is taken across them.
    seed
        Root seed; replication ``r`` uses the ``r``-th child of ``SeedSequence(seed)``.
    workers
        Worker processes for the replications; 1 runs them in this process.
    call_hours
        ``tier`` (default): the calls of a tier arrive inside its ``service_hours`` (a 24/7 tier
        around the clock); ``shifts``: inside the union of the technicians' weekly shift hours;
        ``always``: around the clock. The yearly count is unchanged. Whatever the arrivals, a
        tier's response clock runs only in its service hours.
    unlimited_technicians
        What-if: a technician is always free at the serving depot, around the clock (the
        analytic forecast's assumption); isolates the stock and coverage effects.
    roster
        When technicians take calls: ``service_hours`` (default: their shifts plus on-call cover
        in the service hours of the tiers their depot serves — the queueing model's assumption)
        or ``shifts`` (their own shifts only); see ``optimizer/simulate/crew.py``.
    drain_days
        After the horizon no new calls arrive, but open calls are run to completion for up to
        this many days; calls still without a technician then count as breached.
    """

    years: float = 1.0
    replications: int = 10
    seed: int = 0
    workers: int = 2
    call_hours: CallHours = "tier"
    unlimited_technicians: bool = False
    drain_days: float = 14.0
    roster: Roster = "service_hours"

    def __post_init__(self) -> None:
        if self.years <= 0:
            raise ValueError("years must be positive.")
        if self.replications < 1:
            raise ValueError("replications must be at least 1.")
        if self.workers < 1:
            raise ValueError("workers must be at least 1.")
        if self.seed < 0:
            raise ValueError("seed must be non-negative.")
        if self.call_hours not in ("tier", "shifts", "always"):
            raise ValueError("call_hours must be 'tier', 'shifts' or 'always'.")
        if self.roster not in ("service_hours", "shifts"):
            raise ValueError("roster must be 'service_hours' or 'shifts'.")
        if self.drain_days < 0:
            raise ValueError("drain_days must be non-negative.")
