"""``aftersales serve``: run the HTTP service with uvicorn (embedded SQLite store by default)."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from aftersales.api.settings import Settings


def run_server(
    host: str = "127.0.0.1", port: int = 8000, workers: int | None = None, db: str | None = None
) -> None:
    """Serve the API; other settings come from ``AFTERSALES_*`` environment variables."""
    import uvicorn

    from aftersales.api.main import create_app

    overrides: dict[str, object] = {}
    if workers is not None:
        overrides["workers"] = workers
    if db is not None:
        overrides["database_url"] = db
    settings = Settings(**overrides)  # type: ignore[arg-type]
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    uvicorn.run(create_app(settings), host=host, port=port, timeout_graceful_shutdown=5)


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[
        int | None, typer.Option(help="Solver processes running at once (default 2).")
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(help="Job store URL (default sqlite:///aftersales-jobs.db)."),
    ] = None,
) -> None:
    """Serve the HTTP API: asynchronous solve jobs, validation, schemas, docs at /docs."""
    run_server(host=host, port=port, workers=workers, db=db)


if __name__ == "__main__":
    typer.run(serve)
