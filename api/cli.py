"""``aftersales serve``, ``aftersales keys ...`` and ``aftersales jobs purge``.

``serve`` runs the HTTP service with uvicorn (embedded SQLite store by default). ``keys`` and
``jobs`` act on the same store as ``serve``: ``--db`` or ``AFTERSALES_DATABASE_URL``.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from typing import TYPE_CHECKING, Annotated

import typer

from aftersales.api.settings import Settings

if TYPE_CHECKING:
    from aftersales.api.store import JobStore

DbOption = Annotated[
    str | None,
    typer.Option(help="Job store URL (default AFTERSALES_DATABASE_URL or the SQLite file)."),
]


def is_loopback(host: str) -> bool:
    """Whether every address ``host`` names is a loopback address (``localhost``, 127.x, ::1)."""
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    addresses = {info[4][0] for info in infos}
    return bool(addresses) and all(ipaddress.ip_address(a).is_loopback for a in addresses)


def _settings(db: str | None, **overrides: object) -> Settings:
    if db is not None:
        overrides["database_url"] = db
    return Settings(**overrides)  # type: ignore[arg-type]


def run_server(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int | None = None,
    db: str | None = None,
    no_auth: bool = False,
    executor: str | None = None,
    broker: str | None = None,
) -> None:
    """Serve the API; other settings come from ``AFTERSALES_*`` environment variables."""
    import uvicorn

    from aftersales.api.main import create_app

    overrides: dict[str, object] = {}
    if workers is not None:
        overrides["workers"] = workers
    if no_auth:
        overrides["no_auth"] = True
    if executor is not None:
        overrides["executor"] = executor
    if broker is not None:
        overrides["broker_url"] = broker
    settings = _settings(db, **overrides)
    if settings.no_auth and not is_loopback(host):
        raise typer.BadParameter(
            f"--no-auth serves every job to anyone: only on a loopback host, not {host!r}",
            param_hint="--host",
        )
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    uvicorn.run(create_app(settings), host=host, port=port, timeout_graceful_shutdown=5)


def run_worker(broker: str | None, db: str | None, concurrency: int | None) -> None:
    """Run a Celery worker on the shared store; other settings from ``AFTERSALES_*``."""
    from aftersales.api.celery_worker import run_worker as start

    overrides: dict[str, object] = {} if broker is None else {"broker_url": broker}
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    start(_settings(db, **overrides), concurrency)


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[
        int | None, typer.Option(help="Solver processes running at once (default 2).")
    ] = None,
    db: DbOption = None,
    no_auth: Annotated[
        bool, typer.Option("--no-auth", help="No API keys (development; loopback host only).")
    ] = False,
) -> None:
    """Serve the HTTP API: asynchronous solve jobs, validation, schemas, docs at /docs."""
    run_server(host=host, port=port, workers=workers, db=db, no_auth=no_auth)


keys_app = typer.Typer(
    help="API keys of the HTTP service.", no_args_is_help=True, add_completion=False
)
jobs_app = typer.Typer(
    help="Stored jobs of the HTTP service.", no_args_is_help=True, add_completion=False
)


def _store(db: str | None) -> JobStore:
    from aftersales.api.store import JobStore  # lazy: `aftersales --help` stays quick

    return JobStore.from_url(_settings(db).database_url)


@keys_app.command("create")
def create_key_command(
    tenant: Annotated[str, typer.Option(help="Tenant the key acts for.")],
    expires: Annotated[
        float | None, typer.Option(help="Days until the key expires (default: never).")
    ] = None,
    db: DbOption = None,
) -> None:
    """Create a key and print it once: the key alone on the last line (only its hash is kept)."""
    from aftersales.api.keys import create_key

    store = _store(db)
    try:
        key = create_key(store, tenant, expires)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    finally:
        store.close()
    typer.echo(f"key {key.id} for tenant {key.tenant} (shown once, store it now):")
    typer.echo(key.secret)


@keys_app.command("list")
def list_keys_command(db: DbOption = None) -> None:
    """List keys: id, tenant, created, expires, revoked (never the secret)."""
    store = _store(db)
    try:
        rows = store.list_keys()
    finally:
        store.close()
    typer.echo("id\ttenant\tcreated\texpires\trevoked")
    for row in rows:
        moments = (row.created_at, row.expires_at, row.revoked_at)
        shown = [m.isoformat(timespec="seconds") if m else "-" for m in moments]
        typer.echo("\t".join([row.id, row.tenant, *shown]))


@keys_app.command("revoke")
def revoke_key_command(
    key_id: Annotated[str, typer.Argument(metavar="ID", help="Key id (see `keys list`).")],
    db: DbOption = None,
) -> None:
    """Revoke a key: requests with it get 401 from then on."""
    store = _store(db)
    try:
        done = store.revoke_key(key_id)
    finally:
        store.close()
    if not done:
        typer.echo(f"no active key {key_id}", err=True)
        raise typer.Exit(2)
    typer.echo(f"revoked {key_id}")


@jobs_app.callback()
def jobs_group() -> None:
    """Stored jobs of the HTTP service (a group even with one command: `jobs purge`)."""


@jobs_app.command("purge")
def purge_jobs_command(
    older_than: Annotated[
        float | None,
        typer.Option(help="Days since a job ended (default AFTERSALES_RETENTION_DAYS)."),
    ] = None,
    db: DbOption = None,
) -> None:
    """Delete ended jobs (documents, events, callbacks) that ended longer ago than the limit."""
    days = older_than if older_than is not None else _settings(db).retention_days
    if days is None or days < 0:
        raise typer.BadParameter("give --older-than DAYS (>= 0) or set AFTERSALES_RETENTION_DAYS")
    store = _store(db)
    try:
        removed = store.purge_older_than(days)
    finally:
        store.close()
    typer.echo(f"deleted {removed} jobs ended over {days:g} days ago")


if __name__ == "__main__":
    typer.run(serve)
