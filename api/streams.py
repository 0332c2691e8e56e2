"""Caps on open server-sent event streams: per tenant and in total (429 beyond).

Each stream polls the store every ``events_poll_seconds``; without a cap a few hundred idle
clients starve the event loop and the database (400 streams made ``/health`` take 1.5 s). The
counters live in the event loop's thread only (opened by the async handler, closed when the
stream's generator ends), so they need no lock.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator


class StreamGate:
    """Counts open streams; ``open`` refuses beyond ``per_tenant`` or ``total``."""

    def __init__(self, per_tenant: int, total: int) -> None:
        self.per_tenant = per_tenant
        self.total = total
        self._open: Counter[str] = Counter()

    def open(self, tenant: str) -> bool:
        """Count a new stream of ``tenant``; False (nothing counted) over a cap."""
        if sum(self._open.values()) >= self.total or self._open[tenant] >= self.per_tenant:
            return False
        self._open[tenant] += 1
        return True

    def close(self, tenant: str) -> None:
        """A stream of ``tenant`` ended."""
        self._open[tenant] -= 1
        if self._open[tenant] <= 0:
            del self._open[tenant]

    def count(self, tenant: str | None = None) -> int:
        """Open streams (of ``tenant`` when given)."""
        return self._open[tenant] if tenant is not None else sum(self._open.values())

    async def guard(self, tenant: str, stream: AsyncIterator[str]) -> AsyncIterator[str]:
        """Relay ``stream`` and release its slot however it ends (done, error, disconnect)."""
        try:
            async for chunk in stream:
                yield chunk
        finally:
            self.close(tenant)
