"""How a solve's end is written to the job store: one rule for the local pool and Celery workers.

Every write is conditional on the attempt still holding the job's lease (``owner``), so an
attempt whose lease was lost — its job requeued and taken by another worker — never records a
second result.
"""

from __future__ import annotations

import signal
from typing import Any

from aftersales.api.store import JobStore


def record_end(
    store: JobStore,
    job_id: str,
    owner: str,
    stop_reason: str | None,
    outcome: tuple[str, Any] | None,
) -> bool | None:
    """Record a solve that answered (``outcome``: ``("plan", json)`` or ``("error", text)``)
    or was stopped (``stop_reason``: cancelled, lease lost, time limit). True if this ended
    the job (one callback per end), False if not (lease lost, or already ended); None when the
    solver died without answering and was not stopped: the caller retries or fails it."""
    if stop_reason == "lease lost":
        return False
    if stop_reason == "cancelled":
        return store.finish(job_id, "cancelled", error="cancelled by request", owner=owner)
    if outcome is not None and outcome[0] == "plan":
        return store.finish(job_id, "succeeded", plan_json=outcome[1], owner=owner)
    if outcome is not None:
        return store.finish(job_id, "failed", error=outcome[1], owner=owner)
    if stop_reason is not None:
        return store.finish(job_id, "failed", error=stop_reason, owner=owner)
    return None


def death_reason(exitcode: int | None, memory_mb: int | None = None) -> str:
    """Why a solver process ended without an answer, for the job's error."""
    limit = (
        f" (likely over its {memory_mb} MB memory limit, AFTERSALES_MAX_SOLVER_MEMORY_MB)"
        if memory_mb
        else ""
    )
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = str(-exitcode)
        return f"solver process died (signal {name}){limit}"
    return f"solver process exited without a result (exit code {exitcode}){limit}"
