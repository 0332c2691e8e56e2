"""Job-end callbacks: an outbox in the job store, sent HMAC-signed, concurrently, with back-off.

When a job ends, its callback (the job summary) is written to the outbox table once
(``aftersales_callbacks``, unique per job). A sender thread claims due rows, posts them from a
small thread pool with a short timeout each (one slow receiver delays nobody else) and records
each attempt; a network error or non-2xx answer is retried ``callback_attempts`` times, the
delay doubling from ``callback_backoff_seconds``. Because the outbox is in the store, retries
survive a restart and any server sharing the store may send them.

The signature header is ``X-Aftersales-Signature: sha256=<hex HMAC-SHA256 of the raw body>``
keyed with the server's ``callback_secret``.

Where callbacks may go (server-side request forgery): ``https`` only, unless the operator
allows ``http`` (``callback_allow_http``). The host is resolved when the callback is sent, and
the callback is refused for good when any address is loopback, private, link-local, multicast,
reserved or unspecified, unless ``callback_allow`` names the host or the address. Decimal,
octal and hexadecimal IPv4 spellings (``http://2130706433/``) resolve to the address they mean
and are refused with it.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import socket
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx

from aftersales.api.store import Callback, JobStore

if TYPE_CHECKING:
    from aftersales.api.settings import Settings

logger = logging.getLogger("aftersales.api.callbacks")

SIGNATURE_HEADER = "X-Aftersales-Signature"
Resolver = Callable[[str, int], list[str]]


class RefusedDestination(Exception):
    """A callback URL the server will not call (scheme or address not allowed)."""


def sign(secret: str, body: bytes) -> str:
    """Header value signing ``body``: ``sha256=`` and the hex HMAC-SHA256."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (what a connection could reach)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


def internal(address: str) -> bool:
    """Whether an address is loopback, private, link-local, multicast, reserved or
    unspecified (IPv4-mapped IPv6 addresses are judged as the IPv4 address they carry)."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


@dataclass(frozen=True)
class Destinations:
    """The operator's rules for callback URLs."""

    allow_http: bool = False
    allow: frozenset[str] = frozenset()
    """Hosts or addresses (as written) callbacks may reach although they are internal."""

    @classmethod
    def from_settings(cls, settings: Settings) -> Destinations:
        """Rules from ``AFTERSALES_CALLBACK_ALLOW_HTTP`` and ``AFTERSALES_CALLBACK_ALLOW`` (a
        comma-separated list of hosts or addresses)."""
        allow = settings.callback_allow.split(",")
        names = frozenset(h.strip().lower().strip("[]") for h in allow if h.strip())
        return cls(settings.callback_allow_http, names)

    def check_scheme(self, url: str) -> None:
        """Refuse a scheme the operator does not allow (checked at submission too)."""
        scheme = urlsplit(url).scheme.lower()
        if scheme == "https" or (scheme == "http" and self.allow_http):
            return
        allowed = "https or http" if self.allow_http else "https"
        raise RefusedDestination(f"callback_url must use {allowed}, not {scheme or 'nothing'}")

    def check(self, url: str, resolver: Resolver = resolve) -> None:
        """Refuse ``url`` unless its scheme is allowed and every address its host resolves
        to now is public or allowlisted."""
        self.check_scheme(url)
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if not host:
            raise RefusedDestination("callback_url has no host")
        if host in self.allow:
            return
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
        try:
            addresses = resolver(host, port)
        except OSError as exc:
            raise RefusedDestination(f"cannot resolve {host}: {exc}") from exc
        if not addresses:
            raise RefusedDestination(f"{host} resolves to no address")
        blocked = [a for a in addresses if internal(a) and a not in self.allow]
        if blocked:
            raise RefusedDestination(
                f"{host} resolves to internal address {', '.join(blocked)} "
                "(loopback, private, link-local, multicast or reserved); an operator may allow "
                "it with AFTERSALES_CALLBACK_ALLOW"
            )


class CallbackSender:
    """A thread sending the outbox's due callbacks through a small pool of sender threads."""

    def __init__(
        self,
        store: JobStore,
        secret: str,
        *,
        attempts: int = 5,
        backoff_seconds: float = 0.5,
        timeout_seconds: float = 3,
        concurrency: int = 8,
        destinations: Destinations | None = None,
        poll_seconds: float = 1.0,
    ) -> None:
        self.store = store
        self.secret = secret
        self.attempts = attempts
        self.backoff_seconds = backoff_seconds
        self.timeout_seconds = timeout_seconds
        self.concurrency = concurrency
        self.destinations = destinations or Destinations()
        self.poll_seconds = poll_seconds
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="callbacks", daemon=True)

    def start(self) -> None:
        """Start sending."""
        self._thread.start()

    def stop(self) -> None:
        """Stop; callbacks not yet sent stay in the outbox for the next start."""
        self._stopping.set()
        self._wake.set()
        self._thread.join(timeout=self.timeout_seconds + 5)

    def wake(self) -> None:
        """A callback was added: look at the outbox now."""
        self._wake.set()

    def _run(self) -> None:
        limits = httpx.Limits(max_connections=self.concurrency)
        timeout = httpx.Timeout(self.timeout_seconds)
        with (
            httpx.Client(timeout=timeout, limits=limits, follow_redirects=False) as client,
            ThreadPoolExecutor(self.concurrency, thread_name_prefix="callback") as pool,
        ):
            while not self._stopping.is_set():
                try:
                    due = self.store.claim_callbacks(
                        self.concurrency * 4, hold_seconds=self.timeout_seconds * 3 + 10
                    )
                    self._send_all(pool, client, due)
                except Exception:  # the sender must outlive a database hiccup
                    logger.exception("callback sender iteration failed")
                    due = []
                if not due:
                    self._wake.wait(timeout=self.poll_seconds)
                    self._wake.clear()

    def _send_all(
        self, pool: ThreadPoolExecutor, client: httpx.Client, due: Iterable[Callback]
    ) -> None:
        futures = [pool.submit(self._deliver, client, row) for row in due]
        for future in futures:
            future.result()

    def _deliver(self, client: httpx.Client, row: Callback) -> None:
        attempt = row.attempt + 1
        try:
            self.destinations.check(row.url)
        except RefusedDestination as exc:
            logger.warning("callback of job %s refused: %s", row.job_id, exc)
            self.store.callback_done(row.seq, sent=False, error=f"refused: {exc}", retry_in=None)
            return
        body = row.body.encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(self.secret, body),
            "X-Aftersales-Delivery-Attempt": str(attempt),
        }
        try:
            response = client.post(row.url, content=body, headers=headers)
            if response.is_success:
                self.store.callback_done(row.seq, sent=True, error=None, retry_in=None)
                return
            reason = f"HTTP {response.status_code}"
        except httpx.HTTPError as exc:
            reason = f"{type(exc).__name__}: {exc}"
        if attempt >= self.attempts:
            logger.warning("callback to %s failed for good: %s", row.url, reason)
            self.store.callback_done(row.seq, sent=False, error=reason, retry_in=None)
            return
        delay = self.backoff_seconds * 2 ** (attempt - 1)
        logger.info("callback to %s failed (%s); retry in %.1f s", row.url, reason, delay)
        self.store.callback_done(row.seq, sent=False, error=reason, retry_in=delay)
        self._wake.set()
