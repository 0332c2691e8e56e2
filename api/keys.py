"""API keys: ``as_<id>_<secret>``, scoped to a tenant, stored as the SHA-256 of the secret.

The id (12 hex digits) finds the row; the secret (32 random bytes, URL-safe base64) is compared
by hash in constant time. A plain SHA-256 is enough because the secret has 256 bits of entropy: a
slow password hash protects guessable secrets, which these are not. Keys can expire
(``expires_at``) and be revoked (``revoked_at``); both make the key answer 401.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from aftersales.api.store import ApiKey, JobStore, as_utc, utcnow

logger = logging.getLogger("aftersales.api.keys")

PREFIX = "as_"
TENANT_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
KEY_PATTERN = re.compile(r"^as_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")
ADMIN_TENANT = "admin"


@dataclass(frozen=True)
class NewKey:
    """A key just created: ``secret`` is shown once and never stored."""

    id: str
    tenant: str
    secret: str


def check_tenant(name: str) -> str:
    """A tenant name: 1-64 of lowercase letters, digits, ``_ . -``, starting alphanumeric."""
    if not TENANT_PATTERN.match(name):
        raise ValueError(
            f"tenant {name!r}: use 1-64 lowercase letters, digits, '_', '.', '-' "
            "(starting with a letter or digit)"
        )
    return name


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(store: JobStore, tenant: str, expires_days: float | None = None) -> NewKey:
    """Create and store a key of ``tenant``; ``expires_days`` None: never expires."""
    check_tenant(tenant)
    if expires_days is not None and expires_days <= 0:
        raise ValueError("expires_days must be positive")
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    expires = now + timedelta(days=expires_days) if expires_days is not None else None
    store.add_key(
        ApiKey(
            id=key_id, tenant=tenant, secret_hash=_hash(secret), created_at=now, expires_at=expires
        )
    )
    return NewKey(key_id, tenant, f"{PREFIX}{key_id}_{secret}")


def tenant_of(store: JobStore, presented: str) -> str | None:
    """The tenant of a valid key, or None (malformed, unknown, wrong secret, expired, revoked)."""
    found = KEY_PATTERN.match(presented)
    if found is None:
        return None
    key_id, secret = found.groups()
    row = store.get_key(key_id)
    if row is None or not hmac.compare_digest(row.secret_hash, _hash(secret)):
        return None
    if row.revoked_at is not None:
        return None
    expires = as_utc(row.expires_at)
    if expires is not None and expires <= utcnow():
        return None
    return row.tenant


def write_key_file(path: Path, secret: str) -> None:
    """Write a key to a new file readable by its owner only (mode 0600 from creation on)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(secret + "\n")
    path.chmod(0o600)


def bootstrap_admin_key(store: JobStore, path: Path) -> Path | None:
    """On a store without any key: create an ``admin`` tenant key and write it to ``path``."""
    if store.count_keys() > 0:
        return None
    key = create_key(store, ADMIN_TENANT)
    write_key_file(path, key.secret)
    logger.warning("new store: admin API key %s written to %s (mode 0600)", key.id, path)
    return path
