"""The previous plan of a re-solve, checked against the options and moved into this horizon.

Freezing a layer or pinning visits needs a previous plan: without one the solve stops with a
clear error instead of silently solving cold. The plan's routes are then moved onto this
scenario's horizon by calendar day (``nightly.align.on_horizon``), so that warm starts, frozen
routes and pins compare technician-days by calendar day.
"""

from __future__ import annotations

from aftersales.optimizer.nightly.align import on_horizon
from aftersales.optimizer.schema import Plan, Scenario, SolveOptions


class PreviousPlanError(ValueError):
    """Options that need a previous plan were given without one."""


def checked_previous(
    scenario: Scenario, options: SolveOptions, previous: Plan | None
) -> Plan | None:
    """The previous plan in this horizon, or a clear error when the options need one."""
    if previous is None:
        require_no_previous(options)
        return None
    return on_horizon(previous, scenario.horizon_start_day)


def require_no_previous(options: SolveOptions) -> None:
    """Raise ``PreviousPlanError`` when ``options`` keep parts of a previous plan (``freeze``,
    ``freeze_before_minute``): for a solve that has none."""
    needs = [f"freeze {', '.join(options.freeze)}"] if options.freeze else []
    if options.freeze_before_minute is not None:
        needs.append("freeze_before_minute")
    if needs:
        raise PreviousPlanError(
            f"options {' and '.join(needs)} keep parts of a previous plan, but none was "
            "given (Python: solve(..., previous=plan); CLI: --previous plan.json; HTTP: "
            "previous_job_id or previous_plan)"
        )
