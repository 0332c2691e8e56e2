"""Job-end callbacks: POST the job summary to ``callback_url``, HMAC-signed, with back-off.

The signature header is ``X-Aftersales-Signature: sha256=<hex HMAC-SHA256 of the raw body>``
keyed with the server's ``callback_secret``. Failed deliveries (network error or a non-2xx
answer) are retried ``callback_attempts`` times, the delay doubling from
``callback_backoff_seconds``. Deliveries live in memory: a restart forgets pending retries.
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import logging
import threading
import time
from dataclasses import dataclass, field

import httpx

logger = logging.getLogger("aftersales.api.callbacks")

SIGNATURE_HEADER = "X-Aftersales-Signature"


def sign(secret: str, body: bytes) -> str:
    """Header value signing ``body``: ``sha256=`` and the hex HMAC-SHA256."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass(order=True)
class _Delivery:
    due: float
    attempt: int
    url: str = field(compare=False)
    body: bytes = field(compare=False)


class CallbackSender:
    """One background thread delivering callbacks in due order."""

    def __init__(
        self, secret: str, attempts: int, backoff_seconds: float, timeout_seconds: float
    ) -> None:
        self.secret = secret
        self.attempts = attempts
        self.backoff_seconds = backoff_seconds
        self.timeout_seconds = timeout_seconds
        self._heap: list[_Delivery] = []
        self._cond = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="callbacks", daemon=True)

    def start(self) -> None:
        """Start delivering."""
        self._thread.start()

    def stop(self) -> None:
        """Stop; pending deliveries are dropped."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._thread.join(timeout=5)

    def submit(self, url: str, body: bytes) -> None:
        """Deliver ``body`` to ``url`` as soon as possible."""
        with self._cond:
            heapq.heappush(self._heap, _Delivery(time.monotonic(), 1, url, body))
            self._cond.notify_all()

    def _run(self) -> None:
        with httpx.Client(timeout=self.timeout_seconds) as client:
            while True:
                with self._cond:
                    while not self._stopping and (
                        not self._heap or self._heap[0].due > time.monotonic()
                    ):
                        wait = self._heap[0].due - time.monotonic() if self._heap else 1.0
                        self._cond.wait(timeout=max(0.01, min(wait, 1.0)))
                    if self._stopping:
                        return
                    delivery = heapq.heappop(self._heap)
                self._deliver(client, delivery)

    def _deliver(self, client: httpx.Client, delivery: _Delivery) -> None:
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(self.secret, delivery.body),
            "X-Aftersales-Delivery-Attempt": str(delivery.attempt),
        }
        try:
            response = client.post(delivery.url, content=delivery.body, headers=headers)
            if response.is_success:
                return
            reason = f"HTTP {response.status_code}"
        except httpx.HTTPError as exc:
            reason = f"{type(exc).__name__}: {exc}"
        if delivery.attempt >= self.attempts:
            logger.warning("callback to %s failed for good: %s", delivery.url, reason)
            return
        delay = self.backoff_seconds * 2 ** (delivery.attempt - 1)
        logger.info("callback to %s failed (%s); retry in %.1f s", delivery.url, reason, delay)
        with self._cond:
            heapq.heappush(
                self._heap,
                _Delivery(
                    time.monotonic() + delay, delivery.attempt + 1, delivery.url, delivery.body
                ),
            )
            self._cond.notify_all()
